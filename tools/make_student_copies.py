"""Write student copies of the course notebooks: every solution replaced by a scaffold.

    python tools/make_student_copies.py [--out DIR] [--force] [NOTEBOOK ...]

(default: every ``notebooks/NN_*.ipynb`` into ``student/``, and the Chinese edition
``notebooks/zh/NN_*.ipynb`` into ``student/zh/``; ``python3 tasks.py student`` runs it). The copies have their outputs cleared, and ``notebooks/GLOSSARY.md`` and a
``README.md`` for learners are written next to them. A copy that already exists and differs
from the new one (a learner may have worked in it) is only overwritten with ``--force``.

The convention in the committed notebooks (see ``docs/instructors.md``):

* **Implementation exercise** -- a code cell that defines a function; inside its body the
  solution sits between two marker lines, each exactly ``# BEGIN SOLUTION`` and
  ``# END SOLUTION`` at the indentation of the body, right after a ``# TODO: ...`` comment
  that says what to write. The ``def`` line, the docstring and the TODO stay outside the
  markers. The cell ends with the call of its check, e.g. ``checks.check_iou_pair(iou_pair)``,
  which prints its verdict and shows True or False (no trailing ``;``: it hides the value
  in JupyterLab but not under nbval, whose run would then differ from the committed one).
  No other cell may use the exercise's function, so that "Run All" works in a student
  copy, and the cell must run with only the notebook's first code cell (the imports) run
  before it::

      def iou_pair(box_a, box_b):
          \"\"\"IoU of two boxes given as (x1, y1, x2, y2).\"\"\"
          # TODO: intersection (width and height clamped at 0), union, their ratio.
          # BEGIN SOLUTION
          ...
          # END SOLUTION


      checks.check_iou_pair(iou_pair)

  In the student copy the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` become
  ``raise NotImplementedError`` (and, where no ``# TODO:`` comment precedes the block, a
  generic one is added).
* **Conceptual question** -- in a markdown cell, the answer is a block
  ``<details>`` / ``<summary>Answer</summary>`` / answer / ``</details>``, which JupyterLab
  shows folded until clicked. In the student copy the block becomes "*Write your answer
  here.*". Other ``<details>`` blocks (a ``<summary>Hint</summary>``) are kept. The Chinese
  edition writes ``<summary>答案</summary>``, which becomes "*在这里写下你的答案。*".

Malformed markers (unbalanced, nested, misspelt, at the top level of a cell, or leaving
code that does not compile) stop the tool with an error naming the notebook, the cell and
the line, and nothing is written.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
STUDENT = ROOT / "student"

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
TODO = "# TODO:"
GENERIC_TODO = "# TODO: write your code here, in place of the line below."
SCAFFOLD = "raise NotImplementedError"
ANSWER_PLACEHOLDER = "*Write your answer here.*"
ANSWER_PLACEHOLDER_ZH = "*在这里写下你的答案。*"

# anything that looks like a marker, to catch misspelt ones before they leak a solution
_MARKER_LIKE = re.compile(r"#\s*(BEGIN|END)[\s_-]*SOLUTION", re.IGNORECASE)
_ANSWER_OPEN = re.compile(r"<details>\s*<summary>\s*(Answer|答案)\s*</summary>", re.IGNORECASE)
_ANSWER_LIKE = re.compile(r"<summary>\s*(Answers?|答案)\s*</summary>", re.IGNORECASE)
_DETAILS_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)

STUDENT_README = """\
# Student copies of the course notebooks

These notebooks are the course of `notebooks/` with the solutions of the exercises taken
out. Open them in JupyterLab from the folder that holds `notebooks/` and `student/`:
`python3 tasks.py lab` in a clone of the repository, `ssd-course lab DIR` where the course is
installed as a package (or `jupyter lab student/` in the conda environment). Run every cell from the top: the
outputs are cleared, so each picture and number appears as you go.

**Implementation exercises.** A code cell defines a function whose body says
`raise NotImplementedError` under a `# TODO:` comment. Replace that line with your code and
run the cell: its last line calls a check from `ssd_course.checks`, which runs your function
on hand-made and random cases and prints either `✓ ... all N cases pass` or the first case
that fails -- the input, the expected value, yours, and a hint. Until you write something it
prints "Not implemented yet".

**Questions.** Where a markdown cell says *Write your answer here.*, double-click it and
write your answer.

The solutions are in the notebooks of `notebooks/`. These copies are made by
`python3 tasks.py student` (or `ssd-course student DIR`), which does not overwrite a copy you
have changed unless it is run with `--force`.
"""


STUDENT_README_ZH = """\
# 课程笔记本的学生版

这些笔记本就是 `notebooks/zh/` 中的课程，只是去掉了练习的答案。请在仓库根目录下，用课程的环境打开：

```bash
.venv/bin/python -m jupyter lab student/zh/00_overview.ipynb
```

（或者在 conda 环境中运行 `jupyter lab student/zh/`。）从头依次运行每个单元格：输出已经清空，每张图、每个数字都会随着你的运行出现。

**编程练习。** 有的代码单元格定义了一个函数，函数体里在 `# TODO:` 注释下面写着 `raise NotImplementedError`。把这一行换成你的代码，再运行这个单元格：它的最后一行会调用 `ssd_course.checks` 中的检查，用手工构造的和随机的例子运行你的函数，要么打印 `✓ ……`（全部通过），要么打印第一个没通过的例子：输入、期望的值、你的值和一条提示。在你写出代码之前，它会提示还没有实现。

**问答题。** Markdown 单元格里写着 *在这里写下你的答案。* 的地方，双击它，写下你的答案。

答案在 `notebooks/zh/` 的笔记本里。这些学生版由 `python3 tasks.py student` 生成；你改过的学生版不会被覆盖，除非加上 `--force`。
"""


class StudentCopyError(ValueError):
    """A notebook's solution or answer markers are malformed."""


class Exercises(NamedTuple):
    """The exercises of one notebook.

    Attributes:
        implementations (int): solution blocks (``# BEGIN SOLUTION`` ... ``# END SOLUTION``).
        questions (int): answer blocks (``<details><summary>Answer</summary>`` ... ``</details>``).
    """

    implementations: int
    questions: int


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _has_todo(kept: list[str], indent: str) -> bool:
    """Whether the comment lines right above a solution block include a ``# TODO:`` line."""
    for line in reversed(kept):
        stripped = line.strip()
        if not stripped.startswith("#") or _indent(line) != indent:
            return False
        if stripped.startswith(TODO):
            return True
    return False


def _compiles(source: str) -> str | None:
    """None if ``source`` (IPython magics and shell lines removed) parses, else the error."""
    python = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))
    try:
        ast.parse(python)
    except SyntaxError as error:
        return f"line {error.lineno}: {error.msg}"
    return None


def _marker(line: str, number: int, where: str) -> str | None:
    """``BEGIN``, ``END`` or None for a line; raises for a line that looks like a misspelt marker."""
    stripped = line.strip()
    if stripped in (BEGIN, END):
        return stripped
    if _MARKER_LIKE.search(line):
        raise StudentCopyError(
            f"{where}, line {number}: {stripped!r} looks like a solution marker; write exactly "
            f"{BEGIN!r} or {END!r} alone on the line")
    return None


def scaffold_code(source: str, where: str) -> tuple[str, int]:
    """Replace every solution block of a code cell's source with ``raise NotImplementedError``.

    Args:
        source (str): the cell's source.
        where (str): the notebook and cell, for error messages.

    Returns:
        (str, int): the student source and the number of solution blocks replaced.

    Raises:
        StudentCopyError: for an unbalanced, nested, misspelt or unindented marker, an empty
            solution, or a student source that does not parse.
    """
    lines = source.split("\n")
    kept: list[str] = []
    blocks = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = _marker(line, i + 1, where)
        if marker == END:
            raise StudentCopyError(f"{where}, line {i + 1}: {END!r} without a {BEGIN!r} before it")
        if marker != BEGIN:
            kept.append(line)
            i += 1
            continue
        indent = _indent(line)
        if not indent:
            raise StudentCopyError(
                f"{where}, line {i + 1}: {BEGIN!r} must be inside a function body (indented), so that the "
                f"student copy's `{SCAFFOLD}` only runs when the function is called")
        end = i + 1
        while end < len(lines) and _marker(lines[end], end + 1, where) is None:
            end += 1
        if end == len(lines):
            raise StudentCopyError(f"{where}, line {i + 1}: {BEGIN!r} without an {END!r} after it")
        if _marker(lines[end], end + 1, where) == BEGIN:
            raise StudentCopyError(
                f"{where}, line {end + 1}: a second {BEGIN!r} before the {END!r} of the one on line {i + 1}")
        if _indent(lines[end]) != indent:
            raise StudentCopyError(
                f"{where}, line {end + 1}: {END!r} must have the indentation of its {BEGIN!r} (line {i + 1})")
        if not any(body.strip() for body in lines[i + 1:end]):
            raise StudentCopyError(f"{where}, line {i + 1}: an empty solution between the markers")
        if not _has_todo(kept, indent):
            kept.append(indent + GENERIC_TODO)
        kept.append(indent + SCAFFOLD)
        blocks += 1
        i = end + 1
    student = "\n".join(kept)
    if blocks:
        error = _compiles(student)
        if error is not None:
            raise StudentCopyError(f"{where}: the student copy of this cell does not compile ({error})")
    return student, blocks


def remove_answers(source: str, where: str) -> tuple[str, int]:
    """Replace every answer block of a markdown cell's source with the answer placeholder.

    Args:
        source (str): the cell's source.
        where (str): the notebook and cell, for error messages.

    Returns:
        (str, int): the student source and the number of answers removed.

    Raises:
        StudentCopyError: for an answer block without its ``</details>``, one holding another
            ``<details>``, or an ``Answer`` summary not written as ``<details>`` then
            ``<summary>Answer</summary>``.
    """
    answers = 0
    parts = []
    position = 0
    for opening in _ANSWER_OPEN.finditer(source):
        if opening.start() < position:
            continue
        close = _DETAILS_CLOSE.search(source, opening.end())
        if close is None:
            raise StudentCopyError(f"{where}: an answer block ('<summary>Answer</summary>') without '</details>'")
        if _DETAILS_OPEN.search(source, opening.end(), close.start()):
            raise StudentCopyError(f"{where}: an answer block holds another '<details>' block; answers cannot nest")
        parts.append(source[position:opening.start()])
        parts.append(ANSWER_PLACEHOLDER_ZH if opening[1] == "答案" else ANSWER_PLACEHOLDER)
        position = close.end()
        answers += 1
    parts.append(source[position:])
    student = "".join(parts)
    if _ANSWER_LIKE.search(student):
        raise StudentCopyError(
            f"{where}: an 'Answer' summary that is not written as '<details>' followed by "
            f"'<summary>Answer</summary>'; the answer would stay in the student copy")
    return student, answers


def make_student_notebook(nb: nbformat.NotebookNode, name: str) -> tuple[nbformat.NotebookNode, Exercises]:
    """The student copy of a notebook and the count of its exercises.

    Args:
        nb (nbformat.NotebookNode): a course notebook (not modified).
        name (str): its name, for error messages.

    Returns:
        (nbformat.NotebookNode, Exercises): the copy, with solutions replaced, answers removed
        and outputs cleared; and the number of solution and answer blocks.

    Raises:
        StudentCopyError: for malformed markers (see :func:`scaffold_code`, :func:`remove_answers`).
    """
    student = nbformat.from_dict(nb)
    implementations = questions = 0
    for index, cell in enumerate(student.cells):
        where = f"{name}, cell {index}"
        if cell.cell_type == "code":
            cell.source, blocks = scaffold_code(cell.source, where)
            implementations += blocks
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source, answers = remove_answers(cell.source, where)
            questions += answers
            if _MARKER_LIKE.search(cell.source):
                raise StudentCopyError(f"{where}: a solution marker in a markdown cell")
    return student, Exercises(implementations, questions)


def count_exercises(nb: nbformat.NotebookNode, name: str = "notebook") -> Exercises:
    """How many implementation exercises and conceptual questions a course notebook has."""
    return make_student_notebook(nb, name)[1]


def course_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The numbered notebooks ``NN_*.ipynb`` of ``folder``, in order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def generate(notebooks: list[Path], out: Path, force: bool = False, glossary: Path | None = None
             ) -> dict[Path, Exercises]:
    """Write the student copies of ``notebooks`` into ``out``, with the README and glossary.

    Every notebook is converted before anything is written, so a malformed one leaves
    ``out`` untouched.

    Args:
        notebooks (list[Path]): course notebooks.
        out (Path): the folder of the copies (created if needed).
        force (bool): overwrite copies that exist and differ from the new ones.
        glossary (Path | None): a glossary to copy next to them; default
            ``GLOSSARY.md`` of the first notebook's folder, if there is one.

    Returns:
        dict[Path, Exercises]: each written copy and its exercises.

    Raises:
        StudentCopyError: for malformed markers, or for existing copies that differ from the
            new ones when ``force`` is False.
    """
    converted = {}
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        student, exercises = make_student_notebook(nb, path.name)
        converted[out / path.name] = (nbformat.writes(student) + "\n", exercises)
    changed = [target for target, (text, _) in converted.items()
               if target.exists() and target.read_text(encoding="utf-8") != text]
    if changed and not force:
        names = ", ".join(str(t) for t in changed)
        raise StudentCopyError(
            f"{names} already exist{'s' if len(changed) == 1 else ''} and differ{'s' if len(changed) == 1 else ''} "
            f"from the new copies (changed by hand, or made from older notebooks); run again with --force to "
            f"overwrite them")
    out.mkdir(parents=True, exist_ok=True)
    for target, (text, _) in converted.items():
        target.write_text(text, encoding="utf-8")
    chinese = bool(notebooks) and notebooks[0].parent.name == "zh"
    (out / "README.md").write_text(STUDENT_README_ZH if chinese else STUDENT_README, encoding="utf-8")
    if glossary is None and notebooks:
        glossary = notebooks[0].parent / "GLOSSARY.md"
    if glossary is not None and glossary.exists():
        shutil.copyfile(glossary, out / glossary.name)
    return {target: exercises for target, (_, exercises) in converted.items()}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=STUDENT, help="folder of the copies (default: student/)")
    parser.add_argument("--force", action="store_true", help="overwrite copies that have been changed")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or course_notebooks()
    if not notebooks:
        print(f"error: no notebook found in {NOTEBOOKS}", file=sys.stderr)
        return 1
    editions = [(notebooks, args.out.resolve())]
    if not args.notebooks and course_notebooks(NOTEBOOKS / "zh"):
        editions.append((course_notebooks(NOTEBOOKS / "zh"), args.out.resolve() / "zh"))
    written = {}
    try:
        for edition, out in editions:
            written.update(generate(edition, out, force=args.force))
    except StudentCopyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for target, exercises in written.items():
        try:
            shown = target.relative_to(ROOT)
        except ValueError:
            shown = target
        print(f"{shown}: {_count(exercises.implementations, 'implementation exercise')}, "
              f"{_count(exercises.questions, 'question')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
