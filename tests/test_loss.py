"""Tests of ssd_course.loss: smooth L1, hard negative mining and the MultiBox loss.

Hand-computed values, the loop reference of ``tests/reference_loss.py``, gradients, extreme
inputs, and a few steps of training.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from ssd_course.encoding import encode
from ssd_course.loss import LossParts, MultiBoxLoss, hard_negative_mask, multibox_loss, smooth_l1
from ssd_course.matching import gt_prior_iou, match_priors_batch
from ssd_course.priors import make_priors, tiny_detector_priors
from tests.helpers import DEVICES, DTYPES, random_boxes
from tests.reference_loss import hard_negative_loop, multibox_loss_loop



def needs_cuda(test):
    """Mark a test ``cuda`` and skip it without a CUDA GPU."""
    return pytest.mark.cuda(pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")(test))


TINY_PRIORS_64 = tiny_detector_priors(torch.float64)


# --- smooth L1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_smooth_l1_hand_values(dtype, device):
    x = torch.tensor([0.0, 0.5, -0.5, 0.9, 1.0, -1.0, 2.0, -3.5], dtype=dtype, device=device)
    expected = [
        0.0,
        0.5 * 0.5**2,  # quadratic below 1: 0.125
        0.5 * 0.5**2,
        0.5 * 0.9**2,  # 0.405
        1.0 - 0.5,  # linear from 1 on: |x| - 0.5
        1.0 - 0.5,
        2.0 - 0.5,
        3.5 - 0.5,
    ]
    assert_close(smooth_l1(x).cpu(), torch.tensor(expected, dtype=dtype))


def test_smooth_l1_is_continuous_with_a_continuous_slope_at_one():
    x = torch.tensor([1 - 1e-9, 1.0, 1 + 1e-9, -1 + 1e-9, -1 - 1e-9], dtype=torch.float64, requires_grad=True)
    value = smooth_l1(x)
    assert_close(value.detach(), torch.full((5,), 0.5, dtype=torch.float64), rtol=0, atol=1e-8)
    value.sum().backward()
    # slope x below 1, sign(x) from 1 on: both 1 at x = 1
    assert_close(x.grad, torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0], dtype=torch.float64), rtol=0, atol=1e-8)


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_smooth_l1_equals_torch(beta, dtype):
    x = torch.randn(1000, generator=torch.Generator().manual_seed(1), dtype=torch.float64).to(dtype) * 3
    expected = F.smooth_l1_loss(x, torch.zeros_like(x), reduction="none", beta=beta)
    assert_close(smooth_l1(x, beta=beta), expected)


# --- hard negative mining --------------------------------------------------------------------------


def test_hard_negative_mask_hand_case():
    loss = torch.tensor([[0.1, 5.0, 0.7, 0.3, 0.9, 0.2],
                         [0.4, 0.4, 0.8, 0.1, 0.4, 0.0]])
    positive = torch.tensor([[False, True, False, False, False, False],
                             [False, False, True, False, False, True]])
    # ratio 3, image 0: 1 positive -> 3 negatives, the losses 0.9, 0.7 and 0.3
    # image 1: 2 positives -> 6, but it has only 4 negatives: all of them, never a positive
    expected = torch.tensor([[False, False, True, True, True, False],
                             [True, True, False, True, True, False]])
    assert_close(hard_negative_mask(loss, positive, 3), expected, rtol=0, atol=0)
    # ratio 1: image 0 keeps 0.9; image 1 keeps 2 of the three negatives tied at 0.4, the
    # lower indices 0 and 1 (the positive 0.8 is the highest loss and is not a negative)
    expected = torch.tensor([[False, False, False, False, True, False],
                             [True, True, False, False, False, False]])
    assert_close(hard_negative_mask(loss, positive, 1), expected, rtol=0, atol=0)
    # ratio 0.5: floor(0.5 * 1) = 0 in image 0, floor(0.5 * 2) = 1 in image 1
    expected = torch.tensor([[False, False, False, False, False, False],
                             [True, False, False, False, False, False]])
    assert_close(hard_negative_mask(loss, positive, 0.5), expected, rtol=0, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_hard_negative_mask_ratio_zero_and_infinity(device):
    generator = torch.Generator().manual_seed(2)
    loss = torch.rand(3, 40, generator=generator).to(device)
    positive = (torch.rand(3, 40, generator=generator) < 0.2).to(device)
    positive[2] = False  # an image without a positive keeps no negative, whatever the ratio
    assert not hard_negative_mask(loss, positive, 0).any()
    everything = hard_negative_mask(loss, positive, math.inf)
    assert_close(everything[:2], ~positive[:2], rtol=0, atol=0)
    assert not everything[2].any()


def test_hard_negative_mask_floors_the_exact_product():
    loss = torch.arange(10, 0, -1, dtype=torch.float32).unsqueeze(0)  # [1, 10], decreasing
    positive = (torch.arange(10) == 0).unsqueeze(0)  # one positive
    # floor(2.9999999 * 1) = 2, although 2.9999999 rounds to 3.0 in float32
    assert int(hard_negative_mask(loss, positive, 2.9999999).sum()) == 2
    assert int(hard_negative_mask(loss, positive, 3).sum()) == 3


def test_hard_negative_mask_when_ratio_times_positives_exceeds_the_negatives():
    # 30 positives, 10 negatives, ratio 3: 90 wanted. The defect of one popular implementation
    # counts positives as negatives here; every negative and no positive must be kept.
    loss = torch.linspace(5.0, 0.1, 40).unsqueeze(0)  # the positives have the highest losses
    positive = (torch.arange(40) < 30).unsqueeze(0)
    mask = hard_negative_mask(loss, positive, 3)
    assert_close(mask, ~positive, rtol=0, atol=0)
    assert int(mask.sum()) == 10



def test_hard_negative_mask_ranks_a_loss_of_minus_inf_above_every_positive():
    # a confidence loss is never -inf, but the function takes any loss: a negative of -inf
    # still ranks above the positives (-inf for mining), so the number kept stays exact and
    # no positive is ever kept. Image 0: 1 positive, 2 negatives, ratio 3 -> both negatives.
    loss = torch.tensor([[-math.inf, -math.inf, 1.0], [-math.inf, 2.0, -math.inf]])
    positive = torch.tensor([[True, False, False], [False, False, True]])
    expected = torch.tensor([[False, True, True], [True, True, False]])
    assert torch.equal(hard_negative_mask(loss, positive, 3), expected)
    # ratio 1 in image 1: one of the two negatives, the higher loss 2.0
    assert torch.equal(hard_negative_mask(loss, positive, 1)[1], torch.tensor([False, True, False]))
    # a loss and a mask that are views of other tensors (transposed) give the same
    assert torch.equal(hard_negative_mask(loss.t().contiguous().t(), positive.t().contiguous().t(), 3), expected)

@st.composite
def mining_inputs(draw):
    B = draw(st.integers(1, 3))
    P = draw(st.integers(1, 30))
    # few distinct loss values, so that ties are common
    values = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.floats(0.0, 10.0))
    loss = torch.tensor(draw(st.lists(values, min_size=B * P, max_size=B * P)), dtype=torch.float64)
    positive = torch.tensor(draw(st.lists(st.booleans(), min_size=B * P, max_size=B * P)))
    ratio = draw(st.one_of(st.sampled_from([0, 0.5, 1, 2, 3, 7, math.inf]), st.floats(0.0, 20.0)))
    return loss.reshape(B, P), positive.reshape(B, P), ratio


@settings(max_examples=60, deadline=None)
@given(inputs=mining_inputs())
def test_property_hard_negative_mask(inputs):
    loss, positive, ratio = inputs
    mask = hard_negative_mask(loss, positive, ratio)
    assert mask.shape == loss.shape and mask.dtype == torch.bool
    assert not (mask & positive).any()  # never a positive
    for b in range(loss.shape[0]):
        num_positives, num_negatives = int(positive[b].sum()), int((~positive[b]).sum())
        if num_positives == 0:
            wanted = 0
        elif math.isinf(ratio):
            wanted = num_negatives
        else:
            wanted = min(math.floor(ratio * num_positives), num_negatives)
        assert int(mask[b].sum()) == wanted
        # every kept negative is at least as hard as every dropped one
        kept, dropped = loss[b][mask[b]], loss[b][~mask[b] & ~positive[b]]
        if kept.numel() and dropped.numel():
            assert kept.min() >= dropped.max()
        assert_close(mask[b], hard_negative_loop(loss[b], positive[b], ratio), rtol=0, atol=0)


# --- the MultiBox loss by hand -------------------------------------------------------------------

# Three priors: the left half, the right half and the whole image. One GT (0, 0, 0.6, 1) of class 2:
#   prior 0 = (0, 0, 0.5, 1):  IoU 0.5 / 0.6 = 0.833  -> the positive (its best prior)
#   prior 1 = (0.5, 0, 1, 1):  IoU 0.1 / (0.6 + 0.5 - 0.1) = 0.1
#   prior 2 = (0, 0, 1, 1):    IoU 0.6 / 1 = 0.6 < threshold 0.7 -> negative
HAND_PRIORS = [[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0], [0.5, 0.5, 1.0, 1.0]]
HAND_BOX = [[0.0, 0.0, 0.6, 1.0]]
# logits of classes (background, 1, 2):
#   prior 0, target 2:          log(e^0 + e^0 + e^ln2) - ln 2 = log 4 - log 2 = log 2
#   prior 1, target background: log(1 + 1 + 1) - 0 = log 3
#   prior 2, target background: log(1 + 3 + 1) - 0 = log 5  (the hardest negative)
HAND_SCORES = [[0.0, 0.0, math.log(2)], [0.0, 0.0, 0.0], [0.0, math.log(3), 0.0]]
# the GT as (cx, cy, w, h) = (0.3, 0.5, 0.6, 1.0); prior 0 = (0.25, 0.5, 0.5, 1.0); variances (0.1, 0.2):
HAND_TARGET = [(0.3 - 0.25) / 0.5 / 0.1, (0.5 - 0.5) / 1.0 / 0.1, math.log(0.6 / 0.5) / 0.2, math.log(1.0 / 1.0) / 0.2]
HAND_LOCS = [[0.5, 0.3, 0.0, -2.0], [7.0, 7.0, 7.0, 7.0], [-9.0, 9.0, -9.0, 9.0]]  # negatives: not regressed
# smooth L1 of prior 0's differences (-0.5, 0.3, -0.9116, -2.0): three quadratic, one linear
HAND_LOC = 0.5 * 0.5**2 + 0.5 * 0.3**2 + 0.5 * HAND_TARGET[2] ** 2 + (2.0 - 0.5)


@pytest.mark.parametrize(
    ("neg_pos_ratio", "conf"),
    [
        (0, math.log(2)),  # the positive alone
        (1, math.log(2) + math.log(5)),  # one negative: the hardest, prior 2
        (3, math.log(2) + math.log(5) + math.log(3)),  # min(3 * 1, 2 negatives) = both
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_multibox_loss_by_hand(neg_pos_ratio, conf, dtype, device):
    assert_close(HAND_TARGET[0], 1.0)  # (0.3 - 0.25) / 0.5 / 0.1
    parts = multibox_loss(
        torch.tensor([HAND_LOCS], dtype=dtype, device=device),
        torch.tensor([HAND_SCORES], dtype=dtype, device=device),
        [torch.tensor(HAND_BOX, dtype=dtype, device=device)],
        [torch.tensor([2], device=device)],
        torch.tensor(HAND_PRIORS, dtype=dtype, device=device),
        threshold=0.7,
        neg_pos_ratio=neg_pos_ratio,
        alpha=0.5,
    )
    assert isinstance(parts, LossParts)
    assert parts.num_positives.item() == 1  # N = 1: the sums are the losses
    assert parts.total.dtype == dtype and parts.total.device.type == device
    assert_close(parts.loc.cpu(), torch.tensor(HAND_LOC, dtype=dtype))
    assert_close(parts.conf.cpu(), torch.tensor(conf, dtype=dtype))
    assert_close(parts.total.cpu(), torch.tensor(conf + 0.5 * HAND_LOC, dtype=dtype))


def test_multibox_loss_by_hand_two_positives_divides_by_n():
    # threshold 0.5: prior 2 (IoU 0.6) is a positive too, by principle 2; N = 2
    locs = torch.tensor([HAND_LOCS], dtype=torch.float64)
    scores = torch.tensor([HAND_SCORES], dtype=torch.float64)
    parts = multibox_loss(locs, scores, [torch.tensor(HAND_BOX, dtype=torch.float64)], [torch.tensor([2])],
                          torch.tensor(HAND_PRIORS, dtype=torch.float64), threshold=0.5, neg_pos_ratio=3)
    assert parts.num_positives.item() == 2
    # prior 2, target 2: log(1 + 3 + 1) - 0 = log 5; prior 1 is the only negative: log 3
    assert_close(parts.conf, torch.tensor((math.log(2) + math.log(5) + math.log(3)) / 2, dtype=torch.float64))
    # prior 2 = (0.5, 0.5, 1, 1): targets ((0.3 - 0.5) / 1 / 0.1, 0, log(0.6) / 0.2, log(1) / 0.2)
    target2 = [(0.3 - 0.5) / 1.0 / 0.1, 0.0, math.log(0.6 / 1.0) / 0.2, 0.0]
    loc2 = sum(abs(p - t) - 0.5 if abs(p - t) >= 1 else 0.5 * (p - t) ** 2 for p, t in zip(HAND_LOCS[2], target2))
    assert_close(parts.loc, torch.tensor((HAND_LOC + loc2) / 2, dtype=torch.float64))


# --- the MultiBox loss against the loop -----------------------------------------------------------


def random_batch(seed: int, counts: list[int], num_classes: int, priors: torch.Tensor, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    B, P = len(counts), priors.shape[0]
    boxes = [random_boxes(n, generator, dtype=dtype, min_size=0.05) for n in counts]
    labels = [torch.randint(1, num_classes, (n,), generator=generator) for n in counts]
    locs = torch.randn(B, P, 4, generator=generator, dtype=torch.float64).to(dtype)
    scores = (2 * torch.randn(B, P, num_classes, generator=generator, dtype=torch.float64)).to(dtype)
    return locs, scores, boxes, labels


def assert_parts_equal_loop(parts: LossParts, loop) -> None:
    assert int(parts.num_positives) == loop.num_positives
    assert_close(parts.loc, loop.loc)
    assert_close(parts.conf, loop.conf)
    assert_close(parts.total, loop.total)


@pytest.mark.parametrize(
    ("num_classes", "threshold", "neg_pos_ratio", "alpha", "variances", "unique"),
    [
        (5, 0.5, 3, 1.0, (0.1, 0.2), True),
        (21, 0.5, 3, 1.0, (0.1, 0.2), False),
        (21, 0.35, 1, 0.5, (1.0, 1.0), True),
        (5, 0.7, 0, 2.0, (0.1, 0.2), False),
        (5, 0.45, 2.5, 1.0, (0.2, 0.5), True),
        (21, 0.5, math.inf, 1.0, (0.1, 0.2), True),
    ],
)
def test_multibox_loss_equals_loop_on_tiny_priors(num_classes, threshold, neg_pos_ratio, alpha, variances, unique):
    seed = 100 + num_classes + int(100 * threshold)
    locs, scores, boxes, labels = random_batch(seed, [2, 0, 5], num_classes, TINY_PRIORS_64)
    kwargs = dict(threshold=threshold, neg_pos_ratio=neg_pos_ratio, alpha=alpha, variances=variances, unique=unique)
    parts = multibox_loss(locs, scores, boxes, labels, TINY_PRIORS_64, **kwargs)
    assert int(parts.num_positives) > 0
    assert_parts_equal_loop(parts, multibox_loss_loop(locs, scores, boxes, labels, TINY_PRIORS_64, **kwargs))


def test_multibox_loss_equals_loop_when_negatives_run_out():
    # 8 large priors and many GTs: most priors are positive and 3N exceeds the negatives
    priors = make_priors([2], [[(0.5, 1.0), (0.8, 1.0)]], dtype=torch.float64)  # [8, 4]
    locs, scores, boxes, labels = random_batch(7, [4, 1, 6], 4, priors)
    positive = match_priors_batch(boxes, labels, priors, threshold=0.3).gt_index >= 0  # [3, 8]
    assert bool((3 * positive.sum(dim=1) > (~positive).sum(dim=1)).any())
    for unique in (True, False):
        parts = multibox_loss(locs, scores, boxes, labels, priors, threshold=0.3, unique=unique)
        loop = multibox_loss_loop(locs, scores, boxes, labels, priors, threshold=0.3, unique=unique)
        assert_parts_equal_loop(parts, loop)


@pytest.mark.parametrize("neg_pos_ratio", [3, math.inf])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_no_positive_gives_exactly_zero_and_zero_gradients(neg_pos_ratio, dtype, device):
    P = TINY_PRIORS_64.shape[0]
    locs = torch.randn(2, P, 4, dtype=dtype, device=device, requires_grad=True)
    scores = torch.randn(2, P, 5, dtype=dtype, device=device, requires_grad=True)
    boxes = [torch.zeros(0, 4, dtype=dtype, device=device)] * 2
    labels = [torch.zeros(0, dtype=torch.long, device=device)] * 2
    parts = multibox_loss(locs, scores, boxes, labels, TINY_PRIORS_64.to(dtype=dtype, device=device),
                          neg_pos_ratio=neg_pos_ratio)
    assert int(parts.num_positives) == 0
    for value in (parts.total, parts.loc, parts.conf):
        assert value.item() == 0.0
    parts.total.backward()
    assert locs.grad is not None and scores.grad is not None
    assert not locs.grad.any() and not scores.grad.any()


def test_image_without_gt_adds_nothing_to_the_batch():
    locs, scores, boxes, labels = random_batch(11, [3, 0, 2], 5, TINY_PRIORS_64)
    with_empty = multibox_loss(locs, scores, boxes, labels, TINY_PRIORS_64)
    keep = [0, 2]
    without = multibox_loss(locs[keep], scores[keep], [boxes[0], boxes[2]], [labels[0], labels[2]], TINY_PRIORS_64)
    # the empty image has no positive, so no negative is mined in it either
    assert int(with_empty.num_positives) == int(without.num_positives) > 0
    for name in ("total", "loc", "conf"):
        assert_close(getattr(with_empty, name), getattr(without, name))
    assert_parts_equal_loop(with_empty, multibox_loss_loop(locs, scores, boxes, labels, TINY_PRIORS_64))


def test_permuting_gts_leaves_the_loss_unchanged():
    locs, scores, boxes, labels = random_batch(12, [4, 6], 5, TINY_PRIORS_64)
    for image_boxes in boxes:  # no tie: no prior has exactly the same non-zero IoU with two GTs
        iou = gt_prior_iou(image_boxes, TINY_PRIORS_64)  # [G, P]
        for p in range(iou.shape[1]):
            column = iou[:, p][iou[:, p] > 0]
            assert column.unique().numel() == column.numel()
    generator = torch.Generator().manual_seed(13)
    orders = [torch.randperm(b.shape[0], generator=generator) for b in boxes]
    original = multibox_loss(locs, scores, boxes, labels, TINY_PRIORS_64)
    permuted = multibox_loss(locs, scores, [b[o] for b, o in zip(boxes, orders)],
                             [lb[o] for lb, o in zip(labels, orders)], TINY_PRIORS_64)
    assert int(original.num_positives) == int(permuted.num_positives)
    for name in ("total", "loc", "conf"):
        assert_close(getattr(permuted, name), getattr(original, name))


# --- the module ---------------------------------------------------------------------------------------


def test_module_equals_function_and_moves_its_priors():
    locs, scores, boxes, labels = random_batch(14, [2, 3], 5, TINY_PRIORS_64)
    kwargs = dict(threshold=0.4, neg_pos_ratio=2, alpha=0.7, variances=(0.1, 0.2), unique=False)
    criterion = MultiBoxLoss(tiny_detector_priors(), **kwargs)
    assert criterion.priors_cxcy.dtype == torch.float32
    criterion = criterion.to(torch.float64)
    assert criterion.priors_cxcy.dtype == torch.float64
    expected = multibox_loss(locs, scores, boxes, labels, tiny_detector_priors().double(), **kwargs)
    total = criterion(locs, scores, boxes, labels)  # called like the study guide's MultiBoxLoss
    assert total.shape == ()
    assert_close(total, expected.total, rtol=0, atol=0)
    parts = criterion.parts(locs, scores, boxes, labels)
    for name in LossParts._fields:
        assert_close(getattr(parts, name), getattr(expected, name), rtol=0, atol=0)
    # the module keeps its own copy of the priors
    priors = tiny_detector_priors(torch.float64)
    module = MultiBoxLoss(priors)
    priors.zero_()
    assert bool((module.priors_cxcy[:, 2:] > 0).all())


# --- gradients ------------------------------------------------------------------------------------------


def test_gradcheck():
    priors = make_priors([2], [[(0.5, 1.0), (0.7, 2.0)]], dtype=torch.float64)  # [8, 4]
    generator = torch.Generator().manual_seed(15)
    boxes = [torch.tensor([[0.05, 0.1, 0.45, 0.5]], dtype=torch.float64),
             torch.tensor([[0.5, 0.4, 0.95, 0.9]], dtype=torch.float64)]
    labels = [torch.tensor([1]), torch.tensor([2])]
    locs = (0.3 * torch.randn(2, 8, 4, generator=generator, dtype=torch.float64)).requires_grad_()
    scores = (1.5 * torch.randn(2, 8, 3, generator=generator, dtype=torch.float64)).requires_grad_()
    # the mined negatives must not change under a perturbation of eps = 1e-6: the background
    # losses of the negatives are at least 1e-3 apart; and no offset difference sits at the
    # smooth L1 kink, |difference| = 1
    match = match_priors_batch(boxes, labels, priors)
    positive = match.gt_index >= 0  # [2, 8]
    assert 0 < int(positive.sum()) < 16
    for b in range(2):
        targets = encode(boxes[b][match.gt_index[b][positive[b]]], priors[positive[b]])  # [positives, 4]
        assert bool((((locs.detach()[b][positive[b]] - targets).abs() - 1).abs() > 1e-3).all())
    background_loss = F.cross_entropy(scores.detach().reshape(16, 3), torch.zeros(16, dtype=torch.long),
                                      reduction="none").reshape(2, 8)
    for b in range(2):
        gaps = background_loss[b][~positive[b]].sort().values.diff()
        assert bool((gaps > 1e-3).all())

    def total(predicted_locs, predicted_scores):
        return multibox_loss(predicted_locs, predicted_scores, boxes, labels, priors, neg_pos_ratio=1).total

    # fast mode: finite differences along random directions, a handful of evaluations
    assert torch.autograd.gradcheck(total, (locs, scores), eps=1e-6, atol=1e-5, fast_mode=True)
    total(locs, scores).backward()
    # rows of the softmax gradient sum to 0; the priors left out of the loss get no gradient
    assert_close(scores.grad.sum(dim=-1), torch.zeros(2, 8, dtype=torch.float64), rtol=0, atol=1e-12)
    assert (scores.grad.abs().sum(dim=-1) == 0).any()
    assert not locs.grad[~positive].any()


# --- extreme inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_huge_logits_stay_finite(dtype):
    generator = torch.Generator().manual_seed(16)
    locs, _, boxes, labels = random_batch(16, [3, 1], 5, TINY_PRIORS_64, dtype=dtype)
    signs = torch.randint(0, 2, (2, 441, 5), generator=generator).to(dtype) * 2 - 1
    scores = (1e4 * signs).requires_grad_()
    locs.requires_grad_()
    parts = multibox_loss(locs, scores, boxes, labels, TINY_PRIORS_64.to(dtype))
    for value in (parts.total, parts.loc, parts.conf):
        assert torch.isfinite(value)
    assert parts.conf > 1e3  # some priors are confidently wrong: a loss of about 2e4 each
    parts.total.backward()
    assert torch.isfinite(scores.grad).all() and torch.isfinite(locs.grad).all()


def test_float16_inputs_stay_finite():
    locs, scores, boxes, labels = random_batch(17, [3, 2], 5, TINY_PRIORS_64, dtype=torch.float16)
    locs.requires_grad_()
    scores.requires_grad_()
    parts = multibox_loss(locs, scores, boxes, labels, tiny_detector_priors(torch.float16))
    assert parts.total.dtype == torch.float32  # upcast for the log-softmax and the log sizes
    assert torch.isfinite(parts.total) and int(parts.num_positives) > 0
    parts.total.backward()
    assert torch.isfinite(locs.grad.float()).all() and torch.isfinite(scores.grad.float()).all()
    reference = multibox_loss(locs.detach().double(), scores.detach().double(),
                              [b.double() for b in boxes], labels, tiny_detector_priors(torch.float16).double())
    assert_close(parts.total.double(), reference.total, rtol=1e-3, atol=1e-3)


def test_cpu_bfloat16_autocast_stays_finite():
    torch.manual_seed(18)
    features = torch.randn(2, 441, 16)
    loc_head, score_head = torch.nn.Linear(16, 4), torch.nn.Linear(16, 5)
    _, _, boxes, labels = random_batch(18, [2, 3], 5, TINY_PRIORS_64, dtype=torch.float32)
    criterion = MultiBoxLoss(tiny_detector_priors())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        locs, scores = loc_head(features), score_head(features)
        assert scores.dtype == torch.bfloat16
        parts = criterion.parts(locs, scores, boxes, labels)
    assert torch.isfinite(parts.total) and int(parts.num_positives) > 0
    parts.total.backward()
    for parameter in (*loc_head.parameters(), *score_head.parameters()):
        assert torch.isfinite(parameter.grad).all()


def test_loss_decreases_with_sgd():
    torch.manual_seed(19)
    features = torch.randn(2, 441, 8)
    loc_head, score_head = torch.nn.Linear(8, 4), torch.nn.Linear(8, 5)
    _, _, boxes, labels = random_batch(19, [2, 3], 5, TINY_PRIORS_64, dtype=torch.float32)
    criterion = MultiBoxLoss(tiny_detector_priors())
    optimizer = torch.optim.SGD([*loc_head.parameters(), *score_head.parameters()], lr=0.05)
    losses = []
    for _ in range(6):
        optimizer.zero_grad()
        loss = criterion(loc_head(features), score_head(features), boxes, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


# --- CUDA ----------------------------------------------------------------------------------------------


@needs_cuda
@pytest.mark.parametrize("neg_pos_ratio", [3, math.inf])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_loss_equals_cpu(neg_pos_ratio, dtype):
    locs, scores, boxes, labels = random_batch(20, [3, 0, 5], 21, TINY_PRIORS_64, dtype=dtype)
    priors = tiny_detector_priors(dtype)
    cpu = multibox_loss(locs, scores, boxes, labels, priors, neg_pos_ratio=neg_pos_ratio)
    cuda = multibox_loss(locs.cuda(), scores.cuda(), [b.cuda() for b in boxes], [lb.cuda() for lb in labels],
                         priors.cuda(), neg_pos_ratio=neg_pos_ratio)
    assert cuda.total.device.type == "cuda"
    for name in LossParts._fields:
        assert_close(getattr(cuda, name).cpu(), getattr(cpu, name))


@needs_cuda
def test_cuda_float16_autocast_stays_finite():
    torch.manual_seed(21)
    features = torch.randn(2, 441, 16, device="cuda")
    loc_head, score_head = torch.nn.Linear(16, 4).cuda(), torch.nn.Linear(16, 5).cuda()
    _, _, boxes, labels = random_batch(21, [2, 3], 5, TINY_PRIORS_64, dtype=torch.float32)
    criterion = MultiBoxLoss(tiny_detector_priors()).to("cuda")
    with torch.autocast("cuda", dtype=torch.float16):
        locs, scores = loc_head(features), score_head(features)
        assert scores.dtype == torch.float16
        parts = criterion.parts(locs, scores, [b.cuda() for b in boxes], [lb.cuda() for lb in labels])
    assert torch.isfinite(parts.total) and int(parts.num_positives) > 0
    parts.total.backward()
    for parameter in (*loc_head.parameters(), *score_head.parameters()):
        assert torch.isfinite(parameter.grad).all()


@needs_cuda
def test_cuda_module_moves_its_priors():
    locs, scores, boxes, labels = random_batch(22, [2, 1], 5, TINY_PRIORS_64, dtype=torch.float32)
    criterion = MultiBoxLoss(tiny_detector_priors()).to("cuda")
    assert criterion.priors_cxcy.device.type == "cuda"
    total = criterion(locs.cuda(), scores.cuda(), [b.cuda() for b in boxes], [lb.cuda() for lb in labels])
    assert total.device.type == "cuda"
    assert_close(total.cpu(), MultiBoxLoss(tiny_detector_priors())(locs, scores, boxes, labels))


# --- the lesson code (plain_*) equals the batched code ------------------------------------------


def test_plain_hard_negative_mask_equals_the_batched_one():
    from ssd_course.loss import plain_hard_negative_mask

    generator = torch.Generator().manual_seed(900)
    for trial in range(200):
        P = int(torch.randint(1, 40, (1,), generator=generator))
        # coarse losses: many exact ties, which both must break by the lower prior index
        conf = torch.randint(0, 5, (P,), generator=generator).double() / 4 if trial % 2 else torch.rand(P, generator=generator)
        positive = torch.rand(P, generator=generator) < [0.0, 0.1, 0.5, 1.0][trial % 4]
        ratio = [0, 1, 3, 2.5, math.inf][trial % 5]
        expected = hard_negative_mask(conf[None], positive[None], ratio)[0]
        assert torch.equal(plain_hard_negative_mask(conf, positive, ratio), expected), (conf, positive, ratio)


@pytest.mark.parametrize("counts", [[2, 0, 5, 1], [0, 0], [3, 3, 3]])
@pytest.mark.parametrize("dtype", DTYPES)
def test_plain_multibox_loss_equals_the_batched_one_with_its_gradients(counts, dtype):
    from ssd_course.loss import plain_multibox_loss

    priors = tiny_detector_priors(dtype)
    locs, scores, boxes, labels = random_batch(950 + len(counts), counts, 6, priors, dtype)
    # ties: a GT box centred on a cell border (two mirror priors tie) and two images alike
    if counts[0]:
        boxes[0][0] = torch.tensor([4 / 7 - 0.1, 0.35, 4 / 7 + 0.1, 0.65], dtype=dtype)
    scores[:, ::5] = 0.0  # equal logits: many equal confidence losses for the mining
    results = []
    for function in (plain_multibox_loss, multibox_loss):
        predicted_locs, predicted_scores = locs.clone().requires_grad_(), scores.clone().requires_grad_()
        for ratio in (3, 1):
            parts = function(predicted_locs, predicted_scores, boxes, labels, priors, neg_pos_ratio=ratio, alpha=0.7)
            parts.total.backward()
            results.append((parts, predicted_locs.grad.clone(), predicted_scores.grad.clone()))
    for (plain, *plain_grads), (fast, *fast_grads) in zip(results[:2], results[2:]):
        assert int(plain.num_positives) == int(fast.num_positives)
        for name in ("total", "loc", "conf"):
            assert_close(getattr(plain, name), getattr(fast, name))
        for plain_grad, fast_grad in zip(plain_grads, fast_grads):
            assert_close(plain_grad, fast_grad)


# --- non-finite predictions ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", ["predicted_locs", "predicted_scores"])
def test_non_finite_predictions_name_the_tensor_image_and_prior(bad, name):
    locs, scores, boxes, labels = random_batch(990, [1, 2, 1], 5, TINY_PRIORS_64)
    inputs = {"predicted_locs": locs, "predicted_scores": scores}
    inputs[name][2, 300, 1] = bad
    inputs[name][2, 301, 0] = bad  # a later one is not the one named
    message = rf"{name} must be finite; got {bad!r} in image 2, prior 300, column 1 \(the first non-finite value: " \
              rf"{name}\[2, 300\]\).*check_finite=False"
    with pytest.raises(ValueError, match=message):
        multibox_loss(locs, scores, boxes, labels, TINY_PRIORS_64)
    with pytest.raises(ValueError, match=message):
        MultiBoxLoss(TINY_PRIORS_64)(locs, scores, boxes, labels)
    # unchecked, the loss is computed; a NaN score of a kept prior (every negative is kept) makes it NaN
    unchecked = multibox_loss(locs, scores, boxes, labels, TINY_PRIORS_64, check_finite=False, neg_pos_ratio=math.inf)
    module = MultiBoxLoss(TINY_PRIORS_64, check_finite=False, neg_pos_ratio=math.inf)(locs, scores, boxes, labels)
    if name == "predicted_scores" and math.isnan(bad):
        assert unchecked.total.isnan() and module.isnan()


def test_huge_finite_predictions_pass_the_finite_check():
    from ssd_course._validate import check_finite_predictions

    huge = torch.full((2, 3, 4), 1e308, dtype=torch.float64)  # their sum overflows to inf, yet each is finite
    assert not torch.isfinite(huge.sum())
    check_finite_predictions(predicted_scores=huge)  # no error
    huge[1, 2, 3] = math.inf
    with pytest.raises(ValueError, match=r"predicted_scores must be finite; got inf in image 1, prior 2, column 3"):
        check_finite_predictions(predicted_scores=huge)


# --- targets get no gradient -------------------------------------------------------------------


def test_boxes_and_priors_requiring_grad_receive_no_gradient():
    locs, scores, boxes, labels = random_batch(992, [2, 1], 5, TINY_PRIORS_64)
    boxes = [b.clone().requires_grad_() for b in boxes]
    priors = TINY_PRIORS_64.clone().requires_grad_()
    predicted_locs = locs.requires_grad_()
    multibox_loss(predicted_locs, scores, boxes, labels, priors).total.backward()
    assert predicted_locs.grad is not None
    assert all(b.grad is None for b in boxes) and priors.grad is None


# --- the confidence loss that mining ranks, a slice at a time -------------------------------------


@pytest.mark.filterwarnings("error")  # e.g. an output resized because a slice's length is wrong
@pytest.mark.parametrize("slice_size", [1, 50, 2**18])
@pytest.mark.parametrize("device", DEVICES)
def test_ranking_loss_in_slices_equals_the_background_loss_and_finds_the_first_non_finite_score(slice_size, device):
    # slice_size 1: one prior per slice; 50: 10 priors of C = 5 (the last slice shorter); on a
    # GPU, one slice
    from ssd_course.loss import _ranking_loss, confidence_loss

    generator = torch.Generator().manual_seed(2500)
    scores = (3 * torch.randn(3, 37, 5, generator=generator)).to(device)
    background = torch.zeros(3, 37, dtype=torch.long, device=device)  # every prior as a negative
    for dtype in DTYPES:
        expected = confidence_loss(scores.to(dtype), background)
        assert torch.equal(_ranking_loss(scores, dtype, True, slice_size), expected)
        assert torch.equal(expected, -torch.log_softmax(scores.to(dtype), dim=2)[..., 0])  # -log p(background)
    half = scores.half()  # autocast's float16 is read in float32, as confidence_loss does
    assert torch.equal(_ranking_loss(half, torch.float32, True, slice_size), confidence_loss(half, background))
    huge = torch.full((2, 3, 4), 1e308, dtype=torch.float64, device=device)  # finite, however large: no error
    _ranking_loss(huge, torch.float64, True, slice_size)
    spread = torch.tensor([[[1e200, -1e200, 0.0]]], dtype=torch.float64, device=device)  # its squares overflow: no error
    assert torch.equal(_ranking_loss(spread, torch.float64, True, slice_size), spread.new_zeros(1, 1))
    scores[2, 30, 4] = -math.inf
    scores[2, 31, 0] = math.nan  # a later one is not the one named
    with pytest.raises(ValueError, match=r"predicted_scores must be finite; got -inf in image 2, prior 30, column 4"):
        _ranking_loss(scores, torch.float32, True, slice_size)
    unchecked = _ranking_loss(scores, torch.float32, False, slice_size)  # no error
    assert unchecked[2, 31].isnan() and unchecked[:2].isfinite().all()
