"""The machinery shared by the exercise checks: which results of a learner's function are
accepted and how they are compared, how values are printed, and how a report names the line
that raised, the other failing cases and a translated case title.

A learner's function may return a number as a float, a NumPy scalar or a one-element tensor, a
vector as a tuple, a list or a tensor, indices as ints, a list or an array: all of these must
be accepted; anything that cannot be compared must be refused with a sentence that says what
came back and what was wanted."""

from __future__ import annotations

import linecache
import math
import warnings

import numpy as np
import pytest
import torch

import ssd_course
from ssd_course import checks
from ssd_course.i18n import CATALOGUE
from tests import test_checks as right
from tests.test_wrong_learners import off_by

# ---------------------------------------------------------------------------------------------
# Printing values
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), [
    (3, "3"), (True, "True"), (0.25, "0.2500"), (math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf"),
    (-0.00001, "0.0000"), (-0.5, "-0.5000"),
])
def test_a_number_is_printed_with_4_decimals_and_nan_and_inf_by_name(value, shown):
    assert checks._number(value) == shown


def test_a_tensor_of_up_to_48_numbers_is_printed_and_a_larger_one_described():
    assert checks._tensor(torch.zeros(48)) == "[" + ", ".join(["0.0000"] * 48) + "]"
    assert checks._tensor(torch.zeros(49)) == "tensor of shape [49] (seeded random values)"
    assert checks._tensor(torch.zeros(7, 7)) == "tensor of shape [7, 7] (seeded random values)"


def test_a_matrix_is_printed_one_row_a_line_and_a_scalar_as_a_number():
    assert checks._tensor(torch.tensor([[1.0, -math.inf], [math.nan, 0.5]])) == "[[1.0000, -inf],\n [nan, 0.5000]]"
    assert checks._tensor(torch.tensor(2.0)) == "2.0000"
    assert checks._tensor(torch.tensor([3, 4])) == "[3, 4]"


def test_an_empty_tensor_is_shown_as_empty_with_its_shape():
    assert checks._tensor(torch.zeros(0, 4)) == "empty, shape [0, 4]"
    assert checks._tensor(torch.zeros(0)) == "empty, shape [0]"


def test_a_mask_is_shown_as_its_true_positions():
    assert checks._kept(torch.tensor([False, True, True])) == "True at [1, 2] (of 3)"
    assert checks._kept(torch.tensor([0, 1, 1])) == "True at [1, 2] (of 3)"
    assert checks._kept(torch.tensor([[True, False]])) == "[[True, False]]"


def test_two_masks_differ_by_the_missing_and_the_extra_positions():
    expected = torch.tensor([True, True, False, False])
    assert checks._mask_difference(expected, torch.tensor([True, False, True, False])) == \
        "missing [1]; should not be kept [2]"
    assert checks._mask_difference(expected, torch.tensor([True, False, False, False])) == "missing [1]"
    assert checks._mask_difference(expected, torch.tensor([True, True, True, False])) == "should not be kept [2]"
    assert checks._mask_difference(expected, expected.clone()) == ""
    assert checks._mask_difference(expected, expected[:3]) == "shape: expected [4], got [3]"


def test_two_batch_masks_differ_image_by_image():
    expected = torch.tensor([[True, False], [False, True]])
    got = torch.tensor([[True, False], [True, False]])
    assert checks._batch_mask_difference(expected, got) == "image 1: missing [1]; should not be kept [0]"
    assert checks._batch_mask_difference(expected, got.flatten()) == "shape: expected [2, 2], got [4]"


def test_labels_are_shown_as_the_class_of_each_positive_prior_and_counts():
    assert checks._label_text(torch.tensor([0, 1, 0, 2])) == \
        "class per positive prior {1: 1, 3: 2}; 2 priors 0 (background)"
    # -1 (unmatched) is not a class: counted apart, not listed among the positive priors
    assert checks._label_text(torch.tensor([0, 3, -1])) == \
        "class per positive prior {1: 3}; 1 prior 0 (background); 1 prior below 0"
    assert checks._label_text(torch.tensor([-1, -1])) == "no positive prior; 0 priors 0 (background); 2 priors below 0"
    assert checks._label_text(torch.zeros(4, dtype=torch.long)) == "no positive prior; 4 priors 0 (background)"
    # the classes of the first 12 positive priors, then their number
    twelve = checks._label_text(torch.arange(13))
    assert twelve.endswith("12: 12}; 1 prior 0 (background)") and "..." not in twelve
    assert checks._label_text(torch.arange(14)).endswith("12: 12, ... (13 in all)}; 1 prior 0 (background)")
    # not one label per prior: shown as it is
    assert checks._label_text(torch.tensor([[0, 1]])) == "[[0, 1]]"
    assert checks._label_text(torch.tensor([0.0, 1.0])) == "[0.0000, 1.0000]"


def test_a_gt_index_per_prior_is_shown_as_the_priors_of_each_gt():
    assert checks._gt_index_text(torch.tensor([-1, 0, 0, 2, -1])) == \
        "GT 0: priors [1, 2]; GT 1: no prior; GT 2: priors [3]; 2 priors background"
    assert checks._gt_index_text(torch.tensor([1, 1])) == "GT 0: no prior; GT 1: priors [0, 1]; 0 priors background"
    assert checks._gt_index_text(torch.tensor([], dtype=torch.long)) == "0 priors background"
    assert checks._gt_index_text(torch.tensor([[0]])) == "[[0]]"
    assert checks._gt_index_text(torch.tensor([0.0, 1.0])) == "[0.0000, 1.0000]"


def test_two_gt_indices_differ_by_the_lost_gts_and_the_first_12_priors():
    assert checks._gt_index_difference(torch.tensor([0, 1, -1, 1]), torch.tensor([1, 1, -1, 0])) == \
        "priors that differ: [0, 3]"
    assert checks._gt_index_difference(torch.tensor([0, 1, -1]), torch.tensor([1, 1, -1])) == \
        "GT left without any prior: [0]; priors that differ: [0]"
    assert checks._gt_index_difference(torch.tensor([0, 1, 2]), torch.tensor([0, 1, -1])) == \
        "GT left without any prior: [2]; priors that differ: [2]"
    assert checks._gt_index_difference(torch.tensor([0, 1, -1]), torch.tensor([1, 1])) == "shape: expected [3], got [2]"
    assert checks._gt_index_difference(torch.arange(14), torch.arange(14).flip(0)) == \
        "priors that differ: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]"  # 14 differ, the first 12 shown


# ---------------------------------------------------------------------------------------------
# Comparing a result with the expected one
# ---------------------------------------------------------------------------------------------


def test_numbers_are_equal_within_the_tolerance_boundary_included():
    atol, rtol = 1e-6, 1e-5
    assert checks._same(1e-6, 0.0) and not checks._same(1.01e-6, 0.0)  # |a - b| <= atol, boundary included
    assert checks._same(2.0 + atol + 2 * rtol * 0.99, 2.0) and not checks._same(2.0 + atol + 2 * rtol * 1.01, 2.0)
    assert checks._same(3, 3) and not checks._same(3, 4)  # integers exactly
    assert checks._same(3, 3.0000001)  # an int against a float is compared as numbers


def test_nan_equals_only_nan_and_inf_only_the_same_inf():
    assert checks._same(math.nan, math.nan)
    assert not checks._same(math.nan, 0.0) and not checks._same(0.0, math.nan)
    assert checks._same(math.inf, math.inf) and checks._same(-math.inf, -math.inf)
    assert not checks._same(math.inf, -math.inf) and not checks._same(math.inf, 1e300)
    assert not checks._same(1e300, math.inf)


def test_tensors_must_have_the_same_shape_and_close_values():
    a = torch.tensor([0.1, 0.2], dtype=torch.float64)
    assert checks._same(a, a.float())  # float32 rounding is within the tolerance
    assert not checks._same(a, a + 1e-4)
    assert not checks._same(a, a.reshape(2, 1)) and not checks._same(a, a[:1])
    assert checks._same(torch.tensor([math.nan, 1.0]), torch.tensor([math.nan, 1.0]))
    assert not checks._same(torch.tensor([math.nan, 1.0]), torch.tensor([0.0, 1.0]))


def test_a_tensor_never_equals_a_number_or_a_list():
    assert not checks._same(torch.tensor([1.0]), [1.0]) and not checks._same([1.0], torch.tensor([1.0]))
    assert not checks._same(torch.tensor(1.0), 1.0) and not checks._same(1.0, torch.tensor(1.0))


def test_integer_tensors_are_compared_exactly_and_against_floats_with_the_tolerance():
    assert checks._same(torch.tensor([1, 2]), torch.tensor([1, 2]))
    assert not checks._same(torch.tensor([1, 2]), torch.tensor([1, 3]))
    assert checks._same(torch.tensor([1, 2]), torch.tensor([1.0, 2.0000001], dtype=torch.float64))
    assert checks._same(torch.tensor([1.0, 2.0000001], dtype=torch.float64), torch.tensor([1, 2]))
    assert not checks._same(torch.tensor([1, 2]), torch.tensor([1.0, 2.001], dtype=torch.float64))


# ---------------------------------------------------------------------------------------------
# What a learner's function may return
# ---------------------------------------------------------------------------------------------


def refusal(convert, value, expected) -> str:
    """The sentence with which ``convert`` refuses ``value``."""
    with pytest.raises(checks._BadResult) as caught:
        convert(value, expected)
    return str(caught.value)


@pytest.mark.parametrize("value", [0.25, np.float64(0.25), np.float32(0.25), torch.tensor(0.25),
                                   torch.tensor([[0.25]]), np.array([0.25]), 1])
def test_one_number_may_come_as_a_float_a_numpy_scalar_or_a_one_element_tensor(value):
    assert checks._to_float(value, 0.25) == pytest.approx(0.25 if value != 1 else 1.0)


@pytest.mark.parametrize(("value", "what"), [
    (None, "your function returned None, not one number (a float or a 0-dim tensor): did you forget `return`?"),
    (True, "your function returned a value of type bool; it should return one number"),
    ((0.5, 0.5), "your function returned a tuple of 2 values; it should return one number"),
    ([0.5], "your function returned a list of 1 values; it should return one number"),
    ({"iou": 0.5}, "your function returned a value of type dict; it should return one number"),
    ("0.5", "your function returned a value of type str; it should return one number"),
    (torch.zeros(2), "your function returned a tensor of shape [2] and dtype torch.float32; it should return one "
                     "number"),
    (object(), "your function returned a value of type object; it should return one number"),
])
def test_anything_else_than_one_number_is_refused_saying_what_came_back(value, what):
    assert refusal(checks._to_float, value, 0.5).startswith(what)


def test_a_tensor_that_requires_grad_is_read_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert checks._to_float(torch.tensor(0.25, requires_grad=True), 0.25) == 0.25


@pytest.mark.parametrize("value", [(1.0, 2, torch.tensor(3.0)), [1, 2, 3], torch.tensor([1, 2, 3]),
                                   torch.tensor([1, 2, 3], dtype=torch.int32), np.array([1.0, 2.0, 3.0]),
                                   torch.tensor([1.0, 2.0, 3.0], requires_grad=True)])
def test_a_vector_may_come_as_a_tuple_a_list_an_array_or_a_tensor(value):
    converted = checks._to_float_tensor(value, torch.zeros(3))
    assert converted.dtype == torch.float64 and converted.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("value", [None, True, "1, 2, 3", {"x": 1}, torch.tensor([True, False, True]),
                                   torch.tensor([1, 2, 3], dtype=torch.int8), (1.0, "two", 3.0), [1.0, None, 3.0],
                                   object()])
def test_a_vector_of_something_else_is_refused_saying_what_was_wanted(value):
    assert "3 numbers (a tuple, a list or a tensor of shape [3])" in refusal(checks._to_float_tensor, value,
                                                                               torch.zeros(3))
    assert "a tensor of shape [2, 3]" in refusal(checks._to_float_tensor, value, torch.zeros(2, 3))


@pytest.mark.parametrize("value", [[2, 0, 1], (2, 0, 1), [torch.tensor(2), 0, torch.tensor(1)], np.array([2, 0, 1]),
                                   torch.tensor([2, 0, 1], dtype=torch.int32), torch.tensor([2.0, 0.0, 1.0])])
def test_indices_may_come_as_a_list_an_array_or_a_tensor_of_whole_numbers(value):
    converted = checks._to_int_tensor(value, torch.zeros(3, dtype=torch.long))
    assert converted.dtype == torch.int64 and converted.tolist() == [2, 0, 1]


@pytest.mark.parametrize(("value", "why"), [
    (None, "returned None"), (True, "a value of type bool"), ("2 0 1", "a value of type str"),
    ({0: 2}, "a value of type dict"), (2.0, "a value of type float"), ([2, "0", 1], "a list of 3 values"),
    ({2, 0, 1}, "a value of type set"), (torch.tensor([True, False, True]), "returned a bool tensor"),
    (torch.tensor([2.0, 0.5, 1.0]), "a float tensor with fractions"),
])
def test_indices_of_another_kind_are_refused_saying_why(value, why):
    message = refusal(checks._to_int_tensor, value, torch.zeros(3, dtype=torch.long))
    assert why in message and "a tensor of 3 integer indices (shape [3], dtype torch.int64)" in message


@pytest.mark.parametrize("value", [7, np.int64(7), torch.tensor(7), torch.tensor([7]), 7.0, torch.tensor([[7.0]])])
def test_one_index_may_come_as_an_int_a_whole_float_or_a_one_element_tensor(value):
    assert checks._to_int(value, 7) == 7 and type(checks._to_int(value, 7)) is int


@pytest.mark.parametrize("value", [True, 7.5, torch.tensor([7, 8]), "7", None])
def test_one_index_of_another_kind_is_refused(value):
    assert "one integer index" in refusal(checks._to_int, value, 7)


@pytest.mark.parametrize("value", [[True, False, True], (1, 0, 1), np.array([True, False, True]),
                                   torch.tensor([1, 0, 1]), torch.tensor([True, False, True])])
def test_a_mask_may_come_as_bools_or_as_zeros_and_ones(value):
    converted = checks._to_mask(value, torch.zeros(3))
    assert converted.dtype == torch.bool and converted.tolist() == [True, False, True]


@pytest.mark.parametrize(("value", "why"), [
    ([True, "no", True], "a list of 3 values"), ("TFT", "a value of type str"), (None, "returned None"),
    (torch.tensor([2, 0, 1]), "did you return the indices of the kept priors?"),
    (torch.tensor([1.0, 0.0, 1.0]), "with values other than True/False"),
    (torch.tensor([0, 1, -1]), "with values other than True/False"),
])
def test_a_mask_of_anything_else_is_refused(value, why):
    message = refusal(checks._to_mask, value, torch.zeros(3))
    assert why in message and "a bool mask of shape [P] = [3]" in message


@pytest.mark.parametrize("value", [np.array([[True, False]]), torch.tensor([[1, 0]]), torch.tensor([[True, False]])])
def test_a_batch_mask_may_come_as_an_array_or_zeros_and_ones(value):
    assert checks._to_batch_mask(value, torch.zeros(1, 2, dtype=torch.bool)).tolist() == [[True, False]]


@pytest.mark.parametrize("value", [[[True, False]], torch.tensor([[1.0, 0.0]]), torch.tensor([[0, 2]]), None])
def test_a_batch_mask_of_anything_else_is_refused(value):
    assert "a bool mask of shape [1, 2] = [B, P]" in refusal(checks._to_batch_mask, value,
                                                             torch.zeros(1, 2, dtype=torch.bool))


# ---------------------------------------------------------------------------------------------
# The report: the line that raised
# ---------------------------------------------------------------------------------------------


def test_a_function_given_as_none_is_named_none(capsys):
    assert checks.check_iou_pair(None) is False
    assert capsys.readouterr().out.endswith("not check_iou_pair(my_function(...)); got None\n")


def iou_of_no_data(box_a, box_b):
    import statistics

    return statistics.mean([])  # raises inside the standard library's Python code


def test_the_line_shown_is_the_learners_not_the_librarys(capsys):
    assert checks.check_iou_pair(iou_of_no_data) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✗ iou_pair: your function raised StatisticsError: mean requires at least one data point"
    assert lines[1] == "  in iou_of_no_data: return statistics.mean([])  # raises inside the standard library's Python code"


def iou_through_a_helper(box_a, box_b):
    return _union_of(box_a, box_b) and 0.0


def _union_of(box_a, box_b):
    raise ArithmeticError("the learner's own helper fails")


def test_the_line_shown_is_the_deepest_line_of_the_learners_code(capsys):
    assert checks.check_iou_pair(iou_through_a_helper) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✗ iou_pair: your function raised ArithmeticError: the learner's own helper fails"
    assert lines[1] == "  in _union_of: raise ArithmeticError(\"the learner's own helper fails\")"


def test_a_callable_without_code_shows_the_deepest_line_outside_the_check(capsys):
    import functools

    assert checks.check_iou_pair(functools.partial(iou_of_no_data)) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("  in mean: ")  # the standard library's line, the only one known


def test_a_builtin_that_raises_has_no_line_to_show(capsys):
    assert checks.check_iou_pair(max) is False  # max(box_a, box_b) compares two tensors of 4
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("✗ iou_pair: your function raised RuntimeError: Boolean value of Tensor with more than one "
                        "value is ambiguous")
    assert lines[1] == "  Case 1 of 14 (two boxes overlapping by a quarter of each):"


def learner_source_partly_lost():
    """A learner whose helper's source line is unknown (as for code made by exec): only the lines known are shown."""
    source = ("def learner(box_a, box_b):\n"
              "    return helper(box_a, box_b)\n"
              "def helper(box_a, box_b):\n"
              "    raise ValueError('no source for this line')\n")
    namespace = {}
    exec(compile(source, "<learner cell>", "exec"), namespace)
    linecache.cache["<learner cell>"] = (None, None, source.splitlines(keepends=True)[:2], "<learner cell>")
    return namespace["learner"]


def test_a_line_whose_source_is_unknown_is_not_shown(capsys):
    try:
        assert checks.check_iou_pair(learner_source_partly_lost()) is False
    finally:
        linecache.cache.pop("<learner cell>", None)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✗ iou_pair: your function raised ValueError: no source for this line"
    assert lines[1].startswith("  Case 1 of 14 (")


@pytest.mark.parametrize(("length", "shown"), [(200, "x" * 200), (201, "x" * 200 + " ...")])
def test_a_long_error_message_is_cut_after_200_characters(length, shown, capsys):
    def long_error(box_a, box_b):
        raise ValueError("x" * length + "\nsecond line")

    assert checks.check_iou_pair(long_error) is False
    assert capsys.readouterr().out.splitlines()[0] == f"✗ iou_pair: your function raised ValueError: {shown}"


# ---------------------------------------------------------------------------------------------
# The report: the inputs, the values and the other failing cases
# ---------------------------------------------------------------------------------------------


def test_a_matrix_input_is_shown_one_row_a_line(capsys):
    assert checks.check_principle1_loop(right.principle1_overwrite) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:6] == [
        "  Case 3 (two GTs share their best prior):",
        "    iou =",
        "      [[0.9000, 0.5000, 0.0100],",
        "       [0.8000, 0.7000, 0.0200]]",
        "    expected: [0, 1]",
    ]


def test_the_empty_inputs_of_a_case_are_shown_as_empty(capsys):
    def normalisation_nan_for_n_0(loc_loss, conf_loss, num_positives, alpha):
        return float((conf_loss.sum() + alpha * loc_loss.sum()) / num_positives) if num_positives else math.nan

    assert checks.check_loss_normalisation(normalisation_nan_for_n_0) is False
    out = capsys.readouterr().out
    assert "    loc_loss = empty, shape [0, 4]\n    conf_loss = empty, shape [0]\n" in out


def test_a_value_of_several_lines_is_indented_under_its_label(capsys):
    checks._print_value("expected:", "[[1, 2],\n [3, 4]]")
    checks._print_value("got:     ", "[1, 2]")
    assert capsys.readouterr().out.splitlines() == ["    expected:", "      [[1, 2],", "       [3, 4]]",
                                                    "    got:      [1, 2]"]


def wrong_on_the_first(count):
    """The right IoU, except 0.5 too much on the first ``count`` cases (the check runs them in order)."""
    calls = []

    def iou(box_a, box_b):
        calls.append(1)
        return right.iou_pair(box_a, box_b) + (0.5 if len(calls) <= count else 0.0)

    return iou


@pytest.mark.parametrize(("count", "also"), [
    (1, None),
    (2, "  Also failing: case 2 (two identical boxes)"),
    (3, "  Also failing: cases 2 (two identical boxes), 3 (one box inside the other)"),
])
def test_the_other_failing_cases_are_listed_in_the_singular_or_the_plural(count, also, capsys):
    assert checks.check_iou_pair(wrong_on_the_first(count)) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"✗ iou_pair: {count} of 14 cases fail"
    listed = [line for line in lines if line.startswith("  Also failing: ")]
    assert listed == ([] if also is None else [also])


@pytest.mark.parametrize(("failing", "more"), [(6, ""), (7, " and 1 more")])
def test_six_failing_cases_are_all_named_seven_are_counted(failing, more, capsys):
    assert checks.check_iou_pair(wrong_on_the_first(failing)) is False
    out = capsys.readouterr().out
    assert f"✗ iou_pair: {failing} of 14 cases fail" in out
    also = next(line for line in out.splitlines() if line.startswith("  Also failing: "))
    assert also.startswith("  Also failing: cases 2 (") and also.count(" (") == 5
    assert also.endswith(")" + more)


def test_the_other_failing_cases_are_listed_up_to_five_then_counted(capsys):
    assert checks.check_cxcywh_to_xyxy(off_by(right.cxcywh_to_xyxy)) is False  # every case fails
    out = capsys.readouterr().out
    also = next(line for line in out.splitlines() if line.startswith("  Also failing: "))
    assert also.startswith("  Also failing: cases 2 (")
    assert also.count(" (") == 5 and also.endswith(" and 6 more")  # 12 fail: the first, 5 listed, 6 more


# ---------------------------------------------------------------------------------------------
# The report in Chinese: case titles
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def chinese():
    ssd_course.set_language("zh")
    yield
    ssd_course.set_language("en")


def test_a_title_is_translated_whole_or_with_its_numbers_as_fields(chinese):
    zh = CATALOGUE["zh"]
    assert checks._translated("a box in the middle") == zh["a box in the middle"]
    assert checks._translated("random box 3") == zh["random box {n0}"].format(n0="3")
    assert checks._translated("random batch 2 (3 images of 11 priors)") == \
        zh["random batch {n0} ({n1} images of {n2} priors)"].format(n0="2", n1="3", n2="11")
    assert checks._translated("a title nobody translated 7") == "a title nobody translated 7"
    assert checks._translated("a title without numbers nobody translated") == "a title without numbers nobody translated"


def test_in_english_a_title_is_printed_as_written():
    assert checks._translated("random box 3") == "random box 3"
    assert checks._translated("weights {n0}") == "weights {n0}"


# ---------------------------------------------------------------------------------------------
# The random cases
# ---------------------------------------------------------------------------------------------


def test_random_inputs_are_rounded_to_2_decimals_so_that_the_printed_case_is_the_case_run():
    assert checks._rounded(torch.tensor([0.123456, -0.987654])).tolist() == [0.12, -0.99]
    assert checks._rounded(torch.tensor([0.123456]), decimals=3).tolist() == [0.123]


def test_a_random_box_lies_in_the_image_with_sides_from_min_size_to_0_7():
    generator = checks._generator(0)
    boxes = torch.stack([checks._random_box(generator) for _ in range(300)])  # [300, 4]
    sides = boxes[:, 2:] - boxes[:, :2]
    assert bool((boxes >= 0).all() and (boxes <= 1).all())
    assert float(sides.min()) >= 0.1 - 1e-9 and float(sides.min()) < 0.15  # the smallest boxes reach min_size
    assert float(sides.max()) <= 0.7 + 0.01 and float(sides.max()) > 0.65  # and the largest 0.7 (rounding aside)
    assert torch.equal(boxes, checks._rounded(boxes))
