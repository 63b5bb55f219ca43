"""The Chinese edition: notebooks built from the English ones and their translations.

    python tools/translations.py status [NAME ...]        what is stale, missing or untranslated (exit 1 if any)
    python tools/translations.py stub NAME                add an entry for every cell that has none
    python tools/translations.py stamp NAME ID [ID ...]   record that these translations follow the current English
    python tools/translations.py build [NAME ...]         write notebooks/zh/NAME.ipynb (python3 tasks.py notebooks
                                                          builds and executes them)

NAME is a notebook's name without ``.ipynb`` (``00_overview``), or for ``status`` and ``stamp``
also a translated document (``README.zh-CN.md``, see :data:`DOCUMENTS`).

The translation of ``notebooks/NAME.ipynb`` is ``notebooks/i18n/zh/NAME.yaml``: one entry per
cell, under the cell's id. ``source`` is the start of the SHA-256 of the English cell the
translation was written from; a markdown cell has its Chinese text in ``zh``; a code cell has
``strings``, English texts and what replaces them in the Chinese edition (only inside string
literals and comments: the code itself is shared, and a test checks that it stays the same)::

    62025c3a:
      source: 3f2a9c01b7de
      zh: |-
        # 00 · 概览：……
    dd221fb6:
      source: 9b0c4e7d21aa
      strings:
        'print("classes          "': 'print("类别             "'

The English notebook's first code cell calls ``ssd_course.set_language("en")``; the Chinese
one says ``"zh"`` instead (the one string every notebook translates).

A translator's loop: ``status`` lists each cell to do, with how its English changed
(from git history); edit the YAML file; ``stamp`` the cells; ``python3 tasks.py notebooks``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import hashlib
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHINESE = NOTEBOOKS / "zh"
TRANSLATIONS = NOTEBOOKS / "i18n" / "zh"
DOCUMENTS_FILE = TRANSLATIONS / "documents.yaml"
# each translated document and the English one it follows
DOCUMENTS = {
    "README.zh-CN.md": "README.md",
    "docs/instructors.zh-CN.md": "docs/instructors.md",
    "notebooks/zh/GLOSSARY.md": "notebooks/GLOSSARY.md",
}
LANGUAGE_LINE = ('ssd_course.set_language("en")', 'ssd_course.set_language("zh")')


class TranslationError(ValueError):
    """A translation file that cannot be applied to its English notebook."""


def source_hash(text: str) -> str:
    """The first 12 hex digits of the SHA-256 of ``text``: what a translation records of its English."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# ---------------------------------------------------------------------------------------------
# Reading and writing translation files
# ---------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line texts as literal blocks, so that a translation file reads like the cell."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not re.search(r"[ \t]\n", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def read_yaml(path: Path) -> dict:
    """A translation file; its keys as strings (a cell id such as 18295899 must not become a number)."""
    return {str(key): value for key, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items()}


def write_yaml(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(text, encoding="utf-8")


def english_path(name: str) -> Path:
    return NOTEBOOKS / f"{name}.ipynb"


def translation_path(name: str) -> Path:
    return TRANSLATIONS / f"{name}.yaml"


def translated_names() -> list[str]:
    """The notebooks that have a translation file, in order."""
    return sorted(path.stem for path in TRANSLATIONS.glob("[0-9][0-9]_*.yaml"))


# ---------------------------------------------------------------------------------------------
# Checking and applying a translation
# ---------------------------------------------------------------------------------------------


def _python(source: str) -> str:
    """A code cell's source with its IPython magics and shell lines blanked."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def _code_shape(source: str) -> str:
    """The code's syntax tree with every string constant blanked: equal for code that differs in texts only."""
    tree = ast.parse(_python(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


def translate_code(source: str, strings: dict[str, str], where: str) -> str:
    """``source`` with each English text of ``strings`` replaced by its translation (every occurrence).

    Raises:
        TranslationError: if an English text is not in ``source``, or the replacements change
            anything but string literals and comments.
    """
    translated = source
    for english, chinese in strings.items():
        if english not in translated:
            raise TranslationError(f"{where}: the text {english!r} is not in the English code")
        translated = translated.replace(english, chinese)
    if _code_shape(translated) != _code_shape(source):
        raise TranslationError(f"{where}: the translated strings change the code, not only its texts")
    return translated


def cell_problems(cell: nbformat.NotebookNode, entry: dict | None, where: str) -> list[str]:
    """Why ``entry`` is not an up-to-date translation of ``cell`` (empty when it is)."""
    if entry is None:
        return [f"{where}: no translation"]
    if not isinstance(entry, dict) or set(entry) - {"source", "zh", "strings"}:
        return [f"{where}: an entry has 'source' and, for markdown, 'zh' or, for code, 'strings'; got {entry!r}"]
    kind = "zh" if cell.cell_type == "markdown" else "strings"
    if kind not in entry:
        return [f"{where}: a {cell.cell_type} cell's entry needs '{kind}'"]
    if entry.get("source") is None:
        return [f"{where}: not translated yet (stamp it when it is)"]
    if entry["source"] != source_hash(cell.source):
        return [f"{where}: stale: the English cell changed after this translation was written"]
    if cell.cell_type == "code":
        try:
            translate_code(cell.source, entry["strings"] or {}, where)
        except (TranslationError, SyntaxError) as error:
            return [str(error)]
    return []


def _where(name: str, index: int, cell: nbformat.NotebookNode) -> str:
    return f"{name}.ipynb cell {index} ({cell.cell_type}, id {cell.id})"


def notebook_problems(name: str) -> list[str]:
    """Every problem of a notebook's translation: missing, stale, untranslated and orphan entries."""
    if not translation_path(name).exists():
        return [f"{name}.ipynb: no translation file {translation_path(name).relative_to(ROOT)}"]
    english = nbformat.read(english_path(name), as_version=4)
    entries = read_yaml(translation_path(name))
    problems = [p for index, cell in enumerate(english.cells)
                for p in cell_problems(cell, entries.get(cell.id), _where(name, index, cell))]
    ids = {cell.id for cell in english.cells}
    problems += [f"{name}.ipynb: the entry {key} matches no cell (deleted, or its id changed)"
                 for key in entries if key not in ids]
    first_code = next((cell for cell in english.cells if cell.cell_type == "code"), None)
    if first_code is None or LANGUAGE_LINE[0] not in first_code.source:
        problems.append(f"{name}.ipynb: its first code cell must call {LANGUAGE_LINE[0]}")
    elif not problems and LANGUAGE_LINE[1] not in translate_code(
            first_code.source, entries[first_code.id]["strings"] or {}, name):
        problems.append(f"{name}.ipynb: the translation of its first code cell must say {LANGUAGE_LINE[1]}")
    return problems


def chinese_notebook(name: str) -> nbformat.NotebookNode:
    """The Chinese edition of ``notebooks/NAME.ipynb``, outputs cleared, ready to execute.

    Raises:
        TranslationError: listing every problem of the translation, if there is any.
    """
    problems = notebook_problems(name)
    if problems:
        raise TranslationError("\n".join(problems))
    english = nbformat.read(english_path(name), as_version=4)
    entries = read_yaml(translation_path(name))
    chinese = copy.deepcopy(english)
    for index, cell in enumerate(chinese.cells):
        entry = entries[cell.id]
        if cell.cell_type == "markdown":
            cell.source = entry["zh"]
        elif cell.cell_type == "code":
            cell.source = translate_code(cell.source, entry["strings"] or {}, _where(name, index, cell))
            cell.outputs = []
            cell.execution_count = None
    return chinese


def build(name: str) -> Path:
    """Write ``notebooks/zh/NAME.ipynb`` from the English notebook and its translation; return its path."""
    path = CHINESE / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(chinese_notebook(name), path)
    return path


# ---------------------------------------------------------------------------------------------
# Translated documents (README, instructors' guide, glossary)
# ---------------------------------------------------------------------------------------------


def recorded_documents() -> dict[str, str]:
    """The hash of the English each translated document follows, by document."""
    return read_yaml(DOCUMENTS_FILE) if DOCUMENTS_FILE.exists() else {}


def document_problems() -> list[str]:
    """The translated documents whose English changed after they were written, or that are missing."""
    recorded = recorded_documents()
    problems = []
    for document, english in DOCUMENTS.items():
        if not (ROOT / document).exists():
            problems.append(f"{document}: missing (the translation of {english})")
        elif recorded.get(document) != source_hash((ROOT / english).read_text(encoding="utf-8")):
            problems.append(f"{document}: stale: {english} changed after it was written")
    return problems


# ---------------------------------------------------------------------------------------------
# What changed in the English: the version a translation follows, found in git history
# ---------------------------------------------------------------------------------------------


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def old_english(path: Path, wanted_hash: str, cell_id: str | None = None) -> str | None:
    """The English text (of a cell, or a whole file) whose hash is ``wanted_hash``, from git history."""
    relative = path.relative_to(ROOT).as_posix()
    try:
        commits = _git("log", "--format=%H", "--", relative).split()
    except (OSError, subprocess.CalledProcessError):
        return None
    for commit in commits:
        text = _git("show", f"{commit}:{relative}")
        if cell_id is None:
            candidates = [text]
        else:
            candidates = [cell.source for cell in nbformat.reads(text, as_version=4).cells if cell.get("id") == cell_id]
        for candidate in candidates:
            if source_hash(candidate) == wanted_hash:
                return candidate
    return None


def _diff(old: str | None, new: str) -> str:
    if old is None:
        return "    (the English this translation follows is not in git history)"
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "English then", "English now", lineterm="", n=1)
    return "\n".join("    " + line for line in lines)


def status(names: list[str]) -> int:
    """Print every problem, with the English diff of each stale cell or document; 1 if there is any."""
    count = 0
    for name in names:
        if name in DOCUMENTS:
            problems = [p for p in document_problems() if p.startswith(name + ":")]
            for problem in problems:
                print(problem)
                recorded = recorded_documents().get(name)
                if "stale" in problem and recorded:
                    english = ROOT / DOCUMENTS[name]
                    print(_diff(old_english(english, recorded), english.read_text(encoding="utf-8")))
            count += len(problems)
            continue
        problems = notebook_problems(name)
        entries = read_yaml(translation_path(name)) if translation_path(name).exists() else {}
        english = nbformat.read(english_path(name), as_version=4)
        for problem in problems:
            print(problem)
            cell_id = re.search(r", id ([^)]+)\): stale", problem)
            if cell_id:
                cell = next(c for c in english.cells if c.id == cell_id[1])
                old = old_english(english_path(name), entries[cell.id]["source"], cell.id)
                print(_diff(old, cell.source))
        count += len(problems)
    print(f"{count} to do" if count else "every translation is up to date")
    return 1 if count else 0


def code_texts(source: str) -> list[str]:
    """The string literals (whole f-strings included) and comments of a code cell that hold words."""
    python = _python(source)
    line_starts = [0]
    for line in python.split("\n"):
        line_starts.append(line_starts[-1] + len(line) + 1)
    texts, depth, start = [], 0, 0
    for token in tokenize.generate_tokens(io.StringIO(python).readline):
        kind = tokenize.tok_name[token.type]
        if kind in ("STRING", "COMMENT") and depth == 0:
            texts.append(token.string)
        elif kind == "FSTRING_START":  # Python >= 3.12 splits an f-string into several tokens
            start = line_starts[token.start[0] - 1] + token.start[1] if depth == 0 else start
            depth += 1
        elif kind == "FSTRING_END":
            depth -= 1
            if depth == 0:
                texts.append(python[start:line_starts[token.end[0] - 1] + token.end[1]])
    return [text for text in dict.fromkeys(texts) if re.search(r"[A-Za-z]{2,}", text)]


def stub(name: str) -> int:
    """Add an untranslated entry for every cell without one: the English text, to be translated and stamped.

    A code cell's entry proposes its string literals and comments, each mapped to itself:
    translate those the learner reads, delete the others.
    """
    path = translation_path(name)
    entries = read_yaml(path) if path.exists() else {}
    english = nbformat.read(english_path(name), as_version=4)
    added = 0
    for cell in english.cells:
        if cell.id in entries:
            continue
        texts = {"zh": cell.source} if cell.cell_type == "markdown" else \
            {"strings": {text: text for text in code_texts(cell.source)}}
        entries[cell.id] = {"source": None, **texts}
        added += 1
    order = [cell.id for cell in english.cells]
    entries = dict(sorted(entries.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))
    write_yaml(path, entries)
    print(f"{path.relative_to(ROOT)}: {added} entries added; translate them, then stamp them")
    return 0


def stamp(name: str, keys: list[str]) -> int:
    """Record that the translations of these cells (or this document) follow the current English."""
    if name in DOCUMENTS:
        recorded = recorded_documents()
        recorded[name] = source_hash((ROOT / DOCUMENTS[name]).read_text(encoding="utf-8"))
        write_yaml(DOCUMENTS_FILE, dict(sorted(recorded.items())))
        print(f"{name}: follows {DOCUMENTS[name]} as it is now")
        return 0
    path = translation_path(name)
    entries = read_yaml(path)
    cells = {cell.id: cell for cell in nbformat.read(english_path(name), as_version=4).cells}
    unknown = [key for key in keys if key not in cells or key not in entries]
    if unknown:
        print(f"error: {name}: no cell with an entry has the id {', '.join(unknown)}", file=sys.stderr)
        return 1
    for key in keys:
        entries[key]["source"] = source_hash(cells[key].source)
    write_yaml(path, entries)
    print(f"{path.relative_to(ROOT)}: {len(keys)} entries stamped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["status", "stub", "stamp", "build"])
    parser.add_argument("name", nargs="*", help="notebook name without .ipynb, or a translated document")
    args = parser.parse_args(argv)
    if args.command == "status":
        english = sorted(path.stem for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
        return status(args.name or [*english, *DOCUMENTS])
    if args.command == "stub" and len(args.name) == 1:
        return stub(args.name[0])
    if args.command == "stamp" and (len(args.name) >= 2 or args.name[:1] and args.name[0] in DOCUMENTS):
        return stamp(args.name[0], args.name[1:])
    if args.command == "build":
        try:
            for name in args.name or translated_names():
                print(build(name).relative_to(ROOT))
        except TranslationError as error:
            print(f"error:\n{error}", file=sys.stderr)
            return 1
        return 0
    parser.error(f"usage: see {Path(__file__).name} --help")
    return 2


if __name__ == "__main__":
    sys.exit(main())
