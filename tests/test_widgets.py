"""The notebook explorers, driven in the kernel: set a control, check what they report."""

import html
import math
import re

import matplotlib.text
import pytest
import torch

pytest.importorskip("ipywidgets")

import ssd_course  # noqa: E402
from ssd_course import data, i18n, loss, matching, priors, widgets  # noqa: E402

PRIORS = priors.tiny_detector_priors()


def expected_threshold_state(photo: str, threshold: float, unique: bool) -> dict:
    picture = data.load_photo(photo)
    match = matching.match_priors(picture.boxes, picture.labels, PRIORS, threshold, unique)
    per_gt = [int((match.gt_index == g).sum()) for g in range(len(picture.object_names))]
    return {"positives_per_gt": per_gt, "positives": sum(per_gt), "negatives": 441 - sum(per_gt)}


def test_iou_threshold_explorer_follows_the_slider():
    explorer = widgets.iou_threshold_explorer("coffee", threshold=0.5)
    first_image, first_text, renders = explorer.image.value, explorer.readout.value, explorer.renders
    assert bytes(first_image[:4]) == b"\x89PNG"
    assert explorer.state["positives"] == expected_threshold_state("coffee", 0.5, True)["positives"]

    explorer.controls["threshold"].value = 0.3
    want = expected_threshold_state("coffee", 0.3, True)
    assert explorer.renders == renders + 1
    assert explorer.state["threshold"] == 0.3
    for key, value in want.items():
        assert explorer.state[key] == value, key
    assert explorer.state["positives"] > 17  # a lower threshold can only add positives
    assert explorer.image.value != first_image
    assert explorer.readout.value != first_text
    assert f"positives: {want['positives']}" in explorer.readout.value


def test_iou_threshold_explorer_reports_principle1_only_gts_and_unique_toggle():
    explorer = widgets.iou_threshold_explorer("coffee", threshold=0.95)
    # at 0.95 no prior reaches the threshold: every GT is kept by principle 1 alone
    assert explorer.state["only_principle1"] == [0, 1, 2]
    assert explorer.state["positives"] == 3
    explorer.controls["unique"].value = False
    assert explorer.state["unique"] is False
    assert explorer.state == {**explorer.state, **expected_threshold_state("coffee", 0.95, False)}


def test_negative_ratio_explorer_matches_hard_negative_mask():
    explorer = widgets.negative_ratio_explorer("coffee", neg_pos_ratio=3.0)
    positives = explorer.state["positives"]
    assert explorer.state["kept_negatives"] == min(3 * positives, 441 - positives)
    first_loss = explorer.state["conf_loss"]

    explorer.controls["neg_pos_ratio"].value = 1.0
    assert explorer.state["kept_negatives"] == positives
    assert explorer.state["conf_loss"] < first_loss  # fewer negatives, each with a positive loss

    explorer.controls["all_negatives"].value = True
    assert explorer.state["neg_pos_ratio"] == math.inf
    assert explorer.state["kept_negatives"] == 441 - positives
    assert explorer.renders == 3


def test_negative_ratio_explorer_loss_equals_the_package():
    explorer = widgets.negative_ratio_explorer("astronaut", neg_pos_ratio=2.0, seed=5)
    picture = data.load_photo("astronaut")
    scores = torch.randn(1, 441, len(picture.class_names), generator=torch.Generator().manual_seed(5))
    parts = loss.multibox_loss(torch.zeros(1, 441, 4), scores, [picture.boxes], [picture.labels], PRIORS,
                               neg_pos_ratio=2.0)
    assert explorer.state["conf_loss"] == round(parts.conf.item(), 4)


def test_box_explorer_best_prior_is_principle1():
    explorer = widgets.box_explorer(None, (0.5, 0.5, 0.3, 0.4))
    first_image = explorer.image.value
    assert explorer.state["best_prior"] == 219  # cell (3, 3), scale 0.4, ratio 1: IoU 0.12 / 0.16
    assert explorer.state["best_iou"] == pytest.approx(0.12 / 0.16, abs=1e-4)

    explorer.controls["cx"].value = 0.1
    explorer.controls["w"].value = 0.1
    box = torch.tensor([explorer.state["box"]])
    iou = matching.gt_prior_iou(box, PRIORS)
    assert explorer.state["best_prior"] == int(iou.argmax())
    assert explorer.state["priors_above_half"] == int((iou >= 0.5).sum())
    assert explorer.image.value != first_image
    assert explorer.renders == 3


def test_negative_ratio_explorer_draws_every_kept_negative_apart_and_the_gt_boxes():
    import numpy as np
    from matplotlib.figure import Figure

    drawn = []
    original = Figure.add_subplot

    def keep(self, *args, **kwargs):  # remember the axes of each picture the explorer draws
        ax = original(self, *args, **kwargs)
        drawn.append(ax)
        return ax

    Figure.add_subplot = keep
    try:
        explorer = widgets.negative_ratio_explorer("coffee", neg_pos_ratio=3.0)
        explorer.controls["neg_pos_ratio"].value = 10.0
    finally:
        Figure.add_subplot = original
    for ax, kept in zip(drawn, (51, explorer.state["kept_negatives"])):
        ignored, crosses, positives = ax.collections
        legend = {text.get_text() for text in ax.get_legend().get_texts()}
        assert f"kept hard negative ({kept})" in legend
        assert len(crosses.get_offsets()) == kept  # one mark per kept prior: the legend counts what is drawn
        # every mark of the picture (all 441 priors) apart from every other by more than a cross's width
        marks = np.concatenate([c.get_offsets() for c in (ignored, crosses, positives)])
        pixels = ax.transData.transform(marks)  # [441, 2]
        gaps = np.linalg.norm(pixels[:, None] - pixels[None], axis=-1)[np.triu_indices(len(pixels), 1)]
        cross_width = np.sqrt(crosses.get_sizes()[0]) * ax.figure.dpi / 72
        assert len(marks) == 441 and gaps.min() > cross_width
        captions = [text.get_text() for text in ax.texts]
        assert captions == ["GT 0: cup", "GT 1: saucer", "GT 2: spoon"]  # the GT boxes are drawn, captioned
    assert explorer.state["kept_negatives"] == min(10 * 17, 424)


def test_every_explorer_has_a_kernel_watch_on_its_controls_that_answers_pings():
    for explorer in (widgets.iou_threshold_explorer("coffee"), widgets.negative_ratio_explorer("coffee"),
                     widgets.box_explorer(None)):
        watch = explorer.watch
        assert watch in explorer.widget.children
        assert watch.controls == [control.model_id for control in explorer.controls.values()]
        sent = []
        watch.send = lambda content, buffers=None: sent.append(content)
        watch._msg_callbacks(watch, {"kind": "ping", "number": 7}, [])
        watch._msg_callbacks(watch, {"kind": "something else"}, [])
        assert sent == [{"kind": "pong", "number": 7}]  # each ping answered once, nothing else
        assert repr(watch) == f"KernelWatch(controls={len(explorer.controls)})"  # no memory address
    assert "{seconds}" in watch.silent_text and "from the top" in watch.restarted_text


def test_kernel_watch_front_end_is_valid_javascript(tmp_path):
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to parse the watch's JavaScript with (the browser test runs it)")
    module = tmp_path / "watch.mjs"
    module.write_text(widgets._WATCH_ESM, encoding="utf-8")
    result = subprocess.run([node, "--check", str(module)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------
# The Chinese edition: every explorer speaks the language chosen with ssd_course.set_language
# ---------------------------------------------------------------------------------------------

# what stays Latin in a Chinese explorer: names, symbols, class names, formulas, Python values
LATIN = {"GT", "IoU", "min", "unique", "True", "False", "cup", "saucer", "spoon", "coffee", "Run", "All", "Cells",
         "kernel"}


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{2,}", text)) - LATIN


def has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


@pytest.fixture
def chinese():
    """Chinese for one test, English again after it."""
    ssd_course.set_language("zh")
    yield
    ssd_course.set_language("en")


@pytest.fixture
def figure_texts(monkeypatch):
    """The texts of every figure the explorers draw from now on (titles, legends, ticks, captions), per picture."""
    drawn = []
    original = widgets.figure_png

    def keep(fig, dpi=80):
        drawn.append([t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()])
        return original(fig, dpi)

    monkeypatch.setattr(widgets, "figure_png", keep)
    return drawn


def readout(explorer) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", explorer.readout.value))


def assert_speaks_chinese(explorer, drawn):
    for control in explorer.controls.values():
        assert has_chinese(control.description) and not english_words(control.description), control.description
    lines = readout(explorer).splitlines()
    assert lines and all(has_chinese(line) for line in lines)
    assert [line for line in lines if english_words(line)] == []
    assert drawn and all(any(has_chinese(t) for t in texts) for texts in drawn)
    assert [t for texts in drawn for t in texts if english_words(t)] == []
    watch = explorer.watch
    assert watch.restarted_text == i18n.CATALOGUE["zh"][widgets.KERNEL_RESTARTED]
    assert watch.silent_text == i18n.CATALOGUE["zh"][widgets.KERNEL_SILENT]
    assert "{seconds}" in watch.silent_text  # filled in by the watch's JavaScript
    assert has_chinese(watch.restarted_text) and not english_words(watch.restarted_text)


def test_iou_threshold_explorer_in_chinese(chinese, figure_texts):
    explorer = widgets.iou_threshold_explorer("coffee", threshold=0.5)
    explorer.controls["threshold"].value = 0.95
    assert_speaks_chinese(explorer, figure_texts)
    assert [c.description for c in explorer.controls.values()] == ["交并比阈值", "unique（贪心的第一个原则）"]
    lines = readout(explorer).splitlines()
    assert lines[0] == "GT 0 (cup)：1 个先验框（第一个原则 1 个，第二个原则 0 个）"
    assert f"正样本：{explorer.state['positives']}，负样本：{explorer.state['negatives']}" in lines
    assert lines[-2:] == ["只靠第一个原则保住的真实框：GT 0, GT 1, GT 2", "丢失的真实框（一个先验框也没有）：无"]
    assert "coffee：阈值 0.95，unique=True" in figure_texts[-1]
    assert "按第一个原则匹配的先验框" in figure_texts[-1]


def test_negative_ratio_explorer_in_chinese(chinese, figure_texts):
    explorer = widgets.negative_ratio_explorer("coffee", neg_pos_ratio=3.0)
    state = explorer.state
    assert readout(explorer).splitlines() == [
        f"正样本 P = {state['positives']}，负样本 = {state['negatives']}",
        f"保留的难负样本 = min(3 x {state['positives']}, {state['negatives']}) = {state['kept_negatives']}",
        f"置信度损失（正样本 + 保留的负样本）/ N = {state['conf_loss']:.4f}",
    ]
    explorer.controls["all_negatives"].value = True
    assert_speaks_chinese(explorer, figure_texts)
    assert [c.description for c in explorer.controls.values()] == ["负:正样本比例", "全部负样本"]
    assert f"min(∞ x {state['positives']}, {state['negatives']})" in readout(explorer)
    assert "coffee：负:正样本比例 ∞" in figure_texts[-1]
    assert f"保留的难负样本（{explorer.state['kept_negatives']}）" in figure_texts[-1]


def test_box_explorer_in_chinese(chinese, figure_texts):
    explorer = widgets.box_explorer(None, (0.5, 0.5, 0.3, 0.4))
    assert readout(explorer).splitlines() == [
        "框 (x1, y1, x2, y2) = (0.35, 0.30, 0.65, 0.70)",
        "第一个原则分给它先验框 219（网格单元第 3 行、第 3 列，形状 3）：交并比 0.7500",
        f"交并比 >= 0.5 的先验框（阈值为 0.5 的第二个原则）：{explorer.state['priors_above_half']}",
    ]
    explorer.controls["w"].value = 0.1
    assert_speaks_chinese(explorer, figure_texts)
    assert [c.description for c in explorer.controls.values()] == ["中心 x", "中心 y", "宽度", "高度"]
    assert {"真实框和它的最佳先验框", f"先验框 {explorer.state['best_prior']}", "最佳先验框（第一个原则）",
            "GT 0: 框"} <= set(figure_texts[-1])


def test_explorers_in_english_show_no_chinese(figure_texts):
    explorer = widgets.box_explorer(None, (0.5, 0.5, 0.3, 0.4))
    assert readout(explorer).splitlines() == [
        "box (x1, y1, x2, y2) = (0.35, 0.30, 0.65, 0.70)",
        "principle 1 gives it prior 219 (cell row 3, column 3, shape 3): IoU 0.7500",
        f"priors with IoU >= 0.5 (principle 2 at threshold 0.5): {explorer.state['priors_above_half']}",
    ]
    for explorer in (explorer, widgets.iou_threshold_explorer("coffee"), widgets.negative_ratio_explorer("coffee")):
        shown = [readout(explorer), explorer.watch.restarted_text, explorer.watch.silent_text,
                 *(c.description for c in explorer.controls.values())]
        assert not any(has_chinese(t) for t in shown)
        assert explorer.watch.restarted_text == widgets.KERNEL_RESTARTED
    assert not any(has_chinese(t) for texts in figure_texts for t in texts)
