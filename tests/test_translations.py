"""The Chinese edition (``tools/translations.py``): built from the English notebooks, never out of step."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"


def _load(name: str):
    sys.path.insert(0, str(TOOLS))
    try:
        spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(TOOLS))
    return module


tool = _load("translations")
student = _load("make_student_copies")

ENGLISH = sorted(path.stem for path in tool.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
TRANSLATED = tool.translated_names()
# English notebooks whose Chinese edition is still to be written: remove each one as it is
PENDING = set()


def test_every_notebook_is_translated_or_pending():
    assert set(ENGLISH) - set(TRANSLATED) == PENDING
    assert set(TRANSLATED) <= set(ENGLISH), "a translation file without its English notebook"


@pytest.mark.parametrize("name", TRANSLATED)
def test_translation_is_complete_and_up_to_date(name):
    assert tool.notebook_problems(name) == []


@pytest.mark.parametrize("name", TRANSLATED)
def test_committed_chinese_notebook_is_built_from_its_translation(name):
    built = tool.chinese_notebook(name)
    committed = nbformat.read(tool.CHINESE / f"{name}.ipynb", as_version=4)
    assert [(c.id, c.cell_type, c.source) for c in committed.cells] == \
        [(c.id, c.cell_type, c.source) for c in built.cells], "run: python3 tasks.py notebooks"
    english = nbformat.read(tool.english_path(name), as_version=4)
    assert [bool(c.get("outputs")) for c in committed.cells] == [bool(c.get("outputs")) for c in english.cells], \
        "the Chinese notebook is not executed: run python3 tasks.py notebooks"


@pytest.mark.parametrize("name", TRANSLATED)
def test_code_of_the_two_editions_differs_only_in_texts(name):
    english = nbformat.read(tool.english_path(name), as_version=4)
    chinese = nbformat.read(tool.CHINESE / f"{name}.ipynb", as_version=4)
    pairs = [(e, c) for e, c in zip(english.cells, chinese.cells) if e.cell_type == "code"]
    assert len(english.cells) == len(chinese.cells)
    assert [e.id for e, _ in pairs] == [c.id for _, c in pairs]
    assert [e.id for e, c in pairs if tool._code_shape(e.source) != tool._code_shape(c.source)] == []
    assert tool.LANGUAGE_LINE[1] in pairs[0][1].source
    assert [e.metadata.get("tags") for e, _ in pairs] == [c.metadata.get("tags") for _, c in pairs]


def test_translated_documents_follow_the_current_english():
    assert tool.document_problems() == []


# ---------------------------------------------------------------------------------------------
# What the tool reports, on a small notebook in a temporary folder
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A repository with one English notebook and its (complete) translation."""
    notebooks = tmp_path / "notebooks"
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    monkeypatch.setattr(tool, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(tool, "CHINESE", notebooks / "zh")
    monkeypatch.setattr(tool, "TRANSLATIONS", notebooks / "i18n" / "zh")
    monkeypatch.setattr(tool, "DOCUMENTS_FILE", notebooks / "i18n" / "zh" / "documents.yaml")
    nb = new_notebook(cells=[
        new_markdown_cell("# Boxes\n\nA **prior box** is a guess.", id="intro"),
        new_code_cell('import ssd_course\nssd_course.set_language("en")\nprint("prior", 3)  # one prior',
                      id="first"),
        new_code_cell("x = 1", id="plain"),
    ])
    notebooks.mkdir()
    nbformat.write(nb, notebooks / "99_toy.ipynb")
    tool.write_yaml(tool.translation_path("99_toy"), {
        "intro": {"source": tool.source_hash(nb.cells[0].source), "zh": "# 框\n\n**先验框**（prior box）是一个猜测。"},
        "first": {"source": tool.source_hash(nb.cells[1].source),
                  "strings": {'"en"': '"zh"', '"prior"': '"先验框"', "# one prior": "# 一个先验框"}},
        "plain": {"source": tool.source_hash(nb.cells[2].source), "strings": {}},
    })
    return nb


def edit_english(nb, index: int, source: str) -> None:
    nb.cells[index].source = source
    nbformat.write(nb, tool.english_path("99_toy"))


def test_a_complete_translation_builds(sandbox):
    assert tool.notebook_problems("99_toy") == []
    built = nbformat.read(tool.build("99_toy"), as_version=4)
    assert built.cells[0].source == "# 框\n\n**先验框**（prior box）是一个猜测。"
    assert built.cells[1].source == 'import ssd_course\nssd_course.set_language("zh")\nprint("先验框", 3)  # 一个先验框'
    assert built.cells[2].source == "x = 1"


def test_a_changed_english_cell_is_stale(sandbox, capsys):
    edit_english(sandbox, 0, "# Boxes\n\nA **prior box** is a guess; the detector corrects it.")
    assert tool.notebook_problems("99_toy") == [
        "99_toy.ipynb cell 0 (markdown, id intro): stale: the English cell changed after this translation was written"]
    with pytest.raises(tool.TranslationError, match="cell 0 .*stale"):
        tool.build("99_toy")
    assert tool.status(["99_toy"]) == 1
    assert "1 to do" in capsys.readouterr().out


def test_stale_code_cell_is_reported_and_stamp_accepts_it(sandbox):
    edit_english(sandbox, 2, "x = 2")
    assert tool.notebook_problems("99_toy") == [
        "99_toy.ipynb cell 2 (code, id plain): stale: the English cell changed after this translation was written"]
    assert tool.stamp("99_toy", ["plain"]) == 0
    assert tool.notebook_problems("99_toy") == []


def test_missing_and_orphan_entries_are_reported(sandbox):
    sandbox.cells.append(new_markdown_cell("## Summary", id="summary"))
    sandbox.cells[2].id = "renamed"
    nbformat.write(sandbox, tool.english_path("99_toy"))
    assert tool.notebook_problems("99_toy") == [
        "99_toy.ipynb cell 2 (code, id renamed): no translation",
        "99_toy.ipynb cell 3 (markdown, id summary): no translation",
        "99_toy.ipynb: the entry plain matches no cell (deleted, or its id changed)",
    ]


def test_stub_adds_untranslated_entries_that_fail_until_stamped(sandbox):
    sandbox.cells.append(new_code_cell('print(f"{3} positives")  # count', id="count"))
    nbformat.write(sandbox, tool.english_path("99_toy"))
    tool.stub("99_toy")
    entry = tool.read_yaml(tool.translation_path("99_toy"))["count"]
    assert entry == {"source": None, "strings": {'f"{3} positives"': 'f"{3} positives"', "# count": "# count"}}
    assert tool.notebook_problems("99_toy") == [
        "99_toy.ipynb cell 3 (code, id count): not translated yet (stamp it when it is)"]
    tool.stamp("99_toy", ["count"])
    assert tool.notebook_problems("99_toy") == []


@pytest.mark.parametrize("strings, message", [
    ({'"en"': '"zh"', '"positives"': '"正样本"'}, "the text '\"positives\"' is not in the English code"),
    ({'"en"': '"zh"', "print": "len"}, "the translated strings change the code, not only its texts"),
    ({'"en"': '"zh"', '"prior"': '"先验框" + str(1)'}, "change the code"),
    ({'"prior"': '"先验框"'}, 'must say ssd_course.set_language\\("zh"\\)'),
])
def test_translated_strings_may_change_texts_only(sandbox, strings, message):
    entries = tool.read_yaml(tool.translation_path("99_toy"))
    entries["first"]["strings"] = strings
    tool.write_yaml(tool.translation_path("99_toy"), entries)
    assert any(re.search(message, problem) for problem in tool.notebook_problems("99_toy"))


def test_the_english_must_choose_its_language(sandbox):
    edit_english(sandbox, 1, 'print("prior", 3)  # one prior')
    assert "99_toy.ipynb: its first code cell must call ssd_course.set_language(\"en\")" in \
        tool.notebook_problems("99_toy")


def test_status_shows_how_the_english_changed(sandbox, monkeypatch, capsys):
    old = sandbox.cells[0].source
    edit_english(sandbox, 0, "# Boxes\n\nA **prior box** is a first guess.")
    monkeypatch.setattr(tool, "old_english", lambda path, wanted, cell_id=None: old)
    tool.status(["99_toy"])
    out = capsys.readouterr().out
    assert "-A **prior box** is a guess." in out and "+A **prior box** is a first guess." in out


def test_a_changed_english_document_is_stale(sandbox, monkeypatch):
    monkeypatch.setattr(tool, "DOCUMENTS", {"README.zh-CN.md": "README.md"})
    (tool.ROOT / "README.md").write_text("# Course\n", encoding="utf-8")
    (tool.ROOT / "README.zh-CN.md").write_text("# 课程\n", encoding="utf-8")
    assert tool.document_problems() == ["README.zh-CN.md: stale: README.md changed after it was written"]
    tool.stamp("README.zh-CN.md", [])
    assert tool.document_problems() == []
    (tool.ROOT / "README.md").write_text("# Course\n\nNew section.\n", encoding="utf-8")
    assert tool.document_problems() == ["README.zh-CN.md: stale: README.md changed after it was written"]


def test_code_texts_finds_strings_and_comments():
    source = '%matplotlib inline\nx = f"{a:.2f} priors" + "b"  # the total\ny = "ok words"\nz = 1'
    assert tool.code_texts(source) == ['f"{a:.2f} priors"', '"ok words"', "# the total"] or \
        tool.code_texts(source) == ['f"{a:.2f} priors"', "# the total", '"ok words"']


# ---------------------------------------------------------------------------------------------
# Links, glossary terms and student copies of the Chinese edition
# ---------------------------------------------------------------------------------------------


def chinese_markdown() -> dict[str, str]:
    """The Markdown of every Chinese notebook and document, by its path relative to the repository."""
    texts = {f"notebooks/zh/{name}.ipynb": "\n\n".join(
        c.source for c in nbformat.read(tool.CHINESE / f"{name}.ipynb", as_version=4).cells
        if c.cell_type == "markdown") for name in TRANSLATED}
    texts.update({doc: (ROOT / doc).read_text(encoding="utf-8") for doc in tool.DOCUMENTS if (ROOT / doc).exists()})
    return texts


def test_links_of_the_chinese_edition_lead_somewhere():
    problems = []
    for document, text in chinese_markdown().items():
        folder = (ROOT / document).parent
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path = (folder / target).resolve()
            if not path.exists():
                problems.append(f"{document}: {target} does not exist")
            elif path.suffix == ".ipynb" and path.parent == tool.NOTEBOOKS and (tool.CHINESE / path.name).exists():
                problems.append(f"{document}: {target} has a Chinese edition, link to it instead")
    assert problems == []


def glossary(path: Path) -> list[list[str]]:
    rows = [line.strip("|").split("|") for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and not line.startswith("|---")]
    return [[cell.strip() for cell in row] for row in rows[1:]]


ENGLISH_GLOSSARY = glossary(tool.NOTEBOOKS / "GLOSSARY.md")  # English | 中文 | Meaning | First in
CHINESE_GLOSSARY = glossary(tool.CHINESE / "GLOSSARY.md")  # 中文 | English | 含义 | 首次出现


def normal(text: str) -> str:
    return re.sub(r"[\s-]+", " ", text).strip().lower()


def english_forms(english: str) -> set[str]:
    """'ground truth / GT box' -> {'ground truth', 'gt box'}; 'N (number of positives)' -> also its parts."""
    forms = set()
    for part in english.split(" / "):
        forms |= {normal(part), normal(re.sub(r"\s*\(.*?\)", "", part)), *map(normal, re.findall(r"\((.*?)\)", part))}
    return forms - {""}


def test_chinese_glossary_has_every_english_term_and_where_it_first_appears():
    english = {row[0]: re.search(r"\d\d", row[3])[0] for row in ENGLISH_GLOSSARY}
    chinese = {row[1]: re.search(r"\d\d", row[3])[0] for row in CHINESE_GLOSSARY}
    assert chinese == english


FIRST_USE = [(row[0], row[1], re.search(r"\d\d", row[3])[0]) for row in CHINESE_GLOSSARY]


@pytest.mark.parametrize("chinese, english, first_in", FIRST_USE, ids=[row[1] for row in FIRST_USE])
def test_glossary_term_first_used_with_its_english_in_brackets(chinese, english, first_in):
    name = next((n for n in TRANSLATED if n.startswith(first_in)), None)
    if name is None:
        pytest.skip(f"notebook {first_in} has no Chinese edition yet")
    text = chinese_markdown()[f"notebooks/zh/{name}.ipynb"]
    term = chinese.split(" / ")[0]
    assert term in text, f"{term} ({english}) never appears in the Chinese notebook {first_in}"
    if re.search(r"[A-Za-z]", term):
        return  # the term itself holds its English: softmax, smooth L1 损失, NaN
    after = text[text.index(term) + len(term):][:80]
    bracket = re.match(r"\*{0,2}\s*[（(]([^）)]*)[）)]", after)
    assert bracket and any(form in normal(bracket[1]) for form in english_forms(english)), \
        f"the first {term} of notebook {first_in} is not followed by its English ({english}): {term}{after[:30]}"


def test_an_english_term_in_brackets_follows_its_glossary_chinese():
    by_english = {form: row[0].split(" / ") for row in CHINESE_GLOSSARY for form in english_forms(row[1])}
    problems = []
    for document, text in chinese_markdown().items():
        for before, inside in re.findall(r"([^（）\n]{0,12}?)\*{0,2}（([^）]*)）", text):
            wanted = by_english.get(normal(re.split(r"[，,]", inside)[0]))
            if wanted and not any(before.endswith(term) for term in wanted):
                problems.append(f"{document}: {before}（{inside}） should say {' or '.join(wanted)}")
    assert problems == []


def test_student_copies_of_the_chinese_edition(tmp_path):
    nb = new_notebook(cells=[
        new_markdown_cell("为什么？\n\n<details>\n<summary>答案</summary>\n\n因为。\n</details>"),
        new_code_cell("import ssd_course"),
    ])
    (tmp_path / "zh").mkdir()
    nbformat.write(nb, tmp_path / "zh" / "00_toy.ipynb")
    shutil.copyfile(tool.CHINESE / "GLOSSARY.md", tmp_path / "zh" / "GLOSSARY.md")
    written = student.generate([tmp_path / "zh" / "00_toy.ipynb"], tmp_path / "student" / "zh")
    copy = nbformat.read(tmp_path / "student" / "zh" / "00_toy.ipynb", as_version=4)
    assert copy.cells[0].source == "为什么？\n\n" + student.ANSWER_PLACEHOLDER_ZH
    assert list(written.values())[0].questions == 1
    assert "学生版" in (tmp_path / "student" / "zh" / "README.md").read_text(encoding="utf-8")
    assert (tmp_path / "student" / "zh" / "GLOSSARY.md").exists()


def test_tasks_student_writes_both_editions(tmp_path):
    assert student.main(["--out", str(tmp_path)]) == 0
    for name in TRANSLATED:
        assert (tmp_path / "zh" / f"{name}.ipynb").exists()
    assert (tmp_path / "zh" / "GLOSSARY.md").exists() and (tmp_path / "00_overview.ipynb").exists()
