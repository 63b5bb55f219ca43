"""No text of the course turns into an e-mail link by accident.

JupyterLab renders Markdown with marked, whose GitHub-flavoured autolinks make a ``mailto:``
link of anything shaped like ``name@domain.tld`` -- including ``mAP@0.5``. In prose such a
metric is written ``mAP&#64;0.5`` (the entity shows as ``@`` and links nothing) or inside
backticks. This test reads every Markdown file and every notebook's Markdown (cells and
Markdown outputs) outside code, with marked's own pattern.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".git", "node_modules", "student", "test-artifacts", "build", "dist"}
# marked's GFM e-mail autolink (marked/src/rules.ts, inline "url")
EMAIL_AUTOLINK = re.compile(r"[A-Za-z0-9._+-]+@[a-zA-Z0-9-_]+(?:\.[a-zA-Z0-9-_]*[a-zA-Z0-9])+(?![-_])")
FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
ANGLE_AUTOLINK = re.compile(r"<[^<>\s]+@[^<>\s]+>")  # an intended <mail@example.org> link


def prose(markdown: str) -> str:
    """The Markdown without fenced code blocks, code spans and intended ``<...>`` autolinks."""
    return ANGLE_AUTOLINK.sub("", CODE_SPAN.sub("", FENCE.sub("", markdown)))


def accidental_links(markdown: str) -> list[str]:
    return EMAIL_AUTOLINK.findall(prose(markdown))


def markdown_files() -> list[Path]:
    """Every .md file and notebook of the repository (not hidden folders or generated copies)."""
    found = []
    for path in sorted(ROOT.rglob("*")):
        parts = path.relative_to(ROOT).parts
        if path.suffix in (".md", ".ipynb") and not (set(parts) & SKIPPED_DIRS or any(p.startswith(".") for p in parts)):
            found.append(path)
    return found


def markdown_texts(path: Path) -> list[tuple[str, str]]:
    """(where, Markdown) of a .md file, or of a notebook's Markdown cells and Markdown outputs."""
    if path.suffix == ".md":
        return [("", path.read_text(encoding="utf-8"))]
    texts = []
    for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] == "markdown":
            texts.append((f"cell {i}", "".join(cell["source"])))
        for output in cell.get("outputs", []):
            if "text/markdown" in output.get("data", {}):
                texts.append((f"cell {i} output", "".join(output["data"]["text/markdown"])))
    return texts


def test_the_pattern_finds_what_marked_links() -> None:
    assert accidental_links("mAP@0.5 and AP@0.75 of the run") == ["mAP@0.5", "AP@0.75"]
    assert accidental_links("mAP&#64;0.5, `mAP@0.5`, <me@example.org>, a@b") == []
    assert accidental_links("```\nmAP@0.5\n```\ntext") == []


@pytest.mark.parametrize("path", markdown_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_accidental_email_links(path: Path) -> None:
    found = [(where, links) for where, markdown in markdown_texts(path) if (links := accidental_links(markdown))]
    assert not found, f"{found} would render as mailto: links; write e.g. mAP&#64;0.5 or `mAP@0.5`"
