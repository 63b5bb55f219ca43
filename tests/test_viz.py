"""Tests of ssd_course.viz: each drawing function draws the artists it promises on an Agg figure."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402


def test_plot_l1_l2_smooth_draws_three_losses_with_their_values():
    from ssd_course.viz import plot_l1_l2_smooth

    fig, ax = plt.subplots()
    assert plot_l1_l2_smooth(ax, limit=4.0, beta=1.0) is ax
    lines = {line.get_label().split(":")[0]: line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert sorted(lines) == ["L1", "L2", "smooth L1"]
    x = lines["L1"].get_xdata()
    assert x[0] == pytest.approx(-4.0) and x[-1] == pytest.approx(4.0)
    assert lines["L1"].get_ydata()[-1] == pytest.approx(4.0)  # |4|
    assert lines["L2"].get_ydata()[-1] == pytest.approx(8.0)  # 4**2 / 2
    assert lines["smooth L1"].get_ydata()[-1] == pytest.approx(3.5)  # 4 - 0.5
    plt.close(fig)


def test_plot_l1_l2_smooth_gradients():
    from ssd_course.viz import plot_l1_l2_smooth

    fig, ax = plt.subplots()
    plot_l1_l2_smooth(ax, gradient=True, limit=4.0, beta=1.0, num=800)
    lines = {line.get_label().split(":")[0]: line for line in ax.get_lines() if not line.get_label().startswith("_")}
    x = lines["L1"].get_xdata()
    near_zero = np.argmin(np.abs(x - 0.25))
    assert lines["L1"].get_ydata()[-1] == pytest.approx(1.0)  # sign(x)
    assert lines["L2"].get_ydata()[-1] == pytest.approx(4.0)  # x
    assert lines["smooth L1"].get_ydata()[-1] == pytest.approx(1.0)  # linear part
    assert lines["smooth L1"].get_ydata()[near_zero] == pytest.approx(x[near_zero])  # quadratic part: x / beta
    assert lines["L1"].get_ydata()[near_zero] == pytest.approx(1.0)  # L1 does not shrink near 0
    assert ax.get_ylabel() == "d loss / dx"
    plt.close(fig)


def test_draw_prior_values_one_square_per_prior_spread_around_shared_centres():
    from ssd_course.priors import tiny_detector_priors
    from ssd_course.viz import draw_prior_values, show_image

    priors_cxcy = tiny_detector_priors()
    values = torch.arange(441, dtype=torch.float32)
    positive = torch.zeros(441, dtype=torch.bool)
    positive[[0, 100, 440]] = True
    fig, ax = plt.subplots()
    show_image(ax, None)
    assert draw_prior_values(ax, priors_cxcy, values, highlight=positive, colorbar_label="loss") is ax
    colored, outlined = ax.collections
    assert len(colored.get_offsets()) == 441
    assert len(outlined.get_offsets()) == 3
    np.testing.assert_allclose(colored.get_array(), values.numpy())
    offsets = np.asarray(colored.get_offsets())
    assert len(np.unique(np.round(offsets, 6), axis=0)) == 441  # no two squares on top of each other
    # the 9 squares of the first cell stay around its centre (1/14, 1/14), inside the cell
    np.testing.assert_allclose(offsets[:9].mean(axis=0), [1 / 14, 1 / 14], atol=1e-9)
    assert np.abs(offsets[:9] - 1 / 14).max() < 1 / 14
    assert len(fig.axes) == 2  # the colour bar
    assert fig.axes[1].get_ylabel() == "loss"
    assert ax.get_legend().get_texts()[0].get_text() == "positive prior (3)"
    plt.close(fig)


def test_draw_prior_values_rejects_wrong_lengths():
    from ssd_course.priors import tiny_detector_priors
    from ssd_course.viz import draw_prior_values

    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="one value per prior"):
        draw_prior_values(ax, tiny_detector_priors(), torch.zeros(440))
    with pytest.raises(ValueError, match="highlight"):
        draw_prior_values(ax, tiny_detector_priors(), torch.zeros(441), highlight=torch.zeros(441))
    plt.close(fig)


def test_plot_sample_counts_bars_and_labels():
    from ssd_course.viz import plot_sample_counts

    fig, ax = plt.subplots()
    assert plot_sample_counts(ax, ["a", "b", "c"], [11, 1, 17], 441) is ax
    heights = [patch.get_height() for patch in ax.patches]
    assert heights == [11, 1, 17, 430, 440, 424]
    assert [text.get_text() for text in ax.texts] == ["11", "1", "17", "430", "440", "424"]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="num_positives"):
        plot_sample_counts(ax, ["a"], [442], 441)
    plt.close(fig)


def test_plot_ranked_negative_losses_sorts_the_negatives_and_marks_the_cut():
    from ssd_course.viz import PRIOR_COLOR, plot_ranked_negative_losses

    conf_loss = torch.tensor([5.0, 0.1, 0.7, 0.3, 0.9, 0.2, 0.4])
    positive = torch.tensor([True, False, False, False, False, False, False])  # P = 1, 6 negatives
    fig, ax = plt.subplots()
    assert plot_ranked_negative_losses(ax, conf_loss, positive, neg_pos_ratio=3) is ax
    curve, cut = ax.lines
    assert np.allclose(curve.get_ydata(), [0.9, 0.7, 0.4, 0.3, 0.2, 0.1])  # the positive's 5.0 is not drawn
    assert np.allclose(cut.get_xdata(), [3, 3])  # M = min(3 * 1, 6)
    assert cut.get_color() == PRIOR_COLOR
    assert len(ax.collections) == 1  # the filled kept ranks
    assert "M = min(3 x P, negatives) = 3" in ax.get_legend().get_texts()[2].get_text()
    ax.clear()
    plot_ranked_negative_losses(ax, conf_loss, positive, neg_pos_ratio=math.inf)
    assert np.allclose(ax.lines[1].get_xdata(), [6, 6])  # every negative
    with pytest.raises(ValueError, match="shape"):
        plot_ranked_negative_losses(ax, conf_loss.unsqueeze(0), positive.unsqueeze(0))
    plt.close(fig)


def test_plot_labelled_bars_one_bar_and_caption_each():
    from ssd_course.viz import plot_labelled_bars

    fig, ax = plt.subplots()
    assert plot_labelled_bars(ax, ["1", "3", "all"], [2.5, 4.0, 9.25], title="t") is ax
    assert [patch.get_height() for patch in ax.patches] == [2.5, 4.0, 9.25]
    assert [text.get_text() for text in ax.texts] == ["2.5000", "4.0000", "9.2500"]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["1", "3", "all"]
    ax.clear()
    plot_labelled_bars(ax, ["a", "b"], [1.0, 2.0], texts=["x", "y"])
    assert [text.get_text() for text in ax.texts] == ["x", "y"]
    with pytest.raises(ValueError, match="one entry per bar"):
        plot_labelled_bars(ax, ["a"], [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        plot_labelled_bars(ax, ["a", "b"], [1.0, float("nan")])
    plt.close(fig)


def test_plot_loss_curve_one_line_per_part():
    from ssd_course.viz import plot_loss_curve

    fig, ax = plt.subplots()
    history = {"total": [3.0, 2.0, 1.5], "loc": [1.0, 0.8, 0.6], "conf": [2.0, 1.2, 0.9]}
    assert plot_loss_curve(ax, history) is ax
    assert [line.get_label() for line in ax.lines] == ["total", "loc", "conf"]
    assert np.allclose(ax.lines[0].get_ydata(), [3.0, 2.0, 1.5])
    assert np.allclose(ax.lines[2].get_xdata(), [0, 1, 2])
    with pytest.raises(ValueError, match="one length"):
        plot_loss_curve(ax, {"total": [1.0, 2.0], "loc": [1.0]})
    plt.close(fig)


def _segments_length(collection):
    return sum(float(np.abs(np.diff(segment, axis=0)).sum()) for segment in collection.get_segments())


def test_draw_iou_shades_the_intersection_and_outlines_the_union():
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Rectangle

    from ssd_course.viz import draw_iou

    fig, ax = plt.subplots()
    assert draw_iou(ax, torch.tensor([0.0, 0.0, 2.0, 2.0]), torch.tensor([1.0, 1.0, 3.0, 4.0])) is ax
    rectangles = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(rectangles) == 3  # A, B, A ∩ B
    a, b, intersection = rectangles
    assert (a.get_x(), a.get_y(), a.get_width(), a.get_height()) == (0.0, 0.0, 2.0, 2.0)
    assert (b.get_x(), b.get_y(), b.get_width(), b.get_height()) == (1.0, 1.0, 2.0, 3.0)
    assert (intersection.get_x(), intersection.get_y(), intersection.get_width(), intersection.get_height()) == (
        1.0, 1.0, 1.0, 1.0)
    assert intersection.get_fill()
    outlines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(outlines) == 1
    assert _segments_length(outlines[0]) == pytest.approx(8 + 10 - 4)  # perimeters of A, B and A ∩ B
    assert f"{1 / (4 + 6 - 1):.4f}" in ax.get_xlabel()  # |A ∩ B| = 1, |A| = 4, |B| = 6
    plt.close(fig)


def test_draw_iou_caption_has_the_iou_of_box_iou():
    from ssd_course.viz import draw_iou

    fig, ax = plt.subplots()
    draw_iou(ax, [0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.75, 0.75])
    assert f"{0.0625 / (0.25 + 0.25 - 0.0625):.4f}" in ax.get_xlabel()  # 0.1429
    plt.close(fig)


def test_draw_iou_disjoint_boxes_have_no_intersection_and_two_outlines():
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Rectangle

    from ssd_course.viz import draw_iou

    fig, ax = plt.subplots()
    draw_iou(ax, [0.0, 0.0, 2.0, 2.0], [3.0, 0.0, 4.0, 1.0], legend=False)
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 2
    (outline,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert _segments_length(outline) == pytest.approx(8 + 4)
    assert "0.0000" in ax.get_xlabel()
    assert ax.get_legend() is None
    plt.close(fig)


def test_draw_iou_box_inside_another_outlines_the_outer_box():
    from matplotlib.collections import LineCollection

    from ssd_course.viz import draw_iou

    fig, ax = plt.subplots()
    draw_iou(ax, [0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 2.0, 3.0])
    (outline,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert _segments_length(outline) == pytest.approx(16)  # only A's border
    assert f"{2 / 16:.4f}" in ax.get_xlabel()
    plt.close(fig)


def test_draw_iou_rejects_inverted_boxes():
    from ssd_course.viz import draw_iou

    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="box_b"):
        draw_iou(ax, [0.0, 0.0, 1.0, 1.0], [0.5, 0.5, 0.2, 0.9])
    plt.close(fig)


def test_draw_iou_matrix_writes_every_value_in_its_cell():
    from ssd_course.viz import draw_iou_matrix

    iou = torch.tensor([[0.1, 0.75, 0.0], [0.5, 0.25, 1.0]])
    fig, ax = plt.subplots()
    assert draw_iou_matrix(ax, iou, ["cup", "spoon"], ["p0", "p1", "p2"]) is ax
    (image,) = ax.get_images()
    assert np.array_equal(np.asarray(image.get_array()), iou.double().numpy())
    texts = {(t.get_position(), t.get_text()) for t in ax.texts}
    assert texts == {((p, g), f"{iou[g, p].item():.2f}") for g in range(2) for p in range(3)}
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cup", "spoon"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["p0", "p1", "p2"]
    assert len(fig.axes) == 2  # the heat map and its colour bar
    plt.close(fig)


def test_draw_iou_matrix_rejects_mismatched_labels():
    from ssd_course.viz import draw_iou_matrix

    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="row_labels"):
        draw_iou_matrix(ax, torch.zeros(2, 3), ["only one"])
    plt.close(fig)


def test_draw_mined_negatives_spread_gives_every_prior_its_own_mark():
    from ssd_course.matching import match_priors
    from ssd_course.priors import tiny_detector_priors
    from ssd_course.viz import draw_mined_negatives

    priors_cxcy = tiny_detector_priors()
    match = match_priors(torch.tensor([[0.3, 0.3, 0.7, 0.7]]), torch.tensor([1]), priors_cxcy)
    kept = torch.zeros(441, dtype=torch.bool)
    kept[:9] = True  # the 9 priors of cell (0, 0), all with the centre (1/14, 1/14)
    fig, ax = plt.subplots()
    for spread, distinct in ((False, 1), (True, 9)):
        ax.clear()
        assert draw_mined_negatives(ax, priors_cxcy, match, kept, spread=spread) is ax
        ignored, crosses, positives = ax.collections
        marks = crosses.get_offsets()
        assert len(marks) == 9 and len(positives.get_offsets()) == int((match.gt_index >= 0).sum())
        assert len(np.unique(np.round(marks, 6), axis=0)) == distinct
        assert np.allclose(marks.mean(axis=0), [1 / 14, 1 / 14])  # the grid is centred on the shared centre
    plt.close(fig)


def test_draw_prior_values_veil_lays_one_white_layer_under_the_squares():
    from matplotlib.patches import Rectangle

    from ssd_course.priors import tiny_detector_priors
    from ssd_course.viz import draw_prior_values

    fig, ax = plt.subplots()
    draw_prior_values(ax, tiny_detector_priors(), torch.zeros(441))
    assert not any(isinstance(patch, Rectangle) for patch in ax.patches)
    fig2, ax2 = plt.subplots()
    draw_prior_values(ax2, tiny_detector_priors(), torch.zeros(441), veil=0.4)
    (layer,) = ax2.patches
    assert isinstance(layer, Rectangle) and layer.get_alpha() == 0.4
    assert 0 < layer.get_zorder() < 1  # above the photo (0), below boxes (1) and the squares
    assert layer.get_zorder() < ax2.collections[0].get_zorder()
    plt.close(fig)
    plt.close(fig2)


def test_draw_feature_map_grid_lines_centres_and_highlight():
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.patches import Rectangle

    from ssd_course.viz import draw_feature_map_grid

    fig, ax = plt.subplots()
    assert draw_feature_map_grid(ax, 7, highlight=(3, 5)) is ax
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert [len(c.get_segments()) for c in lines] == [8, 8]  # 7 cells need 8 lines each way
    (centres,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = centres.get_offsets()
    assert len(offsets) == 49
    assert offsets[0].tolist() == pytest.approx([0.5 / 7, 0.5 / 7])
    assert offsets[1].tolist() == pytest.approx([1.5 / 7, 0.5 / 7])  # row-major: column j moves first
    (cell,) = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert (cell.get_x(), cell.get_y()) == pytest.approx((5 / 7, 3 / 7))  # column 5, row 3
    assert cell.get_width() == pytest.approx(1 / 7)
    plt.close(fig)


def test_draw_feature_map_grid_without_centres_and_bad_arguments():
    from matplotlib.collections import PathCollection

    from ssd_course.viz import draw_feature_map_grid

    fig, ax = plt.subplots()
    draw_feature_map_grid(ax, 3, centres=False)
    assert not [c for c in ax.collections if isinstance(c, PathCollection)]
    with pytest.raises(ValueError, match="size"):
        draw_feature_map_grid(ax, 0)
    with pytest.raises(ValueError, match="highlight"):
        draw_feature_map_grid(ax, 3, highlight=(3, 0))
    plt.close(fig)


def _toy_match(threshold=0.5, unique=True):
    """One GT (0, 0, 0.6, 1) and three priors: IoU 0.5/0.6, 0.1/1.0 and 0.6/1.0."""
    from ssd_course import matching

    gt_boxes = torch.tensor([[0.0, 0.0, 0.6, 1.0]])
    priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0], [0.5, 0.5, 1.0, 1.0]])
    match = matching.match_priors(gt_boxes, torch.tensor([3]), priors_cxcy, threshold, unique=unique)
    return gt_boxes, priors_cxcy, match


def test_match_table_plain_text_marks_the_matched_iou_and_the_background():
    from ssd_course import matching
    from ssd_course.viz import match_table

    gt_boxes, priors_cxcy, match = _toy_match()
    iou = matching.gt_prior_iou(gt_boxes, priors_cxcy)
    lines = match_table(iou, match, ["cup"], ["a", "b", "c"]).splitlines()
    assert len(lines) == 4  # header + one row per prior
    assert lines[0].split() == ["prior", "GT", "0", "(cup)", "matched", "to", "principle"]
    assert lines[1].split() == ["a", "0.833*", "GT", "0", "(cup)", "1"]  # 0.5 / 0.6, principle 1
    assert lines[2].split() == ["b", "0.100", "background", "-"]  # 0.1 / 1.0 < 0.5
    assert lines[3].split() == ["c", "0.600*", "GT", "0", "(cup)", "2"]  # 0.6 / 1.0 >= 0.5
    assert len({len(line) for line in lines}) == 1  # aligned columns


def test_match_table_markdown_bolds_the_matched_iou():
    from ssd_course import matching
    from ssd_course.viz import match_table

    gt_boxes, priors_cxcy, match = _toy_match()
    lines = match_table(matching.gt_prior_iou(gt_boxes, priors_cxcy), match, markdown=True).splitlines()
    assert lines[0] == "| prior | GT 0 | matched to | principle |"
    assert lines[1] == "| :--- | ---: | :--- | ---: |"
    assert lines[2] == "| 0 | **0.833** | GT 0 | 1 |"
    assert lines[3] == "| 1 | 0.100 | background | - |"


def test_match_table_rejects_wrong_shapes():
    from ssd_course import matching
    from ssd_course.viz import match_table

    gt_boxes, priors_cxcy, match = _toy_match()
    iou = matching.gt_prior_iou(gt_boxes, priors_cxcy)
    with pytest.raises(ValueError, match="iou must have shape"):
        match_table(iou[:, :2], match)
    with pytest.raises(ValueError, match="gt_names"):
        match_table(iou, match, ["cup", "saucer"])
    with pytest.raises(ValueError, match="prior_names"):
        match_table(iou, match, prior_names=["a"])


def test_draw_positives_vs_threshold_counts_and_rings():
    from ssd_course import matching
    from ssd_course.viz import draw_positives_vs_threshold

    gt_boxes, priors_cxcy, _ = _toy_match()
    thresholds = [0.05, 0.5, 0.7, 0.9]
    matches = [matching.match_priors(gt_boxes, torch.tensor([3]), priors_cxcy, t) for t in thresholds]
    fig, ax = plt.subplots()
    assert draw_positives_vs_threshold(ax, thresholds, matches, ["cup"], title="t") is ax
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["all positives"].get_ydata(), [3, 2, 1, 1])  # IoUs 0.833, 0.6, 0.1
    np.testing.assert_array_equal(lines["GT 0 (cup)"].get_ydata(), [3, 2, 1, 1])
    assert "GT kept only by principle 1" in lines
    # a ring only at 0.9: the principle-1 prior (0.833) passes 0.7 but not 0.9
    (rings,) = ax.collections
    np.testing.assert_allclose(rings.get_offsets(), [[0.9, 1.0]])
    assert ax.get_yscale() == "symlog" and ax.get_title() == "t"
    plt.close(fig)


def test_draw_positives_vs_threshold_draws_a_lost_gt_at_zero():
    from ssd_course import matching
    from ssd_course.priors import tiny_detector_priors
    from ssd_course.viz import draw_positives_vs_threshold

    # two small GTs whose best prior is the same (prior 216); the overwrite loses GT 0
    gt_boxes = torch.tensor([[0.40, 0.40, 0.50, 0.56], [0.47, 0.43, 0.58, 0.58]])
    priors_cxcy = tiny_detector_priors()
    matches = [matching.match_priors(gt_boxes, torch.tensor([1, 2]), priors_cxcy, t, unique=False)
               for t in (0.5, 0.6)]
    fig, ax = plt.subplots()
    draw_positives_vs_threshold(ax, [0.5, 0.6], matches)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["GT 0"].get_ydata(), [0, 0])
    np.testing.assert_array_equal(lines["GT 1"].get_ydata(), [1, 1])
    (rings,) = ax.collections  # GT 1 only: a lost GT gets no ring
    assert len(rings.get_offsets()) == 2
    with pytest.raises(ValueError, match="one match per threshold"):
        draw_positives_vs_threshold(ax, [0.5], matches)
    plt.close(fig)


def _corner_of(annotation, box):
    """True if the annotation's anchor is one of the corners of the xyxy box, clipped to [0, 1]."""
    x1, y1, x2, y2 = (min(max(v, 0.0), 1.0) for v in box)
    return any(np.allclose(annotation.xy, corner) for corner in ((x1, y1), (x2, y1), (x2, y2), (x1, y2)))


def test_draw_numbered_priors_one_box_and_one_badge_in_a_corner_each():
    from ssd_course.boxes import cxcywh_to_xyxy
    from ssd_course.viz import PRIOR_COLOR, draw_numbered_priors, show_image

    priors_cxcy = torch.tensor([[0.3, 0.3, 0.2, 0.2], [0.7, 0.6, 0.4, 0.6], [0.95, 0.5, 0.3, 1.2]])
    fig, ax = plt.subplots()
    show_image(ax, None)
    assert draw_numbered_priors(ax, priors_cxcy, ["1", "2", "3"]) is ax
    assert len(ax.patches) == 3
    assert all(p.get_edgecolor()[:3] == pytest.approx(matplotlib.colors.to_rgb(PRIOR_COLOR)) for p in ax.patches)
    assert all(p.get_path_effects() for p in ax.patches)  # the white halo
    assert [t.get_text() for t in ax.texts] == ["1", "2", "3"]
    boxes = cxcywh_to_xyxy(priors_cxcy).tolist()
    assert all(_corner_of(t, box) for t, box in zip(ax.texts, boxes))
    assert ax.texts[2].xy[1] >= 0.0 and ax.texts[2].xy[1] <= 1.0  # clipped to the image
    plt.close(fig)


def test_draw_numbered_priors_moves_a_badge_that_would_hide_another():
    from ssd_course.viz import draw_numbered_priors, show_image

    priors_cxcy = torch.tensor([[0.5, 0.5, 0.4, 0.4], [0.5, 0.5, 0.4, 0.4]])  # the same box twice
    fig, ax = plt.subplots()
    show_image(ax, None)
    draw_numbered_priors(ax, priors_cxcy, ["1", "2"], halo=False)
    first, second = ax.texts
    assert np.allclose(first.xy, (0.3, 0.3))  # top-left corner
    assert not np.allclose(second.xy, first.xy)  # the next free corner
    assert not ax.patches[0].get_path_effects()
    with pytest.raises(ValueError, match="one badge per prior"):
        draw_numbered_priors(ax, priors_cxcy, ["1"])
    plt.close(fig)


def test_draw_match_numbers_priors_and_shows_unmatched_ones():
    from ssd_course.viz import PRIOR_COLOR, draw_match

    gt_boxes, priors_cxcy, match = _toy_match()  # principles [1, 0, 2]
    fig, (plain, full) = plt.subplots(1, 2)
    draw_match(plain, match, priors_cxcy, gt_boxes, ["cup"])
    assert len(plain.patches) == 2 + 2  # two matched priors; the GT in its colour and its yellow overlay
    assert [t.get_text() for t in plain.texts] == ["GT 0: cup"]
    draw_match(full, match, priors_cxcy, gt_boxes, ["cup"], prior_texts=["a", "b", "c"], show_unmatched=True,
               halo=True)
    assert len(full.patches) == 3 + 2
    red = matplotlib.colors.to_rgb(PRIOR_COLOR)
    dotted_red = [p for p in full.patches if p.get_edgecolor()[:3] == pytest.approx(red)]
    assert len(dotted_red) == 1 and dotted_red[0].get_linestyle() == ":"
    assert sorted(t.get_text() for t in full.texts) == ["GT 0: cup", "a", "b", "c"]
    assert "unmatched prior (background)" in [t.get_text() for t in full.get_legend().get_texts()]
    assert sum(bool(p.get_path_effects()) for p in full.patches) == 3 + 1  # not the thin yellow overlay
    with pytest.raises(ValueError, match="prior_texts"):
        draw_match(full, match, priors_cxcy, gt_boxes, prior_texts=["a"])
    plt.close(fig)


def test_draw_boxes_text_at_centre_writes_each_caption_at_its_box_centre():
    from ssd_course.viz import draw_boxes

    fig, ax = plt.subplots()
    boxes = torch.tensor([[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 0.9]])
    assert draw_boxes(ax, boxes, texts=["a", "b"], text_at="centre") is ax
    assert np.allclose([text.get_position() for text in ax.texts], [(0.25, 0.25), (0.75, 0.7)])
    assert all(text.get_ha() == "center" and text.get_va() == "center" for text in ax.texts)
    assert sum(isinstance(patch, matplotlib.patches.Rectangle) for patch in ax.patches) == 2
    plt.close(fig)


def test_draw_priors_text_at_centre_captions_each_prior_at_its_centre():
    from ssd_course.viz import PRIOR_COLOR, draw_priors

    fig, ax = plt.subplots()
    priors_cxcy = torch.tensor([[0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 0.5, 0.5]])
    assert draw_priors(ax, priors_cxcy, texts=["prior 0", "prior 1"], text_at="centre") is ax
    assert np.allclose([text.get_position() for text in ax.texts], [(0.25, 0.25), (0.75, 0.75)])
    assert [patch.get_edgecolor() for patch in ax.patches] == [matplotlib.colors.to_rgba(PRIOR_COLOR)] * 2
    plt.close(fig)


def test_draw_detections_draws_confident_detections_with_class_and_score():
    from matplotlib.patches import Rectangle

    from ssd_course.viz import draw_detections, gt_color

    fig, ax = plt.subplots()
    boxes = torch.tensor([[0.1, 0.1, 0.4, 0.4], [0.5, 0.5, 0.9, 0.8], [0.2, 0.6, 0.3, 0.7]])
    labels, scores = torch.tensor([3, 1, 2]), torch.tensor([0.97, 0.6, 0.2])
    assert draw_detections(ax, boxes, labels, scores, ["background", "a", "b", "c"], min_score=0.5) is ax
    rectangles = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(rectangles) == 2  # the 0.2 detection is not drawn
    assert rectangles[0].get_xy() == pytest.approx((0.1, 0.1))
    assert matplotlib.colors.to_hex(rectangles[0].get_edgecolor()) == gt_color(2)
    assert sorted(t.get_text() for t in ax.texts) == ["a 0.60", "c 0.97"]
    with pytest.raises(ValueError, match="one entry per detection"):
        draw_detections(ax, boxes, labels[:2], scores, ["background", "a", "b", "c"])
    plt.close(fig)


def test_plot_smoothed_curves_averages_over_the_window():
    from ssd_course.viz import plot_smoothed_curves

    fig, ax = plt.subplots()
    assert plot_smoothed_curves(ax, {"run A": [4.0, 2.0, 0.0, 2.0], "run B": [1.0, 1.0]}, window=2) is ax
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert sorted(lines) == ["run A", "run B"]
    # (4) / 1, (4 + 2) / 2, (2 + 0) / 2, (0 + 2) / 2
    assert list(lines["run A"].get_ydata()) == pytest.approx([4.0, 3.0, 1.0, 1.0])
    assert list(lines["run B"].get_xdata()) == [0, 1]
    with pytest.raises(ValueError, match="window"):
        plot_smoothed_curves(ax, {"run A": [1.0]}, window=0)
    plt.close(fig)
