"""Tests of ssd_course.pitfalls: each reproduction shows its defect, and agrees with the package elsewhere."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from tests.helpers import DEVICES, random_boxes


def _location_example():
    """Two priors, one GT each, one negative prior; predictions = targets + chosen errors."""
    from ssd_course import encoding, loss

    priors_cxcy = torch.tensor([[0.25, 0.25, 0.3, 0.3], [0.75, 0.75, 0.3, 0.3], [0.75, 0.25, 0.2, 0.2]])
    gt_boxes = torch.tensor([[0.12, 0.10, 0.40, 0.42], [0.62, 0.58, 0.90, 0.92]])
    targets = torch.zeros(1, 3, 4)
    targets[0, :2] = encoding.encode(gt_boxes, priors_cxcy[:2])
    errors = torch.tensor([[[0.5, -2.0, 0.1, 0.0], [1.0, 0.0, -0.4, 3.0], [7.0, 7.0, 7.0, 7.0]]])
    parts = loss.multibox_loss(targets + errors, torch.zeros(1, 3, 3), [gt_boxes], [torch.tensor([1, 2])],
                               priors_cxcy)
    return targets, errors, parts


def test_classic_location_loss_is_plain_l1_over_4n_and_differs_from_the_package():
    from ssd_course.pitfalls import classic_location_loss

    targets, errors, parts = _location_example()
    positive = torch.tensor([[True, True, False]])
    classic = classic_location_loss(targets + errors, targets, positive)
    assert_close(classic, torch.tensor((0.5 + 2.0 + 0.1 + 0.0 + 1.0 + 0.0 + 0.4 + 3.0) / (4 * 2)))
    # the package: smooth L1 summed over the 8 offsets, divided by N = 2
    assert int(parts.num_positives) == 2
    smooth = (0.5 * 0.5**2) + (2.0 - 0.5) + (0.5 * 0.1**2) + 0.0 + (1.0 - 0.5) + 0.0 + (0.5 * 0.4**2) + (3.0 - 0.5)
    assert_close(parts.loc, torch.tensor(smooth / 2))
    assert not torch.isclose(classic, parts.loc)


def test_classic_location_loss_is_nan_without_positives():
    from ssd_course.pitfalls import classic_location_loss

    value = classic_location_loss(torch.ones(1, 3, 4), torch.zeros(1, 3, 4), torch.zeros(1, 3, dtype=torch.bool))
    assert math.isnan(value.item())


def test_classic_location_loss_rejects_mismatched_shapes():
    from ssd_course.pitfalls import classic_location_loss

    with pytest.raises(ValueError, match="positive"):
        classic_location_loss(torch.zeros(1, 3, 4), torch.zeros(1, 3, 4), torch.zeros(1, 2, dtype=torch.bool))


def test_classic_encode_agrees_with_encode_on_valid_boxes():
    from ssd_course import encoding
    from ssd_course.pitfalls import classic_encode
    from ssd_course.priors import tiny_detector_priors

    generator = torch.Generator().manual_seed(0)
    corner = 0.5 * torch.rand(441, 2, generator=generator)
    boxes = torch.cat((corner, corner + 0.05 + 0.45 * torch.rand(441, 2, generator=generator)), dim=1)
    priors_cxcy = tiny_detector_priors()
    for variances in ((0.1, 0.2), (1.0, 1.0)):
        assert_close(classic_encode(boxes, priors_cxcy, variances), encoding.encode(boxes, priors_cxcy, variances))


def test_classic_encode_gives_minus_inf_where_encode_raises():
    from ssd_course import encoding
    from ssd_course.pitfalls import classic_encode

    zero_width = torch.tensor([[0.4, 0.2, 0.4, 0.6]])
    prior = torch.tensor([[0.4, 0.4, 0.2, 0.4]])
    offsets = classic_encode(zero_width, prior)
    assert offsets[0, 2].item() == -math.inf
    assert torch.isfinite(offsets[0, [0, 1, 3]]).all()
    with pytest.raises(ValueError, match="x2 > x1"):
        encoding.encode(zero_width, prior)


def test_classic_softmax_cross_entropy_agrees_on_moderate_logits():
    from ssd_course.pitfalls import classic_softmax_cross_entropy

    logits = torch.tensor([[2.0, 0.5, -1.0, 1.0], [2.0, 0.5, -1.0, 1.0]])
    target = torch.tensor([3, 0])
    lse = math.log(math.exp(2.0) + math.exp(0.5) + math.exp(-1.0) + math.exp(1.0))
    expected = torch.tensor([lse - 1.0, lse - 2.0])
    assert_close(classic_softmax_cross_entropy(logits, target), expected)
    assert_close(F.cross_entropy(logits, target, reduction="none"), expected)


def test_classic_softmax_cross_entropy_overflows_where_cross_entropy_does_not():
    from ssd_course.pitfalls import classic_softmax_cross_entropy

    logits = torch.tensor([[1e4, 0.0, 0.0, 0.0], [0.0, 0.0, -1e4, 0.0]])
    target = torch.tensor([0, 2])
    naive = classic_softmax_cross_entropy(logits, target)
    assert math.isnan(naive[0].item())  # exp(1e4) = inf, inf / inf = NaN
    assert naive[1].item() == math.inf  # exp(-1e4) = 0, -log(0) = inf
    stable = F.cross_entropy(logits, target, reduction="none")
    assert_close(stable, torch.tensor([0.0, 1e4 + math.log(3.0)]))


def test_classic_softmax_cross_entropy_rejects_mismatched_shapes():
    from ssd_course.pitfalls import classic_softmax_cross_entropy

    with pytest.raises(ValueError, match="target"):
        classic_softmax_cross_entropy(torch.zeros(2, 4), torch.zeros(3, dtype=torch.long))


def _random_batch(seed, device, num_images=4, num_classes=5, shared_best_priors=False):
    """Random GT lists on the 441 priors, and random predictions, drawn on the CPU.

    With ``shared_best_priors=False`` every image's GTs have distinct best priors (the
    classic overwrite cannot happen); with ``True`` each image holds two nearby GTs that
    name the same best prior.
    """
    from ssd_course import boxes as box_ops
    from ssd_course.boxes import cxcywh_to_xyxy
    from ssd_course.priors import tiny_detector_priors

    generator = torch.Generator().manual_seed(seed)
    priors_cxcy = tiny_detector_priors()
    gt_boxes, gt_labels = [], []
    while len(gt_boxes) < num_images:
        if shared_best_priors:
            first = random_boxes(1, generator, min_size=0.15)
            shift = 0.02 * (torch.rand(1, 4, generator=generator) - 0.5)
            candidate = torch.cat((first, (first + shift).clamp(0, 1)))  # [2, 4]
        else:
            count = int(torch.randint(1, 4, (1,), generator=generator))
            candidate = random_boxes(count, generator, min_size=0.1)  # [G, 4]
        best = box_ops.box_iou(candidate, cxcywh_to_xyxy(priors_cxcy)).argmax(dim=1)  # [G]
        if (len(best.unique()) < len(best)) != shared_best_priors:
            continue
        gt_boxes.append(candidate.to(device))
        gt_labels.append(torch.randint(1, num_classes, (len(candidate),), generator=generator).to(device))
    locs = torch.randn(num_images, 441, 4, generator=generator).to(device)
    scores = (2 * torch.randn(num_images, 441, num_classes, generator=generator)).to(device)
    return locs, scores, gt_boxes, gt_labels, priors_cxcy.to(device)


@pytest.mark.parametrize("neg_pos_ratio", [1, 3])
@pytest.mark.parametrize("device", DEVICES)
def test_classic_multibox_loss_conf_part_equals_the_package_when_no_defect_matters(neg_pos_ratio, device):
    from ssd_course import loss
    from ssd_course.pitfalls import classic_multibox_loss

    for seed in range(3):
        locs, scores, gt_boxes, gt_labels, priors_cxcy = _random_batch(seed, device)
        classic = classic_multibox_loss(locs, scores, gt_boxes, gt_labels, priors_cxcy,
                                        neg_pos_ratio=neg_pos_ratio, alpha=0.0)
        ours = loss.multibox_loss(locs, scores, gt_boxes, gt_labels, priors_cxcy,
                                  neg_pos_ratio=neg_pos_ratio, alpha=0.0)
        assert int(classic.num_positives) == int(ours.num_positives) > 0
        assert_close(classic.conf, ours.conf)
        assert_close(classic.total, ours.total)
        assert not torch.isclose(classic.loc, ours.loc)  # L1 over 4N is not smooth L1 over N


def test_classic_multibox_loss_location_part_is_l1_over_4n_by_hand():
    from ssd_course.pitfalls import classic_multibox_loss

    targets, errors, ours = _location_example()
    priors_cxcy = torch.tensor([[0.25, 0.25, 0.3, 0.3], [0.75, 0.75, 0.3, 0.3], [0.75, 0.25, 0.2, 0.2]])
    gt_boxes = torch.tensor([[0.12, 0.10, 0.40, 0.42], [0.62, 0.58, 0.90, 0.92]])
    classic = classic_multibox_loss(targets + errors, torch.zeros(1, 3, 3), [gt_boxes], [torch.tensor([1, 2])],
                                    priors_cxcy)
    # the errors of the two positives; prior 2 (errors 7) is a negative and does not count
    l1 = (0.5 + 2.0 + 0.1 + 0.0 + 1.0 + 0.0 + 0.4 + 3.0) / (4 * 2)
    smooth = (0.5 * 0.5**2 + (2.0 - 0.5) + 0.5 * 0.1**2 + 0.0 + (1.0 - 0.5) + 0.0 + 0.5 * 0.4**2 + (3.0 - 0.5)) / 2
    assert_close(classic.loc, torch.tensor(l1))
    assert_close(ours.loc, torch.tensor(smooth))
    # equal logits: every prior's cross-entropy is log 3; 2 positives + 1 negative (3 * 2 > 1), / 2
    assert_close(classic.conf, torch.tensor(3 * math.log(3) / 2))
    assert_close(classic.conf, ours.conf)
    assert_close(classic.total - ours.total, torch.tensor(l1 - smooth))


def test_classic_multibox_loss_is_nan_when_no_prior_is_positive():
    from ssd_course import loss
    from ssd_course.pitfalls import classic_multibox_loss

    _, _, gt_boxes, _, priors_cxcy = _random_batch(0, "cpu", num_images=2)
    locs, scores = torch.zeros(2, 441, 4), torch.zeros(2, 441, 5)
    background_labels = [torch.zeros(len(b), dtype=torch.long) for b in gt_boxes]  # every GT labelled 0
    classic = classic_multibox_loss(locs, scores, gt_boxes, background_labels, priors_cxcy)
    assert int(classic.num_positives) == 0
    assert math.isnan(classic.loc.item()) and math.isnan(classic.conf.item()) and math.isnan(classic.total.item())
    no_objects = [torch.zeros(0, 4), torch.zeros(0, 4)]
    no_labels = [torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)]
    ours = loss.multibox_loss(locs, scores, no_objects, no_labels, priors_cxcy)
    assert int(ours.num_positives) == 0 and ours.total.item() == 0.0


def test_classic_multibox_loss_crashes_on_an_image_without_gt():
    from ssd_course import loss
    from ssd_course.pitfalls import classic_multibox_loss, classic_targets

    locs, scores, gt_boxes, gt_labels, priors_cxcy = _random_batch(1, "cpu", num_images=2)
    gt_boxes[1], gt_labels[1] = torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)
    # the reduction error of Tensor.max over an empty dimension (IndexError since PyTorch 2)
    with pytest.raises((IndexError, RuntimeError), match="max"):
        classic_multibox_loss(locs, scores, gt_boxes, gt_labels, priors_cxcy)
    with pytest.raises((IndexError, RuntimeError), match="max"):
        classic_targets(gt_boxes, gt_labels, priors_cxcy)
    ours = loss.multibox_loss(locs, scores, gt_boxes, gt_labels, priors_cxcy)
    alone = loss.multibox_loss(locs[:1], scores[:1], gt_boxes[:1], gt_labels[:1], priors_cxcy)
    assert torch.isfinite(ours.total)
    assert int(ours.num_positives) == int(alone.num_positives)


@pytest.mark.parametrize("device", DEVICES)
def test_classic_multibox_loss_loses_a_gt_that_shares_its_best_prior(device):
    from ssd_course import loss, matching
    from ssd_course.pitfalls import classic_multibox_loss, classic_targets

    locs, scores, gt_boxes, gt_labels, priors_cxcy = _random_batch(2, device, shared_best_priors=True)
    targets = classic_targets(gt_boxes, gt_labels, priors_cxcy)
    lost = 0
    for b, image_boxes in enumerate(gt_boxes):
        classic_gts = set(targets.gt_index[b][targets.gt_index[b] >= 0].tolist())
        ours = matching.match_priors(image_boxes, gt_labels[b], priors_cxcy)
        assert set(ours.gt_index[ours.gt_index >= 0].tolist()) == {0, 1}  # the greedy match keeps both
        lost += 2 - len(classic_gts)  # every image has 2 GTs; the later one, 1, always keeps a prior
        assert 1 in classic_gts
    assert lost >= 1  # the random batch does show the defect
    classic = classic_multibox_loss(locs, scores, gt_boxes, gt_labels, priors_cxcy, alpha=0.0)
    overwrite = loss.multibox_loss(locs, scores, gt_boxes, gt_labels, priors_cxcy, alpha=0.0, unique=False)
    greedy = loss.multibox_loss(locs, scores, gt_boxes, gt_labels, priors_cxcy, alpha=0.0, unique=True)
    assert_close(classic.total, overwrite.total)  # the package's unique=False is the classic overwrite
    assert not torch.isclose(classic.total, greedy.total)


def test_classic_hard_negative_mask_by_hand():
    from ssd_course import loss
    from ssd_course.pitfalls import classic_hard_negative_mask

    conf_loss = torch.tensor([[2.0, 0.3, 0.9, 0.1, 0.5, 0.7, 0.2, 0.4]])
    one_positive = torch.tensor([[True, False, False, False, False, False, False, False]])
    # 1 positive, 7 negatives: both keep the 3 hardest negatives, 0.9, 0.7 and 0.5
    expected = torch.tensor([[False, False, True, False, True, True, False, False]])
    assert torch.equal(classic_hard_negative_mask(conf_loss, one_positive), expected)
    assert torch.equal(loss.hard_negative_mask(conf_loss, one_positive), expected)
    # 3 positives, 5 negatives: 3 * 3 = 9 ranks reach past the 5 negatives into the positives
    three_positives = torch.tensor([[True, False, False, True, False, False, True, False]])
    classic = classic_hard_negative_mask(conf_loss, three_positives)
    ours = loss.hard_negative_mask(conf_loss, three_positives)
    assert int(classic.sum()) == 8 and int((classic & three_positives).sum()) == 3  # min(9, 8 priors)
    assert int(ours.sum()) == 5 and not (ours & three_positives).any()  # min(9, 5 negatives)
    # summed with the original losses, the positives enter twice: 2.0 + 0.1 + 0.2 = 2.3 too much
    double = conf_loss[three_positives].sum() + conf_loss[classic].sum()
    single = conf_loss[three_positives].sum() + conf_loss[ours].sum()
    assert_close(double - single, torch.tensor(2.0 + 0.1 + 0.2))


def test_classic_hard_negative_mask_equals_the_package_while_3p_fits():
    from ssd_course import loss
    from ssd_course.pitfalls import classic_hard_negative_mask

    generator = torch.Generator().manual_seed(0)
    conf_loss = torch.rand(6, 441, generator=generator) + 0.01  # [B, P], distinct values > 0
    positive = torch.rand(6, 441, generator=generator) < torch.linspace(0.0, 0.2, 6).unsqueeze(1)  # 3P fits
    assert ((3 * positive.sum(dim=1)) <= (~positive).sum(dim=1)).all()
    assert torch.equal(classic_hard_negative_mask(conf_loss, positive), loss.hard_negative_mask(conf_loss, positive))


def test_classic_multibox_loss_value_is_unaffected_when_3p_exceeds_the_negatives():
    from ssd_course import loss
    from ssd_course.pitfalls import classic_hard_negative_mask, classic_multibox_loss, classic_targets

    generator = torch.Generator().manual_seed(3)
    _, _, _, _, priors_cxcy = _random_batch(0, "cpu", num_images=1)
    gt_boxes, gt_labels = [torch.tensor([[0.02, 0.03, 0.97, 0.99]])], [torch.tensor([2])]
    locs, scores = torch.randn(1, 441, 4, generator=generator), torch.randn(1, 441, 5, generator=generator)
    targets = classic_targets(gt_boxes, gt_labels, priors_cxcy, threshold=0.1)
    positive = targets.labels != 0
    num_positives = int(positive.sum())
    assert 3 * num_positives > 441 - num_positives  # the huge box at threshold 0.1 makes 3P exceed the negatives
    conf_loss = F.cross_entropy(scores[0], targets.labels[0], reduction="none").unsqueeze(0)  # [1, P]
    doubled = classic_hard_negative_mask(conf_loss, positive) & positive
    assert int(doubled.sum()) == min(3 * num_positives, 441) - (441 - num_positives)
    classic = classic_multibox_loss(locs, scores, gt_boxes, gt_labels, priors_cxcy, threshold=0.1, alpha=0.0)
    ours = loss.multibox_loss(locs, scores, gt_boxes, gt_labels, priors_cxcy, threshold=0.1, alpha=0.0)
    assert_close(classic.conf, ours.conf)  # the doubles were zeroed before the sum


def test_classic_box_iou_agrees_with_box_iou_on_boxes_with_area():
    from ssd_course.boxes import box_iou
    from ssd_course.pitfalls import classic_box_iou

    generator = torch.Generator().manual_seed(0)
    boxes1, boxes2 = random_boxes(5, generator), random_boxes(7, generator)
    assert_close(classic_box_iou(boxes1, boxes2), box_iou(boxes1, boxes2))
    a, b = torch.tensor([[0.0, 0.0, 0.5, 0.5]]), torch.tensor([[0.25, 0.25, 0.75, 0.75]])
    assert_close(classic_box_iou(a, b), torch.tensor([[0.0625 / (0.25 + 0.25 - 0.0625)]]))


def test_classic_box_iou_is_nan_for_two_zero_area_boxes_where_box_iou_is_zero():
    from ssd_course.boxes import box_iou
    from ssd_course.pitfalls import classic_box_iou

    point = torch.tensor([[0.5, 0.5, 0.5, 0.5]])  # width 0, height 0
    line = torch.tensor([[0.2, 0.3, 0.2, 0.8]])  # width 0
    box = torch.tensor([[0.1, 0.1, 0.9, 0.9]])
    naive = classic_box_iou(torch.cat((point, line)), torch.cat((point, line, box)))  # [2, 3]
    assert torch.isnan(naive[:, :2]).all()  # union 0 + 0 - 0 between zero-area boxes
    assert (naive[:, 2] == 0).all()  # a zero-area box against a real box: 0 / area = 0
    ours = box_iou(torch.cat((point, line)), torch.cat((point, line, box)))
    assert torch.equal(ours, torch.zeros(2, 3))


def test_classic_box_iou_rejects_wrong_shapes():
    from ssd_course.pitfalls import classic_box_iou

    with pytest.raises(ValueError, match="shape"):
        classic_box_iou(torch.zeros(4), torch.zeros(1, 4))


def test_classic_clamp_priors_changes_nothing_on_the_tiny_priors_and_clips_nothing():
    from ssd_course.boxes import cxcywh_to_xyxy
    from ssd_course.pitfalls import classic_clamp_priors
    from ssd_course.priors import TINY_ASPECT_RATIOS, TINY_SCALES, make_priors, tiny_detector_priors

    priors_cxcy = tiny_detector_priors()
    clamped = classic_clamp_priors(priors_cxcy)
    assert torch.equal(clamped, priors_cxcy)  # every number was already in [0, 1]
    corners = cxcywh_to_xyxy(clamped)
    assert int(((corners < 0) | (corners > 1)).any(dim=1).sum()) == 272
    shapes = [(s, r) for s in TINY_SCALES for r in TINY_ASPECT_RATIOS]
    clipped = cxcywh_to_xyxy(make_priors([7], [shapes], clip=True, dtype=torch.float64))
    assert ((clipped >= 0) & (clipped <= 1)).all()


def test_classic_clamp_priors_only_shortens_priors_larger_than_the_image():
    from ssd_course.boxes import cxcywh_to_xyxy
    from ssd_course.pitfalls import classic_clamp_priors
    from ssd_course.priors import ssd300_priors

    priors_cxcy = ssd300_priors()
    clamped = classic_clamp_priors(priors_cxcy)
    changed = (clamped != priors_cxcy).any(dim=1)
    assert changed.any()
    assert ((priors_cxcy[changed, 2:] > 1).any(dim=1)).all()  # only the too-wide or too-tall ones
    assert torch.equal(clamped[:, :2], priors_cxcy[:, :2])  # centres are always inside
    corners = cxcywh_to_xyxy(clamped)
    assert ((corners < 0) | (corners > 1)).any(dim=1).sum() > 1000  # still crossing the border
    prior = torch.tensor([[0.1, 0.5, 0.4, 0.4]])
    assert torch.equal(classic_clamp_priors(prior), prior)
    assert_close(cxcywh_to_xyxy(classic_clamp_priors(prior)), torch.tensor([[0.1 - 0.2, 0.3, 0.1 + 0.2, 0.7]]))
