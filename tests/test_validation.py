"""Bad inputs to the public matching and loss API: each error names the argument, the image
and box at fault, what was received and what was expected."""

from __future__ import annotations

import math

import pytest
import torch

from ssd_course.loss import MultiBoxLoss, multibox_loss
from ssd_course.matching import match_priors, match_priors_batch
from ssd_course.priors import tiny_detector_priors
from tests.helpers import DEVICES, DTYPES

P, C = 441, 5  # the tiny detector's priors; background and 4 object classes
MUST_HAVE_SHAPE = r"must (?:have|be (?:a tensor )?of) shape"  # but not "must have shape of shape"


def gt_lists(dtype=torch.float32, device="cpu"):
    """Valid GT of a batch of two images: one box in image 0, two in image 1."""
    boxes = [
        torch.tensor([[0.1, 0.1, 0.5, 0.6]], dtype=dtype, device=device),
        torch.tensor([[0.2, 0.2, 0.4, 0.5], [0.5, 0.3, 0.9, 0.8]], dtype=dtype, device=device),
    ]
    labels = [torch.tensor([1], device=device), torch.tensor([4, 2], device=device)]
    return boxes, labels


def predictions(batch_size=2, num_priors=P, num_classes=C, dtype=torch.float32, device="cpu"):
    locs = torch.zeros(batch_size, num_priors, 4, dtype=dtype, device=device)  # [B, P, 4]
    scores = torch.zeros(batch_size, num_priors, num_classes, dtype=dtype, device=device)  # [B, P, C]
    return locs, scores


# the three entry points that take per-image lists; each returns one tensor to check


def call_loss(boxes, labels, dtype=torch.float32, device="cpu", **kwargs):
    locs, scores = predictions(dtype=dtype, device=device)
    return multibox_loss(locs, scores, boxes, labels, tiny_detector_priors(dtype).to(device), **kwargs).total


def call_module(boxes, labels, dtype=torch.float32, device="cpu", **kwargs):
    locs, scores = predictions(dtype=dtype, device=device)
    return MultiBoxLoss(tiny_detector_priors(dtype).to(device), **kwargs)(locs, scores, boxes, labels)


def call_match_batch(boxes, labels, dtype=torch.float32, device="cpu", **kwargs):
    return match_priors_batch(boxes, labels, tiny_detector_priors(dtype).to(device), **kwargs).labels


BATCH_ENTRIES = [call_loss, call_module, call_match_batch]


@pytest.mark.parametrize("entry", BATCH_ENTRIES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_valid_inputs_pass(entry, dtype, device):
    boxes, labels = gt_lists(dtype, device)
    for threshold in (0.5, 1.0):  # (0, 1]: 1 is allowed
        result = entry(boxes, labels, dtype, device, threshold=threshold)
        if entry is call_match_batch:
            assert result.shape == (2, P)
            assert set(result.unique().tolist()) == {0, 1, 2, 4}  # every GT keeps a prior (principle 1)
        else:
            assert result.shape == () and torch.isfinite(result) and result > 0


def set_box(image, box, value):
    def change(boxes, labels):
        boxes[image] = boxes[image].clone()
        boxes[image][box] = torch.tensor(value, dtype=boxes[image].dtype)
        return boxes, labels

    return change


def set_label(image, box, value):
    def change(boxes, labels):
        labels[image] = labels[image].clone()
        labels[image][box] = value
        return boxes, labels

    return change


def replace(name, image, make):
    def change(boxes, labels):
        target = boxes if name == "boxes" else labels
        target[image] = make(target[image])
        return boxes, labels

    return change


GT_LIST_CASES = {
    "lists-of-different-lengths": (
        lambda boxes, labels: (boxes, labels[:1]),
        ValueError, r"boxes and labels must have one entry per image; got 2 boxes and 1 labels",
    ),
    "boxes-not-a-list": (
        lambda boxes, labels: (torch.stack([boxes[0], boxes[1][:1]]), labels),
        TypeError, r"boxes must be a list with one tensor per image \(shapes may differ\); got Tensor",
    ),
    "labels-not-a-list": (
        lambda boxes, labels: (boxes, torch.tensor([1, 4])),
        TypeError, r"labels must be a list with one tensor per image .*got Tensor",
    ),
    "boxes-G-by-3": (
        replace("boxes", 1, lambda b: b[:, :3]),
        ValueError, rf"boxes\[1\] {MUST_HAVE_SHAPE} \[G, 4\].*got shape \[2, 3\]",
    ),
    "one-box-of-shape-4": (
        replace("boxes", 0, lambda b: b[0]),
        ValueError, r"boxes\[0\] must have 2 dimensions .*\[G, 4\].*got shape \[4\]",
    ),
    "integer-boxes": (
        replace("boxes", 0, lambda b: (b * 10).long()),
        ValueError, r"boxes\[0\] must be a floating-point tensor; got dtype torch\.int64",
    ),
    "float-labels": (
        replace("labels", 1, lambda lb: lb.float()),
        ValueError, r"labels\[1\] must be an integer tensor \(class labels.*\); got dtype torch\.float32",
    ),
    "fewer-labels-than-boxes": (
        replace("labels", 1, lambda lb: lb[:1]),
        ValueError, r"labels\[1\] must have one label per box of boxes\[1\], shape \[2\]; got shape \[1\]",
    ),
    "nan-coordinate": (
        set_box(1, 1, [0.5, math.nan, 0.9, 0.8]),
        ValueError, r"boxes\[1\]\[1\] must have finite coordinates; got \[0\.5, nan, 0\.9, 0\.8\]",
    ),
    "infinite-coordinate": (
        set_box(0, 0, [0.1, 0.1, math.inf, 0.6]),
        ValueError, r"boxes\[0\]\[0\] must have finite coordinates; got \[0\.1, 0\.1, inf, 0\.6\]",
    ),
    "x2-equals-x1": (
        set_box(1, 0, [0.4, 0.2, 0.4, 0.5]),
        ValueError, r"boxes\[1\]\[0\] must have x2 > x1 and y2 > y1 .*got \[0\.4, 0\.2, 0\.4, 0\.5\]",
    ),
    "x2-below-x1": (
        set_box(0, 0, [0.5, 0.1, 0.1, 0.6]),
        ValueError, r"boxes\[0\]\[0\] must have x2 > x1 and y2 > y1 .*got \[0\.5, 0\.1, 0\.1, 0\.6\]",
    ),
    "y2-below-y1": (
        set_box(1, 1, [0.5, 0.8, 0.9, 0.3]),
        ValueError, r"boxes\[1\]\[1\] must have x2 > x1 and y2 > y1 .*got \[0\.5, 0\.8, 0\.9, 0\.3\]",
    ),
    "pixel-coordinates": (
        set_box(1, 1, [112.0, 67.0, 224.0, 180.0]),
        ValueError, r"boxes\[1\]\[1\] must be fractional, every coordinate in \[0, 1\] .*got \[112, 67, 224, 180\]",
    ),
    "label-0-background": (
        set_label(1, 0, 0),
        ValueError, r"labels\[1\]\[0\] must be a class label in 1\.\..* \(0 is background.*\); got 0",
    ),
    "negative-label": (
        set_label(0, 0, -1),
        ValueError, r"labels\[0\]\[0\] must be a class label in 1\.\..*; got -1",
    ),
}


@pytest.mark.parametrize("case", list(GT_LIST_CASES))
@pytest.mark.parametrize("entry", BATCH_ENTRIES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", DEVICES)
def test_bad_ground_truth_lists(case, entry, dtype, device):
    change, error, message = GT_LIST_CASES[case]
    boxes, labels = change(*gt_lists(dtype, device))
    with pytest.raises(error, match=message):
        entry(boxes, labels, dtype, device)


@pytest.mark.parametrize("label", [C, C + 3])
@pytest.mark.parametrize("entry", [call_loss, call_module])
def test_labels_of_missing_classes(label, entry):
    boxes, labels = set_label(1, 1, label)(*gt_lists())
    expected = rf"labels\[1\]\[1\] must be a class label in 1\.\.4 \(0 is background, C = 5\); got {label}"
    with pytest.raises(ValueError, match=expected):
        entry(boxes, labels)


@pytest.mark.parametrize("entry", [call_loss, call_module])
def test_batch_size_disagrees_with_predictions(entry):
    boxes, labels = gt_lists()
    with pytest.raises(ValueError, match=r"boxes must have one entry per image of the batch, B = 2; got a list of 3"):
        entry(boxes + boxes[:1], labels + labels[:1])


def test_empty_batch():
    with pytest.raises(ValueError, match=r"boxes must hold at least one image; got an empty list"):
        call_match_batch([], [])


@pytest.mark.parametrize("threshold", [0, 0.0, 1.5, -0.1, math.nan])
@pytest.mark.parametrize("entry", BATCH_ENTRIES)
def test_threshold_outside_0_1(threshold, entry):
    with pytest.raises(ValueError, match=rf"threshold must be a number in \(0, 1\]; got {threshold!r}"):
        entry(*gt_lists(), threshold=threshold)


@pytest.mark.parametrize("neg_pos_ratio", [-1, -0.5, math.nan])
@pytest.mark.parametrize("entry", [call_loss, call_module])
def test_negative_neg_pos_ratio(neg_pos_ratio, entry):
    with pytest.raises(
        ValueError, match=rf"neg_pos_ratio must be a number >= 0 \(math\.inf keeps every .*\); got {neg_pos_ratio!r}"
    ):
        entry(*gt_lists(), neg_pos_ratio=neg_pos_ratio)


@pytest.mark.parametrize(
    ("locs_shape", "scores_shape", "message"),
    [
        pytest.param(
            (2, P, 4), (2, P - 1, C),
            rf"must agree on B and on P = {P} \(the number of priors\); got \[2, 441, 4\] and \[2, 440, 5\]",
            id="scores-with-wrong-P",
        ),
        pytest.param(
            (2, P - 1, 4), (2, P - 1, C), rf"must agree on B and on P = {P} .*got \[2, 440, 4\] and \[2, 440, 5\]",
            id="both-with-wrong-P",
        ),
        pytest.param(
            (3, P, 4), (2, P, C),
            r"predicted_locs \[B, P, 4\] and predicted_scores \[B, P, C\] must agree on B .*got \[3, 441, 4\]",
            id="different-B",
        ),
        pytest.param(
            (2, P, 5), (2, P, C), rf"predicted_locs {MUST_HAVE_SHAPE} \[B, P, 4\]; got shape \[2, 441, 5\]",
            id="locs-last-dim-5",
        ),
        pytest.param(
            (P, 4), (2, P, C), r"predicted_locs must have 3 dimensions \(.*\[B, P, 4\]\); got shape \[441, 4\]",
            id="locs-without-batch-dim",
        ),
        pytest.param(
            (2, P, 4), (2, P), r"predicted_scores must have 3 dimensions \(.*\[B, P, C\]\); got shape \[2, 441\]",
            id="scores-without-class-dim",
        ),
        pytest.param(
            (2, P, 4), (2, P, 1),
            r"predicted_scores must have C >= 2 classes \(background and one object class\); got C = 1",
            id="one-class",
        ),
    ],
)
def test_prediction_shapes(locs_shape, scores_shape, message):
    boxes, labels = gt_lists()
    with pytest.raises(ValueError, match=message):
        multibox_loss(torch.zeros(locs_shape), torch.zeros(scores_shape), boxes, labels, tiny_detector_priors())


def test_priors_with_last_dim_3():
    boxes, labels = gt_lists()
    locs, scores = predictions()
    with pytest.raises(ValueError, match=rf"priors_cxcy {MUST_HAVE_SHAPE} \[P, 4\].*got shape \[441, 3\]"):
        multibox_loss(locs, scores, boxes, labels, tiny_detector_priors()[:, :3])


def test_integer_predictions_and_bad_priors():
    boxes, labels = gt_lists()
    locs, scores = predictions()
    priors = tiny_detector_priors()
    with pytest.raises(ValueError, match=r"predicted_scores must be a floating-point tensor; got dtype torch\.int64"):
        multibox_loss(locs, scores.long(), boxes, labels, priors)
    flat = priors.clone()
    flat[7, 2] = 0.0
    expected = r"priors_cxcy\[7\] must be finite with width > 0 and height > 0; got \[0\.07143, 0\.07143, 0, "
    with pytest.raises(ValueError, match=expected):
        multibox_loss(locs, scores, boxes, labels, flat)
    with pytest.raises(ValueError, match=r"alpha must be a finite number >= 0; got -1"):
        multibox_loss(locs, scores, boxes, labels, priors, alpha=-1)
    with pytest.raises(ValueError, match=r"variances must be two positive numbers"):
        multibox_loss(locs, scores, boxes, labels, priors, variances=(0.1, 0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"threshold": 0}, r"threshold must be a number in \(0, 1\]; got 0", id="threshold-0"),
        pytest.param({"threshold": 1.5}, r"threshold must be a number in \(0, 1\]; got 1\.5", id="threshold-1.5"),
        pytest.param({"neg_pos_ratio": -1}, r"neg_pos_ratio must be a number >= 0 .*got -1", id="negative-ratio"),
        pytest.param({"alpha": math.inf}, r"alpha must be a finite number >= 0; got inf", id="infinite-alpha"),
        pytest.param(
            {"variances": (0.1,)}, r"variances must be two positive numbers .*; got \(0\.1,\)", id="one-variance"
        ),
    ],
)
def test_module_constructor_checks_its_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiBoxLoss(tiny_detector_priors(), **kwargs)


def test_module_constructor_checks_the_priors():
    with pytest.raises(TypeError, match=r"priors_cxcy must be a torch\.Tensor .*got list"):
        MultiBoxLoss([[0.5, 0.5, 0.2, 0.2]])
    with pytest.raises(ValueError, match=r"priors_cxcy must hold at least one prior; got shape \[0, 4\]"):
        MultiBoxLoss(torch.zeros(0, 4))


SINGLE_IMAGE_CASES = {
    "boxes-G-by-3": (
        lambda boxes, labels: (boxes[:, :3], labels),
        ValueError, rf"boxes {MUST_HAVE_SHAPE} \[G, 4\].*got shape \[2, 3\]",
    ),
    "a-list-of-boxes": (
        lambda boxes, labels: (boxes.tolist(), labels),
        TypeError, r"boxes must be a torch\.Tensor .*got list",
    ),
    "float-labels": (
        lambda boxes, labels: (boxes, labels.float()),
        ValueError, r"labels must be an integer tensor .*got dtype torch\.float32",
    ),
    "one-label-for-two-boxes": (
        lambda boxes, labels: (boxes, labels[:1]),
        ValueError, r"labels must have one label per box, shape \[2\]; got shape \[1\]",
    ),
    "nan-coordinate": (
        lambda boxes, labels: (torch.tensor([[0.2, 0.2, 0.4, 0.5], [0.5, 0.3, math.nan, 0.8]]), labels),
        ValueError, r"boxes\[1\] must have finite coordinates; got \[0\.5, 0\.3, nan, 0\.8\]",
    ),
    "y2-equals-y1": (
        lambda boxes, labels: (torch.tensor([[0.2, 0.5, 0.4, 0.5], [0.5, 0.3, 0.9, 0.8]]), labels),
        ValueError, r"boxes\[0\] must have x2 > x1 and y2 > y1 .*got \[0\.2, 0\.5, 0\.4, 0\.5\]",
    ),
    "pixel-coordinates": (
        lambda boxes, labels: (boxes * 224, labels),
        ValueError, r"boxes\[0\] must be fractional, every coordinate in \[0, 1\] .*got \[44\.8, 44\.8, 89\.6, 112\]",
    ),
    "label-0": (
        lambda boxes, labels: (boxes, torch.tensor([2, 0])),
        ValueError, r"labels\[1\] must be a class label in 1\.\.C-1 \(0 is background\); got 0",
    ),
}


@pytest.mark.parametrize("case", list(SINGLE_IMAGE_CASES))
def test_bad_single_image_ground_truth(case):
    change, error, message = SINGLE_IMAGE_CASES[case]
    boxes, labels = gt_lists()
    boxes, labels = change(boxes[1], labels[1])
    with pytest.raises(error, match=message):
        match_priors(boxes, labels, tiny_detector_priors())


@pytest.mark.parametrize("threshold", [0, 1.5, -0.1])
def test_single_image_threshold(threshold):
    boxes, labels = gt_lists()
    with pytest.raises(ValueError, match=rf"threshold must be a number in \(0, 1\]; got {threshold!r}"):
        match_priors(boxes[1], labels[1], tiny_detector_priors(), threshold=threshold)
    assert match_priors(boxes[1], labels[1], tiny_detector_priors(), threshold=1.0).labels.shape == (P,)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_ground_truth_on_another_device():
    boxes, labels = gt_lists()  # on the CPU
    locs, scores = predictions(device="cuda")
    with pytest.raises(ValueError, match=r"boxes\[0\] and labels\[0\] must be on cuda:0 like the other inputs; "
                                         r"got boxes\[0\] on cpu, labels\[0\] on cpu"):
        multibox_loss(locs, scores, boxes, labels, tiny_detector_priors().cuda())
    with pytest.raises(ValueError, match=r"same device; got predicted_locs on cuda:0, predicted_scores on cuda:0, "
                                         r"priors_cxcy on cpu"):
        multibox_loss(locs, scores, [b.cuda() for b in boxes], [lb.cuda() for lb in labels], tiny_detector_priors())


# --- one rule for numeric parameters: Python numbers or 0-dim tensors, never bools --------------

NUMERIC = {"threshold": 0.5, "neg_pos_ratio": 3, "alpha": 1.0}


@pytest.mark.parametrize("name", [*NUMERIC, "variances"])
@pytest.mark.parametrize("entry", [call_loss, call_module])
def test_bools_are_rejected_for_every_numeric_parameter(name, entry):
    value = (True, 0.2) if name == "variances" else True
    rule = r"a Python number or a 0-dim tensor, not a bool"
    message = rf"variances must be .*; got \(True, 0\.2\) \(each {rule}\)" if name == "variances" else \
        rf"{name} must be .*\({rule}\); got True"
    with pytest.raises(ValueError, match=message):
        entry(*gt_lists(), **{name: value})


def test_bools_are_rejected_by_matching_and_smooth_l1():
    from ssd_course.loss import smooth_l1

    with pytest.raises(ValueError, match=r"threshold must be .*not a bool\); got True"):
        call_match_batch(*gt_lists(), threshold=True)
    with pytest.raises(ValueError, match=r"beta must be .*not a bool\); got False"):
        smooth_l1(torch.zeros(3), beta=False)


@pytest.mark.parametrize("entry", [call_loss, call_module])
def test_zero_dim_tensors_are_accepted_for_every_numeric_parameter(entry):
    plain = entry(*gt_lists(), **NUMERIC, variances=(0.1, 0.2))
    as_tensors = {name: torch.tensor(value) for name, value in NUMERIC.items()}
    tensors = entry(*gt_lists(), **as_tensors, variances=(torch.tensor(0.1), torch.tensor(0.2)))
    assert torch.equal(plain, tensors)
    with pytest.raises(ValueError, match=r"alpha must be .*got a torch\.float32 tensor of shape \[2\]"):
        entry(*gt_lists(), alpha=torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"neg_pos_ratio must be .*not a bool\); got a torch\.bool tensor of shape \[\] \(True\)"):
        entry(*gt_lists(), neg_pos_ratio=torch.tensor(True))


# --- devices are checked before any value ---------------------------------------------------------


def test_priors_on_another_device_name_both_devices_before_any_value_check():
    boxes, labels = gt_lists()
    locs, scores = predictions()
    meta_priors = tiny_detector_priors().to("meta")  # no values at all: a value check would fail obscurely
    expected = r"same device; got predicted_locs on cpu, predicted_scores on cpu, priors_cxcy on meta"
    with pytest.raises(ValueError, match=expected):
        multibox_loss(locs, scores, boxes, labels, meta_priors)
    criterion = MultiBoxLoss(tiny_detector_priors()).to("meta")
    with pytest.raises(ValueError, match=expected):
        criterion(locs, scores, boxes, labels)
    with pytest.raises(ValueError, match=r"boxes\[0\] and labels\[0\] must be on meta like the other inputs; got boxes\[0\] on cpu"):
        match_priors_batch(boxes, labels, meta_priors)
    with pytest.raises(ValueError, match=r"same device; got boxes on cpu, labels on cpu, priors_cxcy on meta"):
        match_priors(boxes[0], labels[0], meta_priors)


# --- an image without objects ----------------------------------------------------------------------


@pytest.mark.parametrize("entry", BATCH_ENTRIES)
def test_one_dim_empty_boxes_say_how_to_write_an_image_without_objects(entry):
    boxes, labels = gt_lists()
    boxes[0], labels[0] = torch.tensor([]), torch.zeros(0, dtype=torch.long)
    hint = r"an image without objects is torch\.zeros\(0, 4\), with labels torch\.zeros\(0, dtype=torch\.long\)"
    with pytest.raises(ValueError, match=rf"boxes\[0\] must be \[G, 4\] boxes; got an empty torch\.float32 tensor of shape \[0\]: {hint}"):
        entry(boxes, labels)
    boxes[0], labels[0] = torch.zeros(0, 4), torch.tensor([])
    with pytest.raises(ValueError, match=rf"labels\[0\] must be \[G\] integer labels; got an empty torch\.float32 .*{hint}"):
        entry(boxes, labels)
    with pytest.raises(ValueError, match=rf"boxes must be \[G, 4\] boxes; got an empty .*{hint}"):
        match_priors(torch.tensor([]), torch.zeros(0, dtype=torch.long), tiny_detector_priors())
    boxes[0], labels[0] = torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)
    entry(boxes, labels)  # the right way passes
