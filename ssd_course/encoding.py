"""Offsets between a box and a prior: what the location head learns to predict (notebook 04).

A positive prior ``d`` = (d_cx, d_cy, d_w, d_h) does not predict its GT box ``g`` directly
but the offsets ĝ from itself to ``g`` (SSD, Liu et al. 2016, Eq. 2)::

    ĝ_cx = (g_cx - d_cx) / d_w / v_c        ĝ_w = log(g_w / d_w) / v_s
    ĝ_cy = (g_cy - d_cy) / d_h / v_c        ĝ_h = log(g_h / d_h) / v_s

Centre offsets are measured in prior widths/heights and sizes on a log scale, so the same
numbers mean the same thing for small and large priors. The "variances" ``(v_c, v_s)``,
usually (0.1, 0.2), only rescale the targets (a centre shift of a tenth of a prior becomes
1); ``variances=(1, 1)`` gives the formula as the study guide writes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ssd_course._validate import check_same_device, check_tensor, check_variances, values_str
from ssd_course.boxes import cxcywh_to_xyxy, xyxy_to_cxcywh

__all__ = ["decode", "encode"]


def _encode(boxes_xyxy: Tensor, priors_cxcy: Tensor, variances: tuple[float, float]) -> Tensor:
    g = xyxy_to_cxcywh(boxes_xyxy)  # [..., 4]
    centre = (g[..., :2] - priors_cxcy[..., :2]) / priors_cxcy[..., 2:] / variances[0]  # [..., 2]
    size = torch.log(g[..., 2:] / priors_cxcy[..., 2:]) / variances[1]  # [..., 2]
    return torch.cat((centre, size), dim=-1)


def encode(boxes_xyxy: Tensor, priors_cxcy: Tensor, variances: Sequence[float] = (0.1, 0.2)) -> Tensor:
    """Offsets ĝ of boxes relative to priors (the location targets).

    ``decode(encode(b, p), p)`` returns ``b``.

    Args:
        boxes_xyxy (Tensor[..., 4]): boxes as (x1, y1, x2, y2), with x2 > x1 and y2 > y1.
        priors_cxcy (Tensor[..., 4]): priors as (cx, cy, w, h), broadcastable with the boxes.
        variances (tuple[float, float]): divisors of the centre and the size offsets.

    Returns:
        Tensor[..., 4]: offsets (ĝ_cx, ĝ_cy, ĝ_w, ĝ_h).

    Raises:
        ValueError: if a box has zero or negative width or height (its log size would be
            -inf or NaN), a prior has no area, or the shapes or devices do not fit.

    Example:
        >>> prior = torch.tensor([0.5, 0.5, 0.25, 0.5])
        >>> box = torch.tensor([0.4375, 0.25, 0.6875, 0.75])  # centre (0.5625, 0.5), size (0.25, 0.5)
        >>> encode(box, prior, variances=(1, 1))  # (0.5625 - 0.5) / 0.25 = 0.25; log(0.25 / 0.25) = 0
        tensor([0.2500, 0.0000, 0.0000, 0.0000])
        >>> encode(box, prior)  # the same divided by the variances (0.1, 0.2)
        tensor([2.5000, 0.0000, 0.0000, 0.0000])
    """
    variances = check_variances(variances)
    check_tensor("boxes_xyxy", boxes_xyxy, last_dim=4, floating=True, expected="of shape [..., 4] (x1, y1, x2, y2)")
    check_tensor("priors_cxcy", priors_cxcy, last_dim=4, floating=True, expected="of shape [..., 4] (cx, cy, w, h)")
    check_same_device(boxes_xyxy=boxes_xyxy, priors_cxcy=priors_cxcy)
    try:
        torch.broadcast_shapes(boxes_xyxy.shape, priors_cxcy.shape)
    except RuntimeError:
        raise ValueError(
            f"boxes_xyxy and priors_cxcy must have broadcastable shapes; got {list(boxes_xyxy.shape)} "
            f"and {list(priors_cxcy.shape)}"
        ) from None
    empty = (boxes_xyxy[..., 2] <= boxes_xyxy[..., 0]) | (boxes_xyxy[..., 3] <= boxes_xyxy[..., 1])
    if empty.any():
        index = tuple(empty.nonzero()[0].tolist()) if empty.dim() else ()
        where = f"[{', '.join(str(i) for i in index)}]" if index else ""
        raise ValueError(
            f"boxes_xyxy{where} must have x2 > x1 and y2 > y1: a box without width or height "
            f"has log size -inf; got {values_str(boxes_xyxy[index])}"
        )
    if ((priors_cxcy[..., 2] <= 0) | (priors_cxcy[..., 3] <= 0)).any():
        raise ValueError("priors_cxcy must have width > 0 and height > 0 in every prior")
    return _encode(boxes_xyxy, priors_cxcy, variances)


def decode(offsets: Tensor, priors_cxcy: Tensor, variances: Sequence[float] = (0.1, 0.2)) -> Tensor:
    """Boxes from offsets relative to priors: the inverse of :func:`encode`.

    Args:
        offsets (Tensor[..., 4]): offsets (ĝ_cx, ĝ_cy, ĝ_w, ĝ_h), e.g. predicted locations.
        priors_cxcy (Tensor[..., 4]): priors as (cx, cy, w, h), broadcastable with the offsets.
        variances (tuple[float, float]): the same divisors as used by :func:`encode`.

    Returns:
        Tensor[..., 4]: boxes as (x1, y1, x2, y2).

    Example:
        >>> decode(torch.tensor([2.5, 0.0, 0.0, 0.0]), torch.tensor([0.5, 0.5, 0.25, 0.5]))
        tensor([0.4375, 0.2500, 0.6875, 0.7500])
    """
    variances = check_variances(variances)
    check_tensor("offsets", offsets, last_dim=4, floating=True, expected="of shape [..., 4]")
    check_tensor("priors_cxcy", priors_cxcy, last_dim=4, floating=True, expected="of shape [..., 4] (cx, cy, w, h)")
    check_same_device(offsets=offsets, priors_cxcy=priors_cxcy)
    centre = priors_cxcy[..., :2] + offsets[..., :2] * variances[0] * priors_cxcy[..., 2:]  # [..., 2]
    size = priors_cxcy[..., 2:] * torch.exp(offsets[..., 2:] * variances[1])  # [..., 2]
    return cxcywh_to_xyxy(torch.cat((centre, size), dim=-1))
