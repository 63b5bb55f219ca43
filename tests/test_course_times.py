"""Every notebook says how long it takes and how to run it; the numbers agree with the guide and the tool.

``tools/estimate_times.py`` computes each notebook's time from its contents; the notebooks'
"Time" lines and the table in ``docs/instructors.md`` were set from it. They must agree with
each other exactly, and with the tool within 10 minutes (a notebook that changed a lot needs
its time recomputed).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GUIDE = (ROOT / "docs" / "instructors.md").read_text(encoding="utf-8")
TIME = re.compile(r"^\*\*Time\*\*: about (\d+) minutes(?:: (\d+) to read and run it, (\d+) for )?", re.MULTILINE)

spec = importlib.util.spec_from_file_location("estimate_times", ROOT / "tools" / "estimate_times.py")
estimate_times = importlib.util.module_from_spec(spec)
sys.modules["estimate_times"] = estimate_times  # dataclasses look their module up there
spec.loader.exec_module(estimate_times)


def first_cell(path: Path) -> str:
    cell = nbformat.read(path, as_version=4).cells[0]
    assert cell.cell_type == "markdown", f"{path.name}: the first cell must be the markdown introduction"
    return cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_first_cell_says_how_to_run_and_recover(path):
    text = first_cell(path)
    running = [line for line in text.splitlines() if line.startswith("**Running it**:")]
    assert len(running) == 1, f"{path.name}: one '**Running it**:' line in the first cell"
    assert "from the top" in running[0] and "restart" in running[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_time_line_agrees_with_the_guide_and_the_tool(path):
    found = TIME.search(first_cell(path))
    assert found, f"{path.name}: no '**Time**: about N minutes' line in the first cell"
    stated = int(found[1])
    if found[2]:
        assert int(found[2]) + int(found[3]) == stated, f"{path.name}: the parts do not add up"
    row = re.search(rf"^\| `{path.stem}` \| (\d+) min \|", GUIDE, re.MULTILINE)
    assert row, f"docs/instructors.md: no row for {path.stem} in the course table"
    assert int(row[1]) == stated, f"{path.stem}: {stated} min in the notebook, {row[1]} min in the guide"
    estimated = estimate_times.measure(nbformat.read(path, as_version=4)).total()
    assert abs(estimated - stated) <= 10, (
        f"{path.stem}: the notebook says {stated} min, tools/estimate_times.py now gives {estimated} min: "
        f"update its Time line and the guide's table")


def test_estimate_counts_what_a_notebook_asks_of_the_learner():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("one two three <b>four</b>\n\n**Try it:** five"),
        nbformat.v4.new_code_cell("explorer = widgets.box_explorer(None)\nexplorer"),
        nbformat.v4.new_code_cell("def f(x):\n    # TODO: double it\n    # BEGIN SOLUTION\n    y = 2 * x\n"
                                  "    return y\n    # END SOLUTION\n\n\nchecks.check_something(f)"),
        nbformat.v4.new_markdown_cell("**Question.** Why?\n\n<details>\n<summary>Answer</summary>\n\nBecause.\n\n"
                                      "</details>"),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", data={"image/png": "", "text/plain": "<Figure>"})]
    shown_source = {"text/markdown": "```python\nx = 1\n\ny = 2\n```"}
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\nb\nc\n"),
                           nbformat.v4.new_output("display_data", data=shown_source)]
    found = estimate_times.measure(nb)
    assert (found.words, found.code_cells, found.figures, found.output_lines, found.source_lines) == \
        (11, 2, 1, 3, 2)
    assert (found.try_its, found.explorers, found.implementations, found.solution_lines, found.questions) == \
        (1, 1, 1, 2, 1)
    # 11 / 150 + 2 * 0.75 + 2 / 20 + 3 / 40 + 1 = 2.755 -> 5; 3 + 5 + 8 + 2 * 0.5 + 3 = 20 -> 20
    assert (found.reading(), found.practice(), found.total()) == (5, 20, 25)
