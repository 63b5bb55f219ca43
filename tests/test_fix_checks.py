"""The checks of notebook 09's fixes (``ssd_course.checks.check_fix_*``) and the reproduction they start from.

Each check passes correct fixes written here as a learner would (several ways where there
are several), reports "Not implemented yet" for a scaffold, and rejects every wrong fix we
could think of -- the bug itself included -- naming the mistake in its hint.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ssd_course import boxes, checks, loss, matching, pitfalls, priors

# ---------------------------------------------------------------------------------------------
# Bug 1: the mask applied before the reshape (amdegroot/ssd.pytorch #173)
# ---------------------------------------------------------------------------------------------


def _classic_mining_tail(loss_c, positive, neg_pos_ratio):
    """The classic code after the two lines being fixed: ranks and the cut, on loss_c [B, P]."""
    _, loss_idx = loss_c.sort(1, descending=True)
    _, idx_rank = loss_idx.sort(1)
    num_pos = positive.long().sum(1, keepdim=True)
    num_neg = torch.clamp(neg_pos_ratio * num_pos, max=positive.shape[1] - 1)
    return idx_rank < num_neg


def mining_view_then_mask(loss_c, positive, neg_pos_ratio):
    loss_c = loss_c.view(positive.shape[0], -1)
    loss_c[positive] = 0
    return _classic_mining_tail(loss_c, positive, neg_pos_ratio)


def mining_flat_mask(loss_c, positive, neg_pos_ratio):  # the fix of amdegroot/ssd.pytorch #175
    loss_c[positive.view(-1, 1)] = 0
    return _classic_mining_tail(loss_c.view(positive.shape[0], -1), positive, neg_pos_ratio)


def mining_with_the_package(loss_c, positive, neg_pos_ratio):
    return loss.hard_negative_mask(loss_c.reshape(positive.shape), positive, neg_pos_ratio)


def mining_mask_then_view(loss_c, positive, neg_pos_ratio):  # the bug
    return pitfalls.classic_mask_before_view(loss_c, positive, neg_pos_ratio)


def mining_without_zeroing(loss_c, positive, neg_pos_ratio):  # "fixed" by deleting the failing line
    return _classic_mining_tail(loss_c.view(positive.shape[0], -1), positive, neg_pos_ratio)


def mining_transposed_view(loss_c, positive, neg_pos_ratio):
    B, P = positive.shape
    loss_c = loss_c.view(P, B).t()
    loss_c[positive] = 0
    return _classic_mining_tail(loss_c, positive, neg_pos_ratio)


def mining_whole_batch(loss_c, positive, neg_pos_ratio):  # shapes made to match by flattening both
    flat_positive = positive.view(1, -1)
    loss_c = loss_c.view(1, -1)
    loss_c[flat_positive] = 0
    return _classic_mining_tail(loss_c, flat_positive, neg_pos_ratio).view(positive.shape)


def mining_returning_the_ranks(loss_c, positive, neg_pos_ratio):
    loss_c = loss_c.view(positive.shape[0], -1)
    loss_c[positive] = 0
    return loss_c.sort(1, descending=True)[1]


# ---------------------------------------------------------------------------------------------
# Bug 2: boxes with swapped corners make the encoder's log NaN (sgrvinod/... #53)
# ---------------------------------------------------------------------------------------------


def bad_boxes_vectorised(boxes_xyxy):
    return ((boxes_xyxy[:, 2] <= boxes_xyxy[:, 0]) | (boxes_xyxy[:, 3] <= boxes_xyxy[:, 1])).nonzero().flatten()


def bad_boxes_loop(boxes_xyxy):
    return [g for g, (x1, y1, x2, y2) in enumerate(boxes_xyxy.tolist()) if x2 <= x1 or y2 <= y1]


def bad_boxes_strict(boxes_xyxy):
    return ((boxes_xyxy[:, 2] < boxes_xyxy[:, 0]) | (boxes_xyxy[:, 3] < boxes_xyxy[:, 1])).nonzero().flatten()


def bad_boxes_by_area(boxes_xyxy):
    return ((boxes_xyxy[:, 2] - boxes_xyxy[:, 0]) * (boxes_xyxy[:, 3] - boxes_xyxy[:, 1]) <= 0).nonzero().flatten()


def bad_boxes_x_only(boxes_xyxy):
    return (boxes_xyxy[:, 2] <= boxes_xyxy[:, 0]).nonzero().flatten()


def bad_boxes_y_only(boxes_xyxy):
    return (boxes_xyxy[:, 3] <= boxes_xyxy[:, 1]).nonzero().flatten()


def bad_boxes_wrong_columns(boxes_xyxy):
    return ((boxes_xyxy[:, 1] <= boxes_xyxy[:, 0]) | (boxes_xyxy[:, 3] <= boxes_xyxy[:, 2])).nonzero().flatten()


def bad_boxes_as_a_mask(boxes_xyxy):
    return (boxes_xyxy[:, 2] <= boxes_xyxy[:, 0]) | (boxes_xyxy[:, 3] <= boxes_xyxy[:, 1])


def bad_boxes_clamped_area(boxes_xyxy):  # right: the package's box_area clamps each side at 0 first
    return (boxes.box_area(boxes_xyxy) <= 0).nonzero().flatten()


# ---------------------------------------------------------------------------------------------
# Bug 3: an image without objects crashes the per-image matching (sgrvinod/... #104)
# ---------------------------------------------------------------------------------------------


def _classic_image_labels(gt_boxes, gt_labels, priors_cxcy, threshold=0.5):
    overlap = boxes.box_iou(gt_boxes, boxes.cxcywh_to_xyxy(priors_cxcy))
    overlap_for_each_prior, object_for_each_prior = overlap.max(dim=0)
    _, prior_for_each_object = overlap.max(dim=1)
    object_for_each_prior[prior_for_each_object] = torch.arange(gt_boxes.shape[0])
    overlap_for_each_prior[prior_for_each_object] = 1.0
    label_for_each_prior = gt_labels[object_for_each_prior]
    label_for_each_prior[overlap_for_each_prior < threshold] = 0
    return label_for_each_prior


def labels_with_early_return(gt_boxes, gt_labels, priors_cxcy):
    if gt_boxes.shape[0] == 0:
        return torch.zeros(priors_cxcy.shape[0], dtype=torch.long)
    return _classic_image_labels(gt_boxes, gt_labels, priors_cxcy)


def labels_with_a_background_dummy_box(gt_boxes, gt_labels, priors_cxcy):  # amdegroot/ssd.pytorch #247
    if gt_boxes.shape[0] == 0:
        gt_boxes, gt_labels = torch.zeros(1, 4, dtype=gt_boxes.dtype), torch.zeros(1, dtype=torch.long)
    return _classic_image_labels(gt_boxes, gt_labels, priors_cxcy)


def labels_with_the_package(gt_boxes, gt_labels, priors_cxcy):
    return matching.match_priors(gt_boxes, gt_labels, priors_cxcy).labels


def labels_classic(gt_boxes, gt_labels, priors_cxcy):  # the bug
    return _classic_image_labels(gt_boxes, gt_labels, priors_cxcy)


def labels_unmatched_for_empty(gt_boxes, gt_labels, priors_cxcy):
    if gt_boxes.shape[0] == 0:
        return torch.full((priors_cxcy.shape[0],), -1)
    return _classic_image_labels(gt_boxes, gt_labels, priors_cxcy)


def labels_with_an_object_dummy_box(gt_boxes, gt_labels, priors_cxcy):
    if gt_boxes.shape[0] == 0:
        gt_boxes, gt_labels = torch.zeros(1, 4, dtype=gt_boxes.dtype), torch.ones(1, dtype=torch.long)
    return _classic_image_labels(gt_boxes, gt_labels, priors_cxcy)


def labels_empty_for_empty(gt_boxes, gt_labels, priors_cxcy):
    if gt_boxes.shape[0] == 0:
        return torch.zeros(0, dtype=torch.long)
    return _classic_image_labels(gt_boxes, gt_labels, priors_cxcy)


def labels_skipping_the_image(gt_boxes, gt_labels, priors_cxcy):
    if gt_boxes.shape[0] == 0:
        return None
    return _classic_image_labels(gt_boxes, gt_labels, priors_cxcy)


# ---------------------------------------------------------------------------------------------
# Bug 4: a GT lost when two GTs share a best prior (amdegroot/ssd.pytorch #193)
# ---------------------------------------------------------------------------------------------


def _principle2(gt_boxes, priors_cxcy):
    overlap = boxes.box_iou(gt_boxes, boxes.cxcywh_to_xyxy(priors_cxcy))  # [G, P]
    best_iou, gt_index = overlap.max(dim=0)
    gt_index[best_iou < 0.5] = -1
    return overlap, gt_index


def match_greedy_loop(gt_boxes, priors_cxcy):
    overlap, gt_index = _principle2(gt_boxes, priors_cxcy)
    free = overlap.clone()
    G, P = overlap.shape
    for _ in range(G):
        g, prior = divmod(int(free.argmax()), P)
        gt_index[prior] = g
        free[g, :] = -1.0
        free[:, prior] = -1.0
    return gt_index


def match_with_principle1(gt_boxes, priors_cxcy):
    overlap, gt_index = _principle2(gt_boxes, priors_cxcy)
    for g, prior in enumerate(matching.principle1(overlap).tolist()):
        gt_index[prior] = g
    return gt_index


def match_classic_overwrite(gt_boxes, priors_cxcy):  # the bug
    overlap, gt_index = _principle2(gt_boxes, priors_cxcy)
    best_prior = overlap.argmax(dim=1)
    for g in range(gt_boxes.shape[0]):
        gt_index[best_prior[g]] = g
    return gt_index


def match_first_gt_wins(gt_boxes, priors_cxcy):
    overlap, gt_index = _principle2(gt_boxes, priors_cxcy)
    best_prior = overlap.argmax(dim=1)
    for g in reversed(range(gt_boxes.shape[0])):
        gt_index[best_prior[g]] = g
    return gt_index


def match_gt_order_greedy(gt_boxes, priors_cxcy):
    overlap, gt_index = _principle2(gt_boxes, priors_cxcy)
    free = torch.ones(overlap.shape[1], dtype=torch.bool)
    for g in range(gt_boxes.shape[0]):
        prior = int(overlap[g].masked_fill(~free, -1.0).argmax())
        gt_index[prior] = g
        free[prior] = False
    return gt_index


def match_principle1_only_where_free(gt_boxes, priors_cxcy):
    overlap, gt_index = _principle2(gt_boxes, priors_cxcy)
    for g, prior in enumerate(matching.principle1(overlap).tolist()):
        if gt_index[prior] < 0:
            gt_index[prior] = g
    return gt_index


def match_principle2_only(gt_boxes, priors_cxcy):
    return _principle2(gt_boxes, priors_cxcy)[1]


# ---------------------------------------------------------------------------------------------
# Bug 5: plain L1 where smooth L1 was meant (sgrvinod/... #60), and N = 0 (kuangliu/torchcv #35)
# ---------------------------------------------------------------------------------------------


def location_loss_functional(predicted_locs, loc_targets, positive):
    n = int(positive.sum())
    return F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive], reduction="sum") / max(n, 1)


def location_loss_loop(predicted_locs, loc_targets, positive):
    total, n = 0.0, 0
    for b in range(positive.shape[0]):
        for p in range(positive.shape[1]):
            if positive[b, p]:
                n += 1
                for x in (predicted_locs[b, p] - loc_targets[b, p]).tolist():
                    total += 0.5 * x * x if abs(x) < 1 else abs(x) - 0.5
    return total / n if n else 0.0


def location_loss_package(predicted_locs, loc_targets, positive):
    return loss.smooth_l1(predicted_locs[positive] - loc_targets[positive]).sum() / positive.sum().clamp(min=1)


def location_loss_classic(predicted_locs, loc_targets, positive):  # the bug
    return pitfalls.classic_location_loss(predicted_locs, loc_targets, positive)


def location_loss_smooth_mean(predicted_locs, loc_targets, positive):  # the tempting one-word fix
    return F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive])


def location_loss_smooth_sum(predicted_locs, loc_targets, positive):
    return F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive], reduction="sum")


def location_loss_unguarded(predicted_locs, loc_targets, positive):
    return F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive], reduction="sum") / positive.sum()


def location_loss_l1_by_n(predicted_locs, loc_targets, positive):
    return (predicted_locs[positive] - loc_targets[positive]).abs().sum() / positive.sum().clamp(min=1)


def location_loss_all_priors(predicted_locs, loc_targets, positive):
    return F.smooth_l1_loss(predicted_locs, loc_targets, reduction="sum") / positive.sum().clamp(min=1)


def location_loss_by_priors(predicted_locs, loc_targets, positive):
    return F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive], reduction="sum") / positive.numel()


def location_loss_by_batch(predicted_locs, loc_targets, positive):
    return F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive], reduction="sum") / positive.shape[0]


def location_loss_rpn_beta(predicted_locs, loc_targets, positive):
    n = max(int(positive.sum()), 1)
    return F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive], reduction="sum", beta=1 / 9) / n


def location_loss_mse(predicted_locs, loc_targets, positive):
    n = max(int(positive.sum()), 1)
    return F.mse_loss(predicted_locs[positive], loc_targets[positive], reduction="sum") / 2 / n


def not_implemented(*args):
    raise NotImplementedError


FIX_CHECKS = [
    (checks.check_fix_mask_shape, [mining_view_then_mask, mining_flat_mask, mining_with_the_package], [
        (mining_mask_then_view, "reshape the column to the mask's shape first"),
        (mining_without_zeroing, "removed the line that zeroes"),
        (mining_transposed_view, "not as [P, B] transposed"),
        (mining_whole_batch, "the whole batch as one image"),
        (mining_returning_the_ranks, "should return a bool mask of shape")]),
    (checks.check_fix_swapped_corners, [bad_boxes_vectorised, bad_boxes_loop, bad_boxes_clamped_area], [
        (bad_boxes_strict, "exactly 0 must be reported"),
        (bad_boxes_by_area, "you tested the area"),
        (bad_boxes_x_only, "you tested only x"),
        (bad_boxes_y_only, "you tested only y"),
        (bad_boxes_wrong_columns, "width = boxes[:, 2] - boxes[:, 0]"),
        (bad_boxes_as_a_mask, "returned a bool tensor")]),
    (checks.check_fix_empty_image, [labels_with_early_return, labels_with_a_background_dummy_box,
                                    labels_with_the_package], [
        (labels_classic, "return torch.zeros(P, dtype=torch.long) before"),
        (labels_unmatched_for_empty, "not -1"),
        (labels_with_an_object_dummy_box, "dummy box [0, 0, 0, 0] carries an object class"),
        (labels_empty_for_empty, "one label per prior"),
        (labels_skipping_the_image, "did you forget `return`")]),
    (checks.check_fix_lost_gt, [match_greedy_loop, match_with_principle1], [
        (match_classic_overwrite, "the later one overwrites the earlier"),
        (match_first_gt_wins, "reverse order only changes which GT is lost"),
        (match_gt_order_greedy, "GTs taken in index order"),
        (match_principle1_only_where_free, "principle 1 must win"),
        (match_principle2_only, "")]),
    (checks.check_fix_plain_l1, [location_loss_functional, location_loss_loop, location_loss_package], [
        (location_loss_classic, "the classic loss itself"),
        (location_loss_smooth_mean, "averages by default"),
        (location_loss_smooth_sum, "you did not divide"),
        (location_loss_unguarded, "no guard for N = 0"),
        (location_loss_l1_by_n, "plain L1 summed over the positives"),
        (location_loss_all_priors, "leave the negatives' offsets out"),
        (location_loss_by_priors, "not by the number of priors"),
        (location_loss_by_batch, "not by the batch size"),
        (location_loss_rpn_beta, "beta = 1/9"),
        (location_loss_mse, "")]),
]
RIGHT = [pytest.param(check, fix, id=f"{check.__name__}-{fix.__name__}")
         for check, fixes, _ in FIX_CHECKS for fix in fixes]
WRONG = [pytest.param(check, wrong, hint, id=f"{check.__name__}-{wrong.__name__}")
         for check, _, wrongs in FIX_CHECKS for wrong, hint in wrongs]


def test_every_fix_check_is_tested():
    public = {name for name in checks.__all__ if name.startswith("check_fix_")}
    assert public == {check.__name__ for check, _, _ in FIX_CHECKS}
    assert all(hasattr(checks, name) for name in public)


@pytest.mark.parametrize(("check", "fix"), RIGHT)
def test_right_fix_passes(check, fix, capsys):
    assert check(fix) is True
    out = capsys.readouterr().out
    assert out.startswith(f"✓ {check.__name__.removeprefix('check_')}: all ") and out.count("\n") == 1


@pytest.mark.parametrize("check", [c for c, _, _ in FIX_CHECKS], ids=[c.__name__ for c, _, _ in FIX_CHECKS])
def test_scaffold_says_not_implemented(check, capsys):
    assert check(not_implemented) is False
    assert capsys.readouterr().out == checks.NOT_IMPLEMENTED + "\n"


@pytest.mark.parametrize(("check", "wrong", "hint"), WRONG)
def test_wrong_fix_is_rejected_with_its_hint(check, wrong, hint, capsys):
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✗ {check.__name__.removeprefix('check_')}: "), out
    if hint:
        assert hint in out, out


def test_report_names_the_case_the_expected_and_the_received_value(capsys):
    checks.check_fix_lost_gt(match_classic_overwrite)
    out = capsys.readouterr().out
    assert "Case 1 (two people in a crowd share their best prior):" in out
    assert "expected: GT 0: priors [342]; GT 1: priors [344]; 439 priors background" in out
    assert "got:      GT 0: no prior; GT 1: priors [342, 344]; 439 priors background" in out
    assert "GT left without any prior: [0]" in out


def test_fix_checks_output_is_deterministic(capsys):
    for check, _, wrongs in FIX_CHECKS:
        check(wrongs[0][0])
        first = capsys.readouterr().out
        check(wrongs[0][0])
        assert capsys.readouterr().out == first


def test_fix_checks_pass_float32_fixes(capsys):
    def float32(fn):
        return lambda *args: fn(*(a.float() if isinstance(a, torch.Tensor) and a.is_floating_point() else a
                                  for a in args))

    for check, fixes, _ in FIX_CHECKS:
        assert check(float32(fixes[0])) is True, capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# The reproduction of bug 1 in ssd_course.pitfalls
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("B", "P"), [(2, 441), (32, 8732), (1, 3)])
def test_classic_mask_before_view_raises_the_reported_error(B, P):
    loss_c = torch.rand(B * P, 1)
    positive = torch.zeros(B, P, dtype=torch.bool)
    message = (f"The shape of the mask [{B}, {P}] at index 0 does not match the shape of the indexed tensor "
               f"[{B * P}, 1] at index 0")
    with pytest.raises(IndexError) as error:
        pitfalls.classic_mask_before_view(loss_c, positive)
    assert str(error.value) == message


def test_classic_mining_with_the_lines_swapped_equals_the_package():
    generator = torch.Generator().manual_seed(9)
    for _ in range(20):
        B, P = 3, 441
        loss_c = torch.rand(B * P, 1, generator=generator) + 0.01  # positive, distinct with probability 1
        positive = torch.rand(B, P, generator=generator) < 0.05
        kept = mining_view_then_mask(loss_c.clone(), positive, 3)
        assert torch.equal(kept, loss.hard_negative_mask(loss_c.view(B, P), positive, 3))
        # a loop reference: per image, the 3 P_b negatives with the highest losses
        for b in range(B):
            negatives = [(float(loss_c[b * P + p]), p) for p in range(P) if not positive[b, p]]
            top = {p for _, p in sorted(negatives, reverse=True)[: 3 * int(positive[b].sum())]}
            assert set(kept[b].nonzero().flatten().tolist()) == top


def test_fix_empty_image_cases_agree_with_the_classic_loop_wherever_it_runs():
    tiny = priors.tiny_detector_priors(dtype=torch.float64)
    # a box with no IoU at exactly 0.5, where the classic loop's rounding, not the rule, would decide
    for gt_boxes, gt_labels in [(torch.tensor([[0.21, 0.3, 0.6, 0.9]], dtype=torch.float64), torch.tensor([2]))]:
        assert torch.equal(_classic_image_labels(gt_boxes, gt_labels, tiny),
                           matching.match_priors(gt_boxes, gt_labels, tiny).labels)
    assert math.isnan(float(pitfalls.classic_encode(torch.tensor([0.7, 0.1, 0.3, 0.5]),
                                                    torch.tensor([0.5, 0.3, 0.2, 0.2]))[2]))


def test_matching_cases_have_one_right_answer():
    """No IoU at the threshold, no tie for a best prior: float32 and any tie order agree."""
    tiny = priors.tiny_detector_priors(dtype=torch.float64)
    collected = {}
    original = checks._run
    checks._run = lambda spec, fn: collected.setdefault(spec.name, spec.cases)
    try:
        checks.check_fix_empty_image(None)
        checks.check_fix_lost_gt(None)
    finally:
        checks._run = original
    for name, cases in collected.items():
        for case in cases:
            if case.args[0].shape[0]:
                assert checks._unambiguous(case.args[0], tiny), (name, case.title)
