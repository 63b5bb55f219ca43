"""Tests of ssd_course.matching: hand-checked matches, loop references, properties.

Most hand cases use five priors whose IoU with simple boxes is easy to work out: the four
quarters of the image and the whole image.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from ssd_course.boxes import box_iou, cxcywh_to_xyxy, xyxy_to_cxcywh
from ssd_course.matching import (
    BACKGROUND,
    TIE_TOLERANCE,
    UNMATCHED,
    Match,
    assign,
    gt_prior_iou,
    match_priors,
    match_priors_batch,
    principle1,
    principle2,
)
from ssd_course.priors import ssd300_priors, tiny_detector_priors
from tests.helpers import DEVICES, DTYPES, random_boxes
from tests.reference_loss import match_loop

QUARTERS_AND_WHOLE = [
    [0.25, 0.25, 0.5, 0.5],  # prior 0: xyxy (0, 0, 0.5, 0.5), top-left quarter, area 0.25
    [0.75, 0.25, 0.5, 0.5],  # prior 1: (0.5, 0, 1, 0.5), top-right quarter
    [0.25, 0.75, 0.5, 0.5],  # prior 2: (0, 0.5, 0.5, 1), bottom-left quarter
    [0.75, 0.75, 0.5, 0.5],  # prior 3: (0.5, 0.5, 1, 1), bottom-right quarter
    [0.5, 0.5, 1.0, 1.0],  # prior 4: (0, 0, 1, 1), the whole image, area 1
]



def needs_cuda(test):
    """Mark a test ``cuda`` and skip it without a CUDA GPU."""
    return pytest.mark.cuda(pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")(test))


def hand_priors(dtype: torch.dtype, device: str, extra: list[list[float]] | None = None) -> torch.Tensor:
    return torch.tensor(QUARTERS_AND_WHOLE + (extra or []), dtype=dtype, device=device)


def long_tensor(values: list[int]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.long)


def assert_match_equal(match: Match, labels, gt_index, principle, iou) -> None:
    assert_close(match.labels.cpu(), long_tensor(labels), rtol=0, atol=0)
    assert_close(match.gt_index.cpu(), long_tensor(gt_index), rtol=0, atol=0)
    assert_close(match.principle.cpu(), long_tensor(principle), rtol=0, atol=0)
    assert_close(match.iou.cpu(), torch.tensor(iou, dtype=match.iou.dtype))


# --- hand-checkable cases --------------------------------------------------------------


@pytest.mark.parametrize("unique", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_gt_equal_to_a_prior(unique, dtype, device):
    boxes = torch.tensor([[0.0, 0.0, 0.5, 0.5]], dtype=dtype, device=device)  # prior 0 exactly
    match = match_priors(boxes, torch.tensor([7], device=device), hand_priors(dtype, device), 0.5, unique)
    assert match.labels.device.type == device
    # IoU: prior 0 is the box itself (1); priors 1-3 only touch it (0); the whole image 0.25 / 1
    assert_match_equal(match, [7, 0, 0, 0, 0], [0, -1, -1, -1, -1], [1, 0, 0, 0, 0], [1.0, 0.0, 0.0, 0.0, 0.25 / 1.0])


@pytest.mark.parametrize(
    ("threshold", "gt_index", "principle"),
    [
        (0.5, [0, 0, -1, -1, 0], [1, 2, 0, 0, 2]),  # the threshold is inclusive: IoU 0.5 >= 0.5
        (0.6, [0, -1, -1, -1, -1], [1, 0, 0, 0, 0]),  # only the forced best prior
    ],
)
@pytest.mark.parametrize("unique", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_top_half_ties_and_inclusive_threshold(threshold, gt_index, principle, unique, dtype, device):
    boxes = torch.tensor([[0.0, 0.0, 1.0, 0.5]], dtype=dtype, device=device)  # the top half, area 0.5
    match = match_priors(boxes, torch.tensor([2], device=device), hand_priors(dtype, device), threshold, unique)
    # prior 0: 0.25 / (0.5 + 0.25 - 0.25) = 0.5; prior 1 the same; prior 4: 0.5 / (0.5 + 1 - 0.5) = 0.5.
    # Three equal maxima: principle 1 takes the first, prior 0.
    labels = [2 if g == 0 else 0 for g in gt_index]
    assert_match_equal(match, labels, gt_index, principle, [0.5, 0.5, 0.0, 0.0, 0.5])


# Two GTs with the same best prior, prior 0:
#   GT 0 = (0, 0, 0.45, 0.5): prior 0: 0.225 / (0.225 + 0.25 - 0.225) = 0.9; prior 4: 0.225 / 1
#   GT 1 = (0, 0, 0.5, 0.4):  prior 0: 0.2 / (0.2 + 0.25 - 0.2) = 0.8;       prior 4: 0.2 / 1
SHARED_BEST_PRIOR = [[0.0, 0.0, 0.45, 0.5], [0.0, 0.0, 0.5, 0.4]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_shared_best_prior_unique_keeps_both_gts(dtype, device):
    boxes = torch.tensor(SHARED_BEST_PRIOR, dtype=dtype, device=device)
    match = match_priors(boxes, torch.tensor([3, 5], device=device), hand_priors(dtype, device), 0.5, unique=True)
    # greedy: (GT 0, prior 0) = 0.9 is the highest pair; GT 1's best free prior is then prior 4
    # (0.2). Prior 4's iou is that of its GT, 0.2, although GT 0 has 0.225 with it.
    assert_match_equal(match, [3, 0, 0, 0, 5], [0, -1, -1, -1, 1], [1, 0, 0, 0, 1], [0.9, 0.0, 0.0, 0.0, 0.2])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_shared_best_prior_indexed_assignment_loses_the_lower_gt(dtype, device):
    boxes = torch.tensor(SHARED_BEST_PRIOR, dtype=dtype, device=device)
    labels = torch.tensor([3, 5], device=device)
    match = match_priors(boxes, labels, hand_priors(dtype, device), 0.5, unique=False)
    # both GTs name prior 0; the higher index, GT 1, wins it although its IoU (0.8) is lower.
    # GT 0 has no prior at all: prior 4 has 0.225 with it, below 0.5.
    assert_match_equal(match, [5, 0, 0, 0, 0], [1, -1, -1, -1, -1], [1, 0, 0, 0, 0], [0.8, 0.0, 0.0, 0.0, 0.225])
    assert not (match.gt_index == 0).any()
    # with threshold 0.2, principle 2 gives prior 4 (0.225 >= 0.2, GT 0 its best) back to GT 0
    match = match_priors(boxes, labels, hand_priors(dtype, device), 0.2, unique=False)
    assert_match_equal(match, [5, 0, 0, 0, 3], [1, -1, -1, -1, 0], [1, 0, 0, 0, 2], [0.8, 0.0, 0.0, 0.0, 0.225])


# The study guide's ordering case, with a sixth prior (0.25, 0.3, 0.5, 0.6) = xyxy (0, 0, 0.5, 0.6):
#   GT 0 = (0.1, 0.1, 0.3, 0.3), area 0.04, inside prior 0: 0.04 / 0.25 = 0.16 (its best, < 0.5);
#          prior 5: 0.04 / 0.3; prior 4: 0.04 / 1
#   GT 1 = (0, 0, 0.5, 0.6), area 0.3: prior 5 is the box itself (1.0); prior 0: 0.25 / 0.3 >= 0.5;
#          prior 2: (0.5 * 0.1) / (0.3 + 0.25 - 0.05) = 0.1; prior 4: 0.3 / 1
ORDER_PRIOR = [[0.25, 0.3, 0.5, 0.6]]
ORDER_BOXES = [[0.1, 0.1, 0.3, 0.3], [0.0, 0.0, 0.5, 0.6]]


@pytest.mark.parametrize("unique", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_principle1_wins_over_principle2(unique, dtype, device):
    boxes = torch.tensor(ORDER_BOXES, dtype=dtype, device=device)
    priors = hand_priors(dtype, device, ORDER_PRIOR)
    # principle 2 alone would give prior 0 to GT 1 (0.25 / 0.3 >= 0.5)
    gt_index2, best_iou = principle2(gt_prior_iou(boxes, priors), 0.5)
    assert gt_index2[0].item() == 1
    assert_close(best_iou[0].cpu(), torch.tensor(0.25 / 0.3, dtype=dtype))
    # but prior 0 is GT 0's best prior, so principle 1 forces it onto GT 0
    match = match_priors(boxes, torch.tensor([4, 9], device=device), priors, 0.5, unique)
    assert_match_equal(
        match,
        labels=[4, 0, 0, 0, 0, 9],
        gt_index=[0, -1, -1, -1, -1, 1],
        principle=[1, 0, 0, 0, 0, 1],
        iou=[0.04 / 0.25, 0.0, 0.05 / 0.5, 0.0, 0.3 / 1.0, 1.0],  # iou of prior 0: with GT 0, not GT 1
    )


@pytest.mark.parametrize("unique", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_image_without_gt_is_all_background(unique, dtype, device):
    priors = hand_priors(dtype, device)
    boxes, labels = torch.zeros(0, 4, dtype=dtype, device=device), torch.zeros(0, dtype=torch.long, device=device)
    for match in (
        match_priors(boxes, labels, priors, 0.5, unique),
        Match(*(field[0] for field in match_priors_batch([boxes], [labels], priors, 0.5, unique))),
    ):
        assert match.labels.shape == (5,)
        assert_match_equal(match, [BACKGROUND] * 5, [UNMATCHED] * 5, [0] * 5, [0.0] * 5)


@pytest.mark.parametrize("unique", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_batch_mixing_empty_and_non_empty_images(unique, dtype, device):
    priors = hand_priors(dtype, device, ORDER_PRIOR)
    empty = torch.zeros(0, 4, dtype=dtype, device=device)
    boxes = [
        torch.tensor([[0.0, 0.0, 0.5, 0.5]], dtype=dtype, device=device),
        empty,
        torch.tensor(ORDER_BOXES, dtype=dtype, device=device),
        empty,
    ]
    labels = [torch.tensor(values, dtype=torch.long, device=device) for values in ([7], [], [4, 9], [])]
    batch = match_priors_batch(boxes, labels, priors, 0.5, unique)
    assert batch.gt_index.shape == (4, 6)
    assert_match_equal(
        Match(*(field[0] for field in batch)), [7, 0, 0, 0, 0, 7], [0, -1, -1, -1, -1, 0],
        [1, 0, 0, 0, 0, 2], [1.0, 0.0, 0.0, 0.0, 0.25, 0.25 / (0.25 + 0.3 - 0.25)],
    )  # the sixth prior contains the GT: 0.25 / 0.3 >= 0.5, principle 2
    assert_match_equal(
        Match(*(field[2] for field in batch)), [4, 0, 0, 0, 0, 9], [0, -1, -1, -1, -1, 1],
        [1, 0, 0, 0, 0, 1], [0.04 / 0.25, 0.0, 0.05 / 0.5, 0.0, 0.3, 1.0],
    )
    for b in (1, 3):
        assert_match_equal(Match(*(field[b] for field in batch)), [0] * 6, [-1] * 6, [0] * 6, [0.0] * 6)


def test_principle1_principle2_assign_on_iou_matrices():
    iou = torch.tensor([[0.9, 0.5, 0.0], [0.8, 0.7, 0.0]])  # both GTs prefer prior 0
    assert_close(principle1(iou, unique=False), long_tensor([0, 0]), rtol=0, atol=0)
    assert_close(principle1(iou, unique=True), long_tensor([0, 1]), rtol=0, atol=0)  # 0.9 first, then 0.7
    # more GTs than priors: the greedy runs out of priors; GT 1 (0.7) is served before GT 0 (0.5)
    assert_close(principle1(torch.tensor([[0.5], [0.7]]), unique=True), long_tensor([-1, 0]), rtol=0, atol=0)
    # principle 2: prior 0's best is GT 1 (0.7); prior 1's best 0.3 < 0.5; prior 2: GT 1 with 0.55
    gt_index, best = principle2(torch.tensor([[0.6, 0.3, 0.0], [0.7, 0.1, 0.55]]), 0.5)
    assert_close(gt_index, long_tensor([1, -1, 1]), rtol=0, atol=0)
    assert_close(best, torch.tensor([0.7, 0.3, 0.55]))
    # assign: GT 0's best prior is prior 0 at 0.4 < 0.5, and principle 1 still gives it to GT 0
    gt_index, principle, matched = assign(torch.tensor([[0.40, 0.55, 0.0], [0.10, 0.80, 0.0]]), 0.5)
    assert_close(gt_index, long_tensor([0, 1, -1]), rtol=0, atol=0)
    assert_close(principle, long_tensor([1, 1, 0]), rtol=0, atol=0)
    assert_close(matched, torch.tensor([0.40, 0.80, 0.0]))


@pytest.mark.parametrize("unique", [True, False])
def test_padding_slots_are_ignored(unique):
    # image 0 has a padding slot (GT 1) with the highest IoU of all: it must be neither forced
    # onto a prior nor chosen by principle 2
    iou = torch.tensor([[[0.6, 0.2, 0.1], [0.99, 0.9, 0.9]], [[0.1, 0.3, 0.2], [0.2, 0.1, 0.8]]])
    gt_valid = torch.tensor([[True, False], [True, True]])
    assert_close(principle1(iou, unique, gt_valid), long_tensor([[0, -1], [1, 2]]), rtol=0, atol=0)
    gt_index, principle, matched = assign(iou, 0.5, unique, gt_valid)
    assert_close(gt_index, long_tensor([[0, -1, -1], [-1, 0, 1]]), rtol=0, atol=0)
    assert_close(principle, long_tensor([[1, 0, 0], [0, 1, 1]]), rtol=0, atol=0)
    assert_close(matched, torch.tensor([[0.6, 0.2, 0.1], [0.2, 0.3, 0.8]]))


# --- the vectorised code against the loop reference --------------------------------------


def random_image_gts(generator: torch.Generator, count: int, clustered: bool, num_classes: int = 21):
    """``count`` random float64 GTs; ``clustered`` ones are jittered copies of one box, so
    that several GTs often share a best prior."""
    if clustered and count > 0:
        centre = random_boxes(1, generator, dtype=torch.float64, min_size=0.1)  # [1, 4]
        size = centre[:, 2:] - centre[:, :2]  # [1, 2]
        jitter = (torch.rand(count, 4, generator=generator, dtype=torch.float64) - 0.5) * 0.2 * size.repeat(1, 2)
        boxes = (centre + jitter).clamp(0, 1)  # [count, 4]
    else:
        boxes = random_boxes(count, generator, dtype=torch.float64)
    labels = torch.randint(1, num_classes, (count,), generator=generator)
    return boxes, labels


def check_batch_against_single_and_loop(boxes, labels, priors, threshold, unique):
    batch = match_priors_batch(boxes, labels, priors, threshold, unique)
    assert batch.gt_index.shape == (len(boxes), priors.shape[0])
    for b in range(len(boxes)):
        single = match_priors(boxes[b], labels[b], priors, threshold, unique)
        loop = match_loop(boxes[b], labels[b], priors, threshold, unique)
        for name in Match._fields:
            assert_close(getattr(batch, name)[b], getattr(single, name), rtol=0, atol=0)
            # float64 IoU computed with the same operations: equal bit for bit
            assert_close(getattr(batch, name)[b], getattr(loop, name), rtol=0, atol=0)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("unique", [True, False])
def test_batch_equals_single_and_loop_on_tiny_priors(unique, threshold):
    generator = torch.Generator().manual_seed(1000 + int(unique) + int(10 * threshold))
    images = [random_image_gts(generator, count, clustered) for count, clustered in
              [(0, False), (1, False), (3, False), (6, False), (3, True), (5, True)]]
    boxes, labels = [b for b, _ in images], [lb for _, lb in images]
    check_batch_against_single_and_loop(boxes, labels, tiny_detector_priors(torch.float64), threshold, unique)


@pytest.mark.parametrize(("unique", "threshold"), [(True, 0.5), (False, 0.35)])
def test_batch_equals_single_and_loop_on_ssd300_priors(unique, threshold):
    generator = torch.Generator().manual_seed(2000 + int(unique))
    images = [random_image_gts(generator, 3, clustered) for clustered in (False, True)]
    boxes, labels = [b for b, _ in images], [lb for _, lb in images]
    check_batch_against_single_and_loop(boxes, labels, ssd300_priors(dtype=torch.float64), threshold, unique)


@pytest.mark.parametrize("unique", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_batch_equals_single_in_every_dtype_and_device(unique, dtype, device):
    generator = torch.Generator().manual_seed(3000)
    images = [random_image_gts(generator, count, clustered) for count, clustered in [(2, False), (0, False), (4, True)]]
    boxes = [b.to(dtype=dtype, device=device) for b, _ in images]
    labels = [lb.to(device) for _, lb in images]
    priors = tiny_detector_priors(dtype).to(device)
    batch = match_priors_batch(boxes, labels, priors, 0.5, unique)
    assert batch.iou.dtype == dtype and batch.iou.device.type == device
    for b in range(len(boxes)):
        single = match_priors(boxes[b], labels[b], priors, 0.5, unique)
        for name in Match._fields:
            assert_close(getattr(batch, name)[b], getattr(single, name), rtol=0, atol=0)


@needs_cuda
@pytest.mark.parametrize("unique", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_batch_equals_cpu(unique, dtype):
    generator = torch.Generator().manual_seed(3500)
    images = [random_image_gts(generator, count, clustered) for count, clustered in [(3, False), (0, False), (5, True)]]
    boxes, labels = [b.to(dtype) for b, _ in images], [lb for _, lb in images]
    priors = tiny_detector_priors(dtype)
    cpu = match_priors_batch(boxes, labels, priors, 0.5, unique)
    cuda = match_priors_batch([b.cuda() for b in boxes], [lb.cuda() for lb in labels], priors.cuda(), 0.5, unique)
    assert cuda.gt_index.device.type == "cuda"
    for name in Match._fields:
        assert_close(getattr(cuda, name).cpu(), getattr(cpu, name))


def test_greedy_principle1_is_the_argmax_when_best_priors_differ():
    generator = torch.Generator().manual_seed(4000)
    kept = []
    while len(kept) < 25:
        iou = torch.rand(4, 30, generator=generator, dtype=torch.float64)  # [G, P]
        if iou.argmax(dim=1).unique().numel() == 4:  # no two GTs share a best prior
            kept.append(iou)
    iou = torch.stack(kept)  # [25, 4, 30]
    assert_close(principle1(iou, unique=True), iou.argmax(dim=2), rtol=0, atol=0)
    assert_close(principle1(iou, unique=False), iou.argmax(dim=2), rtol=0, atol=0)
    # and a real one: GTs far apart on the 441 priors
    boxes = torch.tensor([[0.0, 0.0, 0.3, 0.3], [0.6, 0.6, 1.0, 1.0], [0.0, 0.6, 0.35, 0.95]], dtype=torch.float64)
    real = gt_prior_iou(boxes, tiny_detector_priors(torch.float64))  # [3, 441]
    assert real.argmax(dim=1).unique().numel() == 3
    assert_close(principle1(real, unique=True), real.argmax(dim=1), rtol=0, atol=0)


# --- properties ----------------------------------------------------------------------------

TINY_PRIORS_64 = tiny_detector_priors(torch.float64)


@st.composite
def xyxy_boxes(draw, min_count: int = 0, max_count: int = 6, around_centre: bool = False) -> torch.Tensor:
    """Valid fractional float64 boxes; ``around_centre`` ones all contain the point (0.5, 0.5)."""
    count = draw(st.integers(min_count, max_count))
    rows = []
    for _ in range(count):
        if around_centre:
            x1, y1 = draw(st.floats(0.0, 0.45)), draw(st.floats(0.0, 0.45))
            x2, y2 = draw(st.floats(0.55, 1.0)), draw(st.floats(0.55, 1.0))
        else:
            x1, y1 = draw(st.floats(0.0, 0.95)), draw(st.floats(0.0, 0.95))
            x2, y2 = draw(st.floats(x1 + 0.02, 1.0)), draw(st.floats(y1 + 0.02, 1.0))
        rows.append([x1, y1, x2, y2])
    return torch.tensor(rows, dtype=torch.float64).reshape(count, 4)


def labels_for(boxes: torch.Tensor) -> torch.Tensor:
    return torch.arange(boxes.shape[0]) % 4 + 1


@settings(max_examples=60, deadline=None)
@given(boxes=xyxy_boxes(min_count=1, max_count=8), threshold=st.floats(0.05, 1.0))
def test_property_unique_gives_every_gt_its_own_prior(boxes, threshold):
    match = match_priors(boxes, labels_for(boxes), TINY_PRIORS_64, threshold, unique=True)
    G = boxes.shape[0]
    assert set(range(G)) <= set(match.gt_index.tolist())  # every GT owns at least one prior
    assert int((match.principle == 1).sum()) == G  # G distinct forced priors
    forced = principle1(gt_prior_iou(boxes, TINY_PRIORS_64), unique=True)
    assert forced.unique().numel() == G and bool((forced >= 0).all())
    assert_close(match.gt_index[forced], torch.arange(G), rtol=0, atol=0)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), threshold=st.floats(0.05, 1.0))
def test_property_unique_with_few_priors(data, threshold):
    priors = xyxy_to_cxcywh(data.draw(xyxy_boxes(min_count=1, max_count=5)))
    boxes = data.draw(xyxy_boxes(min_count=1, max_count=priors.shape[0]))  # G <= P
    match = match_priors(boxes, labels_for(boxes), priors, threshold, unique=True)
    assert set(range(boxes.shape[0])) <= set(match.gt_index.tolist())


@settings(max_examples=60, deadline=None)
@given(boxes=xyxy_boxes(min_count=0, max_count=8), threshold=st.floats(0.05, 1.0), unique=st.booleans())
def test_property_priors_above_threshold_are_positive_and_iou_is_the_matched_one(boxes, threshold, unique):
    match = match_priors(boxes, labels_for(boxes), TINY_PRIORS_64, threshold, unique)
    iou = box_iou(boxes, cxcywh_to_xyxy(TINY_PRIORS_64))  # [G, P]
    best = iou.max(dim=0).values if boxes.shape[0] else torch.zeros(441, dtype=torch.float64)  # [P]
    positive = match.gt_index >= 0
    assert bool(positive[best >= threshold].all())
    assert bool((match.principle[best >= threshold] > 0).all())
    # positives carry their GT's label and IoU, negatives the background and their best IoU
    if boxes.shape[0]:
        assert_close(match.labels[positive], labels_for(boxes)[match.gt_index[positive]], rtol=0, atol=0)
        # principle 2 reports the largest IoU, that of the GT or of one tied with it (within 2**-18)
        assert_close(match.iou[positive], iou[match.gt_index[positive], positive.nonzero().squeeze(1)],
                     rtol=0, atol=2.0**-18)
    assert bool((match.labels[~positive] == BACKGROUND).all())
    assert_close(match.iou[~positive], best[~positive])
    assert bool(((match.principle == 0) == ~positive).all())


@settings(max_examples=60, deadline=None)
@given(data=st.data(), threshold=st.floats(0.05, 1.0))
def test_property_permuting_gts_permutes_gt_index(data, threshold):
    # boxes and priors all contain the image centre, so every IoU is > 0; with all IoUs
    # distinct no tie can depend on the GT order
    priors = xyxy_to_cxcywh(data.draw(xyxy_boxes(min_count=1, max_count=6, around_centre=True)))
    boxes = data.draw(xyxy_boxes(min_count=1, max_count=5, around_centre=True))
    iou = gt_prior_iou(boxes, priors)  # [G, P]
    assume(iou.unique().numel() == iou.numel())
    G = boxes.shape[0]
    permutation = torch.tensor(data.draw(st.permutations(list(range(G)))), dtype=torch.long)
    inverse = torch.empty_like(permutation)
    inverse[permutation] = torch.arange(G)  # new GT inverse[g] is old GT g
    shared_best = iou.argmax(dim=1).unique().numel() < G
    for unique in ([True] if shared_best else [True, False]):  # unique=False depends on GT order when shared
        original = match_priors(boxes, labels_for(boxes), priors, threshold, unique)
        permuted = match_priors(boxes[permutation], labels_for(boxes)[permutation], priors, threshold, unique)
        expected = torch.where(original.gt_index >= 0, inverse[original.gt_index.clamp(min=0)], UNMATCHED)
        assert_close(permuted.gt_index, expected, rtol=0, atol=0)
        assert_close(permuted.labels, original.labels, rtol=0, atol=0)
        assert_close(permuted.principle, original.principle, rtol=0, atol=0)
        assert_close(permuted.iou, original.iou, rtol=0, atol=0)


# --- the "lost GT" of the indexed assignment, in miniature -------------------------------


def test_nearby_gt_pairs_lose_a_gt_only_with_the_indexed_assignment():
    generator = torch.Generator().manual_seed(5000)
    first = random_boxes(2000, generator, dtype=torch.float64, min_size=0.05)  # [2000, 4]
    size = (first[:, 2:] - first[:, :2]).repeat(1, 2)  # [2000, 4]
    shift = (torch.rand(2000, 4, generator=generator, dtype=torch.float64) - 0.5) * 0.3 * size  # [2000, 4]
    second = (first + shift).clamp(0, 1)  # [2000, 4], still x2 > x1: corners move < 15% of the size
    boxes = list(torch.stack((first, second), dim=1))  # 2000 images of [2, 4]
    labels = [torch.tensor([1, 2])] * 2000
    lost = {}
    for unique in (True, False):
        gt_index = match_priors_batch(boxes, labels, TINY_PRIORS_64, 0.5, unique).gt_index  # [2000, 441]
        has_first, has_second = (gt_index == 0).any(dim=1), (gt_index == 1).any(dim=1)  # [2000] each
        lost[unique] = int((~has_first | ~has_second).sum())
        if not unique:
            assert bool(has_second.all())  # the higher index always keeps the shared prior
    assert lost[True] == 0
    assert lost[False] >= 1


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (2, 0, 5), (2, 3, 0)])
def test_principles_accept_empty_iou_matrices(shape):
    iou = torch.zeros(shape)
    G, P = shape[-2:]
    assert principle1(iou).shape == shape[:-1]
    assert (principle1(iou) == UNMATCHED).all()
    gt_index, principle, matched_iou = assign(iou, 0.5)
    assert gt_index.shape == principle.shape == matched_iou.shape == (*shape[:-2], P)
    assert (gt_index == UNMATCHED).all() and (principle == 0).all()


# --- ties: the lowest index wins, whatever the dtype or device ------------------------------


def test_tie_tolerance_is_the_documented_constant_and_the_loop_uses_it():
    from ssd_course import matching
    from tests import reference_loss

    assert matching.TIE_TOLERANCE == 2.0**-18 == reference_loss.TIE_TOLERANCE
    assert "TIE_TOLERANCE" in matching.__doc__ and "lowest index" in matching.__doc__


def test_first_argmax_breaks_ties_within_the_tolerance_by_the_lowest_index():
    from ssd_course.matching import first_argmax

    values = torch.tensor([[0.2, 0.5, 0.5 + 1e-7, 0.1],  # within 2**-18 (3.8e-6): a tie, index 1
                           [0.2, 0.5, 0.5 + 1e-5, 0.1],  # 1e-5 apart: not a tie, index 2
                           [0.7, 0.7, 0.7, 0.7]], dtype=torch.float64)
    assert first_argmax(values, dim=1).tolist() == [1, 2, 0]
    assert first_argmax(values.T, dim=0).tolist() == [1, 2, 0]
    assert 1e-7 < TIE_TOLERANCE < 1e-5


def test_iou_matrix_ties_go_to_the_lowest_index():
    iou = torch.tensor([[0.5, 0.5 + 1e-7, 0.1],
                        [0.5 + 2e-7, 0.5, 0.2]], dtype=torch.float64)  # [G=2, P=3]: every 0.5 ties
    # principle 1: both GTs' best IoU ties, GT 0 is served first and takes prior 0 (lowest);
    # GT 1's best free prior is then prior 1
    assert principle1(iou, unique=True).tolist() == [0, 1]
    assert principle1(iou, unique=False).tolist() == [0, 0]
    # principle 2: priors 0 and 1 tie between the GTs: GT 0; IoU 0.5 - 1e-7 reaches 0.5
    gt_index, _ = principle2(iou, 0.5)
    assert gt_index.tolist() == [0, 0, UNMATCHED]
    below = torch.tensor([[0.5 - 1e-7, 0.5 - 1e-5]], dtype=torch.float64)
    assert principle2(below, 0.5)[0].tolist() == [0, UNMATCHED]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_gt_covering_two_equal_priors_takes_the_lower_index(dtype, device):
    # the whole image (0, 0, 1, 1) covers the left and the right half equally: IoU 0.5 / 1 each
    for order in ([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]], [[0.75, 0.5, 0.5, 1.0], [0.25, 0.5, 0.5, 1.0]]):
        priors = torch.tensor(order, dtype=dtype, device=device)
        box = torch.tensor([[0.0, 0.0, 1.0, 1.0]], dtype=dtype, device=device)
        for threshold in (0.5, 0.7):
            match = match_priors(box, torch.tensor([3], device=device), priors, threshold)
            # prior 0 by principle 1 (lowest index); prior 1 by principle 2 only when 0.5 >= threshold
            expected = [1, 2] if threshold == 0.5 else [1, 0]
            assert match.principle.tolist() == expected


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_two_gts_tied_on_one_prior_the_lower_gt_is_served_first(dtype, device):
    # priors: the whole image, and a small box in the top-left corner (0, 0, 0.1, 0.1)
    priors = torch.tensor([[0.5, 0.5, 1.0, 1.0], [0.05, 0.05, 0.1, 0.1]], dtype=dtype, device=device)
    left, right = [0.0, 0.0, 0.5, 1.0], [0.5, 0.0, 1.0, 1.0]  # IoU 0.5 each with the whole image
    for gts in ([left, right], [right, left]):
        boxes = torch.tensor(gts, dtype=dtype, device=device)
        match = match_priors(boxes, torch.tensor([1, 2], device=device), priors, 0.5)
        # GT 0, whichever half it is, is served first and takes the whole image; GT 1 then gets
        # the only prior left by principle 1 (whatever its IoU, 0.02 or 0)
        assert match.gt_index.tolist() == [0, 1]
        assert match.principle.tolist() == [1, 1]


@pytest.mark.parametrize("dtype", DTYPES)
def test_mirror_symmetric_gt_takes_the_lower_of_two_mirror_priors(dtype):
    priors = tiny_detector_priors(dtype)
    # centred on x = 4/7, the border of the cell columns 3 and 4: the two same-shaped priors of
    # those cells in row 3 overlap it equally (mathematically); rounding makes them differ
    boxes = torch.tensor([[4 / 7 - 0.1, 0.35, 4 / 7 + 0.1, 0.65]], dtype=torch.float64).to(dtype)
    iou = gt_prior_iou(boxes, priors)[0]  # [441]
    shape = int(iou[(3 * 7 + 3) * 9:(3 * 7 + 4) * 9].argmax())  # the best shape in cell (row 3, column 3)
    left, right = (3 * 7 + 3) * 9 + shape, (3 * 7 + 4) * 9 + shape  # it and its mirror in cell (3, 4)
    assert abs(iou[left] - iou[right]) < 1e-6 and iou[left] >= iou.max() - 1e-6
    match = match_priors(boxes, torch.tensor([1]), priors, 0.9)
    assert match.principle[left] == 1 and match.principle[right] == 0


def tie_prone_images(generator: torch.Generator, num_images: int, grid: int) -> list[torch.Tensor]:
    """Float64 GT boxes, 4 per image, built to tie: a box centred in the image, a box and its
    mirror image (x -> 1 - x), a box centred on a border between two cells of a ``grid`` x
    ``grid`` prior map, and a random box."""
    images = []
    for _ in range(num_images):
        u = torch.rand(8, generator=generator, dtype=torch.float64)
        w, h = 0.05 + 0.9 * u[0], 0.05 + 0.9 * u[1]
        centred = [0.5 - w / 2, 0.5 - h / 2, 0.5 + w / 2, 0.5 + h / 2]
        x1, x2 = sorted((0.45 * u[2], 0.45 * u[2] + 0.05 + 0.5 * u[3]))
        y1, y2 = 0.9 * u[4], 0.9 * u[4] + 0.1 * (1 + u[5])
        mirrored = [[x1, y1, x2, y2], [1 - x2, y1, 1 - x1, y2]]
        border = int(1 + (grid - 1) * u[6]) / grid
        half = min(0.05 + 0.3 * u[7], border, 1 - border)
        on_border = [border - half, 0.3, border + half, 0.6]
        random_box = random_boxes(1, generator, dtype=torch.float64)[0].tolist()
        boxes = torch.tensor([centred, *mirrored, on_border, random_box], dtype=torch.float64)
        images.append(boxes.clamp(0, 1)[torch.randperm(5, generator=generator)[:4]])
    return images


@pytest.mark.parametrize(("priors_name", "grid"), [("tiny", 7), ("ssd300", 38)])
@pytest.mark.parametrize("unique", [True, False])
def test_float32_and_float64_match_alike_on_tie_prone_boxes(priors_name, grid, unique, monkeypatch):
    from ssd_course import matching

    generator = torch.Generator().manual_seed(5000 + grid)
    images = tie_prone_images(generator, 400, grid)  # 1,600 boxes
    assert sum(len(b) for b in images) >= 1600
    labels = [torch.arange(1, len(b) + 1) for b in images]
    make = tiny_detector_priors if priors_name == "tiny" else ssd300_priors
    results = {}
    for tolerance in (matching.TIE_TOLERANCE, 0.0):
        monkeypatch.setattr(matching, "TIE_TOLERANCE", tolerance)
        results[tolerance] = [
            match_priors_batch([b.to(dtype) for b in images], labels, make(dtype=dtype), 0.5, unique)
            for dtype in (torch.float32, torch.float64)
        ]
    float32, float64 = results[2.0**-18]
    for name in ("labels", "gt_index", "principle"):
        assert torch.equal(getattr(float32, name), getattr(float64, name)), name
    # the boxes do tie: with a strict comparison (tolerance 0) rounding decides, and the two differ
    strict32, strict64 = results[0.0]
    assert not torch.equal(strict32.gt_index, strict64.gt_index)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tie_prone_boxes_match_the_loop_reference(dtype):
    generator = torch.Generator().manual_seed(5100)
    images = tie_prone_images(generator, 12, 7)
    priors = tiny_detector_priors(dtype)
    labels = [torch.arange(1, len(b) + 1) for b in images]
    batch = match_priors_batch([b.to(dtype) for b in images], labels, priors, 0.5)
    for b in range(len(images)):
        loop = match_loop(images[b], labels[b], priors.double(), 0.5)
        for name in ("labels", "gt_index", "principle"):
            assert torch.equal(getattr(batch, name)[b], getattr(loop, name)), (b, name)


# --- the lesson code (plain_*) equals the batched code ------------------------------------


def tie_heavy_iou(generator: torch.Generator, G: int, P: int) -> torch.Tensor:
    """IoU-like values on a coarse grid (many exact ties), some nudged by 1e-7 (ties within the tolerance)."""
    coarse = torch.randint(0, 9, (G, P), generator=generator).double() / 8  # [G, P]
    nudge = (torch.rand(G, P, generator=generator, dtype=torch.float64) < 0.3) * 1e-7
    return (coarse + nudge).clamp(max=1)


@pytest.mark.parametrize("ties", [True, False])
def test_plain_matching_equals_the_batched_functions(ties):
    from ssd_course.matching import plain_assign, plain_principle1, plain_principle2

    generator = torch.Generator().manual_seed(5200 + int(ties))
    greedy_images = 0
    for _ in range(150):
        G, P = int(torch.randint(0, 7, (1,), generator=generator)), int(torch.randint(1, 12, (1,), generator=generator))
        iou = tie_heavy_iou(generator, G, P) if ties else torch.rand(G, P, generator=generator, dtype=torch.float64)
        threshold = [0.25, 0.5, 0.75][int(torch.randint(0, 3, (1,), generator=generator))]
        forced = plain_principle1(iou)
        assert torch.equal(forced, principle1(iou)), iou
        greedy_images += int(G > 0 and not torch.equal(forced, iou.argmax(dim=1)))
        for plain, fast in zip(plain_principle2(iou, threshold), principle2(iou, threshold)):
            assert torch.equal(plain, fast)
        for plain, fast in zip(plain_assign(iou, threshold), assign(iou, threshold)):
            assert torch.equal(plain, fast)
        # the same image inside a padded batch beside a full one
        padded = torch.cat((iou, torch.zeros(2, P, dtype=torch.float64)))[None].repeat(2, 1, 1)  # [2, G + 2, P]
        padded[1] = torch.rand(G + 2, P, generator=generator, dtype=torch.float64)
        valid = torch.tensor([[True] * G + [False, False], [True] * (G + 2)])
        for plain, fast in zip(plain_assign(iou, threshold), assign(padded, threshold, gt_valid=valid)):
            assert torch.equal(plain, fast[0])
        for plain, fast in zip(plain_assign(padded[1], threshold), assign(padded, threshold, gt_valid=valid)):
            assert torch.equal(plain, fast[1])
    assert greedy_images > 10  # the greedy fix-up, not only the argmax, was compared


@pytest.mark.parametrize("dtype", DTYPES)
def test_plain_matching_on_real_boxes_empty_image_included(dtype):
    from ssd_course.matching import plain_assign

    generator = torch.Generator().manual_seed(5300)
    priors = tiny_detector_priors(dtype)
    images = tie_prone_images(generator, 6, 7) + [torch.zeros(0, 4, dtype=torch.float64)]
    labels = [torch.arange(1, len(b) + 1) for b in images]
    batch = match_priors_batch([b.to(dtype) for b in images], labels, priors, 0.5)
    for b, boxes in enumerate(images):
        gt_index, principle, iou = plain_assign(gt_prior_iou(boxes.to(dtype), priors), 0.5)
        assert torch.equal(gt_index, batch.gt_index[b]) and torch.equal(principle, batch.principle[b])
        assert torch.equal(iou, batch.iou[b])


@pytest.mark.parametrize("block", [1, 3, 4, 128])
def test_near_best_by_blocks_equals_a_comparison_of_every_value(block):
    # principle 1's search for each GT's near-best priors, by blocks of priors: the same
    # (row, prior) pairs as comparing every IoU with its row's maximum, ties across blocks,
    # a last shorter block, a NaN row (no pair) and a -inf row (every prior) included
    from ssd_course.matching import _near_best

    generator = torch.Generator().manual_seed(5500 + block)
    for trial in range(40):
        S, P = int(torch.randint(0, 7, (1,), generator=generator)), int(torch.randint(1, 300, (1,), generator=generator))
        iou = tie_heavy_iou(generator, S, P) if trial % 2 else torch.rand(S, P, generator=generator, dtype=torch.float64)
        if S >= 3:
            iou[1, P // 2] = float("nan")
            iou[2] = float("-inf")
        row_max, row, prior = _near_best(iou, block)
        expected_row, expected_prior = (iou >= iou.amax(dim=1, keepdim=True) - TIE_TOLERANCE).nonzero(as_tuple=True)
        assert_close(row_max, iou.amax(dim=1), rtol=0, atol=0, equal_nan=True)
        assert torch.equal(row, expected_row) and torch.equal(prior, expected_prior), (block, S, P)


@pytest.mark.parametrize("ties", [True, False])
def test_principle1_over_several_blocks_of_priors_equals_the_lesson_code(ties):
    # hundreds of priors, so that the near-best priors of a GT lie in several blocks of 128
    from ssd_course.matching import first_argmax, plain_principle1

    generator = torch.Generator().manual_seed(5600 + int(ties))
    for _ in range(30):
        G, P = int(torch.randint(1, 8, (1,), generator=generator)), int(torch.randint(129, 700, (1,), generator=generator))
        iou = tie_heavy_iou(generator, G, P) if ties else torch.rand(G, P, generator=generator, dtype=torch.float64)
        assert torch.equal(principle1(iou), plain_principle1(iou))
        assert torch.equal(principle1(iou, unique=False), first_argmax(iou, dim=1))


@pytest.mark.parametrize("unique", [True, False])
def test_the_sparse_match_the_loss_uses_names_each_matched_prior_once_with_its_gt(unique):
    # the loss takes the match as a list of places b * P + p with the row of each one's GT:
    # every matched prior of match_priors_batch once, principle 2's places in increasing
    # order, then the num_forced places of principle 1
    from ssd_course.matching import _match_rows, _valid

    generator = torch.Generator().manual_seed(5700 + int(unique))
    priors = tiny_detector_priors().double()
    for _ in range(20):
        counts = torch.randint(0, 6, (4,), generator=generator).tolist()
        boxes = [random_boxes(G, generator, torch.float64) for G in counts]
        labels = [torch.randint(1, 5, (G,), generator=generator) for G in counts]
        match = match_priors_batch(boxes, labels, priors, unique=unique)
        rows, matched = _match_rows(torch.cat(boxes), counts, priors, 0.5, unique)
        place, row, num_forced = matched.place, matched.row, matched.num_forced
        assert place.unique().numel() == place.numel()
        assert torch.equal(place.sort().values, (match.gt_index.reshape(-1) >= 0).nonzero().squeeze(1))
        assert torch.equal(match.gt_index.reshape(-1)[place], rows.slot[row])
        assert torch.equal(torch.cat(labels)[row], match.labels.reshape(-1)[place])
        principle2_place = place[: place.numel() - num_forced]
        assert torch.equal(principle2_place, principle2_place.sort().values)
        assert (match.principle.reshape(-1)[principle2_place] == 2).all()
        assert (match.principle.reshape(-1)[place[place.numel() - num_forced :]] == 1).all()
        assert torch.equal(_valid(counts, place.device), torch.arange(max(max(counts), 1)) < torch.tensor(counts)[:, None])


@pytest.mark.parametrize("best", [0.5 - TIE_TOLERANCE, 0.5, 0.5 + TIE_TOLERANCE / 2])
def test_a_prior_both_principles_match_is_named_once_at_the_edge_of_the_threshold(best):
    # the GT's best prior, IoU best, is forced by principle 1 and reaches principle 2's
    # threshold 0.5 (within the tolerance): the sparse match names it once, as principle 1's
    from ssd_course.matching import _assign_rows, _Rows

    iou = torch.tensor([[[best, 0.1, 0.0]]], dtype=torch.float64)  # [B = 1, G = 1, P = 3]
    matched = _assign_rows(_Rows.of(iou, torch.ones(1, 1, dtype=torch.bool)), 0.5, True)
    assert matched.place.tolist() == [0] and matched.row.tolist() == [0] and matched.num_forced == 1
