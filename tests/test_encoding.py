"""Tests of ssd_course.encoding: hand values, loop reference, round trip, errors."""

from __future__ import annotations

import math
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from ssd_course.encoding import decode, encode
from ssd_course.priors import tiny_detector_priors
from tests.helpers import DEVICES, DTYPES, random_boxes
from tests.reference_boxes import decode_loop, encode_loop

PRIOR = [0.5, 0.5, 0.25, 0.5]  # (cx, cy, w, h)
BOX = [0.3125, 0.375, 0.8125, 0.625]  # centre (0.5625, 0.5), width 0.5, height 0.25
MUST_HAVE_SHAPE = r"must (?:have|be (?:a tensor )?of) shape"  # but not "must have shape of shape"


@pytest.mark.parametrize(
    ("variances", "expected"),
    [
        pytest.param(  # the study guide's formula: ĝcx = (gcx - dcx) / dw, ĝw = log(gw / dw)
            (1, 1), [(0.5625 - 0.5) / 0.25, (0.5 - 0.5) / 0.5, math.log(0.5 / 0.25), math.log(0.25 / 0.5)],
            id="variances-1-1",
        ),
        pytest.param(
            (0.1, 0.2), [(0.5625 - 0.5) / 0.25 / 0.1, 0.0, math.log(0.5 / 0.25) / 0.2, math.log(0.25 / 0.5) / 0.2],
            id="variances-0.1-0.2",
        ),
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_encode_decode_hand_values(variances, expected, dtype, device):
    prior = torch.tensor(PRIOR, dtype=dtype, device=device)
    box = torch.tensor(BOX, dtype=dtype, device=device)
    offsets = encode(box, prior, variances=variances)
    assert offsets.dtype == dtype and offsets.device.type == device
    assert_close(offsets.cpu(), torch.tensor(expected, dtype=dtype))
    decoded = decode(torch.tensor(expected, dtype=dtype, device=device), prior, variances=variances)
    assert_close(decoded.cpu(), torch.tensor(BOX, dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_default_variances_are_0_1_and_0_2(dtype, device):
    prior = torch.tensor(PRIOR, dtype=dtype, device=device)
    box = torch.tensor(BOX, dtype=dtype, device=device)
    assert_close(encode(box, prior), encode(box, prior, variances=(0.1, 0.2)))
    divisors = torch.tensor([0.1, 0.1, 0.2, 0.2], dtype=dtype, device=device)
    assert_close(encode(box, prior), encode(box, prior, variances=(1, 1)) / divisors)


@pytest.mark.parametrize("variances", [(1.0, 1.0), (0.1, 0.2)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_encode_and_decode_match_loop_reference(variances, dtype, device):
    generator = torch.Generator().manual_seed(0)
    priors = tiny_detector_priors(dtype=dtype).to(device)  # [441, 4]
    boxes = random_boxes(441, generator, dtype, device)  # [441, 4], one box per prior
    offsets = encode(boxes, priors, variances=variances)
    expected = [encode_loop(b, p, variances) for b, p in zip(boxes.double().tolist(), priors.double().tolist())]
    assert_close(offsets.cpu(), torch.tensor(expected, dtype=dtype))
    decoded = [decode_loop(o, p, variances) for o, p in zip(offsets.double().tolist(), priors.double().tolist())]
    assert_close(decode(offsets, priors, variances=variances).cpu(), torch.tensor(decoded, dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_broadcasting_batch_of_boxes_against_priors(dtype, device):
    generator = torch.Generator().manual_seed(1)
    priors = tiny_detector_priors(dtype=dtype).to(device)  # [P, 4]
    boxes = random_boxes(3 * 441, generator, dtype, device).reshape(3, 441, 4)  # [B, P, 4]
    offsets = encode(boxes, priors)
    assert offsets.shape == (3, 441, 4)
    for b in range(3):
        assert_close(offsets[b], encode(boxes[b], priors))
    assert_close(decode(offsets, priors), boxes)
    one_box = boxes[0, 0]  # [4] against every prior
    assert_close(encode(one_box, priors), encode(one_box.expand(441, 4), priors))


finite_unit = st.floats(0, 1, allow_nan=False, allow_infinity=False)
extent = st.floats(1e-3, 1, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(
    corner=st.tuples(finite_unit, finite_unit),
    size=st.tuples(extent, extent),
    prior_index=st.integers(0, 440),
    variances=st.sampled_from([(0.1, 0.2), (1.0, 1.0), (0.5, 0.05)]),
)
def test_decode_inverts_encode(corner, size, prior_index, variances):
    x1, y1 = corner[0] * (1 - size[0]), corner[1] * (1 - size[1])
    box = torch.tensor([x1, y1, x1 + size[0], y1 + size[1]], dtype=torch.float64)
    prior = tiny_detector_priors(dtype=torch.float64)[prior_index]
    offsets = encode(box, prior, variances=variances)
    assert torch.isfinite(offsets).all()
    assert_close(decode(offsets, prior, variances=variances), box, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("boxes", "message"),
    [
        pytest.param(
            [[0.1, 0.1, 0.5, 0.5], [0.3, 0.2, 0.3, 0.6]],
            r"boxes_xyxy\[1\] must have x2 > x1 and y2 > y1.*-inf; got \[0\.3, 0\.2, 0\.3, 0\.6\]",
            id="zero-width",
        ),
        pytest.param(
            [[0.1, 0.4, 0.5, 0.4]], r"boxes_xyxy\[0\] must have x2 > x1 and y2 > y1.*got \[0\.1, 0\.4, 0\.5, 0\.4\]",
            id="zero-height",
        ),
        pytest.param(
            [[0.6, 0.1, 0.5, 0.5]], r"boxes_xyxy\[0\] must have x2 > x1 and y2 > y1.*got \[0\.6, 0\.1, 0\.5, 0\.5\]",
            id="negative-width",
        ),
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_encode_of_a_box_without_width_or_height_raises(boxes, message, dtype):
    # the popular implementations return log(0) = -inf here and the loss turns to NaN
    with pytest.raises(ValueError, match=message):
        encode(torch.tensor(boxes, dtype=dtype), torch.tensor(PRIOR, dtype=dtype))


def test_encode_error_gives_the_batch_index():
    boxes = torch.tensor([[0.1, 0.1, 0.5, 0.5]]).repeat(2, 3, 1)  # [2, 3, 4]
    boxes[1, 2] = torch.tensor([0.2, 0.2, 0.2, 0.2])
    with pytest.raises(ValueError, match=r"boxes_xyxy\[1, 2\] must have x2 > x1"):
        encode(boxes, torch.tensor(PRIOR))


@pytest.mark.parametrize(
    "variances",
    [(0, 0.2), (0.1, -0.2), (0.1,), (0.1, 0.2, 0.3), (math.nan, 0.2), (0.1, math.inf), ("0.1", 0.2), 0.1, None],
)
@pytest.mark.parametrize("function", [encode, decode])
def test_bad_variances_raise(variances, function):
    expected = r"variances must be two positive numbers \(centre, size\), e\.g\. \(0\.1, 0\.2\); got "
    with pytest.raises(ValueError, match=expected + re.escape(repr(variances))):
        function(torch.tensor(BOX), torch.tensor(PRIOR), variances=variances)


def test_encode_last_dimension_error():
    with pytest.raises(ValueError, match=rf"boxes_xyxy {MUST_HAVE_SHAPE} \[\.\.\., 4\].*got shape \[3\]"):
        encode(torch.tensor(BOX)[:3], torch.tensor(PRIOR))


def test_encode_dtype_broadcast_and_prior_errors():
    box, prior = torch.tensor(BOX), torch.tensor(PRIOR)
    with pytest.raises(ValueError, match=r"priors_cxcy must be a floating-point tensor; got dtype torch\.int64"):
        encode(box, prior.long())
    with pytest.raises(ValueError, match=r"boxes_xyxy and priors_cxcy must have broadcastable shapes; got \[2, 4\]"):
        encode(box.expand(2, 4), prior.expand(3, 4))
    with pytest.raises(ValueError, match=r"priors_cxcy must have width > 0 and height > 0"):
        encode(box, torch.tensor([0.5, 0.5, 0.0, 0.5]))
    with pytest.raises(TypeError, match=r"offsets must be a torch\.Tensor.*got list"):
        decode([0.0, 0.0, 0.0, 0.0], prior)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_encode_on_different_devices_raises():
    with pytest.raises(ValueError, match=r"same device; got boxes_xyxy on cpu, priors_cxcy on cuda:0"):
        encode(torch.tensor(BOX), torch.tensor(PRIOR, device="cuda"))
