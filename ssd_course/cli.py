"""The ``ssd-course`` command: the course wherever the package is installed.

    ssd-course lab [DIR] [JUPYTERLAB OPTIONS]   write the course into DIR (default ./ssd-course), open it
    ssd-course student [DIR] [--force]          write student copies (solutions removed) into DIR/student/
    ssd-course doctor [DIR]                     check the set-up, one line per check, with the fix

``lab`` writes the notebooks and the glossary into ``DIR/notebooks/`` when they are not
there yet, and never overwrites a notebook the learner has changed: a notebook it wrote
earlier and nobody changed since is brought up to date with the installed package; one that
was changed is kept, and the command says so. It then opens ``notebooks/00_overview.ipynb``
in JupyterLab with ``DIR`` as the Lab's root, passing ``--allow-root`` when run as root (as
in most containers). Options it does not know go to JupyterLab; give them as
``--name=value`` (``--port=8889``, ``--no-browser``).

The photographs and the trained checkpoint stay inside the package; the notebooks find them
through it (:func:`ssd_course.data.asset_path`), so a course folder can be anywhere.

This module imports nothing outside the standard library at its top: ``tasks.py`` loads it
with the system's Python to open a checkout in JupyterLab the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple, NoReturn

__all__ = ["CourseWrite", "DEFAULT_DIR", "CourseFolderError", "jupyter_lab_command", "main", "open_lab", "write_course"]

DEFAULT_DIR = Path("ssd-course")
FIRST_NOTEBOOK = "notebooks/00_overview.ipynb"
MANIFEST = ".ssd-course.json"
"""What ``lab`` wrote into a course folder, and the hash of each file, to tell a learner's changes apart."""


class CourseFolderError(Exception):
    """A course folder that cannot be used; the message is one line for the learner."""


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the problem, and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------------------------------------
# JupyterLab


def running_as_root() -> bool:
    """Whether this process runs as root (always False where there are no user ids)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def jupyter_lab_command(python: str | os.PathLike, root: Path, notebook: str, extra: Sequence[str] = ()) -> list[str]:
    """The command that opens ``notebook`` in JupyterLab with ``root`` as the Lab's root.

    As root JupyterLab refuses to start unless given ``--allow-root``; it is added (and a line
    says so) unless the options already allow it.

    Args:
        python (str | os.PathLike): the Python of the environment that has JupyterLab.
        root (Path): the folder the Lab shows.
        notebook (str): the notebook to open, relative to ``root``.
        extra (Sequence[str]): more options for JupyterLab.

    Returns:
        list[str]: the command.
    """
    command = [str(python), "-m", "jupyterlab", f"--ServerApp.root_dir={root}", notebook, *extra]
    allowed = any(option == "--allow-root" or option.startswith("--ServerApp.allow_root") for option in extra)
    if running_as_root() and not allowed:
        print("running as root (as in most containers): passing --allow-root to JupyterLab", flush=True)
        command.append("--allow-root")
    return command


def open_lab(python: str | os.PathLike, root: Path, notebook: str, extra: Sequence[str] = ()) -> NoReturn:
    """Replace this process with JupyterLab opening ``notebook`` in ``root`` (see :func:`jupyter_lab_command`)."""
    command = jupyter_lab_command(python, root, notebook, extra)
    os.chdir(root)
    sys.stdout.flush()
    if os.name == "posix":
        os.execv(command[0], command)
    sys.exit(subprocess.call(command))


# ---------------------------------------------------------------------------------------------
# Writing the course into a folder


class CourseWrite(NamedTuple):
    """What :func:`write_course` did, as paths relative to the course folder.

    Attributes:
        written (list[str]): files that were not there.
        updated (list[str]): files written by an earlier version and not changed since, now current.
        kept (list[str]): files that differ from the course's and were changed by the learner: left alone.
        current (list[str]): files already identical to the course's.
    """

    written: list[str]
    updated: list[str]
    kept: list[str]
    current: list[str]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def usable_folder(folder: Path, what: str = "DIR") -> Path:
    """Check that ``folder`` is, or can become, a folder this user can write to; return it absolute.

    Raises:
        CourseFolderError: if it is a file, lies under a file, or cannot be written to.
    """
    folder = folder.expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise CourseFolderError(f"{what} must be a folder; {folder} is a file")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise CourseFolderError(f"{what} cannot be created: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "" if existing == folder else f" (it would be created in {existing})"
        raise CourseFolderError(f"{what} {folder} is read-only for you{where}: your work could not be saved there; "
                       "choose a folder you can write to")
    return folder


def _course_files() -> dict[str, bytes]:
    """The files ``lab`` writes: everything in the course's notebooks/ folder, by relative path."""
    from ssd_course.assets import asset_path

    source = asset_path("notebooks")
    files = {}
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            files[f"notebooks/{relative.as_posix()}"] = path.read_bytes()
    return files


def _read_manifest(folder: Path) -> dict[str, str]:
    try:
        recorded = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def write_course(folder: Path, files: dict[str, bytes] | None = None) -> CourseWrite:
    """Write the course's notebooks and glossary into ``folder/notebooks/``, keeping a learner's changes.

    A file that is missing is written; one identical to the course's is left as it is; one
    that differs is replaced only if it is exactly what an earlier ``lab`` wrote (recorded in
    ``folder/.ssd-course.json``), else it is the learner's and is kept. Every file is first
    written to a temporary name beside its target, then all are renamed into place; if a
    write fails, the temporary files and the folders made are removed again, so nothing is
    left half-written.

    Args:
        folder (Path): the course folder (created if needed).
        files (dict[str, bytes] | None): the files to write by relative path; default the
            course's ``notebooks/`` folder.

    Returns:
        CourseWrite: what was written, updated, kept, and already current.

    Raises:
        CourseFolderError: if ``folder`` is a file or read-only, or a write fails (with its reason).
    """
    folder = usable_folder(folder)
    files = _course_files() if files is None else files
    recorded = _read_manifest(folder)
    written, updated, kept, current = [], [], [], []
    for relative, data in files.items():
        target = folder / relative
        if target.is_dir():
            raise CourseFolderError(f"{target} is a folder where the course has a file; rename it and run again")
        if not target.exists():
            written.append(relative)
            continue
        existing = target.read_bytes()
        if existing == data:
            current.append(relative)
        elif recorded.get(relative) == _sha256(existing):
            updated.append(relative)
        else:
            kept.append(relative)

    manifest = {relative: _sha256(files[relative]) for relative in written + updated + current}
    manifest.update({relative: recorded[relative] for relative in kept if relative in recorded})
    contents = {folder / relative: files[relative] for relative in written + updated}
    if contents or manifest != recorded:
        from ssd_course import __version__

        text = json.dumps({"package": "ssd-course", "version": __version__, "files": manifest}, indent=1) + "\n"
        contents[folder / MANIFEST] = text.encode("utf-8")

    # 1. every file to a temporary name beside its target, 2. all of them renamed into place
    folders: list[Path] = []  # made here
    pending: list[tuple[Path, Path]] = []  # (temporary, target)
    try:
        for target, data in contents.items():
            for parent in reversed(target.parents):
                if not parent.exists():
                    parent.mkdir()
                    folders.append(parent)
            pending.append((target.with_name(f".{target.name}.tmp"), target))
            pending[-1][0].write_bytes(data)
    except OSError as error:
        for temporary, _ in pending:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):  # the one that failed may not exist
                temporary.unlink()
        for made in reversed(folders):
            made.rmdir()
        raise CourseFolderError(f"could not write the course into {folder} ({error.strerror or error}); nothing was "
                       "written") from error
    for temporary, target in pending:
        os.replace(temporary, target)
    return CourseWrite(written, updated, kept, current)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _names(paths: Sequence[str]) -> str:
    shown = ", ".join(Path(path).name for path in paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def describe(result: CourseWrite, folder: Path) -> list[str]:
    """The lines ``lab`` prints about what :func:`write_course` did."""
    lines = []
    notebooks = [path for path in result.written if path.endswith(".ipynb")]
    if result.written:
        lines.append(f"wrote the course into {folder}: {_count(len(notebooks), 'notebook')} and "
                     f"{_count(len(result.written) - len(notebooks), 'other file')} in notebooks/")
    if result.updated:
        lines.append(f"brought {_count(len(result.updated), 'file')} you had not changed up to date: "
                     f"{_names(result.updated)}")
    if result.kept:
        lines.append(f"kept {_count(len(result.kept), 'file')} you changed: {_names(result.kept)} (to get the "
                     "installed course's version of one, rename yours and run again)")
    if not (result.written or result.updated):
        lines.append(f"the course is already in {folder}")
    return lines


# ---------------------------------------------------------------------------------------------
# The commands


def lab(folder: Path, extra: Sequence[str]) -> NoReturn:
    folder = folder.expanduser().absolute()
    for line in describe(write_course(folder), folder):
        print(line, flush=True)
    print(f"opening {FIRST_NOTEBOOK} in JupyterLab (Ctrl-C to stop it)", flush=True)
    open_lab(sys.executable, folder, FIRST_NOTEBOOK, extra)


def student(folder: Path, force: bool) -> int:
    """Write the student copies of the installed course's notebooks into ``folder/student/``."""
    import importlib.util

    from ssd_course.assets import asset_path

    folder = usable_folder(folder)
    spec = importlib.util.spec_from_file_location("make_student_copies", asset_path("tools", "make_student_copies.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool.main(["--out", str(folder / "student"), *(["--force"] if force else [])])


def doctor(folder: Path | None) -> int:
    from ssd_course import doctor as checks

    if folder is None and (DEFAULT_DIR / MANIFEST).is_file():
        folder = DEFAULT_DIR
    if folder is not None:
        folder = folder.expanduser().absolute()
        if not folder.is_dir():
            raise CourseFolderError(f"DIR must be a course folder written by `ssd-course lab`; {folder} is "
                           f"{'a file' if folder.exists() else 'not there'}")
    return checks.report(checks.run_checks(folder))


def parser() -> OneLineParser:
    from ssd_course import __version__

    described = __doc__.split("\n\n", 1)[1].split("\n\nThis module")[0]  # the docstring without its first and last parts
    main_parser = OneLineParser(prog="ssd-course", description="The SSD course, wherever this package is installed.",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=re.sub(r":\w+:`([^`]+)`", r"\1", described).replace("``", ""))
    main_parser.add_argument("--version", action="version", version=f"ssd-course {__version__}")
    commands = main_parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    commands.required = True
    lab_parser = commands.add_parser("lab", help="write the course into DIR (if needed) and open it in JupyterLab")
    lab_parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR, metavar="DIR",
                            help=f"the course folder (default: ./{DEFAULT_DIR}); other options go to JupyterLab")
    student_parser = commands.add_parser("student", help="write student copies (solutions removed) into DIR/student/")
    student_parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR, metavar="DIR",
                                help=f"the course folder (default: ./{DEFAULT_DIR})")
    student_parser.add_argument("--force", action="store_true", help="overwrite copies that were changed")
    doctor_parser = commands.add_parser("doctor", help="check the set-up: one line per check, with the fix")
    doctor_parser.add_argument("dir", nargs="?", type=Path, default=None, metavar="DIR",
                               help=f"a course folder whose notebooks to check too (default: ./{DEFAULT_DIR} if "
                                    "`ssd-course lab` wrote it)")
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ssd-course``; return its exit code (``lab`` does not return: it becomes JupyterLab)."""
    main_parser = parser()
    args, extra = main_parser.parse_known_args(argv)
    if extra and args.command != "lab":
        main_parser.error(f"unrecognised arguments for {args.command}: {' '.join(extra)}")
    try:
        if args.command == "lab":
            lab(args.dir, extra)
        if args.command == "student":
            return student(args.dir, args.force)
        return doctor(args.dir)
    except CourseFolderError as error:
        print(f"ssd-course: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
