"""The student copies: solutions replaced by scaffolds, answers removed, outputs cleared
(``tools/make_student_copies.py``, ``python3 tasks.py student``)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def _load_tool():
    spec = importlib.util.spec_from_file_location("make_student_copies", ROOT / "tools" / "make_student_copies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()

IMPORTS = "%matplotlib inline\nfrom ssd_course import checks"
EXERCISE = '''\
def iou_pair(box_a, box_b):
    """IoU of two boxes given as (x1, y1, x2, y2)."""
    # TODO: the intersection's width and height (clamped at 0), the union, then their ratio.
    # BEGIN SOLUTION
    x1a, y1a, x2a, y2a = box_a
    x1b, y1b, x2b, y2b = box_b
    width = max(0.0, min(x2a, x2b) - max(x1a, x1b))
    height = max(0.0, min(y2a, y2b) - max(y1a, y1b))
    intersection = width * height
    union = (x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - intersection
    return intersection / union if union > 0 else 0.0
    # END SOLUTION


checks.check_iou_pair(iou_pair)'''
SOLUTION_LINES = ["width = max(0.0, min(x2a, x2b) - max(x1a, x1b))", "intersection / union if union > 0 else 0.0"]
QUESTION = """\
**Question 1.** Why must the IoU of two empty boxes be 0 and not NaN?

<details>
<summary>Answer</summary>

Because a NaN in one IoU makes the argmax of the matching meaningless.

</details>

<details>
<summary>Hint</summary>

What is 0 / 0?

</details>"""


def synthetic_notebook() -> nbformat.NotebookNode:
    """A small course-like notebook: imports, one implementation exercise, one question."""
    exercise = new_code_cell(EXERCISE, execution_count=2)
    exercise.outputs = [new_output("stream", name="stdout", text="✓ iou_pair: all 14 cases pass\n")]
    imports = new_code_cell(IMPORTS, execution_count=1)
    imports.outputs = [new_output("execute_result", data={"text/plain": "1"}, execution_count=1)]
    return new_notebook(cells=[
        new_markdown_cell("# 01 · Boxes and IoU"),
        imports,
        new_markdown_cell("## Exercises\n\n**Exercise 1.** Write the IoU of one pair of boxes."),
        exercise,
        new_markdown_cell(QUESTION),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_student_copy_replaces_the_solution_clears_outputs_and_removes_answers(tmp_path):
    source = write(synthetic_notebook(), tmp_path / "notebooks" / "01_boxes_and_iou.ipynb")
    (tmp_path / "notebooks" / "GLOSSARY.md").write_text("# Glossary\n", encoding="utf-8")
    before = source.read_text(encoding="utf-8")
    written = tool.generate([source], tmp_path / "student")

    target = tmp_path / "student" / "01_boxes_and_iou.ipynb"
    assert written == {target: tool.Exercises(implementations=1, questions=1)}
    student = nbformat.read(target, as_version=4)
    text = target.read_text(encoding="utf-8")
    code = student.cells[3].source
    assert "raise NotImplementedError" in code
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    for line in SOLUTION_LINES:
        assert line not in text
    # the def line, docstring, TODO and the call of the check stay; the scaffold has the body's indentation
    assert code.splitlines()[:4] == [
        "def iou_pair(box_a, box_b):",
        '    """IoU of two boxes given as (x1, y1, x2, y2)."""',
        "    # TODO: the intersection's width and height (clamped at 0), the union, then their ratio.",
        "    raise NotImplementedError",
    ]
    assert code.endswith("checks.check_iou_pair(iou_pair)")
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    answer_cell = student.cells[4].source
    assert "Write your answer here" in answer_cell
    assert "NaN in one IoU" not in text and "<summary>Answer</summary>" not in text
    assert "**Question 1.**" in answer_cell
    assert "<summary>Hint</summary>" in answer_cell and "What is 0 / 0?" in answer_cell
    assert (tmp_path / "student" / "GLOSSARY.md").read_text(encoding="utf-8") == "# Glossary\n"
    assert "raise NotImplementedError" in (tmp_path / "student" / "README.md").read_text(encoding="utf-8")
    # the committed notebook is left as it was
    assert source.read_text(encoding="utf-8") == before


def test_student_exercise_runs_and_says_not_implemented(tmp_path):
    source = write(synthetic_notebook(), tmp_path / "01_boxes_and_iou.ipynb")
    tool.generate([source], tmp_path / "student")
    student = nbformat.read(tmp_path / "student" / "01_boxes_and_iou.ipynb", as_version=4)
    original = nbformat.read(source, as_version=4)
    outputs = []
    for nb in (student, original):
        namespace: dict = {}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(python_of(nb.cells[1].source), namespace)
            exec(python_of(nb.cells[3].source), namespace)
        outputs.append(out.getvalue())
    assert outputs[0] == "Not implemented yet: replace `raise NotImplementedError` with your code.\n"
    assert outputs[1] == "✓ iou_pair: all 14 cases pass\n"


def test_generic_todo_when_the_solution_has_none():
    source = "def f(x):\n    # BEGIN SOLUTION\n    return x + 1\n    # END SOLUTION\n"
    student, blocks = tool.scaffold_code(source, "nb, cell 0")
    assert blocks == 1
    assert student == f"def f(x):\n    {tool.GENERIC_TODO}\n    raise NotImplementedError\n"


def test_several_solution_blocks_in_one_cell():
    source = (
        "def f(x):\n    # TODO: add one.\n    # BEGIN SOLUTION\n    return x + 1\n    # END SOLUTION\n\n\n"
        "class Loss:\n    def forward(self, x):\n        # TODO: double it.\n        # BEGIN SOLUTION\n"
        "        y = 2 * x\n        return y\n        # END SOLUTION\n"
    )
    student, blocks = tool.scaffold_code(source, "nb, cell 0")
    assert blocks == 2
    assert "return" not in student and student.count("raise NotImplementedError") == 2
    assert "        # TODO: double it.\n        raise NotImplementedError" in student


@pytest.mark.parametrize(("source", "message"), [
    ("def f(x):\n    # BEGIN SOLUTION\n    return x\n", "without an '# END SOLUTION'"),
    ("def f(x):\n    return x\n    # END SOLUTION\n", "without a '# BEGIN SOLUTION'"),
    ("def f(x):\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n", "a second"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a function body"),
    ("def f(x):\n    #BEGIN SOLUTION\n    return x\n    # END SOLUTION\n", "looks like a solution marker"),
    ("def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTIONS\n", "looks like a solution marker"),
    ("def f(x):\n    # BEGIN SOLUTION\n\n    # END SOLUTION\n", "empty solution"),
    ("def f(x):\n    if x:\n        # BEGIN SOLUTION\n        return x\n    # END SOLUTION\n", "indentation"),
    ("def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n    else:\n        pass\n",
     "does not compile"),
])
def test_malformed_markers_are_refused(source, message):
    with pytest.raises(tool.StudentCopyError, match=re.escape(message)) as error:
        tool.scaffold_code(source, "01_boxes_and_iou.ipynb, cell 7")
    assert "01_boxes_and_iou.ipynb, cell 7" in str(error.value)


@pytest.mark.parametrize(("source", "message"), [
    ("Q?\n\n<details>\n<summary>Answer</summary>\n\nYes.\n", "without '</details>'"),
    ("Q?\n\n<details>\n<summary>Answer</summary>\n\n<details><summary>More</summary>x</details>\n</details>",
     "cannot nest"),
    ("Q?\n\n<summary>Answer</summary>\n\nYes.\n</details>", "not written as '<details>'"),
])
def test_malformed_answers_are_refused(source, message):
    with pytest.raises(tool.StudentCopyError, match=re.escape(message)):
        tool.remove_answers(source, "nb, cell 3")


def test_unbalanced_notebook_is_refused_and_nothing_is_written(tmp_path, capsys):
    good = write(synthetic_notebook(), tmp_path / "notebooks" / "01_boxes_and_iou.ipynb")
    broken_nb = synthetic_notebook()
    broken_nb.cells[3].source = EXERCISE.replace("    # END SOLUTION\n", "")
    broken = write(broken_nb, tmp_path / "notebooks" / "02_prior_boxes.ipynb")
    out = tmp_path / "student"
    assert tool.main([str(good), str(broken), "--out", str(out)]) == 1
    assert "error: 02_prior_boxes.ipynb, cell 3, line 4: '# BEGIN SOLUTION' without an '# END SOLUTION'" in \
        capsys.readouterr().err
    assert not out.exists()


def test_changed_copies_are_kept_unless_forced(tmp_path):
    source = write(synthetic_notebook(), tmp_path / "01_boxes_and_iou.ipynb")
    out = tmp_path / "student"
    tool.generate([source], out)
    tool.generate([source], out)  # unchanged: regenerating is fine
    target = out / "01_boxes_and_iou.ipynb"
    edited = nbformat.read(target, as_version=4)
    edited.cells[3].source = edited.cells[3].source.replace("raise NotImplementedError", "return 0.5")
    nbformat.write(edited, target)
    with pytest.raises(tool.StudentCopyError, match="--force"):
        tool.generate([source], out)
    assert "return 0.5" in target.read_text(encoding="utf-8")
    tool.generate([source], out, force=True)
    assert "raise NotImplementedError" in target.read_text(encoding="utf-8")


def test_tasks_py_has_the_student_command():
    result = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "--help"], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert "student" in result.stdout
    assert "python3 tasks.py student" in result.stdout


# ---------------------------------------------------------------------------------------------
# The course notebooks themselves, once they hold exercises
# ---------------------------------------------------------------------------------------------

COURSE = tool.course_notebooks(NOTEBOOKS)
WITH_EXERCISES = [p for p in COURSE if tool.BEGIN in p.read_text(encoding="utf-8")]

# runs, in a fresh interpreter, a notebook's first code cell and then one exercise cell, and
# reports what they printed: the notebooks set global printing options that must not leak
# into the other tests
RUNNER = r"""
import contextlib, io, json, sys
results = []
for item in json.load(sys.stdin):
    namespace = {"__name__": "__main__"}
    out = io.StringIO()
    error = None
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(item["prelude"], item["name"] + " (first code cell)", "exec"), namespace)
            exec(compile(item["cell"], item["name"] + " (exercise cell)", "exec"), namespace)
    except BaseException as exception:
        error = f"{type(exception).__name__}: {exception}"
    results.append({"stdout": out.getvalue(), "error": error})
json.dump(results, sys.stdout)
"""


def python_of(source: str) -> str:
    """A cell's source without its IPython magics and shell lines."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def exercise_function(source: str) -> str:
    """The name of the function whose body holds the first solution block of a cell."""
    lines = source.split("\n")
    begin = next(i for i, line in enumerate(lines) if line.strip() == tool.BEGIN)
    for line in reversed(lines[:begin]):
        found = re.match(r"\s*def\s+(\w+)\s*\(", line)
        if found:
            return found[1]
    raise AssertionError(f"no def above the solution block of:\n{source}")


def check_course_student_copies(course: list[Path], out: Path) -> None:
    """Generate the student copies of ``course`` into ``out`` and check them and their exercises.

    Each of the notebooks 01-07 has 2-4 exercises, at least one of them an implementation;
    every exercise cell has a ``# TODO:`` line, calls its check and, after the notebook's
    first code cell, runs: the student copy prints "Not implemented yet", the solution passes
    its check. No other cell uses the exercise's function (Run All works in a student copy).
    """
    written = tool.generate(course, out)
    assert {p.name for p in written} == {p.name for p in course}
    assert (out / "README.md").exists()
    items, expectations = [], []
    for path in course:
        number = int(path.name[:2])
        exercises = written[out / path.name]
        if 1 <= number <= 7:
            assert exercises.implementations >= 1, f"{path.name} has no implementation exercise"
            assert 2 <= exercises.implementations + exercises.questions <= 4, f"{path.name}: {exercises}"
        original = nbformat.read(path, as_version=4)
        student = nbformat.read(out / path.name, as_version=4)
        text = (out / path.name).read_text(encoding="utf-8")
        assert tool.BEGIN not in text and tool.END not in text and "<summary>Answer</summary>" not in text
        code = [i for i, cell in enumerate(original.cells) if cell.cell_type == "code"]
        prelude = python_of(original.cells[code[0]].source)
        for index in code:
            if tool.BEGIN not in original.cells[index].source:
                continue
            solution, scaffold = original.cells[index].source, student.cells[index].source
            where = f"{path.name}, cell {index}"
            assert tool.GENERIC_TODO not in scaffold, f"{where}: write a '# TODO:' line above '# BEGIN SOLUTION'"
            assert "checks.check_" in solution, f"{where}: the exercise cell must call its check"
            name = exercise_function(solution)
            # later cells must not need the learner's function: Run All must work in the student copy
            for other in code:
                if other != index:
                    assert not re.search(rf"(?<![\w.]){name}\b", original.cells[other].source), \
                        f"{path.name}, cell {other} uses the exercise function {name}() of cell {index}"
            for cell, wanted in ((scaffold, "scaffold"), (solution, "solution")):
                items.append({"name": where, "prelude": prelude, "cell": python_of(cell)})
                expectations.append((where, wanted))
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(items), capture_output=True,
                            text=True, cwd=course[0].parent, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    for (where, wanted), ran in zip(expectations, json.loads(result.stdout)):
        assert ran["error"] is None, f"{where} ({wanted}) raised {ran['error']}"
        if wanted == "scaffold":
            assert "Not implemented yet" in ran["stdout"], f"{where}: the student copy printed {ran['stdout']!r}"
        else:
            assert "✓ " in ran["stdout"] and "✗" not in ran["stdout"], \
                f"{where}: the solution does not pass its check: {ran['stdout']!r}"


@pytest.mark.skipif(not WITH_EXERCISES, reason="no course notebook has exercises (# BEGIN SOLUTION) yet")
def test_course_notebooks_generate_student_copies(tmp_path):
    check_course_student_copies(COURSE, tmp_path / "student")
