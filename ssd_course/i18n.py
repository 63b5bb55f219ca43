"""The language the course speaks to the learner: English (the default) or Simplified Chinese.

The Chinese notebooks call ``ssd_course.set_language("zh")`` in their first code cell; the
environment variable ``SSD_COURSE_LANG=zh`` does the same for a whole session. From then on
every text the package shows the learner is looked up in a catalogue, with the English
text itself as the key (as gettext does):

* :func:`text` -- printed text (tables, summaries, exercise feedback);
* :func:`figure_text` -- text drawn in a figure (titles, axis labels, legends). Chinese
  needs a CJK font: the one of the ``pylopdf-fonts-zh-cn`` package (Noto Sans SC, SIL Open
  Font License 1.1, installed with the course), else a Chinese system font. Without any,
  figures keep their English text and one warning says why.

A text missing from the catalogue is shown in English. Inside the package, ``viz`` calls
:func:`figure_text` as ``_``; to translate a new text, add its English and Chinese to
:data:`CATALOGUE`.

Example:
    >>> set_language("zh")
    >>> text("positives: {positives}, negatives: {negatives}", positives=17, negatives=424)
    '正样本：17，负样本：424'
    >>> set_language("en")
    >>> text("positives: {positives}, negatives: {negatives}", positives=17, negatives=424)
    'positives: 17, negatives: 424'
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

from ssd_course._checks_zh import CHECKS_ZH

__all__ = ["CATALOGUE", "CJK_SAMPLE", "ENV_VAR", "LANGUAGES", "cjk_font", "figure_text", "font_covering",
           "font_status", "get_language", "set_language", "text"]

LANGUAGES = ("en", "zh")
ENV_VAR = "SSD_COURSE_LANG"
FONT_PACKAGE = "pylopdf-fonts-zh-cn"  # Noto Sans SC, SIL Open Font License 1.1
CJK_SAMPLE = "真实框先验框难例挖掘损失函数"
"""Chinese terms of the course (GT box, prior box, hard negative mining, loss function)."""

# families tried first: a font with these in its name usually has the glyphs
CJK_HINTS = ("cjk", "han sans", "han serif", "wenquanyi", "wqy", "droid sans fallback", "simhei", "simsun",
             "yahei", "pingfang", "hiragino", "heiti", "songti", "kaiti", "fangsong", "ar pl", "source han")


def _checked(language: object, where: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"{where} must be one of {', '.join(map(repr, LANGUAGES))}; got {language!r}")
    return language


_language = "en"
_saved_font_family: list[str] | None = None  # matplotlib's font.family before Chinese was chosen


def get_language() -> str:
    """The language of the texts the package shows: ``"en"`` or ``"zh"``."""
    return _language


def set_language(language: str) -> None:
    """Show every text of the package in ``language`` from now on: ``"en"`` or ``"zh"``.

    Choosing ``"zh"`` also makes matplotlib draw Chinese characters with :func:`cjk_font`
    (Latin letters and digits keep matplotlib's default font).

    Raises:
        ValueError: if ``language`` is not one of :data:`LANGUAGES`.
    """
    global _language
    _language = _checked(language, "language")
    _configure_matplotlib()


def _configure_matplotlib() -> None:
    """Add the CJK font after matplotlib's own in Chinese, so that CJK glyphs fall back to it; undo in English."""
    global _saved_font_family
    try:
        import matplotlib
    except ImportError:  # the core of the package runs without matplotlib
        return
    family = cjk_font() if _language == "zh" else None
    if family is not None:
        _quiet_missing_bold(family)
    if family is not None and _saved_font_family is None:
        _saved_font_family = list(matplotlib.rcParams["font.family"])
        matplotlib.rcParams["font.family"] = [*_saved_font_family, family]
    elif family is None and _saved_font_family is not None:
        matplotlib.rcParams["font.family"] = _saved_font_family
        _saved_font_family = None


@functools.cache
def _quiet_missing_bold(family: str) -> None:
    """Drop matplotlib's note that ``family`` has no bold face (it draws bold text in its regular face).

    The font package has one weight; without this, the first bold Chinese label of a session
    prints a ``findfont`` line, on one machine and not on another with a bold face installed.
    """
    import logging

    logging.getLogger("matplotlib.font_manager").addFilter(
        lambda record: not (record.getMessage().startswith("findfont: Failed to find font weight")
                            and f" for {family}, " in record.getMessage()))


def _font_file() -> Path | None:
    """The CJK font file of :data:`FONT_PACKAGE`, or None when that package is not installed."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


@functools.cache
def cjk_font() -> str | None:
    """The family name of a font with Chinese glyphs, registered with matplotlib; None if there is none.

    The font of :data:`FONT_PACKAGE` comes first, so that figures look the same on every
    machine; then any font matplotlib knows that draws :data:`CJK_SAMPLE`.
    """
    from matplotlib import font_manager

    path = _font_file()
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=path).get_name()
    return font_covering(CJK_SAMPLE)


def font_covering(text: str, hints: Iterable[str] = CJK_HINTS) -> str | None:
    """The family of one of matplotlib's fonts that has a glyph for every character of ``text``.

    Fonts whose family name contains one of ``hints`` are tried first; then every other font
    matplotlib knows, so a font with an unexpected name is found too.

    Args:
        text (str): the characters needed.
        hints (Iterable[str]): lower-case parts of family names to try first.

    Returns:
        str | None: a family name to give ``matplotlib.rcParams["font.family"]``, or None.

    Example:
        >>> font_covering("IoU") is not None  # matplotlib's own DejaVu Sans has Latin letters
        True
    """
    from matplotlib import font_manager, ft2font

    hints = tuple(hints)
    wanted = {ord(character) for character in text if not character.isspace()}
    entries = sorted(font_manager.fontManager.ttflist,
                     key=lambda entry: (not any(hint in entry.name.lower() for hint in hints), entry.name))
    for entry in entries:
        if "last resort" in entry.name.lower():
            continue  # maps every character to a placeholder glyph (matplotlib ships it as a fallback)
        try:
            charmap = ft2font.FT2Font(entry.fname).get_charmap()
        except (OSError, RuntimeError, ValueError):
            continue
        if wanted <= charmap.keys():
            return entry.name
    return None


def font_status() -> str:
    """One line on the font used for Chinese figures, e.g. for ``tasks.py doctor``."""
    family = cjk_font()
    if family is None:
        return (f"no Chinese font found: Chinese figures keep English labels "
                f"(install one with: python -m pip install {FONT_PACKAGE})")
    path = _font_file()
    return f"Chinese figures use {family}" + (f" ({path})" if path is not None else " (a system font)")


@functools.cache
def _warn_no_font() -> None:
    warnings.warn(font_status(), stacklevel=3)


def text(english: str, **fields: object) -> str:
    """``english`` in the current language, its ``{fields}`` filled in with ``str.format``.

    Args:
        english (str): the English text, which is also its key in :data:`CATALOGUE`.
        **fields: the values of the text's ``{name}`` fields.

    Returns:
        str: the translation (the English text where the catalogue has none), formatted.
    """
    template = CATALOGUE.get(_language, {}).get(english, english)
    return template.format(**fields) if fields else template


def figure_text(english: str | None, **fields: object) -> str | None:
    """Like :func:`text`, for text drawn in a figure: English when no CJK font is found.

    ``None`` (no title, no legend entry) stays ``None``, and a text that is not in the
    catalogue -- a title written by a notebook, maybe already in Chinese -- is returned as is.
    """
    if english is None:
        return None
    if _language != "en" and cjk_font() is None:
        _warn_no_font()
        return english.format(**fields) if fields else english
    _configure_matplotlib()
    return text(english, **fields)


_ZH: dict[str, str] = {
    # ssd_course.viz: legends
    "GT box": "真实框",
    "GT box (colour = GT)": "真实框（颜色 = 所属真实框）",
    "prior box": "先验框",
    "prior matched by principle 1": "按第一个原则匹配的先验框",
    "prior matched by principle 2": "按第二个原则匹配的先验框",
    "unmatched prior (background)": "未匹配的先验框（背景）",
    "lost GT: {lost}": "丢失的真实框：{lost}",
    "ignored negative ({count})": "被忽略的负样本（{count}）",
    "kept hard negative ({count})": "保留的难负样本（{count}）",
    "positive ({count})": "正样本（{count}）",
    "all positives": "全部正样本",
    "GT kept only by principle 1": "只靠第一个原则保住的真实框",
    "|x| < β = {beta:g}: smooth L1 quadratic": "|x| < β = {beta:g}：smooth L1 为二次函数",
    "positive prior": "正样本先验框",
    "value": "数值",
    "positive priors (P)": "正样本先验框（P）",
    "negative priors": "负样本先验框",
    "box {name}": "框 {name}",
    "{a} ∩ {b} (intersection)": "{a} ∩ {b}（交集）",
    "{a} ∪ {b} (union, outline)": "{a} ∪ {b}（并集，虚线轮廓）",
    "negatives ({count}), sorted by loss": "负样本（{count}），按损失排序",
    "kept: the {count} hardest negatives": "保留：损失最大的 {count} 个负样本",
    "cut at M = min({ratio} x P, negatives) = {kept}  (P = {positives})":
        "截断于 M = min({ratio} x P, 负样本数) = {kept}（P = {positives}）",
    "cell centre": "网格单元中心",
    "cell ({row}, {column})": "网格单元 ({row}, {column})",
    "detection": "检测结果",
    # ssd_course.viz: tick labels, axis labels and default titles
    "ratio {ratio:g}": "宽高比 {ratio:g}",
    "scale {scale:g}": "尺度 {scale:g}",
    "prior {index}": "先验框 {index}",
    "IoU with each prior (tile = scale x ratio, square = cell)": "与每个先验框的交并比（块 = 尺度 x 宽高比，格 = 网格单元）",
    "threshold of principle 2 (IoU)": "第二个原则的阈值（交并比）",
    "positive priors": "正样本先验框数",
    "x = predicted offset − target offset": "x = 预测偏移量 − 目标偏移量",
    "loss": "损失",
    "Gradient: how hard each loss pulls": "梯度：每种损失的拉力有多大",
    "Loss of one offset": "一个偏移量的损失",
    "priors": "先验框数",
    "Positive vs negative priors per image": "每张图像的正样本与负样本先验框",
    "IoU of {a} and {b}": "{a} 与 {b} 的交并比",
    "IoU matrix [G, P] = [{G}, {P}]": "交并比矩阵 [G, P] = [{G}, {P}]",
    "rank of the negative prior (0 = highest loss)": "负样本先验框的名次（0 = 损失最大）",
    "confidence loss (target: background)": "置信度损失（目标：背景）",
    "Negative priors ranked by confidence loss": "按置信度损失排序的负样本先验框",
    "optimisation step": "优化步数",
    "Loss during optimisation": "优化过程中的损失",
    "{label} (running mean of {window} steps)": "{label}（{window} 步滑动平均）",
    "Training curves": "训练曲线",
    # ssd_course.viz: printed summaries
    "GT {g}{name}: {count} {noun} ({n1} by principle 1, {n2} by principle 2)":
        "GT {g}{name}：{count} 个先验框（第一个原则 {n1} 个，第二个原则 {n2} 个）",
    "prior": "先验框",
    "positives: {positives}, negatives: {negatives}": "正样本：{positives}，负样本：{negatives}",
    "matched to": "匹配到",
    "principle": "原则",
    "background": "背景",
    # ssd_course.checks and ssd_course.widgets (converted in their own change; the tests
    # show that these texts translate)
    "Not implemented yet: replace `raise NotImplementedError` with your code.":
        "还没有实现：把 `raise NotImplementedError` 换成你的代码。",
    "unique (greedy principle 1)": "unique（贪心的第一个原则）",
    # ssd_course.widgets: the explorers' controls, titles and readouts, and the kernel watch's lines
    "The kernel was restarted (or shut down), so this explorer lost the code that drew it: its controls "
    "still move, but the picture will not change. Run the notebook's cells again from the top (menu Run, "
    "Run All Cells) to get a working explorer.":
        "内核已经重启（或关闭），这个交互控件失去了绘制它的代码：滑块还能拖动，图却不会再变。"
        "请从头重新运行笔记本的单元格（菜单 Run → Run All Cells），交互控件就又能用了。",
    "No answer from the kernel for {seconds} s. If a cell is still running (a [*] beside it), wait for it. "
    "If the kernel was restarted, run the notebook's cells again from the top (menu Run, Run All Cells).":
        "内核 {seconds} 秒没有回应。如果还有单元格在运行（旁边显示 [*]），请等它运行完；"
        "如果内核已经重启，请从头重新运行笔记本的单元格（菜单 Run → Run All Cells）。",
    "IoU threshold": "交并比阈值",
    "{photo}: threshold {threshold:.2f}, unique={unique}": "{photo}：阈值 {threshold:.2f}，unique={unique}",
    "kept only by principle 1: {gts}": "只靠第一个原则保住的真实框：{gts}",
    "lost (no prior at all): {gts}": "丢失的真实框（一个先验框也没有）：{gts}",
    "none": "无",
    "neg:pos ratio": "负:正样本比例",
    "all negatives": "全部负样本",
    "all": "∞",  # the ratio when the "all negatives" box is ticked, in a title and in min(∞ x P, negatives)
    "{photo}: neg:pos ratio {label}": "{photo}：负:正样本比例 {label}",
    "positives P = {positives}, negatives = {negatives}": "正样本 P = {positives}，负样本 = {negatives}",
    "kept hard negatives = min({label} x {positives}, {negatives}) = {kept_negatives}":
        "保留的难负样本 = min({label} x {positives}, {negatives}) = {kept_negatives}",
    "confidence loss (positives + kept negatives) / N = {conf_loss:.4f}":
        "置信度损失（正样本 + 保留的负样本）/ N = {conf_loss:.4f}",
    "centre x": "中心 x",
    "centre y": "中心 y",
    "width": "宽度",
    "height": "高度",
    "GT box and its best prior": "真实框和它的最佳先验框",
    "best prior (principle 1)": "最佳先验框（第一个原则）",
    "box": "框",
    "box (x1, y1, x2, y2) = ({corners})": "框 (x1, y1, x2, y2) = ({corners})",
    "principle 1 gives it prior {best} (cell row {i}, column {j}, shape {k}): IoU {best_iou:.4f}":
        "第一个原则分给它先验框 {best}（网格单元第 {i} 行、第 {j} 列，形状 {k}）：交并比 {best_iou:.4f}",
    "priors with IoU >= 0.5 (principle 2 at threshold 0.5): {priors_above_half}":
        "交并比 >= 0.5 的先验框（阈值为 0.5 的第二个原则）：{priors_above_half}",
}

CATALOGUE: dict[str, dict[str, str]] = {"zh": _ZH | CHECKS_ZH}
"""Translations by language, each a dict from the English text to the translated text."""


def _from_environment() -> None:
    language = os.environ.get(ENV_VAR)
    if language is None:
        return
    try:
        set_language(language)
    except ValueError:
        warnings.warn(f"{ENV_VAR}={language!r} is ignored: it must be one of {', '.join(LANGUAGES)}",
                      stacklevel=2)


_from_environment()
