"""Tests of ssd_course.priors: counts, order and values against nested-loop references."""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from ssd_course.boxes import cxcywh_to_xyxy
from ssd_course.priors import make_priors, ssd300_priors, tiny_detector_priors
from tests.helpers import DEVICES, DTYPES
from tests.reference_boxes import cxcywh_to_xyxy_loop, ssd300_priors_loop, tiny_priors_loop


@pytest.mark.parametrize("dtype", DTYPES)
def test_counts_and_dtype(dtype):
    tiny = tiny_detector_priors(dtype=dtype)
    ssd300 = ssd300_priors(dtype=dtype)
    assert tiny.shape == (7 * 7 * 9, 4) == (441, 4)
    assert ssd300.shape == (38 * 38 * 4 + 19 * 19 * 6 + 10 * 10 * 6 + 5 * 5 * 6 + 3 * 3 * 4 + 1 * 1 * 4, 4) == (8732, 4)
    assert tiny.dtype == ssd300.dtype == dtype


def test_tiny_priors_equal_loop_reference_exactly():
    expected = torch.tensor(tiny_priors_loop(), dtype=torch.float64)
    assert_close(tiny_detector_priors(dtype=torch.float64), expected, rtol=0, atol=0)


def test_tiny_priors_float32_is_the_float64_rounded():
    assert torch.equal(tiny_detector_priors(), tiny_detector_priors(dtype=torch.float64).float())


def test_tiny_priors_documented_order():
    priors = tiny_detector_priors(dtype=torch.float64)
    centre = 0.5 / 7  # cell (0, 0)
    assert priors[0].tolist() == [centre, centre, 0.2, 0.2]  # scale 0.2, ratio 1
    assert priors[1].tolist() == [centre, centre, 0.2 * math.sqrt(2), 0.2 / math.sqrt(2)]  # scale 0.2, ratio 2
    assert priors[2].tolist() == [centre, centre, 0.2 * math.sqrt(0.5), 0.2 / math.sqrt(0.5)]  # ratio 0.5
    assert priors[3].tolist() == [centre, centre, 0.4, 0.4]  # the next scale, ratio 1
    assert priors[8, 2:].tolist() == pytest.approx([0.6 * math.sqrt(0.5), 0.6 / math.sqrt(0.5)])
    # index 9 starts cell (0, 1): one column to the right, same row
    assert priors[9].tolist() == [1.5 / 7, centre, 0.2, 0.2]
    # index 63 = 7 cells * 9 starts cell (1, 0): the next row, first column
    assert priors[63].tolist() == [centre, 1.5 / 7, 0.2, 0.2]
    # the last prior: cell (6, 6), scale 0.6, ratio 0.5
    assert priors[440, :2].tolist() == [6.5 / 7, 6.5 / 7]


@pytest.mark.parametrize("dtype", DTYPES)
def test_tiny_priors_have_the_right_areas_and_ratios(dtype):
    priors = tiny_detector_priors(dtype=dtype).reshape(7, 7, 3, 3, 4)  # row, column, scale, ratio
    scales = torch.tensor([0.2, 0.4, 0.6], dtype=dtype).reshape(1, 1, 3, 1)
    ratios = torch.tensor([1.0, 2.0, 0.5], dtype=dtype).reshape(1, 1, 1, 3)
    w, h = priors[..., 2], priors[..., 3]
    assert_close(w * h, (scales**2).expand(7, 7, 3, 3))
    assert_close(w / h, ratios.expand(7, 7, 3, 3))


def test_272_tiny_priors_cross_the_border():
    priors = tiny_detector_priors(dtype=torch.float64)
    corners = cxcywh_to_xyxy(priors)
    crossing = ((corners < 0) | (corners > 1)).any(dim=1)
    assert int(crossing.sum()) == 272
    expected = [any(c < 0 or c > 1 for c in box) for box in cxcywh_to_xyxy_loop(tiny_priors_loop())]
    assert crossing.tolist() == expected


def test_ssd300_priors_equal_loop_reference_exactly():
    expected = torch.tensor(ssd300_priors_loop(), dtype=torch.float64)
    assert_close(ssd300_priors(dtype=torch.float64), expected, rtol=0, atol=0)


def test_ssd300_per_map_counts_and_extra_prior():
    priors = ssd300_priors(dtype=torch.float64)
    counts = [38 * 38 * 4, 19 * 19 * 6, 10 * 10 * 6, 5 * 5 * 6, 3 * 3 * 4, 1 * 1 * 4]
    assert counts == [5776, 2166, 600, 150, 36, 4]
    per_map = priors.split(counts)
    for k, block in zip([38, 19, 10, 5, 3, 1], per_map):
        # every map's block holds k * k cells, each centred at ((j + 0.5) / k, (i + 0.5) / k)
        centres = block[:, :2].unique(dim=0)
        assert centres.shape[0] == k * k
        assert_close(centres.min(), torch.tensor(0.5 / k, dtype=torch.float64))
    first_cell = per_map[0][:4]  # 38 x 38 map: ratio 1, the extra sqrt(0.1 * 0.2), ratio 2, ratio 0.5
    assert_close(first_cell[:, 2], torch.tensor([0.1, math.sqrt(0.1 * 0.2), 0.1 * math.sqrt(2), 0.1 * math.sqrt(0.5)],
                                                dtype=torch.float64))
    last = per_map[5]  # 1 x 1 map: scale 0.9, extra prior sqrt(0.9 * 1)
    assert_close(last[:, 2], torch.tensor([0.9, math.sqrt(0.9 * 1.0), 0.9 * math.sqrt(2), 0.9 * math.sqrt(0.5)],
                                          dtype=torch.float64))
    assert_close(last[:, :2], torch.full((4, 2), 0.5, dtype=torch.float64))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_clip_keeps_every_prior_inside_the_image(dtype, device):
    wide_and_tall = [[(0.6, 2.0), (0.9, 0.5)]]
    for clipped, unclipped in [
        (ssd300_priors(clip=True, dtype=dtype), ssd300_priors(dtype=dtype)),
        (make_priors([7], wide_and_tall, clip=True, dtype=dtype), make_priors([7], wide_and_tall, dtype=dtype)),
    ]:
        corners = cxcywh_to_xyxy(clipped.to(device))
        assert ((corners >= 0) & (corners <= 1)).all()
        assert (cxcywh_to_xyxy(unclipped.to(device)) < 0).any()  # there was something to clip
        assert_close(corners, cxcywh_to_xyxy(unclipped.to(device)).clamp(0, 1))


def test_make_priors_hand_example():
    priors = make_priors([2], [[(0.5, 1.0), (0.5, 4.0)]], dtype=torch.float64)
    expected = torch.tensor(
        [
            [0.25, 0.25, 0.5, 0.5], [0.25, 0.25, 0.5 * 2, 0.5 / 2],  # cell (0, 0); sqrt(4) = 2
            [0.75, 0.25, 0.5, 0.5], [0.75, 0.25, 0.5 * 2, 0.5 / 2],  # cell (0, 1)
            [0.25, 0.75, 0.5, 0.5], [0.25, 0.75, 0.5 * 2, 0.5 / 2],  # cell (1, 0)
            [0.75, 0.75, 0.5, 0.5], [0.75, 0.75, 0.5 * 2, 0.5 / 2],  # cell (1, 1)
        ],
        dtype=torch.float64,
    )
    assert_close(priors, expected, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("sizes", "shapes", "message"),
    [
        pytest.param(
            [7, 3], [[(0.2, 1.0)]],
            r"cell_shapes must give one list of \(scale, aspect_ratio\) per feature map; got 1 lists for 2",
            id="fewer-shape-lists",
        ),
        pytest.param([7], [[(0.2, 1.0)], [(0.4, 1.0)]], r"got 2 lists for 1 feature maps", id="more-shape-lists"),
        pytest.param(
            [7], [[(0.0, 1.0)]],
            r"cell_shapes\[0\] must be a non-empty list of \(scale, aspect_ratio\) with both > 0; "
            r"got \[\(0\.0, 1\.0\)\]",
            id="zero-scale",
        ),
        pytest.param(
            [7, 3], [[(0.2, 1.0)], [(-0.4, 1.0)]], r"cell_shapes\[1\] must be .*> 0; got \[\(-0\.4, 1\.0\)\]",
            id="negative-scale",
        ),
        pytest.param([7], [[(0.2, 0.0)]], r"cell_shapes\[0\] must be .*> 0; got \[\(0\.2, 0\.0\)\]", id="zero-ratio"),
        pytest.param([7], [[]], r"cell_shapes\[0\] must be a non-empty list", id="no-shapes"),
        pytest.param([0], [[(0.2, 1.0)]], r"feature_map_sizes\[0\] must be a positive integer; got 0", id="size-0"),
        pytest.param(
            [7, 2.5], [[(0.2, 1.0)], [(0.2, 1.0)]], r"feature_map_sizes\[1\] must be a positive integer; got 2\.5",
            id="size-not-integer",
        ),
    ],
)
def test_make_priors_errors(sizes, shapes, message):
    with pytest.raises(ValueError, match=message):
        make_priors(sizes, shapes)
