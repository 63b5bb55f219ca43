"""Slow, obviously correct references in plain Python floats, written without ssd_course.

Every function takes and returns nested lists of floats (``tensor.tolist()`` goes in,
``torch.tensor(...)`` comes out), one box or one pair at a time.
"""

from __future__ import annotations

import math


def area_loop(boxes: list[list[float]]) -> list[float]:
    """Area of each xyxy box; 0 when x2 <= x1 or y2 <= y1.

    >>> area_loop([[0.0, 0.0, 0.5, 0.2], [0.3, 0.3, 0.1, 0.9]])
    [0.1, 0.0]
    """
    areas = []
    for x1, y1, x2, y2 in boxes:
        areas.append(max(0.0, x2 - x1) * max(0.0, y2 - y1))
    return areas


def iou_loop(boxes1: list[list[float]], boxes2: list[list[float]]) -> list[list[float]]:
    """IoU of every pair (row: a box of ``boxes1``, column: a box of ``boxes2``).

    >>> iou_loop([[0.0, 0.0, 0.5, 0.5]], [[0.25, 0.25, 0.75, 0.75], [0.6, 0.6, 0.9, 0.9]])
    [[0.14285714285714285, 0.0]]
    """
    rows = []
    for a in boxes1:
        row = []
        for b in boxes2:
            width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            intersection = width * height
            union = area_loop([a])[0] + area_loop([b])[0] - intersection
            row.append(intersection / union if union > 0 else 0.0)
        rows.append(row)
    return rows


def xyxy_to_cxcywh_loop(boxes: list[list[float]]) -> list[list[float]]:
    """(x1, y1, x2, y2) to (cx, cy, w, h), box by box.

    >>> xyxy_to_cxcywh_loop([[0.25, 0.5, 0.75, 1.0]])
    [[0.5, 0.75, 0.5, 0.5]]
    """
    return [[(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1] for x1, y1, x2, y2 in boxes]


def cxcywh_to_xyxy_loop(boxes: list[list[float]]) -> list[list[float]]:
    """(cx, cy, w, h) to (x1, y1, x2, y2), box by box.

    >>> cxcywh_to_xyxy_loop([[0.5, 0.75, 0.5, 0.5]])
    [[0.25, 0.5, 0.75, 1.0]]
    """
    return [[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] for cx, cy, w, h in boxes]


def encode_loop(box: list[float], prior: list[float], variances: tuple[float, float]) -> list[float]:
    """Offsets of one xyxy box from one cxcywh prior (SSD, Eq. 2, divided by the variances).

    >>> encode_loop([0.25, 0.25, 0.75, 0.75], [0.5, 0.5, 0.5, 0.5], (1.0, 1.0))
    [0.0, 0.0, 0.0, 0.0]
    """
    x1, y1, x2, y2 = box
    prior_cx, prior_cy, prior_w, prior_h = prior
    box_cx, box_cy, box_w, box_h = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    return [
        (box_cx - prior_cx) / prior_w / variances[0],
        (box_cy - prior_cy) / prior_h / variances[0],
        math.log(box_w / prior_w) / variances[1],
        math.log(box_h / prior_h) / variances[1],
    ]


def decode_loop(offsets: list[float], prior: list[float], variances: tuple[float, float]) -> list[float]:
    """The xyxy box that one set of offsets describes relative to one cxcywh prior.

    >>> decode_loop([0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5], (0.1, 0.2))
    [0.25, 0.25, 0.75, 0.75]
    """
    prior_cx, prior_cy, prior_w, prior_h = prior
    cx = prior_cx + offsets[0] * variances[0] * prior_w
    cy = prior_cy + offsets[1] * variances[0] * prior_h
    w = prior_w * math.exp(offsets[2] * variances[1])
    h = prior_h * math.exp(offsets[3] * variances[1])
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def tiny_priors_loop() -> list[list[float]]:
    """The tiny detector's 441 priors as (cx, cy, w, h): 7 x 7 cells, 3 scales x 3 ratios.

    >>> priors = tiny_priors_loop()
    >>> len(priors), priors[0]
    (441, [0.07142857142857142, 0.07142857142857142, 0.2, 0.2])
    """
    priors = []
    for i in range(7):  # row: y
        for j in range(7):  # column: x
            for scale in (0.2, 0.4, 0.6):
                for ratio in (1.0, 2.0, 0.5):
                    priors.append([(j + 0.5) / 7, (i + 0.5) / 7, scale * math.sqrt(ratio), scale / math.sqrt(ratio)])
    return priors


def ssd300_priors_loop() -> list[list[float]]:
    """SSD300's 8732 priors as (cx, cy, w, h), with the extra square prior after ratio 1.

    >>> priors = ssd300_priors_loop()
    >>> len(priors), priors[1]  # the extra prior of the 38 x 38 map: sqrt(0.1 * 0.2)
    (8732, [0.013157894736842105, 0.013157894736842105, 0.14142135623730953, 0.14142135623730953])
    """
    sizes = [38, 19, 10, 5, 3, 1]
    scales = [0.1, 0.2, 0.375, 0.55, 0.725, 0.9]
    three = [1.0, 2.0, 0.5]
    five = [1.0, 2.0, 3.0, 0.5, 1 / 3]
    ratios = [three, five, five, five, three, three]
    priors = []
    for m in range(6):
        k = sizes[m]
        scale = scales[m]
        next_scale = scales[m + 1] if m < 5 else 1.0
        for i in range(k):
            for j in range(k):
                cx, cy = (j + 0.5) / k, (i + 0.5) / k
                for ratio in ratios[m]:
                    priors.append([cx, cy, scale * math.sqrt(ratio), scale / math.sqrt(ratio)])
                    if ratio == 1.0:
                        extra = math.sqrt(scale * next_scale)
                        priors.append([cx, cy, extra, extra])
    return priors


def priors_loop(name: str) -> list[list[float]]:
    """``tiny_priors_loop()`` for ``"tiny"``, ``ssd300_priors_loop()`` for ``"ssd300"``."""
    return {"tiny": tiny_priors_loop, "ssd300": ssd300_priors_loop}[name]()
