"""Shared test helpers: the dtypes and devices every test runs on, and random valid boxes."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

DTYPES = [torch.float32, torch.float64]

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")],
    ),
]


def random_boxes(
    n: int,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    min_size: float = 0.02,
) -> Tensor:
    """Random valid fractional xyxy boxes: x2 > x1, y2 > y1, every coordinate in [0, 1].

    Drawn on the CPU from ``generator`` (so the same seed gives the same boxes on every
    device), in float64, then cast to ``dtype`` and moved to ``device``.

    Args:
        n (int): number of boxes.
        generator (torch.Generator): a seeded CPU generator.
        dtype (torch.dtype): dtype of the result.
        device (str | torch.device): device of the result.
        min_size (float): smallest width and height, in (0, 1).

    Returns:
        Tensor[n, 4]: boxes as (x1, y1, x2, y2).
    """
    size = min_size + (1 - min_size) * torch.rand(n, 2, generator=generator, dtype=torch.float64)  # [n, 2]
    corner = (1 - size) * torch.rand(n, 2, generator=generator, dtype=torch.float64)  # [n, 2]
    boxes = torch.cat((corner, corner + size), dim=1)  # [n, 4]
    return boxes.to(dtype=dtype, device=device)
