"""Automatic feedback for the exercises of notebooks 01-07.

Each ``check_<name>(fn)`` runs the learner's function ``fn`` on hand-made cases (the edge
cases that matter) and on seeded random cases, compares every result with the package's own
function, and prints what it found:

* all cases pass: one line, ``✓ <name>: all N cases pass``, and returns True;
* ``fn`` raises ``NotImplementedError`` (the scaffold of a student copy): one line saying
  so, and returns False;
* a case fails: which input, the expected and the received value, the other failing cases,
  and a hint aimed at the mistake -- when the results match a known wrong formula (an IoU
  whose intersection is not clamped, an encoder without the log, ...) the hint names it --
  and returns False;
* ``fn`` raises another exception or returns something of the wrong kind: the exception's
  type and message, the line of ``fn`` that raised, the input, and a hint; returns False.

No check raises, so that a notebook keeps running. The output is deterministic (seeded
inputs, numbers printed with 4 decimals), so that a notebook calling a check passes strict
nbval. Inputs are float64 tensors, copied before every call (``fn`` may modify them).

The learner's functions and what they receive and return, by notebook:

* 01 :func:`check_cxcywh_to_xyxy` -- ``fn(box) -> 4 numbers``: (cx, cy, w, h) to (x1, y1, x2, y2);
  :func:`check_iou_pair` -- ``fn(box_a, box_b) -> float``: IoU of two xyxy boxes.
* 02 :func:`check_prior_box` -- ``fn(row, column, scale, aspect_ratio, map_size) -> 4 numbers``;
  :func:`check_prior_index` -- ``fn(row, column, scale_index, ratio_index) -> int``.
* 03 :func:`check_principle1_loop` -- ``fn(iou) -> Tensor[G]``: principle 1, greedy;
  :func:`check_principle2` -- ``fn(iou, threshold) -> Tensor[P]``: GT index or -1;
  :func:`check_assign` -- ``fn(iou, threshold) -> Tensor[P]``: both principles.
* 04 :func:`check_encode` -- ``fn(box_xyxy, prior_cxcywh, variances) -> 4 numbers``;
  :func:`check_smooth_l1` -- ``fn(x) -> Tensor`` shaped like ``x``.
* 05 :func:`check_cross_entropy` -- ``fn(logits, label) -> float``: one prior's loss.
* 06 :func:`check_hard_negative_mask` -- ``fn(conf_loss, positive, neg_pos_ratio) -> Tensor[P]`` (bool).
* 07 :func:`check_loss_normalisation` -- ``fn(loc_loss, conf_loss, num_positives, alpha) -> float``;
  :func:`check_multibox_loss` -- ``fn(predicted_locs, predicted_scores, boxes, labels, priors_cxcy) -> float``.

"4 numbers" may be a tuple or list of floats or 0-dim tensors, or a tensor of 4 elements;
"float" may be a Python number or a one-element tensor.

Example:
    >>> def iou_pair(box_a, box_b):
    ...     raise NotImplementedError
    >>> check_iou_pair(iou_pair)
    Not implemented yet: replace `raise NotImplementedError` with your code.
    False
"""

from __future__ import annotations

import contextlib
import copy
import math
import numbers
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ssd_course import boxes, encoding, loss, matching, priors
from ssd_course.i18n import get_language, text

__all__ = [
    "NOT_IMPLEMENTED",
    "check_assign",
    "check_cross_entropy",
    "check_cxcywh_to_xyxy",
    "check_encode",
    "check_hard_negative_mask",
    "check_iou_pair",
    "check_loss_normalisation",
    "check_multibox_loss",
    "check_principle1_loop",
    "check_principle2",
    "check_prior_box",
    "check_prior_index",
    "check_smooth_l1",
]

NOT_IMPLEMENTED = "Not implemented yet: replace `raise NotImplementedError` with your code."

_RTOL, _ATOL = 1e-5, 1e-6  # float32 arithmetic in the learner's code must still pass
_MAX_SHOWN = 48  # tensors with more elements are described, not printed
_DTYPE = torch.float64


# ---------------------------------------------------------------------------------------------
# The machinery shared by every check
# ---------------------------------------------------------------------------------------------


class _BadResult(Exception):
    """The learner's function returned something that cannot be compared (None, a tuple...)."""


@dataclass
class _Case:
    """One input of a check.

    Attributes:
        title: what the case tests, e.g. "two boxes side by side with a gap".
        args: the positional arguments given to the learner's function.
        shown: (name, value as text) of each input, as printed in a report.
        hint: what to look at when this case fails and no known mistake explains it.
    """

    title: str
    args: tuple
    shown: list[tuple[str, str]]
    hint: str = ""


@dataclass
class _Mistake:
    """A known wrong formula: ``variant`` computes it, ``hint`` explains it."""

    hint: str
    variant: Callable[..., Any]


@dataclass
class _Spec:
    """Everything a check needs; see :func:`_run`.

    Attributes:
        name: the check's name without ``check_``.
        cases: hand-made cases first, then random ones.
        reference: the package's answer for a case, in the canonical form of ``convert``.
        convert: ``convert(returned, expected)`` -> canonical form, or raises ``_BadResult``.
        show: canonical value -> text.
        mistakes: known wrong formulas, most specific first.
        hint: the hint when nothing more specific is known.
        explain: optional ``explain(expected, got)`` -> an extra line (where two results differ).
    """

    name: str
    cases: list[_Case]
    reference: Callable[..., Any]
    convert: Callable[[Any, Any], Any]
    show: Callable[[Any], str]
    mistakes: list[_Mistake] = field(default_factory=list)
    hint: str = ""
    explain: Callable[[Any, Any], str] | None = None


def _copy(args: tuple) -> tuple:
    """Fresh copies of a case's arguments, so that the learner's function may modify them."""
    return tuple(a.clone() if isinstance(a, Tensor) else copy.deepcopy(a) for a in args)


def _number(x: float) -> str:
    if isinstance(x, int):  # bool included
        return str(x)
    text = f"{x:.4f}"  # nan, inf and -inf by name
    return "0.0000" if text == "-0.0000" else text


def _tensor(t: Tensor, indent: str = "") -> str:
    """A small tensor as text: floats with 4 decimals, one row per line."""
    if t.numel() > _MAX_SHOWN:
        return text("tensor of shape {shape} (seeded random values)", shape=list(t.shape))
    if t.numel() == 0:
        return text("empty, shape {shape}", shape=list(t.shape))
    if t.dim() == 0:
        return _number(t.item())
    if t.dim() == 1:
        return "[" + ", ".join(_number(v) for v in t.tolist()) + "]"
    rows = [_tensor(row, indent + " ") for row in t]
    return "[" + (",\n" + indent + " ").join(rows) + "]"


def _same(a: Any, b: Any) -> bool:
    """Equal canonical values: numbers and tensors within tolerance, NaN equal to NaN."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)) or a.shape != b.shape:
            return False
        if a.dtype.is_floating_point or b.dtype.is_floating_point:
            return bool(torch.isclose(a.double(), b.double(), rtol=_RTOL, atol=_ATOL, equal_nan=True).all())
        return bool(torch.equal(a, b))
    if isinstance(a, float) or isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True  # any other comparison with NaN is False below
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(a - b) <= _ATOL + _RTOL * abs(b)
    return a == b


def _describe(value: Any) -> str:
    """What the learner returned, for a report about an unusable result."""
    if value is None:
        return "None"
    if isinstance(value, Tensor):
        return text("a tensor of shape {shape} and dtype {dtype}", shape=list(value.shape), dtype=value.dtype)
    if isinstance(value, tuple | list):
        return text("a {kind} of {count} values", kind=type(value).__name__, count=len(value))
    return text("a value of type {kind}", kind=type(value).__name__)


def _bad(value: Any, wanted: str) -> _BadResult:
    if value is None:
        return _BadResult(text("your function returned None, not {wanted}: did you forget `return`?", wanted=wanted))
    return _BadResult(text("your function returned {what}; it should return {wanted}", what=_describe(value),
                           wanted=wanted))


def _from_array(value: Any) -> Any:
    """A NumPy array or scalar (anything with ``__array__`` but a tensor) as a tensor; anything else as it is."""
    return torch.as_tensor(value) if hasattr(value, "__array__") and not isinstance(value, Tensor) else value


def _to_float(value: Any, expected: Any) -> float:
    """A Python number or a one-element tensor (or array) -> float."""
    if isinstance(value, bool) or value is None or isinstance(value, tuple | list | dict | str):
        raise _bad(value, text("one number (a float or a 0-dim tensor)"))
    value = _from_array(value)
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise _bad(value, text("one number (a float or a 0-dim tensor)"))
        return float(value.detach().cpu().double().item())
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad(value, text("one number (a float or a 0-dim tensor)")) from None


def _to_float_tensor(value: Any, expected: Tensor) -> Tensor:
    """A tensor, or a list/tuple of numbers or 0-dim tensors, -> a float64 tensor."""
    wanted = text("a tensor of shape {shape}", shape=list(expected.shape)) if expected.dim() != 1 else \
        text("{count} numbers (a tuple, a list or a tensor of shape [{count}])", count=expected.shape[0])
    if value is None or isinstance(value, bool | str | dict):
        raise _bad(value, wanted)
    if isinstance(value, Tensor):
        if not (value.dtype.is_floating_point or value.dtype in (torch.int32, torch.int64)):
            raise _bad(value, wanted)
        return value.detach().cpu().to(_DTYPE)
    try:  # a tuple or list of numbers or 0-dim tensors, or an array
        return torch.as_tensor(value, dtype=_DTYPE)
    except (TypeError, ValueError, RuntimeError):
        raise _bad(value, wanted) from None


def _to_int_tensor(value: Any, expected: Tensor) -> Tensor:
    """Integer indices, as a tensor or a list of ints, -> an int64 tensor."""
    wanted = text("a tensor of {count} integer indices (shape [{count}], dtype torch.int64)", count=expected.shape[0])
    if isinstance(value, tuple | list):
        with contextlib.suppress(TypeError, ValueError, RuntimeError):  # not numbers: refused below
            value = torch.tensor([int(v) if isinstance(v, int | Tensor) else v for v in value])
    value = _from_array(value)
    if not isinstance(value, Tensor):
        raise _bad(value, wanted)
    value = value.detach().cpu()
    if value.dtype == torch.bool:
        raise _BadResult(text("your function returned a bool tensor; it should return {wanted}", wanted=wanted))
    if value.dtype.is_floating_point:
        if not bool((value == value.round()).all()):
            raise _BadResult(text("your function returned a float tensor with fractions; it should return {wanted}",
                                  wanted=wanted))
    return value.long()


def _to_int(value: Any, expected: int) -> int:
    """An int, a NumPy integer, a whole float or a one-element tensor -> int."""
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _bad(value, text("one integer index"))
    return int(value)


def _to_mask(value: Any, expected: Tensor) -> Tensor:
    """A bool mask (or 0/1 integers) -> a bool tensor."""
    P = expected.shape[0]
    wanted = text("a bool mask of shape [P] = [{P}], True for the kept negatives", P=P)
    if isinstance(value, tuple | list):
        with contextlib.suppress(TypeError, ValueError, RuntimeError):  # not booleans: refused below
            value = torch.tensor([bool(v) if isinstance(v, bool) else v for v in value])
    value = _from_array(value)
    if not isinstance(value, Tensor):
        raise _bad(value, wanted)
    value = value.detach().cpu()
    if value.dtype != torch.bool:
        if value.dtype.is_floating_point or not bool(((value == 0) | (value == 1)).all()):
            raise _BadResult(text(
                "your function returned {what} with values other than True/False: did you "
                "return the indices of the kept priors? It should return {wanted}: start from "
                "torch.zeros(P, dtype=torch.bool) and set the kept positions to True",
                what=_describe(value), wanted=wanted))
        value = value.bool()
    return value


def _where(fn: Callable, error: BaseException) -> str:
    """The line of the learner's code that raised, e.g. "in iou_pair: return inter / union"."""
    code = getattr(fn, "__code__", None)
    frames = traceback.extract_tb(error.__traceback__)
    if code is not None:
        own = [f for f in frames if f.filename == code.co_filename]
        if own:
            frames = own
    frames = [f for f in frames if f.filename != __file__]
    if not frames or not frames[-1].line:
        return ""
    return text("in {function}: {line}", function=frames[-1].name, line=frames[-1].line.strip())


def _error_text(error: BaseException) -> str:
    message = str(error).strip().splitlines()
    first = message[0] if message else ""
    if len(first) > 200:
        first = first[:200] + " ..."
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _print_inputs(case: _Case) -> None:
    for name, text in case.shown:
        if "\n" in text:
            print(f"    {name} =")
            for line in text.splitlines():
                print(f"      {line}")
        else:
            print(f"    {name} = {text}")


def _print_value(label: str, text: str) -> None:
    if "\n" in text:
        print(f"    {label}")
        for line in text.splitlines():
            print(f"      {line}")
    else:
        print(f"    {label} {text}")


def _explained_by(spec: _Spec, got: list[Any], indices: Sequence[int]) -> str | None:
    """The hint of the first known mistake whose results equal the learner's on ``indices``.

    Raises:
        RuntimeError: if the formula of a known mistake raises: a mistake of the check itself
            (every formula must give a result on every case, as the learner's function did),
            never hidden by skipping that formula.
    """
    for number, mistake in enumerate(spec.mistakes, start=1):
        for i in indices:
            try:
                value = mistake.variant(*_copy(spec.cases[i].args))
            except Exception as error:
                raise RuntimeError(
                    f"check_{spec.name}: the formula of known mistake {number} raised {_error_text(error)} on "
                    f"case {i + 1} ({spec.cases[i].title}); the check itself is wrong"
                ) from error
            if not _same(value, got[i]):
                break
        else:
            return mistake.hint
    return None


def _translated(english: str) -> str:
    """A case title or a hint in the current language (:func:`ssd_course.i18n.text`).

    A title with numbers that is not in the catalogue as it is, such as "random box 3", is
    looked up with its numbers as fields, "random box {n0}", and filled in.
    """
    translated = text(english)
    if translated != english or get_language() == "en" or "{" in english:
        return translated
    numbers = re.findall(r"\d+", english)
    counter = iter(range(len(numbers)))
    template = re.sub(r"\d+", lambda _: f"{{n{next(counter)}}}", english)
    return text(template, **{f"n{k}": number for k, number in enumerate(numbers)})


def _run(spec: _Spec, fn: Callable) -> bool:
    """Run ``fn`` on every case of ``spec``, print the verdict and return whether all pass."""
    if not callable(fn):
        print(text(
            "✗ {name}: check_{name} needs your function itself, without calling it: write "
            "check_{name}(my_function), not check_{name}(my_function(...)); got {what}",
            name=spec.name, what=_describe(fn)))
        return False
    expected = [spec.reference(*_copy(case.args)) for case in spec.cases]
    got = []
    total = len(spec.cases)
    for number, (case, wanted) in enumerate(zip(spec.cases, expected), start=1):
        try:
            returned = fn(*_copy(case.args))
        except NotImplementedError:
            print(text(NOT_IMPLEMENTED))
            return False
        except Exception as error:
            print(text("✗ {name}: your function raised {error}", name=spec.name, error=_error_text(error)))
            where = _where(fn, error)
            if where:
                print(f"  {where}")
            print(text("  Case {number} of {total} ({title}):", number=number, total=total,
                       title=_translated(case.title)))
            _print_inputs(case)
            _print_value(text("expected:"), spec.show(wanted))
            print(text("  Hint: {hint}", hint=_translated(case.hint or spec.hint)))
            return False
        try:
            got.append(spec.convert(returned, wanted))
        except _BadResult as bad:
            print(f"✗ {spec.name}: {bad}")
            print(text("  Case {number} of {total} ({title}):", number=number, total=total,
                       title=_translated(case.title)))
            _print_inputs(case)
            _print_value(text("expected:"), spec.show(wanted))
            return False
    failing = [i for i in range(total) if not _same(got[i], expected[i])]
    if not failing:
        print(text("✓ {name}: all {total} cases pass", name=spec.name, total=total))
        return True
    first = failing[0]
    case = spec.cases[first]
    print(text("✗ {name}: {failing} of {total} cases fail", name=spec.name, failing=len(failing), total=total))
    print(text("  Case {number} ({title}):", number=first + 1, title=_translated(case.title)))
    _print_inputs(case)
    _print_value(text("expected:"), spec.show(expected[first]))
    _print_value(text("got:     "), spec.show(got[first]))
    if spec.explain is not None:
        extra = spec.explain(expected[first], got[first])
        if extra:
            print(f"    {extra}")
    others = [text("{number} ({title})", number=i + 1, title=_translated(spec.cases[i].title))
              for i in failing[1:6]]
    if others:
        listed = text(", ").join(others)
        if len(failing) > 6:
            listed += text(" and {count} more", count=len(failing) - 6)
        print(text("  Also failing: cases {cases}", cases=listed) if len(others) > 1 else
              text("  Also failing: case {cases}", cases=listed))
    hint = _explained_by(spec, got, range(total)) or _explained_by(spec, got, failing)
    print(text("  Hint: {hint}", hint=_translated(hint or case.hint or spec.hint)))
    return False


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _rounded(t: Tensor, decimals: int = 2) -> Tensor:
    """Round random inputs, so that the printed case is exactly the case that was run."""
    return t.to(_DTYPE).mul(10**decimals).round().div(10**decimals)


def _random_box(generator: torch.Generator, min_size: float = 0.1) -> Tensor:
    """A random fractional xyxy box [4] with 2 decimals and sides >= ``min_size``."""
    size = min_size + (0.7 - min_size) * torch.rand(2, generator=generator, dtype=_DTYPE)  # [2]
    corner = (1 - size) * torch.rand(2, generator=generator, dtype=_DTYPE)  # [2]
    return _rounded(torch.cat((corner, corner + size)))  # [4]


def _vec(*values: float) -> Tensor:
    return torch.tensor(values, dtype=_DTYPE)


# ---------------------------------------------------------------------------------------------
# 01 Boxes and IoU
# ---------------------------------------------------------------------------------------------


def _xyxy(cx: float, cy: float, w: float, h: float) -> Tensor:
    return _vec(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def check_cxcywh_to_xyxy(fn: Callable[[Tensor], Any]) -> bool:
    """Check a conversion of one box from (cx, cy, w, h) to (x1, y1, x2, y2) (notebook 01).

    Args:
        fn (Callable): ``fn(box)``, where ``box`` is a float64 ``Tensor[4]`` (cx, cy, w, h);
            returns (x1, y1, x2, y2) as 4 numbers. Compared with
            :func:`ssd_course.boxes.cxcywh_to_xyxy`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    hand = [
        ("a box in the middle", _vec(0.5, 0.5, 0.2, 0.4), ""),
        ("a wide, flat box", _vec(0.4, 0.45, 0.4, 0.1), ""),
        ("a tall, thin box", _vec(0.3, 0.6, 0.1, 0.6), ""),
        ("a box in the top-left corner", _vec(0.1, 0.1, 0.2, 0.2), ""),
        ("a box crossing the left border", _vec(0.05, 0.5, 0.3, 0.3),
         "a box may cross the image border (priors do): keep x1 < 0, do not clip it."),
        ("the whole image", _vec(0.5, 0.5, 1.0, 1.0), ""),
    ]
    cases = [_Case(title, (box,), [("box (cx, cy, w, h)", _tensor(box))], hint) for title, box, hint in hand]
    generator = _generator(101)
    for k in range(6):
        centre = _rounded(torch.rand(2, generator=generator, dtype=_DTYPE))
        size = _rounded(0.05 + 0.6 * torch.rand(2, generator=generator, dtype=_DTYPE))
        box = torch.cat((centre, size))
        cases.append(_Case(f"random box {k + 1}", (box,), [("box (cx, cy, w, h)", _tensor(box))]))

    def unpack(box: Tensor) -> tuple[float, ...]:
        return tuple(box.tolist())

    mistakes = [
        _Mistake("the corners are half a width and half a height from the centre: x1 = cx - w / 2, not cx - w.",
                 lambda b: (lambda cx, cy, w, h: _vec(cx - w, cy - h, cx + w, cy + h))(*unpack(b))),
        _Mistake("return the corners in the order (x1, y1, x2, y2): the top-left corner, then the bottom-right "
                 "one. Yours are in the order (x1, x2, y1, y2).",
                 lambda b: _xyxy(*unpack(b))[[0, 2, 1, 3]]),
        _Mistake("the width w goes with x and the height h with y: x1 = cx - w / 2, y1 = cy - h / 2.",
                 lambda b: (lambda cx, cy, w, h: _xyxy(cx, cy, h, w))(*unpack(b))),
        _Mistake("the last two numbers are the bottom-right corner (x2, y2) = (cx + w / 2, cy + h / 2), "
                 "not the width and height.",
                 lambda b: (lambda cx, cy, w, h: _vec(cx - w / 2, cy - h / 2, w, h))(*unpack(b))),
        _Mistake("do not clip the box to [0, 1]: a box may cross the image border, and the conversion must "
                 "keep it as it is.",
                 lambda b: _xyxy(*unpack(b)).clamp(0, 1)),
    ]
    spec = _Spec(
        name="cxcywh_to_xyxy",
        cases=cases,
        reference=lambda box: boxes.cxcywh_to_xyxy(box),
        convert=_to_float_tensor,
        show=_tensor,
        mistakes=mistakes,
        hint="x1 = cx - w / 2, y1 = cy - h / 2, x2 = cx + w / 2, y2 = cy + h / 2.",
    )
    return _run(spec, fn)


def _iou_variant(a: Tensor, b: Tensor, *, clamp: str = "sides", union: str = "subtract", plus_one: float = 0.0
                 ) -> float:
    """IoU of two xyxy boxes, right (defaults) or with one of the classic mistakes."""
    x1a, y1a, x2a, y2a = a.tolist()
    x1b, y1b, x2b, y2b = b.tolist()
    width = min(x2a, x2b) - max(x1a, x1b) + plus_one
    height = min(y2a, y2b) - max(y1a, y1b) + plus_one
    if clamp == "sides":
        inter = max(width, 0.0) * max(height, 0.0)
    elif clamp == "product":
        inter = max(width * height, 0.0)
    else:
        inter = width * height
    area_a = (x2a - x1a + plus_one) * (y2a - y1a + plus_one)
    area_b = (x2b - x1b + plus_one) * (y2b - y1b + plus_one)
    denominator = {"subtract": area_a + area_b - inter, "sum": area_a + area_b, "first": area_a}[union]
    if denominator == 0:  # a learner's function that returned must guard 0 / 0
        return 0.0
    return inter / denominator


def check_iou_pair(fn: Callable[[Tensor, Tensor], Any]) -> bool:
    """Check the IoU of one pair of boxes (notebook 01).

    Args:
        fn (Callable): ``fn(box_a, box_b)``, where each box is a float64 ``Tensor[4]``
            (x1, y1, x2, y2) in fractional coordinates (``x1, y1, x2, y2 = box_a`` unpacks
            it); returns the IoU as one number. Compared with :func:`ssd_course.boxes.box_iou`.

    Returns:
        bool: True when every case passes; a report is printed either way.

    Example:
        >>> def iou_pair(box_a, box_b):
        ...     x1a, y1a, x2a, y2a = box_a
        ...     x1b, y1b, x2b, y2b = box_b
        ...     width = max(0.0, min(x2a, x2b) - max(x1a, x1b))
        ...     height = max(0.0, min(y2a, y2b) - max(y1a, y1b))
        ...     intersection = width * height
        ...     union = (x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - intersection
        ...     return intersection / union if union > 0 else 0.0
        >>> check_iou_pair(iou_pair)
        ✓ iou_pair: all 14 cases pass
        True
    """
    clamp_hint = ("when the boxes do not overlap, min(x2) - max(x1) (or the same in y) is negative: clamp "
                  "the width and the height of the intersection at 0 before multiplying them.")
    hand = [
        ("two boxes overlapping by a quarter of each", _vec(0.0, 0.0, 0.5, 0.5), _vec(0.25, 0.25, 0.75, 0.75), ""),
        ("two identical boxes", _vec(0.2, 0.3, 0.6, 0.9), _vec(0.2, 0.3, 0.6, 0.9), ""),
        ("one box inside the other", _vec(0.1, 0.1, 0.9, 0.9), _vec(0.3, 0.4, 0.5, 0.6), ""),
        ("boxes side by side with a gap in x", _vec(0.1, 0.2, 0.3, 0.6), _vec(0.5, 0.3, 0.9, 0.7), clamp_hint),
        ("boxes apart in both x and y", _vec(0.0, 0.0, 0.2, 0.2), _vec(0.5, 0.5, 0.9, 0.8), clamp_hint),
        ("boxes touching along an edge", _vec(0.1, 0.1, 0.4, 0.5), _vec(0.4, 0.1, 0.7, 0.5),
         "boxes that only share an edge have an intersection of width 0: IoU 0."),
        ("a box with no width and a normal box", _vec(0.3, 0.2, 0.3, 0.6), _vec(0.1, 0.1, 0.5, 0.5),
         "a box with x2 = x1 has no area: its intersection with anything is 0, so IoU is 0."),
        ("two boxes with no area (union 0)", _vec(0.3, 0.3, 0.3, 0.5), _vec(0.6, 0.1, 0.6, 0.1),
         "two empty boxes have intersection 0 and union 0, and 0 / 0 is not a number: return 0 when "
         "the union is 0 (IoU must be 0 for empty boxes, never NaN)."),
    ]
    cases = [_Case(t, (a, b), [("box_a", _tensor(a)), ("box_b", _tensor(b))], h) for t, a, b, h in hand]
    generator = _generator(102)
    for k in range(6):
        a = _random_box(generator)
        b = _random_box(generator)
        if k < 4:  # move b next to a, so that most random pairs overlap
            shift = _rounded(0.15 * (torch.rand(2, generator=generator, dtype=_DTYPE) - 0.5))
            b = (a + shift.repeat(2)).clamp(0, 1)
        cases.append(_Case(f"random pair {k + 1}", (a, b), [("box_a", _tensor(a)), ("box_b", _tensor(b))]))

    mistakes = [
        # the clamped product first: where only boxes apart in both x and y fail, both formulas agree
        # there, and an unclamped intersection would also have failed the boxes apart in x only
        _Mistake("your results match an IoU that clamps the product width * height instead of each side: two "
                 "negative sides multiply to a positive 'intersection'. Clamp the width and the height at 0 "
                 "separately.", lambda a, b: _iou_variant(a, b, clamp="product")),
        _Mistake("your results match an IoU whose intersection width and height are not clamped at 0: for "
                 "boxes that do not overlap, min(x2) - max(x1) is negative. Use max(0, ...) for the width and "
                 "for the height separately.", lambda a, b: _iou_variant(a, b, clamp="none")),
        _Mistake("your results match intersection / (area_a + area_b): the union counts the intersection "
                 "twice unless you subtract it once: union = area_a + area_b - intersection.",
                 lambda a, b: _iou_variant(a, b, union="sum")),
        _Mistake("your results match intersection / area_a: divide by the union of the two boxes, "
                 "area_a + area_b - intersection, not by one box's area.",
                 lambda a, b: _iou_variant(a, b, union="first")),
        _Mistake("your results match widths computed as x2 - x1 + 1: that '+ 1' belongs to integer pixel "
                 "indices; the course's coordinates are fractional and continuous, so width = x2 - x1.",
                 lambda a, b: _iou_variant(a, b, plus_one=1.0)),
    ]
    spec = _Spec(
        name="iou_pair",
        cases=cases,
        reference=lambda a, b: float(boxes.box_iou(a[None], b[None])[0, 0]),
        convert=_to_float,
        show=_number,
        mistakes=mistakes,
        hint="IoU = intersection / (area_a + area_b - intersection), with the intersection's width "
             "max(0, min(x2a, x2b) - max(x1a, x1b)) and its height the same in y.",
    )
    return _run(spec, fn)


# ---------------------------------------------------------------------------------------------
# 02 Prior boxes
# ---------------------------------------------------------------------------------------------


def _prior_variant(row: int, column: int, scale: float, ratio: float, k: int, *, centre_offset: float = 0.5,
                   swap_axes: bool = False, sqrt: bool = True, swap_size: bool = False, fixed_k: int | None = None
                   ) -> Tensor:
    k = fixed_k or k
    cx, cy = (column + centre_offset) / k, (row + centre_offset) / k
    if swap_axes:
        cx, cy = cy, cx
    root = math.sqrt(ratio) if sqrt else ratio
    w, h = scale * root, scale / root
    if swap_size:
        w, h = h, w
    return _vec(cx, cy, w, h)


def check_prior_box(fn: Callable[[int, int, float, float, int], Any]) -> bool:
    """Check one prior box from its cell, scale and aspect ratio (notebook 02).

    Args:
        fn (Callable): ``fn(row, column, scale, aspect_ratio, map_size)`` with ``row`` and
            ``column`` the cell of a ``map_size x map_size`` feature map (ints from 0),
            ``scale`` and ``aspect_ratio`` floats; returns the prior (cx, cy, w, h) as 4
            numbers. Compared with :func:`ssd_course.priors.make_priors`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    hand = [
        (0, 0, 0.2, 1.0, 7, "the tiny detector's first prior"),
        (0, 1, 0.2, 2.0, 7, "column 1 of row 0, a wide prior"),
        (2, 0, 0.4, 1.0, 7, "row 2 of column 0"),
        (3, 5, 0.4, 0.5, 7, "a tall prior in row 3, column 5"),
        (6, 6, 0.6, 2.0, 7, "the last cell of the 7 x 7 map"),
        (10, 20, 0.1, 2.0, 38, "SSD300's 38 x 38 map"),
        (0, 0, 0.9, 1.0, 1, "a 1 x 1 map: one cell, centred"),
    ]
    generator = _generator(103)
    ratios = (1.0, 2.0, 0.5, 3.0, 1 / 3)
    sizes = (3, 5, 10, 19)
    for k in range(5):
        size = sizes[int(torch.randint(len(sizes), (1,), generator=generator))]
        row, column = (int(v) for v in torch.randint(size, (2,), generator=generator))
        scale = round(0.1 + 0.8 * float(torch.rand(1, generator=generator, dtype=_DTYPE)), 2)
        ratio = ratios[int(torch.randint(len(ratios), (1,), generator=generator))]
        hand.append((row, column, scale, ratio, size, f"random prior {k + 1}"))
    cases = [
        _Case(title, (row, column, scale, ratio, size), [
            ("row, column", f"{row}, {column}"), ("scale, aspect_ratio", f"{_number(scale)}, {_number(ratio)}"),
            ("map_size", str(size))])
        for row, column, scale, ratio, size, title in hand
    ]
    mistakes = [
        _Mistake("the centre of cell (i, j) is half a cell in from its corner: cx = (j + 0.5) / map_size, "
                 "cy = (i + 0.5) / map_size.", lambda *a: _prior_variant(*a, centre_offset=0.0)),
        _Mistake("the column j gives x and the row i gives y: cx = (column + 0.5) / map_size, "
                 "cy = (row + 0.5) / map_size.", lambda *a: _prior_variant(*a, swap_axes=True)),
        _Mistake("the size uses the square root of the aspect ratio: w = s * sqrt(r), h = s / sqrt(r), so "
                 "that w / h = r and w * h = s**2.", lambda *a: _prior_variant(*a, sqrt=False)),
        _Mistake("the aspect ratio is width / height, so a ratio of 2 is a wide prior: w = s * sqrt(r), "
                 "h = s / sqrt(r) (you swapped w and h).", lambda *a: _prior_variant(*a, swap_size=True)),
        _Mistake("divide by map_size, not by 7: only the tiny detector's map has 7 cells a side.",
                 lambda *a: _prior_variant(*a, fixed_k=7)),
    ]
    spec = _Spec(
        name="prior_box",
        cases=cases,
        reference=lambda row, column, scale, ratio, size: priors.make_priors(
            [size], [[(scale, ratio)]], dtype=_DTYPE)[row * size + column],
        convert=_to_float_tensor,
        show=_tensor,
        mistakes=mistakes,
        hint="cx = (column + 0.5) / map_size, cy = (row + 0.5) / map_size, w = scale * sqrt(aspect_ratio), "
             "h = scale / sqrt(aspect_ratio).",
    )
    return _run(spec, fn)


def check_prior_index(fn: Callable[[int, int, int, int], Any]) -> bool:
    """Check where a prior sits in the tiny detector's list of 441 (notebook 02).

    The priors of :func:`ssd_course.priors.tiny_detector_priors` are ordered row, column,
    scale (0.2, 0.4, 0.6), then aspect ratio (1, 2, 0.5).

    Args:
        fn (Callable): ``fn(row, column, scale_index, ratio_index)``, all ints (row and
            column in 0..6, scale and ratio indices in 0..2); returns the prior's index in
            0..440. Compared with the position of that prior in ``tiny_detector_priors()``.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    table = priors.tiny_detector_priors(dtype=_DTYPE)  # [441, 4]

    def reference(row: int, column: int, scale_index: int, ratio_index: int) -> int:
        scale, ratio = priors.TINY_SCALES[scale_index], priors.TINY_ASPECT_RATIOS[ratio_index]
        wanted = _vec((column + 0.5) / 7, (row + 0.5) / 7, scale * math.sqrt(ratio), scale / math.sqrt(ratio))
        found = torch.isclose(table, wanted, atol=1e-9).all(dim=1).nonzero()  # [1, 1]
        return int(found[0, 0])

    hand = [
        (0, 0, 0, 0, "the first prior"), (0, 0, 0, 1, "the next aspect ratio"), (0, 0, 1, 0, "the next scale"),
        (0, 1, 0, 0, "the next column"), (1, 0, 0, 0, "the next row"), (6, 6, 2, 2, "the last prior"),
        (3, 2, 1, 2, "row 3, column 2, scale 0.4, ratio 0.5"),
    ]
    generator = _generator(104)
    for k in range(5):
        row, column = (int(v) for v in torch.randint(7, (2,), generator=generator))
        scale_index, ratio_index = (int(v) for v in torch.randint(3, (2,), generator=generator))
        hand.append((row, column, scale_index, ratio_index, f"random prior {k + 1}"))
    cases = [
        _Case(title, (row, column, s, r), [
            ("row, column, scale_index, ratio_index", f"{row}, {column}, {s}, {r}"),
            ("(scale, aspect_ratio)", f"({priors.TINY_SCALES[s]}, {priors.TINY_ASPECT_RATIOS[r]})")])
        for row, column, s, r, title in hand
    ]
    mistakes = [
        _Mistake("priors are ordered row by row: index = ((row * 7 + column) * 3 + scale_index) * 3 + "
                 "ratio_index; you swapped row and column.", lambda i, j, s, r: ((j * 7 + i) * 3 + s) * 3 + r),
        _Mistake("within a cell the aspect ratio varies fastest (scale-major): ((row * 7 + column) * 3 + "
                 "scale_index) * 3 + ratio_index.", lambda i, j, s, r: ((i * 7 + j) * 3 + r) * 3 + s),
        _Mistake("every cell holds 9 priors, so moving one cell on moves 9 places: multiply the cell number "
                 "row * 7 + column by 9.", lambda i, j, s, r: i * 7 + j + s * 3 + r),
    ]
    spec = _Spec(
        name="prior_index",
        cases=cases,
        reference=reference,
        convert=_to_int,
        show=str,
        mistakes=mistakes,
        hint="count the priors before this one: 9 per cell, cells row by row (7 per row), then 3 per scale, "
             "then 1 per aspect ratio.",
    )
    return _run(spec, fn)


# ---------------------------------------------------------------------------------------------
# 03 Matching
# ---------------------------------------------------------------------------------------------


def _distinct_iou(G: int, P: int, generator: torch.Generator) -> Tensor:
    """A random [G, P] IoU matrix with distinct values (no ties), 3 decimals."""
    values = (torch.randperm(999, generator=generator)[: G * P] + 1).to(_DTYPE) / 1000  # [G * P]
    return values.reshape(G, P)


def _share_best_prior(iou: Tensor) -> Tensor:
    """Swap entries within rows so that every GT's best prior is GT 0's best prior."""
    iou = iou.clone()
    shared = int(iou[0].argmax())
    for g in range(1, iou.shape[0]):
        best = int(iou[g].argmax())
        iou[g, shared], iou[g, best] = iou[g, best].clone(), iou[g, shared].clone()
    return iou


def _argmax_per_gt(iou: Tensor) -> Tensor:
    return iou.argmax(dim=1)


def _greedy_gt_order(iou: Tensor) -> Tensor:
    """Principle 1 taking the GTs in index order, each its best free prior (not the global greedy)."""
    free = torch.ones(iou.shape[1], dtype=torch.bool)
    forced = []
    for g in range(iou.shape[0]):
        best = int(iou[g].masked_fill(~free, -1.0).argmax())
        forced.append(best)
        free[best] = False
    return torch.tensor(forced)


def _greedy_by_best_iou(iou: Tensor) -> Tensor:
    """Principle 1 taking the GTs by decreasing best IoU, each its best free prior (not the global greedy)."""
    free = torch.ones(iou.shape[1], dtype=torch.bool)
    forced = [0] * iou.shape[0]
    for g in iou.max(dim=1).values.argsort(descending=True, stable=True).tolist():
        forced[g] = int(iou[g].masked_fill(~free, -1.0).argmax())
        free[forced[g]] = False
    return torch.tensor(forced)


def _iou_cases(hand: list[tuple[str, Tensor, str]], seeds: int, random_cases: int, extra: tuple = (),
               shown_extra: Sequence[tuple[str, str]] = ()) -> list[_Case]:
    """Cases of the matching checks: hand-made IoU matrices, then random ones (half conflicting)."""
    cases = [_Case(title, (iou, *extra), [("iou", _tensor(iou)), *shown_extra], hint) for title, iou, hint in hand]
    generator = _generator(seeds)
    for k in range(random_cases):
        G = 2 + int(torch.randint(3, (1,), generator=generator))
        P = G + 2 + int(torch.randint(4, (1,), generator=generator))
        iou = _distinct_iou(G, P, generator)
        title = f"random IoU {k + 1}"
        if k % 2 == 0:
            iou = _share_best_prior(iou)
            title += ", every GT's best prior is the same"
        cases.append(_Case(title, (iou, *extra), [("iou", _tensor(iou)), *shown_extra]))
    return cases


def _mt(*rows: Sequence[float]) -> Tensor:
    return torch.tensor(rows, dtype=_DTYPE)


def check_principle1_loop(fn: Callable[[Tensor], Any]) -> bool:
    """Check principle 1 written with a loop: every GT's own best prior (notebook 03).

    The semantics are those of :func:`ssd_course.matching.principle1` with ``unique=True``:
    repeatedly take the highest IoU among the GTs and priors not taken yet, and match that
    pair; every GT gets a distinct prior, even when two GTs share the same best prior.

    Args:
        fn (Callable): ``fn(iou)`` with ``iou`` a float64 ``Tensor[G, P]`` (G <= P, no ties);
            returns the prior index of every GT, a ``Tensor[G]`` of int64 (or a list of ints).

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    hand = [
        ("every GT has a different best prior", _mt([0.1, 0.7, 0.2, 0.0], [0.6, 0.3, 0.05, 0.4]), ""),
        ("one GT", _mt([0.2, 0.45, 0.3, 0.1, 0.05]), ""),
        ("two GTs share their best prior", _mt([0.9, 0.5, 0.01], [0.8, 0.7, 0.02]),
         "both GTs want prior 0: GT 0 takes it (0.9 is the highest pair), then GT 1 takes its best free prior."),
        ("the second GT has the higher IoU with the shared prior", _mt([0.6, 0.4, 0.05, 0.03], [0.9, 0.2, 0.3, 0.01]),
         "the highest pair overall goes first: GT 1 takes prior 0 (0.9), then GT 0 takes its best remaining prior."),
        ("three GTs, one prior each", _mt([0.9, 0.1, 0.0], [0.88, 0.2, 0.0], [0.0, 0.6, 0.5]),
         "repeat: take the highest free (GT, prior) pair, remove that GT and that prior, until every GT has "
         "a prior. After GT 0 takes prior 0 (0.9), the highest free pair is GT 2 with prior 1 (0.6), so GT 1 "
         "gets prior 2."),
    ]
    cases = _iou_cases(hand, 105, 6)
    mistakes = [
        _Mistake("your results match each GT's plain argmax: when two GTs share a best prior, both name it, "
                 "and in the matching the later GT overwrites the earlier one, which is left with no prior. "
                 "Take the pairs greedily: the highest IoU among GTs and priors not taken yet, then mark "
                 "that GT and that prior as taken.", _argmax_per_gt),
        _Mistake("your results match the GTs taken in index order (GT 0 first, then GT 1 among the free "
                 "priors...). Principle 1's greedy order is by IoU: the highest pair among all free GTs and "
                 "priors first, whichever GT it belongs to.", _greedy_gt_order),
        _Mistake("your results match the GTs served in the order of their own best IoU (the GT with the "
                 "highest best IoU first, each taking its best free prior). After a pair is taken, the next "
                 "pair is the highest IoU among the GTs and priors still free, which may belong to another "
                 "GT: here GT 2's 0.6 comes before GT 1's 0.2.", _greedy_by_best_iou),
        _Mistake("principle 1 starts from each GT: one prior index per GT, shape [G], the maximum over the "
                 "priors (dim=1), not one GT per prior.", lambda iou: iou.argmax(dim=0)),
    ]
    spec = _Spec(
        name="principle1_loop",
        cases=cases,
        reference=lambda iou: matching.principle1(iou),
        convert=_to_int_tensor,
        show=_tensor,
        mistakes=mistakes,
        hint="loop G times: find the highest IoU among the GTs and priors not taken yet, match that GT to that "
             "prior, then take both out (e.g. set that row and that column to -1).",
    )
    return _run(spec, fn)


def check_principle2(fn: Callable[[Tensor, float], Any]) -> bool:
    """Check principle 2: every prior takes its best GT if their IoU reaches the threshold (notebook 03).

    Args:
        fn (Callable): ``fn(iou, threshold)`` with ``iou`` a float64 ``Tensor[G, P]`` and
            ``threshold`` a float; returns, for every prior, the index of its best GT when
            that IoU is >= ``threshold`` and -1 (``matching.UNMATCHED``) otherwise, as a
            ``Tensor[P]`` of int64. Compared with :func:`ssd_course.matching.principle2`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    hand = [
        ("priors above and below the threshold", _mt([0.6, 0.3, 0.0], [0.7, 0.1, 0.55]), 0.5, ""),
        ("an IoU exactly at the threshold", _mt([0.5, 0.2, 0.75], [0.1, 0.45, 0.25]), 0.5,
         "the threshold is a minimum: IoU >= threshold matches, so an IoU of exactly 0.5 is a match."),
        ("two GTs reach the threshold for one prior", _mt([0.5, 0.1, 0.2, 0.3], [0.8, 0.05, 0.6, 0.0]), 0.5,
         "a prior above the threshold for two GTs takes the GT with the highest IoU."),
        ("no prior reaches the threshold", _mt([0.3, 0.2, 0.1], [0.25, 0.4, 0.35]), 0.5,
         "a prior whose best IoU is below the threshold is unmatched: -1."),
        ("a lower threshold, 0.3", _mt([0.3, 0.2, 0.1, 0.6], [0.25, 0.4, 0.35, 0.05]), 0.3, ""),
        ("two GTs tie for a prior", _mt([0.6, 0.3, 0.7], [0.6, 0.45, 0.1]), 0.5,
         "when two GTs have the same best IoU with a prior, the prior takes the GT with the lower index, as "
         "iou.max(dim=0) does."),
    ]
    cases = [_Case(t, (iou, thr), [("iou", _tensor(iou)), ("threshold", _number(thr))], h) for t, iou, thr, h in hand]
    generator = _generator(106)
    for k in range(6):
        G = 2 + int(torch.randint(3, (1,), generator=generator))
        P = 4 + int(torch.randint(5, (1,), generator=generator))
        iou = _distinct_iou(G, P, generator)
        thr = (0.5, 0.7, 0.35)[k % 3]
        cases.append(_Case(f"random IoU {k + 1}", (iou, thr), [("iou", _tensor(iou)), ("threshold", _number(thr))]))

    def best(iou: Tensor) -> tuple[Tensor, Tensor]:
        return iou.max(dim=0)

    def strict(iou: Tensor, thr: float) -> Tensor:
        value, gt = best(iou)
        return torch.where(value > thr, gt, -1)

    def first_above(iou: Tensor, thr: float) -> Tensor:
        above = iou >= thr  # [G, P]
        return torch.where(above.any(dim=0), above.long().argmax(dim=0), -1)

    def zero_unmatched(iou: Tensor, thr: float) -> Tensor:
        value, gt = best(iou)
        return torch.where(value >= thr, gt, 0)

    mistakes = [
        _Mistake("an IoU equal to the threshold is a match: compare with >=, not >.", strict),
        _Mistake("your results match the first GT above the threshold; the prior takes the GT with the "
                 "highest IoU (the max over the GTs, dim=0), then checks that IoU against the threshold.",
                 first_above),
        _Mistake("unmatched priors must get -1 (matching.UNMATCHED), not 0: 0 is the index of the first GT.",
                 zero_unmatched),
        _Mistake("your results are every prior's best GT without the threshold: set the index to -1 where "
                 "the best IoU is below the threshold.", lambda iou, thr: best(iou)[1]),
        _Mistake("principle 2 starts from each prior: one GT index per prior, shape [P], the maximum over the "
                 "GTs (dim=0).", lambda iou, thr: torch.where(iou.max(dim=1).values >= thr, iou.argmax(dim=1), -1)),
    ]
    spec = _Spec(
        name="principle2",
        cases=cases,
        reference=lambda iou, thr: matching.principle2(iou, thr)[0],
        convert=_to_int_tensor,
        show=_tensor,
        mistakes=mistakes,
        hint="best_iou, best_gt = iou.max(dim=0); then -1 wherever best_iou < threshold.",
    )
    return _run(spec, fn)


def check_assign(fn: Callable[[Tensor, float], Any]) -> bool:
    """Check both principles together, in the right order (notebook 03).

    Args:
        fn (Callable): ``fn(iou, threshold)`` with ``iou`` a float64 ``Tensor[G, P]`` (no
            ties) and ``threshold`` a float; returns the GT index of every prior, -1 for
            background, as a ``Tensor[P]`` of int64 -- principle 2's matches, then principle
            1's (with distinct best priors) written over them. ``matching.principle1`` and
            ``matching.principle2`` may be used. Compared with :func:`ssd_course.matching.assign`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    hand = [
        ("the study guide's conflict: GT 0's best prior is above the threshold with GT 1",
         _mt([0.40, 0.30, 0.05], [0.60, 0.45, 0.90]),
         "prior 0 is GT 0's best prior (0.40, below the threshold) and has 0.60 with GT 1: principle 1 wins, "
         "prior 0 belongs to GT 0, or GT 0 would have no prior at all."),
        ("a GT matched below the threshold", _mt([0.40, 0.55, 0.0], [0.10, 0.80, 0.02]),
         "every GT keeps a prior of its own even when its IoU is below the threshold (principle 1): here GT 1 "
         "takes prior 1 and GT 0 its next best, prior 0."),
        ("no conflict, an IoU exactly at the threshold", _mt([0.7, 0.5, 0.1, 0.0], [0.0, 0.2, 0.65, 0.9]),
         "the threshold is a minimum: prior 1's IoU of exactly 0.5 with GT 0 is a match."),
        ("two GTs share their best prior", _mt([0.9, 0.5, 0.01], [0.8, 0.7, 0.02]),
         "both GTs want prior 0: with distinct best priors (matching.principle1's default, unique=True) GT 1 "
         "gets prior 1, so that no GT is lost."),
    ]
    cases = _iou_cases([(t, i, h) for t, i, h in hand], 107, 6, extra=(0.5,), shown_extra=[("threshold", "0.5000")])

    def p2(iou: Tensor, thr: float) -> Tensor:
        value, gt = iou.max(dim=0)
        return torch.where(value >= thr, gt, -1)

    def with_p1(gt_index: Tensor, forced: Tensor) -> Tensor:
        gt_index = gt_index.clone()
        for g, prior in enumerate(forced.tolist()):
            gt_index[prior] = g
        return gt_index

    def p1_first(iou: Tensor, thr: float) -> Tensor:
        gt_index = with_p1(torch.full((iou.shape[1],), -1), matching.principle1(iou))
        second = p2(iou, thr)
        return torch.where(second >= 0, second, gt_index)

    mistakes = [
        _Mistake("your results match principle 1 written first and principle 2 over it: principle 1 must win, "
                 "so write principle 2's matches first, then principle 1's over them.", p1_first),
        _Mistake("your results are principle 2 alone: every GT must also get its best prior (principle 1), "
                 "written over principle 2's matches.", p2),
        _Mistake("your results are principle 1 alone: after it, every other prior with an IoU >= threshold "
                 "takes its best GT (principle 2).",
                 lambda iou, thr: with_p1(torch.full((iou.shape[1],), -1), matching.principle1(iou))),
        _Mistake("your results match principle 1 as each GT's plain argmax: two GTs sharing a best prior then "
                 "lose one of them. Use matching.principle1(iou) (distinct best priors) or the greedy loop.",
                 lambda iou, thr: with_p1(p2(iou, thr), iou.argmax(dim=1))),
    ]
    spec = _Spec(
        name="assign",
        cases=cases,
        reference=lambda iou, thr: matching.assign(iou, thr)[0],
        convert=_to_int_tensor,
        show=_tensor,
        mistakes=mistakes,
        hint="gt_index = principle 2's result; then for every GT g, gt_index[best_prior[g]] = g with "
             "best_prior = matching.principle1(iou).",
    )
    return _run(spec, fn)


# ---------------------------------------------------------------------------------------------
# 04 Encoding and location loss
# ---------------------------------------------------------------------------------------------


def _encode_variant(box: Tensor, prior: Tensor, variances: Sequence[float], *, log: Callable = math.log,
                    centre_divisor: str = "size", y_by_width: bool = False, convert: bool = True,
                    scale: str = "divide", swap: bool = False) -> Tensor:
    """ĝ of one box and one prior, right (defaults) or with one of the classic mistakes."""
    x1, y1, x2, y2 = box.tolist()
    gx, gy, gw, gh = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1) if convert else (x1, y1, x2, y2)
    dx, dy, dw, dh = prior.tolist()
    vc, vs = (variances[1], variances[0]) if swap else (variances[0], variances[1])
    if scale == "ignore":
        vc, vs = 1.0, 1.0
    elif scale == "multiply":
        vc, vs = 1 / vc, 1 / vs
    if centre_divisor == "size":
        centre = ((gx - dx) / dw, (gy - dy) / (dw if y_by_width else dh))
    else:
        centre = (gx - dx, gy - dy)
    return _vec(centre[0] / vc, centre[1] / vc, log(gw / dw) / vs, log(gh / dh) / vs)


def check_encode(fn: Callable[[Tensor, Tensor, tuple], Any]) -> bool:
    """Check the offsets ĝ of one GT box relative to one prior (notebook 04).

    Args:
        fn (Callable): ``fn(box_xyxy, prior_cxcywh, variances)`` with ``box_xyxy`` a float64
            ``Tensor[4]`` (x1, y1, x2, y2), ``prior_cxcywh`` a float64 ``Tensor[4]``
            (cx, cy, w, h) and ``variances`` a tuple (v_centre, v_size); returns
            (ĝ_cx, ĝ_cy, ĝ_w, ĝ_h) as 4 numbers. Compared with :func:`ssd_course.encoding.encode`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    hand = [
        ("a box shifted right of its prior, no variances", _vec(0.4375, 0.25, 0.6875, 0.75),
         _vec(0.5, 0.5, 0.25, 0.5), (1.0, 1.0)),
        ("the same with variances (0.1, 0.2)", _vec(0.4375, 0.25, 0.6875, 0.75), _vec(0.5, 0.5, 0.25, 0.5), (0.1, 0.2)),
        ("a box equal to its prior", _vec(0.3, 0.2, 0.5, 0.6), _vec(0.4, 0.4, 0.2, 0.4), (0.1, 0.2)),
        ("a box twice as large as its prior", _vec(0.2, 0.2, 0.6, 0.6), _vec(0.4, 0.4, 0.2, 0.2), (1.0, 1.0)),
        ("a box below a wide prior (y offset in prior heights)", _vec(0.3, 0.5, 0.7, 0.7),
         _vec(0.5, 0.5, 0.4, 0.2), (1.0, 1.0)),
        ("other variances, (0.2, 0.5)", _vec(0.1, 0.3, 0.4, 0.5), _vec(0.3, 0.35, 0.4, 0.3), (0.2, 0.5)),
    ]
    generator = _generator(108)
    for k in range(6):
        box = _random_box(generator)
        prior = torch.cat((_rounded(torch.rand(2, generator=generator, dtype=_DTYPE)),
                           _rounded(0.1 + 0.6 * torch.rand(2, generator=generator, dtype=_DTYPE))))
        hand.append((f"random box and prior {k + 1}", box, prior, (0.1, 0.2) if k < 4 else (1.0, 1.0)))
    cases = [
        _Case(title, (box, prior, variances), [
            ("box_xyxy", _tensor(box)), ("prior_cxcywh", _tensor(prior)),
            ("variances", f"({_number(variances[0])}, {_number(variances[1])})")])
        for title, box, prior, variances in hand
    ]
    mistakes = [
        _Mistake("your size offsets are missing the log: ĝ_w = log(g_w / d_w) / v_size (natural log: math.log "
                 "or torch.log), so that a box as large as its prior gives 0.",
                 lambda b, p, v: _encode_variant(b, p, v, log=lambda x: x)),
        _Mistake("your size offsets match log(g_w / d_w) - 1 or g_w / d_w - 1: the size offset is the natural "
                 "log of the ratio, log(g_w / d_w), divided by v_size.",
                 lambda b, p, v: _encode_variant(b, p, v, log=lambda x: x - 1)),
        _Mistake("the log is the natural log (math.log, torch.log), not log10.",
                 lambda b, p, v: _encode_variant(b, p, v, log=math.log10)),
        _Mistake("your offsets ignore the variances: divide the centre offsets by variances[0] and the size "
                 "offsets by variances[1].", lambda b, p, v: _encode_variant(b, p, v, scale="ignore")),
        _Mistake("your offsets are multiplied by the variances; divide by them (a shift of 0.1 prior widths "
                 "becomes 1 with v_centre = 0.1).", lambda b, p, v: _encode_variant(b, p, v, scale="multiply")),
        _Mistake("the variances are swapped: variances[0] (0.1) divides the centre offsets and variances[1] "
                 "(0.2) the size offsets.", lambda b, p, v: _encode_variant(b, p, v, swap=True)),
        _Mistake("the centre offsets are measured in prior sizes: divide g_cx - d_cx by the prior's width d_w "
                 "(and g_cy - d_cy by its height d_h).",
                 lambda b, p, v: _encode_variant(b, p, v, centre_divisor="none")),
        _Mistake("the y offset is measured in prior heights: (g_cy - d_cy) / d_h, not / d_w.",
                 lambda b, p, v: _encode_variant(b, p, v, y_by_width=True)),
        _Mistake("the box comes as corners (x1, y1, x2, y2): convert it to centre and size first, "
                 "g_cx = (x1 + x2) / 2, g_w = x2 - x1 (boxes.xyxy_to_cxcywh does it).",
                 lambda b, p, v: _encode_variant(b, p, v, convert=False)),
    ]
    spec = _Spec(
        name="encode",
        cases=cases,
        reference=lambda box, prior, variances: encoding.encode(box, prior, variances),
        convert=_to_float_tensor,
        show=_tensor,
        mistakes=mistakes,
        hint="ĝ_cx = (g_cx - d_cx) / d_w / v_c, ĝ_cy = (g_cy - d_cy) / d_h / v_c, ĝ_w = log(g_w / d_w) / v_s, "
             "ĝ_h = log(g_h / d_h) / v_s, with g the box in centre-size form.",
    )
    return _run(spec, fn)


def check_smooth_l1(fn: Callable[[Tensor], Any]) -> bool:
    """Check the elementwise smooth L1 (beta = 1) (notebook 04).

    Args:
        fn (Callable): ``fn(x)`` with ``x`` a float64 tensor of any shape; returns a tensor
            of the same shape: ``0.5 * x**2`` where ``|x| < 1``, else ``|x| - 0.5``, element
            by element (no sum or mean). Compared with :func:`ssd_course.loss.smooth_l1`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    hand = [
        ("small values, |x| < 1", _vec(0.0, 0.25, 0.5, 0.9), ""),
        ("around the switch at |x| = 1", _vec(0.99, 1.0, 1.01, 1.5),
         "at |x| = 1 the two pieces meet: 0.5 * 1**2 = 0.5 = 1 - 0.5."),
        ("large values", _vec(2.0, 3.5, 10.0), ""),
        ("negative values", _vec(-0.5, -1.0, -2.0, -4.0),
         "smooth L1 is symmetric: use |x| in both the test and the linear part."),
        ("a [2, 3] tensor", _mt([0.1, -0.8, 1.2], [-2.5, 0.0, 3.0]),
         "work element by element and return a tensor shaped like x (no sum, no mean)."),
    ]
    cases = [_Case(t, (x,), [("x", _tensor(x))], h) for t, x, h in hand]
    generator = _generator(109)
    for k in range(5):
        x = _rounded(6 * torch.rand(6, generator=generator, dtype=_DTYPE) - 3)
        cases.append(_Case(f"random values {k + 1}", (x,), [("x", _tensor(x))]))

    def piecewise(x: Tensor, inside: Callable, outside: Callable, test: Callable = lambda x: x.abs() < 1) -> Tensor:
        return torch.where(test(x), inside(x), outside(x))

    mistakes = [
        _Mistake("the quadratic part is 0.5 * x**2 (you have x**2): with the 0.5 the two pieces meet at |x| = 1 "
                 "and so do their slopes.", lambda x: piecewise(x, lambda x: x * x, lambda x: x.abs() - 0.5)),
        _Mistake("the linear part is |x| - 0.5 (you have |x|): without the - 0.5 the loss jumps at |x| = 1.",
                 lambda x: piecewise(x, lambda x: 0.5 * x * x, lambda x: x.abs())),
        _Mistake("the linear part uses |x|: for x <= -1 the loss is -x - 0.5, positive.",
                 lambda x: piecewise(x, lambda x: 0.5 * x * x, lambda x: x - 0.5)),
        _Mistake("test |x| < 1, not x < 1: a large negative x belongs to the linear part.",
                 lambda x: piecewise(x, lambda x: 0.5 * x * x, lambda x: x.abs() - 0.5, lambda x: x < 1)),
        _Mistake("the switch between the two pieces is at |x| = 1 (beta = 1): quadratic for |x| < 1, linear "
                 "for |x| >= 1.",
                 lambda x: piecewise(x, lambda x: 0.5 * x * x, lambda x: x.abs() - 0.5, lambda x: x.abs() < 0.5)),
        _Mistake("that is plain L1, |x|: smooth L1 is 0.5 * x**2 for |x| < 1.", lambda x: x.abs()),
        _Mistake("that is 0.5 * x**2 everywhere (L2): for |x| >= 1 smooth L1 is linear, |x| - 0.5.",
                 lambda x: 0.5 * x * x),
        _Mistake("return the loss of every element, shaped like x: no sum.", lambda x: F.smooth_l1_loss(
            x, torch.zeros_like(x), reduction="sum")),
        _Mistake("return the loss of every element, shaped like x: no mean.", lambda x: F.smooth_l1_loss(
            x, torch.zeros_like(x), reduction="mean")),
    ]
    spec = _Spec(
        name="smooth_l1",
        cases=cases,
        reference=lambda x: loss.smooth_l1(x),
        convert=_to_float_tensor,
        show=_tensor,
        mistakes=mistakes,
        hint="torch.where(x.abs() < 1, 0.5 * x**2, x.abs() - 0.5).",
    )
    return _run(spec, fn)


# ---------------------------------------------------------------------------------------------
# 05 Confidence loss
# ---------------------------------------------------------------------------------------------


def _softmax_naive(logits: Tensor) -> Tensor:
    exponentials = logits.exp()
    return exponentials / exponentials.sum()


def check_cross_entropy(fn: Callable[[Tensor, int], Any]) -> bool:
    """Check the cross-entropy of one prior's class scores (notebook 05).

    Args:
        fn (Callable): ``fn(logits, label)`` with ``logits`` a float64 ``Tensor[C]`` (raw
            class scores, class 0 the background) and ``label`` an int in 0..C-1; returns
            ``-log softmax(logits)[label]`` as one number, finite even for logits in the
            thousands. Compared with :func:`ssd_course.loss.confidence_loss`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    overflow_hint = ("exp of a logit above about 709 is inf in float64 (88 in float32), and inf / inf is NaN: "
                     "compute log-sum-exp stably, subtracting the largest logit m first: "
                     "loss = m + log(sum(exp(logits - m))) - logits[label] (or torch.logsumexp).")
    hand = [
        ("equal scores for 4 classes", _vec(0.0, 0.0, 0.0, 0.0), 2, "equal scores give probability 1/C: loss log C."),
        ("a negative prior, label 0 (background)", _vec(2.0, 0.5, -1.0), 0, ""),
        ("a confident, right prediction", _vec(-2.0, 6.0, 0.0, 1.0), 1, ""),
        ("a confident, wrong prediction", _vec(-2.0, 6.0, 0.0, 1.0), 3, ""),
        ("large logits, right class", _vec(1000.0, 0.0, -1000.0), 0, overflow_hint),
        ("large logits, wrong class", _vec(800.0, 810.0, 790.0), 2, overflow_hint),
    ]
    generator = _generator(110)
    for k in range(5):
        C = 3 + int(torch.randint(4, (1,), generator=generator))
        logits = _rounded(4 * torch.randn(C, generator=generator, dtype=_DTYPE))
        label = int(torch.randint(C, (1,), generator=generator))
        hand.append((f"random scores {k + 1}", logits, label, ""))
    cases = [_Case(t, (z, y), [("logits", _tensor(z)), ("label", str(y))], h) for t, z, y, h in hand]

    def reference(logits: Tensor, label: int) -> float:
        return float(loss.confidence_loss(logits[None, None], torch.tensor([[label]]))[0, 0])

    mistakes = [
        _Mistake("your results are NaN or inf for large logits: that is softmax computed as exp(z) / sum(exp(z)), "
                 "which overflows. " + overflow_hint,
                 lambda z, y: float(-_softmax_naive(z)[y].log())),
        _Mistake("the loss is -log(probability): yours has the opposite sign (log p is negative).",
                 lambda z, y: float(torch.log_softmax(z, 0)[y])),
        _Mistake("the loss is -log of the label's probability; yours looks like 1 - p or -p without the log.",
                 lambda z, y: float(1 - torch.softmax(z, 0)[y])),
        _Mistake("the loss is -log of the label's probability; yours looks like -p without the log.",
                 lambda z, y: float(-torch.softmax(z, 0)[y])),
        _Mistake("you used the raw score -logits[label]: turn the scores into probabilities first, "
                 "loss = log(sum(exp(logits))) - logits[label].", lambda z, y: float(-z[y])),
        _Mistake("take the probability of the label's class, softmax(logits)[label], not the largest "
                 "probability.", lambda z, y: float(-torch.log_softmax(z, 0).max())),
        _Mistake("take the probability of the label's class: label 0 is the background only for negative "
                 "priors.", lambda z, y: float(-torch.log_softmax(z, 0)[0])),
    ]
    spec = _Spec(
        name="cross_entropy",
        cases=cases,
        reference=reference,
        convert=_to_float,
        show=_number,
        mistakes=mistakes,
        hint="loss = log(sum(exp(logits))) - logits[label], with the largest logit subtracted inside the exp "
             "for stability.",
    )
    return _run(spec, fn)


# ---------------------------------------------------------------------------------------------
# 06 Hard negative mining
# ---------------------------------------------------------------------------------------------


def _kept(mask: Tensor) -> str:
    """A mask (bools, or 0 and 1) as the list of its True positions."""
    if mask.dim() != 1:
        return _tensor(mask)
    return text("True at {positions} (of {count})", positions=mask.nonzero().flatten().tolist(), count=mask.shape[0])


def _mask_difference(expected: Tensor, got: Tensor) -> str:
    if expected.shape != got.shape:
        return text("shape: expected {expected}, got {got}", expected=list(expected.shape), got=list(got.shape))
    missing = (expected & ~got).nonzero().flatten().tolist()
    extra = (got & ~expected).nonzero().flatten().tolist()
    parts = []
    if missing:
        parts.append(text("missing {positions}", positions=missing))
    if extra:
        parts.append(text("should not be kept {positions}", positions=extra))
    return text("; ").join(parts)


def _mask_variant(conf_loss: Tensor, positive: Tensor, ratio: float, *, exclude: bool = True, cap: bool = True,
                  include_positives: bool = False, ascending: bool = False, fixed_ratio: float | None = None,
                  drop_after: bool = False) -> Tensor:
    """Hard negatives of one image, right (defaults) or with one of the classic mistakes."""
    ratio = fixed_ratio if fixed_ratio is not None else ratio
    num_negatives = int((~positive).sum())
    k = int(math.floor(ratio * int(positive.sum())))
    if cap:
        k = min(k, num_negatives)
    ranked = conf_loss.clone()
    if exclude:
        ranked[positive] = math.inf if ascending else -math.inf
    order = ranked.argsort(descending=not ascending, stable=True)
    mask = torch.zeros_like(positive)
    mask[order[:k]] = True
    if drop_after:
        mask &= ~positive
    if include_positives:
        mask |= positive
    return mask


def check_hard_negative_mask(fn: Callable[[Tensor, Tensor, float], Any]) -> bool:
    """Check hard negative mining for one image (notebook 06).

    Args:
        fn (Callable): ``fn(conf_loss, positive, neg_pos_ratio)`` with ``conf_loss`` a float64
            ``Tensor[P]`` (no ties), ``positive`` a bool ``Tensor[P]`` and ``neg_pos_ratio`` an
            int; returns a bool ``Tensor[P]``, True for the kept negatives only: the
            ``min(neg_pos_ratio * P_pos, negatives)`` negatives with the highest loss.
            Compared with :func:`ssd_course.loss.hard_negative_mask`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    cap_hint = ("when neg_pos_ratio * positives exceeds the number of negatives, keep every negative and no "
                "more: keep min(neg_pos_ratio * positives, negatives).")
    hand = [
        ("one positive, ratio 3", _vec(0.1, 5.0, 0.7, 0.3, 0.9, 0.2),
         torch.tensor([False, True, False, False, False, False]), 3,
         "prior 1 is positive: it is never a hard negative, however high its loss."),
        ("two positives, ratio 1", _vec(0.4, 2.0, 1.1, 0.05, 1.7, 0.6, 0.9, 0.3),
         torch.tensor([True, False, False, False, False, True, False, False]), 1, ""),
        ("3 x positives exceeds the negatives", _vec(2.0, 0.3, 0.9, 0.1, 1.2, 0.5, 0.8, 0.05),
         torch.tensor([True, False, True, False, False, True, False, False]), 3, cap_hint),
        ("no positive at all", _vec(0.6, 0.2, 1.5, 0.9), torch.tensor([False, False, False, False]), 3,
         "an image without positives keeps no negative: 3 x 0 = 0."),
        ("every prior is positive", _vec(0.6, 0.2, 1.5), torch.tensor([True, True, True]), 3,
         "there is no negative to keep: the mask is all False."),
    ]
    generator = _generator(111)
    for k in range(5):
        P = 12 + int(torch.randint(10, (1,), generator=generator))
        conf = ((torch.randperm(900, generator=generator)[:P] + 50).to(_DTYPE) / 100)  # [P], distinct
        positive = torch.rand(P, generator=generator) < 0.15
        positive[int(torch.randint(P, (1,), generator=generator))] = True
        ratio = 3 if k < 3 else 2
        hand.append((f"random image {k + 1}", conf, positive, ratio, ""))
    cases = [
        _Case(t, (c, p, r), [("conf_loss", _tensor(c)), ("positive", _kept(p)), ("neg_pos_ratio", str(r))], h)
        for t, c, p, r, h in hand
    ]
    mistakes = [
        _Mistake("you mined a positive: a positive prior must never be a hard negative. Exclude the positives "
                 "before ranking (e.g. set their loss to -inf), then keep the top losses of the negatives.",
                 lambda c, p, r: _mask_variant(c, p, r, exclude=False)),
        _Mistake("you ranked every prior, positives included, and then removed the positives: a positive with a "
                 "high loss takes the place of a negative. Exclude the positives before ranking.",
                 lambda c, p, r: _mask_variant(c, p, r, exclude=False, drop_after=True)),
        _Mistake("the number kept is not capped by the number of negatives: keep "
                 "min(neg_pos_ratio * positives, negatives), or the ranking runs into the positives.",
                 lambda c, p, r: _mask_variant(c, p, r, cap=False)),
        _Mistake("return the kept negatives only, without the positives: the loss adds the positives itself.",
                 lambda c, p, r: _mask_variant(c, p, r, include_positives=True)),
        _Mistake("you kept the easiest negatives (lowest loss): sort in descending order, the hardest first.",
                 lambda c, p, r: _mask_variant(c, p, r, ascending=True)),
        _Mistake("use the neg_pos_ratio argument, not a fixed 3.",
                 lambda c, p, r: _mask_variant(c, p, r, fixed_ratio=3)),
    ]
    spec = _Spec(
        name="hard_negative_mask",
        cases=cases,
        reference=lambda c, p, r: loss.hard_negative_mask(c[None], p[None], r)[0],
        convert=_to_mask,
        show=_kept,
        mistakes=mistakes,
        hint="k = min(neg_pos_ratio * positive.sum(), (~positive).sum()); set the positives' loss to -inf, "
             "sort by decreasing loss, and mark the first k priors.",
        explain=_mask_difference,
    )
    return _run(spec, fn)


# ---------------------------------------------------------------------------------------------
# 07 The complete MultiBox loss
# ---------------------------------------------------------------------------------------------


def check_loss_normalisation(fn: Callable[[Tensor, Tensor, int, float], Any]) -> bool:
    """Check how the parts of the loss are added and normalised (notebook 07).

    Args:
        fn (Callable): ``fn(loc_loss, conf_loss, num_positives, alpha)`` with ``loc_loss`` a
            float64 ``Tensor[N, 4]`` (smooth L1 of every offset of the N positives),
            ``conf_loss`` a float64 ``Tensor[K]`` (cross-entropy of the positives and the kept
            hard negatives), ``num_positives`` the int N and ``alpha`` a float; returns
            ``(sum(conf_loss) + alpha * sum(loc_loss)) / N`` as one number, and 0 when N = 0 --
            the last step of :func:`ssd_course.loss.multibox_loss`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    generator = _generator(112)

    def parts(n: int, k: int) -> tuple[Tensor, Tensor]:
        loc_loss = _rounded(1.5 * torch.rand(n, 4, generator=generator, dtype=_DTYPE))
        conf_loss = _rounded(3 * torch.rand(k, generator=generator, dtype=_DTYPE))
        return loc_loss, conf_loss

    zero_hint = ("a batch without objects has N = 0 and empty sums: the loss is 0 there (0 / 0 is NaN): "
                 "divide by max(N, 1), or return 0 when N = 0.")
    hand = []
    for title, n, k, alpha, hint in [
        ("two positives, six hard negatives", 2, 8, 1.0, ""),
        ("one positive", 1, 4, 1.0, ""),
        ("alpha = 0.5", 3, 12, 0.5, "alpha weighs the location loss only: conf + alpha * loc."),
        ("no positive (N = 0)", 0, 0, 1.0, zero_hint),
        ("four positives", 4, 16, 1.0, ""),
        ("alpha = 2", 5, 20, 2.0, ""),
        ("fewer negatives than 3N", 3, 5, 1.0, ""),
    ]:
        loc_loss, conf_loss = parts(n, k)
        hand.append(_Case(title, (loc_loss, conf_loss, n, alpha), [
            ("loc_loss", _tensor(loc_loss)), ("conf_loss", _tensor(conf_loss)),
            ("num_positives", str(n)), ("alpha", _number(alpha))], hint))

    def formula(loc_loss: Tensor, conf_loss: Tensor, n: int, alpha: float, *, loc_by: str = "N",
                conf_by: str = "N", alpha_on_conf: bool = False, guard: bool = True) -> float:
        loc_sum, conf_sum = float(loc_loss.sum()), float(conf_loss.sum())
        divisor = {"N": n, "4N": 4 * n, "K": conf_loss.shape[0], "1": 1}
        if guard and n == 0:
            return 0.0
        with torch.no_grad():
            loc = torch.tensor(loc_sum, dtype=_DTYPE) / divisor[loc_by]
            conf = torch.tensor(conf_sum, dtype=_DTYPE) / divisor[conf_by]
        return float(alpha * conf + loc) if alpha_on_conf else float(conf + alpha * loc)

    mistakes = [
        _Mistake("your result matches the loss without a guard for N = 0: " + zero_hint,
                 lambda *a: formula(*a, guard=False)),
        _Mistake("divide the location loss by N, the number of positives, not by 4N (the mean over the four "
                 "offsets is what the popular implementation does, against the paper and the study guide).",
                 lambda *a: formula(*a, loc_by="4N")),
        _Mistake("divide the confidence loss by N, the number of positives, not by the number of kept priors.",
                 lambda *a: formula(*a, conf_by="K")),
        _Mistake("both sums are divided by the same N, the number of positives, not each by its own number of "
                 "terms (4N offsets, K kept priors).",
                 lambda *a: formula(*a, conf_by="K", loc_by="4N")),
        _Mistake("alpha weighs the location loss: (conf + alpha * loc) / N.",
                 lambda *a: formula(*a, alpha_on_conf=True)),
        _Mistake("divide the sum by N, the number of positives.", lambda *a: formula(*a, loc_by="1", conf_by="1")),
        _Mistake("divide the confidence loss by N too.", lambda *a: formula(*a, conf_by="1")),
        _Mistake("divide the location loss by N too.", lambda *a: formula(*a, loc_by="1")),
    ]
    spec = _Spec(
        name="loss_normalisation",
        cases=hand,
        reference=lambda *a: formula(*a),
        convert=_to_float,
        show=_number,
        mistakes=mistakes,
        hint="(conf_loss.sum() + alpha * loc_loss.sum()) / N, and 0 when N = 0.",
    )
    return _run(spec, fn)


def _multibox_variant(predicted_locs: Tensor, predicted_scores: Tensor, gt_boxes: list[Tensor],
                      gt_labels: list[Tensor], priors_cxcy: Tensor, *, loc_kind: str = "smooth",
                      variances: tuple[float, float] = (0.1, 0.2), neg_pos_ratio: float = 3.0,
                      normalise: str = "batch", loc_by: int = 1, conf_by_n: bool = True, guard: bool = True
                      ) -> float:
    """The MultiBox loss built from the package's parts, right (defaults) or with a classic mistake."""
    match = matching.match_priors_batch(gt_boxes, gt_labels, priors_cxcy)
    positive = match.gt_index >= 0  # [B, P]
    padded_boxes, _, _ = matching.pad_ground_truth(gt_boxes, gt_labels)  # [B, G_max, 4]
    image, prior = positive.nonzero(as_tuple=True)  # [N] each
    targets = encoding.encode(padded_boxes[image, match.gt_index[image, prior]], priors_cxcy[prior], variances)
    difference = predicted_locs[image, prior] - targets  # [N, 4]
    per_offset = loss.smooth_l1(difference) if loc_kind == "smooth" else difference.abs()  # [N, 4]
    B = predicted_locs.shape[0]
    loc_per_image = torch.zeros(B, dtype=_DTYPE).index_add(0, image, per_offset.sum(dim=1))  # [B]
    conf = loss.confidence_loss(predicted_scores, match.labels)  # [B, P]
    kept = positive | loss.hard_negative_mask(conf, positive, neg_pos_ratio)  # [B, P]
    conf_per_image = (conf * kept).sum(dim=1)  # [B]
    n_per_image = positive.sum(dim=1).to(_DTYPE)  # [B]
    n = n_per_image.sum()
    if normalise == "image":
        per_image = (conf_per_image + loc_per_image) / n_per_image.clamp(min=1)
        return float(per_image.sum())
    if normalise == "image_mean":
        per_image = (conf_per_image + loc_per_image) / n_per_image.clamp(min=1)
        return float(per_image.mean())
    divisor = n.clamp(min=1) if guard else n
    loc_total = loc_per_image.sum() / (divisor * loc_by)
    conf_total = conf_per_image.sum() / divisor if conf_by_n else conf_per_image.sum()
    return float(conf_total + loc_total)


def check_multibox_loss(fn: Callable[[Tensor, Tensor, list, list, Tensor], Any]) -> bool:
    """Check a complete MultiBox loss of a batch (notebook 07).

    Args:
        fn (Callable): ``fn(predicted_locs, predicted_scores, boxes, labels, priors_cxcy)``
            with ``predicted_locs`` a float64 ``Tensor[B, P, 4]``, ``predicted_scores`` a
            float64 ``Tensor[B, P, C]``, ``boxes`` a list of B float64 ``Tensor[G_b, 4]``
            (fractional xyxy, ``G_b`` may be 0), ``labels`` a list of B int64 ``Tensor[G_b]``
            (1..C-1) and ``priors_cxcy`` a float64 ``Tensor[P, 4]``; returns the total loss
            as one number, with threshold 0.5, ``neg_pos_ratio`` 3, alpha 1 and variances
            (0.1, 0.2). The package's parts (``matching.match_priors``, ``encoding.encode``,
            ``loss.smooth_l1``, ``loss.confidence_loss``, ``loss.hard_negative_mask``) may be
            used. Compared with :func:`ssd_course.loss.multibox_loss`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    generator = _generator(113)
    tiny = priors.tiny_detector_priors(dtype=_DTYPE)  # [441, 4]
    few = priors.make_priors([2], [[(0.5, 1.0)]], dtype=_DTYPE)  # [4, 4]

    def predictions(B: int, P: int, C: int) -> tuple[Tensor, Tensor]:
        locs = _rounded(torch.randn(B, P, 4, generator=generator, dtype=_DTYPE))
        scores = _rounded(2 * torch.randn(B, P, C, generator=generator, dtype=_DTYPE))
        return locs, scores

    def gt(*image_boxes: Sequence[Sequence[float]], labels: Sequence[Sequence[int]]) -> tuple[list, list]:
        return ([torch.tensor(b, dtype=_DTYPE).reshape(-1, 4) for b in image_boxes],
                [torch.tensor(l, dtype=torch.long) for l in labels])

    zero_hint = ("a batch without any object has N = 0: the loss is 0, not NaN (0 / 0). Divide the sums by "
                 "max(N, 1).")
    specs = [
        ("one image, one object", tiny, 3, gt([[0.1, 0.2, 0.5, 0.7]], labels=[[1]]), ""),
        ("two images, three objects and one", tiny, 4,
         gt([[0.05, 0.1, 0.45, 0.6], [0.5, 0.5, 0.9, 0.95], [0.55, 0.05, 0.95, 0.4]], [[0.2, 0.2, 0.8, 0.9]],
            labels=[[1, 2, 3], [2]]), "N counts the positives of the whole batch, not of one image."),
        ("the second image has no object", tiny, 4, gt([[0.3, 0.1, 0.7, 0.8]], [], labels=[[3], []]),
         "an image without objects has only negatives, and keeps none of them (3 x 0 = 0); it must not crash."),
        ("no object in the batch (N = 0)", tiny, 3, gt([], [], labels=[[], []]), zero_hint),
        ("four priors, 3 x positives exceeds the negatives", few, 3,
         gt([[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]], labels=[[1, 2]]),
         "with 2 positives of 4 priors, 3 x 2 = 6 exceeds the 2 negatives: keep both negatives, no positive twice."),
    ]
    cases = []
    for title, prior_set, C, (b, l), hint in specs:
        locs, scores = predictions(len(b), prior_set.shape[0], C)
        cases.append(_Case(title, (locs, scores, b, l, prior_set), [
            ("predicted_locs", _tensor(locs)), ("predicted_scores", _tensor(scores)),
            *[(f"boxes[{i}]", _tensor(bi)) for i, bi in enumerate(b)],
            *[(f"labels[{i}]", _tensor(li)) for i, li in enumerate(l)],
            ("priors_cxcy", "priors.tiny_detector_priors() (441)" if prior_set is tiny else _tensor(prior_set))],
            hint))
    for k in range(3):
        b, l = [], []
        for _ in range(2):
            count = 1 + int(torch.randint(3, (1,), generator=generator))
            b.append(torch.stack([_random_box(generator) for _ in range(count)]))
            l.append(1 + torch.randint(3, (count,), generator=generator))
        locs, scores = predictions(2, 441, 4)
        cases.append(_Case(f"random batch {k + 1}", (locs, scores, b, l, tiny), [
            ("predicted_locs", _tensor(locs)), ("predicted_scores", _tensor(scores)),
            *[(f"boxes[{i}]", _tensor(bi)) for i, bi in enumerate(b)],
            *[(f"labels[{i}]", _tensor(li)) for i, li in enumerate(l)],
            ("priors_cxcy", "priors.tiny_detector_priors() (441)")]))

    mistakes = [
        _Mistake("your result matches the loss without a guard for N = 0: " + zero_hint,
                 lambda *a: _multibox_variant(*a, guard=False)),
        _Mistake("divide the location loss by N, not by 4N: sum the smooth L1 of the 4 offsets of every "
                 "positive, then divide by the number of positives.", lambda *a: _multibox_variant(*a, loc_by=4)),
        _Mistake("your location loss is plain L1, |x|: use smooth L1 (0.5 x**2 for |x| < 1).",
                 lambda *a: _multibox_variant(*a, loc_kind="l1")),
        _Mistake("your confidence loss counts every negative: keep only the hard negatives, at most 3 per "
                 "positive of the same image (loss.hard_negative_mask).",
                 lambda *a: _multibox_variant(*a, neg_pos_ratio=math.inf)),
        _Mistake("N is the number of positives of the whole batch: add all images' sums, then divide once "
                 "(you divided each image by its own N and added).",
                 lambda *a: _multibox_variant(*a, normalise="image")),
        _Mistake("N is the number of positives of the whole batch: add all images' sums, then divide once "
                 "(you divided each image by its own N and averaged).",
                 lambda *a: _multibox_variant(*a, normalise="image_mean")),
        _Mistake("encode the targets with variances (0.1, 0.2), as encoding.encode does by default.",
                 lambda *a: _multibox_variant(*a, variances=(1.0, 1.0))),
        _Mistake("divide the confidence loss by N too: L = (L_conf + alpha * L_loc) / N.",
                 lambda *a: _multibox_variant(*a, conf_by_n=False)),
    ]
    spec = _Spec(
        name="multibox_loss",
        cases=cases,
        reference=lambda *a: float(loss.multibox_loss(*a).total),
        convert=_to_float,
        show=_number,
        mistakes=mistakes,
        hint="match, encode the positives' GT boxes, smooth L1 over the positives, cross-entropy over the "
             "positives and the hard negatives of each image, then (L_conf + L_loc) / max(N, 1).",
    )
    return _run(spec, fn)


# ---------------------------------------------------------------------------------------------
# 09 Debugging SSD losses: the fixes of bugs from real bug reports
#
#   check_fix_mask_shape      -- fn(loss_c, positive, neg_pos_ratio) -> Tensor[B, P] (bool)
#   check_fix_swapped_corners -- fn(boxes) -> Tensor[K] (int64): the boxes that cannot be encoded
#   check_fix_empty_image     -- fn(gt_boxes, gt_labels, priors_cxcy) -> Tensor[P] (int64 labels)
#   check_fix_lost_gt         -- fn(gt_boxes, priors_cxcy) -> Tensor[P] (int64 GT index, -1 background)
#   check_fix_plain_l1        -- fn(predicted_locs, loc_targets, positive) -> float
# ---------------------------------------------------------------------------------------------

__all__ += [  # the checks of notebook 09, kept together at the end of the module
    "check_fix_empty_image",
    "check_fix_lost_gt",
    "check_fix_mask_shape",
    "check_fix_plain_l1",
    "check_fix_swapped_corners",
]


def _to_batch_mask(value: Any, expected: Tensor) -> Tensor:
    """A bool mask (or 0/1 integers) of the shape of ``expected`` -> a bool tensor."""
    wanted = text("a bool mask of shape {shape} = [B, P], True for the kept negatives", shape=list(expected.shape))
    value = _from_array(value)
    if not isinstance(value, Tensor):
        raise _bad(value, wanted)
    value = value.detach().cpu()
    if value.dtype != torch.bool:
        if value.dtype.is_floating_point or not bool(((value == 0) | (value == 1)).all()):
            raise _bad(value, wanted)
        value = value.bool()
    return value


def _flat_mining(loss_c: Tensor, positive: Tensor, ratio: float, *, order: str = "view", zero: bool = True
                 ) -> Tensor:
    """The classic mining of a ``[B * P, 1]`` loss column: fixed (defaults) or with a wrong fix."""
    B, P = positive.shape
    if order == "view":
        ranked = loss_c.reshape(B, P).clone()
        mask = positive
    elif order == "transposed":  # reshaped in the wrong order: column b of [P, B] is not image b
        ranked = loss_c.reshape(P, B).t().clone()
        mask = positive
    else:  # "batch": the whole batch as one image
        ranked = loss_c.reshape(1, B * P).clone()
        mask = positive.reshape(1, B * P)
    if zero:
        ranked[mask] = 0
    rank = ranked.argsort(dim=1, descending=True, stable=True).argsort(dim=1)  # [rows, P']
    num_neg = (ratio * mask.long().sum(dim=1, keepdim=True)).clamp(max=mask.shape[1] - 1)  # [rows, 1]
    return (rank < num_neg).reshape(B, P)


def _batch_mask_text(mask: Tensor) -> str:
    return text("; ").join(text("image {image}: True at {positions}", image=b, positions=row.nonzero().flatten().tolist())
                           for b, row in enumerate(mask))


def _batch_mask_difference(expected: Tensor, got: Tensor) -> str:
    if expected.shape != got.shape:
        return text("shape: expected {expected}, got {got}", expected=list(expected.shape), got=list(got.shape))
    return text("; ").join(text("image {image}: {difference}", image=b, difference=_mask_difference(expected[b], got[b]))
                           for b in range(expected.shape[0]) if not torch.equal(expected[b], got[b]))


def check_fix_mask_shape(fn: Callable[[Tensor, Tensor, float], Any]) -> bool:
    """Check the repaired hard negative mining of a ``[B * P, 1]`` loss column (notebook 09, bug 1).

    The bug (amdegroot/ssd.pytorch #173): the confidence losses of a batch arrive as one
    column ``loss_c`` of shape ``[B * P, 1]``; the classic code zeroes the positives' losses
    with the ``[B, P]`` mask *before* reshaping the column to ``[B, P]``, which PyTorch
    >= 0.4 refuses (:func:`ssd_course.pitfalls.classic_mask_before_view`).

    Args:
        fn (Callable): ``fn(loss_c, positive, neg_pos_ratio)`` with ``loss_c`` a float64
            ``Tensor[B * P, 1]`` (image 0's P losses first, all positive and distinct),
            ``positive`` a bool ``Tensor[B, P]`` and ``neg_pos_ratio`` an int; returns a bool
            ``Tensor[B, P]``, True for the kept negatives: per image, the ``neg_pos_ratio *
            P_b`` negatives with the highest loss (every case has more negatives than that).
            Compared with :func:`ssd_course.loss.hard_negative_mask` of ``loss_c`` viewed as
            ``[B, P]``.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    reshape_hint = ("reshape the column to the mask's shape first, loss_c = loss_c.view(B, -1), then zero the "
                    "positives with loss_c[positive] = 0 (or mask the column with positive.view(-1, 1)).")
    hand = [
        ("two images of 6 priors, the positives have the highest losses",
         _mt([4.0, 0.5, 0.9, 0.1, 0.7, 0.3, 0.2, 0.6, 3.5, 0.8, 0.05, 0.4]).reshape(12, 1),
         torch.tensor([[True, False, False, False, False, False], [False, False, True, False, False, False]]), 1,
         ""),
        ("two images, ratio 2", _mt([0.3, 0.2, 5.0, 0.9, 0.1, 0.7, 0.4, 0.5, 0.6, 1.2, 0.25, 0.15, 0.35, 0.45]
                                    ).reshape(14, 1),
         torch.tensor([[False, False, True, False, False, False, False],
                       [False, False, False, True, False, False, False]]), 2, ""),
        ("one image of 8 priors", _mt([0.7, 0.2, 0.9, 0.4, 2.0, 0.3, 0.6, 0.1]).reshape(8, 1),
         torch.tensor([[False, False, False, False, True, False, False, False]]), 3, ""),
        ("three images, the second one without positives",
         _mt([0.5, 0.9, 0.2, 0.6, 0.8, 0.7, 0.1, 0.3, 0.4, 0.35, 0.95, 0.15]).reshape(12, 1),
         torch.tensor([[False, True, False, False], [False, False, False, False], [False, False, True, False]]), 1,
         "each image keeps neg_pos_ratio x its own positives; an image without positives keeps nothing."),
    ]
    generator = _generator(901)
    for k in range(4):
        B, P = 2 + k % 2, 9 + int(torch.randint(6, (1,), generator=generator))
        loss_c = ((torch.randperm(900, generator=generator)[: B * P] + 50).to(_DTYPE) / 100).reshape(B * P, 1)
        positive = torch.zeros(B, P, dtype=torch.bool)
        for b in range(B):
            count = 1 + int(torch.randint(2, (1,), generator=generator))  # 1 or 2 positives
            positive[b, torch.randperm(P, generator=generator)[:count]] = True
        hand.append((f"random batch {k + 1} ({B} images of {P} priors)", loss_c, positive, 2, ""))
    cases = [
        _Case(t, (c, p, r), [
            ("loss_c", _tensor(c.reshape(p.shape)) + f"  (shown as [B, P]; passed as [{c.shape[0]}, 1])"),
            ("positive", _batch_mask_text(p)), ("neg_pos_ratio", str(r))], h)
        for t, c, p, r, h in hand
    ]
    mistakes = [
        _Mistake("you removed the line that zeroes the positives' losses: it made the error go away, but now a "
                 "positive with a high loss is mined as a hard negative. Keep it, after the reshape.",
                 lambda c, p, r: _flat_mining(c, p, r, zero=False)),
        _Mistake("the column holds image 0's P losses first, then image 1's: view it as [B, P] (loss_c.view(B, -1)), "
                 "not as [P, B] transposed, which mixes the images.",
                 lambda c, p, r: _flat_mining(c, p, r, order="transposed")),
        _Mistake("you ranked the whole batch as one image (a [1, B * P] view): hard negatives are chosen per image, "
                 "neg_pos_ratio x that image's positives. View the column as [B, P].",
                 lambda c, p, r: _flat_mining(c, p, r, order="batch")),
    ]
    spec = _Spec(
        name="fix_mask_shape",
        cases=cases,
        reference=lambda c, p, r: loss.hard_negative_mask(c.reshape(p.shape), p, r),
        convert=_to_batch_mask,
        show=_batch_mask_text,
        mistakes=mistakes,
        hint=reshape_hint,
        explain=_batch_mask_difference,
    )
    return _run(spec, fn)


def _bad_box_variant(boxes: Tensor, *, strict: bool = False, columns: str = "xy", area: bool = False,
                     pairs: tuple[tuple[int, int], tuple[int, int]] = ((0, 2), (1, 3))) -> Tensor:
    """Indices of the boxes that cannot be encoded: right (defaults) or with a wrong test."""
    (x1, x2), (y1, y2) = pairs
    width, height = boxes[:, x2] - boxes[:, x1], boxes[:, y2] - boxes[:, y1]  # [G] each
    if area:
        bad = width * height <= 0
    else:
        bad_x, bad_y = (width < 0, height < 0) if strict else (width <= 0, height <= 0)
        bad = {"xy": bad_x | bad_y, "x": bad_x, "y": bad_y}[columns]
    return bad.nonzero().flatten()


def check_fix_swapped_corners(fn: Callable[[Tensor], Any]) -> bool:
    """Check a guard that finds the GT boxes the encoder would turn into NaN (notebook 09, bug 2).

    The bug (sgrvinod/a-PyTorch-Tutorial-to-Object-Detection #53): boxes read in the wrong
    column order, e.g. (x_max, y_min, x_min, y_max), have a negative width; the encoder's
    ``log(g_w / d_w)`` of it is NaN, and so is the loss. A zero width gives ``log 0 = -inf``.

    Args:
        fn (Callable): ``fn(boxes)`` with ``boxes`` a float64 ``Tensor[G, 4]`` meant as
            fractional (x1, y1, x2, y2), ``G`` possibly 0; returns the indices of the boxes
            with ``x2 <= x1`` or ``y2 <= y1``, in increasing order, as a ``Tensor[K]`` of
            int64 (or a list of ints); empty when every box is fine.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    coffee = _mt([0.3, 0.08, 0.7, 0.66], [0.12, 0.22, 0.8, 0.98], [0.55, 0.2, 0.72, 0.85])
    swapped_x = coffee[:, [2, 1, 0, 3]]  # read as (x_max, y_min, x_min, y_max)
    hand = [
        ("three good boxes", coffee, ""),
        ("every box read as (x_max, y_min, x_min, y_max)", swapped_x,
         "x2 < x1 for every box: width x2 - x1 is negative and log(width / prior width) is NaN."),
        ("one box with its y corners swapped", torch.cat((coffee[:2], coffee[2:, [0, 3, 2, 1]])),
         "check the height too: y2 <= y1 breaks log(g_h / d_h) the same way."),
        ("a box with both corners swapped (its area x * y is positive)",
         torch.cat((coffee[:1], coffee[1:2, [2, 3, 0, 1]], coffee[2:])),
         "(x1 - x2) * (y1 - y2) > 0 when both are swapped: test the width and the height, not the area."),
        ("a box of width 0", torch.cat((coffee[:1], _mt([0.4, 0.2, 0.4, 0.9]))),
         "a width of exactly 0 gives log 0 = -inf: reject x2 <= x1, not only x2 < x1."),
        ("a box of height 0", _mt([0.1, 0.5, 0.3, 0.5], [0.2, 0.2, 0.6, 0.7]),
         "a height of exactly 0 gives log 0 = -inf: reject y2 <= y1."),
        ("a very thin box, 0.0005 wide (it encodes fine)", _mt([0.1, 0.2, 0.4, 0.6], [0.2, 0.3, 0.2005, 0.8]),
         "a thin box is a good box: its width is small but positive, so log(g_w / d_w) is finite. Reject only "
         "x2 <= x1 or y2 <= y1, with no tolerance."),
        ("no box at all (an image without objects is fine)", torch.zeros(0, 4, dtype=_DTYPE),
         "an image without objects has no bad box: return an empty tensor."),
    ]
    generator = _generator(902)
    for k in range(4):
        G = 3 + int(torch.randint(3, (1,), generator=generator))
        boxes = torch.stack([_random_box(generator) for _ in range(G)])
        for g in torch.randperm(G, generator=generator)[: 1 + k % 2].tolist():
            boxes[g] = boxes[g][[[2, 1, 0, 3], [0, 3, 2, 1], [2, 3, 0, 1]][(g + k) % 3]]
        hand.append((f"random boxes {k + 1}", boxes, ""))
    cases = [_Case(t, (b,), [("boxes", _tensor(b))], h) for t, b, h in hand]
    mistakes = [
        _Mistake("a box with width or height exactly 0 must be reported too (log 0 = -inf): test x2 <= x1 and "
                 "y2 <= y1, not <.", lambda b: _bad_box_variant(b, strict=True)),
        _Mistake("you tested the area: when both corners are swapped, width and height are negative and the area "
                 "is positive. Test the width and the height separately.", lambda b: _bad_box_variant(b, area=True)),
        _Mistake("you tested only x; a box with its y corners swapped breaks log(g_h / d_h) the same way.",
                 lambda b: _bad_box_variant(b, columns="x")),
        _Mistake("you tested only y; a box with its x corners swapped breaks log(g_w / d_w) the same way.",
                 lambda b: _bad_box_variant(b, columns="y")),
        _Mistake("the columns are (x1, y1, x2, y2): width = boxes[:, 2] - boxes[:, 0], height = boxes[:, 3] - "
                 "boxes[:, 1].", lambda b: _bad_box_variant(b, pairs=((0, 1), (2, 3)))),
    ]
    spec = _Spec(
        name="fix_swapped_corners",
        cases=cases,
        reference=lambda b: _bad_box_variant(b),
        convert=_to_int_tensor,
        show=_tensor,
        mistakes=mistakes,
        hint="((boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])).nonzero().flatten().",
    )
    return _run(spec, fn)


def _unambiguous(gt_boxes: Tensor, priors_cxcy: Tensor, margin: float = 1e-4) -> bool:
    """No IoU within ``margin`` of the 0.5 threshold and no tie for any GT's best prior.

    On such boxes every correct matching gives the same answer in float32 as in float64,
    whatever order it breaks ties in.
    """
    iou = matching.gt_prior_iou(gt_boxes, priors_cxcy)  # [G, P]
    top2 = iou.topk(2, dim=1).values  # [G, 2]
    return bool((iou - 0.5).abs().min() > margin) and bool((top2[:, 0] - top2[:, 1]).min() > margin)


def _gt_index_text(gt_index: Tensor) -> str:
    """A GT index per prior as the priors of each GT, e.g. "GT 0: priors [219]; GT 1: none; 439 background"."""
    if gt_index.dim() != 1 or gt_index.dtype.is_floating_point:
        return _tensor(gt_index)
    count = int(gt_index.max()) + 1 if gt_index.numel() else 0
    parts = [text("GT {g}: priors {priors}", g=g, priors=(gt_index == g).nonzero().flatten().tolist())
             if (gt_index == g).any() else text("GT {g}: no prior", g=g) for g in range(count)]
    parts.append(text("{count} priors background", count=int((gt_index < 0).sum())))
    return text("; ").join(parts)


def _label_text(labels: Tensor) -> str:
    if labels.dim() != 1 or labels.dtype.is_floating_point:
        return _tensor(labels)
    positive = (labels > 0).nonzero().flatten()  # below 0 is not a class: counted apart
    shown = ", ".join(f"{p}: {int(labels[p])}" for p in positive.tolist()[:12])
    more = text(", ... ({count} in all)", count=len(positive)) if len(positive) > 12 else ""
    background, negative = int((labels == 0).sum()), int((labels < 0).sum())
    rest = text("1 prior 0 (background)") if background == 1 else text("{count} priors 0 (background)", count=background)
    below = text("; 1 prior below 0") if negative == 1 else text("; {count} priors below 0", count=negative)
    return (text("class per positive prior {{{shown}}}; ", shown=shown + more) if len(positive) else
            text("no positive prior; ")) + rest + (below if negative else "")


def _dummy_box_labels(gt_boxes: Tensor, gt_labels: Tensor, priors_cxcy: Tensor, label: int) -> Tensor:
    """The workaround "an image without objects gets one dummy box [0, 0, 0, 0]", with a given label."""
    if gt_boxes.shape[0] == 0:
        gt_boxes, gt_labels = torch.zeros(1, 4, dtype=gt_boxes.dtype), torch.tensor([label])
    return _classic_labels(gt_boxes, gt_labels, priors_cxcy)


def _classic_labels(gt_boxes: Tensor, gt_labels: Tensor, priors_cxcy: Tensor, threshold: float = 0.5) -> Tensor:
    overlap = boxes.box_iou(gt_boxes, boxes.cxcywh_to_xyxy(priors_cxcy))  # [G, P]
    best_iou, best_gt = overlap.max(dim=0)  # [P] each
    best_prior = overlap.argmax(dim=1)  # [G]
    for g in range(gt_boxes.shape[0]):
        best_gt[best_prior[g]] = g
    best_iou[best_prior] = 1.0
    labels = gt_labels[best_gt].clone()  # [P]
    labels[best_iou < threshold] = 0
    return labels


def check_fix_empty_image(fn: Callable[[Tensor, Tensor, Tensor], Any]) -> bool:
    """Check per-image matching that survives an image without objects (notebook 09, bug 3).

    The bug (sgrvinod/a-PyTorch-Tutorial-to-Object-Detection #104): for an image without
    GT boxes the IoU matrix is ``[0, P]`` and ``overlap.max(dim=0)`` raises ``IndexError:
    max(): Expected reduction dim 0 to have non-zero size``. Such an image is all
    background.

    Args:
        fn (Callable): ``fn(gt_boxes, gt_labels, priors_cxcy)`` with ``gt_boxes`` a float64
            ``Tensor[G, 4]`` (fractional xyxy, ``G`` possibly 0), ``gt_labels`` an int64
            ``Tensor[G]`` (1..C-1) and ``priors_cxcy`` the float64 ``Tensor[441, 4]`` of the
            tiny detector; returns the class of every prior as a ``Tensor[P]`` of int64, 0
            for background, with threshold 0.5. Compared with the ``labels`` of
            :func:`ssd_course.matching.match_priors` (no case has two GTs sharing a best
            prior, so the classic principle 1 agrees with it).

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    tiny = priors.tiny_detector_priors(dtype=_DTYPE)
    empty_hint = ("an image without GT boxes has only negatives: return torch.zeros(P, dtype=torch.long) before "
                  "taking any maximum over the (empty) GT dimension.")
    hand = [
        ("an image without objects", torch.zeros(0, 4, dtype=_DTYPE), torch.zeros(0, dtype=torch.long), empty_hint),
        ("one object", _mt([0.21, 0.32, 0.58, 0.87]), torch.tensor([2]), ""),
        ("three objects (the coffee photo)", _mt([0.3, 0.08, 0.7, 0.66], [0.12, 0.22, 0.8, 0.98],
                                                 [0.55, 0.2, 0.72, 0.85]), torch.tensor([1, 2, 3]), ""),
        ("a small object: only principle 1 matches it", _mt([0.44, 0.46, 0.51, 0.61]), torch.tensor([4]), ""),
        ("another image without objects", torch.zeros(0, 4, dtype=_DTYPE), torch.zeros(0, dtype=torch.long),
         empty_hint),
    ]
    generator = _generator(903)
    for k in range(3):
        gt = torch.stack([_random_box(generator, min_size=0.2) for _ in range(1 + k)])
        while not _unambiguous(gt, tiny):
            gt = torch.stack([_random_box(generator, min_size=0.2) for _ in range(1 + k)])
        hand.append((f"random image {k + 1}", gt, 1 + torch.randint(5, (1 + k,), generator=generator), ""))
    cases = [_Case(t, (b, lab, tiny), [("gt_boxes", _tensor(b)),
                                       ("gt_labels", _tensor(lab)),
                                       ("priors_cxcy", "priors.tiny_detector_priors() (441)")], h)
             for t, b, lab, h in hand]
    for case in cases:  # the classic principle 1 must agree with the package on every non-empty case
        gt_boxes, gt_labels, _ = case.args
        if gt_boxes.shape[0]:
            assert torch.equal(_classic_labels(gt_boxes, gt_labels, tiny),
                               matching.match_priors(gt_boxes, gt_labels, tiny).labels), case.title

    def empty_as(value: int) -> Callable[..., Tensor]:
        def variant(b: Tensor, lab: Tensor, p: Tensor) -> Tensor:
            return torch.full((p.shape[0],), value) if b.shape[0] == 0 else _classic_labels(b, lab, p)
        return variant

    mistakes = [
        _Mistake("negatives get class 0, the background, not -1: the confidence loss needs a class for every prior "
                 "(cross-entropy against -1 fails or is ignored).", empty_as(-1)),
        _Mistake("your dummy box [0, 0, 0, 0] carries an object class: principle 1 then makes its best prior a "
                 "positive of that class, on an image without objects. Give the dummy box label 0, or return "
                 "all zeros.", lambda b, lab, p: _dummy_box_labels(b, lab, p, 1)),
        _Mistake("an image without objects still has P priors: return one label per prior (all 0), not an empty "
                 "tensor.", lambda b, lab, p: torch.zeros(0, dtype=torch.long) if b.shape[0] == 0
                 else _classic_labels(b, lab, p)),
    ]
    spec = _Spec(
        name="fix_empty_image",
        cases=cases,
        reference=lambda b, lab, p: matching.match_priors(b, lab, p).labels,
        convert=_to_int_tensor,
        show=_label_text,
        mistakes=mistakes,
        hint=empty_hint,
    )
    return _run(spec, fn)


def _lost_gt_variant(gt_boxes: Tensor, priors_cxcy: Tensor, *, principle1: str = "greedy", overwrite: bool = True
                     ) -> Tensor:
    """GT index per prior, both principles at 0.5: right (defaults) or with a wrong principle 1."""
    overlap = boxes.box_iou(gt_boxes, boxes.cxcywh_to_xyxy(priors_cxcy))  # [G, P]
    best_iou, gt_index = overlap.max(dim=0)  # [P] each
    gt_index[best_iou < 0.5] = -1
    if principle1 == "greedy":
        forced = matching.principle1(overlap).tolist()
    elif principle1 == "gt_order":
        forced = _greedy_gt_order(overlap).tolist()
    else:  # "argmax" (last GT wins) or "argmax_reversed" (first GT wins)
        forced = overlap.argmax(dim=1).tolist()
    order = list(enumerate(forced))
    if principle1 == "argmax_reversed":
        order.reverse()
    for g, prior in order:
        if overwrite or gt_index[prior] < 0:
            gt_index[prior] = g
    return gt_index


def _gt_index_difference(expected: Tensor, got: Tensor) -> str:
    if expected.shape != got.shape:
        return text("shape: expected {expected}, got {got}", expected=list(expected.shape), got=list(got.shape))
    lost = [g for g in range(int(expected.max()) + 1) if not (got == g).any()]
    differ = (expected != got).nonzero().flatten().tolist()
    return ((text("GT left without any prior: {lost}; ", lost=lost) if lost else "")
            + text("priors that differ: {priors}", priors=differ[:12]))


def check_fix_lost_gt(fn: Callable[[Tensor, Tensor], Any]) -> bool:
    """Check a matching that no longer loses a GT when two GTs share a best prior (notebook 09, bug 4).

    The bug (amdegroot/ssd.pytorch #193): principle 1 is written as ``for j in range(G):
    best_truth_idx[best_prior_idx[j]] = j``; when two GTs have the same best prior the
    later GT overwrites the earlier one, which may be left without any prior.

    Args:
        fn (Callable): ``fn(gt_boxes, priors_cxcy)`` with ``gt_boxes`` a float64
            ``Tensor[G, 4]`` (fractional xyxy, G >= 1) and ``priors_cxcy`` the float64
            ``Tensor[441, 4]`` of the tiny detector; returns the GT index of every prior, -1
            for background, as a ``Tensor[P]`` of int64: principle 2 at threshold 0.5, then
            principle 1 with distinct priors (greedy, highest IoU first) written over it.
            Compared with the ``gt_index`` of :func:`ssd_course.matching.match_priors`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    tiny = priors.tiny_detector_priors(dtype=_DTYPE)
    hand = [
        ("two people in a crowd share their best prior", _mt([0.45, 0.63, 0.60, 0.84], [0.45, 0.68, 0.57, 0.89]),
         "both GTs' best prior is 344 and GT 0 reaches 0.5 with no prior: the classic overwrite gives 344 to GT 1 "
         "and GT 0 has nothing. Take the pairs greedily (matching.principle1), each GT a prior of its own."),
        ("three small boxes around one cell centre", _mt([0.40, 0.40, 0.56, 0.58], [0.42, 0.38, 0.6, 0.6],
                                                         [0.38, 0.41, 0.58, 0.62]),
         "three GTs, one best prior: the greedy order takes the highest IoU first, then the next GT's best free "
         "prior, and so on."),
        ("no shared best prior (the coffee photo)", _mt([0.3, 0.08, 0.7, 0.66], [0.12, 0.22, 0.8, 0.98],
                                                        [0.55, 0.2, 0.72, 0.85]), ""),
        ("one object", _mt([0.21, 0.32, 0.58, 0.87]), ""),
    ]
    generator = _generator(904)

    def nearby_pair() -> Tensor:  # two small boxes close together: often the same best prior
        first = 0.2 + 0.6 * torch.rand(2, generator=generator, dtype=_DTYPE)
        size = 0.08 + 0.1 * torch.rand(2, 2, generator=generator, dtype=_DTYPE)
        centres = torch.stack((first, first + 0.06 * torch.rand(2, generator=generator, dtype=_DTYPE) - 0.03))
        return _rounded(torch.cat((centres - size / 2, centres + size / 2), dim=1))

    for k in range(4):
        gt = nearby_pair()
        while not _unambiguous(gt, tiny):
            gt = nearby_pair()
        hand.append((f"random pair of nearby boxes {k + 1}", gt, ""))
    cases = [_Case(t, (b, tiny), [("gt_boxes", _tensor(b)), ("priors_cxcy", "priors.tiny_detector_priors() (441)")], h)
             for t, b, h in hand]
    mistakes = [
        _Mistake("your principle 1 is each GT's own argmax, written GT after GT: when two GTs share a best prior "
                 "the later one overwrites the earlier, which is lost. Take the pairs greedily: the highest IoU "
                 "among the GTs and priors not taken yet, then the next (matching.principle1 does it).",
                 lambda b, p: _lost_gt_variant(b, p, principle1="argmax")),
        _Mistake("writing the GTs in reverse order only changes which GT is lost (now the later one): every GT "
                 "needs a prior of its own, taken greedily (matching.principle1).",
                 lambda b, p: _lost_gt_variant(b, p, principle1="argmax_reversed")),
        _Mistake("your results match the GTs taken in index order, each its best free prior. Principle 1's greedy "
                 "order is by IoU: the highest (GT, prior) pair first, whichever GT it belongs to.",
                 lambda b, p: _lost_gt_variant(b, p, principle1="gt_order")),
        _Mistake("principle 1 must win: write every GT's prior over principle 2's result, also where that prior "
                 "already has another GT (otherwise a GT whose best prior belongs to another GT is lost).",
                 lambda b, p: _lost_gt_variant(b, p, overwrite=False)),
    ]
    spec = _Spec(
        name="fix_lost_gt",
        cases=cases,
        reference=lambda b, p: matching.match_priors(b, torch.ones(b.shape[0], dtype=torch.long), p).gt_index,
        convert=_to_int_tensor,
        show=_gt_index_text,
        mistakes=mistakes,
        hint="for g, prior in enumerate(matching.principle1(overlap).tolist()): gt_index[prior] = g -- after "
             "principle 2, so that principle 1 wins.",
        explain=_gt_index_difference,
    )
    return _run(spec, fn)


def _location_variant(locs: Tensor, targets: Tensor, positive: Tensor, *, kind: str = "smooth", by: str = "N",
                      only_positives: bool = True, beta: float = 1.0) -> float:
    """The location loss: smooth L1 / N (defaults) or one of the wrong fixes."""
    difference = locs - targets  # [B, P, 4]
    if only_positives:
        difference = difference[positive]  # [N, 4]
    if kind == "smooth":
        per_offset = F.smooth_l1_loss(difference, torch.zeros_like(difference), reduction="none", beta=beta)
    else:
        per_offset = difference.abs()
    n = int(positive.sum())
    divisor = {"N": max(n, 1), "N_unguarded": n, "4N": 4 * n, "1": 1, "P": positive.numel(), "B": positive.shape[0]}[by]
    with torch.no_grad():
        return float(per_offset.sum() / torch.tensor(float(divisor), dtype=per_offset.dtype))


def check_fix_plain_l1(fn: Callable[[Tensor, Tensor, Tensor], Any]) -> bool:
    """Check a location loss that is smooth L1 summed over the positives and divided by N (notebook 09, bug 5).

    The bug (sgrvinod/a-PyTorch-Tutorial-to-Object-Detection #60): ``self.smooth_l1 =
    nn.L1Loss()`` -- plain L1, averaged over the 4N offsets -- where SSD's location loss
    is smooth L1 summed over the positives' offsets and divided by N
    (:func:`ssd_course.pitfalls.classic_location_loss`). A batch without positives (N = 0)
    must give 0, not 0 / 0 (kuangliu/torchcv #35).

    Args:
        fn (Callable): ``fn(predicted_locs, loc_targets, positive)`` with ``predicted_locs``
            and ``loc_targets`` float64 ``Tensor[B, P, 4]`` and ``positive`` a bool
            ``Tensor[B, P]``; returns ``sum of smooth_l1(l - ĝ) over the 4 offsets of every
            positive / N`` (beta = 1, N = number of positives), and 0 when N = 0, as one
            number -- the ``loc`` part of :func:`ssd_course.loss.multibox_loss`.

    Returns:
        bool: True when every case passes; a report is printed either way.
    """
    generator = _generator(905)
    zero_hint = ("a batch without positives has N = 0 and nothing to sum: return 0, not 0 / 0 = NaN (divide by "
                 "max(N, 1)).")

    def batch(B: int, P: int, spread: float, fraction: float) -> tuple[Tensor, Tensor, Tensor]:
        locs = _rounded(spread * torch.randn(B, P, 4, generator=generator, dtype=_DTYPE))
        targets = _rounded(spread * torch.randn(B, P, 4, generator=generator, dtype=_DTYPE))
        positive = torch.rand(B, P, generator=generator) < fraction
        return locs, targets, positive

    hand = [
        ("one positive with errors 0.5, -2, 0.1, 0", _mt([0.5, -2.0, 0.1, 0.0], [9.0, 9.0, 9.0, 9.0]).unsqueeze(0),
         torch.zeros(1, 2, 4, dtype=_DTYPE), torch.tensor([[True, False]]),
         "smooth L1 of (0.5, -2, 0.1, 0) = 0.125 + 1.5 + 0.005 + 0 = 1.63, divided by N = 1; the negative's "
         "errors of 9 count for nothing."),
        ("errors around the switch at |x| = 1", _mt([0.99, 1.0, 1.01, -1.0], [0.2, -0.2, 3.0, 0.0]).unsqueeze(0),
         torch.zeros(1, 2, 4, dtype=_DTYPE), torch.tensor([[True, True]]), ""),
        ("no positive in the batch (N = 0)", *batch(2, 3, 1.0, 0.0), zero_hint),
    ]
    for k in range(5):
        locs, targets, positive = batch(1 + k % 2, 6 + k, (0.3, 1.0, 2.5)[k % 3], 0.4)
        positive[0, 0] = True
        hand.append((f"random batch {k + 1}", locs, targets, positive, ""))
    cases = [_Case(t, (l, g, p), [("predicted_locs", _tensor(l)), ("loc_targets", _tensor(g)),
                                  ("positive", _tensor(p.long()))], h)
             for t, l, g, p, h in hand]
    mistakes = [
        _Mistake("your result is the classic loss itself: plain L1 averaged over the 4N offsets "
                 "(nn.L1Loss() on the positives). Use smooth L1, sum it, divide by N.",
                 lambda *a: _location_variant(*a, kind="l1", by="4N")),
        _Mistake("F.smooth_l1_loss averages by default: over the 4N offsets. Sum them (reduction='sum') and divide "
                 "by N, the number of positives.", lambda *a: _location_variant(*a, by="4N")),
        _Mistake("divide the sum by N, the number of positives (you did not divide).",
                 lambda *a: _location_variant(*a, by="1")),
        _Mistake("your result has no guard for N = 0: " + zero_hint,
                 lambda *a: _location_variant(*a, by="N_unguarded")),
        _Mistake("that is plain L1 summed over the positives and divided by N: use smooth L1 (0.5 x**2 where "
                 "|x| < 1).", lambda *a: _location_variant(*a, kind="l1")),
        _Mistake("only the positives have a box to regress to: leave the negatives' offsets out of the sum.",
                 lambda *a: _location_variant(*a, only_positives=False)),
        _Mistake("divide by N, the number of positives, not by the number of priors.",
                 lambda *a: _location_variant(*a, by="P")),
        _Mistake("divide by N, the number of positives of the batch, not by the batch size.",
                 lambda *a: _location_variant(*a, by="B")),
        _Mistake("SSD's smooth L1 switches at |x| = 1 (beta = 1); beta = 1/9 is Faster R-CNN's RPN setting.",
                 lambda *a: _location_variant(*a, beta=1 / 9)),
    ]
    spec = _Spec(
        name="fix_plain_l1",
        cases=cases,
        reference=lambda l, g, p: float(loss.smooth_l1(l[p] - g[p]).sum() / max(int(p.sum()), 1)),
        convert=_to_float,
        show=_number,
        mistakes=mistakes,
        hint="F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive], reduction='sum') / max(N, 1).",
    )
    return _run(spec, fn)
