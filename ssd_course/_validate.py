"""Input checks shared by the public functions.

Every check raises ``ValueError`` (or ``TypeError`` for a value that is not a tensor at all)
with the argument's name, what was received and what was expected, so that a learner's
mistake is reported where it is made and not as a NaN ten steps later.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def values_str(x: Tensor) -> str:
    """A box or label for an error message, floats rounded to 4 decimals."""
    values = x.tolist()
    if isinstance(values, list):
        return "[" + ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in values) + "]"
    return f"{values:.4g}" if isinstance(values, float) else str(values)


def shape_str(x: Tensor) -> str:
    return "[" + ", ".join(str(n) for n in x.shape) + "]"


def check_tensor(
    name: str,
    x: object,
    *,
    ndim: int | None = None,
    last_dim: int | None = None,
    floating: bool = False,
    integer: bool = False,
    expected: str = "",
) -> Tensor:
    """Check the type, rank, last dimension and dtype family of ``x``; return it."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor{expected and ' ' + expected}; got {type(x).__name__}")
    wanted = expected or (f"of shape [..., {last_dim}]" if last_dim is not None else "")
    if ndim is not None and x.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions ({wanted}); got shape {shape_str(x)}")
    if last_dim is not None and (x.dim() == 0 or x.shape[-1] != last_dim):
        raise ValueError(f"{name} must be a tensor {wanted}; got shape {shape_str(x)}")
    if floating and x.dtype not in _FLOAT_DTYPES:
        raise ValueError(f"{name} must be a floating-point tensor; got dtype {x.dtype}")
    if integer and (x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool):
        raise ValueError(f"{name} must be an integer tensor (class labels, e.g. torch.int64); got dtype {x.dtype}")
    return x


def check_same_device(**tensors: Tensor) -> None:
    """All named tensors must live on one device."""
    devices = {name: t.device for name, t in tensors.items()}
    if len(set(devices.values())) > 1:
        listing = ", ".join(f"{name} on {dev}" for name, dev in devices.items())
        raise ValueError(f"all tensors must be on the same device; got {listing}")


NUMBER_RULE = "a Python number or a 0-dim tensor, not a bool"


def as_number(name: str, value: object, expected: str) -> float:
    """``value`` as a float: every numeric parameter accepts a Python number (int or float)
    or a 0-dim real tensor; a bool is rejected, as it is almost always a slip."""
    if isinstance(value, Tensor) and value.dim() == 0 and value.dtype != torch.bool and not value.is_complex():
        value = value.item()
    if isinstance(value, (bool, Tensor)) or not isinstance(value, numbers.Real):
        shown = repr(value)
        if isinstance(value, Tensor):
            shown = f"a {value.dtype} tensor of shape {shape_str(value)}" + (f" ({value.item()})" if value.numel() == 1 else "")
        raise ValueError(f"{name} must be {expected} ({NUMBER_RULE}); got {shown}")
    return float(value)


def check_threshold(threshold: float) -> float:
    expected = "a number in (0, 1]"
    value = as_number("threshold", threshold, expected)
    if not (0.0 < value <= 1.0):
        raise ValueError(f"threshold must be {expected}; got {value!r}")
    return value


def check_neg_pos_ratio(neg_pos_ratio: float) -> float:
    expected = "a number >= 0 (math.inf keeps every negative)"
    value = as_number("neg_pos_ratio", neg_pos_ratio, expected)
    if math.isnan(value) or value < 0:
        raise ValueError(f"neg_pos_ratio must be {expected}; got {value!r}")
    return value


def check_alpha(alpha: float) -> float:
    expected = "a finite number >= 0"
    value = as_number("alpha", alpha, expected)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"alpha must be {expected}; got {value!r}")
    return value


def check_beta(beta: float) -> float:
    expected = "a finite number > 0"
    value = as_number("beta", beta, expected)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"beta must be {expected}; got {value!r}")
    return value


def check_variances(variances: Sequence[float]) -> tuple[float, float]:
    expected = "two positive numbers (centre, size), e.g. (0.1, 0.2)"
    try:
        if not (isinstance(variances, (tuple, list)) and len(variances) == 2):
            raise ValueError
        values = tuple(as_number(f"variances[{i}]", v, "a finite number > 0") for i, v in enumerate(variances))
    except ValueError:
        raise ValueError(f"variances must be {expected}; got {variances!r} (each {NUMBER_RULE})") from None
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"variances must be {expected}; got {variances!r}")
    return values[0], values[1]


def check_finite_predictions(**tensors: Tensor) -> None:
    """Every named ``[B, P, ...]`` tensor holds only finite values; else name the first bad one.

    One sum per tensor is the fast test: it is finite whenever every value is (a NaN or an
    inf makes it NaN or inf). Only when it is not are the values searched, which also
    clears a sum that overflowed from finite values.
    """
    for name, x in tensors.items():
        if bool(torch.isfinite(x.detach().sum())):
            continue
        bad = ~torch.isfinite(x.detach())
        if not bad.any():
            continue
        image, prior, *rest = bad.nonzero()[0].tolist()
        where = f", column {rest[0]}" if rest else ""
        raise ValueError(
            f"{name} must be finite; got {x[(image, prior, *rest)].item()} in image {image}, prior {prior}{where} "
            f"(the first non-finite value: {name}[{image}, {prior}]). A NaN or inf prediction makes the loss "
            "NaN: look for a too high learning rate or a log of 0 upstream, or pass check_finite=False "
            "to skip this check"
        )


def check_priors(priors_cxcy: object) -> Tensor:
    priors_cxcy = check_tensor(
        "priors_cxcy", priors_cxcy, ndim=2, last_dim=4, floating=True, expected="of shape [P, 4] (cx, cy, w, h)"
    )
    if priors_cxcy.shape[0] == 0:
        raise ValueError("priors_cxcy must hold at least one prior; got shape [0, 4]")
    bad = ~torch.isfinite(priors_cxcy).all(dim=1) | (priors_cxcy[:, 2] <= 0) | (priors_cxcy[:, 3] <= 0)
    if bad.any():
        i = int(bad.nonzero()[0])
        raise ValueError(
            f"priors_cxcy[{i}] must be finite with width > 0 and height > 0; got {values_str(priors_cxcy[i])}"
        )
    return priors_cxcy


def _first_bad_box(boxes: Tensor) -> tuple[int, str] | None:
    """Index and description of the first invalid box of ``[N, 4]`` xyxy boxes, or None."""
    if boxes.shape[0] == 0:
        return None
    finite = torch.isfinite(boxes).all(dim=1)
    positive = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    fractional = ((boxes >= -1e-4) & (boxes <= 1 + 1e-4)).all(dim=1)
    bad = ~(finite & positive & fractional)
    if not bad.any():  # the one host synchronisation of the check
        return None
    i = int(bad.nonzero()[0])
    if not bool(finite[i]):
        return i, "must have finite coordinates"
    if not bool(positive[i]):
        return i, "must have x2 > x1 and y2 > y1 (a box with positive width and height)"
    return i, "must be fractional, every coordinate in [0, 1] (divide pixels by the image width/height)"


def _first_bad_label(labels: Tensor, num_classes: int | None) -> tuple[int, str] | None:
    """Index and description of the first label outside 1..C-1 of ``[N]`` labels, or None."""
    if labels.shape[0] == 0:
        return None
    bad = labels < 1 if num_classes is None else (labels < 1) | (labels > num_classes - 1)
    if not bad.any():
        return None
    i = int(bad.nonzero()[0])
    expected = "1..C-1 (0 is background)" if num_classes is None else (
        f"1..{num_classes - 1} (0 is background, C = {num_classes})")
    return i, f"must be a class label in {expected}"


EMPTY_IMAGE = "an image without objects is torch.zeros(0, 4), with labels torch.zeros(0, dtype=torch.long)"


def _check_empty(name: str, x: object, wanted: str, right: Callable[[Tensor], bool]) -> None:
    """An empty tensor of the wrong shape or dtype is a learner's "no object" written as ``torch.tensor([])``."""
    if isinstance(x, Tensor) and x.numel() == 0 and not right(x):
        raise ValueError(f"{name} must be {wanted}; got an empty {x.dtype} tensor of shape {shape_str(x)}: {EMPTY_IMAGE}")


def check_empty_boxes(name: str, boxes: object) -> None:
    _check_empty(name, boxes, "[G, 4] boxes", lambda t: t.shape[-1:] == (4,) and t.dim() == 2)


def check_empty_labels(name: str, labels: object) -> None:
    _check_empty(name, labels, "[G] integer labels", lambda t: t.dim() == 1 and not t.dtype.is_floating_point)


def check_empty_image(boxes_name: str, boxes: object, labels_name: str, labels: object) -> None:
    """The boxes and labels of one image, when empty, have the shapes of an image without objects."""
    check_empty_boxes(boxes_name, boxes)
    check_empty_labels(labels_name, labels)


def check_gt_boxes(name: str, boxes: object) -> Tensor:
    """Finite, fractional xyxy boxes ``[G, 4]`` of one image with x2 > x1 and y2 > y1."""
    check_empty_boxes(name, boxes)
    boxes = check_tensor(name, boxes, ndim=2, last_dim=4, floating=True, expected="of shape [G, 4] (x1, y1, x2, y2)")
    found = _first_bad_box(boxes)
    if found is not None:
        i, problem = found
        raise ValueError(f"{name}[{i}] {problem}; got {values_str(boxes[i])}")
    return boxes


def check_gt_labels(name: str, labels: object, num_boxes: int, num_classes: int | None = None) -> Tensor:
    """Integer labels ``[G]`` of one image, in 1..C-1 (0 is background and never a GT class)."""
    check_empty_labels(name, labels)
    labels = check_tensor(name, labels, ndim=1, integer=True, expected=f"of shape [G] = [{num_boxes}]")
    if labels.shape[0] != num_boxes:
        raise ValueError(f"{name} must have one label per box, shape [{num_boxes}]; got shape {shape_str(labels)}")
    found = _first_bad_label(labels, num_classes)
    if found is not None:
        i, problem = found
        raise ValueError(f"{name}[{i}] {problem}; got {int(labels[i])}")
    return labels


def check_gt_lists(
    boxes: object, labels: object, *, batch_size: int | None = None, num_classes: int | None = None,
    device: torch.device | None = None,
) -> tuple[Tensor, Tensor, list[int]]:
    """Per-image lists of GT boxes ``[G_b, 4]`` and labels ``[G_b]``.

    Shapes, dtypes and devices are checked image by image (no data is read); the values of
    the whole batch are checked at once on the concatenation, and a failure is reported
    with its image and box index.

    Returns:
        (Tensor[sum G_b, 4], Tensor[sum G_b], list[int]): all boxes, all labels, G_b per image.
    """
    for name, value in (("boxes", boxes), ("labels", labels)):
        if isinstance(value, Tensor) or not isinstance(value, (list, tuple)):
            raise TypeError(
                f"{name} must be a list with one tensor per image (shapes may differ); got {type(value).__name__}"
            )
    if len(boxes) != len(labels):
        raise ValueError(
            f"boxes and labels must have one entry per image; got {len(boxes)} boxes and {len(labels)} labels"
        )
    if batch_size is not None and len(boxes) != batch_size:
        raise ValueError(f"boxes must have one entry per image of the batch, B = {batch_size}; got a list of {len(boxes)}")
    if len(boxes) == 0:
        raise ValueError("boxes must hold at least one image; got an empty list")
    device = device if device is not None else getattr(boxes[0], "device", None)
    counts = []
    for b, (bx, lb) in enumerate(zip(boxes, labels)):
        check_empty_image(f"boxes[{b}]", bx, f"labels[{b}]", lb)
        check_tensor(f"boxes[{b}]", bx, ndim=2, last_dim=4, floating=True, expected="of shape [G, 4] (x1, y1, x2, y2)")
        check_tensor(f"labels[{b}]", lb, ndim=1, integer=True, expected=f"of shape [G] = [{bx.shape[0]}]")
        if lb.shape[0] != bx.shape[0]:
            raise ValueError(
                f"labels[{b}] must have one label per box of boxes[{b}], shape [{bx.shape[0]}]; "
                f"got shape {shape_str(lb)}"
            )
        if bx.device != device or lb.device != device:
            raise ValueError(
                f"boxes[{b}] and labels[{b}] must be on {device} like the other inputs; "
                f"got boxes[{b}] on {bx.device}, labels[{b}] on {lb.device}"
            )
        counts.append(bx.shape[0])
    dtype = torch.promote_types(boxes[0].dtype, torch.float32) if boxes[0].dtype in (torch.float16, torch.bfloat16) \
        else boxes[0].dtype
    all_boxes = torch.cat([bx.to(dtype) for bx in boxes])  # [sum G, 4]
    all_labels = torch.cat([lb.long() for lb in labels])  # [sum G]
    for found, name, values in (
        (_first_bad_box(all_boxes), "boxes", all_boxes),
        (_first_bad_label(all_labels, num_classes), "labels", all_labels),
    ):
        if found is not None:
            flat, problem = found
            image, start = 0, 0
            while start + counts[image] <= flat:
                start += counts[image]
                image += 1
            got = values_str(values[flat])
            raise ValueError(f"{name}[{image}][{flat - start}] {problem}; got {got}")
    return all_boxes, all_labels, counts
