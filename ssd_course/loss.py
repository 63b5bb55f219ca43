"""The MultiBox loss: location loss, confidence loss and hard negative mining (notebooks 04-07).

SSD (Liu et al. 2016, Eq. 1) trains with::

    L = (L_conf + α · L_loc) / N

where ``N`` is the number of positive priors in the batch (the loss is 0 when ``N = 0``),
``L_loc`` is the smooth L1 loss between predicted and target offsets of the positives, and
``L_conf`` is the softmax cross-entropy of the positives (their GT class) and of the hard
negatives (the background class): the negatives with the highest confidence loss, at most
``neg_pos_ratio`` times as many as the positives of the same image (难例挖掘, hard
negative mining).

Two readings of the same loss. :func:`plain_multibox_loss` and :func:`plain_hard_negative_mask`
are the lesson code (notebooks 06 and 07): one image at a time, no checks, no speed tricks.
:func:`multibox_loss` and :class:`MultiBoxLoss` are what training runs: checked once, up
front, and batched (one matching for the whole batch, the positives and hard negatives as
lists of places rather than [B, P] masks, mining of all images at once, the softmax's
backward pass only over the kept priors). The tests check that both give
the same loss and the same gradients on random batches, ties and images without GT included.

Numeric parameters (``threshold``, ``neg_pos_ratio``, ``alpha``, ``variances``, ``beta``) are
Python numbers or 0-dim tensors; a bool is rejected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ssd_course._validate import (
    check_alpha,
    check_beta,
    check_finite_predictions,
    check_gt_lists,
    check_neg_pos_ratio,
    check_priors,
    check_same_device,
    check_tensor,
    check_threshold,
    check_variances,
    shape_str,
)
from ssd_course.boxes import _rows_per_slice, box_iou, cxcywh_to_xyxy
from ssd_course.encoding import _encode
from ssd_course.matching import BACKGROUND, _match_rows, plain_assign

__all__ = [
    "LossParts",
    "MultiBoxLoss",
    "confidence_loss",
    "hard_negative_mask",
    "multibox_loss",
    "plain_hard_negative_mask",
    "plain_multibox_loss",
    "smooth_l1",
]


class LossParts(NamedTuple):
    """The MultiBox loss and its parts, all already divided by ``N``.

    Attributes:
        total (Tensor[]): ``conf + alpha * loc``, the scalar to call ``backward()`` on.
        loc (Tensor[]): location loss, smooth L1 summed over the positives' offsets / N.
        conf (Tensor[]): confidence loss, cross-entropy summed over positives and hard negatives / N.
        num_positives (Tensor[]): int64 ``N``, the positive priors of the whole batch.
    """

    total: Tensor
    loc: Tensor
    conf: Tensor
    num_positives: Tensor


def smooth_l1(x: Tensor, beta: float = 1.0) -> Tensor:
    """Smooth L1 of a difference, elementwise (Fast R-CNN, Girshick 2015, Eq. 3).

    ``0.5 * x**2 / beta`` where ``|x| < beta``, else ``|x| - 0.5 * beta``: quadratic near 0,
    so the gradient shrinks as the prediction gets close; linear far away, so that a badly
    wrong box cannot produce a huge gradient as L2 would.

    Args:
        x (Tensor[...]): differences, e.g. predicted minus target offsets.
        beta (float): where the quadratic part turns linear, > 0.

    Returns:
        Tensor[...]: the loss of each element (no reduction).

    Example:
        >>> smooth_l1(torch.tensor([0.5, -2.0]))  # 0.5 * 0.5**2 = 0.125; 2 - 0.5 = 1.5
        tensor([0.1250, 1.5000])
    """
    check_tensor("x", x, floating=True)
    beta = check_beta(beta)
    absolute = x.abs()
    return torch.where(absolute < beta, 0.5 * x * x / beta, absolute - 0.5 * beta)


def _confidence_loss(predicted_scores: Tensor, labels: Tensor) -> Tensor:
    B, P, C = predicted_scores.shape
    # half-precision logits (autocast) are upcast: the log-softmax needs float32
    scores = predicted_scores.to(torch.promote_types(predicted_scores.dtype, torch.float32))
    return F.cross_entropy(scores.reshape(B * P, C), labels.reshape(B * P), reduction="none").reshape(B, P)


@torch.no_grad()
def _ranking_loss(predicted_scores: Tensor, dtype: torch.dtype, check_finite: bool, slice_size: int = 2**18) -> Tensor:
    """The background loss of every prior ``[B, P]``, without gradient: what mining ranks.

    The confidence loss of each prior as if it were a negative, ``-log softmax(scores)[0]``:
    for a negative, its confidence loss; mining never keeps a positive as a negative, so
    theirs need not be known. The same values as :func:`_confidence_loss` against background
    labels, bit for bit. With ``check_finite``, raises the ValueError of
    :func:`check_finite_predictions` on a NaN or inf score.

    Speed: on a CPU, a slice of about ``slice_size`` scores (1 MiB in float32) at a time, so
    that the log-softmax of a slice stays in the core's cache instead of going out to memory
    and back. The cross-entropy against class 0 is the log-softmax's column 0, negated: no
    lookup of a label per prior. The test for NaN and inf reads the slice's log-softmax while
    it is in the cache, instead of reading all the scores from memory once more: its values
    are all finite exactly when the slice's scores are (a NaN or an inf score gives a NaN or
    an inf among them), and one dot product sums their squares.
    """
    B, P, C = predicted_scores.shape
    scores = predicted_scores.reshape(B * P, C)
    loss = scores.new_empty(B * P, dtype=dtype)  # [B * P]
    sums = []  # one per slice: NaN or inf if the slice holds a NaN or an inf (or its sum overflows)
    step = _rows_per_slice(scores, C, slice_size)
    log_probs = scores.new_empty((min(step, B * P), C), dtype=dtype)  # the same memory for every slice
    for start in range(0, B * P, step):
        rows, n = slice(start, start + step), min(step, B * P - start)
        torch.log_softmax(scores[rows].to(dtype), dim=1, out=log_probs[:n])
        torch.neg(log_probs[:n, BACKGROUND], out=loss[rows])  # the cross-entropy against the background
        if check_finite:
            values = log_probs[:n].view(-1)
            sums.append(torch.dot(values, values))
    if sums and not bool(torch.isfinite(torch.stack(sums).sum())):
        check_finite_predictions(predicted_scores=predicted_scores)  # names the first NaN or inf
    return loss.reshape(B, P)


def confidence_loss(predicted_scores: Tensor, labels: Tensor) -> Tensor:
    """Softmax cross-entropy of every prior against its matched class.

    ``-log softmax(scores)[label] = logsumexp(scores) - scores[label]``, computed stably for
    logits of any size; a negative prior's label is the background, 0.

    Args:
        predicted_scores (Tensor[B, P, C]): class logits.
        labels (Tensor[B, P]): int64 matched class of every prior (``Match.labels``).

    Returns:
        Tensor[B, P]: the loss of each prior, float32 or float64 (no reduction).

    Example:
        >>> confidence_loss(torch.zeros(1, 2, 4), torch.tensor([[0, 3]]))  # uniform over 4: log 4
        tensor([[1.3863, 1.3863]])
    """
    check_tensor("predicted_scores", predicted_scores, ndim=3, floating=True, expected="of shape [B, P, C]")
    check_tensor("labels", labels, ndim=2, integer=True, expected="of shape [B, P]")
    if labels.shape != predicted_scores.shape[:2]:
        raise ValueError(
            f"labels must have shape [B, P] = {list(predicted_scores.shape[:2])} like predicted_scores; "
            f"got {shape_str(labels)}"
        )
    check_same_device(predicted_scores=predicted_scores, labels=labels)
    C = predicted_scores.shape[2]
    if labels.numel() and (labels.min() < 0 or labels.max() >= C):
        raise ValueError(f"labels must be classes in 0..{C - 1}; got values from {int(labels.min())} to {int(labels.max())}")
    return _confidence_loss(predicted_scores, labels.long())


def _hard_negatives(conf_loss: Tensor, positive: Tensor, num_positives: Tensor, neg_pos_ratio: float) -> Tensor:
    """The hard negatives of a batch, as places ``b * P + p`` in its ``[B, P]`` tensors.

    ``conf_loss`` ``[B, P]`` ranks the negatives; ``positive`` ``[N]`` holds the places of
    the positives, and ``num_positives`` ``[B]`` their number in each image.
    """
    B, P = conf_loss.shape
    if math.isinf(neg_pos_ratio):
        # every negative of an image with a positive (so N = 0 keeps none, as any finite ratio)
        negative = (num_positives > 0).unsqueeze(1).repeat(1, P)  # [B, P]
        negative.view(-1)[positive] = False
        return negative.view(-1).nonzero().squeeze(1)
    # the product in float64, floored exactly as floor(neg_pos_ratio * P_b) in Python
    num_kept = torch.minimum((num_positives.double() * neg_pos_ratio).floor().long(), P - num_positives)  # [B]
    # positives get -inf, below every negative (a loss of -inf, never a cross-entropy, ranks as
    # the lowest finite number), so that they are never kept; a NaN loss ranks first, as in a
    # sort (and makes the total NaN rather than being dropped)
    inf = float("inf")
    ranked_loss = conf_loss.detach().contiguous().nan_to_num(nan=inf, posinf=inf, neginf=torch.finfo(conf_loss.dtype).min)
    ranked_loss.view(-1)[positive] = -inf  # [B, P]
    k_max = int(num_kept.max()) if num_kept.numel() else 0
    if k_max == 0:
        return positive.new_zeros(0)
    # Speed: no full sort of the P losses, one top-k of the k_max + 1 largest. Image b keeps
    # its first num_kept ranks -- which is what a stable descending sort keeps, unless the
    # loss at the last kept rank equals the next one: then which of these equal losses are
    # kept depends on the order top-k left them in, and those images (rare, but every image
    # when losses repeat) take the exact route below
    width = min(k_max + 1, P)
    largest, order = ranked_loss.topk(width, dim=1)  # [B, width] each, descending
    cutoff = largest.gather(1, (num_kept - 1).clamp(min=0).unsqueeze(1))  # [B, 1], the last kept loss
    after = largest.gather(1, num_kept.clamp(max=width - 1).unsqueeze(1))  # [B, 1], the next one
    ambiguous = (num_kept > 0) & (num_kept < width) & (cutoff == after).squeeze(1)  # [B]
    keep_rank = (torch.arange(width, device=order.device) < num_kept.unsqueeze(1)) & ~ambiguous.unsqueeze(1)  # [B, width]
    image = torch.arange(B, device=order.device).unsqueeze(1)  # [B, 1]
    hard_negative = (image * P + order)[keep_rank]  # [H]
    if ambiguous.any():
        # exact: every loss above the cut-off, then, of the losses equal to it, the lowest
        # prior indices until num_kept are taken
        ambiguous = ambiguous.nonzero().squeeze(1)  # [A]
        ranked, cut = ranked_loss[ambiguous], cutoff[ambiguous]  # [A, P], [A, 1]
        above, tied = ranked > cut, ranked == cut  # [A, P] each
        places_left = num_kept[ambiguous].unsqueeze(1) - above.sum(dim=1, keepdim=True)  # [A, 1]
        exact_image, exact_prior = (above | (tied & (tied.cumsum(dim=1) <= places_left))).nonzero(as_tuple=True)
        hard_negative = torch.cat([hard_negative, ambiguous[exact_image] * P + exact_prior])
    return hard_negative


def plain_hard_negative_mask(conf_loss: Tensor, positive: Tensor, neg_pos_ratio: float = 3) -> Tensor:
    """The hard negatives of one image (the lesson code): a sort and a count.

    Keep ``min(floor(neg_pos_ratio * positives), negatives)`` negatives, those of highest
    loss; equal losses are kept by lower prior index. :func:`hard_negative_mask` does the
    same for a whole batch, checked.

    Args:
        conf_loss (Tensor[P]): confidence loss of every prior.
        positive (Tensor[P]): bool, True for the positive priors.
        neg_pos_ratio (float): negatives kept per positive, >= 0; ``math.inf`` keeps all.

    Returns:
        Tensor[P]: bool, True for the kept negatives.

    Example:
        >>> loss = torch.tensor([0.1, 5.0, 0.7, 0.3, 0.9, 0.2])
        >>> positive = torch.tensor([False, True, False, False, False, False])
        >>> plain_hard_negative_mask(loss, positive, 3)  # 0.9, 0.7 and 0.3
        tensor([False, False,  True,  True,  True, False])
    """
    num_positives, num_negatives = int(positive.sum()), int((~positive).sum())
    num_kept = int(min(neg_pos_ratio * num_positives, num_negatives)) if num_positives else 0
    ranked_loss = conf_loss.masked_fill(positive, float("-inf"))  # [P], positives rank last
    order = ranked_loss.argsort(descending=True, stable=True)  # [P], stable: ties by lower index
    hard_negative = torch.zeros_like(positive)  # [P]
    hard_negative[order[:num_kept]] = True
    return hard_negative


def hard_negative_mask(conf_loss: Tensor, positive: Tensor, neg_pos_ratio: float = 3) -> Tensor:
    """The hard negatives: per image, the negatives with the highest confidence loss.

    Image ``b`` keeps ``min(floor(neg_pos_ratio * P_b), negatives_b)`` negatives, where
    ``P_b`` is its number of positives; ties are broken by the lower prior index. A positive
    is never kept, even when ``neg_pos_ratio * P_b`` exceeds the number of negatives, and an
    image without a positive keeps no negative, even with ``neg_pos_ratio = math.inf``.

    Args:
        conf_loss (Tensor[B, P]): confidence loss of every prior (its gradient is not used).
        positive (Tensor[B, P]): bool, True for the positive priors.
        neg_pos_ratio (float): negatives kept per positive, >= 0; ``math.inf`` keeps all.

    Returns:
        Tensor[B, P]: bool, True for the kept negatives.

    Example:
        >>> loss = torch.tensor([[0.1, 5.0, 0.7, 0.3, 0.9, 0.2]])
        >>> positive = torch.tensor([[False, True, False, False, False, False]])
        >>> hard_negative_mask(loss, positive, neg_pos_ratio=3)  # 1 positive: 3 negatives, 0.9, 0.7, 0.3
        tensor([[False, False,  True,  True,  True, False]])
    """
    check_tensor("conf_loss", conf_loss, ndim=2, floating=True, expected="of shape [B, P]")
    check_tensor("positive", positive, ndim=2, expected="of shape [B, P]")
    if positive.dtype != torch.bool or positive.shape != conf_loss.shape:
        raise ValueError(
            f"positive must be a bool tensor shaped like conf_loss {shape_str(conf_loss)}; "
            f"got {positive.dtype} of shape {shape_str(positive)}"
        )
    check_same_device(conf_loss=conf_loss, positive=positive)
    hard_negative = _hard_negatives(
        conf_loss, positive.reshape(-1).nonzero().flatten(), positive.sum(dim=1), check_neg_pos_ratio(neg_pos_ratio)
    )
    mask = torch.zeros(positive.shape, dtype=torch.bool, device=positive.device)  # [B, P]
    mask.view(-1)[hard_negative] = True
    return mask


def _positives_over_ranks(num_positives: Tensor) -> tuple[Tensor, int]:
    """``N`` summed over the ranks of the default process group, and the number of ranks."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        raise RuntimeError(
            "distributed=True sums N over the ranks of the default process group, but none is "
            "initialised: call torch.distributed.init_process_group first (torchrun prepares it), "
            "or pass distributed=False"
        )
    num_positives = num_positives.detach().clone()
    torch.distributed.all_reduce(num_positives)  # sum over the ranks (an integer: no gradient)
    return num_positives, torch.distributed.get_world_size()


def plain_multibox_loss(
    predicted_locs: Tensor,
    predicted_scores: Tensor,
    boxes: Sequence[Tensor],
    labels: Sequence[Tensor],
    priors_cxcy: Tensor,
    threshold: float = 0.5,
    neg_pos_ratio: float = 3,
    alpha: float = 1.0,
    variances: tuple[float, float] = (0.1, 0.2),
) -> LossParts:
    """The MultiBox loss, one image at a time (the lesson code of notebook 07).

    :func:`multibox_loss` computes the same, checked and batched (and is what to train with).

    Args:
        predicted_locs (Tensor[B, P, 4]): predicted offsets.
        predicted_scores (Tensor[B, P, C]): class logits; class 0 is background.
        boxes (list[Tensor[G_b, 4]]): GT boxes of each image, fractional xyxy.
        labels (list[Tensor[G_b]]): GT class labels of each image, 1..C-1.
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).
        threshold, neg_pos_ratio, alpha, variances: as :func:`multibox_loss`.

    Returns:
        LossParts: ``total``, ``loc``, ``conf`` and ``num_positives``.

    Example:
        >>> priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
        >>> parts = plain_multibox_loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 3),
        ...                             [torch.tensor([[0.0, 0.0, 0.5, 1.0]])], [torch.tensor([2])], priors_cxcy)
        >>> round(parts.conf.item(), 4)  # (log 3 + log 3) / 1
        2.1972
    """
    loc_sum, conf_sum, num_positives = 0.0, 0.0, 0
    for b in range(len(boxes)):  # one image at a time
        # 1. match every prior to a GT or to the background
        gt_index, _, _ = plain_assign(box_iou(boxes[b], cxcywh_to_xyxy(priors_cxcy)), threshold)  # [P]
        positive = gt_index >= 0  # [P]
        prior_labels = torch.full_like(gt_index, BACKGROUND)  # [P]
        prior_labels[positive] = labels[b][gt_index[positive]]
        # 2. location loss of the positives: smooth L1 to their encoded GT
        loc_targets = _encode(boxes[b][gt_index[positive]], priors_cxcy[positive], variances)  # [P_b, 4]
        loc_sum = loc_sum + smooth_l1(predicted_locs[b][positive] - loc_targets).sum()
        # 3. confidence loss of every prior against its matched class
        conf_per_prior = F.cross_entropy(predicted_scores[b], prior_labels, reduction="none")  # [P]
        # 4. hard negative mining: the positives and the hardest negatives
        hard_negative = plain_hard_negative_mask(conf_per_prior.detach(), positive, neg_pos_ratio)  # [P]
        conf_sum = conf_sum + conf_per_prior[positive | hard_negative].sum()
        num_positives += int(positive.sum())
    n = max(num_positives, 1)  # N = 0: both sums are empty, and the loss is 0
    loc, conf = loc_sum / n, conf_sum / n
    return LossParts(total=conf + alpha * loc, loc=loc, conf=conf, num_positives=torch.tensor(num_positives))


def multibox_loss(
    predicted_locs: Tensor,
    predicted_scores: Tensor,
    boxes: Sequence[Tensor],
    labels: Sequence[Tensor],
    priors_cxcy: Tensor,
    *,
    threshold: float = 0.5,
    neg_pos_ratio: float = 3,
    alpha: float = 1.0,
    variances: Sequence[float] = (0.1, 0.2),
    unique: bool = True,
    distributed: bool = False,
    check_finite: bool = True,
) -> LossParts:
    """The MultiBox loss of a batch, with its parts.

    The four steps of the computation, for the whole batch at once:

    1. match every prior to a GT or to the background (:mod:`ssd_course.matching`);
    2. location loss: smooth L1 between the predicted offsets and the encoded GT of each
       positive -- negatives have no box to regress to;
    3. confidence loss: softmax cross-entropy of every prior against its matched class;
    4. hard negative mining: keep the positives and, per image, the negatives with the
       highest confidence loss; sum, and divide both sums by ``N``.

    Args:
        predicted_locs (Tensor[B, P, 4]): predicted offsets.
        predicted_scores (Tensor[B, P, C]): class logits; class 0 is background.
        boxes (list[Tensor[G_b, 4]]): GT boxes of each image, fractional xyxy; ``G_b`` may be 0.
        labels (list[Tensor[G_b]]): GT class labels of each image, integers 1..C-1.
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).
        threshold (float): matching threshold of principle 2, in (0, 1].
        neg_pos_ratio (float): negatives kept per positive, >= 0; ``math.inf`` keeps all.
        alpha (float): weight of the location loss, >= 0.
        variances (tuple[float, float]): offset divisors (see :func:`ssd_course.encoding.encode`).
        unique (bool): distinct best priors for principle 1 (see :func:`ssd_course.matching.principle1`).
        distributed (bool): this batch is one rank's shard of a batch split over the ranks of
            the default process group (DistributedDataParallel): ``N`` is then the positives of
            all ranks, and each part is this rank's sum divided by that ``N`` and multiplied by
            the world size ``W``. The mean over the ranks of each part is the part of the whole
            batch, and DDP's average of the gradients is the gradient of the whole batch's
            loss; dividing by each rank's own ``N`` gives neither (see notebook 08).

    This is the checked, batched form of :func:`plain_multibox_loss` (the lesson code); the
    tests check that both give the same loss and gradients. Numeric parameters are Python
    numbers or 0-dim tensors (a bool is rejected). The GT boxes and the priors are targets:
    no gradient flows into them, even when they require one.

    Returns:
        LossParts: ``total``, ``loc``, ``conf`` and ``num_positives``. When ``N = 0`` the three
        losses are exactly 0 and ``total.backward()`` gives zero gradients. With
        ``distributed=True``, ``num_positives`` is ``N`` of all ranks.

    Raises:
        ValueError: for inconsistent shapes, tensors on different devices (checked before
            any value), bad GT boxes or labels (naming image and box), out-of-range
            parameters, or, with ``check_finite``, a NaN or inf prediction (naming the tensor,
            the image and the prior).
        RuntimeError: with ``distributed=True`` when no process group is initialised.

    Example:
        >>> priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
        >>> locs, scores = torch.zeros(1, 2, 4), torch.zeros(1, 2, 3)  # C = 3: log(3) per prior
        >>> parts = multibox_loss(locs, scores, [torch.tensor([[0.0, 0.0, 0.5, 1.0]])],
        ...                       [torch.tensor([2])], priors_cxcy)
        >>> parts.num_positives, round(parts.conf.item(), 4)  # (log 3 + log 3) / 1
        (tensor(1), 2.1972)
    """
    # 0. check everything once, up front: shapes, then devices, then values (the scores' NaN
    # and inf in step 3)
    check_tensor("predicted_locs", predicted_locs, ndim=3, last_dim=4, floating=True, expected="of shape [B, P, 4]")
    check_tensor("predicted_scores", predicted_scores, ndim=3, floating=True, expected="of shape [B, P, C]")
    check_tensor("priors_cxcy", priors_cxcy, ndim=2, last_dim=4, floating=True, expected="of shape [P, 4] (cx, cy, w, h)")
    B, P, C = predicted_scores.shape
    if predicted_locs.shape[:2] != predicted_scores.shape[:2] or P != priors_cxcy.shape[0]:
        raise ValueError(
            f"predicted_locs [B, P, 4] and predicted_scores [B, P, C] must agree on B and on P = "
            f"{priors_cxcy.shape[0]} (the number of priors); got {shape_str(predicted_locs)} and "
            f"{shape_str(predicted_scores)}"
        )
    if C < 2:
        raise ValueError(f"predicted_scores must have C >= 2 classes (background and one object class); got C = {C}")
    check_same_device(predicted_locs=predicted_locs, predicted_scores=predicted_scores, priors_cxcy=priors_cxcy)
    threshold = check_threshold(threshold)
    neg_pos_ratio = check_neg_pos_ratio(neg_pos_ratio)
    alpha = check_alpha(alpha)
    variances = check_variances(variances)
    all_boxes, all_labels, counts = check_gt_lists(
        boxes, labels, batch_size=B, num_classes=C, device=predicted_locs.device
    )
    priors_cxcy = check_priors(priors_cxcy)
    if check_finite:  # the scores are checked in step 3, which reads them anyway
        check_finite_predictions(predicted_locs=predicted_locs)
    # half-precision predictions (autocast) are upcast: log-softmax and log sizes need float32
    dtype = torch.promote_types(predicted_locs.dtype, torch.float32)

    # 1. match priors and GT boxes, all images at once. The positives come as places b * P + p
    # in the [B, P] tensors, each with the row of its GT box in gt_boxes
    # the GT boxes and priors are targets: detached, so that no gradient flows into them
    gt_boxes = all_boxes.detach().to(dtype)  # [S, 4], the GT boxes of every image, one after another
    priors_cxcy = priors_cxcy.detach().to(dtype)
    _, positives = _match_rows(gt_boxes, counts, priors_cxcy, threshold, unique)
    positive, gt_row = positives.place, positives.row  # [N] each
    positives_per_image = torch.bincount(positive // P, minlength=B)  # [B]
    num_positives = positives_per_image.sum()

    # 2. location loss of the positives, computed for these N priors alone: negatives have
    # no box to regress to
    loc_targets = _encode(gt_boxes[gt_row], priors_cxcy[positive % P], variances)  # [N, 4]
    positive_locs = predicted_locs.reshape(B * P, 4).index_select(0, positive)  # [N, 4], row b * P + p of each
    loc_sum = smooth_l1(positive_locs.to(dtype) - loc_targets).sum()

    # 3. confidence loss of every prior as a negative (background), the loss mining ranks by.
    # Speed: without gradient, as it only ranks the negatives (see step 4), and a slice of
    # priors at a time (see _ranking_loss), which also checks the scores for NaN and inf
    background_loss = _ranking_loss(predicted_scores, dtype, check_finite)  # [B, P]

    # 4. hard negative mining: positives plus the hardest negatives of each image; their loss
    # is computed again, with its gradient, for these kept priors alone (about 4N of B * P),
    # so that the backward pass of the softmax does not run over every prior. Their scores
    # are picked by index_select of the [B * P, C] rows: its backward pass is cheaper than
    # that of a lookup by (image, prior)
    hard_negative = _hard_negatives(background_loss, positive, positives_per_image, neg_pos_ratio)  # [H]
    kept = torch.cat([positive, hard_negative])  # [K], places b * P + p
    kept_labels = torch.cat([all_labels[gt_row], torch.full_like(hard_negative, BACKGROUND)])  # [K]
    kept_scores = predicted_scores.reshape(B * P, C).index_select(0, kept).to(dtype)  # [K, C]
    conf_sum = _confidence_loss(kept_scores.unsqueeze(0), kept_labels.unsqueeze(0)).sum()

    # N = 0 means both sums are over empty sets: dividing by max(N, 1) gives exactly 0
    n = num_positives.clamp(min=1).to(dtype)
    if distributed:  # N of all ranks over W: each rank's part is W x its sum / N, as DDP averages gradients
        num_positives, world_size = _positives_over_ranks(num_positives)
        n = num_positives.clamp(min=1).to(dtype) / world_size
    loc, conf = loc_sum / n, conf_sum / n
    return LossParts(total=conf + alpha * loc, loc=loc, conf=conf, num_positives=num_positives)


class MultiBoxLoss(nn.Module):
    """The MultiBox loss as a module, called like the study guide's ``MultiBoxLoss``.

    The priors are a buffer: ``MultiBoxLoss(priors_cxcy).to(device)`` moves them.

    Args:
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).
        threshold (float): matching threshold of principle 2, in (0, 1].
        neg_pos_ratio (float): negatives kept per positive, >= 0; ``math.inf`` keeps all.
        alpha (float): weight of the location loss, >= 0.
        variances (tuple[float, float]): offset divisors.
        unique (bool): distinct best priors for principle 1.
        distributed (bool): ``N`` summed over the ranks of the default process group, for
            DistributedDataParallel (see :func:`multibox_loss`).
        check_finite (bool): raise on a NaN or inf prediction (see :func:`multibox_loss`).

    Example:
        >>> from ssd_course.priors import tiny_detector_priors
        >>> criterion = MultiBoxLoss(tiny_detector_priors())
        >>> locs, scores = torch.zeros(2, 441, 4), torch.zeros(2, 441, 5)
        >>> boxes = [torch.tensor([[0.1, 0.1, 0.5, 0.6]]), torch.tensor([[0.3, 0.2, 0.9, 0.8]])]
        >>> loss = criterion(locs, scores, boxes, [torch.tensor([1]), torch.tensor([4])])
        >>> loss.shape
        torch.Size([])
    """

    priors_cxcy: Tensor

    def __init__(
        self,
        priors_cxcy: Tensor,
        threshold: float = 0.5,
        neg_pos_ratio: float = 3,
        alpha: float = 1.0,
        variances: Sequence[float] = (0.1, 0.2),
        unique: bool = True,
        distributed: bool = False,
        check_finite: bool = True,
    ) -> None:
        super().__init__()
        self.register_buffer("priors_cxcy", check_priors(priors_cxcy).detach().clone(), persistent=False)
        self.threshold = check_threshold(threshold)
        self.neg_pos_ratio = check_neg_pos_ratio(neg_pos_ratio)
        self.alpha = check_alpha(alpha)
        self.variances = check_variances(variances)
        self.unique = bool(unique)
        self.distributed = bool(distributed)
        self.check_finite = bool(check_finite)

    def parts(
        self, predicted_locs: Tensor, predicted_scores: Tensor, boxes: Sequence[Tensor], labels: Sequence[Tensor]
    ) -> LossParts:
        """The loss and its parts (see :func:`multibox_loss`)."""
        return multibox_loss(
            predicted_locs, predicted_scores, boxes, labels, self.priors_cxcy,
            threshold=self.threshold, neg_pos_ratio=self.neg_pos_ratio, alpha=self.alpha,
            variances=self.variances, unique=self.unique, distributed=self.distributed,
            check_finite=self.check_finite,
        )

    def forward(
        self, predicted_locs: Tensor, predicted_scores: Tensor, boxes: Sequence[Tensor], labels: Sequence[Tensor]
    ) -> Tensor:
        """The scalar total loss.

        Args:
            predicted_locs (Tensor[B, P, 4]): predicted offsets.
            predicted_scores (Tensor[B, P, C]): class logits.
            boxes (list[Tensor[G_b, 4]]): GT boxes of each image, fractional xyxy.
            labels (list[Tensor[G_b]]): GT class labels of each image, 1..C-1.

        Returns:
            Tensor[]: ``(L_conf + alpha * L_loc) / N``.
        """
        return self.parts(predicted_locs, predicted_scores, boxes, labels).total

    def extra_repr(self) -> str:
        return (
            f"num_priors={self.priors_cxcy.shape[0]}, threshold={self.threshold}, "
            f"neg_pos_ratio={self.neg_pos_ratio}, alpha={self.alpha}, variances={self.variances}, "
            f"unique={self.unique}" + (", distributed=True" if self.distributed else "")
            + ("" if self.check_finite else ", check_finite=False")
        )
