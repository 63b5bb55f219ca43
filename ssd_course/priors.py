"""Prior boxes (先验框), also called default boxes or anchors (notebook 02).

A detector with a ``k x k`` feature map places a few priors of different scales and aspect
ratios at the centre of every cell. For a prior of scale ``s`` and aspect ratio ``r``
(width / height)::

    w = s * sqrt(r),    h = s / sqrt(r)        (so that w * h = s**2 and w / h = r)

The cell in row ``i`` and column ``j`` of a ``k x k`` map has its centre at
``((j + 0.5) / k, (i + 0.5) / k)``. Priors are ordered map by map, then row, column, and
the prior's place in its cell -- the order in which a convolutional head emits them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ssd_course.boxes import cxcywh_to_xyxy, xyxy_to_cxcywh

__all__ = [
    "SSD300_ASPECT_RATIOS",
    "SSD300_FEATURE_MAPS",
    "SSD300_SCALES",
    "TINY_ASPECT_RATIOS",
    "TINY_SCALES",
    "make_priors",
    "ssd300_priors",
    "tiny_detector_priors",
]

TINY_SCALES = (0.2, 0.4, 0.6)
TINY_ASPECT_RATIOS = (1.0, 2.0, 0.5)

SSD300_FEATURE_MAPS = (38, 19, 10, 5, 3, 1)
SSD300_SCALES = (0.1, 0.2, 0.375, 0.55, 0.725, 0.9)
SSD300_ASPECT_RATIOS = (
    (1.0, 2.0, 0.5),
    (1.0, 2.0, 3.0, 0.5, 1 / 3),
    (1.0, 2.0, 3.0, 0.5, 1 / 3),
    (1.0, 2.0, 3.0, 0.5, 1 / 3),
    (1.0, 2.0, 0.5),
    (1.0, 2.0, 0.5),
)


def make_priors(
    feature_map_sizes: Sequence[int],
    cell_shapes: Sequence[Sequence[tuple[float, float]]],
    *,
    clip: bool = False,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Priors for a set of square feature maps, in fractional (cx, cy, w, h).

    Args:
        feature_map_sizes (Sequence[int]): ``k`` of each ``k x k`` feature map.
        cell_shapes (Sequence[Sequence[tuple[float, float]]]): for each feature map, the
            ``(scale, aspect_ratio)`` of the priors placed in every one of its cells, in order.
        clip (bool): clip every prior to the image (in xyxy) before converting back to
            cxcywh. Default False: priors may cross the image border.
        dtype (torch.dtype): dtype of the result (CPU; move it with ``.to(device)``).

    Returns:
        Tensor[P, 4]: ``P = sum(k**2 * len(shapes))`` priors as (cx, cy, w, h), ordered map,
        row, column, then cell shape.

    Raises:
        ValueError: if the two sequences differ in length or a size, scale or ratio is not
            positive.

    Example:
        >>> make_priors([2], [[(0.5, 1.0)]])  # a 2 x 2 map, one square prior per cell
        tensor([[0.2500, 0.2500, 0.5000, 0.5000],
                [0.7500, 0.2500, 0.5000, 0.5000],
                [0.2500, 0.7500, 0.5000, 0.5000],
                [0.7500, 0.7500, 0.5000, 0.5000]])
    """
    if len(feature_map_sizes) != len(cell_shapes):
        raise ValueError(
            "cell_shapes must give one list of (scale, aspect_ratio) per feature map; got "
            f"{len(cell_shapes)} lists for {len(feature_map_sizes)} feature maps"
        )
    per_map = []
    for m, (k, shapes) in enumerate(zip(feature_map_sizes, cell_shapes)):
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"feature_map_sizes[{m}] must be a positive integer; got {k!r}")
        if len(shapes) == 0 or any(s <= 0 or r <= 0 for s, r in shapes):
            raise ValueError(
                f"cell_shapes[{m}] must be a non-empty list of (scale, aspect_ratio) with both > 0; got {shapes!r}"
            )
        centres = (torch.arange(k, dtype=torch.float64) + 0.5) / k  # [k]
        cy, cx = torch.meshgrid(centres, centres, indexing="ij")  # [k, k] each, row i, column j
        sizes = torch.tensor([(s * math.sqrt(r), s / math.sqrt(r)) for s, r in shapes], dtype=torch.float64)  # [S, 2]
        S = sizes.shape[0]
        centre = torch.stack((cx, cy), dim=-1).reshape(k * k, 1, 2).expand(k * k, S, 2)  # [k*k, S, 2]
        size = sizes.reshape(1, S, 2).expand(k * k, S, 2)  # [k*k, S, 2]
        per_map.append(torch.cat((centre, size), dim=-1).reshape(k * k * S, 4))  # [k*k*S, 4]
    priors = torch.cat(per_map)  # [P, 4]
    if clip:
        priors = xyxy_to_cxcywh(cxcywh_to_xyxy(priors).clamp(0, 1))
    return priors.to(dtype)


def tiny_detector_priors(dtype: torch.dtype = torch.float32) -> Tensor:
    """The study guide's 441 priors: a 7 x 7 map, 9 priors per cell.

    Scales 0.2, 0.4, 0.6 times aspect ratios 1, 2, 0.5, in that order in every cell
    (scale-major). Not clipped: 272 of the 441 cross the image border.

    Args:
        dtype (torch.dtype): dtype of the result.

    Returns:
        Tensor[441, 4]: priors as fractional (cx, cy, w, h), ordered row, column, scale, ratio.

    Example:
        >>> p = tiny_detector_priors()
        >>> p.shape
        torch.Size([441, 4])
        >>> p[1]  # cell (0, 0), scale 0.2, ratio 2: w = 0.2 * sqrt(2), h = 0.2 / sqrt(2)
        tensor([0.0714, 0.0714, 0.2828, 0.1414])
    """
    shapes = [(s, r) for s in TINY_SCALES for r in TINY_ASPECT_RATIOS]
    return make_priors([7], [shapes], dtype=dtype)


def ssd300_priors(clip: bool = False, dtype: torch.dtype = torch.float32) -> Tensor:
    """The classic SSD300's 8732 priors (SSD, Liu et al. 2016, section 2.2).

    Six feature maps of 38, 19, 10, 5, 3 and 1 cells a side, scales 0.1, 0.2, 0.375, 0.55,
    0.725 and 0.9. Each cell has one prior per aspect ratio at the map's scale ``s_k`` plus
    an extra square prior of scale ``sqrt(s_k * s_{k+1})`` (``s_{k+1} = 1`` for the last
    map) placed right after the ratio-1 prior: 4, 6, 6, 6, 4, 4 priors per cell.

    Args:
        clip (bool): clip the priors to the image (see :func:`make_priors`).
        dtype (torch.dtype): dtype of the result.

    Returns:
        Tensor[8732, 4]: priors as fractional (cx, cy, w, h).

    Example:
        >>> ssd300_priors().shape  # 38*38*4 + 19*19*6 + 10*10*6 + 5*5*6 + 3*3*4 + 1*1*4
        torch.Size([8732, 4])
    """
    cell_shapes = []
    for k, (scale, ratios) in enumerate(zip(SSD300_SCALES, SSD300_ASPECT_RATIOS)):
        next_scale = SSD300_SCALES[k + 1] if k + 1 < len(SSD300_SCALES) else 1.0
        shapes = []
        for r in ratios:
            shapes.append((scale, r))
            if r == 1.0:
                shapes.append((math.sqrt(scale * next_scale), 1.0))
        cell_shapes.append(shapes)
    return make_priors(list(SSD300_FEATURE_MAPS), cell_shapes, clip=clip, dtype=dtype)
