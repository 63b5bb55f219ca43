"""The cases of every exercise check are what they claim to be.

A check is only as good as its cases: a case titled "an IoU exactly at the threshold" must
have one, the random cases must be of the kind their recipe promises (distinct values where
ties would make the answer ambiguous, at least one positive where mining needs one...), and a
learner must see as many cases as the committed notebooks say.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from ssd_course import checks, matching
from tests import test_checks as right
from tests import test_fix_checks as right_fix
from tests.test_wrong_learners import spec_of

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOLUTIONS = {check.__name__: solution for check, solution, _ in right.CHECKS}
SOLUTIONS |= {check.__name__: fixes[0] for check, fixes, _ in right_fix.FIX_CHECKS}


def _committed_counts() -> dict[str, int]:
    """``{check name: number of cases}`` from the "✓ name: all N cases pass" lines of the notebooks."""
    counts = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                for line in "".join(output.get("text", [])).splitlines():
                    found = re.fullmatch(r"✓ (\w+): all (\d+) cases pass", line)
                    if found:
                        counts[f"check_{found[1]}"] = int(found[2])
    return counts


COMMITTED = _committed_counts()


def test_the_notebooks_show_the_checks_passing():
    assert len(COMMITTED) >= 15
    assert set(COMMITTED) <= set(SOLUTIONS)


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_a_check_runs_as_many_cases_as_the_committed_notebooks_show(name, capsys):
    assert getattr(checks, name)(SOLUTIONS[name]) is True
    assert capsys.readouterr().out == f"✓ {name.removeprefix('check_')}: all {COMMITTED[name]} cases pass\n"
    assert len(spec_of(name).cases) == COMMITTED[name]


# ---------------------------------------------------------------------------------------------
# Boxes and priors


def test_the_random_boxes_of_the_conversion_check_are_boxes_of_the_image():
    for case in spec_of("check_cxcywh_to_xyxy").cases:
        if case.title.startswith("random"):
            cx, cy, w, h = case.args[0].tolist()
            assert 0 <= cx <= 1 and 0 <= cy <= 1 and 0 < w <= 1 and 0 < h <= 1, case.title


def test_the_random_priors_have_ssds_aspect_ratios_and_scales_inside_the_image():
    randoms = [case.args for case in spec_of("check_prior_box").cases if case.title.startswith("random")]
    for row, column, scale, ratio, size in randoms:
        assert 0 <= row < size and 0 <= column < size
        assert 0 < scale < 1 and round(scale, 2) == scale
        assert any(abs(ratio - r) < 1e-12 for r in (1.0, 2.0, 0.5, 3.0, 1 / 3))
    assert len({ratio for *_, ratio, _ in randoms}) >= 3  # not one aspect ratio for all


# ---------------------------------------------------------------------------------------------
# Matching


@pytest.mark.parametrize("check_name", ["check_principle1_loop", "check_principle2", "check_assign"])
def test_the_iou_cases_are_iou_matrices_with_3_decimals(check_name):
    for case in spec_of(check_name).cases:
        iou = case.args[0]
        assert iou.dtype == torch.float64 and iou.dim() == 2
        assert bool(((iou >= 0) & (iou <= 1)).all()), case.title
        torch.testing.assert_close(iou * 1000, (iou * 1000).round(), rtol=0, atol=1e-9)
        if case.title.startswith("random"):
            assert iou.unique().numel() == iou.numel(), case.title  # no ties
            assert iou.shape[0] <= iou.shape[1]  # at least as many priors as GTs
        if case.title.endswith("every GT's best prior is the same"):
            assert iou.argmax(dim=1).unique().numel() == 1, case.title


@pytest.mark.parametrize("check_name", ["check_principle1_loop", "check_assign"])
def test_every_other_random_iou_case_makes_the_gts_share_their_best_prior(check_name):
    titles = [case.title for case in spec_of(check_name).cases if case.title.startswith("random")]
    assert titles == [f"random IoU {k + 1}" + (", every GT's best prior is the same" if k % 2 == 0 else "")
                      for k in range(6)]
    shared = [bool(case.args[0].argmax(dim=1).unique().numel() == 1) for case in spec_of(check_name).cases
              if case.title.startswith("random")]
    assert shared[0::2] == [True, True, True]


def test_principle1_has_five_hand_made_cases_and_six_random_ones():
    titles = [case.title for case in spec_of("check_principle1_loop").cases]
    assert len(titles) == 11 and sum(t.startswith("random IoU") for t in titles) == 6


def test_the_threshold_cases_of_principle2_are_what_their_titles_say():
    cases = {case.title: case.args for case in spec_of("check_principle2").cases}
    iou, thr = cases["priors above and below the threshold"]
    best = iou.max(dim=0).values
    assert bool((best >= thr).any()) and bool((best < thr).any())
    iou, thr = cases["an IoU exactly at the threshold"]
    assert bool((iou.max(dim=0).values == thr).any())
    iou, thr = cases["two GTs reach the threshold for one prior"]
    assert bool(((iou >= thr).sum(dim=0) >= 2).any())
    # ... the first of them exactly at it: the first GT reaching the threshold is not the best one
    assert bool(((iou[0] == thr) & (iou[1] > thr)).any())
    iou, thr = cases["no prior reaches the threshold"]
    assert bool((iou < thr).all())
    assert cases["a lower threshold, 0.3"][1] == 0.3
    iou, thr = cases["two GTs tie for a prior"]
    best = iou.max(dim=0).values
    tied = (iou == best).sum(dim=0) >= 2
    assert bool((tied & (best >= thr)).any())  # a tie above the threshold: which GT wins matters


# ---------------------------------------------------------------------------------------------
# Confidence loss and mining


def test_the_cases_of_cross_entropy_are_what_their_titles_say():
    cases = {case.title: case.args for case in spec_of("check_cross_entropy").cases}
    logits, _ = cases["equal scores for 4 classes"]
    assert logits.shape == (4,) and logits.unique().numel() == 1
    assert cases["a negative prior, label 0 (background)"][1] == 0
    for title, right_class in [("a confident, right prediction", True), ("a confident, wrong prediction", False),
                               ("large logits, right class", True), ("large logits, wrong class", False)]:
        logits, label = cases[title]
        assert (int(logits.argmax()) == label) is right_class, title
    for title in ["large logits, right class", "large logits, wrong class"]:
        assert float(cases[title][0].max()) > 709, title  # exp overflows even in float64
    for title, (logits, label) in cases.items():
        assert 0 <= label < logits.numel(), title


def test_the_cases_of_hard_negative_mining_are_what_their_titles_say():
    spec = spec_of("check_hard_negative_mask")
    cases = {case.title: case.args for case in spec.cases}
    conf, positive, ratio = cases["one positive, ratio 3"]
    assert int(positive.sum()) == 1 and ratio == 3
    assert float(conf[positive].max()) > float(conf[~positive].max())  # mining the positive would take it first
    conf, positive, ratio = cases["two positives, ratio 1"]
    assert int(positive.sum()) == 2 and ratio == 1
    conf, positive, ratio = cases["3 x positives exceeds the negatives"]
    assert ratio == 3 and 3 * int(positive.sum()) > int((~positive).sum())
    conf, positive, ratio = cases["no positive at all"]
    hint = next(case.hint for case in spec.cases if case.title == "no positive at all")
    assert not bool(positive.any()) and f"{ratio} x 0 = 0" in hint
    assert bool(cases["every prior is positive"][1].all())
    for title, (conf, positive, ratio) in cases.items():
        assert conf.unique().numel() == conf.numel(), title  # no ties: one right answer
        assert bool((conf >= 0).all()), title  # cross-entropies
        if title.startswith("random"):
            assert bool(positive.any()) and ratio * int(positive.sum()) < int((~positive).sum()), title


# ---------------------------------------------------------------------------------------------
# The complete loss


def test_the_cases_of_the_multibox_loss_are_what_their_titles_say():
    cases = {case.title: case.args for case in spec_of("check_multibox_loss").cases}
    tiny = cases["one image, one object"][4]
    assert tiny.shape == (441, 4)
    assert [len(b) for b in cases["one image, one object"][2]] == [1]
    assert [len(b) for b in cases["two images, three objects and one"][2]] == [3, 1]
    assert [len(b) for b in cases["the second image has no object"][2]] == [1, 0]
    assert [len(b) for b in cases["no object in the batch (N = 0)"][2]] == [0, 0]
    locs, scores, boxes, labels, few = cases["four priors, 3 x positives exceeds the negatives"]
    assert few.shape == (4, 4)
    match = matching.match_priors_batch(boxes, labels, few)
    positives = int((match.gt_index >= 0).sum())
    assert 3 * positives > few.shape[0] - positives
    for title, (locs, scores, boxes, labels, prior_set) in cases.items():
        assert locs.shape[:2] == scores.shape[:2] == (len(boxes), prior_set.shape[0]), title
        assert all(bool((lab >= 1).all() and (lab < scores.shape[2]).all()) for lab in labels), title


def test_a_multibox_report_names_the_tiny_priors_and_prints_the_four(capsys):
    def wrong_on_four_priors(predicted_locs, predicted_scores, boxes, labels, priors_cxcy):
        result = right.multibox_loss(predicted_locs, predicted_scores, boxes, labels, priors_cxcy)
        return result + 1 if priors_cxcy.shape[0] == 4 else result

    checks.check_multibox_loss(wrong_on_four_priors)
    out = capsys.readouterr().out
    assert "Case 5 (four priors," in out and "priors_cxcy =\n      [[0.2500, 0.2500, 0.5000, 0.5000],\n" in out
    checks.check_multibox_loss(lambda *args: torch.tensor(-1.0))
    out = capsys.readouterr().out
    assert "Case 1 (one image, one object)" in out and "    priors_cxcy = priors.tiny_detector_priors() (441)\n" in out


def test_the_cases_of_the_loss_normalisation_are_what_their_titles_say():
    cases = {case.title: case.args for case in spec_of("check_loss_normalisation").cases}
    loc, conf, n, alpha = cases["two positives, six hard negatives"]
    assert (n, conf.numel() - n, loc.shape) == (2, 6, (2, 4)) and alpha == 1.0
    assert cases["one positive"][2] == 1 and cases["four positives"][2] == 4
    assert cases["alpha = 0.5"][3] == 0.5 and cases["alpha = 2"][3] == 2.0
    loc, conf, n, alpha = cases["no positive (N = 0)"]
    assert n == 0 and loc.numel() == 0 and conf.numel() == 0
    loc, conf, n, alpha = cases["fewer negatives than 3N"]
    assert 0 < conf.numel() - n < 3 * n
    for title, (loc, conf, n, alpha) in cases.items():
        assert loc.shape == (n, 4) and conf.numel() >= n, title  # the positives' offsets; their conf losses and more


# ---------------------------------------------------------------------------------------------
# Fixes (notebook 09)


def test_the_cases_of_the_mask_shape_fix_are_what_their_titles_say():
    cases = {case.title: case.args for case in spec_of("check_fix_mask_shape").cases}
    loss_c, positive, ratio = cases["two images of 6 priors, the positives have the highest losses"]
    assert positive.shape == (2, 6) and loss_c.shape == (12, 1)
    per_image = loss_c.reshape(positive.shape)
    assert all(float(per_image[b][positive[b]].min()) > float(per_image[b][~positive[b]].max()) for b in range(2))
    assert cases["two images, ratio 2"][1].shape[0] == 2 and cases["two images, ratio 2"][2] == 2
    assert cases["one image of 8 priors"][1].shape == (1, 8)
    positive = cases["three images, the second one without positives"][1]
    assert positive.any(dim=1).tolist() == [True, False, True]
    for title, (loss_c, positive, ratio) in cases.items():
        assert loss_c.shape == (positive.numel(), 1), title  # the classic code's column of B * P losses
        assert loss_c.unique().numel() == loss_c.numel() and bool((loss_c >= 0).all()), title
        assert ratio >= 1, title  # an image with positives keeps some negatives
        # every image has more negatives than ratio x its positives (the fix keeps the classic tail)
        assert bool((ratio * positive.sum(dim=1) < (~positive).sum(dim=1)).all()), title
        if title.startswith("random batch"):
            assert title.endswith(f"({positive.shape[0]} images of {positive.shape[1]} priors)")
            assert bool(positive.any(dim=1).all()), title


def test_the_cases_of_the_swapped_corners_check_are_what_their_titles_say():
    cases = {case.title: case.args[0] for case in spec_of("check_fix_swapped_corners").cases}
    width = {title: boxes[:, 2] - boxes[:, 0] for title, boxes in cases.items()}
    height = {title: boxes[:, 3] - boxes[:, 1] for title, boxes in cases.items()}
    good = "three good boxes"
    assert cases[good].shape == (3, 4) and bool((width[good] > 0).all() and (height[good] > 0).all())
    every = "every box read as (x_max, y_min, x_min, y_max)"
    assert torch.equal(cases[every], cases[good][:, [2, 1, 0, 3]]) and bool((width[every] < 0).all())
    y_only = "one box with its y corners swapped"
    assert (height[y_only] < 0).tolist() == [False, False, True] and bool((width[y_only] > 0).all())
    both = "a box with both corners swapped (its area x * y is positive)"
    assert ((width[both] < 0) & (height[both] < 0)).tolist() == [False, True, False]
    assert (width["a box of width 0"] == 0).tolist() == [False, True]
    assert (height["a box of height 0"] == 0).tolist() == [True, False]
    thin = "a very thin box, 0.0005 wide (it encodes fine)"
    assert bool((width[thin] > 0).all()) and 0 < float(width[thin].min()) < 1e-3
    assert cases["no box at all (an image without objects is fine)"].shape == (0, 4)
    random = [title for title in cases if title.startswith("random boxes")]
    assert len(random) == 4
    assert all(bool(((width[t] <= 0) | (height[t] <= 0)).any()) for t in random)  # each has a bad box


def test_the_cases_of_the_empty_image_fix_are_what_their_titles_say():
    cases = {case.title: case.args for case in spec_of("check_fix_empty_image").cases}
    for title in ["an image without objects", "another image without objects"]:
        assert cases[title][0].shape == (0, 4) and cases[title][1].shape == (0,), title
    assert cases["one object"][0].shape == (1, 4)
    assert cases["three objects (the coffee photo)"][0].shape == (3, 4)
    boxes, labels, tiny = cases["a small object: only principle 1 matches it"]
    match = matching.match_priors(boxes, labels, tiny)
    assert match.principle.unique().tolist() == [0, 1] and int((match.principle == 1).sum()) == 1
    for title, (boxes, labels, tiny) in cases.items():
        assert boxes.shape[0] == labels.shape[0] and bool((labels >= 1).all()), title


def test_the_cases_of_the_plain_l1_fix_are_what_their_titles_say():
    cases = {case.title: case.args for case in spec_of("check_fix_plain_l1").cases}
    locs, targets, positive = cases["one positive with errors 0.5, -2, 0.1, 0"]
    assert positive.tolist() == [[True, False]]
    assert (locs - targets)[positive].tolist() == [[0.5, -2.0, 0.1, 0.0]]
    locs, targets, positive = cases["errors around the switch at |x| = 1"]
    assert bool(positive.all()) and {0.99, 1.0, 1.01} <= set((locs - targets).abs().flatten().tolist())
    assert not bool(cases["no positive in the batch (N = 0)"][2].any())
    for title, (locs, targets, positive) in cases.items():
        assert locs.shape == targets.shape == (*positive.shape, 4), title
        if title.startswith("random"):
            assert bool(positive.any()), title


@pytest.mark.parametrize("check_name", ["check_fix_empty_image", "check_fix_lost_gt"])
def test_no_case_of_the_matching_fixes_is_decided_by_rounding(check_name):
    # no IoU within 1e-4 of the threshold 0.5 and no near-tie for a GT's best prior: every correct
    # matching, in float32 or float64, gives the same answer, and `<` or `<=` at 0.5 agree
    for case in spec_of(check_name).cases:
        boxes, tiny = case.args[0], case.args[-1]
        if boxes.shape[0]:
            iou = matching.gt_prior_iou(boxes, tiny)
            top2 = iou.sort(dim=1, descending=True).values[:, :2]
            assert float((iou - 0.5).abs().min()) > 1e-4, case.title
            assert float((top2[:, 0] - top2[:, 1]).min()) > 1e-4, case.title
