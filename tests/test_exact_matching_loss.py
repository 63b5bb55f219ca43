"""Exact behaviour of matching and the loss: boundaries, tolerances, defaults, input types.

Each test states one rule at the value where a slip (``>`` for ``>=``, a changed default, a
dropped check) would change the answer.
"""

from __future__ import annotations

import pytest
import torch

from ssd_course import loss, matching
from ssd_course.matching import TIE_TOLERANCE

F64 = torch.float64


# ---------------------------------------------------------------------------------------------
# Matching: the tie tolerance and the threshold are inclusive


def test_first_argmax_counts_a_value_exactly_the_tolerance_below_the_maximum_as_a_tie():
    values = torch.tensor([1.0 - TIE_TOLERANCE, 1.0], dtype=F64)
    assert int(matching.first_argmax(values)) == 0
    values = torch.tensor([1.0 - 2 * TIE_TOLERANCE, 1.0], dtype=F64)
    assert int(matching.first_argmax(values)) == 1


def test_first_argmax_works_along_the_last_dimension_by_default():
    values = torch.tensor([[0.1, 0.9, 0.3], [0.8, 0.2, 0.8]])
    assert matching.first_argmax(values).tolist() == [1, 0]
    assert matching.first_argmax(values, dim=0).tolist() == [1, 0, 1]


def test_principle1_ties_include_the_tolerance_boundary():
    iou = torch.tensor([[0.75 - TIE_TOLERANCE, 0.75, 0.1]], dtype=F64)  # [G=1, P=3]
    assert matching.principle1(iou).tolist() == [0]
    assert matching.plain_principle1(iou).tolist() == [0]


@pytest.mark.parametrize("iou_value", [0.5, 0.5 - TIE_TOLERANCE])
def test_an_iou_at_the_threshold_reaches_it(iou_value):
    iou = torch.tensor([[iou_value, 0.2]], dtype=F64)  # [G=1, P=2]
    for gt_index, _ in (matching.principle2(iou, 0.5), matching.plain_principle2(iou, 0.5)):
        assert gt_index.tolist() == [0, matching.UNMATCHED]


def test_an_iou_just_below_the_tolerance_does_not_reach_the_threshold():
    iou = torch.tensor([[0.5 - 2 * TIE_TOLERANCE, 0.2]], dtype=F64)
    for gt_index, _ in (matching.principle2(iou, 0.5), matching.plain_principle2(iou, 0.5)):
        assert gt_index.tolist() == [matching.UNMATCHED, matching.UNMATCHED]


def test_matching_threshold_defaults_to_one_half():
    iou = torch.tensor([[0.7, 0.55, 0.45, 0.0]])  # [G=1, P=4]: 0.55 passes 0.5, not 0.6 nor 1.0
    assert matching.principle2(iou)[0].tolist() == matching.principle2(iou, 0.5)[0].tolist() == [0, 0, -1, -1]
    assert matching.plain_principle2(iou)[0].tolist() == [0, 0, -1, -1]
    assert matching.assign(iou)[0].tolist() == matching.assign(iou, 0.5)[0].tolist()
    assert matching.plain_assign(iou)[0].tolist() == [0, 0, -1, -1]
    boxes = torch.tensor([[0.0, 0.0, 0.5, 0.5]])
    priors_cxcy = torch.tensor([[0.25, 0.25, 0.5, 0.5], [0.3, 0.25, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]])
    default = matching.match_priors_batch([boxes], [torch.tensor([1])], priors_cxcy)
    explicit = matching.match_priors_batch([boxes], [torch.tensor([1])], priors_cxcy, threshold=0.5)
    assert torch.equal(default.gt_index, explicit.gt_index)
    assert default.gt_index.tolist() == [[0, 0, -1]]  # IoUs 1, 0.6667 and 0.25


def test_a_gt_row_without_any_iou_gets_no_prior_and_takes_none_from_the_others():
    # a row of -inf (a padding slot written as -inf, never an IoU) beside an ordinary GT
    iou = torch.tensor([[float("-inf"), float("-inf"), float("-inf")], [0.2, 0.9, 0.4]])
    assert matching.principle1(iou).tolist() == [matching.UNMATCHED, 1]
    iou = torch.tensor([[0.2, 0.9, 0.4], [float("-inf"), float("-inf"), float("-inf")], [0.3, 0.8, 0.1]])
    assert matching.principle1(iou).tolist() == [1, matching.UNMATCHED, 0]


def test_count_matches_of_a_batch_counts_each_image():
    match = matching.Match(labels=torch.tensor([[1, 1, 0], [2, 0, 2]]),
                           gt_index=torch.tensor([[0, 0, -1], [1, -1, 0]]),
                           iou=torch.zeros(2, 3), principle=torch.tensor([[1, 2, 0], [1, 0, 2]]))
    counts = matching.count_matches(match, 2)
    assert counts.shape == (2, 2, 2)
    assert counts.tolist() == [[[1, 1], [0, 0]], [[0, 1], [1, 0]]]


# ---------------------------------------------------------------------------------------------
# Input types are checked by name, and before any value

PRIORS = torch.full((3, 4), 0.5)  # three valid priors
REVERSED_BOX = torch.tensor([[0.6, 0.6, 0.2, 0.2]])  # x2 < x1 and y2 < y1: its values are wrong too


@pytest.mark.parametrize(("call", "message"), [
    (lambda: matching.match_priors(torch.tensor([[0, 0, 1, 1]]), torch.tensor([1]), PRIORS),
     "^boxes must be a floating-point tensor; got dtype torch.int64$"),
    (lambda: matching.match_priors(REVERSED_BOX, torch.tensor([1]), torch.ones(3, 4, dtype=torch.long)),
     "^priors_cxcy must be a floating-point tensor; got dtype torch.int64$"),
    (lambda: matching.match_priors(REVERSED_BOX, torch.tensor([1.0]), PRIORS),
     r"^labels must be an integer tensor \(class labels, e.g. torch.int64\); got dtype torch.float32$"),
    (lambda: matching.match_priors_batch([REVERSED_BOX], [torch.tensor([1])], torch.ones(3, 4, dtype=torch.long)),
     "^priors_cxcy must be a floating-point tensor; got dtype torch.int64$"),
    (lambda: matching.gt_prior_iou(REVERSED_BOX, torch.ones(3, 4, dtype=torch.long)),
     "^priors_cxcy must be a floating-point tensor; got dtype torch.int64$"),
    (lambda: matching.principle1(torch.ones(2, 3, dtype=torch.long)), "^iou must be a floating-point tensor"),
    (lambda: matching.principle2(torch.ones(2, 3, dtype=torch.long)), "^iou must be a floating-point tensor"),
], ids=["boxes int", "priors int", "labels float", "batch priors int", "iou priors int", "principle1 int",
        "principle2 int"])
def test_matching_rejects_the_wrong_number_type(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_matching_rejects_an_iou_without_a_gt_dimension_and_a_wrong_gt_valid():
    with pytest.raises(ValueError, match="iou"):
        matching.principle1(torch.rand(3))
    with pytest.raises(ValueError, match="gt_valid"):
        matching.principle1(torch.rand(2, 3), gt_valid=torch.ones(2))
    with pytest.raises(ValueError, match="gt_valid"):
        matching.principle1(torch.rand(2, 3), gt_valid=torch.ones(3, dtype=torch.bool))


@pytest.mark.parametrize("call", [
    lambda: loss.smooth_l1(torch.tensor([1, 2])),
    lambda: loss.confidence_loss(torch.zeros(1, 2, 3, dtype=torch.long), torch.zeros(1, 2, dtype=torch.long)),
    lambda: loss.confidence_loss(torch.zeros(1, 2, 3), torch.zeros(1, 2)),
    lambda: loss.hard_negative_mask(torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 4, dtype=torch.bool)),
    lambda: loss.multibox_loss(torch.zeros(1, 2, 4, dtype=torch.long), torch.zeros(1, 2, 3), [torch.zeros(0, 4)],
                               [torch.zeros(0, dtype=torch.long)], torch.rand(2, 4) + 0.1),
    lambda: loss.multibox_loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 3), [torch.zeros(0, 4)],
                               [torch.zeros(0, dtype=torch.long)], torch.ones(2, 4, dtype=torch.long)),
], ids=["smooth_l1 int", "scores int", "labels float", "conf_loss int", "locs int", "priors int"])
def test_the_loss_rejects_the_wrong_number_type(call):
    with pytest.raises((TypeError, ValueError)):
        call()


def test_confidence_loss_rejects_labels_of_another_shape():
    with pytest.raises(ValueError, match="labels must have shape"):
        loss.confidence_loss(torch.zeros(1, 2, 3), torch.zeros(1, 3, dtype=torch.long))


@pytest.mark.parametrize("positive", [torch.zeros(1, 4), torch.zeros(1, 3, dtype=torch.bool)], ids=["float", "shape"])
def test_hard_negative_mask_rejects_a_positive_mask_that_is_not_bool_or_not_shaped_like_the_loss(positive):
    with pytest.raises(ValueError, match="positive must be a bool tensor"):
        loss.hard_negative_mask(torch.rand(1, 4), positive)



def test_hard_negative_mask_rejects_integer_losses():
    with pytest.raises(ValueError, match="conf_loss must be a floating-point tensor; got dtype torch.int64"):
        loss.hard_negative_mask(torch.tensor([[1, 2, 3]]), torch.tensor([[True, False, False]]))

def test_the_loss_needs_two_classes_and_accepts_exactly_two():
    priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
    boxes, labels = [torch.tensor([[0.0, 0.0, 0.5, 1.0]])], [torch.tensor([1])]
    parts = loss.multibox_loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 2), boxes, labels, priors_cxcy)
    assert torch.isclose(parts.conf, 2 * torch.log(torch.tensor(2.0)))  # both priors at log 2, N = 1
    with pytest.raises(ValueError, match="predicted_scores"):
        loss.multibox_loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 1), boxes, [torch.tensor([0])], priors_cxcy)


# ---------------------------------------------------------------------------------------------
# Mining: empty batches, ties at the cut, defaults


def test_hard_negative_mask_of_an_empty_batch_or_without_positives():
    assert loss.hard_negative_mask(torch.zeros(0, 5), torch.zeros(0, 5, dtype=torch.bool)).shape == (0, 5)
    assert not loss.hard_negative_mask(torch.rand(2, 5), torch.zeros(2, 5, dtype=torch.bool)).any()


@pytest.mark.parametrize("seed", range(40))
def test_mining_with_many_tied_losses_equals_the_lesson_code(seed):
    generator = torch.Generator().manual_seed(seed)
    B, P = 4, 12
    conf = torch.randint(0, 3, (B, P), generator=generator).to(F64)  # only three distinct losses: ties everywhere
    positive = torch.rand(B, P, generator=generator) < 0.25
    ratio = [0.5, 1, 2, 3, 10][seed % 5]
    fast = loss.hard_negative_mask(conf, positive, ratio)
    lesson = torch.stack([loss.plain_hard_negative_mask(conf[b], positive[b], ratio) for b in range(B)])
    assert torch.equal(fast, lesson)


def test_mining_defaults_to_three_negatives_per_positive():
    conf = torch.arange(10, dtype=F64).unsqueeze(0)  # [1, 10], losses 0..9
    positive = torch.zeros(1, 10, dtype=torch.bool)
    positive[0, 0] = True
    assert int(loss.hard_negative_mask(conf, positive).sum()) == 3
    assert int(loss.plain_hard_negative_mask(conf[0], positive[0]).sum()) == 3


def test_the_lesson_loss_defaults_are_the_studied_ones():
    generator = torch.Generator().manual_seed(3)
    priors_cxcy = torch.tensor([[0.25, 0.25, 0.5, 0.5], [0.75, 0.25, 0.5, 0.5], [0.25, 0.75, 0.5, 0.5],
                                [0.75, 0.75, 0.5, 0.5], [0.5, 0.5, 0.4, 0.4], [0.5, 0.5, 0.8, 0.8]])
    locs, scores = torch.randn(1, 6, 4, generator=generator), torch.randn(1, 6, 3, generator=generator)
    boxes, labels = [torch.tensor([[0.0, 0.0, 0.5, 0.5]])], [torch.tensor([2])]
    default = loss.plain_multibox_loss(locs, scores, boxes, labels, priors_cxcy)
    explicit = loss.plain_multibox_loss(locs, scores, boxes, labels, priors_cxcy, threshold=0.5, neg_pos_ratio=3,
                                        alpha=1.0, variances=(0.1, 0.2))
    assert torch.equal(default.total, explicit.total)
    # each default matters here: one positive and five negatives, a location loss above zero
    assert int(default.num_positives) == 1 and float(default.loc) > 0
    for changed in ({"neg_pos_ratio": 4}, {"alpha": 2.0}):
        other = loss.plain_multibox_loss(locs, scores, boxes, labels, priors_cxcy, **changed)
        assert not torch.isclose(other.total, default.total), changed


# ---------------------------------------------------------------------------------------------
# The module


def test_distributed_without_a_process_group_says_what_to_do():
    priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
    with pytest.raises(RuntimeError, match="init_process_group"):
        loss.multibox_loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 3), [torch.tensor([[0.0, 0.0, 0.5, 1.0]])],
                           [torch.tensor([1])], priors_cxcy, distributed=True)


def test_the_module_keeps_its_priors_out_of_the_state_dict_and_shows_its_settings():
    priors_cxcy = torch.tensor([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
    criterion = loss.MultiBoxLoss(priors_cxcy)
    assert list(criterion.state_dict()) == []  # a checkpoint of a model with its loss needs no priors
    assert repr(criterion) == ("MultiBoxLoss(num_priors=2, threshold=0.5, neg_pos_ratio=3.0, alpha=1.0, "
                               "variances=(0.1, 0.2), unique=True)")
    other = loss.MultiBoxLoss(priors_cxcy, distributed=True, check_finite=False)
    assert repr(other).endswith("unique=True, distributed=True, check_finite=False)")
