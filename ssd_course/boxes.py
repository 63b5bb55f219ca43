"""Box formats, areas and IoU (notebook 01).

Two formats are used throughout the course:

* ``xyxy``   -- (x1, y1, x2, y2): top-left and bottom-right corners (GT boxes, drawings);
* ``cxcywh`` -- (cx, cy, w, h): centre, width and height (prior boxes, offsets).

Coordinates are continuous and fractional: a box spanning the whole image is
(0, 0, 1, 1) whatever the image size, and its width is ``x2 - x1`` -- there is no ``+ 1``
as in some pixel-index conventions.

Every public function accepts any number of leading dimensions (``[..., 4]``), so the same
code serves one image ``[G, 4]`` and a padded batch ``[B, G, 4]``, and checks its inputs.
:func:`plain_box_intersection` is the lesson code of notebook 01: the same intersection for
two lists of boxes, without checks or speed tricks; the tests check that both agree.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ssd_course._validate import check_same_device, check_tensor

__all__ = ["box_area", "box_intersection", "box_iou", "cxcywh_to_xyxy", "plain_box_intersection", "xyxy_to_cxcywh"]


def xyxy_to_cxcywh(boxes: Tensor) -> Tensor:
    """Convert corner boxes to centre-size boxes.

    Args:
        boxes (Tensor[..., 4]): boxes as (x1, y1, x2, y2).

    Returns:
        Tensor[..., 4]: the same boxes as (cx, cy, w, h).

    Example:
        >>> xyxy_to_cxcywh(torch.tensor([[0.2, 0.4, 0.6, 0.5]]))
        tensor([[0.4000, 0.4500, 0.4000, 0.1000]])
    """
    check_tensor("boxes", boxes, last_dim=4, floating=True, expected="of shape [..., 4] (x1, y1, x2, y2)")
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def cxcywh_to_xyxy(boxes: Tensor) -> Tensor:
    """Convert centre-size boxes to corner boxes; the inverse of :func:`xyxy_to_cxcywh`.

    Args:
        boxes (Tensor[..., 4]): boxes as (cx, cy, w, h).

    Returns:
        Tensor[..., 4]: the same boxes as (x1, y1, x2, y2).

    Example:
        >>> cxcywh_to_xyxy(torch.tensor([[0.4, 0.45, 0.4, 0.1]]))
        tensor([[0.2000, 0.4000, 0.6000, 0.5000]])
    """
    check_tensor("boxes", boxes, last_dim=4, floating=True, expected="of shape [..., 4] (cx, cy, w, h)")
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)


def box_area(boxes: Tensor) -> Tensor:
    """Area of xyxy boxes; a box with x2 <= x1 or y2 <= y1 has area 0.

    Args:
        boxes (Tensor[..., 4]): boxes as (x1, y1, x2, y2).

    Returns:
        Tensor[...]: width * height, never negative.

    Example:
        >>> box_area(torch.tensor([[0.0, 0.0, 0.5, 0.2], [0.3, 0.3, 0.1, 0.9]]))
        tensor([0.1000, 0.0000])
    """
    check_tensor("boxes", boxes, last_dim=4, floating=True, expected="of shape [..., 4] (x1, y1, x2, y2)")
    return (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(min=0)


def plain_box_intersection(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise area of the intersection of two lists of xyxy boxes (the lesson code).

    The overlap of two boxes is the box between the larger of the two top-left corners and
    the smaller of the two bottom-right corners; when that box is empty its width or
    height is clamped to 0. :func:`box_intersection` computes the same, checked and batched.

    Args:
        boxes1 (Tensor[N, 4]): boxes as (x1, y1, x2, y2).
        boxes2 (Tensor[M, 4]): boxes as (x1, y1, x2, y2).

    Returns:
        Tensor[N, M]: intersection areas, >= 0.

    Example:
        >>> plain_box_intersection(torch.tensor([[0.0, 0.0, 0.5, 0.5]]), torch.tensor([[0.25, 0.25, 1.0, 1.0]]))
        tensor([[0.0625]])
    """
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])  # [N, M, 2]
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])  # [N, M, 2]
    size = (bottom_right - top_left).clamp(min=0)  # [N, M, 2]: width and height, 0 when apart
    return size[..., 0] * size[..., 1]  # [N, M]


def box_intersection(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise area of the intersection of two sets of xyxy boxes.

    :func:`plain_box_intersection` (the lesson code), checked, for any leading dimensions.

    Args:
        boxes1 (Tensor[..., N, 4]): boxes as (x1, y1, x2, y2).
        boxes2 (Tensor[..., M, 4]): boxes as (x1, y1, x2, y2); leading dimensions broadcast
            with those of ``boxes1``.

    Returns:
        Tensor[..., N, M]: intersection areas, >= 0.

    Example:
        >>> box_intersection(torch.tensor([[0.0, 0.0, 0.5, 0.5]]), torch.tensor([[0.25, 0.25, 1.0, 1.0]]))
        tensor([[0.0625]])
    """
    check_tensor("boxes1", boxes1, last_dim=4, floating=True, expected="of shape [..., N, 4] (x1, y1, x2, y2)")
    check_tensor("boxes2", boxes2, last_dim=4, floating=True, expected="of shape [..., M, 4] (x1, y1, x2, y2)")
    if boxes1.dim() < 2 or boxes2.dim() < 2:
        raise ValueError(
            "boxes1 and boxes2 must have shape [..., N, 4] and [..., M, 4]; "
            f"got shapes {list(boxes1.shape)} and {list(boxes2.shape)} (use box[None] for one box)"
        )
    check_same_device(boxes1=boxes1, boxes2=boxes2)
    # x and y handled separately: two [..., N, M] tensors instead of one [..., N, M, 2].
    # Speed: one tensor per coordinate, and boxes2's made contiguous, so that the kernels run
    # along unit-stride rows of M values (a column of an [M, 4] tensor has stride 4); the
    # in-place sub_ and clamp_ reuse the fresh [..., N, M] result instead of allocating more
    x1a, y1a, x2a, y2a = (coordinate.unsqueeze(-1) for coordinate in boxes1.unbind(-1))  # [..., N, 1] each
    x1b, y1b, x2b, y2b = (coordinate.unsqueeze(-2).contiguous() for coordinate in boxes2.unbind(-1))  # [..., 1, M] each
    width = torch.minimum(x2a, x2b).sub_(torch.maximum(x1a, x1b)).clamp_(min=0)  # [..., N, M]
    height = torch.minimum(y2a, y2b).sub_(torch.maximum(y1a, y1b)).clamp_(min=0)  # [..., N, M]
    return width * height


def _rows_per_slice(rows: Tensor, row_size: int, slice_size: int) -> int:
    """How many of the rows of a computation to take at a time: on a CPU, rows of ``row_size``
    values that make about ``slice_size`` values (at least one row); on a GPU, all of them."""
    if rows.device.type != "cpu":
        return max(rows.shape[0], 1)
    return max(1, slice_size // max(row_size, 1))


def _iou_of_boxes_with_area(boxes1: Tensor, boxes2: Tensor, slice_size: int = 2**17) -> Tensor:
    """:func:`box_iou` of ``[N, 4]`` and ``[M, 4]`` boxes that all have a positive area, unchecked.

    The same operations in the same order as :func:`box_iou`, so the same values bit for bit;
    without the zero-union guard (a union is never 0 here) and reusing its temporaries.

    Speed: on a CPU the rows are computed a slice at a time, about ``slice_size`` values
    (512 KiB in float32), so that the temporaries of a slice stay in the core's cache for the
    dozen operations on them instead of going out to memory and back each time; every slice
    reuses the same three buffers. On a GPU, in one slice.
    """
    N, M = boxes1.shape[0], boxes2.shape[0]
    x1a, y1a, x2a, y2a = (coordinate.unsqueeze(1) for coordinate in boxes1.unbind(1))  # [N, 1] each
    x1b, y1b, x2b, y2b = (coordinate.unsqueeze(0).contiguous() for coordinate in boxes2.unbind(1))  # [1, M] each
    area_a, area_b = (x2a - x1a) * (y2a - y1a), (x2b - x1b) * (y2b - y1b)  # [N, 1], [1, M]
    iou = boxes1.new_empty((N, M))  # [N, M]
    step = _rows_per_slice(boxes1, M, slice_size)
    buffers = boxes1.new_empty((3, min(step, N), M))  # the temporaries, the same memory for every slice
    for start in range(0, N, step):
        rows = slice(start, start + step)
        inter, other, height = buffers[:, : min(step, N - start)]  # [n, M] each, the n rows of this slice
        torch.minimum(x2a[rows], x2b, out=inter)
        inter.sub_(torch.maximum(x1a[rows], x1b, out=other)).clamp_(min=0)  # the width
        torch.minimum(y2a[rows], y2b, out=height)
        height.sub_(torch.maximum(y1a[rows], y1b, out=other)).clamp_(min=0)
        inter.mul_(height)  # the intersection
        union = torch.add(area_a[rows], area_b, out=other).sub_(inter)
        torch.div(inter, union, out=iou[rows])
    return iou


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise IoU (Jaccard overlap) of two sets of xyxy boxes.

    IoU(a, b) = area(a ∩ b) / area(a ∪ b), with area(a ∪ b) = area(a) + area(b) - area(a ∩ b).

    Args:
        boxes1 (Tensor[..., N, 4]): boxes as (x1, y1, x2, y2), e.g. GT boxes ``[G, 4]``.
        boxes2 (Tensor[..., M, 4]): boxes as (x1, y1, x2, y2), e.g. priors ``[P, 4]``;
            leading dimensions broadcast with those of ``boxes1``.

    Returns:
        Tensor[..., N, M]: IoU in [0, 1]; 0 where boxes do not intersect or have no area
        (never NaN).

    Raises:
        ValueError: if a tensor is not ``[..., 4]`` floating point or the two are on
            different devices.

    Example:
        >>> a = torch.tensor([[0.0, 0.0, 0.5, 0.5]])
        >>> b = torch.tensor([[0.25, 0.25, 0.75, 0.75], [0.6, 0.6, 0.9, 0.9]])
        >>> box_iou(a, b)  # 0.0625 / (0.25 + 0.25 - 0.0625) = 1/7
        tensor([[0.1429, 0.0000]])
    """
    inter = box_intersection(boxes1, boxes2)  # [..., N, M]
    union = box_area(boxes1).unsqueeze(-1) + box_area(boxes2).unsqueeze(-2) - inter  # [..., N, M]
    # two zero-area boxes have union 0: divide by 1 there instead, so that neither the value
    # nor its gradient is NaN, and report IoU 0
    positive = union > 0
    return torch.where(positive, inter / torch.where(positive, union, 1.0), 0.0)
