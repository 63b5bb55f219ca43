"""Build hook: the wheel carries the course's files inside the package.

The repository keeps the notebooks, photographs and checkpoint at its root (``notebooks/``,
``images/``, ``checkpoints/``), where they are edited and tested. Building a wheel copies
them, with the student-copy tool, into ``ssd_course/_course/``, where
``ssd_course.assets.asset_path`` finds them once the wheel is installed. An editable install
copies nothing: ``asset_path`` finds them in the checkout. Everything else about the
package is in ``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
COURSE_FILES = ("notebooks", "images", "checkpoints", "tools/make_student_copies.py")


def _skipped(path: Path) -> bool:
    """Editor and Python leftovers that are not part of the course."""
    return any(part.startswith(".") or part == "__pycache__" for part in path.parts)


class BuildPyWithCourse(build_py):
    """``build_py`` that also copies the course's files into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "ssd_course" / "_course"
        for name in COURSE_FILES:
            source = ROOT / name
            if not source.exists():
                raise FileNotFoundError(f"{source} is missing: the wheel must carry the course's {name}")
            files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
            for path in files:
                relative = path.relative_to(ROOT)
                if _skipped(relative):
                    continue
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target / relative)


setup(cmdclass={"build_py": BuildPyWithCourse})
