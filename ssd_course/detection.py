"""From predictions to detections, and how good they are: NMS and mAP (notebook 08).

A trained detector predicts offsets and class scores for all 441 priors, and several priors
usually fire on the same object. Turning that into a list of objects takes three steps:

1. **decode** every prior's offsets into a box (:func:`ssd_course.encoding.decode`) and turn
   the logits into probabilities with a softmax;
2. per object class, keep the boxes whose probability exceeds a score threshold (阈值);
3. per class, **non-maximum suppression** (NMS, 非极大值抑制): take the highest-scoring box,
   drop every other box that overlaps it by more than an IoU threshold, repeat.

Detections are measured against the GT boxes with the **mean average precision** (mAP) of
Pascal VOC: per class, rank all detections by score, call one a true positive if it overlaps
a not-yet-claimed GT box of its class with IoU > 0.5, compute the precision-recall curve
and the area under its upper envelope (the average precision, AP); mAP is the mean AP over
the classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from ssd_course._validate import check_priors, check_tensor, shape_str
from ssd_course.boxes import box_iou
from ssd_course.encoding import decode
from ssd_course.matching import BACKGROUND

__all__ = [
    "Detections",
    "average_precision",
    "average_precisions",
    "best_hit_scores",
    "detect",
    "mean_average_precision",
    "nms",
]


class Detections(NamedTuple):
    """The objects found in one image, highest score first.

    Attributes:
        boxes (Tensor[D, 4]): boxes as fractional (x1, y1, x2, y2).
        labels (Tensor[D]): int64 class of each box, 1..C-1.
        scores (Tensor[D]): the class probability of each box, in (0, 1].
    """

    boxes: Tensor
    labels: Tensor
    scores: Tensor


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float = 0.45) -> Tensor:
    """Greedy non-maximum suppression: keep the best box, drop the boxes that overlap it.

    Repeat until no box is left: keep the remaining box with the highest score, then drop
    every remaining box whose IoU with it is *greater* than ``iou_threshold``. The loop runs
    once per kept box, not once per box.

    Args:
        boxes (Tensor[N, 4]): boxes as (x1, y1, x2, y2), all of one class.
        scores (Tensor[N]): their scores.
        iou_threshold (float): the IoU above which a lower-scoring box is a duplicate.

    Returns:
        Tensor[K]: int64 indices of the kept boxes, by decreasing score (ties: lower index
        first).

    Example:
        >>> boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.9], [2.0, 2.0, 3.0, 3.0]])
        >>> nms(boxes, torch.tensor([0.8, 0.9, 0.7]), iou_threshold=0.5)  # box 0 duplicates box 1 (IoU 0.9)
        tensor([1, 2])
    """
    check_tensor("boxes", boxes, ndim=2, last_dim=4, floating=True, expected="of shape [N, 4]")
    check_tensor("scores", scores, ndim=1, floating=True, expected="of shape [N]")
    if scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"scores must have one score per box, shape [{boxes.shape[0]}]; got {shape_str(scores)}")
    remaining = scores.argsort(descending=True, stable=True)  # [N], box indices by score
    keep = []
    while remaining.numel() > 0:
        best = remaining[0]
        keep.append(best)
        overlap = box_iou(boxes[best].unsqueeze(0), boxes[remaining[1:]])[0]  # [R - 1]
        remaining = remaining[1:][overlap <= iou_threshold]
    return torch.stack(keep) if keep else torch.zeros(0, dtype=torch.long, device=boxes.device)


def detect(
    predicted_locs: Tensor,
    predicted_scores: Tensor,
    priors_cxcy: Tensor,
    score_threshold: float = 0.01,
    iou_threshold: float = 0.45,
    top_k: int = 100,
    variances: Sequence[float] = (0.1, 0.2),
) -> list[Detections]:
    """Turn a batch of predictions into detections: decode, threshold, per-class NMS.

    Args:
        predicted_locs (Tensor[B, P, 4]): predicted offsets.
        predicted_scores (Tensor[B, P, C]): class logits; class 0 is background.
        priors_cxcy (Tensor[P, 4]): the priors the offsets refer to, (cx, cy, w, h).
        score_threshold (float): a box is a candidate for class ``c`` when its softmax
            probability of ``c`` is greater than this.
        iou_threshold (float): NMS threshold (see :func:`nms`).
        top_k (int): at most this many detections per image, the highest scores.
        variances (tuple[float, float]): the offset divisors used in training.

    Returns:
        list[Detections]: one per image; boxes are clipped to the image, [0, 1].

    Raises:
        ValueError: if the shapes do not fit together.

    Example:
        >>> priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
        >>> logits = torch.tensor([[[0.0, 5.0], [5.0, 0.0]]])  # prior 0: class 1; prior 1: background
        >>> found = detect(torch.zeros(1, 2, 4), logits, priors_cxcy, score_threshold=0.5)
        >>> found[0].boxes, found[0].labels
        (tensor([[0.0000, 0.0000, 0.5000, 1.0000]]), tensor([1]))
    """
    check_tensor("predicted_locs", predicted_locs, ndim=3, last_dim=4, floating=True, expected="of shape [B, P, 4]")
    check_tensor("predicted_scores", predicted_scores, ndim=3, floating=True, expected="of shape [B, P, C]")
    priors_cxcy = check_priors(priors_cxcy)
    if predicted_locs.shape[:2] != predicted_scores.shape[:2] or predicted_locs.shape[1] != priors_cxcy.shape[0]:
        raise ValueError(
            f"predicted_locs [B, P, 4] and predicted_scores [B, P, C] must agree on B and on P = "
            f"{priors_cxcy.shape[0]} (the number of priors); got {shape_str(predicted_locs)} and "
            f"{shape_str(predicted_scores)}"
        )
    # 1. decode the boxes and turn the logits into probabilities
    boxes = decode(predicted_locs.float(), priors_cxcy.float(), variances).clamp(0.0, 1.0)  # [B, P, 4]
    probabilities = predicted_scores.float().softmax(dim=-1)  # [B, P, C]
    results = []
    for image_boxes, image_probabilities in zip(boxes, probabilities):
        kept_boxes, kept_labels, kept_scores = [], [], []
        for c in range(1, image_probabilities.shape[1]):  # class 0 is the background, never detected
            # 2. the candidates of class c
            candidate = image_probabilities[:, c] > score_threshold  # [P]
            class_boxes, class_scores = image_boxes[candidate], image_probabilities[candidate, c]  # [N, 4], [N]
            # 3. one box per object: suppress the duplicates
            keep = nms(class_boxes, class_scores, iou_threshold)  # [K]
            kept_boxes.append(class_boxes[keep])
            kept_scores.append(class_scores[keep])
            kept_labels.append(torch.full_like(keep, c))
        image_scores = torch.cat(kept_scores)  # [D]
        best = image_scores.argsort(descending=True, stable=True)[:top_k]  # [min(D, top_k)]
        results.append(Detections(torch.cat(kept_boxes)[best], torch.cat(kept_labels)[best], image_scores[best]))
    return results


def average_precision(recall: Tensor, precision: Tensor) -> float:
    """Area under the upper envelope of a precision-recall curve (VOC, all points).

    The curve is made monotone first: the precision at recall ``r`` becomes the best
    precision reached at any recall >= ``r`` (a detector that gets more right by going
    further down its ranking is not penalised for the dip). The area is then a sum of
    rectangles, one per step up in recall.

    Args:
        recall (Tensor[D]): recall after each ranked detection, non-decreasing, in [0, 1].
        precision (Tensor[D]): precision after each ranked detection.

    Returns:
        float: the average precision, in [0, 1]; 0 for an empty curve.

    Example:
        >>> # 1 GT; a false positive ranked first, then the true positive: precision 0, then 1/2
        >>> average_precision(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 0.5]))
        0.5
    """
    if recall.numel() == 0:
        return 0.0
    recall = torch.cat((recall.new_zeros(1), recall.double()))  # [D + 1]
    precision = torch.cat((precision.new_zeros(1), precision.double()))  # [D + 1]
    # the envelope: running maximum of the precision from the right
    envelope = precision.flip(0).cummax(dim=0).values.flip(0)  # [D + 1]
    steps = recall[1:] - recall[:-1]  # [D], > 0 where a true positive raised the recall
    return float((steps * envelope[1:]).sum())


def average_precisions(
    detections: Sequence[Detections],
    ground_truths: Sequence[tuple[Tensor, Tensor]],
    iou_threshold: float = 0.5,
) -> dict[int, float]:
    """VOC average precision of each class that has at least one GT box.

    Per class: rank the detections of all images by score. Going down the ranking, a
    detection is a true positive when its best-overlapping GT box of the same class in the
    same image has IoU > ``iou_threshold`` and has not been claimed by a higher-ranked
    detection; otherwise (no overlap, wrong class, or a duplicate of a claimed GT) it is a
    false positive. Recall = true positives so far / GT boxes of the class; precision =
    true positives so far / detections so far.

    Args:
        detections (Sequence[Detections]): the detections of each image.
        ground_truths (Sequence[tuple[Tensor[G, 4], Tensor[G]]]): the GT boxes (xyxy) and
            labels of each image, in the same order.
        iou_threshold (float): the IoU a detection must exceed to be correct.

    Returns:
        dict[int, float]: class label -> AP, for the classes present in the GT.

    Raises:
        ValueError: if the two sequences differ in length.
    """
    if len(detections) != len(ground_truths):
        raise ValueError(
            f"detections and ground_truths must have one entry per image; got {len(detections)} and "
            f"{len(ground_truths)}"
        )
    classes = sorted({int(c) for _, labels in ground_truths for c in labels.tolist()} - {BACKGROUND})
    result = {}
    for c in classes:
        # all detections of class c, with the image they belong to
        image_index, boxes, scores = [], [], []
        for i, found in enumerate(detections):
            mine = found.labels == c
            image_index += [i] * int(mine.sum())
            boxes.append(found.boxes[mine].detach().cpu().double())
            scores.append(found.scores[mine].detach().cpu().double())
        all_boxes, all_scores = torch.cat(boxes), torch.cat(scores)  # [D, 4], [D]
        gt_boxes = [gt[0][gt[1] == c].detach().cpu().double() for gt in ground_truths]  # [G_i, 4] per image
        claimed = [torch.zeros(len(b), dtype=torch.bool) for b in gt_boxes]
        num_gt = sum(len(b) for b in gt_boxes)
        order = all_scores.argsort(descending=True, stable=True)  # [D]
        true_positive = torch.zeros(len(order), dtype=torch.bool)  # [D], in ranked order
        for rank, d in enumerate(order.tolist()):
            candidates = gt_boxes[image_index[d]]
            if len(candidates) == 0:
                continue
            overlap = box_iou(all_boxes[d].unsqueeze(0), candidates)[0]  # [G_i]
            best = int(overlap.argmax())
            # VOC: the best-overlapping GT, if already claimed, makes this a duplicate
            if overlap[best] > iou_threshold and not claimed[image_index[d]][best]:
                claimed[image_index[d]][best] = True
                true_positive[rank] = True
        hits = true_positive.double().cumsum(0)  # [D]
        recall = hits / num_gt
        precision = hits / torch.arange(1, len(order) + 1, dtype=torch.float64)
        result[c] = average_precision(recall, precision)
    return result


def best_hit_scores(
    detections: Sequence[Detections],
    ground_truths: Sequence[tuple[Tensor, Tensor]],
    iou_threshold: float = 0.5,
) -> list[Tensor]:
    """For every GT box, the best score with which the detector found it.

    A GT box is found by a detection of its class whose IoU with it exceeds
    ``iou_threshold``; its best hit score is the highest score among those (0 when none).
    Unlike the AP, this looks at each GT box on its own: it shows *which* objects the
    detector is sure of, e.g. large against small ones.

    Args:
        detections (Sequence[Detections]): the detections of each image.
        ground_truths (Sequence[tuple[Tensor[G, 4], Tensor[G]]]): the GT boxes (xyxy) and
            labels of each image.
        iou_threshold (float): the IoU a detection must exceed to find a GT box.

    Returns:
        list[Tensor[G]]: per image, the best hit score of each of its GT boxes, in [0, 1].

    Example:
        >>> gt = [(torch.tensor([[0.1, 0.1, 0.5, 0.5], [0.6, 0.6, 0.9, 0.9]]), torch.tensor([1, 2]))]
        >>> found = [Detections(torch.tensor([[0.1, 0.1, 0.5, 0.5], [0.6, 0.6, 0.9, 0.9]]),
        ...                     torch.tensor([1, 1]), torch.tensor([0.9, 0.8]))]
        >>> best_hit_scores(found, gt)  # GT 1 is only found with the wrong class
        [tensor([0.9000, 0.0000])]
    """
    if len(detections) != len(ground_truths):
        raise ValueError(
            f"detections and ground_truths must have one entry per image; got {len(detections)} and "
            f"{len(ground_truths)}"
        )
    result = []
    for found, (gt_boxes, gt_labels) in zip(detections, ground_truths):
        boxes, labels, scores = (t.detach().cpu() for t in found)
        gt_boxes, gt_labels = gt_boxes.detach().cpu(), gt_labels.detach().cpu()
        overlap = box_iou(gt_boxes.to(boxes.dtype), boxes)  # [G, D]
        hit = (overlap > iou_threshold) & (gt_labels.unsqueeze(1) == labels.unsqueeze(0))  # [G, D]
        if len(scores) == 0:  # no detection: nothing is found
            result.append(scores.new_zeros(len(gt_boxes)))
        else:
            result.append(torch.where(hit, scores.unsqueeze(0), 0.0).amax(dim=1))  # [G]
    return result


def mean_average_precision(
    detections: Sequence[Detections],
    ground_truths: Sequence[tuple[Tensor, Tensor]],
    iou_threshold: float = 0.5,
) -> float:
    """VOC mean average precision: the mean of :func:`average_precisions` over the classes.

    Args:
        detections (Sequence[Detections]): the detections of each image.
        ground_truths (Sequence[tuple[Tensor[G, 4], Tensor[G]]]): the GT boxes (xyxy) and
            labels of each image.
        iou_threshold (float): the IoU a detection must exceed to be correct (0.5: mAP@0.5).

    Returns:
        float: mAP in [0, 1]; classes without any GT box are left out of the mean (0.0 when
        no image has a GT box).

    Example:
        >>> gt = [(torch.tensor([[0.1, 0.1, 0.5, 0.5]]), torch.tensor([1]))]
        >>> perfect = [Detections(gt[0][0], gt[0][1], torch.tensor([0.9]))]
        >>> mean_average_precision(perfect, gt)
        1.0
    """
    per_class = average_precisions(detections, ground_truths, iou_threshold)
    return sum(per_class.values()) / len(per_class) if per_class else 0.0
