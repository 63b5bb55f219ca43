"""Tests of ssd_course.boxes: hand-checked IoU values, loop references, properties, errors."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from ssd_course.boxes import box_area, box_intersection, box_iou, cxcywh_to_xyxy, xyxy_to_cxcywh
from tests.helpers import DEVICES, DTYPES, random_boxes
from tests.reference_boxes import area_loop, cxcywh_to_xyxy_loop, iou_loop, xyxy_to_cxcywh_loop

A = [0.0, 0.0, 0.5, 0.5]  # area 0.25, used by most hand cases
MUST_HAVE_SHAPE = r"must (?:have|be (?:a tensor )?of) shape"  # but not "must have shape of shape"


@pytest.mark.parametrize(
    ("box2", "expected"),
    [
        pytest.param([0.25, 0.25, 0.75, 0.75], 0.0625 / (0.25 + 0.25 - 0.0625), id="quarter-overlap"),
        pytest.param([0.25, 0.0, 0.75, 0.5], 0.125 / (0.25 + 0.25 - 0.125), id="half-overlap"),  # 1/3
        pytest.param([0.0, 0.0, 0.5, 0.5], 1.0, id="identical"),
        pytest.param([0.6, 0.6, 0.9, 0.9], 0.0, id="disjoint"),
        pytest.param([0.5, 0.0, 1.0, 0.5], 0.0, id="touching-edge"),
        pytest.param([0.5, 0.5, 1.0, 1.0], 0.0, id="touching-corner"),
        pytest.param([0.1, 0.1, 0.3, 0.2], (0.2 * 0.1) / 0.25, id="inside"),  # the area ratio
        pytest.param([0.0, 0.0, 1.0, 1.0], 0.25 / 1.0, id="around"),  # the area ratio
        pytest.param([0.25, -0.5, 0.75, 1.5], (0.25 * 0.5) / (0.25 + 0.5 * 2.0 - 0.25 * 0.5), id="cross"),
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_iou_hand_values(box2, expected, dtype, device):
    iou = box_iou(torch.tensor([A], dtype=dtype, device=device), torch.tensor([box2], dtype=dtype, device=device))
    assert iou.shape == (1, 1)
    assert iou.dtype == dtype
    assert iou.device.type == device
    assert_close(iou.cpu(), torch.tensor([[expected]], dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_area_and_intersection_hand_values(dtype, device):
    boxes1 = torch.tensor([A, [0.2, 0.4, 0.6, 0.5]], dtype=dtype, device=device)
    boxes2 = torch.tensor([[0.25, 0.25, 1.0, 1.0], [0.3, 0.3, 0.1, 0.9]], dtype=dtype, device=device)
    assert_close(box_area(boxes1).cpu(), torch.tensor([0.5 * 0.5, 0.4 * 0.1], dtype=dtype))
    assert_close(box_area(boxes2).cpu(), torch.tensor([0.75 * 0.75, 0.0], dtype=dtype))  # x2 < x1: area 0
    expected = torch.tensor(
        [
            [0.25 * 0.25, 0.0],  # A and the big box overlap on [0.25, 0.5]^2
            [0.35 * 0.1, 0.0],  # x in [0.25, 0.6], y in [0.4, 0.5]
        ],
        dtype=dtype,
    )
    assert_close(box_intersection(boxes1, boxes2).cpu(), expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_zero_area_boxes_give_zero_not_nan(dtype, device):
    flat = [[0.3, 0.3, 0.3, 0.6], [0.2, 0.4, 0.7, 0.4], [0.5, 0.5, 0.5, 0.5]]  # no width, no height, a point
    boxes = torch.tensor(flat, dtype=dtype, device=device)
    iou = box_iou(boxes, boxes)  # every union is 0
    assert_close(iou.cpu(), torch.zeros(3, 3, dtype=dtype), rtol=0, atol=0)
    covering = torch.tensor([[0.0, 0.0, 1.0, 1.0]], dtype=dtype, device=device)
    assert_close(box_iou(boxes, covering).cpu(), torch.zeros(3, 1, dtype=dtype), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_zero_area_boxes_have_finite_gradients(dtype, device):
    boxes1 = torch.tensor([[0.3, 0.3, 0.3, 0.6], [0.1, 0.1, 0.4, 0.4]], dtype=dtype, device=device, requires_grad=True)
    boxes2 = torch.tensor([[0.3, 0.3, 0.3, 0.6], [0.2, 0.4, 0.7, 0.4]], dtype=dtype, device=device, requires_grad=True)
    box_iou(boxes1, boxes2).sum().backward()
    assert torch.isfinite(boxes1.grad).all(), boxes1.grad
    assert torch.isfinite(boxes2.grad).all(), boxes2.grad


@pytest.mark.parametrize("device", DEVICES)
def test_iou_gradient_matches_finite_differences(device):  # gradcheck needs float64
    boxes1 = torch.tensor([[0.1, 0.1, 0.5, 0.6]], dtype=torch.float64, device=device, requires_grad=True)
    boxes2 = torch.tensor([[0.3, 0.2, 0.9, 0.7], [0.0, 0.3, 0.4, 0.8]], dtype=torch.float64, device=device)
    assert torch.autograd.gradcheck(lambda b: box_iou(b, boxes2), (boxes1,))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_iou_matches_loop_reference(dtype, device):
    generator = torch.Generator().manual_seed(0)
    boxes1 = random_boxes(20, generator, dtype, device, min_size=0.01)
    boxes2 = random_boxes(30, generator, dtype, device, min_size=0.01)
    boxes2[:3] = boxes2[:3, [0, 1, 0, 3]]  # three zero-width boxes
    expected = torch.tensor(iou_loop(boxes1.double().tolist(), boxes2.double().tolist()), dtype=dtype)
    iou = box_iou(boxes1, boxes2)
    assert iou.shape == (20, 30)
    assert_close(iou.cpu(), expected)
    assert (expected == 0).any() and (expected > 0).any()  # the sample covers both cases
    assert_close(box_area(boxes2).cpu(), torch.tensor(area_loop(boxes2.double().tolist()), dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_batched_and_broadcast_iou_equal_per_image_calls(dtype, device):
    generator = torch.Generator().manual_seed(1)
    batch1 = random_boxes(3 * 5, generator, dtype, device).reshape(3, 5, 4)  # [B, N, 4]
    batch2 = random_boxes(3 * 7, generator, dtype, device).reshape(3, 7, 4)  # [B, M, 4]
    shared = random_boxes(7, generator, dtype, device)  # [M, 4]
    batched = box_iou(batch1, batch2)
    broadcast = box_iou(batch1, shared)
    assert batched.shape == (3, 5, 7)
    assert broadcast.shape == (3, 5, 7)
    for b in range(3):
        assert_close(batched[b], box_iou(batch1[b], batch2[b]))
        assert_close(broadcast[b], box_iou(batch1[b], shared))
    assert_close(box_iou(shared, batch1), broadcast.transpose(1, 2))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_conversion_hand_values(dtype, device):
    xyxy = torch.tensor([[0.2, 0.4, 0.6, 0.5], [0.0, 0.0, 1.0, 1.0]], dtype=dtype, device=device)
    cxcywh = torch.tensor([[(0.2 + 0.6) / 2, (0.4 + 0.5) / 2, 0.6 - 0.2, 0.5 - 0.4], [0.5, 0.5, 1.0, 1.0]], dtype=dtype)
    assert_close(xyxy_to_cxcywh(xyxy).cpu(), cxcywh)
    assert_close(cxcywh_to_xyxy(cxcywh.to(device)).cpu(), xyxy.cpu())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_conversions_match_loop_reference_and_round_trip(dtype, device):
    generator = torch.Generator().manual_seed(2)
    xyxy = random_boxes(50, generator, dtype, device).reshape(5, 10, 4)  # any leading dimensions
    cxcywh = xyxy_to_cxcywh(xyxy)
    assert cxcywh.shape == (5, 10, 4)
    expected = torch.tensor(xyxy_to_cxcywh_loop(xyxy.reshape(50, 4).double().tolist()), dtype=dtype)
    assert_close(cxcywh.reshape(50, 4).cpu(), expected)
    back = torch.tensor(cxcywh_to_xyxy_loop(cxcywh.reshape(50, 4).double().tolist()), dtype=dtype)
    assert_close(cxcywh_to_xyxy(cxcywh).reshape(50, 4).cpu(), back)
    assert_close(cxcywh_to_xyxy(cxcywh), xyxy)
    assert_close(xyxy_to_cxcywh(cxcywh_to_xyxy(cxcywh)), cxcywh)


# boxes on a 1/16 grid: exact coordinates, so that shared and touching edges are common
grid_coordinate = st.integers(0, 16).map(lambda k: k / 16)
any_box = st.tuples(grid_coordinate, grid_coordinate, grid_coordinate, grid_coordinate).map(
    lambda c: [min(c[0], c[2]), min(c[1], c[3]), max(c[0], c[2]), max(c[1], c[3])]  # may have no area
)
positive_box = st.tuples(
    st.floats(0, 0.9), st.floats(0, 0.9), st.floats(0.01, 0.1), st.floats(0.01, 0.1)
).map(lambda c: [c[0], c[1], c[0] + c[2], c[1] + c[3]])


@settings(max_examples=100, deadline=None)
@given(
    boxes1=st.lists(st.one_of(any_box, positive_box), min_size=1, max_size=6),
    boxes2=st.lists(st.one_of(any_box, positive_box), min_size=1, max_size=6),
    dtype=st.sampled_from(DTYPES),
)
def test_iou_properties(boxes1, boxes2, dtype):
    a = torch.tensor(boxes1, dtype=dtype)
    b = torch.tensor(boxes2, dtype=dtype)
    iou = box_iou(a, b)
    assert not iou.isnan().any()
    assert ((iou >= 0) & (iou <= 1)).all(), iou
    assert torch.equal(iou, box_iou(b, a).T)
    assert_close(iou, torch.tensor(iou_loop(a.double().tolist(), b.double().tolist()), dtype=dtype))


@settings(max_examples=100, deadline=None)
@given(boxes=st.lists(positive_box, min_size=1, max_size=8), dtype=st.sampled_from(DTYPES))
def test_iou_of_a_box_with_itself_is_one(boxes, dtype):
    a = torch.tensor(boxes, dtype=dtype)
    assert_close(box_iou(a, a).diagonal(), torch.ones(len(boxes), dtype=dtype))


@pytest.mark.parametrize(
    ("boxes1", "boxes2", "error", "message"),
    [
        pytest.param(
            torch.zeros(2, 3), torch.zeros(2, 4),
            ValueError, rf"boxes1 {MUST_HAVE_SHAPE} \[\.\.\., N, 4\].*got shape \[2, 3\]", id="last-dim-3",
        ),
        pytest.param(
            torch.zeros(2, 4), torch.zeros(5),
            ValueError, rf"boxes2 {MUST_HAVE_SHAPE} \[\.\.\., M, 4\].*got shape \[5\]", id="last-dim-5",
        ),
        pytest.param(
            torch.zeros(2, 4), torch.zeros(2, 4, dtype=torch.int64),
            ValueError, r"boxes2 must be a floating-point tensor; got dtype torch\.int64", id="int64",
        ),
        pytest.param(
            torch.zeros(2, 4, dtype=torch.int32), torch.zeros(2, 4),
            ValueError, r"boxes1 must be a floating-point tensor; got dtype torch\.int32", id="int32",
        ),
        pytest.param(
            [[0.0, 0.0, 1.0, 1.0]], torch.zeros(2, 4),
            TypeError, r"boxes1 must be a torch\.Tensor.*got list", id="list",
        ),
        pytest.param(
            torch.zeros(4), torch.zeros(2, 4),
            ValueError, r"boxes1 and boxes2 must have shape .*got shapes \[4\] and \[2, 4\] \(use box\[None\]",
            id="one-box-without-batch-dim",
        ),
    ],
)
def test_iou_errors_name_the_argument(boxes1, boxes2, error, message):
    with pytest.raises(error, match=message):
        box_iou(boxes1, boxes2)


@pytest.mark.parametrize("function", [box_area, xyxy_to_cxcywh, cxcywh_to_xyxy])
def test_single_argument_errors_name_the_argument(function):
    with pytest.raises(ValueError, match=rf"boxes {MUST_HAVE_SHAPE} \[\.\.\., 4\].*got shape \[3, 5\]"):
        function(torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"boxes must be a floating-point tensor; got dtype torch\.int64"):
        function(torch.zeros(3, 4, dtype=torch.int64))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_iou_on_different_devices_raises():
    with pytest.raises(ValueError, match=r"same device; got boxes1 on cpu, boxes2 on cuda:0"):
        box_iou(torch.zeros(2, 4), torch.zeros(2, 4, device="cuda"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_plain_box_intersection_equals_box_intersection(dtype, device):
    from ssd_course.boxes import plain_box_intersection

    generator = torch.Generator().manual_seed(77)
    for n, m in [(0, 5), (5, 0), (1, 1), (7, 30)]:
        boxes1 = random_boxes(n, generator, dtype=dtype, device=device)
        boxes2 = random_boxes(m, generator, dtype=dtype, device=device)
        boxes2[::3] = boxes1[:1].expand_as(boxes2[::3]) if n else boxes2[::3]  # equal boxes: ties
        assert torch.equal(plain_box_intersection(boxes1, boxes2), box_intersection(boxes1, boxes2))


@pytest.mark.filterwarnings("error")  # e.g. an out= tensor of the wrong shape, resized
@pytest.mark.parametrize("slice_size", [1, 100, 2**17])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_iou_in_slices_of_rows_equals_box_iou_bit_for_bit(slice_size, dtype, device):
    # the matching's IoU: computed a slice of rows at a time on a CPU (slice_size 1: one row
    # per slice; 100: 3 rows of 31, the last slice shorter, in the same buffers); on a GPU, in
    # one slice
    from ssd_course.boxes import _iou_of_boxes_with_area

    generator = torch.Generator().manual_seed(2400)
    boxes1, boxes2 = random_boxes(23, generator, dtype, device), random_boxes(31, generator, dtype, device)
    assert torch.equal(_iou_of_boxes_with_area(boxes1, boxes2, slice_size), box_iou(boxes1, boxes2))
    assert _iou_of_boxes_with_area(boxes1[:0], boxes2, slice_size).shape == (0, 31)
    assert _iou_of_boxes_with_area(boxes1, boxes2[:0], slice_size).shape == (23, 0)
