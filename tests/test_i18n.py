"""The language of what the package shows (``ssd_course.i18n``): choosing it, the catalogue, the font."""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import string
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib import ft2font

import ssd_course
from ssd_course import checks, data, i18n, matching, priors, viz, widgets

PACKAGE = Path(ssd_course.__file__).parent
ZH = i18n.CATALOGUE["zh"]


@pytest.fixture
def chinese():
    """Chinese for one test, English again after it."""
    ssd_course.set_language("zh")
    yield
    ssd_course.set_language("en")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_english_is_the_default_and_set_language_switches():
    assert ssd_course.get_language() == "en"
    assert i18n.text("positives: {positives}, negatives: {negatives}", positives=3, negatives=438) == \
        "positives: 3, negatives: 438"
    ssd_course.set_language("zh")
    try:
        assert ssd_course.get_language() == "zh"
        assert i18n.text("positives: {positives}, negatives: {negatives}", positives=3, negatives=438) == \
            "正样本：3，负样本：438"
        assert i18n.text("a text nobody translated") == "a text nobody translated"
    finally:
        ssd_course.set_language("en")
    assert ssd_course.get_language() == "en"


@pytest.mark.parametrize("bad", ["fr", "ZH", "zh-CN", "", None])
def test_an_unknown_language_is_refused(bad):
    with pytest.raises(ValueError, match=r"language must be one of 'en', 'zh'; got"):
        ssd_course.set_language(bad)
    assert ssd_course.get_language() == "en"


def run_python(code: str, **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != i18n.ENV_VAR} | environment | {"MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)


def test_the_environment_variable_chooses_the_language():
    code = "import ssd_course; from ssd_course import viz; print(ssd_course.get_language())"
    assert run_python(code, SSD_COURSE_LANG="zh").stdout.strip() == "zh"
    refused = run_python(code, SSD_COURSE_LANG="klingon")
    assert refused.stdout.strip() == "en"
    assert "SSD_COURSE_LANG='klingon' is ignored: it must be one of en, zh" in refused.stderr


# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------


def test_translations_use_only_the_fields_of_their_english():
    wrong = {english: chinese for english, chinese in ZH.items() if not fields(chinese) <= fields(english)}
    assert wrong == {}


def package_sources() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(PACKAGE.glob("*.py"))}


def test_every_catalogue_entry_is_a_text_of_the_package():
    sources = "\n".join(package_sources().values())
    literals = {node.value for node in ast.walk(ast.parse(sources))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert [english for english in ZH if english not in literals] == []


TRANSLATING = {"_", "text", "figure_text"}


def translated_literals() -> list[tuple[str, str]]:
    """(module, English text) of every call ``_("...")``, ``text("...")``, ``figure_text("...")``."""
    found = []
    for name, source in package_sources().items():
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSLATING
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.append((name, node.args[0].value))
    return found


def test_every_text_the_package_translates_is_in_the_catalogue():
    literals = translated_literals()
    assert len(literals) > 40
    assert [(module, english) for module, english in literals if english not in ZH] == []


def test_the_font_has_a_glyph_for_every_chinese_character():
    family = i18n.cjk_font()
    assert family is not None, i18n.font_status()
    path = matplotlib.font_manager.findfont(matplotlib.font_manager.FontProperties(family=family),
                                            fallback_to_default=False)
    font = ft2font.FT2Font(path)
    characters = {c for chinese in ZH.values() for c in chinese if ord(c) > 0x2E80}
    assert [c for c in sorted(characters) if font.get_char_index(ord(c)) == 0] == []


def test_the_bundled_font_comes_first():
    assert i18n.cjk_font() == "Noto Sans SC"
    assert "Chinese figures use Noto Sans SC" in i18n.font_status()


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def draw_everything() -> plt.Figure:
    """A figure with what the explorers and notebooks draw most: match, mining, IoU, curves."""
    priors_cxcy = priors.tiny_detector_priors()
    photo = data.load_photo("coffee")
    match = matching.match_priors(photo.boxes, photo.labels, priors_cxcy)
    conf = torch.linspace(3.0, 0.0, len(priors_cxcy))
    positive = match.gt_index >= 0
    fig, axes = plt.subplots(2, 4, figsize=(16, 8))
    viz.draw_match(axes[0, 0], match, priors_cxcy, photo.boxes, photo.object_names, image=photo.image,
                   show_unmatched=True)
    viz.draw_priors(axes[0, 0], priors_cxcy[:2])
    viz.draw_gt_boxes(axes[0, 0], photo.boxes)
    kept = ssd_course.loss.hard_negative_mask(conf[None], positive[None], neg_pos_ratio=3)[0]
    viz.draw_mined_negatives(axes[0, 1], priors_cxcy, match, kept, image=photo.image)
    viz.plot_ranked_negative_losses(axes[0, 2], conf, positive, neg_pos_ratio=3)
    viz.draw_iou(axes[0, 3], torch.tensor([0.1, 0.1, 0.6, 0.6]), torch.tensor([0.3, 0.3, 0.8, 0.7]))
    viz.plot_l1_l2_smooth(axes[1, 0])
    viz.plot_sample_counts(axes[1, 1], ["coffee"], [int(positive.sum())], len(priors_cxcy))
    viz.plot_loss_curve(axes[1, 2], {"total": [3.0, 2.0, 1.5]})
    viz.draw_positives_vs_threshold(axes[1, 3], [0.3, 0.5], [match, match], photo.object_names)
    return fig


def shown_texts(fig: plt.Figure) -> list[str]:
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return [t for t in texts if t.strip()]


# what stays Latin in a Chinese figure: names, symbols, class names, formulas
LATIN = {"GT", "IoU", "smooth", "L1", "L2", "min", "cup", "saucer", "spoon", "coffee", "total", "box_a", "box_b"}


def test_chinese_figures_show_no_english_words(chinese):
    fig = draw_everything()
    try:
        english = [t for t in shown_texts(fig) if set(re.findall(r"[A-Za-z_]{2,}", re.sub(r"\$.*?\$", "", t))) - LATIN]
    finally:
        plt.close(fig)
    assert english == []
    assert matplotlib.rcParams["font.family"][-1] == "Noto Sans SC"


def test_english_figures_are_unchanged_by_the_catalogue():
    fig = draw_everything()
    try:
        texts = shown_texts(fig)
    finally:
        plt.close(fig)
    assert "prior matched by principle 1" in texts
    assert not any(re.search(r"[\u4e00-\u9fff]", t) for t in texts)
    assert "Noto Sans SC" not in matplotlib.rcParams["font.family"]


def test_without_a_chinese_font_figures_keep_english_with_one_warning(chinese, monkeypatch):
    monkeypatch.setattr(i18n, "cjk_font", lambda: None)
    i18n._warn_no_font.cache_clear()
    with pytest.warns(UserWarning, match="no Chinese font found: Chinese figures keep English labels") as record:
        assert i18n.figure_text("kept: the {count} hardest negatives", count=5) == "kept: the 5 hardest negatives"
        assert i18n.figure_text("GT box") == "GT box"
    assert len(record) == 1
    assert i18n.text("GT box") == "真实框"  # printed text needs no font
    i18n._warn_no_font.cache_clear()


# ---------------------------------------------------------------------------------------------
# How checks.py and widgets.py will speak Chinese: through the same catalogue
# ---------------------------------------------------------------------------------------------


def test_a_check_message_translates(chinese):
    def iou_pair(box_a, box_b):
        raise NotImplementedError

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert checks.check_iou_pair(iou_pair) is False
    assert printed.getvalue().strip() == i18n.text(checks.NOT_IMPLEMENTED) == \
        "还没有实现：把 `raise NotImplementedError` 换成你的代码。"


def test_a_widget_label_translates(chinese):
    pytest.importorskip("ipywidgets")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        explorer = widgets.iou_threshold_explorer()
    toggle = explorer.controls["unique"]
    toggle.description = i18n.text(toggle.description)
    assert toggle.description == "unique（贪心的第一个原则）"
    renders = explorer.renders
    toggle.value = not toggle.value  # the explorer still redraws, now with Chinese figure texts
    assert explorer.renders == renders + 1


def test_a_bold_chinese_label_prints_nothing(chinese, caplog):
    # the font package has one weight: matplotlib draws bold in it without a findfont line
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots()
    try:
        with caplog.at_level("DEBUG", logger="matplotlib.font_manager"):
            ax.set_title("真实框 bold", fontweight="bold")
            figure.canvas.draw()
    finally:
        plt.close(figure)
    assert [r.getMessage() for r in caplog.records if "Failed to find font weight" in r.getMessage()] == []
