"""Exact boundaries, ties and defaults of ``ssd_course.detection``, each worked out by hand.

The IoU of ``[0, 0, 1, 1]`` and ``[0, 0, 1, 0.5]`` is exactly 0.5 in floating point
(intersection 0.5, union 1 + 0.5 - 0.5 = 1), so the comparisons with a threshold of 0.5 are
tested at the threshold itself, not near it.
"""

from __future__ import annotations

import math

import pytest
import torch

from ssd_course.detection import (
    Detections,
    average_precision,
    average_precisions,
    best_hit_scores,
    detect,
    mean_average_precision,
    nms,
)
from ssd_course.encoding import encode

WHOLE = [0.0, 0.0, 1.0, 1.0]
TOP_HALF = [0.0, 0.0, 1.0, 0.5]  # IoU with WHOLE exactly 0.5


def found(boxes, labels, scores) -> Detections:
    return Detections(torch.tensor(boxes, dtype=torch.float64).reshape(-1, 4), torch.tensor(labels, dtype=torch.long),
                      torch.tensor(scores, dtype=torch.float64))


def gt(boxes, labels) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor(boxes, dtype=torch.float64).reshape(-1, 4), torch.tensor(labels, dtype=torch.long)


# ---------------------------------------------------------------------------------------------
# nms


def test_nms_default_threshold_is_045():
    # IoU 0.5 > 0.45: the second box is a duplicate with the default threshold, kept with 0.5
    boxes = torch.tensor([WHOLE, TOP_HALF], dtype=torch.float64)
    scores = torch.tensor([0.9, 0.8], dtype=torch.float64)
    assert nms(boxes, scores).tolist() == [0]
    assert nms(boxes, scores, iou_threshold=0.5).tolist() == [0, 1]  # equal to the threshold: kept
    # IoU 0.4 (a box of height 0.4 inside WHOLE): kept with 0.45, dropped with 0.35
    low = torch.tensor([WHOLE, [0.0, 0.0, 1.0, 0.4]], dtype=torch.float64)
    assert nms(low, scores).tolist() == [0, 1]
    assert nms(low, scores, iou_threshold=0.35).tolist() == [0]


def test_nms_ties_keep_the_lower_index_first():
    # 40 disjoint boxes with the same score: all kept, in index order (a stable sort)
    boxes = torch.tensor([[i, 0.0, i + 0.5, 1.0] for i in range(40)], dtype=torch.float64)
    scores = torch.full((40,), 0.5, dtype=torch.float64)
    assert nms(boxes, scores).tolist() == list(range(40))
    # two identical boxes with the same score: the lower index survives, whichever comes first
    same = torch.tensor([[2.0, 2.0, 3.0, 3.0], WHOLE, WHOLE], dtype=torch.float64)
    assert nms(same, torch.tensor([0.3, 0.7, 0.7], dtype=torch.float64)).tolist() == [1, 0]


def test_nms_of_one_box_and_of_none():
    assert nms(torch.tensor([WHOLE]), torch.tensor([0.2])).tolist() == [0]
    empty = nms(torch.zeros(0, 4), torch.zeros(0))
    assert empty.dtype == torch.long and empty.shape == (0,)


def test_nms_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"scores must have one score per box, shape \[2\]; got"):
        nms(torch.zeros(2, 4), torch.zeros(3))
    with pytest.raises(ValueError, match="boxes must be a floating-point tensor"):
        nms(torch.zeros(2, 4, dtype=torch.long), torch.zeros(2))
    with pytest.raises(ValueError, match="scores must be a floating-point tensor"):
        nms(torch.zeros(2, 4), torch.zeros(2, dtype=torch.long))


# ---------------------------------------------------------------------------------------------
# detect

PRIORS = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])  # the left and the right half


def logits(*probabilities: list[float]) -> torch.Tensor:
    return torch.tensor(probabilities, dtype=torch.float64).log().float().unsqueeze(0)  # [1, P, C]


def test_detect_score_threshold_is_strict_and_defaults_to_001():
    # prior 0: class 1 with probability 0.5 exactly (logits 0, 0)
    half = torch.zeros(1, 2, 2)
    assert len(detect(torch.zeros(1, 2, 4), half, PRIORS, score_threshold=0.5)[0].labels) == 0
    # probabilities 0.015 (kept by the default 0.01) and 0.005 (dropped)
    scores = logits([0.985, 0.015], [0.995, 0.005])
    result = detect(torch.zeros(1, 2, 4), scores, PRIORS)[0]
    assert result.labels.tolist() == [1]
    assert result.scores.tolist() == pytest.approx([0.015], rel=1e-5)
    assert result.boxes.tolist() == [pytest.approx([0.0, 0.0, 0.5, 1.0])]


def test_detect_never_reports_the_background():
    scores = logits([0.9, 0.1], [0.8, 0.2])
    result = detect(torch.zeros(1, 2, 4), scores, PRIORS)[0]
    assert result.labels.tolist() == [1, 1]  # class 0's probabilities 0.9 and 0.8 are not detections
    assert result.scores.tolist() == pytest.approx([0.2, 0.1], rel=1e-5)  # highest first


def test_detect_default_iou_threshold_is_045():
    # two priors whose boxes overlap with IoU 0.5 (the whole image and its top half)
    priors = torch.tensor([[0.5, 0.5, 1.0, 1.0], [0.5, 0.25, 1.0, 0.5]])
    scores = logits([0.1, 0.9], [0.2, 0.8])
    assert detect(torch.zeros(1, 2, 4), scores, priors)[0].scores.tolist() == pytest.approx([0.9])
    assert len(detect(torch.zeros(1, 2, 4), scores, priors, iou_threshold=0.5)[0].scores) == 2


def test_detect_default_top_k_is_100():
    P = 101
    priors = torch.tensor([[(i + 0.5) / P, 0.5, 0.4 / P, 0.5] for i in range(P)])  # disjoint
    probabilities = torch.linspace(0.6, 0.9, P, dtype=torch.float64)
    scores = torch.stack((1 - probabilities, probabilities), dim=-1).log().float().unsqueeze(0)
    result = detect(torch.zeros(1, P, 4), scores, priors)[0]
    assert len(result.scores) == 100
    assert float(result.scores.min()) > 0.6  # the lowest one is the one left out
    assert len(detect(torch.zeros(1, P, 4), scores, priors, top_k=P)[0].scores) == P


def test_detect_default_variances_are_01_02():
    box = torch.tensor([0.1, 0.2, 0.45, 0.9])
    locs = torch.zeros(1, 2, 4)
    locs[0, 0] = encode(box, PRIORS[0])  # with the default variances (0.1, 0.2)
    scores = logits([0.1, 0.9], [0.9, 0.1])
    torch.testing.assert_close(detect(locs, scores, PRIORS)[0].boxes[0], box)
    locs[0, 0] = encode(box, PRIORS[0], variances=(1.0, 1.0))
    torch.testing.assert_close(detect(locs, scores, PRIORS, variances=(1.0, 1.0))[0].boxes[0], box)


def test_detect_clips_boxes_to_the_image():
    locs = torch.zeros(1, 2, 4)
    locs[0, 0] = torch.tensor([-5.0, 0.0, 2.0, 2.0])  # far left and large
    result = detect(locs, logits([0.1, 0.9], [0.99, 0.01]), PRIORS)[0]
    # cx = 0.25 - 5 * 0.1 * 0.5 = 0, w = 0.5 * exp(2 * 0.2); cy = 0.5, h = exp(0.4) > 1
    half_width = 0.5 * math.exp(0.4) / 2
    assert result.boxes.tolist() == [[0.0, 0.0, pytest.approx(half_width, rel=1e-5), 1.0]]


def test_detect_rejects_predictions_that_do_not_fit():
    with pytest.raises(ValueError, match="must agree on B and on P = 2"):
        detect(torch.zeros(2, 2, 4), torch.zeros(1, 2, 3), PRIORS)
    with pytest.raises(ValueError, match="must agree on B and on P = 2"):
        detect(torch.zeros(1, 3, 4), torch.zeros(1, 3, 3), PRIORS)


# ---------------------------------------------------------------------------------------------
# average precision


def test_average_precision_of_nothing_is_zero():
    assert average_precision(torch.zeros(0), torch.zeros(0)) == 0.0


def test_the_envelope_lifts_a_dip_in_precision():
    # 3 GTs; ranked TP, FP, TP, TP: precision 1, 1/2, 2/3, 3/4 at recall 1/3, 1/3, 2/3, 1
    recall = torch.tensor([1 / 3, 1 / 3, 2 / 3, 1.0])
    precision = torch.tensor([1.0, 1 / 2, 2 / 3, 3 / 4])
    # envelope: 1, 3/4, 3/4, 3/4; area 1/3 * 1 + 1/3 * 3/4 + 1/3 * 3/4 = 2.5 / 3 (not 29/36 = 0.806)
    assert average_precision(recall, precision) == pytest.approx(2.5 / 3)
    # the same ranking through average_precisions
    detections = [found([WHOLE, [5, 5, 6, 6], [2, 2, 3, 3], [4, 4, 4.5, 4.5]], [1, 1, 1, 1], [0.9, 0.8, 0.7, 0.6])]
    truths = [gt([WHOLE, [2, 2, 3, 3], [4, 4, 4.5, 4.5]], [1, 1, 1])]
    assert average_precisions(detections, truths) == {1: pytest.approx(2.5 / 3)}


def test_the_first_step_counts_from_recall_zero():
    # one GT found first: recall 0 -> 1 at precision 1
    assert average_precision(torch.tensor([1.0]), torch.tensor([1.0])) == 1.0
    assert average_precision(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.5])) == 0.5


def test_a_detection_at_exactly_the_iou_threshold_is_a_false_positive():
    truths = [gt([WHOLE], [1])]
    at = [found([TOP_HALF], [1], [0.9])]
    assert average_precisions(at, truths) == {1: 0.0}  # IoU 0.5 does not exceed 0.5
    assert average_precisions(at, truths, iou_threshold=0.49) == {1: 1.0}
    assert mean_average_precision(at, truths) == 0.0  # default threshold 0.5
    assert best_hit_scores(at, truths)[0].tolist() == [0.0]
    assert best_hit_scores(at, truths, iou_threshold=0.49)[0].tolist() == [0.9]


def test_a_duplicate_of_a_claimed_gt_is_a_false_positive_even_when_another_gt_is_free():
    truths = [gt([WHOLE, [0.0, 0.0, 0.5, 0.5]], [1, 1])]
    # both detections overlap WHOLE best; the second is a duplicate although it also overlaps GT 1
    detections = [found([WHOLE, [0.0, 0.0, 0.9, 0.9]], [1, 1], [0.9, 0.8])]
    # TP then FP: recall 1/2, 1/2; AP = 1/2 * 1
    assert average_precisions(detections, truths) == {1: 0.5}


def test_a_detection_in_an_image_without_gt_of_its_class_is_a_false_positive():
    truths = [gt([WHOLE], [1]), gt([], [])]
    detections = [found([WHOLE], [1], [0.5]), found([WHOLE], [1], [0.9])]
    # ranked: FP (image 1), TP: precision 0, 1/2 at recall 0, 1
    assert average_precisions(detections, truths) == {1: 0.5}


def test_classes_without_gt_and_the_background_are_left_out():
    truths = [gt([WHOLE, TOP_HALF], [0, 2])]
    detections = [found([TOP_HALF, WHOLE], [2, 3], [0.9, 0.8])]
    assert average_precisions(detections, truths) == {2: 1.0}
    assert mean_average_precision(detections, truths) == 1.0
    assert mean_average_precision([found([], [], [])], [gt([], [])]) == 0.0


def test_map_is_the_plain_mean_of_the_classes():
    truths = [gt([WHOLE, [2, 2, 3, 3]], [1, 2])]
    detections = [found([WHOLE, [5, 5, 6, 6], [2, 2, 3, 3]], [1, 2, 2], [0.9, 0.8, 0.7])]
    # class 1: AP 1; class 2: FP then TP, AP 1/2
    assert average_precisions(detections, truths) == {1: 1.0, 2: 0.5}
    assert mean_average_precision(detections, truths) == 0.75


def test_best_hit_scores_of_an_image_without_detections_are_zero():
    result = best_hit_scores([found([], [], [])], [gt([WHOLE, TOP_HALF], [1, 2])])
    assert result[0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("function", [average_precisions, best_hit_scores, mean_average_precision])
def test_lists_of_different_lengths_are_rejected(function):
    with pytest.raises(ValueError, match="must have one entry per image; got 2 and 1"):
        function([found([], [], []), found([], [], [])], [gt([], [])])


def test_detect_keeps_tied_scores_in_prior_order():
    P = 40
    priors = torch.tensor([[(i + 0.5) / P, 0.5, 0.4 / P, 0.5] for i in range(P)])  # disjoint
    scores = torch.tensor([[0.3, 0.7]] * P).log().unsqueeze(0)  # every prior: class 1 with 0.7
    result = detect(torch.zeros(1, P, 4), scores, priors)[0]
    torch.testing.assert_close(result.boxes, priors_as_xyxy(priors))  # prior 0 first, prior 39 last


def priors_as_xyxy(priors: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = priors.unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)


def test_tied_scores_are_ranked_by_index_in_the_ap():
    # 20 GTs found by detections 0..19, then 20 false positives 20..39, all with score 0.5:
    # ranked in index order, the 20 hits come first: AP 1 (any false positive ranked among them costs)
    hits = [[i, 0.0, i + 0.5, 1.0] for i in range(20)]
    misses = [[i, 5.0, i + 0.5, 6.0] for i in range(20)]
    detections = [found(hits + misses, [1] * 40, [0.5] * 40)]
    assert average_precisions(detections, [gt(hits, [1] * 20)]) == {1: 1.0}
    # the other way round, the 20 misses first: precision k / (20 + k) at recall k / 20, which
    # grows with k, so the envelope is 20 / 40 everywhere: AP 1/2
    backwards = [found(misses + hits, [1] * 40, [0.5] * 40)]
    assert average_precisions(backwards, [gt(hits, [1] * 20)]) == {1: pytest.approx(0.5)}


def test_detect_rejects_integer_predictions_by_name():
    with pytest.raises(ValueError, match="^predicted_locs must be a floating-point tensor"):
        detect(torch.zeros(1, 2, 4, dtype=torch.long), torch.zeros(1, 2, 3), PRIORS)
    with pytest.raises(ValueError, match="^predicted_scores must be a floating-point tensor"):
        detect(torch.zeros(1, 2, 4), torch.zeros(1, 2, 3, dtype=torch.long), PRIORS)
