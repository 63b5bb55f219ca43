"""The exercise checks of ``ssd_course.checks``: each passes a correct solution written here by
hand, reports "Not implemented yet" for the scaffold of the student copies, and names the
mistake of typical wrong solutions."""

from __future__ import annotations

import math

import pytest
import torch

from ssd_course import checks, encoding, loss, matching

# ---------------------------------------------------------------------------------------------
# Correct solutions, written as a learner would (loops and plain arithmetic where possible)
# ---------------------------------------------------------------------------------------------


def cxcywh_to_xyxy(box):
    cx, cy, w, h = box
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def iou_pair(box_a, box_b):
    x1a, y1a, x2a, y2a = box_a
    x1b, y1b, x2b, y2b = box_b
    width = max(0.0, min(x2a, x2b) - max(x1a, x1b))
    height = max(0.0, min(y2a, y2b) - max(y1a, y1b))
    intersection = width * height
    union = (x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - intersection
    return intersection / union if union > 0 else 0.0


def prior_box(row, column, scale, aspect_ratio, map_size):
    return ((column + 0.5) / map_size, (row + 0.5) / map_size,
            scale * math.sqrt(aspect_ratio), scale / math.sqrt(aspect_ratio))


def prior_index(row, column, scale_index, ratio_index):
    return ((row * 7 + column) * 3 + scale_index) * 3 + ratio_index


def principle1_loop(iou):
    work = iou.clone()
    G, P = iou.shape
    best_prior = [-1] * G
    for _ in range(G):
        best_value, best_gt, best_p = -1.0, -1, -1
        for g in range(G):
            for p in range(P):
                if work[g, p] > best_value:
                    best_value, best_gt, best_p = float(work[g, p]), g, p
        best_prior[best_gt] = best_p
        work[best_gt, :] = -1.0
        work[:, best_p] = -1.0
    return torch.tensor(best_prior)


def principle2(iou, threshold):
    G, P = iou.shape
    result = []
    for p in range(P):
        best_gt = max(range(G), key=lambda g: float(iou[g, p]))
        result.append(best_gt if iou[best_gt, p] >= threshold else -1)
    return torch.tensor(result)


def assign(iou, threshold):
    gt_index = principle2(iou, threshold)
    for g, p in enumerate(principle1_loop(iou).tolist()):
        gt_index[p] = g
    return gt_index


def encode(box_xyxy, prior_cxcywh, variances):
    x1, y1, x2, y2 = box_xyxy.tolist()
    d_cx, d_cy, d_w, d_h = prior_cxcywh.tolist()
    g_cx, g_cy, g_w, g_h = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    return ((g_cx - d_cx) / d_w / variances[0], (g_cy - d_cy) / d_h / variances[0],
            math.log(g_w / d_w) / variances[1], math.log(g_h / d_h) / variances[1])


def smooth_l1(x):
    return torch.where(x.abs() < 1, 0.5 * x**2, x.abs() - 0.5)


def cross_entropy(logits, label):
    largest = max(logits.tolist())
    log_sum_exp = largest + math.log(sum(math.exp(z - largest) for z in logits.tolist()))
    return log_sum_exp - float(logits[label])


def hard_negative_mask(conf_loss, positive, neg_pos_ratio):
    num_kept = min(neg_pos_ratio * int(positive.sum()), int((~positive).sum()))
    negatives = [p for p in range(len(conf_loss)) if not positive[p]]
    negatives.sort(key=lambda p: float(conf_loss[p]), reverse=True)
    mask = torch.zeros(len(conf_loss), dtype=torch.bool)
    mask[negatives[:num_kept]] = True
    return mask


def loss_normalisation(loc_loss, conf_loss, num_positives, alpha):
    if num_positives == 0:
        return 0.0
    return (float(conf_loss.sum()) + alpha * float(loc_loss.sum())) / num_positives


def multibox_loss(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    loc_sum, conf_sum, num_positives = 0.0, 0.0, 0
    for b in range(predicted_locs.shape[0]):
        match = matching.match_priors(boxes[b], labels[b], priors_cxcy)
        positive = match.gt_index >= 0
        if positive.any():
            targets = encoding.encode(boxes[b][match.gt_index[positive]], priors_cxcy[positive])
            loc_sum += float(loss.smooth_l1(predicted_locs[b][positive] - targets).sum())
        conf = loss.confidence_loss(predicted_scores[b][None], match.labels[None])[0]
        hard = loss.hard_negative_mask(conf[None], positive[None], 3)[0]
        conf_sum += float(conf[positive | hard].sum())
        num_positives += int(positive.sum())
    return (conf_sum + loc_sum) / max(num_positives, 1)


# ---------------------------------------------------------------------------------------------
# Typical wrong solutions
# ---------------------------------------------------------------------------------------------


def corners_without_halving(box):
    cx, cy, w, h = box
    return (cx - w, cy - h, cx + w, cy + h)


def corners_clipped(box):
    return tuple(min(max(float(v), 0.0), 1.0) for v in cxcywh_to_xyxy(box))


def iou_without_clamp(box_a, box_b):
    x1a, y1a, x2a, y2a = box_a
    x1b, y1b, x2b, y2b = box_b
    intersection = (min(x2a, x2b) - max(x1a, x1b)) * (min(y2a, y2b) - max(y1a, y1b))
    union = (x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - intersection
    return intersection / union if union != 0 else 0.0


def iou_union_without_subtraction(box_a, box_b):
    x1a, y1a, x2a, y2a = box_a
    x1b, y1b, x2b, y2b = box_b
    intersection = max(0.0, min(x2a, x2b) - max(x1a, x1b)) * max(0.0, min(y2a, y2b) - max(y1a, y1b))
    union = (x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b)
    return intersection / union if union > 0 else 0.0


def prior_without_sqrt(row, column, scale, aspect_ratio, map_size):
    return ((column + 0.5) / map_size, (row + 0.5) / map_size, scale * aspect_ratio, scale / aspect_ratio)


def prior_centre_at_corner(row, column, scale, aspect_ratio, map_size):
    return (column / map_size, row / map_size, scale * math.sqrt(aspect_ratio), scale / math.sqrt(aspect_ratio))


def prior_index_ratio_major(row, column, scale_index, ratio_index):
    return ((row * 7 + column) * 3 + ratio_index) * 3 + scale_index


def principle1_overwrite(iou):
    return iou.argmax(dim=1)


def principle1_in_gt_order(iou):
    free = torch.ones(iou.shape[1], dtype=torch.bool)
    chosen = []
    for g in range(iou.shape[0]):
        p = int(torch.where(free, iou[g], torch.tensor(-1.0, dtype=iou.dtype)).argmax())
        chosen.append(p)
        free[p] = False
    return torch.tensor(chosen)


def principle2_strict(iou, threshold):
    best_iou, best_gt = iou.max(dim=0)
    return torch.where(best_iou > threshold, best_gt, -1)


def principle2_zero_for_background(iou, threshold):
    best_iou, best_gt = iou.max(dim=0)
    return torch.where(best_iou >= threshold, best_gt, 0)


def assign_principle1_first(iou, threshold):
    gt_index = torch.full((iou.shape[1],), -1)
    for g, p in enumerate(principle1_loop(iou).tolist()):
        gt_index[p] = g
    second = principle2(iou, threshold)
    return torch.where(second >= 0, second, gt_index)


def encode_without_log(box_xyxy, prior_cxcywh, variances):
    x1, y1, x2, y2 = box_xyxy.tolist()
    d_cx, d_cy, d_w, d_h = prior_cxcywh.tolist()
    return (((x1 + x2) / 2 - d_cx) / d_w / variances[0], ((y1 + y2) / 2 - d_cy) / d_h / variances[0],
            (x2 - x1) / d_w / variances[1], (y2 - y1) / d_h / variances[1])


def encode_swapped_variances(box_xyxy, prior_cxcywh, variances):
    return encode(box_xyxy, prior_cxcywh, (variances[1], variances[0]))


def encode_without_variances(box_xyxy, prior_cxcywh, variances):
    return encode(box_xyxy, prior_cxcywh, (1.0, 1.0))


def smooth_l1_switch_on_x(x):
    return torch.where(x < 1, 0.5 * x**2, x.abs() - 0.5)


def smooth_l1_without_half(x):
    return torch.where(x.abs() < 1, x**2, x.abs() - 0.5)


def smooth_l1_summed(x):
    return smooth_l1(x).sum()


def cross_entropy_naive(logits, label):
    exponentials = torch.exp(logits)
    return float(-torch.log(exponentials[label] / exponentials.sum()))


def cross_entropy_without_minus(logits, label):
    return float(torch.log_softmax(logits, dim=0)[label])


def hard_negatives_mining_positives(conf_loss, positive, neg_pos_ratio):
    num_kept = min(neg_pos_ratio * int(positive.sum()), int((~positive).sum()))
    mask = torch.zeros(len(conf_loss), dtype=torch.bool)
    mask[conf_loss.argsort(descending=True)[:num_kept]] = True
    return mask


def hard_negatives_uncapped(conf_loss, positive, neg_pos_ratio):
    num_kept = neg_pos_ratio * int(positive.sum())
    ranked = conf_loss.masked_fill(positive, -math.inf)
    mask = torch.zeros(len(conf_loss), dtype=torch.bool)
    mask[ranked.argsort(descending=True)[:num_kept]] = True
    return mask


def hard_negatives_with_positives(conf_loss, positive, neg_pos_ratio):
    return hard_negative_mask(conf_loss, positive, neg_pos_ratio) | positive


def normalisation_by_4n(loc_loss, conf_loss, num_positives, alpha):
    if num_positives == 0:
        return 0.0
    return float(conf_loss.sum()) / num_positives + alpha * float(loc_loss.mean())


def normalisation_without_guard(loc_loss, conf_loss, num_positives, alpha):
    return float((conf_loss.sum() + alpha * loc_loss.sum()) / torch.tensor(float(num_positives)))


def multibox_loss_by_4n(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    parts = loss.multibox_loss(predicted_locs, predicted_scores, boxes, labels, priors_cxcy)
    return float(parts.conf + parts.loc / 4)


def multibox_loss_all_negatives(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    return float(loss.multibox_loss(predicted_locs, predicted_scores, boxes, labels, priors_cxcy,
                                    neg_pos_ratio=math.inf).total)


def multibox_loss_per_image(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    total = 0.0
    for b in range(predicted_locs.shape[0]):
        total += float(loss.multibox_loss(predicted_locs[b:b + 1], predicted_scores[b:b + 1], boxes[b:b + 1],
                                          labels[b:b + 1], priors_cxcy).total)
    return total


def not_implemented(*args):
    raise NotImplementedError


# check, correct solution, [(wrong solution, text its hint must contain), ...]
CHECKS = [
    (checks.check_cxcywh_to_xyxy, cxcywh_to_xyxy, [
        (corners_without_halving, "half a width"), (corners_clipped, "do not clip")]),
    (checks.check_iou_pair, iou_pair, [
        (iou_without_clamp, "not clamped at 0"),
        (iou_union_without_subtraction, "union = area_a + area_b - intersection")]),
    (checks.check_prior_box, prior_box, [
        (prior_without_sqrt, "square root"), (prior_centre_at_corner, "(j + 0.5) / map_size")]),
    (checks.check_prior_index, prior_index, [(prior_index_ratio_major, "aspect ratio varies fastest")]),
    (checks.check_principle1_loop, principle1_loop, [
        (principle1_overwrite, "overwrites"), (principle1_in_gt_order, "greedy order is by IoU")]),
    (checks.check_principle2, principle2, [
        (principle2_strict, "compare with >=, not >"), (principle2_zero_for_background, "not 0")]),
    (checks.check_assign, assign, [(assign_principle1_first, "principle 1 must win")]),
    (checks.check_encode, encode, [
        (encode_without_log, "missing the log"), (encode_swapped_variances, "variances are swapped"),
        (encode_without_variances, "ignore the variances")]),
    (checks.check_smooth_l1, smooth_l1, [
        (smooth_l1_switch_on_x, "test |x| < 1, not x < 1"), (smooth_l1_without_half, "0.5 * x**2"),
        (smooth_l1_summed, "no sum")]),
    (checks.check_cross_entropy, cross_entropy, [
        (cross_entropy_naive, "log-sum-exp"), (cross_entropy_without_minus, "opposite sign")]),
    (checks.check_hard_negative_mask, hard_negative_mask, [
        (hard_negatives_mining_positives, "you mined a positive"),
        (hard_negatives_uncapped, "not capped by the number of negatives"),
        (hard_negatives_with_positives, "without the positives")]),
    (checks.check_loss_normalisation, loss_normalisation, [
        (normalisation_by_4n, "not by 4N"), (normalisation_without_guard, "N = 0")]),
    (checks.check_multibox_loss, multibox_loss, [
        (multibox_loss_by_4n, "not by 4N"), (multibox_loss_all_negatives, "hard negatives"),
        (multibox_loss_per_image, "whole batch")]),
]
IDS = [check.__name__ for check, _, _ in CHECKS]
WRONG = [pytest.param(check, wrong, hint, id=f"{check.__name__}-{wrong.__name__}")
         for check, _, wrongs in CHECKS for wrong, hint in wrongs]


def test_every_check_is_tested():
    public = {name for name in checks.__all__ if name.startswith("check_") and not name.startswith("check_fix_")}
    assert public == set(IDS)


@pytest.mark.parametrize(("check", "solution"), [(c, s) for c, s, _ in CHECKS], ids=IDS)
def test_correct_solution_passes(check, solution, capsys):
    assert check(solution) is True
    out = capsys.readouterr().out
    name = check.__name__.removeprefix("check_")
    assert out.startswith(f"✓ {name}: all ") and out.endswith(" cases pass\n")
    assert out.count("\n") == 1


@pytest.mark.parametrize("check", [c for c, _, _ in CHECKS], ids=IDS)
def test_scaffold_says_not_implemented(check, capsys):
    assert check(not_implemented) is False
    assert capsys.readouterr().out == checks.NOT_IMPLEMENTED + "\n"
    assert checks.NOT_IMPLEMENTED == "Not implemented yet: replace `raise NotImplementedError` with your code."


@pytest.mark.parametrize(("check", "wrong", "hint"), WRONG)
def test_typical_mistake_is_named(check, wrong, hint, capsys):
    assert check(wrong) is False
    out = capsys.readouterr().out
    name = check.__name__.removeprefix("check_")
    assert out.startswith(f"✗ {name}: ")
    assert "expected:" in out and "got:" in out
    hint_line = next(line for line in out.splitlines() if line.strip().startswith("Hint:"))
    assert hint in hint_line, out


def test_report_shows_the_failing_input_and_both_values(capsys):
    checks.check_iou_pair(iou_without_clamp)
    out = capsys.readouterr().out
    assert "✗ iou_pair: 3 of 14 cases fail" in out
    assert "Case 4 (boxes side by side with a gap in x):" in out
    assert "box_a = [0.1000, 0.2000, 0.3000, 0.6000]" in out
    assert "expected: 0.0000" in out
    # intersection (0.3 - 0.5) * (0.6 - 0.3) = -0.06; union 0.08 + 0.16 + 0.06 = 0.30
    assert f"got:      {-0.06 / 0.30:.4f}" in out
    assert "Also failing: cases 5 (boxes apart in both x and y), 8 (two boxes with no area (union 0))" in out


def test_output_is_deterministic(capsys):
    for _ in range(2):
        checks.check_hard_negative_mask(hard_negatives_mining_positives)
        checks.check_multibox_loss(multibox_loss_per_image)
    out = capsys.readouterr().out
    half = len(out) // 2
    assert out[:half] == out[half:]


def test_exception_is_reported_with_its_line_and_input(capsys):
    def iou_dividing_by_zero(box_a, box_b):
        x1a, y1a, x2a, y2a = box_a.tolist()
        x1b, y1b, x2b, y2b = box_b.tolist()
        intersection = max(0.0, min(x2a, x2b) - max(x1a, x1b)) * max(0.0, min(y2a, y2b) - max(y1a, y1b))
        return intersection / ((x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - intersection)

    assert checks.check_iou_pair(iou_dividing_by_zero) is False
    out = capsys.readouterr().out
    assert "your function raised ZeroDivisionError: float division by zero" in out
    assert "in iou_dividing_by_zero: return intersection / ((x2a - x1a)" in out
    assert "Case 8 of 14 (two boxes with no area (union 0)):" in out
    assert "box_a = [0.3000, 0.3000, 0.3000, 0.5000]" in out
    assert "return 0 when the union is 0" in out


def test_exception_inside_torch_points_at_the_learners_line(capsys):
    def uncapped_topk(conf_loss, positive, neg_pos_ratio):
        kept = conf_loss.masked_fill(positive, -math.inf).topk(neg_pos_ratio * int(positive.sum())).indices
        return torch.zeros_like(positive).index_fill(0, kept, True)

    assert checks.check_hard_negative_mask(uncapped_topk) is False
    out = capsys.readouterr().out
    assert "your function raised RuntimeError" in out
    assert "in uncapped_topk: kept = conf_loss.masked_fill" in out
    assert "Case 3 of 10 (3 x positives exceeds the negatives):" in out
    assert "min(neg_pos_ratio * positives, negatives)" in out


def test_none_returned_asks_for_return(capsys):
    def forgot_return(box):
        cx, cy, w, h = box
        (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    assert checks.check_cxcywh_to_xyxy(forgot_return) is False
    assert "returned None" in capsys.readouterr().out


def test_wrong_kind_of_result_is_explained(capsys):
    assert checks.check_iou_pair(lambda a, b: (0.5, 0.5)) is False
    assert "returned a tuple of 2 values; it should return one number" in capsys.readouterr().out
    assert checks.check_hard_negative_mask(lambda c, p, r: torch.tensor([2, 3, 4])) is False
    assert "did you return the indices of the kept priors?" in capsys.readouterr().out


def test_a_result_instead_of_a_function_is_explained(capsys):
    assert checks.check_iou_pair(0.25) is False
    assert "needs your function itself" in capsys.readouterr().out


def test_principle1_returning_one_gt_per_prior_gets_the_shape_hint(capsys):
    assert checks.check_principle1_loop(lambda iou: iou.argmax(dim=0)) is False
    out = capsys.readouterr().out
    assert "one prior index per GT, shape [G]" in out


def test_float32_arithmetic_passes(capsys):
    def smooth_l1_float32(x):
        x = x.float()
        return torch.where(x.abs() < 1, 0.5 * x * x, x.abs() - 0.5)

    def encode_float32(box_xyxy, prior_cxcywh, variances):
        return encoding.encode(box_xyxy.float(), prior_cxcywh.float(), variances)

    assert checks.check_smooth_l1(smooth_l1_float32) is True
    assert checks.check_encode(encode_float32) is True


def test_modifying_the_inputs_does_not_change_later_cases(capsys):
    def principle1_destroying_iou(iou):
        result = principle1_loop(iou)
        iou.fill_(0.0)
        return result

    assert checks.check_principle1_loop(principle1_destroying_iou) is True
