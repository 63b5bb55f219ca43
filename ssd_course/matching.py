"""Matching GT boxes (真实框) to prior boxes (先验框) (notebook 03).

Before a loss can be computed, every prior must be told what it should predict: one GT box
(the prior is a *positive* sample, 正样本) or the background (a *negative* sample, 负样本).
SSD (Liu et al. 2016, section 2.2) matches with two principles:

1. **Principle 1** -- from each GT, its best prior: the prior with the highest IoU with that
   GT is matched to it, whatever the IoU, so that every GT is learned by at least one prior.
   Two GTs may have the same best prior; with ``unique=True`` we match greedily -- repeatedly
   the highest-IoU pair among the still-free GTs and still-free priors -- so every GT gets
   a distinct prior. ``unique=False`` is the classic indexed assignment, where the GT with
   the higher index silently takes the shared prior and the other may end up with none.
2. **Principle 2** -- from each remaining prior, its best GT: the prior is matched to the GT
   with which it has the highest IoU, if that IoU is >= ``threshold`` (usually 0.5).

Principle 1 always wins: a prior forced onto a GT by principle 1 keeps that GT even when
its IoU with another GT is higher and above the threshold.

**Ties.** IoUs within :data:`TIE_TOLERANCE` (2**-18) of the largest are ties, and a tie goes
to the lowest index: the prior a GT gets, the GT served first by the greedy principle 1, and
the GT a prior takes in principle 2. An IoU reaches the threshold when it is
``>= threshold - TIE_TOLERANCE``. So the match does not depend on float rounding: float32
and float64, CPU and GPU give the same match (a GT centred on two mirror-image priors gets
the lower-numbered one everywhere).

Two readings of the same rules. The ``plain_*`` functions are the lesson code shown in
notebook 03: one image, an IoU matrix ``[G, P]``, no checks. The public functions
(:func:`principle1`, :func:`principle2`, :func:`assign`, :func:`match_priors_batch`) are the
ones the loss runs: validated, and batched over a padded batch (``[B, G_max, P]`` IoU with a
mask of the real GT slots), with no loop over images or priors; the greedy principle 1 loops
over the ``G_max`` GT slots only, and only for images where two GTs compete for a prior. The
tests check that both readings give the same match on random inputs, ties included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from ssd_course._validate import (
    check_empty_image,
    check_gt_boxes,
    check_gt_labels,
    check_gt_lists,
    check_priors,
    check_same_device,
    check_tensor,
    check_threshold,
)
from ssd_course.boxes import _iou_of_boxes_with_area, box_iou, cxcywh_to_xyxy

__all__ = [
    "BACKGROUND",
    "TIE_TOLERANCE",
    "UNMATCHED",
    "Match",
    "assign",
    "count_matches",
    "first_argmax",
    "gt_prior_iou",
    "match_priors",
    "match_priors_batch",
    "pad_ground_truth",
    "plain_assign",
    "plain_principle1",
    "plain_principle2",
    "principle1",
    "principle2",
]

BACKGROUND = 0
UNMATCHED = -1
#: IoUs closer than this to the largest one are ties (broken by the lowest index). The same
#: overlap computed in float32 and float64, or on two devices, differs by a few units of
#: float32's last place (about 1e-7); 2**-18 (about 3.8e-6) is well above that rounding and
#: well below any difference of IoU that matters for matching.
TIE_TOLERANCE = 2.0**-18


def first_argmax(values: Tensor, dim: int = -1) -> Tensor:
    """The index of the largest value along ``dim``; ties (within ``TIE_TOLERANCE``) go to the lowest index.

    Args:
        values (Tensor[...]): e.g. IoUs, with at least one element along ``dim``.
        dim (int): the dimension to reduce.

    Returns:
        Tensor[...]: int64 indices, ``values`` without ``dim``.

    Example:
        >>> first_argmax(torch.tensor([0.2, 0.5, 0.5 + 1e-7, 0.1]))  # 0.5 and 0.5000001 tie: index 1
        tensor(1)
    """
    near_max = values >= values.amax(dim=dim, keepdim=True) - TIE_TOLERANCE
    return near_max.to(torch.uint8).argmax(dim=dim)  # argmax returns the first of equal maxima


class Match(NamedTuple):
    """What each prior should predict, as decided by the two matching principles.

    Shapes are ``[P]`` for one image (:func:`match_priors`) and ``[B, P]`` for a batch
    (:func:`match_priors_batch`).

    Attributes:
        labels (Tensor[..., P]): int64 class of the matched GT; ``BACKGROUND`` (0) if none.
        gt_index (Tensor[..., P]): int64 index of the matched GT in its image; ``UNMATCHED`` (-1) if none.
        iou (Tensor[..., P]): IoU with the matched GT for a principle-1 match; otherwise the
            prior's largest IoU over the GTs, which for a principle-2 match is that of its GT
            (or of a GT tied with it within ``TIE_TOLERANCE``); 0 in an image without GT.
        principle (Tensor[..., P]): int64 1 or 2, the principle that made the match; 0 if unmatched.
    """

    labels: Tensor
    gt_index: Tensor
    iou: Tensor
    principle: Tensor


def plain_principle1(iou: Tensor) -> Tensor:
    """Principle 1 for one image, greedily: each GT's forced prior, all distinct.

    Repeatedly serve the GT with the highest IoU among the priors not taken yet, and give it
    that best prior. Ties go to the lowest index (:func:`first_argmax`).

    Args:
        iou (Tensor[G, P]): IoU of GTs with priors.

    Returns:
        Tensor[G]: int64 prior index per GT (``UNMATCHED`` for GTs left over when G > P).

    Example:
        >>> plain_principle1(torch.tensor([[0.9, 0.5, 0.0], [0.8, 0.7, 0.0]]))  # GT 0 first (0.9)
        tensor([0, 1])
    """
    G, P = iou.shape
    forced = torch.full((G,), UNMATCHED, dtype=torch.long, device=iou.device)  # [G]
    iou = iou.clone()  # taken GTs and priors are set to -inf in this copy
    for _ in range(min(G, P)):
        best_iou = iou.amax(dim=1)  # [G], each GT's best IoU among the free priors
        gt = first_argmax(best_iou, dim=0)  # the GT served now: the highest best IoU
        prior = first_argmax(iou[gt], dim=0)  # its best free prior
        forced[gt] = prior
        iou[gt, :] = float("-inf")  # this GT is served
        iou[:, prior] = float("-inf")  # and this prior is taken
    return forced


def plain_principle2(iou: Tensor, threshold: float = 0.5) -> tuple[Tensor, Tensor]:
    """Principle 2 for one image: every prior takes its best GT if their IoU reaches ``threshold``.

    Args:
        iou (Tensor[G, P]): IoU of GTs with priors.
        threshold (float): minimum IoU.

    Returns:
        (Tensor[P], Tensor[P]): each prior's best GT (``UNMATCHED`` below the threshold) and
        that IoU (0 without GT).

    Example:
        >>> plain_principle2(torch.tensor([[0.6, 0.3, 0.0], [0.7, 0.1, 0.55]]), 0.5)
        (tensor([ 1, -1,  1]), tensor([0.7000, 0.3000, 0.5500]))
    """
    G, P = iou.shape
    if G == 0:  # no GT: every prior is background
        return torch.full((P,), UNMATCHED, device=iou.device), iou.new_zeros(P)
    best_gt = first_argmax(iou, dim=0)  # [P], ties: the lowest GT index
    best_iou = iou.amax(dim=0)  # [P]
    reached = best_iou >= threshold - TIE_TOLERANCE  # [P]
    return torch.where(reached, best_gt, UNMATCHED), best_iou


def plain_assign(iou: Tensor, threshold: float = 0.5) -> tuple[Tensor, Tensor, Tensor]:
    """Both principles for one image: principle 2 first, then principle 1 written over it.

    Args:
        iou (Tensor[G, P]): IoU of GTs with priors.
        threshold (float): principle 2's minimum IoU.

    Returns:
        (Tensor[P], Tensor[P], Tensor[P]): ``gt_index`` (``UNMATCHED`` if none),
        ``principle`` (1, 2, or 0 if unmatched) and the IoU: with its GT for principle 1,
        else the prior's largest IoU.

    Example:
        >>> plain_assign(torch.tensor([[0.40, 0.55, 0.0], [0.10, 0.80, 0.0]]), 0.5)[:2]
        (tensor([ 0,  1, -1]), tensor([1, 1, 0]))
    """
    gt_index, matched_iou = plain_principle2(iou, threshold)  # [P], [P]
    principle = torch.where(gt_index >= 0, 2, 0)  # [P]
    for gt, prior in enumerate(plain_principle1(iou).tolist()):  # written last: principle 1 wins
        if prior != UNMATCHED:
            gt_index[prior], principle[prior], matched_iou[prior] = gt, 1, iou[gt, prior]
    return gt_index, principle, matched_iou


def gt_prior_iou(gt_boxes: Tensor, priors_cxcy: Tensor) -> Tensor:
    """IoU of every GT box with every prior.

    Args:
        gt_boxes (Tensor[..., G, 4]): GT boxes as (x1, y1, x2, y2).
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).

    Returns:
        Tensor[..., G, P]: the IoU matrix.

    Example:
        >>> gt_prior_iou(torch.tensor([[0.0, 0.0, 0.5, 0.5]]), torch.tensor([[0.25, 0.25, 0.5, 0.5]]))
        tensor([[1.]])
    """
    check_tensor("priors_cxcy", priors_cxcy, ndim=2, last_dim=4, floating=True, expected="of shape [P, 4]")
    return box_iou(gt_boxes, cxcywh_to_xyxy(priors_cxcy))


def _gt_valid(iou: Tensor, gt_valid: Tensor | None) -> Tensor:
    check_tensor("iou", iou, floating=True, expected="of shape [..., G, P]")
    if iou.dim() < 2:
        raise ValueError(f"iou must have shape [..., G, P]; got shape {list(iou.shape)}")
    if gt_valid is None:
        return torch.ones(iou.shape[:-1], dtype=torch.bool, device=iou.device)
    if gt_valid.dtype != torch.bool or gt_valid.shape != iou.shape[:-1]:
        raise ValueError(
            f"gt_valid must be a bool tensor of shape {list(iou.shape[:-1])} (iou without its last "
            f"dimension); got {gt_valid.dtype} of shape {list(gt_valid.shape)}"
        )
    return gt_valid


def principle1(iou: Tensor, unique: bool = True, gt_valid: Tensor | None = None) -> Tensor:
    """Principle 1: the prior each GT is forced onto, its best prior.

    With ``unique=True`` the GTs get distinct priors, as :func:`plain_principle1` (the lesson
    code) does for one image: repeatedly serve the GT with the highest IoU among the priors
    not taken yet and give it that prior. When no two GTs share a best prior, this is exactly
    each GT's argmax. With ``unique=False`` each GT simply takes its argmax, and several GTs
    may name the same prior (see :func:`assign` for who wins). Ties within ``TIE_TOLERANCE``
    go to the lowest index (:func:`first_argmax`), for the prior and for the GT served first.

    Args:
        iou (Tensor[..., G, P]): IoU of GTs with priors.
        unique (bool): give every GT a distinct prior (greedy) or its plain argmax.
        gt_valid (Tensor[..., G] | None): bool mask of the real GT slots of a padded batch.

    Returns:
        Tensor[..., G]: int64 prior index per GT; ``UNMATCHED`` for padding slots (and, with
        ``unique=True``, for GTs left over when there are more GTs than priors).

    Example:
        >>> iou = torch.tensor([[0.9, 0.5, 0.0],
        ...                     [0.8, 0.7, 0.0]])  # both GTs prefer prior 0
        >>> principle1(iou, unique=False)
        tensor([0, 0])
        >>> principle1(iou)  # greedy: GT 0 takes prior 0 (0.9), then GT 1 takes prior 1 (0.7)
        tensor([0, 1])
    """
    gt_valid = _gt_valid(iou, gt_valid)
    *lead, G, P = iou.shape
    if G == 0 or P == 0:  # nothing to force (and the rows of [..., 0, P] cannot be reshaped)
        return torch.full((*lead, G), UNMATCHED, dtype=torch.long, device=iou.device)
    rows = _Rows.of(iou, gt_valid)
    forced = torch.full((rows.table.shape[0], G), UNMATCHED, dtype=torch.long, device=iou.device)  # [B, G]
    forced[rows.table >= 0] = _principle1_rows(rows, unique)
    return forced.reshape(*lead, G)


class _Rows(NamedTuple):
    """The IoU of the real GTs of a padded batch as rows ``[S, P]`` (image by image, in slot
    order), without the padding: the fast functions work on these."""

    iou: Tensor  # [S, P]
    image: Tensor  # [S], the image of each row
    slot: Tensor  # [S], the GT index of each row in its image
    table: Tensor  # [B, G], the row of each GT slot, -1 for padding

    @staticmethod
    def of(iou: Tensor, valid: Tensor) -> _Rows:
        """The rows of ``[..., G, P]`` IoU with its ``[..., G]`` mask (``G >= 1``), the leading
        dimensions flattened into the batch ``B``."""
        valid = valid.reshape(-1, valid.shape[-1])  # [B, G]
        return _Rows.from_real(iou.reshape(*valid.shape, iou.shape[-1])[valid], valid)

    @staticmethod
    def from_real(real_iou: Tensor, valid: Tensor) -> _Rows:
        """Rows from the IoU of the real GTs ``[S, P]``, already in the row-major order of ``valid``."""
        image, slot = valid.nonzero(as_tuple=True)  # [S] each
        table = torch.full(valid.shape, -1, dtype=torch.long, device=valid.device)  # [B, G]
        table[image, slot] = torch.arange(image.numel(), device=valid.device)
        return _Rows(real_iou, image, slot, table)


def _principle1_rows(rows: _Rows, unique: bool) -> Tensor:
    """:func:`principle1` on the rows, unchecked: the forced prior of each row, ``[S]``."""
    iou, image = rows.iou, rows.image
    S, P = iou.shape
    # each GT's near-best priors (within TIE_TOLERANCE of its best IoU) as (row, prior) pairs,
    # and its best prior: the lowest of them (first_argmax)
    row_max, row, prior = _near_best(iou)  # [S], [R], [R]
    best = torch.zeros(S, dtype=torch.long, device=iou.device).scatter_reduce_(0, row, prior, "amin", include_self=False)
    if not unique:
        return best
    # Speed: when no prior is among the near-best priors of two GTs of the same image --
    # almost always -- the greedy assignment gives every GT its own best prior: taking it
    # changes no other GT's best. Only the other images, and those with a row whose best is
    # -inf or NaN (never an IoU), run the greedy loop.
    claims = (image[row] * P + prior).sort().values  # [R], one per (image, prior) a GT claims
    contested = torch.zeros(rows.table.shape[0], dtype=torch.bool, device=iou.device)  # [B]
    contested[claims[1:][claims[1:] == claims[:-1]] // P] = True  # a prior claimed twice in an image
    contested[image[~(row_max > float("-inf"))]] = True
    if contested.any():
        table = rows.table[contested]  # [B_c, G]
        greedy = _greedy_best_priors(iou[table.clamp(min=0)], table >= 0)  # [B_c, G]
        best[table[table >= 0]] = greedy[table >= 0]
    return best


def _near_best(iou: Tensor, block: int = 128) -> tuple[Tensor, Tensor, Tensor]:
    """The near-best columns of every row of ``[S, P]``: those within ``TIE_TOLERANCE`` of its maximum.

    Speed: a search by blocks of ``block`` columns, instead of comparing and searching all
    ``S * P`` values. One reduction gives each block's maximum, and so each row's; only the
    blocks whose maximum is near the row's can hold a near-best column, and only those are
    searched.

    Returns:
        (Tensor[S], Tensor[R], Tensor[R]): each row's maximum, and the near-best
        ``(row, column)`` pairs, row by row with the columns in increasing order (none for
        a row whose maximum is NaN).
    """
    S, P = iou.shape
    n = P // block
    maxima = [iou[:, : n * block].unflatten(1, (n, block)).amax(dim=2)] if n else []  # [S, n]
    if P % block:
        maxima.append(iou[:, n * block :].amax(dim=1, keepdim=True))  # [S, 1], the last, shorter block
    block_max = torch.cat(maxima, dim=1)  # [S, ceil(P / block)]
    row_max = block_max.amax(dim=1)  # [S]
    floor = row_max.unsqueeze(1) - TIE_TOLERANCE  # [S, 1]
    row, searched = (block_max >= floor).nonzero(as_tuple=True)  # [Q] each, the blocks to search
    columns = (searched * block).unsqueeze(1) + torch.arange(block, device=iou.device)  # [Q, block]
    near = (iou[row.unsqueeze(1), columns.clamp(max=P - 1)] >= floor[row]) & (columns < P)  # [Q, block]
    block_index, offset = near.nonzero(as_tuple=True)  # [R] each
    return row_max, row[block_index], columns[block_index, offset]


def _greedy_best_priors(iou: Tensor, valid: Tensor) -> Tensor:
    """Principle 1 with distinct priors, batched: :func:`plain_principle1` for every image at once.

    Args:
        iou (Tensor[B, G, P]): IoU of GTs with priors, ``G >= 1``, ``P >= 1``.
        valid (Tensor[B, G]): bool mask of the real GT slots.

    Returns:
        Tensor[B, G]: int64 prior index per GT, ``UNMATCHED`` for padding and left-over GTs.
    """
    B, G, P = iou.shape
    # padding slots and taken GTs/priors are set to -inf so that they are never picked again
    work = iou.masked_fill(~valid.unsqueeze(-1), float("-inf"))  # [B, G, P]
    forced = torch.full((B, G), UNMATCHED, dtype=torch.long, device=iou.device)  # [B, G]
    images = torch.arange(B, device=iou.device)  # [B]
    for _ in range(min(G, P)):  # every step matches one GT in every image that has one left
        best_iou = work.amax(dim=2)  # [B, G]
        gt = first_argmax(best_iou, dim=1)  # [B], the GT served now
        prior = first_argmax(work[images, gt], dim=1)  # [B], its best free prior
        active = best_iou.amax(dim=1) > float("-inf")  # [B], False once an image has no free GT left
        forced[images, gt] = torch.where(active, prior, forced[images, gt])
        work[images, gt, :] = float("-inf")
        work[images, :, prior] = float("-inf")
    return forced


def principle2(iou: Tensor, threshold: float = 0.5, gt_valid: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Principle 2: every prior takes its best GT if their IoU is >= ``threshold``.

    Batched :func:`plain_principle2`. The best GT is the lowest index among those within
    ``TIE_TOLERANCE`` of the largest IoU, and an IoU reaches the threshold when it is
    ``>= threshold - TIE_TOLERANCE``.

    Args:
        iou (Tensor[..., G, P]): IoU of GTs with priors.
        threshold (float): minimum IoU, in (0, 1].
        gt_valid (Tensor[..., G] | None): bool mask of the real GT slots of a padded batch.

    Returns:
        (Tensor[..., P], Tensor[..., P]): the int64 index of each prior's best GT, or
        ``UNMATCHED`` when its IoU is below the threshold; and that best IoU (0 without GT).

    Example:
        >>> iou = torch.tensor([[0.6, 0.3, 0.0],
        ...                     [0.7, 0.1, 0.55]])
        >>> principle2(iou, 0.5)
        (tensor([ 1, -1,  1]), tensor([0.7000, 0.3000, 0.5500]))
    """
    threshold = check_threshold(threshold)
    gt_valid = _gt_valid(iou, gt_valid)
    *lead, G, P = iou.shape
    if G == 0:
        return (
            torch.full((*lead, P), UNMATCHED, dtype=torch.long, device=iou.device),
            iou.new_zeros((*lead, P)),
        )
    rows = _Rows.of(iou, gt_valid)
    place, row, best_iou = _principle2_rows(rows, threshold)  # [K], [K], [B, P]
    gt_index = _gt_index_at(best_iou.shape, place, rows.slot[row])  # [B, P]
    return gt_index.reshape(*lead, P), best_iou.clamp(min=0).reshape(*lead, P)


def _principle2_rows(rows: _Rows, threshold: float) -> tuple[Tensor, Tensor, Tensor]:
    """:func:`principle2` on the rows, unchecked and sparse: the matched priors as places
    ``b * P + p`` in increasing order ``[K]``, the row of the GT each takes ``[K]``, and every
    prior's best IoU ``[B, P]`` (-inf without GT)."""
    iou, image, table = rows.iou, rows.image, rows.table
    S, P = iou.shape
    # Speed: the best IoU of each prior over the GTs of its image, by one scatter of the rows
    # (no padded [B, G, P] tensor to fill)
    best_iou = iou.new_full((table.shape[0], P), float("-inf"))  # [B, P]
    best_iou.scatter_reduce_(0, image.unsqueeze(1).expand(S, P), iou, reduce="amax")
    # which GT: the lowest index within the tolerance (first_argmax), found for the matched
    # priors only, a few percent of them, from their column of IoUs
    matched_image, matched_prior = (best_iou >= threshold - TIE_TOLERANCE).nonzero(as_tuple=True)  # [K] each
    candidates = table[matched_image]  # [K, G], rows of the GTs of each prior's image
    column = iou[candidates.clamp(min=0), matched_prior.unsqueeze(1)].masked_fill(candidates < 0, float("-inf"))
    row = candidates.gather(1, first_argmax(column, dim=1).unsqueeze(1)).squeeze(1)  # [K]
    return matched_image * P + matched_prior, row, best_iou


def _gt_index_at(shape: torch.Size, place: Tensor, slot: Tensor) -> Tensor:
    """A ``gt_index`` tensor of ``shape`` ``[B, P]``: ``slot`` at the places ``b * P + p``, else ``UNMATCHED``."""
    gt_index = torch.full(shape, UNMATCHED, dtype=torch.long, device=slot.device)  # [B, P]
    gt_index.view(-1)[place] = slot
    return gt_index


def assign(
    iou: Tensor, threshold: float = 0.5, unique: bool = True, gt_valid: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """Both principles together: principle 2 first, then principle 1 written over it.

    Writing principle 1 last is what makes it win. With ``unique=False`` two GTs may force
    the same prior; the higher GT index wins (deterministically), as in the classic
    indexed assignment ``gt_index[best_prior] = arange(G)`` where the last write stays.

    Args:
        iou (Tensor[..., G, P]): IoU of GTs with priors.
        threshold (float): principle 2's minimum IoU, in (0, 1].
        unique (bool): distinct best priors for principle 1 (see :func:`principle1`).
        gt_valid (Tensor[..., G] | None): bool mask of the real GT slots of a padded batch.

    Returns:
        (Tensor[..., P], Tensor[..., P], Tensor[..., P]): ``gt_index`` (int64, ``UNMATCHED``
        if none), ``principle`` (int64 1, 2, or 0 if unmatched) and the IoU of each prior
        (see :class:`Match`: with its GT for principle 1, else its largest IoU).

    Example:
        >>> iou = torch.tensor([[0.40, 0.55, 0.0],
        ...                     [0.10, 0.80, 0.0]])
        >>> gt_index, principle, _ = assign(iou, 0.5)
        >>> gt_index, principle  # prior 0 is GT 0's best prior: principle 1, although IoU 0.4 < 0.5
        (tensor([ 0,  1, -1]), tensor([1, 1, 0]))
    """
    threshold = check_threshold(threshold)
    gt_valid = _gt_valid(iou, gt_valid)
    *lead, G, P = iou.shape
    if G == 0 or P == 0:  # nothing to force: no GT, or no prior to force it onto
        gt_index, best_iou = principle2(iou, threshold, gt_valid)
        return gt_index, torch.zeros_like(gt_index), best_iou
    rows = _Rows.of(iou, gt_valid)
    return tuple(x.reshape(*lead, P) for x in _dense(_assign_rows(rows, threshold, unique), rows))


class _Matched(NamedTuple):
    """The matched priors of a batch, sparse: what the loss needs of a :class:`Match`.

    A prior is named by its place ``b * P + p`` in the ``[B, P]`` tensors of the batch, and a
    GT by its row in :class:`_Rows`.
    """

    place: Tensor  # [M], each matched prior once: principle 2's in increasing order, then principle 1's
    row: Tensor  # [M], the row of the GT it is matched to
    num_forced: int  # the last num_forced places are those principle 1 forces
    best_iou: Tensor  # [B, P], each prior's largest IoU with a GT of its image (-inf without GT)


def _assign_rows(rows: _Rows, threshold: float, unique: bool) -> _Matched:
    """:func:`assign` on the rows, unchecked and sparse."""
    place2, row2, best_iou = _principle2_rows(rows, threshold)  # [K], [K], [B, P]
    # principle 1 at the few places it forces. Several GTs may force the same prior
    # (unique=False): the highest GT index wins, the classic "last write wins" without
    # depending on write order; the rows of an image are in GT order, so it is the highest row
    P = best_iou.shape[1]
    forced_prior = _principle1_rows(rows, unique)  # [S]
    forced_row = (forced_prior >= 0).nonzero().squeeze(1)  # [F], all rows but GTs left over when G > P
    place1, which = (rows.image[forced_row] * P + forced_prior[forced_row]).unique(return_inverse=True)  # [U], [F]
    row1 = torch.zeros_like(place1).scatter_reduce_(0, which, forced_row, reduce="amax")  # [U]
    # principle 1 wins: principle 2's match is dropped where principle 1 forces a prior that
    # principle 2 matched too (the same test as principle 2's; place2 is sorted, so searchsorted finds it)
    also2 = best_iou.view(-1)[place1] >= threshold - TIE_TOLERANCE  # [U]
    kept2 = torch.ones_like(place2, dtype=torch.bool)  # [K]
    kept2[torch.searchsorted(place2, place1[also2])] = False
    return _Matched(torch.cat([place2[kept2], place1]), torch.cat([row2[kept2], row1]), place1.numel(), best_iou)


def _dense(matched: _Matched, rows: _Rows) -> tuple[Tensor, Tensor, Tensor]:
    """``gt_index``, ``principle`` and IoU ``[B, P]`` of a sparse match (see :func:`assign`)."""
    place, row, num_forced, best_iou = matched
    P = best_iou.shape[1]
    forced_place, forced_row = place[place.numel() - num_forced :], row[place.numel() - num_forced :]  # [U] each
    gt_index = _gt_index_at(best_iou.shape, place, rows.slot[row])  # [B, P]
    principle = torch.zeros_like(gt_index)  # [B, P]
    principle.view(-1)[place] = 2
    principle.view(-1)[forced_place] = 1
    # the IoU of a principle-1 prior with its GT; every other prior keeps its best IoU
    matched_iou = best_iou.clamp(min=0)  # [B, P]
    matched_iou.view(-1)[forced_place] = rows.iou[forced_row, forced_place % P]
    return gt_index, principle, matched_iou


def _valid(counts: Sequence[int], device: torch.device) -> Tensor:
    """The mask ``[B, G_max]`` of the real GT slots of images with ``counts`` GTs; ``G_max >= 1``."""
    G_max = max(max(counts, default=0), 1)
    return torch.arange(G_max, device=device) < torch.tensor(counts, device=device).unsqueeze(1)  # [B, G_max]


def _pad(all_boxes: Tensor, all_labels: Tensor, counts: Sequence[int]) -> tuple[Tensor, Tensor, Tensor]:
    """Scatter concatenated GTs into padded ``[B, G_max, ...]`` tensors and a validity mask.

    Padding slots hold the whole-image box (0, 0, 1, 1) and the background label, so that
    any arithmetic done on them stays finite. There is at least one slot, so that a batch
    without any GT box needs no special case.
    """
    valid = _valid(counts, all_boxes.device)  # [B, G_max]
    boxes = all_boxes.new_tensor([0.0, 0.0, 1.0, 1.0]).repeat(*valid.shape, 1)  # [B, G_max, 4]
    labels = all_labels.new_full(valid.shape, BACKGROUND)  # [B, G_max]
    boxes[valid] = all_boxes  # row-major order of the mask = order of the concatenation
    labels[valid] = all_labels
    return boxes, labels, valid


def pad_ground_truth(boxes: Sequence[Tensor], labels: Sequence[Tensor]) -> tuple[Tensor, Tensor, Tensor]:
    """Stack per-image GT lists of different lengths into padded batch tensors.

    Args:
        boxes (list[Tensor[G_b, 4]]): GT boxes of each image, fractional xyxy.
        labels (list[Tensor[G_b]]): GT class labels of each image, 1..C-1.

    Returns:
        (Tensor[B, G_max, 4], Tensor[B, G_max], Tensor[B, G_max]): boxes (padding: the
        whole image), int64 labels (padding: 0) and the bool mask of real GT slots;
        ``G_max = max(1, max_b G_b)``.

    Example:
        >>> b, l, valid = pad_ground_truth([torch.tensor([[0.1, 0.1, 0.3, 0.4]]), torch.zeros(0, 4)],
        ...                                [torch.tensor([3]), torch.zeros(0, dtype=torch.long)])
        >>> valid
        tensor([[ True],
                [False]])
    """
    all_boxes, all_labels, counts = check_gt_lists(boxes, labels)
    return _pad(all_boxes, all_labels, counts)


def _match_rows(
    all_boxes: Tensor, counts: Sequence[int], priors_cxcy: Tensor, threshold: float, unique: bool
) -> tuple[_Rows, _Matched]:
    """Match validated GT boxes, those of every image one after another ``[sum G_b, 4]``, sparse."""
    # Speed: the IoU of the real GT boxes only, as rows [sum G_b, P]; no padded [B, G_max, P]
    rows = _Rows.from_real(_iou_of_boxes_with_area(all_boxes, cxcywh_to_xyxy(priors_cxcy)), _valid(counts, all_boxes.device))
    return rows, _assign_rows(rows, threshold, unique)


def _match(
    all_boxes: Tensor, all_labels: Tensor, counts: Sequence[int], priors_cxcy: Tensor, threshold: float, unique: bool
) -> Match:
    """:func:`match_priors_batch` of validated, concatenated GT boxes and labels."""
    rows, matched = _match_rows(all_boxes, counts, priors_cxcy, threshold, unique)
    gt_index, principle, matched_iou = _dense(matched, rows)  # [B, P] each
    labels = torch.full_like(gt_index, BACKGROUND)  # [B, P]
    labels.view(-1)[matched.place] = all_labels[matched.row]
    return Match(labels=labels, gt_index=gt_index, iou=matched_iou, principle=principle)


def match_priors_batch(
    boxes: Sequence[Tensor],
    labels: Sequence[Tensor],
    priors_cxcy: Tensor,
    threshold: float = 0.5,
    unique: bool = True,
) -> Match:
    """Match the priors of a whole batch at once.

    Args:
        boxes (list[Tensor[G_b, 4]]): GT boxes of each image, fractional xyxy; ``G_b`` may be 0.
        labels (list[Tensor[G_b]]): GT class labels of each image, integers 1..C-1.
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).
        threshold (float): principle 2's minimum IoU, in (0, 1].
        unique (bool): give every GT a distinct prior (see :func:`principle1`).

    Returns:
        Match: ``labels``, ``gt_index``, ``iou`` and ``principle``, each ``[B, P]``.

    Raises:
        ValueError: for lists of different lengths, wrong shapes or dtypes, boxes that are
            not finite, not fractional or with x2 <= x1 or y2 <= y1, labels < 1, a threshold
            outside (0, 1], or tensors on different devices (naming image and box).

    Example:
        >>> priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
        >>> m = match_priors_batch([torch.tensor([[0.0, 0.0, 0.6, 1.0]]), torch.zeros(0, 4)],
        ...                        [torch.tensor([7]), torch.zeros(0, dtype=torch.long)], priors_cxcy)
        >>> m.labels  # image 1 has no GT: all background
        tensor([[7, 0],
                [0, 0]])
    """
    threshold = check_threshold(threshold)
    check_tensor("priors_cxcy", priors_cxcy, ndim=2, last_dim=4, floating=True, expected="of shape [P, 4] (cx, cy, w, h)")
    all_boxes, all_labels, counts = check_gt_lists(boxes, labels, device=priors_cxcy.device)  # devices first
    priors_cxcy = check_priors(priors_cxcy)
    return _match(all_boxes, all_labels, counts, priors_cxcy, threshold, unique)


def match_priors(
    boxes: Tensor, labels: Tensor, priors_cxcy: Tensor, threshold: float = 0.5, unique: bool = True
) -> Match:
    """Match the priors of one image to its GT boxes with the two principles.

    Args:
        boxes (Tensor[G, 4]): GT boxes, fractional xyxy; ``G`` may be 0.
        labels (Tensor[G]): GT class labels, integers 1..C-1.
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).
        threshold (float): principle 2's minimum IoU, in (0, 1].
        unique (bool): give every GT a distinct prior (see :func:`principle1`).

    Returns:
        Match: ``labels``, ``gt_index``, ``iou`` and ``principle``, each ``[P]``.

    Raises:
        ValueError: as :func:`match_priors_batch`.

    Example:
        >>> priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0], [0.5, 0.5, 1.0, 1.0]])
        >>> m = match_priors(torch.tensor([[0.0, 0.0, 0.6, 1.0]]), torch.tensor([7]), priors_cxcy)
        >>> m.labels, m.gt_index, m.principle  # prior 0 is the best (IoU 0.5/0.6); prior 2 has IoU 0.6
        (tensor([7, 0, 7]), tensor([ 0, -1,  0]), tensor([1, 0, 2]))
    """
    threshold = check_threshold(threshold)
    check_empty_image("boxes", boxes, "labels", labels)
    check_tensor("priors_cxcy", priors_cxcy, ndim=2, last_dim=4, floating=True, expected="of shape [P, 4] (cx, cy, w, h)")
    check_tensor("boxes", boxes, ndim=2, last_dim=4, floating=True, expected="of shape [G, 4] (x1, y1, x2, y2)")
    check_tensor("labels", labels, ndim=1, integer=True, expected=f"of shape [G] = [{boxes.shape[0]}]")
    check_same_device(boxes=boxes, labels=labels, priors_cxcy=priors_cxcy)  # devices before any value
    priors_cxcy = check_priors(priors_cxcy)
    boxes = check_gt_boxes("boxes", boxes)
    labels = check_gt_labels("labels", labels, boxes.shape[0])
    match = _match(boxes, labels.long(), [boxes.shape[0]], priors_cxcy, threshold, unique)  # a batch of one image
    return Match(*(field.squeeze(0) for field in match))


def count_matches(match: Match, num_gt: int) -> Tensor:
    """How many priors each GT got, by principle 1 and by principle 2.

    Args:
        match (Match): a match of one image (fields ``[P]``) or of a batch (``[B, P]``).
        num_gt (int): ``G``, the number of GT boxes (``G_max`` for a batch).

    Returns:
        Tensor[..., G, 2]: int64 counts; ``[..., g, 0]`` by principle 1, ``[..., g, 1]`` by
        principle 2. A GT whose two counts are 0 has been lost.

    Example:
        >>> m = Match(labels=torch.tensor([1, 1, 0, 2]), gt_index=torch.tensor([0, 0, -1, 1]),
        ...           iou=torch.zeros(4), principle=torch.tensor([1, 2, 0, 1]))
        >>> count_matches(m, 3)  # GT 2 got no prior
        tensor([[1, 1],
                [1, 0],
                [0, 0]])
    """
    matched = match.gt_index >= 0  # [..., P]
    slot = match.gt_index.clamp(min=0) * 2 + (match.principle - 1).clamp(min=0)  # [..., P], 2 slots per GT
    counts = torch.zeros((*match.gt_index.shape[:-1], num_gt * 2), dtype=torch.long, device=matched.device)
    return counts.scatter_add_(-1, slot, matched.long()).reshape(*match.gt_index.shape[:-1], num_gt, 2)
