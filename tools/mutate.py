"""Mutation testing of the package: do the tests notice when the code is changed a little?

    python tools/mutate.py [MODULE ...] [--jobs N] [--timeout S] [--list] [--line N]

For every module (``boxes``, ``priors``, ``matching``, ``encoding``, ``loss``, ``detection``,
``checks``; all of them by default) this makes every *mutant* -- the module with one small
change, such as ``<`` written ``<=`` -- runs the module's tests on it and counts the mutant
*killed* when a test fails (or the tests run past the time limit) and *survived* when they
all pass. A survivor is a change to the code that no test notices: a missing test, or a
mutant that behaves exactly like the original (an *equivalent* mutant). Equivalents are
listed, with the reason, in ``tools/mutation_equivalents.txt``; they are printed as such and
left out of the score, ``killed / (mutants - equivalents)``.

The mutations, one at a time:

* comparisons ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``is`` <-> ``is not``,
  ``in`` <-> ``not in``;
* arithmetic ``+`` <-> ``-``, ``*`` <-> ``/``, ``//`` -> ``/``, also in ``+=`` and the like;
  a unary minus removed; ``and`` <-> ``or``;
* numbers: an integer ``n`` -> ``n + 1`` (``1`` -> ``0``), a float ``x`` -> ``2 x``
  (``0.0`` -> ``1.0``); ``True`` <-> ``False``; the same for the default value of an argument;
* statements: a ``raise`` removed, an ``if`` condition negated, an ``if`` branch removed (its
  condition made ``False``), ``continue`` <-> ``break``.

Not mutated: strings and f-strings (messages), annotations, docstrings, and tables of data: a
list or tuple literal of constants only with two or more numbers or booleans, or the positional
arguments of a call when they are constants only and three or more are numbers (the hand-made
cases of the checks, ``_vec(0.2, 0.3, 0.6, 0.9)``; the scales of SSD300) -- except in default
arguments, which are mutated.

How a mutant runs: the tool imports pytest, torch and the other heavy libraries once, then
forks one child per mutant; the child installs an import hook that compiles the mutated tree
of the module instead of its file, and runs pytest ``-x -q -p no:cacheprovider`` on the
module's test files (see ``TESTS``) with hypothesis derandomised. A child that runs past
``--timeout`` is stopped and the mutant counted killed. The unmutated module must pass the same
tests first; that run is traced, and each mutant then runs only the tests that ran its
statement (all of them for a statement run at import; none, and it survives, for a statement
no test runs). ``--all-tests`` runs every test file on every mutant instead. Linux and macOS
(it needs ``os.fork``).
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib.abc
import importlib.metadata
import importlib.util
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "ssd_course"
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.txt"

# The tests that state each module's behaviour; files that do not exist are skipped. The
# module's own doctests run first (they are quick).
TESTS = {
    "boxes": ["tests/test_boxes.py", "tests/test_validation.py"],
    "priors": ["tests/test_priors.py", "tests/test_validation.py"],
    "matching": ["tests/test_matching.py", "tests/test_exact_matching_loss.py", "tests/test_validation.py"],
    "encoding": ["tests/test_encoding.py", "tests/test_bounds.py", "tests/test_validation.py", "tests/test_detection.py"],
    "loss": ["tests/test_loss.py", "tests/test_exact_matching_loss.py", "tests/test_defaults.py", "tests/test_bounds.py",
             "tests/test_validation.py", "tests/test_distributed.py"],
    "detection": ["tests/test_detection.py", "tests/test_detection_exact.py"],
    "checks": ["tests/test_wrong_learners.py", "tests/test_checks.py", "tests/test_fix_checks.py",
               "tests/test_check_machinery.py", "tests/test_check_cases.py", "tests/test_checks_zh.py"],
}

_COMPARE_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
                 ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
_BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
           ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
           ast.Div: "/", ast.FloorDiv: "//", ast.And: "and", ast.Or: "or"}


@dataclass(frozen=True)
class Mutant:
    """One small change to a module.

    Attributes:
        module: the module's name, e.g. ``"boxes"``.
        node: the index of the changed node in ``ast.walk`` order of the parsed module.
        kind: which change (``"compare"``, ``"binop"``, ``"number"``...); see :func:`_apply`.
        line: the line of the change.
        col: its column.
        what: the change in words, e.g. ``"`>` -> `>=`"``.
        source: the source line, stripped.
        nth: 1 for the first mutant with this ``(source, what)`` in the module, 2 for the next...
        lines: the first and last line of the statement that holds the change (of the header of
            a compound statement): the tests that run any of them are the tests of the mutant.
    """

    module: str
    node: int
    kind: str
    line: int
    col: int
    what: str
    source: str
    nth: int = 1
    lines: tuple[int, int] = (0, 0)

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What identifies the mutant in the list of equivalents (line numbers move, text less so)."""
        return (self.module, self.source, self.what, self.nth)


def _number_change(value: object) -> object | None:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return 0 if value == 1 else value + 1
    if isinstance(value, float):
        return 1.0 if value == 0.0 else value * 2
    return None


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """ids of nodes that are never mutated: annotations, strings, data tables (see the module docstring)."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(n) for n in ast.walk(node))

    defaults: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for d in [*node.args.defaults, *node.args.kw_defaults]:
                if d is not None:
                    defaults.update(id(n) for n in ast.walk(d))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip(node.returns)
        if isinstance(node, ast.arg):
            skip(node.annotation)
        elif isinstance(node, ast.AnnAssign):
            skip(node.annotation)
        elif isinstance(node, ast.JoinedStr):
            skip(node)
    def constant(e: ast.AST) -> bool:
        return isinstance(e, ast.Constant) or isinstance(e, ast.UnaryOp) and isinstance(e.operand, ast.Constant)

    for node in ast.walk(tree):
        if id(node) in defaults:
            continue
        if isinstance(node, (ast.List, ast.Tuple)):
            values, least = node.elts, 2
        elif isinstance(node, ast.Call):
            values, least = node.args, 3
        else:
            continue
        numbers = [e for e in values if constant(e) and not isinstance(getattr(e, "value", None), str)]
        if len(numbers) >= least and all(constant(e) for e in values):
            skipped.update(id(n) for e in values for n in ast.walk(e))
    return skipped


def _describe(node: ast.AST, kind: str) -> str | None:
    """The change ``kind`` makes to ``node`` in words, or None if it does not apply."""
    if kind == "compare":
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE_SWAP:
            op = type(node.ops[0])
            return f"`{_SYMBOL[op]}` -> `{_SYMBOL[_COMPARE_SWAP[op]]}`"
    elif kind == "binop":
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP_SWAP:
            op = type(node.op)
            eq = "=" if isinstance(node, ast.AugAssign) else ""
            return f"`{_SYMBOL[op]}{eq}` -> `{_SYMBOL[_BINOP_SWAP[op]]}{eq}`"
    elif kind == "boolop":
        if isinstance(node, ast.BoolOp):
            op = type(node.op)
            return f"`{_SYMBOL[op]}` -> `{'or' if op is ast.And else 'and'}`"
    elif kind == "neg":
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return "unary `-` removed"
    elif kind == "number":
        if isinstance(node, ast.Constant) and not isinstance(node.value, str):
            new = _number_change(node.value)
            if new is not None:
                return f"`{node.value!r}` -> `{new!r}`"
    elif kind == "raise":
        if isinstance(node, ast.Raise):
            return "`raise` removed"
    elif kind == "negate_if":
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            return "condition negated"
    elif kind == "drop_if":
        if isinstance(node, ast.If) and not (len(node.body) == 1 and isinstance(node.body[0], ast.Raise)):
            return "`if` branch removed"
    elif kind == "loop_jump":
        if isinstance(node, ast.Continue):
            return "`continue` -> `break`"
        if isinstance(node, ast.Break):
            return "`break` -> `continue`"
    return None


KINDS = ("compare", "binop", "boolop", "neg", "number", "raise", "negate_if", "drop_if", "loop_jump")


def _apply(node: ast.AST, kind: str) -> ast.AST:
    """Make the change ``kind`` to ``node`` in place; returns the node that replaces it."""
    if kind == "compare":
        node.ops = [_COMPARE_SWAP[type(node.ops[0])]()]
    elif kind == "binop":
        node.op = _BINOP_SWAP[type(node.op)]()
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "neg":
        return node.operand
    elif kind == "number":
        node.value = _number_change(node.value)
    elif kind == "raise":
        return ast.copy_location(ast.Pass(), node)
    elif kind == "negate_if":
        node.test = ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=node.test), node.test)
    elif kind == "drop_if":
        node.test = ast.copy_location(ast.Constant(value=False), node.test)
    elif kind == "loop_jump":
        return ast.copy_location(ast.Break() if isinstance(node, ast.Continue) else ast.Continue(), node)
    return node


def module_path(module: str, root: Path = ROOT, package: str = PACKAGE) -> Path:
    return root / package / f"{module}.py"


def find_mutants(module: str, source: str | None = None) -> list[Mutant]:
    """Every mutant of ``ssd_course/<module>.py`` (or of ``source``), in the order of the file."""
    source = module_path(module).read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(source)
    lines = source.splitlines()
    skipped = _skipped_nodes(tree)
    docstrings = {id(body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  for body in [n.body] if body and isinstance(body[0], ast.Expr)}
    statement: dict[int, tuple[int, int]] = {}  # id(node) -> lines of its innermost statement

    def visit(node: ast.AST, lines_of: tuple[int, int]) -> None:
        if isinstance(node, ast.stmt):
            body = getattr(node, "body", None)
            last = body[0].lineno - 1 if isinstance(body, list) and body and isinstance(body[0], ast.stmt) \
                else node.end_lineno
            lines_of = (node.lineno, max(node.lineno, last))
        statement[id(node)] = lines_of
        for child in ast.iter_child_nodes(node):
            visit(child, lines_of)

    visit(tree, (0, 0))
    found = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skipped or id(node) in docstrings:
            continue
        for kind in KINDS:
            what = _describe(node, kind)
            if what is not None:
                text = lines[node.lineno - 1].strip()
                found.append(Mutant(module, index, kind, node.lineno, node.col_offset, what, text,
                                    lines=statement[id(node)]))
    found.sort(key=lambda m: (m.line, m.col, KINDS.index(m.kind)))
    seen: dict[tuple[str, str], int] = {}
    numbered = []
    for m in found:
        seen[m.source, m.what] = seen.get((m.source, m.what), 0) + 1
        numbered.append(Mutant(m.module, m.node, m.kind, m.line, m.col, m.what, m.source, seen[m.source, m.what],
                               m.lines))
    return numbered


class _Replacer(ast.NodeTransformer):
    def __init__(self, target: ast.AST, kind: str) -> None:
        self.target, self.kind = target, kind

    def visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return _apply(node, self.kind)
        return self.generic_visit(node)


def mutated_tree(mutant: Mutant, source: str) -> ast.Module:
    """The tree of ``source`` with the one change of ``mutant`` (line numbers as in the file)."""
    tree = ast.parse(source)
    target = next(node for index, node in enumerate(ast.walk(tree)) if index == mutant.node)
    tree = _Replacer(target, mutant.kind).visit(tree)
    return ast.fix_missing_locations(tree)


# ---------------------------------------------------------------------------------------------
# Equivalent mutants


@dataclass(frozen=True)
class Equivalent:
    key: tuple[str, str, str, int]
    reason: str


def read_equivalents(path: Path = EQUIVALENTS) -> dict[tuple[str, str, str, int], str]:
    """The committed list: one mutant a line, ``module | source line | change [#n] | reason``."""
    found = {}
    if not path.exists():
        return found
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) != 4 or not parts[3]:
            raise ValueError(f"{path.name}:{number}: expected 'module | source line | change [#n] | reason'; "
                             f"got {line!r}")
        module, source, what, reason = parts
        nth = 1
        if what.endswith("]") and " [#" in what:
            what, _, n = what.rpartition(" [#")
            nth = int(n[:-1])
        found[module, source, what, nth] = reason
    return found


def equivalent_line(mutant: Mutant, reason: str = "WHY") -> str:
    """The line of ``tools/mutation_equivalents.txt`` that names ``mutant``."""
    nth = f" [#{mutant.nth}]" if mutant.nth > 1 else ""
    return f"{mutant.module} | {mutant.source} | {mutant.what}{nth} | {reason}"


# ---------------------------------------------------------------------------------------------
# Running the tests on a mutant


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``ssd_course.<module>`` from a mutated tree instead of its file."""

    def __init__(self, name: str, path: Path, code: object) -> None:
        self.name, self.path, self.code = name, path, code

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=str(self.path))

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = str(self.path)
        exec(self.code, module.__dict__)


def test_files(module: str) -> list[str]:
    """The module's doctests and the test files of ``TESTS`` that exist."""
    return [f"{PACKAGE}/{module}.py", *(f for f in TESTS.get(module, []) if (ROOT / f).exists())]


@dataclass(frozen=True)
class Place:
    """Where the package lives: ``root/package/<module>.py``; the tests run in ``root``."""

    root: Path = ROOT
    package: str = PACKAGE


class _LineTracer:
    """A pytest plugin that records which lines of one file each test runs ("" for outside any test)."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.current = ""
        self.lines: dict[str, set[int]] = {}

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename == self.filename:
            self.lines.setdefault(self.current, set()).add(frame.f_lineno)
            return self._local
        return None

    def _local(self, frame, event, arg):
        if event == "line":
            self.lines.setdefault(self.current, set()).add(frame.f_lineno)
        return self._local

    def start(self) -> None:
        sys.settrace(self._global)

    def pytest_runtest_logstart(self, nodeid, location):
        self.current = nodeid
        self.lines.setdefault(nodeid, set())

    def pytest_runtest_logfinish(self, nodeid, location):
        self.current = ""


def _child(module: str, tree: ast.Module | None, files: list[str], timeout: float, quiet: bool,
           place: Place, trace_to: Path | None = None) -> None:
    """In the forked child: install the mutant, run pytest, exit with its status.

    With ``trace_to``, the lines of the module run by each test are written there (JSON).
    """
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(max(1, int(timeout)))
    if quiet:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    os.environ["CI"] = "1"  # tests/conftest.py: hypothesis draws the same examples every run
    os.chdir(place.root)
    sys.path.insert(0, str(place.root))
    for name in [n for n in sys.modules if n == place.package or n.startswith(place.package + ".")]:
        del sys.modules[name]
    if tree is not None:
        path = module_path(module, place.root, place.package)
        sys.meta_path.insert(0, _MutantFinder(f"{place.package}.{module}", path, compile(tree, str(path), "exec")))
        # imported now, before pytest puts its assertion-rewriting importer first: pytest then
        # finds the mutant in sys.modules (a module that fails to import is a killed mutant)
        importlib.import_module(f"{place.package}.{module}")
    import pytest

    plugins = []
    if trace_to is not None:
        tracer = _LineTracer(str(module_path(module, place.root, place.package)))
        plugins.append(tracer)
        tracer.start()
    code = pytest.main([*files, "-x", "-q", "-p", "no:cacheprovider", "--no-header", "-W", "ignore"], plugins=plugins)
    if trace_to is not None:
        sys.settrace(None)
        trace_to.write_text(json.dumps({k: sorted(v) for k, v in tracer.lines.items()}))
    sys.stdout.flush()
    os._exit(int(code))


def _start(module: str, tree: ast.Module | None, files: list[str], timeout: float, quiet: bool = True,
           place: Place = Place(), trace_to: Path | None = None) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            _child(module, tree, files, timeout, quiet, place, trace_to)
        finally:
            os._exit(99)
    return pid


def _preload() -> None:
    """Import the heavy libraries once, in the parent, so that every forked child has them."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    import hypothesis  # noqa: F401
    import matplotlib  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import torch  # noqa: F401

    for plugin in importlib.metadata.entry_points(group="pytest11"):  # nbval, hypothesis...: seconds each
        try:
            plugin.load()
        except Exception:  # a broken plugin: pytest says so in the baseline run
            pass


@dataclass
class Result:
    mutant: Mutant
    status: str  # "killed", "timeout", "survived", "equivalent", "equivalent, but killed"
    seconds: float


def run_mutants(mutants: list[Mutant], files: list[str], timeout: float, jobs: int,
                equivalents: dict, progress=None, place: Place = Place(),
                coverage: dict[str, list[int]] | None = None) -> list[Result]:
    """Run the tests on every mutant, ``jobs`` at a time; the results in the order of ``mutants``.

    ``files`` are the test files (or folders, or doctest modules) given to pytest, relative to
    ``place.root``. With ``coverage`` (from :func:`baseline`), a mutant runs only the tests
    that run its statement in the unmutated module (all of them for a statement run outside any
    test, at import); a mutant whose statement no test runs survives without running anything.
    """
    sources = {m.module: module_path(m.module, place.root, place.package).read_text(encoding="utf-8")
               for m in mutants}
    pending = list(enumerate(mutants))
    running: dict[int, tuple[int, Mutant, float]] = {}
    results: dict[int, Result] = {}
    while pending or running:
        while pending and len(running) < jobs:
            i, m = pending.pop(0)
            selected = files if coverage is None else tests_of(m, coverage, files)
            if not selected:
                results[i] = Result(m, "equivalent" if m.key in equivalents else "survived", 0.0)
                if progress is not None:
                    progress(len(results), len(mutants), results[i])
                continue
            tree = mutated_tree(m, sources[m.module])
            running[_start(m.module, tree, selected, timeout, place=place)] = (i, m, time.monotonic())
        if not running:
            continue
        pid, status = os.wait()
        if pid not in running:
            continue
        i, m, started = running.pop(pid)
        seconds = time.monotonic() - started
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
            outcome = "timeout"
        elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            outcome = "survived"
        else:
            outcome = "killed"
        if m.key in equivalents:
            outcome = "equivalent" if outcome == "survived" else "equivalent, but killed"
        results[i] = Result(m, outcome, seconds)
        if progress is not None:
            progress(len(results), len(mutants), results[i])
    return [results[i] for i in range(len(mutants))]


def tests_of(mutant: Mutant, coverage: dict[str, list[int]], files: list[str]) -> list[str]:
    """The tests (pytest node ids, in the order they ran) that run the statement of ``mutant``."""
    first, last = mutant.lines
    runs = [nodeid for nodeid, lines in coverage.items() if any(first <= n <= last for n in lines)]
    if "" in runs:  # run at import or collection: every test may depend on it
        return files
    return runs


def baseline(module: str, files: list[str], timeout: float = 1800, quiet: bool = False,
             place: Place = Place(), trace: bool = False) -> tuple[float, dict[str, list[int]] | None] | None:
    """Run the tests on the unmutated module: (seconds, the lines each test runs if ``trace``), or
    None if they fail."""
    import tempfile

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        trace_to = Path(folder) / "lines.json" if trace else None
        pid = _start(module, None, files, timeout, quiet=quiet, place=place, trace_to=trace_to)
        _, status = os.waitpid(pid, 0)
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            return None
        coverage = json.loads(trace_to.read_text()) if trace else None
    return time.monotonic() - started, coverage


def score(results: list[Result]) -> tuple[int, int, int, int, float]:
    """(mutants, killed, survived, equivalents, killed / (mutants - equivalents) in %)."""
    equivalent = sum(r.status == "equivalent" for r in results)
    survived = sum(r.status == "survived" for r in results)
    killed = len(results) - equivalent - survived
    scored = len(results) - equivalent
    return len(results), killed, survived, equivalent, (100.0 * killed / scored if scored else 100.0)


def report(module: str, results: list[Result], stale: list[tuple]) -> str:
    total, killed, survived, equivalent, percent = score(results)
    out = [f"{module}: {percent:.1f} % killed -- {total} mutants, {killed} killed, {survived} survived, "
           f"{equivalent} equivalent"]
    rel = module_path(module).relative_to(ROOT)
    for r in results:
        if r.status == "survived":
            out.append(f"  SURVIVED    {rel}:{r.mutant.line}: {r.mutant.what}    {r.mutant.source}")
    for r in results:
        if r.status == "equivalent":
            out.append(f"  equivalent  {rel}:{r.mutant.line}: {r.mutant.what}    {r.mutant.source}")
        elif r.status == "equivalent, but killed":
            out.append(f"  NOT EQUIVALENT (a test kills it; remove it from {EQUIVALENTS.name})  {rel}:"
                       f"{r.mutant.line}: {r.mutant.what}    {r.mutant.source}")
    for key in stale:
        out.append(f"  STALE       {EQUIVALENTS.name} names a mutant that no longer exists: {' | '.join(map(str, key))}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mutate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"default: all of {', '.join(TESTS)}")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="mutants run at once")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per mutant (default: 3 x the unmutated run + 10)")
    parser.add_argument("--list", action="store_true", help="only list the mutants, run nothing")
    parser.add_argument("--all-tests", action="store_true",
                        help="run all the module's tests on every mutant (default: only the tests that run the "
                             "mutated statement, found by tracing the unmutated run)")
    parser.add_argument("--line", type=int, action="append", help="only the mutants on this line (repeatable)")
    parser.add_argument("--lines", metavar="FIRST-LAST", action="append",
                        help="only the mutants on these lines, e.g. 800-1000 (repeatable)")
    parser.add_argument("--survivors-as-equivalents", action="store_true",
                        help="print the survivors as lines for the list of equivalents (to fill in the reason)")
    args = parser.parse_args(argv)
    modules = args.modules or list(TESTS)
    unknown = [m for m in modules if m not in TESTS]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(TESTS)}")
    if not hasattr(os, "fork"):
        parser.error("needs os.fork (Linux or macOS)")
    equivalents = read_equivalents()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    if not args.list:
        _preload()
    summary = []
    for module in modules:
        mutants = find_mutants(module)
        if args.line or args.lines:
            ranges = [tuple(int(n) for n in r.split("-")) for r in args.lines or []]
            mutants = [m for m in mutants if m.line in (args.line or [])
                       or any(first <= m.line <= last for first, last in ranges)]
        if args.list:
            for m in mutants:
                print(f"{module_path(module).relative_to(ROOT)}:{m.line}:{m.col}: {m.what}    {m.source}")
            continue
        files = test_files(module)
        found = baseline(module, files, trace=not args.all_tests)
        if found is None:
            sys.exit(f"mutate: the tests of {module} fail without any mutation ({' '.join(files)}); fix them first")
        seconds, coverage = found
        timeout = args.timeout or 3 * seconds + 10
        print(f"{module}: {len(mutants)} mutants; tests {' '.join(files)} take {seconds:.1f} s unmutated; "
              f"{args.jobs} at a time, {timeout:.0f} s each at most", flush=True)
        started = time.monotonic()

        def progress(done: int, total: int, result: Result) -> None:
            if result.status == "survived":
                print(f"  survived: {module_path(module).relative_to(ROOT)}:{result.mutant.line}: {result.mutant.what}"
                      f"    {result.mutant.source}", flush=True)
            if done % 25 == 0 or done == total:
                print(f"  {done}/{total} ({time.monotonic() - started:.0f} s)", flush=True)

        results = run_mutants(mutants, files, timeout, args.jobs, equivalents, progress, coverage=coverage)
        keys = {m.key for m in find_mutants(module)}
        stale = [k for k in equivalents if k[0] == module and k not in keys] if not (args.line or args.lines) else []
        text = report(module, results, stale)
        print(text, flush=True)
        if args.survivors_as_equivalents:
            for r in results:
                if r.status == "survived":
                    print(equivalent_line(r.mutant))
        summary.append((module, *score(results)))
    if summary:
        print("\nmodule      mutants  killed  survived  equivalent  score")
        for module, total, killed, survived, equivalent, percent in summary:
            print(f"{module:<11} {total:>7} {killed:>7} {survived:>9} {equivalent:>11}  {percent:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
