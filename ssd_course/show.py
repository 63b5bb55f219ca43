"""Show the package's own source code in a notebook.

``show.source(boxes.box_iou)`` displays the function's code, highlighted by JupyterLab's
Markdown renderer. The output is the source text itself (as Markdown and as plain text),
not HTML made by a highlighter, so a notebook that shows code compares equal under nbval
on any machine whatever its Pygments or IPython version.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["Source", "source"]


class Source:
    """Source code that displays as a highlighted Python block.

    Attributes:
        text (str): the code.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.text}\n```"

    def __repr__(self) -> str:
        return self.text


def source(*objects: Any, start: str | None = None, stop: str | None = None) -> Source:
    """The source of one or more functions or classes, optionally only a slice of it.

    Args:
        *objects: the functions, classes or modules to show, one after the other.
        start (str | None): show from the first line containing this text (inclusive).
        stop (str | None): show up to the first line after ``start`` containing this text
            (exclusive).

    Returns:
        Source: displays as a Python code block.

    Raises:
        ValueError: if ``start`` or ``stop`` is not found.

    Example:
        >>> from ssd_course import boxes
        >>> print(repr(source(boxes.box_area, start="return")))
            return (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(min=0)
    """
    if not objects:
        raise ValueError("source needs at least one function, class or module to show; got none")
    text = "\n\n".join(inspect.getsource(obj).rstrip("\n") for obj in objects)
    lines = text.split("\n")
    first, last = 0, len(lines)
    if start is not None:
        found = [i for i, line in enumerate(lines) if start in line]
        if not found:
            raise ValueError(f"start must be text found in the source; got {start!r}")
        first = found[0]
    if stop is not None:
        found = [i for i, line in enumerate(lines) if stop in line and i > first]
        if not found:
            raise ValueError(f"stop must be text found in the source after start; got {stop!r}")
        last = found[0]
    return Source("\n".join(lines[first:last]).rstrip("\n"))
