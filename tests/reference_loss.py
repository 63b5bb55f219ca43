"""Slow, obviously correct references for the matching and the MultiBox loss.

Written from the definitions, one image, one GT and one prior at a time, in Python floats
(float64), without the package's vectorised code. The IoU is computed with the same
operations in the same order as :func:`ssd_course.boxes.box_iou`, so on float64 inputs the
two agree bit for bit and even exact ties are broken the same way.

Tie rules, the ones the package documents: IoUs within ``TIE_TOLERANCE`` of the largest
are ties, won by the lowest index. A prior's best GT is the lowest GT index within the
tolerance of its largest IoU; a GT's best prior likewise; the greedy principle 1 serves the
lowest-index GT whose best free IoU is within the tolerance of the largest, and gives it its
best free prior; an IoU reaches the threshold when it is >= threshold - TIE_TOLERANCE. Hard
negatives of equal loss are kept by lower prior index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

BACKGROUND = 0
UNMATCHED = -1
TIE_TOLERANCE = 2.0**-18  # written again here, not imported: tests check it equals the package's


def first_best(values: list[float]) -> int:
    """The lowest index whose value is within ``TIE_TOLERANCE`` of the largest (``UNMATCHED`` if empty).

    >>> first_best([0.2, 0.5, 0.5000001, 0.1])
    1
    """
    if not values:
        return UNMATCHED
    largest = max(values)
    for i, value in enumerate(values):
        if value >= largest - TIE_TOLERANCE:
            return i
    raise AssertionError("unreachable: the largest value is within the tolerance of itself")


def scalar_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two xyxy boxes given as four floats; 0 when the union has no area.

    >>> scalar_iou([0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.75, 0.75])  # 0.0625 / (0.25 + 0.25 - 0.0625)
    0.14285714285714285
    """
    area_a = max(a[2] - a[0], 0.0) * max(a[3] - a[1], 0.0)
    area_b = max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)
    width = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    height = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    intersection = width * height
    union = area_a + area_b - intersection
    return intersection / union if union > 0 else 0.0


def prior_xyxy(prior: Sequence[float]) -> list[float]:
    """One (cx, cy, w, h) prior as (x1, y1, x2, y2).

    >>> prior_xyxy([0.5, 0.25, 0.5, 0.5])
    [0.25, 0.0, 0.75, 0.5]
    """
    cx, cy, w, h = prior
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def iou_table(boxes: Tensor, priors_cxcy: Tensor) -> list[list[float]]:
    """IoU of every GT (row) with every prior (column), as nested lists ``[G][P]``."""
    gt_list = boxes.detach().cpu().double().tolist()
    prior_list = [prior_xyxy(p) for p in priors_cxcy.detach().cpu().double().tolist()]
    return [[scalar_iou(gt, prior) for prior in prior_list] for gt in gt_list]


def principle1_loop(iou: list[list[float]], unique: bool) -> list[int]:
    """The prior each GT is forced onto by principle 1 (``UNMATCHED`` if none is left).

    ``unique=False``: each GT's own best prior. ``unique=True``: repeatedly the highest IoU
    among the GTs and priors not taken yet.

    >>> principle1_loop([[0.9, 0.5, 0.0], [0.8, 0.7, 0.0]], unique=False)
    [0, 0]
    >>> principle1_loop([[0.9, 0.5, 0.0], [0.8, 0.7, 0.0]], unique=True)
    [0, 1]
    """
    G = len(iou)
    P = len(iou[0]) if G else 0
    forced = [UNMATCHED] * G
    if not unique:
        return [first_best(iou[g]) for g in range(G)]
    gt_free = [True] * G
    prior_free = [True] * P
    for _ in range(min(G, P)):
        free_priors = [p for p in range(P) if prior_free[p]]
        free_gts = [g for g in range(G) if gt_free[g]]
        best_of_gt = [max(iou[g][p] for p in free_priors) for g in free_gts]
        g = free_gts[first_best(best_of_gt)]
        p = free_priors[first_best([iou[g][p] for p in free_priors])]
        forced[g] = p
        gt_free[g] = False
        prior_free[p] = False
    return forced


class LoopMatch(NamedTuple):
    """The loop's decision for every prior of one image, each ``[P]``."""

    labels: Tensor
    gt_index: Tensor
    principle: Tensor
    iou: Tensor


def match_loop(
    boxes: Tensor, labels: Tensor, priors_cxcy: Tensor, threshold: float = 0.5, unique: bool = True
) -> LoopMatch:
    """Match the priors of one image with the two principles, one prior at a time.

    Args:
        boxes (Tensor[G, 4]): GT boxes, xyxy; ``G`` may be 0.
        labels (Tensor[G]): GT class labels.
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).
        threshold (float): principle 2's minimum IoU.
        unique (bool): greedy distinct priors for principle 1, or each GT's own argmax.

    Returns:
        LoopMatch: int64 ``labels``, ``gt_index`` and ``principle``, and the float64 ``iou``:
        with its GT for a principle-1 prior, else the prior's largest IoU (0 without GT), each ``[P]``.
    """
    iou = iou_table(boxes, priors_cxcy)
    label_list = labels.detach().cpu().tolist()
    G, P = len(iou), priors_cxcy.shape[0]
    gt_index = [UNMATCHED] * P
    principle = [0] * P
    matched_iou = [0.0] * P

    # principle 2: every prior takes its best GT if their IoU reaches the threshold
    for p in range(P):
        column = [iou[g][p] for g in range(G)]
        best_g = first_best(column)
        if best_g != UNMATCHED:
            matched_iou[p] = max(column)  # the largest IoU (that of best_g, or one tied with it)
            if max(column) >= threshold - TIE_TOLERANCE:
                gt_index[p] = best_g
                principle[p] = 2

    # principle 1, written over principle 2 in increasing GT order: a later GT overwrites
    forced = principle1_loop(iou, unique)
    for g in range(G):
        p = forced[g]
        if p != UNMATCHED:
            gt_index[p] = g
            principle[p] = 1
            matched_iou[p] = iou[g][p]

    prior_labels = [label_list[g] if g != UNMATCHED else BACKGROUND for g in gt_index]
    return LoopMatch(
        labels=torch.tensor(prior_labels, dtype=torch.long),
        gt_index=torch.tensor(gt_index, dtype=torch.long),
        principle=torch.tensor(principle, dtype=torch.long),
        iou=torch.tensor(matched_iou, dtype=torch.float64),
    )


def hard_negative_loop(conf_loss: Tensor, positive: Tensor, ratio: float) -> Tensor:
    """The hard negatives of one image: its ``min(floor(ratio * positives), negatives)``
    negatives of highest loss, ties kept by lower prior index.

    Args:
        conf_loss (Tensor[P]): confidence loss of every prior.
        positive (Tensor[P]): bool, True for the positives.
        ratio (float): negatives kept per positive; ``math.inf`` keeps every negative of an
            image that has a positive (and, like any ratio, none of an image without one).

    Returns:
        Tensor[P]: bool, True for the kept negatives.

    >>> hard_negative_loop(torch.tensor([0.1, 5.0, 0.7, 0.3, 0.9, 0.2]),
    ...                    torch.tensor([False, True, False, False, False, False]), 3)
    tensor([False, False,  True,  True,  True, False])
    """
    losses = conf_loss.detach().cpu().double().tolist()
    is_positive = positive.detach().cpu().tolist()
    negatives = [p for p in range(len(losses)) if not is_positive[p]]
    negatives.sort(key=lambda p: (-losses[p], p))
    num_positives = sum(is_positive)
    if num_positives == 0:
        num_kept = 0
    elif math.isinf(ratio):
        num_kept = len(negatives)
    else:
        num_kept = min(math.floor(ratio * num_positives), len(negatives))
    kept = [False] * len(losses)
    for p in negatives[:num_kept]:
        kept[p] = True
    return torch.tensor(kept, dtype=torch.bool)


class LoopLoss(NamedTuple):
    """The loop's MultiBox loss: float64 scalars, already divided by ``N``, and ``N``."""

    total: Tensor
    loc: Tensor
    conf: Tensor
    num_positives: int


def multibox_loss_loop(
    predicted_locs: Tensor,
    predicted_scores: Tensor,
    boxes: Sequence[Tensor],
    labels: Sequence[Tensor],
    priors_cxcy: Tensor,
    threshold: float = 0.5,
    neg_pos_ratio: float = 3,
    alpha: float = 1.0,
    variances: Sequence[float] = (0.1, 0.2),
    unique: bool = True,
) -> LoopLoss:
    """The MultiBox loss, image by image and prior by prior.

    Args:
        predicted_locs (Tensor[B, P, 4]): predicted offsets.
        predicted_scores (Tensor[B, P, C]): class logits, class 0 is background.
        boxes (list[Tensor[G_b, 4]]): GT boxes of each image, xyxy.
        labels (list[Tensor[G_b]]): GT labels of each image, 1..C-1.
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).
        threshold, neg_pos_ratio, alpha, variances, unique: as :func:`ssd_course.loss.multibox_loss`.

    Returns:
        LoopLoss: ``(L_conf + alpha * L_loc) / N``, ``L_loc / N``, ``L_conf / N`` and ``N``;
        the three losses are 0 when ``N = 0``.
    """
    locs = predicted_locs.detach().cpu().double()
    scores = predicted_scores.detach().cpu().double()
    prior_list = priors_cxcy.detach().cpu().double().tolist()
    B, P = locs.shape[0], locs.shape[1]
    loc_sum, conf_sum, num_positives = 0.0, 0.0, 0
    for b in range(B):
        match = match_loop(boxes[b], labels[b], priors_cxcy, threshold, unique)
        gt_list = boxes[b].detach().cpu().double().tolist()
        positive = match.gt_index >= 0
        conf_loss = []
        for p in range(P):
            # cross-entropy = log-sum-exp of the logits minus the logit of the target class
            row = scores[b, p]
            top = row.max()
            log_sum_exp = top + torch.log(torch.exp(row - top).sum())
            conf_loss.append(float(log_sum_exp - row[int(match.labels[p])]))
            if not positive[p]:
                continue
            # location loss: SSD's Eq. 2 offsets of the matched GT from this prior
            x1, y1, x2, y2 = gt_list[int(match.gt_index[p])]
            prior_cx, prior_cy, prior_w, prior_h = prior_list[p]
            targets = [
                ((x1 + x2) / 2 - prior_cx) / prior_w / variances[0],
                ((y1 + y2) / 2 - prior_cy) / prior_h / variances[0],
                math.log((x2 - x1) / prior_w) / variances[1],
                math.log((y2 - y1) / prior_h) / variances[1],
            ]
            for k in range(4):
                difference = float(locs[b, p, k]) - targets[k]
                if abs(difference) < 1:
                    loc_sum += 0.5 * difference * difference
                else:
                    loc_sum += abs(difference) - 0.5
        kept = hard_negative_loop(torch.tensor(conf_loss, dtype=torch.float64), positive, neg_pos_ratio)
        for p in range(P):
            if positive[p] or kept[p]:
                conf_sum += conf_loss[p]
        num_positives += int(positive.sum())
    if num_positives == 0:
        zero = torch.tensor(0.0, dtype=torch.float64)
        return LoopLoss(total=zero, loc=zero, conf=zero, num_positives=0)
    loc = loc_sum / num_positives
    conf = conf_sum / num_positives
    return LoopLoss(
        total=torch.tensor(conf + alpha * loc, dtype=torch.float64),
        loc=torch.tensor(loc, dtype=torch.float64),
        conf=torch.tensor(conf, dtype=torch.float64),
        num_positives=num_positives,
    )
