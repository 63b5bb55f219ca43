"""Reproductions of defects of popular SSD loss implementations, for the course to demonstrate. Do not use these in training code.

Each ``classic_*`` function reproduces one defect listed in the course's source notes, in
our own code, so that a notebook can run it next to the package's correct function and
compare the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ssd_course.boxes import box_iou, cxcywh_to_xyxy
from ssd_course.loss import LossParts


def classic_location_loss(predicted_locs: Tensor, loc_targets: Tensor, positive: Tensor) -> Tensor:
    """The location loss as the study guide's code computes it: plain L1, averaged over 4N.

    Reproduces the defect "plain L1 averaged over 4N": the text (and SSD, Liu et al. 2016,
    Eq. 2) asks for smooth L1 summed over the four offsets of every positive and divided by
    ``N``, while the code applies a mean-reduced L1 loss to the positives' offsets, i.e.
    ``sum |l - ĝ| / (4 N)``: a different function (its gradient never shrinks near 0) at a
    quarter of the scale. With no positive (``N = 0``) the mean of nothing is NaN, as there.
    Compare :func:`ssd_course.loss.multibox_loss` (its ``loc`` part).

    Args:
        predicted_locs (Tensor[B, P, 4]): predicted offsets.
        loc_targets (Tensor[B, P, 4]): encoded GT offsets ĝ of every prior (only the
            positives' are used).
        positive (Tensor[B, P]): bool, True for the positive priors.

    Returns:
        Tensor[]: the mean of ``|l - ĝ|`` over the ``4 N`` offsets of the positives.

    Example:
        >>> locs = torch.tensor([[[0.5, -2.0, 0.0, 0.0], [9.0, 9.0, 9.0, 9.0]]])
        >>> classic_location_loss(locs, torch.zeros(1, 2, 4), torch.tensor([[True, False]]))  # (0.5 + 2) / 4
        tensor(0.6250)
    """
    if predicted_locs.shape != loc_targets.shape or predicted_locs.shape[:-1] != positive.shape:
        raise ValueError(
            f"predicted_locs and loc_targets must have one shape [B, P, 4] and positive [B, P]; got "
            f"{list(predicted_locs.shape)}, {list(loc_targets.shape)} and {list(positive.shape)}"
        )
    return (predicted_locs[positive] - loc_targets[positive]).abs().mean()  # mean over [N, 4]


def classic_encode(boxes_xyxy: Tensor, priors_cxcy: Tensor, variances: tuple[float, float] = (0.1, 0.2)) -> Tensor:
    """Offsets of boxes relative to priors, encoded without any check of the boxes.

    Reproduces the defect "a zero-width GT box makes log(0) = -inf in the encoder": a box
    with ``x2 == x1`` has ``log(g_w / d_w) = log(0) = -inf``, which then turns the location
    loss into ``inf`` and its gradient into NaN. On valid boxes it gives the same offsets as
    :func:`ssd_course.encoding.encode`, which raises a ``ValueError`` instead.

    Args:
        boxes_xyxy (Tensor[..., 4]): boxes as (x1, y1, x2, y2).
        priors_cxcy (Tensor[..., 4]): priors as (cx, cy, w, h), broadcastable with the boxes.
        variances (tuple[float, float]): divisors of the centre and the size offsets.

    Returns:
        Tensor[..., 4]: offsets (ĝ_cx, ĝ_cy, ĝ_w, ĝ_h); ``-inf`` sizes for empty boxes.

    Example:
        >>> classic_encode(torch.tensor([0.5, 0.25, 0.5, 0.75]), torch.tensor([0.5, 0.5, 0.25, 0.5]))  # width 0
        tensor([0., 0., -inf, 0.])
    """
    centre_x = (boxes_xyxy[..., 0] + boxes_xyxy[..., 2]) / 2  # [...]
    centre_y = (boxes_xyxy[..., 1] + boxes_xyxy[..., 3]) / 2  # [...]
    width = boxes_xyxy[..., 2] - boxes_xyxy[..., 0]  # [...]
    height = boxes_xyxy[..., 3] - boxes_xyxy[..., 1]  # [...]
    return torch.stack(
        (
            (centre_x - priors_cxcy[..., 0]) / priors_cxcy[..., 2] / variances[0],
            (centre_y - priors_cxcy[..., 1]) / priors_cxcy[..., 3] / variances[0],
            torch.log(width / priors_cxcy[..., 2]) / variances[1],
            torch.log(height / priors_cxcy[..., 3]) / variances[1],
        ),
        dim=-1,
    )  # [..., 4]


def classic_softmax_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy computed naively: softmax first, then the log of one probability.

    Reproduces the overflow of a hand-written softmax: ``exp`` of a logit above about 88
    is ``inf`` in float32, so a logit of ``1e4`` gives ``inf / inf = NaN``; a target logit
    far below the others gives a probability of exactly 0 and a loss of ``-log 0 = inf``.
    :func:`torch.nn.functional.cross_entropy` computes ``logsumexp(z) - z_target`` with the
    largest logit subtracted first, and stays finite.

    Args:
        logits (Tensor[N, C]): class scores of ``N`` priors.
        target (Tensor[N]): int64 class of each prior, in 0..C-1.

    Returns:
        Tensor[N]: ``-log(softmax(logits)[target])`` of each prior (no reduction).

    Example:
        >>> logits = torch.tensor([[0.0, 0.0, 0.0, 0.0], [1e4, 0.0, 0.0, 0.0]])
        >>> classic_softmax_cross_entropy(logits, torch.tensor([0, 0]))  # log 4, then exp(1e4) = inf
        tensor([1.3863,    nan])
    """
    if logits.dim() != 2 or target.shape != logits.shape[:1]:
        raise ValueError(
            f"logits must have shape [N, C] and target [N]; got {list(logits.shape)} and {list(target.shape)}"
        )
    exponentials = logits.exp()  # [N, C], inf where a logit > ~88 (float32)
    probabilities = exponentials / exponentials.sum(dim=1, keepdim=True)  # [N, C]
    return -probabilities.gather(1, target.unsqueeze(1)).squeeze(1).log()  # [N]


class ClassicTargets(NamedTuple):
    """What the classic per-image loop assigns to every prior of a batch.

    Attributes:
        labels (Tensor[B, P]): int64 class of each prior, 0 (background) for negatives.
        gt_index (Tensor[B, P]): int64 index of the GT each positive prior was given
            (the classic ``object_for_each_prior``), -1 for negatives.
        loc_targets (Tensor[B, P, 4]): encoded offsets of the GT each prior was given
            (computed for negatives too, as there; only the positives' are used).
    """

    labels: Tensor
    gt_index: Tensor
    loc_targets: Tensor


def classic_targets(
    boxes: Sequence[Tensor],
    labels: Sequence[Tensor],
    priors_cxcy: Tensor,
    threshold: float = 0.5,
    variances: tuple[float, float] = (0.1, 0.2),
) -> ClassicTargets:
    """Match and encode the way the popular MultiBoxLoss does: one image at a time, in a loop.

    Reproduces three defects of the classic matching loop (compare
    :func:`ssd_course.matching.match_priors_batch`):

    * **lost GT**: principle 1 is the indexed assignment
      ``object_for_each_prior[prior_for_each_object] = arange(G)``; when two GTs share the
      same best prior the later GT overwrites the earlier one, which may be left with no
      prior at all. (PyTorch leaves the order of duplicate writes undefined; the CPU writes
      in order, so the later GT wins. The loop below writes in order on every device.)
    * **image without GT crashes**: the per-prior maximum over an empty ``[0, P]`` IoU
      matrix raises the reduction error of :meth:`torch.Tensor.max`.
    * **no check of the boxes**: a zero-width GT box gives ``-inf`` offsets
      (:func:`classic_encode`).

    It also matches one image at a time in a Python loop. A GT labelled 0 makes its priors
    background, which is how ``N = 0`` can be reached without an empty image.

    Args:
        boxes (list[Tensor[G_b, 4]]): GT boxes of each image, fractional xyxy.
        labels (list[Tensor[G_b]]): GT class labels of each image.
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).
        threshold (float): principle 2's minimum IoU (below it: background).
        variances (tuple[float, float]): divisors of the centre and the size offsets.

    Returns:
        ClassicTargets: ``labels`` and ``gt_index`` ``[B, P]``, ``loc_targets`` ``[B, P, 4]``.

    Raises:
        IndexError: (or ``RuntimeError`` on older PyTorch) for an image with no GT box.

    Example:
        >>> priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
        >>> gt = torch.tensor([[0.0, 0.0, 0.6, 1.0], [0.1, 0.0, 0.5, 1.0]])  # both prefer prior 0
        >>> classic_targets([gt], [torch.tensor([1, 2])], priors_cxcy).gt_index  # GT 0 is lost
        tensor([[ 1, -1]])
    """
    B, P = len(boxes), priors_cxcy.shape[0]
    device = priors_cxcy.device
    priors_xyxy = cxcywh_to_xyxy(priors_cxcy)  # [P, 4]
    true_labels = torch.zeros(B, P, dtype=torch.long, device=device)  # [B, P]
    true_gt_index = torch.full((B, P), -1, dtype=torch.long, device=device)  # [B, P]
    true_locs = torch.zeros(B, P, 4, dtype=priors_cxcy.dtype, device=device)  # [B, P, 4]
    for i in range(B):
        n_objects = boxes[i].shape[0]
        overlap = box_iou(boxes[i], priors_xyxy)  # [G, P]
        # each prior's best GT; with G = 0 this reduction over an empty dimension raises
        overlap_for_each_prior, object_for_each_prior = overlap.max(dim=0)  # [P], [P]
        _, prior_for_each_object = overlap.max(dim=1)  # [G]
        # principle 1 as the indexed assignment: writes in GT order, so a later GT that names
        # the same prior overwrites an earlier one
        for g in range(n_objects):
            object_for_each_prior[prior_for_each_object[g]] = g
        overlap_for_each_prior[prior_for_each_object] = 1.0  # forced priors pass the threshold
        label_for_each_prior = labels[i].long()[object_for_each_prior]  # [P]
        label_for_each_prior[overlap_for_each_prior < threshold] = 0
        true_labels[i] = label_for_each_prior
        true_gt_index[i] = torch.where(label_for_each_prior != 0, object_for_each_prior, -1)
        true_locs[i] = classic_encode(boxes[i][object_for_each_prior], priors_cxcy, variances)  # [P, 4]
    return ClassicTargets(labels=true_labels, gt_index=true_gt_index, loc_targets=true_locs)


def classic_multibox_loss(
    predicted_locs: Tensor,
    predicted_scores: Tensor,
    boxes: Sequence[Tensor],
    labels: Sequence[Tensor],
    priors_cxcy: Tensor,
    threshold: float = 0.5,
    neg_pos_ratio: float = 3,
    alpha: float = 1.0,
) -> LossParts:
    """The MultiBox loss as the study guide's ``MultiBoxLoss`` (and the tutorial it derives from) computes it.

    Reproduces, next to :func:`ssd_course.loss.multibox_loss`:

    * **plain L1 over 4N** for the location loss (:func:`classic_location_loss`), where the
      text says smooth L1 summed over the positives and divided by ``N``;
    * **N = 0 gives NaN**: both parts divide by the number of positives, ``0 / 0``; the text
      says the loss is 0. (Every image with a GT has a positive, so ``N = 0`` is reached
      with GT boxes labelled 0; an empty batch ``B = 0`` gives NaN too.)
    * **an image without GT crashes** (:func:`classic_targets`), instead of being all
      background;
    * **a lost GT** when two GTs share a best prior (:func:`classic_targets`);
    * matching **one image at a time** in a Python loop.

    Hard negatives are taken from each image's losses sorted in decreasing order with the
    positives' losses set to 0, ``rank < neg_pos_ratio * P_b``. When ``neg_pos_ratio * P_b``
    exceeds the negatives, that rank also reaches positives (see
    :func:`classic_hard_negative_mask`); their zeroed losses add nothing, so the value is
    the same as with ``min(neg_pos_ratio * P_b, negatives)``. Where none of the defects
    matters (no empty image, ``N > 0``, no shared best prior) the confidence part equals
    the package's.

    Args:
        predicted_locs (Tensor[B, P, 4]): predicted offsets.
        predicted_scores (Tensor[B, P, C]): class logits; class 0 is background.
        boxes (list[Tensor[G_b, 4]]): GT boxes of each image, fractional xyxy.
        labels (list[Tensor[G_b]]): GT class labels of each image.
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).
        threshold (float): matching threshold.
        neg_pos_ratio (float): hard negatives kept per positive.
        alpha (float): weight of the location loss.

    Returns:
        LossParts: ``total = conf + alpha * loc``, ``loc`` (mean L1 over the ``4N``
        offsets), ``conf`` (positives plus hard negatives, divided by ``N``) and
        ``num_positives``. The classic code returns only ``total``.

    Raises:
        IndexError: (or ``RuntimeError`` on older PyTorch) for an image with no GT box.

    Example:
        >>> priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
        >>> parts = classic_multibox_loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 3),
        ...                               [torch.tensor([[0.0, 0.0, 0.5, 1.0]])], [torch.tensor([0])], priors_cxcy)
        >>> parts.num_positives, parts.total  # the only GT is labelled 0: N = 0 and 0 / 0
        (tensor(0), tensor(nan))
    """
    B, P, C = predicted_scores.shape
    targets = classic_targets(boxes, labels, priors_cxcy, threshold)
    positive = targets.labels != 0  # [B, P]

    # location loss: plain L1, mean over the 4N offsets of the positives
    loc = classic_location_loss(predicted_locs, targets.loc_targets.to(predicted_locs.dtype), positive)

    # confidence loss of every prior, then the positives' sum
    n_positives = positive.sum(dim=1)  # [B]
    n_hard_negatives = neg_pos_ratio * n_positives  # [B]
    conf_loss_all = F.cross_entropy(predicted_scores.reshape(B * P, C), targets.labels.reshape(B * P),
                                    reduction="none").reshape(B, P)  # [B, P]
    conf_loss_pos = conf_loss_all[positive]  # [N]

    # hard negatives: positives zeroed, sorted by decreasing loss, the first 3 P_b of each image
    conf_loss_neg = conf_loss_all.clone()  # [B, P]
    conf_loss_neg[positive] = 0.0
    conf_loss_neg, _ = conf_loss_neg.sort(dim=1, descending=True)  # [B, P]
    hardness_ranks = torch.arange(P, device=conf_loss_neg.device).unsqueeze(0).expand_as(conf_loss_neg)  # [B, P]
    hard_negatives = hardness_ranks < n_hard_negatives.unsqueeze(1)  # [B, P]
    conf_loss_hard_neg = conf_loss_neg[hard_negatives]  # [sum of min(3 P_b, P)]

    # divided by N without a guard: N = 0 gives 0 / 0 = NaN
    conf = (conf_loss_hard_neg.sum() + conf_loss_pos.sum()) / n_positives.sum().float()
    return LossParts(total=conf + alpha * loc, loc=loc, conf=conf, num_positives=n_positives.sum())


def classic_hard_negative_mask(conf_loss: Tensor, positive: Tensor, neg_pos_ratio: float = 3) -> Tensor:
    """The hard-negative selection of the popular implementations, as a mask over the priors.

    Reproduces the defect "when 3P exceeds the number of negatives, positives are counted
    twice": the positives' losses are set to 0, every prior is ranked by decreasing loss,
    and the priors of rank ``< neg_pos_ratio * P_b`` are kept, without taking the minimum
    with the number of negatives. When ``neg_pos_ratio * P_b`` exceeds the negatives of
    image ``b``, the ranks run past the last negative into the positives, which are then
    selected both as positives and as "hard negatives" (the tutorial's loss adds their
    zeroed losses, so only its count is wrong; a sum of the original losses over this mask
    adds them twice). Compare :func:`ssd_course.loss.hard_negative_mask`, which keeps
    ``min(neg_pos_ratio * P_b, negatives_b)`` and never a positive.

    Args:
        conf_loss (Tensor[B, P]): confidence loss of every prior.
        positive (Tensor[B, P]): bool, True for the positive priors.
        neg_pos_ratio (float): negatives kept per positive.

    Returns:
        Tensor[B, P]: bool, True for the priors selected as hard negatives (positives
        included once ``neg_pos_ratio * P_b`` exceeds the negatives).

    Example:
        >>> loss = torch.tensor([[2.0, 0.3, 0.9, 0.1]])
        >>> positive = torch.tensor([[True, False, False, True]])  # 2 positives, 2 negatives, 3 * 2 = 6
        >>> classic_hard_negative_mask(loss, positive)  # every prior, the two positives too
        tensor([[True, True, True, True]])
    """
    if positive.shape != conf_loss.shape or conf_loss.dim() != 2:
        raise ValueError(
            f"conf_loss and positive must both have shape [B, P]; got {list(conf_loss.shape)} and "
            f"{list(positive.shape)}"
        )
    ranked_loss = conf_loss.detach().clone()  # [B, P]
    ranked_loss[positive] = 0.0  # positives sort after every negative (a loss is > 0)...
    order = ranked_loss.argsort(dim=1, descending=True, stable=True)  # [B, P], prior index by rank
    rank = order.argsort(dim=1)  # [B, P], rank of each prior
    # ...but nothing stops the ranks below 3 P_b from reaching them
    return rank < neg_pos_ratio * positive.sum(dim=1, keepdim=True)  # [B, P]


def classic_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise IoU computed as a bare ``intersection / union``, with no guard for an empty union.

    Reproduces the popular implementations' ``find_jaccard_overlap``: areas as
    ``(x2 - x1) * (y2 - y1)``, union as ``area1 + area2 - intersection``, and a plain
    division. Two zero-area boxes (a degenerate GT box, a prior shrunk to a line) have
    union 0, so their IoU is ``0 / 0 = NaN``, and a NaN in the IoU matrix corrupts every
    max and argmax of the matching that reads it. Elsewhere it agrees with
    :func:`ssd_course.boxes.box_iou`, which returns 0 where the union is empty.

    Args:
        boxes1 (Tensor[N, 4]): boxes as (x1, y1, x2, y2).
        boxes2 (Tensor[M, 4]): boxes as (x1, y1, x2, y2).

    Returns:
        Tensor[N, M]: IoU; NaN for a pair of zero-area boxes.

    Example:
        >>> point = torch.tensor([[0.5, 0.5, 0.5, 0.5]])  # a box of width and height 0
        >>> classic_box_iou(point, point)  # 0 / (0 + 0 - 0)
        tensor([[nan]])
    """
    if boxes1.dim() != 2 or boxes2.dim() != 2 or boxes1.shape[-1] != 4 or boxes2.shape[-1] != 4:
        raise ValueError(f"boxes1 and boxes2 must have shape [N, 4] and [M, 4]; got {list(boxes1.shape)} "
                         f"and {list(boxes2.shape)}")
    lower = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])  # [N, M, 2]
    upper = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])  # [N, M, 2]
    sides = (upper - lower).clamp(min=0)  # [N, M, 2]
    intersection = sides[..., 0] * sides[..., 1]  # [N, M]
    areas1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])  # [N]
    areas2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])  # [M]
    union = areas1[:, None] + areas2[None, :] - intersection  # [N, M]
    return intersection / union  # [N, M], 0 / 0 = NaN for two empty boxes


def classic_clamp_priors(priors_cxcy: Tensor) -> Tensor:
    """"Clip" priors to the image by clamping their (cx, cy, w, h) to [0, 1].

    Reproduces the line ``prior_boxes.clamp_(0, 1)`` of the popular prior generators
    (the study guide's tiny detector and the SSD300 tutorial it derives from). The
    priors are in centre-size form there, so the clamp bounds centres, widths and heights,
    not corners: a prior whose centre is inside the image keeps its corners outside it.
    On the tiny detector's 441 priors it changes nothing at all (every value is already in
    [0, 1]) and 272 of them still cross the border; on SSD300's it only shortens the few
    priors wider or taller than the image. Clipping must be done on the corners, as
    :func:`ssd_course.priors.make_priors` does with ``clip=True``.

    Args:
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).

    Returns:
        Tensor[P, 4]: the same priors with every number clamped to [0, 1].

    Example:
        >>> prior = torch.tensor([[0.1, 0.5, 0.4, 0.4]])  # x1 = 0.1 - 0.2 = -0.1: outside
        >>> classic_clamp_priors(prior)  # unchanged, still from x = -0.1
        tensor([[0.1000, 0.5000, 0.4000, 0.4000]])
    """
    return priors_cxcy.clamp(0, 1)  # [P, 4]


def classic_mask_before_view(loss_c: Tensor, positive: Tensor, neg_pos_ratio: float = 3) -> Tensor:
    """Hard negative mining as the 2018 ``MultiBoxLoss`` wrote it: the mask first, the reshape second.

    Reproduces the defect "the shape of the mask does not match the shape of the indexed
    tensor": the per-prior confidence losses come out of ``log_sum_exp(batch_conf) -
    batch_conf.gather(...)`` as one column ``[B * P, 1]``, and the code zeroes the
    positives' losses with the ``[B, P]`` mask *before* reshaping that column to ``[B, P]``.
    PyTorch >= 0.4 refuses a boolean mask whose shape differs from the indexed dimensions
    (same number of elements or not) and raises ``IndexError`` naming both shapes. Swapping
    the two lines (reshape, then mask) makes it run; then, with distinct positive losses and
    ``neg_pos_ratio * P_b`` below the negatives of every image, it keeps the negatives of
    :func:`ssd_course.loss.hard_negative_mask`.

    Args:
        loss_c (Tensor[B * P, 1]): confidence loss of every prior of the batch, image by image.
        positive (Tensor[B, P]): bool, True for the positive priors.
        neg_pos_ratio (float): negatives kept per positive.

    Returns:
        Tensor[B, P]: bool, True for the kept negatives (never reached: the mask raises).

    Raises:
        IndexError: always, for ``B * P > 1``: the mask ``[B, P]`` does not fit ``[B * P, 1]``.

    Example:
        >>> classic_mask_before_view(torch.rand(8, 1), torch.zeros(2, 4, dtype=torch.bool))
        Traceback (most recent call last):
        ...
        IndexError: The shape of the mask [2, 4] at index 0 does not match the shape of the indexed tensor [8, 1] at index 0
    """
    num = positive.shape[0]
    loss_c = loss_c.clone()
    loss_c[positive] = 0  # filter out the positives: a [B, P] mask on a [B * P, 1] tensor
    loss_c = loss_c.view(num, -1)  # [B, P], one line too late
    _, loss_idx = loss_c.sort(1, descending=True)  # [B, P], prior index by rank
    _, idx_rank = loss_idx.sort(1)  # [B, P], rank of each prior
    num_pos = positive.long().sum(1, keepdim=True)  # [B, 1]
    num_neg = torch.clamp(neg_pos_ratio * num_pos, max=positive.shape[1] - 1)  # [B, 1]
    return idx_rank < num_neg  # [B, P]
