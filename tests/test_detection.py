"""Tests of ssd_course.detection: NMS, detection and VOC mAP on hand-made cases."""

from __future__ import annotations

import math

import pytest
import torch

from ssd_course.boxes import box_iou
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

# ------------------------------------------------------------------------------------------
# NMS


def reference_nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> list[int]:
    """Greedy NMS written as a plain double loop over the boxes, by decreasing score."""
    order = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))
    kept: list[int] = []
    for i in order:
        if all(float(box_iou(boxes[i : i + 1], boxes[k : k + 1])[0, 0]) <= iou_threshold for k in kept):
            kept.append(i)
    return kept


def test_nms_drops_the_lower_scoring_duplicate() -> None:
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.9], [2.0, 2.0, 3.0, 3.0]])
    # IoU(box 0, box 1) = 0.9 / 1.0 = 0.9 > 0.5; box 2 overlaps nothing
    assert nms(boxes, torch.tensor([0.8, 0.9, 0.7]), 0.5).tolist() == [1, 2]


def test_nms_keeps_a_box_whose_iou_equals_the_threshold() -> None:
    boxes = torch.tensor([[0.0, 0.0, 2.0, 1.0], [1.0, 0.0, 3.0, 1.0]])  # IoU = 1 / (2 + 2 - 1) = 1/3
    assert nms(boxes, torch.tensor([0.9, 0.8]), iou_threshold=1 / 3).tolist() == [0, 1]
    assert nms(boxes, torch.tensor([0.9, 0.8]), iou_threshold=0.3).tolist() == [0]


def test_nms_suppression_is_not_transitive() -> None:
    # box 1 overlaps both others, which do not overlap each other: 1 removes nothing once it is gone
    boxes = torch.tensor([[0.0, 0.0, 2.0, 1.0], [1.0, 0.0, 3.0, 1.0], [2.0, 0.0, 4.0, 1.0]])
    assert nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.3).tolist() == [0, 2]
    assert nms(boxes, torch.tensor([0.7, 0.9, 0.8]), 0.3).tolist() == [1]


def test_nms_of_nothing_is_empty() -> None:
    kept = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert kept.shape == (0,) and kept.dtype == torch.long


@pytest.mark.parametrize("seed", range(5))
def test_nms_matches_the_double_loop(seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    corner = torch.rand(40, 2, generator=generator)
    size = 0.05 + 0.3 * torch.rand(40, 2, generator=generator)
    boxes = torch.cat((corner, corner + size), dim=1)
    scores = torch.rand(40, generator=generator)
    for threshold in (0.1, 0.45, 0.7):
        assert nms(boxes, scores, threshold).tolist() == reference_nms(boxes, scores, threshold)


def test_nms_rejects_mismatched_scores() -> None:
    with pytest.raises(ValueError, match="one score per box"):
        nms(torch.zeros(3, 4), torch.zeros(2), 0.5)


# ------------------------------------------------------------------------------------------
# detect

PRIORS = torch.tensor([[0.25, 0.25, 0.5, 0.5], [0.75, 0.25, 0.5, 0.5], [0.25, 0.75, 0.5, 0.5], [0.3, 0.3, 0.5, 0.5]])


def logits_for(probabilities: list[list[float]]) -> torch.Tensor:
    """Logits whose softmax is the given probabilities, as a batch of one image."""
    return torch.tensor(probabilities).log().unsqueeze(0)


def test_detect_decodes_boxes_and_keeps_confident_object_classes() -> None:
    box = torch.tensor([[0.1, 0.1, 0.4, 0.45]])
    locs = torch.zeros(1, 4, 4)
    locs[0, 0] = encode(box, PRIORS[0])[0]  # prior 0 predicts exactly this box
    scores = logits_for([[0.1, 0.8, 0.1], [0.98, 0.01, 0.01], [0.5, 0.2, 0.3], [0.97, 0.02, 0.01]])
    found = detect(locs, scores, PRIORS, score_threshold=0.25, iou_threshold=0.45)[0]
    # kept: prior 0 class 1 (0.8), prior 2 class 2 (0.3); prior 2's 0.2 and all background are not
    assert found.labels.tolist() == [1, 2]
    torch.testing.assert_close(found.scores, torch.tensor([0.8, 0.3]))
    torch.testing.assert_close(found.boxes[0], box[0])
    torch.testing.assert_close(found.boxes[1], torch.tensor([0.0, 0.5, 0.5, 1.0]))


def test_detect_suppresses_duplicates_within_a_class_only() -> None:
    # priors 0 and 3 overlap: IoU = 0.45**2 / (2 * 0.5**2 - 0.45**2) = 0.68 > 0.45
    locs = torch.zeros(1, 4, 4)
    same_class = logits_for([[0.1, 0.9, 1e-6], [1.0, 1e-6, 1e-6], [1.0, 1e-6, 1e-6], [0.3, 0.7, 1e-6]])
    found = detect(locs, same_class, PRIORS, score_threshold=0.5, iou_threshold=0.45)[0]
    assert found.labels.tolist() == [1]
    other_class = logits_for([[0.1, 0.9, 1e-6], [1.0, 1e-6, 1e-6], [1.0, 1e-6, 1e-6], [0.3, 1e-6, 0.7]])
    found = detect(locs, other_class, PRIORS, score_threshold=0.5, iou_threshold=0.45)[0]
    assert found.labels.tolist() == [1, 2]  # an ellipse and a rectangle may share a place


def test_detect_keeps_top_k_by_score_and_clips_boxes() -> None:
    locs = torch.zeros(1, 4, 4)
    locs[0, 1, 2:] = 5.0  # prior 1 grows to exp(5 * 0.2) = 2.7 times its size: beyond the image
    scores = logits_for([[0.4, 0.6, 1e-6], [0.1, 1e-6, 0.9], [0.2, 0.8, 1e-6], [1.0, 1e-6, 1e-6]])
    found = detect(locs, scores, PRIORS, score_threshold=0.5, iou_threshold=0.45, top_k=2)[0]
    torch.testing.assert_close(found.scores, torch.tensor([0.9, 0.8]))
    assert found.boxes.min() >= 0 and found.boxes.max() <= 1
    half = 0.5 * math.exp(1.0) / 2  # half of the grown width and height, 0.6796
    expected = torch.tensor([0.75 - half, max(0.25 - half, 0.0), min(0.75 + half, 1.0), 0.25 + half])
    torch.testing.assert_close(found.boxes[0], expected)


def test_detect_returns_one_result_per_image_even_when_empty() -> None:
    found = detect(torch.zeros(3, 4, 4), torch.zeros(3, 4, 3), PRIORS, score_threshold=0.5)
    assert len(found) == 3
    assert all(f.boxes.shape == (0, 4) and f.labels.shape == (0,) and f.scores.shape == (0,) for f in found)


def test_detect_rejects_a_wrong_number_of_priors() -> None:
    with pytest.raises(ValueError, match="number of priors"):
        detect(torch.zeros(1, 5, 4), torch.zeros(1, 5, 3), PRIORS)


# ------------------------------------------------------------------------------------------
# average precision and mAP

A = torch.tensor([[0.1, 0.1, 0.4, 0.4]])
B = torch.tensor([[0.6, 0.6, 0.9, 0.9]])
FAR = torch.tensor([[0.5, 0.0, 0.6, 0.1]])  # overlaps neither A nor B


def found(boxes: list[torch.Tensor], labels: list[int], scores: list[float]) -> Detections:
    return Detections(torch.cat(boxes) if boxes else torch.zeros(0, 4), torch.tensor(labels, dtype=torch.long),
                      torch.tensor(scores))


def truth(boxes: list[torch.Tensor], labels: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.cat(boxes), torch.tensor(labels)


def test_average_precision_is_the_area_under_the_envelope() -> None:
    # precision 1, 0.5, 2/3 at recall 0.5, 0.5, 1: the envelope is 1 up to 0.5, then 2/3
    ap = average_precision(torch.tensor([0.5, 0.5, 1.0]), torch.tensor([1.0, 0.5, 2 / 3]))
    assert ap == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert average_precision(torch.zeros(0), torch.zeros(0)) == 0.0


def test_perfect_detections_give_map_one() -> None:
    gts = [truth([A, B], [1, 2]), truth([B], [1])]
    detections = [found([A, B], [1, 2], [0.9, 0.8]), found([B], [1], [0.7])]
    assert mean_average_precision(detections, gts) == 1.0


def test_false_positive_ranked_first_halves_the_precision() -> None:
    # ranking: FP (precision 0, recall 0), then TP (precision 1/2, recall 1): AP = 1 * 1/2
    detections = [found([FAR, A], [1, 1], [0.9, 0.8])]
    assert mean_average_precision(detections, [truth([A], [1])]) == pytest.approx(0.5)


def test_false_positive_ranked_last_costs_nothing() -> None:
    detections = [found([A, FAR], [1, 1], [0.9, 0.8])]
    assert mean_average_precision(detections, [truth([A], [1])]) == pytest.approx(1.0)


def test_missed_gt_caps_the_recall() -> None:
    # 2 GTs, only A found: recall reaches 1/2 at precision 1, AP = 1/2 * 1
    detections = [found([A], [1], [0.9])]
    assert mean_average_precision(detections, [truth([A, B], [1, 1])]) == pytest.approx(0.5)


def test_duplicates_are_false_positives() -> None:
    # ranking: A (TP), A again (duplicate: FP), B (TP)
    # precision/recall: 1/1 @ 1/2, 1/2 @ 1/2, 2/3 @ 1 -> AP = 1/2 * 1 + 1/2 * 2/3
    detections = [found([A, A, B], [1, 1, 1], [0.9, 0.8, 0.7])]
    assert mean_average_precision(detections, [truth([A, B], [1, 1])]) == pytest.approx(0.5 + 1 / 3)


def test_wrong_class_and_low_iou_are_false_positives() -> None:
    shifted = A + torch.tensor([0.2, 0.0, 0.2, 0.0])  # IoU with A = 0.1 * 0.3 / (2 * 0.09 - 0.03) = 0.2
    detections = [found([A, shifted], [2, 1], [0.9, 0.8])]
    per_class = average_precisions(detections, [truth([A], [1])])
    assert per_class == {1: 0.0}  # class 2 has no GT: not part of the mean


def test_iou_must_exceed_the_threshold() -> None:
    half = torch.tensor([[0.1, 0.1, 0.25, 0.4]])  # IoU with A = 0.15 * 0.3 / 0.09 = 0.5 exactly
    assert box_iou(half, A).item() == pytest.approx(0.5)
    detections = [found([half], [1], [0.9])]
    assert mean_average_precision(detections, [truth([A], [1])], iou_threshold=0.49) == pytest.approx(1.0)
    assert mean_average_precision(detections, [truth([A], [1])], iou_threshold=0.51) == 0.0


def test_map_is_the_mean_over_classes_across_images() -> None:
    # class 1: perfect (AP 1); class 2: one of two GTs found, in the other image (AP 1/2)
    gts = [truth([A, B], [1, 2]), truth([B], [2])]
    detections = [found([A], [1], [0.9]), found([B], [2], [0.6])]
    assert average_precisions(detections, gts) == pytest.approx({1: 1.0, 2: 0.5})
    assert mean_average_precision(detections, gts) == pytest.approx(0.75)


def test_detection_in_an_image_without_gt_is_a_false_positive() -> None:
    gts = [truth([A], [1]), (torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))]
    detections = [found([A], [1], [0.5]), found([A], [1], [0.9])]
    assert mean_average_precision(detections, gts) == pytest.approx(0.5)


def test_map_does_not_depend_on_the_order_of_images() -> None:
    gts = [truth([A, B], [1, 2]), truth([B], [1]), truth([A], [2])]
    detections = [found([A, FAR], [1, 2], [0.9, 0.95]), found([B, A], [1, 1], [0.3, 0.6]), found([A], [2], [0.5])]
    forward = mean_average_precision(detections, gts)
    backward = mean_average_precision(detections[::-1], gts[::-1])
    assert forward == pytest.approx(backward)
    assert 0 < forward < 1 and not math.isnan(forward)


def test_no_detections_give_zero() -> None:
    assert mean_average_precision([found([], [], [])], [truth([A], [1])]) == 0.0


def test_map_rejects_lists_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="one entry per image"):
        mean_average_precision([found([A], [1], [0.9])], [])


def test_best_hit_scores_take_the_best_correct_overlapping_detection() -> None:
    shifted = A + torch.tensor([0.2, 0.0, 0.2, 0.0])  # IoU with A = 0.2: not a hit
    gts = [truth([A, B], [1, 2]), truth([A], [1])]
    detections = [
        found([A, A, shifted, B], [1, 1, 1, 1], [0.4, 0.7, 0.9, 0.95]),  # B only with the wrong class
        found([], [], []),
    ]
    scores = best_hit_scores(detections, gts)
    assert len(scores) == 2
    torch.testing.assert_close(scores[0], torch.tensor([0.7, 0.0]))
    torch.testing.assert_close(scores[1], torch.tensor([0.0]))


def test_best_hit_scores_of_an_image_without_gt_is_empty() -> None:
    scores = best_hit_scores([found([A], [1], [0.9])], [(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))])
    assert scores[0].shape == (0,)

