"""The mutation-testing tool (``tools/mutate.py``, ``python3 tasks.py mutate``) on a tiny sample package.

The tool itself is slow on the real package (it runs the tests once per mutant), so it is
not part of this test run; these tests run it on a sample module of a few lines whose tests
catch some mutants and miss others on purpose.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="tools/mutate.py needs os.fork")


@pytest.fixture(scope="module")
def mutate():
    spec = importlib.util.spec_from_file_location("mutate_tool", ROOT / "tools" / "mutate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutate_tool"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules["mutate_tool"]


SAMPLE = '''\
"""A sample module."""


def below(x: float, limit: float = 0.0) -> bool:
    """Whether ``x`` is below ``limit``."""
    if x < limit:
        return True
    return False


def count_positive(values: list[float]) -> int:
    total = 0
    for v in values:
        if v > 0:
            total += 1
    return total


TABLE = (0.5, 1.5, 2.5)
'''

# the tests catch the changes to below's comparison and default and to the count, but not
# `>` -> `>=` in count_positive (no value is exactly 0)
SAMPLE_TESTS = '''\
from sample_pkg.sample import below, count_positive


def test_below():
    assert below(-1.0)
    assert not below(0.0)
    assert below(1.0, limit=2.0)


def test_count_positive():
    assert count_positive([1.0, -2.0, 3.0]) == 2
'''


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    (tmp_path / "sample_pkg").mkdir()
    (tmp_path / "sample_pkg" / "__init__.py").write_text("")
    (tmp_path / "sample_pkg" / "sample.py").write_text(SAMPLE)
    (tmp_path / "test_sample.py").write_text(SAMPLE_TESTS)
    return tmp_path


def by_change(mutants) -> dict[tuple[int, str], object]:
    return {(m.line, m.what): m for m in mutants}


def test_finds_the_mutants_of_a_sample_module(mutate):
    found = by_change(mutate.find_mutants("sample", SAMPLE))
    assert set(found) == {
        (4, "`0.0` -> `1.0`"),  # the default argument
        (6, "condition negated"), (6, "`if` branch removed"), (6, "`<` -> `<=`"),
        (7, "`True` -> `False`"), (8, "`False` -> `True`"),
        (12, "`0` -> `1`"),
        (14, "condition negated"), (14, "`if` branch removed"), (14, "`>` -> `>=`"), (14, "`0` -> `1`"),
        (15, "`+=` -> `-=`"), (15, "`1` -> `0`"),
    }  # not the docstrings, the annotations, nor the table of numbers on line 19
    assert found[14, "`>` -> `>=`"].source == "if v > 0:"


def test_a_mutant_changes_only_its_own_node(mutate):
    import ast

    mutant = by_change(mutate.find_mutants("sample", SAMPLE))[14, "`>` -> `>=`"]
    namespace: dict = {}
    exec(compile(mutate.mutated_tree(mutant, SAMPLE), "sample.py", "exec"), namespace)
    assert namespace["count_positive"]([0.0, 0.0, -1.0]) == 2  # 0 now counts
    assert namespace["below"](-1.0) and not namespace["below"](0.0)  # the rest is unchanged
    assert ast.dump(ast.parse(SAMPLE)) != ast.dump(mutate.mutated_tree(mutant, SAMPLE))


def test_the_sample_tests_kill_some_mutants_and_miss_one(mutate, sample: Path):
    place = mutate.Place(root=sample, package="sample_pkg")
    seconds, coverage = mutate.baseline("sample", ["test_sample.py"], timeout=60, quiet=True, place=place,
                                        trace=True)
    # the lines each test runs; the def lines run at import
    assert set(coverage["test_sample.py::test_below"]) == {4, 6, 7, 8}  # 4: the call
    assert set(coverage["test_sample.py::test_count_positive"]) == {11, 12, 13, 14, 15, 16}
    assert {4, 11} <= set(coverage[""])
    mutants = mutate.find_mutants("sample", SAMPLE)
    equivalent = by_change(mutants)[15, "`1` -> `0`"]  # not equivalent: listed to see it reported as killed
    results = mutate.run_mutants(mutants, ["test_sample.py"], timeout=60, jobs=2,
                                 equivalents={equivalent.key: "a reason"}, place=place, coverage=coverage)
    assert mutate.tests_of(equivalent, coverage, ["test_sample.py"]) == ["test_sample.py::test_count_positive"]
    default = by_change(mutants)[4, "`0.0` -> `1.0`"]  # evaluated at import: every test
    assert mutate.tests_of(default, coverage, ["test_sample.py"]) == ["test_sample.py"]
    status = {(r.mutant.line, r.mutant.what): r.status for r in results}
    assert status.pop((14, "`>` -> `>=`")) == "survived"
    assert status.pop((15, "`1` -> `0`")) == "equivalent, but killed"
    assert set(status.values()) == {"killed"}
    total, killed, survived, equivalents, percent = mutate.score(results)
    assert (total, killed, survived, equivalents) == (13, 12, 1, 0)
    assert percent == pytest.approx(100 * 12 / 13)


def test_equivalents_are_left_out_of_the_score_and_reported(mutate, sample: Path, tmp_path: Path):
    mutants = mutate.find_mutants("sample", SAMPLE)
    survivor = by_change(mutants)[14, "`>` -> `>=`"]
    listing = tmp_path / "equivalents.txt"
    listing.write_text("# module | source line | change [#n] | reason\n"
                       + mutate.equivalent_line(survivor, "no test value is exactly 0") + "\n")
    equivalents = mutate.read_equivalents(listing)
    assert equivalents == {("sample", "if v > 0:", "`>` -> `>=`", 1): "no test value is exactly 0"}
    place = mutate.Place(root=sample, package="sample_pkg")
    results = mutate.run_mutants([survivor, by_change(mutants)[6, "`<` -> `<=`"]], ["test_sample.py"],
                                 timeout=60, jobs=1, equivalents=equivalents, place=place)
    assert [r.status for r in results] == ["equivalent", "killed"]
    assert mutate.score(results) == (2, 1, 0, 1, 100.0)
    text = mutate.report("boxes", results, stale=[])
    assert "equivalent  ssd_course/boxes.py:14: `>` -> `>=`    if v > 0:" in text
    assert "SURVIVED" not in text


def test_a_mutant_that_hangs_counts_as_killed(mutate, tmp_path: Path):
    (tmp_path / "loop_pkg").mkdir()
    (tmp_path / "loop_pkg" / "__init__.py").write_text("")
    source = "def wait(n):\n    while n > 0:\n        n -= 1\n    return n\n"
    (tmp_path / "loop_pkg" / "loop.py").write_text(source)
    (tmp_path / "test_loop.py").write_text("from loop_pkg.loop import wait\n\n\ndef test_wait():\n"
                                           "    assert wait(3) == 0\n")
    mutant = by_change(mutate.find_mutants("loop", source))[3, "`-=` -> `+=`"]  # never ends
    results = mutate.run_mutants([mutant], ["test_loop.py"], timeout=2, jobs=1, equivalents={},
                                 place=mutate.Place(root=tmp_path, package="loop_pkg"))
    assert results[0].status == "timeout"
    assert mutate.score(results)[1] == 1


def test_a_malformed_line_of_equivalents_is_an_error(mutate, tmp_path: Path):
    listing = tmp_path / "equivalents.txt"
    listing.write_text("boxes | positive = union > 0 | `>` -> `>=`\n")
    with pytest.raises(ValueError, match=r"equivalents.txt:1: expected 'module \| source line"):
        mutate.read_equivalents(listing)


def test_the_committed_equivalents_name_existing_mutants_with_a_reason(mutate):
    equivalents = mutate.read_equivalents()
    mutants = {m.key for module in mutate.TESTS for m in mutate.find_mutants(module)}
    stale = [key for key in equivalents if key not in mutants]
    assert stale == []
    assert all(len(reason) > 20 for reason in equivalents.values())


def test_every_module_has_tests_that_exist(mutate):
    for module, files in mutate.TESTS.items():
        assert (ROOT / "ssd_course" / f"{module}.py").exists()
        assert (ROOT / files[0]).exists(), files[0]


def test_help_names_the_modules(mutate, capsys):
    with pytest.raises(SystemExit):
        mutate.main(["--help"])
    out = capsys.readouterr().out
    assert all(module in out for module in ("boxes", "priors", "matching", "encoding", "loss", "detection", "checks"))
    assert "tools/mutation_equivalents.txt" in out
