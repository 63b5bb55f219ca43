"""Where the course's files are: notebooks, photographs, the trained checkpoint.

The files travel with the package, so the course runs wherever the package is installed,
whatever the working directory:

* an installed wheel holds them inside the package, in ``ssd_course/_course/``
  (``notebooks/``, ``images/``, ``checkpoints/``, ``tools/make_student_copies.py``);
* a checkout of the repository (an editable install, or ``python3 tasks.py``) keeps them
  at the repository's root, one level above the package, where they are edited.

:func:`asset_path` is the one way the package finds them; ``ssd_course.data`` uses it for
the photographs and notebook 08 for the checkpoint. This module needs nothing but the
standard library, so ``ssd-course doctor`` can use it in an environment whose PyTorch is
broken.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CHECKOUT", "COURSE_FOLDERS", "PACKAGED", "asset_path", "course_root", "is_checkout"]

PACKAGE = Path(__file__).resolve().parent
PACKAGED = PACKAGE / "_course"
"""Where a wheel holds the course's files (absent in a checkout)."""

CHECKOUT = PACKAGE.parent
"""The repository's root when the package is used from a checkout."""

COURSE_FOLDERS = ("notebooks", "images", "checkpoints")
"""The top-level folders of the course that the wheel carries (with ``tools/make_student_copies.py``)."""


def course_root() -> Path:
    """The folder that holds ``notebooks/``, ``images/`` and ``checkpoints/``.

    Returns:
        Path: ``ssd_course/_course`` in an installed wheel, else the repository's root.

    Raises:
        FileNotFoundError: if neither holds the course's notebooks (a package installed
            without its files).
    """
    if (PACKAGED / "notebooks").is_dir():
        return PACKAGED
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "notebooks").is_dir():
        return CHECKOUT
    raise FileNotFoundError(
        f"the course's files are missing: neither {PACKAGED} (an installed wheel) nor {CHECKOUT} "
        "(a checkout of the repository) holds a notebooks/ folder; reinstall the package "
        "(pip install --force-reinstall ssd-course, or from a checkout: python3 tasks.py setup)"
    )


def is_checkout() -> bool:
    """Whether the course's files are those of a repository checkout (not an installed wheel)."""
    return course_root() == CHECKOUT


def asset_path(*parts: str) -> Path:
    """The path of one of the course's files or folders, found through the package.

    Args:
        *parts (str): the path inside the course, e.g. ``"checkpoints", "tiny_detector.pt"``
            or ``"images"``.

    Returns:
        Path: an absolute path that exists.

    Raises:
        ValueError: if no part is given, or a part is absolute or climbs out with ``..``.
        FileNotFoundError: if the course has no such file, naming where it looked.

    Example:
        >>> asset_path("images", "coffee.jpg").name
        'coffee.jpg'
        >>> asset_path("checkpoints").is_dir()
        True
    """
    if not parts:
        raise ValueError("asset_path needs a path inside the course, e.g. 'checkpoints'; got nothing")
    relative = Path(*parts)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"parts must name a path inside the course; got {'/'.join(parts)!r}")
    root = course_root()
    path = root / relative
    if not path.exists():
        raise FileNotFoundError(f"{relative.as_posix()} is not among the course's files in {root}")
    return path
