"""Every exercise check rejects every wrong learner we can think of, with the right hint.

Two kinds of wrong solutions:

* every known mistake of every check (``checks._Mistake``), run as a learner's function: the
  check must reject it and print that mistake's own hint -- a hint that an earlier, more
  general mistake shadows on every case, or a mistake that the cases cannot tell from the
  right answer, is a hole in the check;
* wrong solutions written here by hand, independently of ``checks.py``: boundary mistakes
  (``>`` for ``>=``), tie and greedy-order mistakes, a missing N = 0 guard, uncapped mining,
  results off by 1e-3, results of the wrong shape; and, for every known mistake, at least one
  learner making it, so that the mistake's hint is reached by a learner's code and not only by
  the check's own formula.
"""

from __future__ import annotations

import contextlib
import io
import math

import pytest
import torch

from ssd_course import checks, encoding, loss, matching
from tests import test_checks as right
from tests import test_fix_checks as right_fix

CHECK_NAMES = sorted(name for name in dir(checks) if name.startswith("check_"))


def spec_of(check_name: str) -> checks._Spec:
    """The cases and known mistakes of a check, as it builds them (its ``_run`` is not called)."""
    captured = []
    original = checks._run
    checks._run = lambda spec, fn: captured.append(spec) or True
    try:
        getattr(checks, check_name)(right.not_implemented)
    finally:
        checks._run = original
    return captured[0]


def hint_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("  Hint: "))[len("  Hint: "):]


KNOWN = [pytest.param(name, k, id=f"{name}-{k + 1}") for name in CHECK_NAMES
         for k in range(len(spec_of(name).mistakes))]


def test_every_check_has_known_mistakes():
    assert len(CHECK_NAMES) == 18
    assert all(spec_of(name).mistakes for name in CHECK_NAMES)


@pytest.mark.parametrize(("check_name", "k"), KNOWN)
def test_every_known_mistake_is_rejected_with_its_own_hint(check_name, k, capsys):
    mistake = spec_of(check_name).mistakes[k]
    assert getattr(checks, check_name)(lambda *args: mistake.variant(*args)) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✗ {check_name.removeprefix('check_')}: ") and " cases fail\n" in out, out
    assert hint_line(out) == mistake.hint


@pytest.mark.parametrize("check_name", CHECK_NAMES)
def test_every_known_mistake_runs_on_every_case(check_name):
    spec = spec_of(check_name)
    for mistake in spec.mistakes:
        for case in spec.cases:
            mistake.variant(*checks._copy(case.args))  # raises: the check has a bug


def test_a_known_mistake_that_raises_is_an_error_of_the_check_not_skipped(monkeypatch, capsys):
    def broken(box):
        raise ZeroDivisionError("float division by zero")

    original = checks._Spec

    def with_broken_first(*args, **kwargs):
        spec = original(*args, **kwargs)
        spec.mistakes.insert(0, checks._Mistake("never shown", broken))
        return spec

    monkeypatch.setattr(checks, "_Spec", with_broken_first)
    with pytest.raises(RuntimeError, match=r"check_cxcywh_to_xyxy: the formula of known mistake 1 raised "
                                           r"ZeroDivisionError: float division by zero on case 1 \("):
        checks.check_cxcywh_to_xyxy(right.corners_without_halving)
    assert "never shown" not in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# Wrong solutions written by hand
# ---------------------------------------------------------------------------------------------


def off_by(solution, delta: float = 1e-3):
    """The right solution with every number of its result moved by ``delta``."""
    def wrong(*args):
        result = solution(*args)
        if isinstance(result, torch.Tensor):
            return result + delta
        if isinstance(result, tuple | list):
            return type(result)(float(v) + delta for v in result)
        return float(result) + delta
    return wrong


def with_extra_dimension(solution):
    def wrong(*args):
        result = solution(*args)
        return torch.as_tensor(result).unsqueeze(0)
    return wrong


def iou_pair_with_touching_overlap(box_a, box_b):  # a "> 0" test where ">= 0" is meant, the other way
    x1a, y1a, x2a, y2a = box_a.tolist()
    x1b, y1b, x2b, y2b = box_b.tolist()
    width = min(x2a, x2b) - max(x1a, x1b)
    height = min(y2a, y2b) - max(y1a, y1b)
    if width < 0 or height < 0:
        return 0.0
    intersection = max(width, 1e-3) * max(height, 1e-3)  # touching boxes "overlap a little"
    union = (x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - intersection
    return intersection / union if union > 0 else 0.0


def iou_pair_nan_for_empty_boxes(box_a, box_b):
    x1a, y1a, x2a, y2a = box_a.tolist()
    x1b, y1b, x2b, y2b = box_b.tolist()
    intersection = max(0.0, min(x2a, x2b) - max(x1a, x1b)) * max(0.0, min(y2a, y2b) - max(y1a, y1b))
    union = (x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - intersection
    return intersection / union if union > 0 else math.nan


def prior_index_off_by_one(row, column, scale_index, ratio_index):
    return right.prior_index(row, column, scale_index, ratio_index) + 1


def prior_index_rows_of_eight(row, column, scale_index, ratio_index):
    return ((row * 8 + column) * 3 + scale_index) * 3 + ratio_index


def principle1_by_own_best_iou(iou):
    """The GTs served in the order of their own best IoU, each its best free prior."""
    order = sorted(range(iou.shape[0]), key=lambda g: -float(iou[g].max()))
    taken, chosen = set(), [0] * iou.shape[0]
    for g in order:
        p = max((p for p in range(iou.shape[1]) if p not in taken), key=lambda p: float(iou[g, p]))
        chosen[g] = p
        taken.add(p)
    return torch.tensor(chosen)


def principle1_by_prior(iou):
    """Greedy over priors: every prior in index order gives itself to its best free GT."""
    G, P = iou.shape
    chosen, free = [-1] * G, set(range(G))
    for p in range(P):
        if not free:
            break
        g = max(free, key=lambda g: float(iou[g, p]))
        chosen[g] = p
        free.discard(g)
    return torch.tensor(chosen)


def principle1_float_indices(iou):
    return right.principle1_loop(iou).double() + 0.5


def principle2_last_gt_on_ties(iou, threshold):
    G, P = iou.shape
    result = []
    for p in range(P):
        best_gt = max(reversed(range(G)), key=lambda g: float(iou[g, p]))
        result.append(best_gt if iou[best_gt, p] >= threshold else -1)
    return torch.tensor(result)


def principle2_first_gt_above(iou, threshold):
    G, P = iou.shape
    return torch.tensor([next((g for g in range(G) if iou[g, p] >= threshold), -1) for p in range(P)])


def principle2_per_gt(iou, threshold):
    return torch.tensor([int(iou[g].argmax()) if float(iou[g].max()) >= threshold else -1 for g in range(iou.shape[0])])


def principle2_fixed_half(iou, threshold):
    return right.principle2(iou, 0.5)


def assign_with_argmax_principle1(iou, threshold):
    gt_index = right.principle2(iou, threshold)
    for g, p in enumerate(iou.argmax(dim=1).tolist()):
        gt_index[p] = g
    return gt_index


def assign_principle1_only(iou, threshold):
    gt_index = torch.full((iou.shape[1],), -1)
    for g, p in enumerate(right.principle1_loop(iou).tolist()):
        gt_index[p] = g
    return gt_index


def assign_strict(iou, threshold):
    gt_index = right.principle2_strict(iou, threshold)
    for g, p in enumerate(right.principle1_loop(iou).tolist()):
        gt_index[p] = g
    return gt_index


def encode_log10(box_xyxy, prior_cxcywh, variances):
    x1, y1, x2, y2 = box_xyxy.tolist()
    d_cx, d_cy, d_w, d_h = prior_cxcywh.tolist()
    return (((x1 + x2) / 2 - d_cx) / d_w / variances[0], ((y1 + y2) / 2 - d_cy) / d_h / variances[0],
            math.log10((x2 - x1) / d_w) / variances[1], math.log10((y2 - y1) / d_h) / variances[1])


def smooth_l1_switch_at_a_half(x):
    return torch.where(x.abs() < 0.5, 0.5 * x**2, x.abs() - 0.5)


def smooth_l1_float32_rounded(x):
    return right.smooth_l1(x).float().round(decimals=2)


def cross_entropy_of_the_largest(logits, label):
    return right.cross_entropy(logits, int(logits.argmax()))


def cross_entropy_without_stability(logits, label):
    z = logits.tolist()
    return -math.log(math.exp(z[label]) / sum(math.exp(v) for v in z)) if max(z) < 700 else math.inf


def hard_negatives_ties_by_index_reversed(conf_loss, positive, neg_pos_ratio):
    """Keeps the right count, but of the easiest negatives."""
    num_kept = min(neg_pos_ratio * int(positive.sum()), int((~positive).sum()))
    negatives = [p for p in range(len(conf_loss)) if not positive[p]]
    negatives.sort(key=lambda p: float(conf_loss[p]))
    mask = torch.zeros(len(conf_loss), dtype=torch.bool)
    mask[negatives[:num_kept]] = True
    return mask


def hard_negatives_one_too_many(conf_loss, positive, neg_pos_ratio):
    num_kept = min(neg_pos_ratio * int(positive.sum()) + 1, int((~positive).sum()))
    negatives = sorted((p for p in range(len(conf_loss)) if not positive[p]), key=lambda p: -float(conf_loss[p]))
    mask = torch.zeros(len(conf_loss), dtype=torch.bool)
    mask[negatives[:num_kept]] = True
    return mask


def hard_negatives_as_indices(conf_loss, positive, neg_pos_ratio):
    return right.hard_negative_mask(conf_loss, positive, neg_pos_ratio).nonzero().flatten()


def normalisation_without_alpha(loc_loss, conf_loss, num_positives, alpha):
    return right.loss_normalisation(loc_loss, conf_loss, num_positives, 1.0)


def normalisation_nan_for_zero(loc_loss, conf_loss, num_positives, alpha):
    if num_positives == 0:
        return math.nan
    return right.loss_normalisation(loc_loss, conf_loss, num_positives, alpha)


def normalisation_by_n_plus_one(loc_loss, conf_loss, num_positives, alpha):
    return (float(conf_loss.sum()) + alpha * float(loc_loss.sum())) / (num_positives + 1)


def multibox_loss_ratio_one(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    return float(loss.multibox_loss(predicted_locs, predicted_scores, boxes, labels, priors_cxcy,
                                    neg_pos_ratio=1).total)


def multibox_loss_threshold_strict(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    return float(loss.multibox_loss(predicted_locs, predicted_scores, boxes, labels, priors_cxcy,
                                    threshold=0.6).total)


def multibox_loss_unguarded(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    parts = loss.multibox_loss(predicted_locs, predicted_scores, boxes, labels, priors_cxcy)
    n = sum(int((matching.match_priors(b, lab, priors_cxcy).gt_index >= 0).sum()) for b, lab in zip(boxes, labels))
    return (float(parts.total) * max(n, 1)) / n if n else math.nan


def bad_boxes_first_only(boxes_xyxy):
    return right_fix.bad_boxes_vectorised(boxes_xyxy)[:1]


def bad_boxes_with_a_tolerance(boxes_xyxy):  # "almost zero" counted as zero
    width, height = boxes_xyxy[:, 2] - boxes_xyxy[:, 0], boxes_xyxy[:, 3] - boxes_xyxy[:, 1]
    return ((width <= 1e-3) | (height <= 1e-3)).nonzero().flatten()


def labels_minus_one_for_empty(gt_boxes, gt_labels, priors_cxcy):
    if len(gt_boxes) == 0:
        return torch.full((len(priors_cxcy),), -1)
    return right_fix.labels_with_the_package(gt_boxes, gt_labels, priors_cxcy)


def match_principle1_by_own_best_iou(gt_boxes, priors_cxcy):
    overlap, gt_index = right_fix._principle2(gt_boxes, priors_cxcy)
    for g, prior in enumerate(principle1_by_own_best_iou(overlap).tolist()):
        gt_index[prior] = g
    return gt_index


def location_loss_beta_half(predicted_locs, loc_targets, positive):
    n = int(positive.sum())
    d = (predicted_locs[positive] - loc_targets[positive]).abs()
    return float(torch.where(d < 0.5, d**2, d - 0.25).sum()) / max(n, 1)


def location_loss_nan_for_zero(predicted_locs, loc_targets, positive):
    n = int(positive.sum())
    if n == 0:
        return math.nan
    return right_fix.location_loss_loop(predicted_locs, loc_targets, positive)


def location_loss_by_n_plus_one(predicted_locs, loc_targets, positive):
    n = int(positive.sum())
    return float(loss.smooth_l1(predicted_locs[positive] - loc_targets[positive]).sum()) / (n + 1)


# One learner for every known mistake that no other wrong solution here reaches: written as a
# learner would, so that a wrong formula of a known mistake cannot pass unnoticed.


def corners_x_then_y(box):
    cx, cy, w, h = box.tolist()
    return (cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2)  # both x, then both y


def corners_width_with_y(box):
    cx, cy, w, h = box.tolist()
    return (cx - h / 2, cy - w / 2, cx + h / 2, cy + w / 2)


def corners_keeping_the_size(box):
    cx, cy, w, h = box.tolist()
    return (cx - w / 2, cy - h / 2, w, h)  # top-left corner, then the size


def iou_clamping_the_product(box_a, box_b):
    x1a, y1a, x2a, y2a = box_a.tolist()
    x1b, y1b, x2b, y2b = box_b.tolist()
    intersection = max(0.0, (min(x2a, x2b) - max(x1a, x1b)) * (min(y2a, y2b) - max(y1a, y1b)))
    union = (x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - intersection
    return intersection / union if union > 0 else 0.0


def iou_over_the_first_area(box_a, box_b):
    x1a, y1a, x2a, y2a = box_a.tolist()
    x1b, y1b, x2b, y2b = box_b.tolist()
    intersection = max(0.0, min(x2a, x2b) - max(x1a, x1b)) * max(0.0, min(y2a, y2b) - max(y1a, y1b))
    area_a = (x2a - x1a) * (y2a - y1a)
    return intersection / area_a if area_a > 0 else 0.0


def iou_unclamped_guarding_a_positive_union(box_a, box_b):
    x1a, y1a, x2a, y2a = box_a.tolist()
    x1b, y1b, x2b, y2b = box_b.tolist()
    intersection = (min(x2a, x2b) - max(x1a, x1b)) * (min(y2a, y2b) - max(y1a, y1b))
    union = (x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - intersection
    return intersection / union if union > 0 else 0.0


def iou_with_pixel_widths(box_a, box_b):  # the "+ 1" of integer pixel coordinates
    x1a, y1a, x2a, y2a = box_a.tolist()
    x1b, y1b, x2b, y2b = box_b.tolist()
    width = max(0.0, min(x2a, x2b) - max(x1a, x1b) + 1)
    height = max(0.0, min(y2a, y2b) - max(y1a, y1b) + 1)
    intersection = width * height
    union = (x2a - x1a + 1) * (y2a - y1a + 1) + (x2b - x1b + 1) * (y2b - y1b + 1) - intersection
    return intersection / union if union > 0 else 0.0


def prior_row_gives_x(row, column, scale, aspect_ratio, map_size):
    return ((row + 0.5) / map_size, (column + 0.5) / map_size,
            scale * math.sqrt(aspect_ratio), scale / math.sqrt(aspect_ratio))


def prior_ratio_as_height_over_width(row, column, scale, aspect_ratio, map_size):
    return ((column + 0.5) / map_size, (row + 0.5) / map_size,
            scale / math.sqrt(aspect_ratio), scale * math.sqrt(aspect_ratio))


def prior_on_a_map_of_seven(row, column, scale, aspect_ratio, map_size):
    return ((column + 0.5) / 7, (row + 0.5) / 7, scale * math.sqrt(aspect_ratio), scale / math.sqrt(aspect_ratio))


def prior_index_column_major(row, column, scale_index, ratio_index):
    return ((column * 7 + row) * 3 + scale_index) * 3 + ratio_index


def prior_index_cells_one_apart(row, column, scale_index, ratio_index):
    return row * 7 + column + scale_index * 3 + ratio_index


def principle1_best_gt_of_every_prior(iou):
    G, P = iou.shape
    return torch.tensor([max(range(G), key=lambda g: float(iou[g, p])) for p in range(P)])


def principle2_without_threshold(iou, threshold):
    G, P = iou.shape
    return torch.tensor([max(range(G), key=lambda g: float(iou[g, p])) for p in range(P)])


def _centre_size(box_xyxy):
    x1, y1, x2, y2 = box_xyxy.tolist()
    return (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1


def encode_relative_size_change(box_xyxy, prior_cxcywh, variances):
    g_cx, g_cy, g_w, g_h = _centre_size(box_xyxy)
    d_cx, d_cy, d_w, d_h = prior_cxcywh.tolist()
    return ((g_cx - d_cx) / d_w / variances[0], (g_cy - d_cy) / d_h / variances[0],
            (g_w / d_w - 1) / variances[1], (g_h / d_h - 1) / variances[1])


def encode_times_variances(box_xyxy, prior_cxcywh, variances):
    g_cx, g_cy, g_w, g_h = _centre_size(box_xyxy)
    d_cx, d_cy, d_w, d_h = prior_cxcywh.tolist()
    return ((g_cx - d_cx) / d_w * variances[0], (g_cy - d_cy) / d_h * variances[0],
            math.log(g_w / d_w) * variances[1], math.log(g_h / d_h) * variances[1])


def encode_centre_shift_unscaled(box_xyxy, prior_cxcywh, variances):
    g_cx, g_cy, g_w, g_h = _centre_size(box_xyxy)
    d_cx, d_cy, d_w, d_h = prior_cxcywh.tolist()
    return ((g_cx - d_cx) / variances[0], (g_cy - d_cy) / variances[0],
            math.log(g_w / d_w) / variances[1], math.log(g_h / d_h) / variances[1])


def encode_y_by_prior_width(box_xyxy, prior_cxcywh, variances):
    g_cx, g_cy, g_w, g_h = _centre_size(box_xyxy)
    d_cx, d_cy, d_w, d_h = prior_cxcywh.tolist()
    return ((g_cx - d_cx) / d_w / variances[0], (g_cy - d_cy) / d_w / variances[0],
            math.log(g_w / d_w) / variances[1], math.log(g_h / d_h) / variances[1])


def encode_corners_as_centre_size(box_xyxy, prior_cxcywh, variances):
    g_cx, g_cy, g_w, g_h = box_xyxy.tolist()  # the corners read as if they were centre and size
    d_cx, d_cy, d_w, d_h = prior_cxcywh.tolist()
    return ((g_cx - d_cx) / d_w / variances[0], (g_cy - d_cy) / d_h / variances[0],
            math.log(g_w / d_w) / variances[1], math.log(g_h / d_h) / variances[1])


def smooth_l1_linear_part_without_half(x):
    return torch.where(x.abs() < 1, 0.5 * x**2, x.abs())


def smooth_l1_linear_part_without_abs(x):
    return torch.where(x.abs() < 1, 0.5 * x**2, x - 0.5)


def smooth_l1_plain_l1(x):
    return x.abs()


def smooth_l1_quadratic_everywhere(x):
    return 0.5 * x**2


def smooth_l1_averaged(x):
    return torch.where(x.abs() < 1, 0.5 * x**2, x.abs() - 0.5).mean()


def cross_entropy_one_minus_p(logits, label):
    return float(1 - torch.softmax(logits, dim=0)[label])


def cross_entropy_minus_p(logits, label):
    return float(-torch.softmax(logits, dim=0)[label])


def cross_entropy_raw_score(logits, label):
    return -float(logits[label])


def cross_entropy_of_the_background(logits, label):
    log_probabilities = torch.log_softmax(logits[None], dim=1)  # [1, C]
    return -float(log_probabilities[0][0])  # meant [0][label]


def hard_negatives_ranked_then_positives_dropped(conf_loss, positive, neg_pos_ratio):
    num_kept = min(neg_pos_ratio * int(positive.sum()), int((~positive).sum()))
    ranked = sorted(range(len(conf_loss)), key=lambda p: -float(conf_loss[p]))
    mask = torch.zeros(len(conf_loss), dtype=torch.bool)
    mask[ranked[:num_kept]] = True
    return mask & ~positive


def hard_negatives_ratio_three(conf_loss, positive, neg_pos_ratio):
    num_kept = min(3 * int(positive.sum()), int((~positive).sum()))
    negatives = sorted((p for p in range(len(conf_loss)) if not positive[p]), key=lambda p: -float(conf_loss[p]))
    mask = torch.zeros(len(conf_loss), dtype=torch.bool)
    mask[negatives[:num_kept]] = True
    return mask


def normalisation_conf_by_kept(loc_loss, conf_loss, num_positives, alpha):
    if num_positives == 0:
        return 0.0
    return float(conf_loss.mean()) + alpha * float(loc_loss.sum()) / num_positives


def normalisation_both_means(loc_loss, conf_loss, num_positives, alpha):
    if num_positives == 0:
        return 0.0
    return float(conf_loss.mean()) + alpha * float(loc_loss.mean())


def normalisation_alpha_on_conf(loc_loss, conf_loss, num_positives, alpha):
    if num_positives == 0:
        return 0.0
    return (alpha * float(conf_loss.sum()) + float(loc_loss.sum())) / num_positives


def normalisation_not_divided(loc_loss, conf_loss, num_positives, alpha):
    return float(conf_loss.sum()) + alpha * float(loc_loss.sum())


def normalisation_only_loc_divided(loc_loss, conf_loss, num_positives, alpha):
    return float(conf_loss.sum()) + alpha * float(loc_loss.sum()) / max(num_positives, 1)


def normalisation_only_conf_divided(loc_loss, conf_loss, num_positives, alpha):
    return float(conf_loss.sum()) / max(num_positives, 1) + alpha * float(loc_loss.sum())


def _multibox_sums(predicted_locs, predicted_scores, boxes, labels, priors_cxcy, *, location, targets_of):
    """Location sum, confidence sum and N of a batch, with the learner's own location loss and targets."""
    loc_sum, conf_sum, num_positives = 0.0, 0.0, 0
    for b in range(predicted_locs.shape[0]):
        match = matching.match_priors(boxes[b], labels[b], priors_cxcy)
        positive = match.gt_index >= 0
        if positive.any():
            targets = targets_of(boxes[b][match.gt_index[positive]], priors_cxcy[positive])
            loc_sum += float(location(predicted_locs[b][positive] - targets).sum())
        conf = loss.confidence_loss(predicted_scores[b][None], match.labels[None])[0]
        hard = loss.hard_negative_mask(conf[None], positive[None], 3)[0]
        conf_sum += float(conf[positive | hard].sum())
        num_positives += int(positive.sum())
    return loc_sum, conf_sum, num_positives


def multibox_loss_plain_l1(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    loc_sum, conf_sum, n = _multibox_sums(predicted_locs, predicted_scores, boxes, labels, priors_cxcy,
                                          location=torch.abs, targets_of=encoding.encode)
    return (conf_sum + loc_sum) / max(n, 1)


def multibox_loss_mean_of_images(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    total = 0.0
    for b in range(predicted_locs.shape[0]):
        total += float(loss.multibox_loss(predicted_locs[b:b + 1], predicted_scores[b:b + 1], boxes[b:b + 1],
                                          labels[b:b + 1], priors_cxcy).total)
    return total / predicted_locs.shape[0]


def encode_without_variances_batch(boxes_xyxy, priors_cxcy):
    """The learner's own encoder of notebook 04, for many boxes, without the variances."""
    centres = (boxes_xyxy[:, :2] + boxes_xyxy[:, 2:]) / 2  # [N, 2]
    sizes = boxes_xyxy[:, 2:] - boxes_xyxy[:, :2]  # [N, 2]
    return torch.cat(((centres - priors_cxcy[:, :2]) / priors_cxcy[:, 2:], torch.log(sizes / priors_cxcy[:, 2:])),
                     dim=1)


def multibox_loss_own_encoding(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    loc_sum, conf_sum, n = _multibox_sums(predicted_locs, predicted_scores, boxes, labels, priors_cxcy,
                                          location=loss.smooth_l1, targets_of=encode_without_variances_batch)
    return (conf_sum + loc_sum) / max(n, 1)


def multibox_loss_conf_not_divided(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
    loc_sum, conf_sum, n = _multibox_sums(predicted_locs, predicted_scores, boxes, labels, priors_cxcy,
                                          location=loss.smooth_l1, targets_of=encoding.encode)
    return conf_sum + loc_sum / max(n, 1)


# check, the right solution, and the hand-written wrong ones (with a text the hint must contain, or
# "" where no hint names the mistake and the check's general hint or a case hint is shown)
HAND_WRONG = {
    "check_cxcywh_to_xyxy": (right.cxcywh_to_xyxy, [
        (off_by(right.cxcywh_to_xyxy), ""),
        (lambda box: tuple(right.cxcywh_to_xyxy(box))[:3], "got:      [0.4000, 0.3000, 0.6000]"),
        (with_extra_dimension(right.cxcywh_to_xyxy), ""),
        (corners_x_then_y, "order (x1, x2, y1, y2)"),
        (corners_width_with_y, "the width w goes with x"),
        (corners_keeping_the_size, "not the width and height"),
    ]),
    "check_iou_pair": (right.iou_pair, [
        (off_by(right.iou_pair), ""),
        (iou_pair_with_touching_overlap, ""),
        (iou_pair_nan_for_empty_boxes, "return 0 when the union is 0"),
        (lambda a, b: torch.tensor([right.iou_pair(a, b), 0.0]), "one number"),
        (iou_clamping_the_product, "clamps the product"),
        (iou_over_the_first_area, "intersection / area_a"),
        (iou_with_pixel_widths, "x2 - x1 + 1"),
        (iou_unclamped_guarding_a_positive_union, "not clamped at 0"),
    ]),
    "check_prior_box": (right.prior_box, [
        (off_by(right.prior_box), ""),
        (lambda *a: right.prior_box(*a)[:2], "got:      [0.0714, 0.0714]\n"),
        (prior_row_gives_x, "the column j gives x"),
        (prior_ratio_as_height_over_width, "you swapped w and h"),
        (prior_on_a_map_of_seven, "not by 7"),
    ]),
    "check_prior_index": (right.prior_index, [
        (prior_index_off_by_one, ""),
        (prior_index_rows_of_eight, ""),
        (lambda *a: float(right.prior_index(*a)) + 0.5, "one integer index"),
        (prior_index_column_major, "you swapped row and column"),
        (prior_index_cells_one_apart, "multiply the cell number"),
    ]),
    "check_principle1_loop": (right.principle1_loop, [
        (principle1_by_own_best_iou, "order of their own best IoU"),
        (principle1_by_prior, ""),
        (principle1_float_indices, "fractions"),
        (with_extra_dimension(right.principle1_loop), ""),
        (principle1_best_gt_of_every_prior, "not one GT per prior"),
    ]),
    "check_principle2": (right.principle2, [
        (right.principle2_strict, "compare with >=, not >"),
        (principle2_fixed_half, ""),
        (principle2_first_gt_above, "first GT above the threshold"),
        (principle2_per_gt, "starts from each prior"),
        (principle2_last_gt_on_ties, ""),
        (lambda iou, thr: right.principle2(iou, thr) == -1, "bool tensor"),
        (principle2_without_threshold, "best GT without the threshold"),
    ]),
    "check_assign": (right.assign, [
        (assign_with_argmax_principle1, "plain argmax"),
        (assign_strict, ""),
        (right.principle2, "principle 2 alone"),
        (assign_principle1_only, "principle 1 alone"),
        (lambda iou, thr: right.assign(iou, thr)[:-1], ""),
    ]),
    "check_encode": (right.encode, [
        (off_by(right.encode), ""),
        (encode_log10, "not log10"),
        (lambda b, p, v: right.encode(b, p, v)[:2], "got:      [0.2500, 0.0000]\n"),
        (encode_relative_size_change, "g_w / d_w - 1"),
        (encode_times_variances, "multiplied by the variances"),
        (encode_centre_shift_unscaled, "centre offsets are measured in prior sizes"),
        (encode_y_by_prior_width, "not / d_w"),
        (encode_corners_as_centre_size, "convert it to centre and size first"),
    ]),
    "check_smooth_l1": (right.smooth_l1, [
        (off_by(right.smooth_l1), ""),
        (smooth_l1_switch_at_a_half, ""),
        (smooth_l1_float32_rounded, ""),
        (with_extra_dimension(right.smooth_l1), ""),
        (smooth_l1_linear_part_without_half, "(you have |x|)"),
        (smooth_l1_linear_part_without_abs, "-x - 0.5, positive"),
        (smooth_l1_plain_l1, "that is plain L1"),
        (smooth_l1_quadratic_everywhere, "everywhere (L2)"),
        (smooth_l1_averaged, "no mean"),
    ]),
    "check_cross_entropy": (right.cross_entropy, [
        (off_by(right.cross_entropy), ""),
        (cross_entropy_of_the_largest, ""),
        (cross_entropy_without_stability, "log-sum-exp"),
        (cross_entropy_one_minus_p, "looks like 1 - p"),
        (cross_entropy_minus_p, "looks like -p without the log"),
        (cross_entropy_raw_score, "the raw score -logits[label]"),
        (cross_entropy_of_the_background, "label 0 is the background only"),
    ]),
    "check_hard_negative_mask": (right.hard_negative_mask, [
        (right.hard_negatives_uncapped, "not capped by the number of negatives"),
        (hard_negatives_ties_by_index_reversed, "easiest negatives"),
        (hard_negatives_one_too_many, ""),
        (hard_negatives_as_indices, ""),
        (hard_negatives_ranked_then_positives_dropped, "then removed the positives"),
        (hard_negatives_ratio_three, "not a fixed 3"),
    ]),
    "check_loss_normalisation": (right.loss_normalisation, [
        (off_by(right.loss_normalisation), ""),
        (right.normalisation_without_guard, "N = 0"),
        (normalisation_nan_for_zero, "N = 0"),
        (normalisation_without_alpha, "alpha"),
        (normalisation_by_n_plus_one, ""),
        (normalisation_conf_by_kept, "not by the number of kept priors"),
        (normalisation_both_means, "each by its own number of terms"),
        (normalisation_alpha_on_conf, "alpha weighs the location loss: (conf"),
        (normalisation_not_divided, "divide the sum by N"),
        (normalisation_only_loc_divided, "divide the confidence loss by N too."),
        (normalisation_only_conf_divided, "divide the location loss by N too."),
    ]),
    "check_multibox_loss": (right.multibox_loss, [
        (off_by(right.multibox_loss), ""),
        (multibox_loss_ratio_one, ""),
        (multibox_loss_threshold_strict, ""),
        (multibox_loss_unguarded, "N = 0"),
        (right.multibox_loss_all_negatives, "hard negatives"),
        (multibox_loss_plain_l1, "plain L1, |x|"),
        (multibox_loss_mean_of_images, "by its own N and averaged"),
        (multibox_loss_own_encoding, "variances (0.1, 0.2)"),
        (multibox_loss_conf_not_divided, "divide the confidence loss by N too: L"),
    ]),
    "check_fix_mask_shape": (right_fix.mining_view_then_mask, [
        (right_fix.mining_mask_then_view, ""),
        (lambda c, p, r: right_fix.mining_view_then_mask(c, p, r).flatten(), ""),
    ]),
    "check_fix_swapped_corners": (right_fix.bad_boxes_vectorised, [
        (right_fix.bad_boxes_strict, "exactly 0"),
        (bad_boxes_first_only, ""),
        (bad_boxes_with_a_tolerance, "thin box is a good box"),
    ]),
    "check_fix_empty_image": (right_fix.labels_with_the_package, [
        (labels_minus_one_for_empty, "not -1"),
        (right_fix.labels_empty_for_empty, "P priors"),
    ]),
    "check_fix_lost_gt": (right_fix.match_greedy_loop, [
        (right_fix.match_classic_overwrite, "argmax"),
        (right_fix.match_gt_order_greedy, "index order"),
        (right_fix.match_first_gt_wins, "reverse order"),
        (match_principle1_by_own_best_iou, ""),
    ]),
    "check_fix_plain_l1": (right_fix.location_loss_loop, [
        (off_by(right_fix.location_loss_loop), ""),
        (location_loss_beta_half, ""),
        (location_loss_nan_for_zero, "N = 0"),
        (location_loss_by_n_plus_one, ""),
        (right_fix.location_loss_unguarded, "N = 0"),
    ]),
}

HAND = [pytest.param(name, wrong, hint, id=f"{name}-{k + 1}") for name, (_, wrongs) in HAND_WRONG.items()
        for k, (wrong, hint) in enumerate(wrongs)]


def test_every_check_has_hand_written_wrong_learners():
    assert sorted(HAND_WRONG) == CHECK_NAMES


@pytest.mark.parametrize("check_name", sorted(HAND_WRONG))
def test_the_right_solution_used_here_passes(check_name, capsys):
    assert getattr(checks, check_name)(HAND_WRONG[check_name][0]) is True, capsys.readouterr().out


@pytest.mark.parametrize(("check_name", "wrong", "hint"), HAND)
def test_a_hand_written_wrong_learner_is_rejected(check_name, wrong, hint, capsys):
    assert getattr(checks, check_name)(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✗ {check_name.removeprefix('check_')}: "), out
    assert hint in out, out


def _hints_reached(check_name: str, learners) -> set[str]:
    """The hints that the check prints for these wrong learners."""
    reached = set()
    for wrong in learners:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            getattr(checks, check_name)(wrong)
        if "  Hint: " in out.getvalue():
            reached.add(hint_line(out.getvalue()))
    return reached


def _all_wrong_learners(check_name: str) -> list:
    """Every wrong solution written by hand for a check, here, in test_checks and in test_fix_checks."""
    learners = [wrong for check, _, wrongs in right.CHECKS + right_fix.FIX_CHECKS if check.__name__ == check_name
                for wrong, _ in wrongs]
    return learners + [wrong for wrong, _ in HAND_WRONG[check_name][1]]


@pytest.mark.parametrize("check_name", CHECK_NAMES)
def test_every_known_mistake_is_reached_by_a_hand_written_learner(check_name):
    """A known mistake reached only by its own formula could hide a wrong formula or an unreachable hint."""
    reached = _hints_reached(check_name, _all_wrong_learners(check_name))
    missing = [f"mistake {k + 1}: {mistake.hint}" for k, mistake in enumerate(spec_of(check_name).mistakes)
               if mistake.hint not in reached]
    assert not missing, "no hand-written wrong learner gets these hints:\n" + "\n".join(missing)

