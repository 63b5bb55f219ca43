"""Build the course website: static HTML of every notebook, from their committed outputs.

    python3 tasks.py site                                   # -> build/site/index.html
    .venv/bin/python tools/build_site.py --out DIR [--repo-url URL] [--ref REF] [--root DIR]

Nothing is executed and nothing is downloaded. The pages are the notebooks as committed, with
their outputs: markdown through nbconvert's maths-aware parser (mistune), code highlighted by
Pygments here, maths typeset in the browser by the copy of KaTeX in ``tools/site/vendor``,
figures as PNGs of at most 256 colours (``site_explorers.compact_png``: a third of the bytes
for a phone, the same to the eye).
Each interactive explorer becomes a static one whose pictures and counts the package itself
computes for a fixed grid of settings (``site_explorers.py``). The search index is built
here too, so the site works offline, even opened straight from the disk.

Pages link to the notebooks in the repository: with ``--repo-url`` (the GitHub Pages
workflow gives it) to ``URL/blob/REF/notebooks/...``; without it by a relative path from the
output folder to the repository, which works when the site is opened from its clone.

When ``notebooks/zh/`` holds notebooks (the Chinese edition: ``notebooks/zh/NN_name.ipynb``,
``notebooks/zh/GLOSSARY.md``, ``docs/instructors.zh-CN.md``), it is built into ``zh/`` and
every page of both editions gets a language switch.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import io
import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
import mistune
from nbconvert.filters.markdown_mistune import MISTUNE_V3, MarkdownWithMath
from PIL import Image
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

sys.path.insert(0, str(Path(__file__).resolve().parent))
import site_explorers  # noqa: E402  (next to this file)

ROOT = Path(__file__).resolve().parent.parent
SOURCES = Path(__file__).resolve().parent / "site"
DEFAULT_OUT = ROOT / "build" / "site"
MARKER = ".ssd-course-site"  # marks an output folder as this tool's, so a rebuild may empty it

if not MISTUNE_V3:
    sys.exit("building the site needs mistune >= 3 (pip install 'mistune>=3')")

# The text of the site itself, in each language; the course's own text comes from its files.
STRINGS = {
    "en": {
        "html_lang": "en",
        "language_name": "English",
        "site_title": "How SSD learns",
        "home": "Home",
        "course": "The course",
        "contents": "Contents",
        "on_this_page": "On this page",
        "previous": "Previous",
        "next": "Next",
        "glossary": "Glossary",
        "instructors": "Instructors' guide",
        "search": "Search the course",
        "search_short": "Search",
        "search_no_results": "Nothing found.",
        "menu": "Menu",
        "run_live": "Run this notebook live: in a clone of the repository run {command}, "
                    "then open {path} in JupyterLab.",
        "in_repository": "The notebook in the repository",
        "source_in_repository": "This page's source in the repository",
        "solution": "Solution (try it yourself first)",
        "figure_alt": "{title}: figure {number}",
        "footer": "Built from the notebooks as committed in the repository, with their outputs; nothing "
                  "was re-run. Code and notebooks: MIT licence. Photographs: public domain or CC0.",
        "licence": "Licence",
        "credits": "Photo credits",
        "minutes": "{n} min",
        "switch_label": "中文",
        "widget_missing": "An interactive output: run the notebook to see it.",
    },
    "zh": {
        "html_lang": "zh-CN",
        "language_name": "中文",
        "site_title": "SSD 是怎样学习的",
        "home": "首页",
        "course": "课程",
        "contents": "目录",
        "on_this_page": "本页内容",
        "previous": "上一节",
        "next": "下一节",
        "glossary": "术语表",
        "instructors": "教师指南",
        "search": "搜索课程",
        "search_short": "搜索",
        "search_no_results": "没有找到。",
        "menu": "菜单",
        "run_live": "在本地运行这个笔记本：在仓库的克隆中运行 {command}，然后在 JupyterLab 中打开 {path}。",
        "in_repository": "仓库中的这个笔记本",
        "source_in_repository": "本页在仓库中的源文件",
        "solution": "参考答案（请先自己试一试）",
        "figure_alt": "{title}：图 {number}",
        "footer": "本网站由仓库中已提交的笔记本及其输出生成，没有重新运行任何代码。代码与笔记本：MIT 许可证。"
                  "照片：公有领域或 CC0。",
        "licence": "许可证",
        "credits": "照片来源",
        "minutes": "{n} 分钟",
        "switch_label": "English",
        "widget_missing": "交互式输出：请运行笔记本查看。",
    },
}


class BuildError(Exception):
    """A problem in the course's files that would make a broken page (a missing link target...)."""


# ---------------------------------------------------------------------------------------------
# The pages


@dataclass(eq=False)
class Edition:
    """One language of the site: its sources and the folder it is written to."""

    lang: str
    prefix: str  # "" or "zh/": where its pages go, inside the output folder
    notebooks: list[Path]  # repository paths, in course order
    glossary: Path | None
    instructors: Path | None
    pages: list[Page] = field(default_factory=list)

    @property
    def up(self) -> str:
        """From this edition's pages to the output folder's root."""
        return "../" * self.prefix.count("/")

    def page(self, slug: str) -> Page | None:
        return next((p for p in self.pages if p.slug == slug), None)


@dataclass(eq=False)
class Page:
    edition: Edition
    slug: str  # the file name without ".html"
    kind: str  # "landing", "notebook", "glossary" or "instructors"
    title: str
    source: Path | None = None  # repository path of what it is built from
    minutes: int | None = None  # a notebook's own estimate of its time
    summary: str = ""  # what a notebook teaches, in one line (HTML)
    body: str = ""
    toc: list[tuple[str, str]] = field(default_factory=list)  # (anchor, heading HTML) of the h2s

    @property
    def file(self) -> str:
        return f"{self.slug}.html"

    @property
    def short_title(self) -> str:
        """The title up to its first colon: "00 · Overview"."""
        return re.split(r"[:：]", self.title, maxsplit=1)[0].strip()


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def text_of(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def first_heading(markdown: str) -> str | None:
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", markdown, re.M)
    return match.group(1).strip() if match else None


def notebook_minutes(markdown: str) -> int | None:
    """The time a notebook announces in its first cell: "about 30 minutes", "约 30 分钟"."""
    match = re.search(r"(\d+)\s*(?:minutes|mins?\b|分钟)", markdown, re.I)
    return int(match.group(1)) if match else None


def editions(root: Path) -> list[Edition]:
    """The English edition, and the Chinese one when ``notebooks/zh/`` holds notebooks."""
    def notebooks(folder: str) -> list[Path]:
        return sorted(p.relative_to(root) for p in (root / folder).glob("[0-9][0-9]_*.ipynb"))

    def existing(path: str) -> Path | None:
        return Path(path) if (root / path).is_file() else None

    found = [Edition("en", "", notebooks("notebooks"), existing("notebooks/GLOSSARY.md"),
                     existing("docs/instructors.md"))]
    if not found[0].notebooks:
        raise BuildError(f"no notebooks found in {root / 'notebooks'}")
    chinese = notebooks("notebooks/zh")
    if chinese:
        found.append(Edition("zh", "zh/", chinese, existing("notebooks/zh/GLOSSARY.md"),
                             existing("docs/instructors.zh-CN.md")))
    return found


# ---------------------------------------------------------------------------------------------
# Markdown, code and outputs


def slugify(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", html.unescape(text)).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "section"


def highlight_code(code: str, language: str = "python") -> str:
    try:
        lexer = get_lexer_by_name(language or "text", stripnl=False)
    except ClassNotFound:
        lexer = get_lexer_by_name("text", stripnl=False)
    return highlight(code, lexer, HtmlFormatter(cssclass="highlight", wrapcode=True))


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SOLUTION = re.compile(r"^[ \t]*# (BEGIN|END) SOLUTION[ \t]*$")


def split_solutions(source: str) -> list[tuple[str, bool]]:
    """A code cell cut into (code, is_solution) pieces at its ``# BEGIN/END SOLUTION`` lines."""
    pieces: list[tuple[str, bool]] = []
    lines: list[str] = []
    inside = False
    for line in source.split("\n"):
        marker = SOLUTION.match(line)
        if marker and (marker.group(1) == "BEGIN") != inside:
            pieces.append(("\n".join(lines), inside))
            lines, inside = [], not inside
        else:
            lines.append(line)
    pieces.append(("\n".join(lines), inside))
    return [(re.sub(r"^(?:[ \t]*\n)+", "", code).rstrip(), solution) for code, solution in pieces if code.strip()]


class Renderer(mistune.HTMLRenderer):
    """Markdown to HTML for one page: anchored headings, the page's links, maths left for KaTeX."""

    def __init__(self, context: PageContext) -> None:
        super().__init__(escape=False)
        self.context = context
        self.headings: list[str] = []
        self.column = 0

    def heading(self, text: str, level: int, **attrs) -> str:
        anchor = self.context.anchor(text)
        if level == 2:
            self.context.page.toc.append((anchor, text))
        return (f'<h{level} id="{anchor}">{text}<a class="anchor" href="#{anchor}" '
                f'aria-hidden="true">#</a></h{level}>\n')

    def link(self, text: str, url: str, title: str | None = None) -> str:
        return super().link(text, self.context.resolve_link(url), title)

    def image(self, text: str, url: str, title: str | None = None) -> str:
        return super().image(text, self.context.resolve_image(url), title)

    def block_code(self, code: str, info: str | None = None) -> str:
        return highlight_code(code, (info or "").split(" ")[0])

    # tables: each cell knows its column's heading, so that a narrow screen can show a row as a card
    # (mistune renders the cells first, in order, then their row, then the table)
    def table_cell(self, text: str, align: str | None = None, head: bool = False) -> str:
        style = f' style="text-align:{align}"' if align else ""
        if head:
            self.headings.append(re.sub(r"<[^>]+>", "", text).strip())
            return f"  <th{style}>{text}</th>\n"
        label = self.headings[self.column] if self.column < len(self.headings) else ""
        self.column += 1
        return f'  <td{style} data-label="{html.escape(html.unescape(label))}">{text}</td>\n'

    def table_row(self, text: str) -> str:
        self.column = 0
        return f"<tr>\n{text}</tr>\n"

    def table_head(self, text: str) -> str:
        self.column = 0
        return f"<thead>\n<tr>\n{text}</tr>\n</thead>\n"

    def table(self, text: str) -> str:
        self.headings, self.column = [], 0
        return f'<div class="table-wrap"><table>\n{text}</table></div>\n'

    # maths: the TeX source, escaped, in an element that site.js hands to KaTeX
    def block_math(self, body: str) -> str:
        return f'<span class="math display">{html.escape(body)}</span>'

    def inline_math(self, body: str) -> str:
        return f'<span class="math inline">{html.escape(body)}</span>'

    def latex_environment(self, name: str, body: str) -> str:
        return self.block_math(f"\\begin{{{name}}}{body}\\end{{{name}}}")


class PageContext:
    """Everything needed while rendering one page: its anchors, links and files."""

    def __init__(self, site: Site, page: Page) -> None:
        self.site = site
        self.page = page
        self.attachments: dict = {}
        self.source_dir = (site.root / page.source).parent if page.source else site.root
        self.anchors: set[str] = set()
        self.markdown = MarkdownWithMath(renderer=Renderer(self))
        self.figures = 0

    def render_markdown(self, text: str, attachments: dict | None = None) -> str:
        self.attachments = attachments or {}
        return self.markdown.render(text)

    def anchor(self, text: str) -> str:
        base = slugify(text)
        anchor, n = base, 1
        while anchor in self.anchors:
            n += 1
            anchor = f"{base}-{n}"
        self.anchors.add(anchor)
        return anchor

    def resolve_link(self, url: str) -> str:
        """A link of the course's files, made to work on the site: pages to pages, files to the repository."""
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path:
            return url
        target = self.site.repository_path(self.source_dir / unquote(parts.path), self.page, url)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        page = self.site.page_for(target, self.page.edition)
        if page is not None:
            return self.site.url(self.page, page) + fragment
        return self.site.repo_link(target, self.page) + fragment

    def resolve_image(self, url: str) -> str:
        """A picture of the course's files, copied into the site (pictures must load offline)."""
        if url.startswith("attachment:"):
            name = url[len("attachment:"):]
            if name not in self.attachments:
                raise BuildError(f"{self.page.source}: no attachment {name!r}")
            mime, data = next(iter(self.attachments[name].items()))
            return self.site.store(base64_bytes(data), "." + mime.split("/")[-1].split("+")[0], self.page)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            raise BuildError(f"{self.page.source}: the picture {url} would load from the network; "
                             "put the file in the repository and link to it")
        target = self.site.repository_path(self.source_dir / unquote(parts.path), self.page, url)
        return self.site.store((self.site.root / target).read_bytes(), target.suffix, self.page)


def base64_bytes(data: str | list[str]) -> bytes:
    return base64.b64decode(text_of(data))


# ---------------------------------------------------------------------------------------------
# Notebook pages


OUTPUT_PRIORITY = ("application/vnd.jupyter.widget-view+json", "image/svg+xml", "image/png", "image/jpeg",
                   "text/markdown", "text/html", "text/latex", "text/plain")


def render_notebook(site: Site, page: Page, notebook: dict) -> str:
    context = PageContext(site, page)
    strings = STRINGS[page.edition.lang]
    parts = []
    for cell in notebook["cells"]:
        source = cell_source(cell)
        if cell["cell_type"] == "markdown":
            parts.append(f'<div class="cell markdown">{context.render_markdown(source, cell.get("attachments"))}</div>')
        elif cell["cell_type"] == "code":
            code = []
            for piece, solution in split_solutions(source):
                block = highlight_code(piece, "ipython3")
                code.append(f'<details class="solution"><summary>{html.escape(strings["solution"])}</summary>'
                            f"{block}</details>" if solution else block)
            outputs = [render_output(context, cell, output) for output in cell.get("outputs", [])]
            parts.append('<div class="cell code"><div class="input">' + "".join(code) + "</div>"
                         + "".join(o for o in outputs if o) + "</div>")
    return "\n".join(parts)


def render_output(context: PageContext, cell: dict, output: dict) -> str:
    kind = output["output_type"]
    if kind == "stream":
        text = ANSI.sub("", text_of(output["text"]))
        return f'<div class="output"><pre class="stream {output.get("name", "stdout")}">{html.escape(text)}</pre></div>'
    if kind == "error":
        text = ANSI.sub("", "\n".join(output.get("traceback", [])))
        return f'<div class="output"><pre class="error">{html.escape(text)}</pre></div>'
    data = output.get("data", {})
    mime = next((m for m in OUTPUT_PRIORITY if m in data), None)
    if mime is None:
        return ""
    value = data[mime]
    if mime == "application/vnd.jupyter.widget-view+json":
        explorer = context.site.explorers.static_explorer(cell_source(cell), context)
        if explorer is None:
            note = STRINGS[context.page.edition.lang]["widget_missing"]
            return f'<div class="output"><p class="note">{html.escape(note)}</p></div>'
        return f'<div class="output explorer-output">{explorer}</div>'
    if mime.startswith("image/"):
        raw = text_of(value).encode() if mime == "image/svg+xml" else base64_bytes(value)
        suffix = {"image/svg+xml": ".svg", "image/png": ".png", "image/jpeg": ".jpg"}[mime]
        context.figures += 1
        alt = STRINGS[context.page.edition.lang]["figure_alt"].format(title=context.page.short_title,
                                                                       number=context.figures)
        size = ""
        if suffix != ".svg":
            with Image.open(io.BytesIO(raw)) as picture:
                width, height = picture.size
            size = f' width="{width}" height="{height}"'
        src = context.site.store(raw, suffix, context.page, compact=mime == "image/png")
        return (f'<div class="output"><img class="figure" src="{src}"{size} alt="{html.escape(alt)}" '
                f'loading="lazy" decoding="async"></div>')
    if mime == "text/markdown":
        return f'<div class="output markdown">{context.render_markdown(text_of(value))}</div>'
    if mime == "text/html":
        return f'<div class="output html">{text_of(value)}</div>'
    if mime == "text/latex":
        return f'<div class="output"><span class="math display">{html.escape(text_of(value).strip("$"))}</span></div>'
    return f'<div class="output"><pre class="result">{html.escape(ANSI.sub("", text_of(value)))}</pre></div>'


# ---------------------------------------------------------------------------------------------
# Search


class SectionText(HTMLParser):
    """The plain text of a page's body, cut at its headings; outputs and explorers left out."""

    SKIP = {"output", "anchor", "solution"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[dict[str, str]] = [{"id": "", "heading": "", "text": ""}]
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.heading: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self.skip_tag is not None:
            self.skip_depth += tag == self.skip_tag
            return
        if self.SKIP & set((attributes.get("class") or "").split()):
            self.skip_tag, self.skip_depth = tag, 1
            return
        if tag in ("h1", "h2", "h3") and attributes.get("id"):
            self.sections.append({"id": attributes["id"], "heading": "", "text": ""})
            self.heading = tag
        elif tag in ("p", "li", "tr", "pre", "div", "br", "td", "th"):
            self.sections[-1]["text"] += " "

    def handle_endtag(self, tag: str) -> None:
        if self.skip_tag is not None:
            self.skip_depth -= tag == self.skip_tag
            if self.skip_depth == 0:
                self.skip_tag = None
            return
        if tag == self.heading:
            self.heading = None

    def handle_data(self, data: str) -> None:
        if self.skip_tag is not None:
            return
        key = "heading" if self.heading else "text"
        self.sections[-1][key] += data


def search_entries(page: Page) -> list[dict[str, str]]:
    parser = SectionText()
    parser.feed(page.body)
    entries = []
    for section in parser.sections:
        text = re.sub(r"\s+", " ", section["text"]).strip()
        heading = re.sub(r"\s+", " ", section["heading"]).strip()
        if not text and not heading:
            continue
        entries.append({"u": page.file + (f"#{section['id']}" if section["id"] else ""),
                        "p": page.short_title, "s": heading or page.title, "t": text})
    return entries


# ---------------------------------------------------------------------------------------------
# The site


class Site:
    """Builds every edition into ``out``."""

    def __init__(self, root: Path, out: Path, repo_url: str | None = None, ref: str = "main") -> None:
        self.root = Path(os.path.normpath(root.absolute()))
        self.out = Path(os.path.normpath(out.absolute()))
        self.repo_url = repo_url.rstrip("/") if repo_url else None
        self.ref = ref
        self.editions = editions(self.root)
        self.stored: dict[str, str] = {}  # content hash -> file name, for pictures
        self.warnings: list[str] = []
        self.pool = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 1) - 1))
        self.writing: list[Future] = []
        self.explorers = site_explorers.StaticExplorers(self)
        self.environment = jinja2.Environment(loader=jinja2.FileSystemLoader(SOURCES), autoescape=True,
                                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                                              lstrip_blocks=True)

    # paths and links

    def repository_path(self, path: Path, page: Page, url: str) -> Path:
        """The repository path a link of ``page`` points to; it must exist.

        A link of the Chinese edition to a notebook not translated yet (``notebooks/zh/X``)
        goes to the English one (``notebooks/X``), with a warning.
        """
        resolved = Path(os.path.normpath(path.absolute()))
        try:
            relative = resolved.relative_to(self.root)
        except ValueError:
            raise BuildError(f"{page.source}: the link {url} leaves the repository") from None
        if not resolved.exists() and relative.parts[:2] == ("notebooks", "zh") and len(relative.parts) == 3:
            english = Path("notebooks", relative.name)
            if (self.root / english).exists():
                self.warnings.append(f"{page.source}: {url} is not translated yet; the link goes to {english}")
                return english
        if not resolved.exists():
            raise BuildError(f"{page.source}: the link {url} points to {relative}, which does not exist")
        return relative

    def page_for(self, path: Path, edition: Edition) -> Page | None:
        """The page built from a repository file: this edition's first, then the other's."""
        for candidate in [edition] + [e for e in self.editions if e is not edition]:
            for page in candidate.pages:
                if page.source == path:
                    return page
        return None

    def url(self, page: Page, target: Page) -> str:
        """A relative link from ``page`` to ``target``."""
        if page.edition is target.edition:
            return target.file
        return page.edition.up + target.edition.prefix + target.file

    def repo_link(self, path: Path, page: Page) -> str:
        """A link from ``page`` to a file of the repository."""
        if self.repo_url:
            return f"{self.repo_url}/blob/{self.ref}/{path.as_posix()}"
        here = self.out / page.edition.prefix
        return Path(os.path.relpath(self.root / path, here)).as_posix()

    def store(self, data: bytes, suffix: str, page: Page, folder: str = "figures", compact: bool = False) -> str:
        """Write a file once, named by its content, and return its URL from ``page``.

        With ``compact``, a PNG is written in 256 colours (``site_explorers.compact_png``), on a
        second thread while the pages go on (Pillow lets go of Python's lock meanwhile).
        """
        digest = hashlib.sha256(data).hexdigest()[:20]
        name = f"{folder}/{digest}{suffix}"
        if digest not in self.stored:
            (self.out / folder).mkdir(parents=True, exist_ok=True)
            if compact:
                self.writing.append(self.pool.submit(
                    lambda: (self.out / name).write_bytes(site_explorers.compact_png(data))))
            else:
                (self.out / name).write_bytes(data)
            self.stored[digest] = name
        return page.edition.up + self.stored[digest]

    # building

    def prepare_output(self) -> None:
        if self.out.exists():
            if not (self.out / MARKER).exists() and any(self.out.iterdir()):
                raise BuildError(f"{self.out} exists and was not made by this tool: refusing to empty it")
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True)
        (self.out / MARKER).write_text("built by tools/build_site.py; emptied by each build\n")

    def collect_pages(self) -> None:
        for edition in self.editions:
            strings = STRINGS[edition.lang]
            edition.pages.append(Page(edition, "index", "landing", strings["site_title"]))
            for path in edition.notebooks:
                notebook = json.loads((self.root / path).read_text(encoding="utf-8"))
                intro = next((cell_source(c) for c in notebook["cells"] if c["cell_type"] == "markdown"), "")
                title = first_heading(intro) or path.stem
                edition.pages.append(Page(edition, path.stem, "notebook", title, path, notebook_minutes(intro),
                                          summary=self.first_goal(intro)))
            for kind, path in (("glossary", edition.glossary), ("instructors", edition.instructors)):
                if path is not None:
                    title = first_heading((self.root / path).read_text(encoding="utf-8")) or strings[kind]
                    edition.pages.append(Page(edition, kind, kind, title, path))

    @staticmethod
    def first_goal(intro: str) -> str:
        """A notebook's first learning goal (the first bullet of its first cell), as plain markdown."""
        match = re.search(r"^\s*[-*]\s+(.+)$", intro, re.M)
        return match.group(1).strip() if match else ""

    def render_pages(self) -> None:
        for edition in self.editions:
            for page in edition.pages:
                if page.kind == "notebook":
                    notebook = json.loads((self.root / page.source).read_text(encoding="utf-8"))
                    page.body = render_notebook(self, page, notebook)
                elif page.kind in ("glossary", "instructors"):
                    context = PageContext(self, page)
                    page.body = context.render_markdown((self.root / page.source).read_text(encoding="utf-8"))
            landing = edition.page("index")
            landing.body = self.render_landing(landing)

    def render_landing(self, page: Page) -> str:
        edition = page.edition
        context = PageContext(self, page)
        notebooks = [p for p in edition.pages if p.kind == "notebook"]
        summaries = {p.slug: context.render_markdown(p.summary) for p in notebooks}
        for p in notebooks:  # the goal is one paragraph: keep its inside
            summaries[p.slug] = re.sub(r"^<p>|</p>\s*$", "", summaries[p.slug].strip())
        template = self.environment.get_template(f"landing.{edition.lang}.html")
        minutes = sum(p.minutes or 0 for p in notebooks)
        body = template.render(
            notebooks=notebooks, summaries=summaries, total_minutes=minutes,
            total_hours=f"{minutes / 60:.1f}".rstrip("0").rstrip("."), glossary=edition.page("glossary"),
            instructors=edition.page("instructors"), readme=self.repo_link(self.readme(edition), page),
            repo_url=self.repo_url, strings=STRINGS[edition.lang],
        )
        page.toc = [(anchor, html.escape(text)) for anchor, text in re.findall(r'<h2 id="([^"]+)">([^<]+)</h2>', body)]
        return body

    def readme(self, edition: Edition) -> Path:
        translated = Path("README.zh-CN.md")
        return translated if edition.lang == "zh" and (self.root / translated).is_file() else Path("README.md")

    def write_pages(self) -> None:
        template = self.environment.get_template("page.html")
        for edition in self.editions:
            notebooks = [p for p in edition.pages if p.kind == "notebook"]
            for page in edition.pages:
                previous = next_page = None
                if page.kind == "notebook":
                    i = notebooks.index(page)
                    previous = notebooks[i - 1] if i > 0 else edition.page("index")
                    next_page = notebooks[i + 1] if i + 1 < len(notebooks) else edition.page("glossary")
                switch = []
                for other in self.editions:
                    if other is not edition:
                        target = other.page(page.slug) or other.page("index")
                        switch.append((STRINGS[other.lang]["language_name"], self.url(page, target),
                                       STRINGS[other.lang]["html_lang"]))
                source_link = self.repo_link(page.source, page) if page.source else None
                text = template.render(
                    page=page, edition=edition, strings=STRINGS[edition.lang], up=edition.up,
                    body=jinja2.utils.markupsafe.Markup(page.body),
                    toc=[(a, jinja2.utils.markupsafe.Markup(t)) for a, t in page.toc],
                    nav=edition.pages, previous=previous, next=next_page, switch=switch,
                    source_link=source_link,
                    run_live=self.run_live_line(page) if page.kind == "notebook" else None,
                    licence=self.repo_link(Path("LICENSE"), page),
                    credits=self.repo_link(Path("images/CREDITS.md"), page),
                )
                path = self.out / edition.prefix / page.file
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")

    def run_live_line(self, page: Page):
        strings = STRINGS[page.edition.lang]
        markup = jinja2.utils.markupsafe.Markup
        return markup(html.escape(strings["run_live"]).format(
            command=markup("<code>python3 tasks.py lab</code>"),
            path=markup(f"<code>{html.escape(page.source.as_posix())}</code>"),
        ))

    def write_search_indexes(self) -> None:
        for edition in self.editions:
            entries = [entry for page in edition.pages for entry in search_entries(page)]
            payload = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
            (self.out / edition.prefix / "search-index.js").write_text(f"window.SSD_SEARCH = {payload};\n",
                                                                       encoding="utf-8")

    def write_assets(self) -> None:
        assets = self.out / "assets"
        shutil.copytree(SOURCES / "assets", assets)
        shutil.copytree(SOURCES / "vendor" / "katex", assets / "katex")
        style = HtmlFormatter(style="default").get_style_defs(".highlight")
        (assets / "pygments.css").write_text(style + "\n", encoding="utf-8")

    def check_offline(self) -> None:
        """Refuse a site that would load anything from the network."""
        loads = re.compile(r"""<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\s"""
                           r"""(?:src|href|data)\s*=\s*["']?(?:https?:)?//""", re.I)
        css_loads = re.compile(r"""(?:url\(\s*["']?(?:https?:)?//|@import)""", re.I)
        for path in self.out.rglob("*"):
            if path.suffix in (".html", ".css", ".js") and path.name != "katex.min.js":
                text = path.read_text(encoding="utf-8")
                pattern = loads if path.suffix == ".html" else css_loads
                match = pattern.search(text)
                if match:
                    raise BuildError(f"{path.relative_to(self.out)} loads from the network: {match.group(0)!r}")

    def build(self) -> None:
        self.prepare_output()
        try:
            self.collect_pages()
            self.render_pages()
            self.write_pages()
            self.write_search_indexes()
            self.write_assets()
        finally:
            self.pool.shutdown(wait=True)
        for written in self.writing:
            written.result()  # raises what a thread met
        self.check_offline()


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: build/site)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to build from")
    parser.add_argument("--repo-url", help="link the notebooks to URL/blob/REF/... instead of relative paths, "
                                           "e.g. https://github.com/OWNER/REPO")
    parser.add_argument("--ref", default="main", help="the branch or commit of --repo-url links (default: main)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    site = Site(args.root, args.out, args.repo_url, args.ref)
    try:
        site.build()
    except BuildError as error:
        sys.exit(f"build_site: {error}")
    for warning in site.warnings:
        print(f"warning: {warning}")
    pages = sum(len(e.pages) for e in site.editions)
    languages = ", ".join(e.lang for e in site.editions)
    print(f"built {pages} pages ({languages}) into {site.out} in {time.perf_counter() - start:.1f} s, "
          f"{folder_size(site.out) / 1e6:.1f} MB; open {site.out / 'index.html'}")


if __name__ == "__main__":
    main()
