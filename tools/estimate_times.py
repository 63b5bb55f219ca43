"""Estimate how long a newcomer needs for each course notebook, from what the notebook contains.

    python tools/estimate_times.py [NOTEBOOK ...]     (default: every notebooks/NN_*.ipynb)

Prints a Markdown table: what each notebook contains (prose words, code cells, lines of
package source it displays, printed lines, figures, interactive cells, exercises) and the
minutes they come to, split into reading and running the notebook, and its exercises and
experiments. The rates are assumptions about a newcomer who knows basic PyTorch and may read
English as a second language, stated here so that they can be argued with and changed in
one place:

* prose (markdown, answers included) at 150 words a minute, read carefully;
* 45 seconds per code cell: run it, read its code and what it prints;
* displayed package source at 20 lines a minute, other printed output at 40 lines a minute,
  1 minute per figure;
* 3 minutes per "Try it" and 5 per interactive explorer, to change a value and look;
* per implementation exercise, 8 minutes plus 30 seconds per line of the solution (reading
  the task, writing, running the check, reading its report, a correction); 3 minutes per
  question.

Each part is rounded up to 5 minutes. The notebooks' "Time" lines and the instructor guide's
table are set from this output; timing real learners is the way to calibrate the rates.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

WORDS_PER_MINUTE = 150
MINUTES_PER_CODE_CELL = 0.75
SOURCE_LINES_PER_MINUTE = 20
OUTPUT_LINES_PER_MINUTE = 40
MINUTES_PER_FIGURE = 1
MINUTES_PER_TRY_IT = 3
MINUTES_PER_EXPLORER = 5
MINUTES_PER_IMPLEMENTATION = 8
MINUTES_PER_SOLUTION_LINE = 0.5
MINUTES_PER_QUESTION = 3

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
EXPLORER = re.compile(r"widgets\.\w+_explorer\(")
ANSWER = re.compile(r"<summary>\s*Answer\s*</summary>", re.IGNORECASE)
TRY_IT = re.compile(r"\*\*Try it", re.IGNORECASE)


@dataclass
class Contents:
    """What one notebook asks a learner to read, run, look at and write."""

    words: int = 0
    code_cells: int = 0
    source_lines: int = 0
    output_lines: int = 0
    figures: int = 0
    try_its: int = 0
    explorers: int = 0
    implementations: int = 0
    solution_lines: int = 0
    questions: int = 0

    def reading(self) -> int:
        """Minutes to read the notebook and run its cells, rounded up to a multiple of 5."""
        minutes = (self.words / WORDS_PER_MINUTE + self.code_cells * MINUTES_PER_CODE_CELL
                   + self.source_lines / SOURCE_LINES_PER_MINUTE + self.output_lines / OUTPUT_LINES_PER_MINUTE
                   + self.figures * MINUTES_PER_FIGURE)
        return 5 * math.ceil(minutes / 5)

    def practice(self) -> int:
        """Minutes for the exercises, questions, "Try it" cells and explorers, rounded up to 5."""
        minutes = (self.try_its * MINUTES_PER_TRY_IT + self.explorers * MINUTES_PER_EXPLORER
                   + self.implementations * MINUTES_PER_IMPLEMENTATION
                   + self.solution_lines * MINUTES_PER_SOLUTION_LINE + self.questions * MINUTES_PER_QUESTION)
        return 5 * math.ceil(minutes / 5)

    def total(self) -> int:
        """The estimate in minutes."""
        return self.reading() + self.practice()


def _code_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def measure(nb: nbformat.NotebookNode) -> Contents:
    """Count what a notebook contains (its committed outputs included)."""
    found = Contents()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            prose = re.sub(r"<[^>]+>", " ", cell.source)  # HTML tags are not words
            found.words += len(prose.split())
            found.questions += len(ANSWER.findall(cell.source))
            found.try_its += len(TRY_IT.findall(cell.source))
            continue
        if cell.cell_type != "code":
            continue
        found.code_cells += 1
        source = cell.source
        found.explorers += len(EXPLORER.findall(source))
        if BEGIN in source:
            lines = source.split("\n")
            inside = False
            for line in lines:
                if line.strip() == BEGIN:
                    inside, found.implementations = True, found.implementations + 1
                elif line.strip() == END:
                    inside = False
                elif inside and line.strip() and not line.strip().startswith("#"):
                    found.solution_lines += 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                found.output_lines += len("".join(output.get("text", "")).splitlines())
                continue
            data = output.get("data", {})
            if "image/png" in data:
                found.figures += 1
            elif "text/markdown" in data:
                shown = "".join(data["text/markdown"])
                if shown.lstrip().startswith("```"):  # package source shown by show.source
                    found.source_lines += _code_lines(shown.replace("```python", "").replace("```", ""))
                else:
                    found.output_lines += len(shown.splitlines())
            elif "text/plain" in data and "application/vnd.jupyter.widget-view+json" not in data:
                found.output_lines += len("".join(data["text/plain"]).splitlines())
    return found


def table(paths: list[Path]) -> str:
    """The Markdown table of every notebook's contents and minutes."""
    rows = ["| notebook | words | code cells | source lines | output lines | figures | try it / explorers | "
            "exercises (solution lines) + questions | read and run | exercises and experiments | total |",
            "|---|" + "---:|" * 10]
    for path in paths:
        found = measure(nbformat.read(path, as_version=4))
        rows.append(
            f"| `{path.stem}` | {found.words} | {found.code_cells} | {found.source_lines} | {found.output_lines} | "
            f"{found.figures} | {found.try_its} / {found.explorers} | {found.implementations} "
            f"({found.solution_lines}) + {found.questions} | {found.reading()} | {found.practice()} | "
            f"{found.total()} |")
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print(table(paths))
    totals = [measure(nbformat.read(p, as_version=4)).total() for p in paths]
    print(f"\n{len(paths)} notebooks, {sum(totals)} minutes in all ({sum(totals) / 60:.1f} hours)")


if __name__ == "__main__":
    main(sys.argv[1:])
