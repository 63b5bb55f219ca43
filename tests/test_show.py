"""ssd_course.show: the source shown in the notebooks."""

import inspect

import pytest

from ssd_course import boxes, show


def test_source_is_the_function_text_as_markdown_and_plain():
    shown = show.source(boxes.box_area)
    assert repr(shown) == inspect.getsource(boxes.box_area).rstrip("\n")
    assert shown._repr_markdown_() == "```python\n" + repr(shown) + "\n```"


def test_source_joins_several_objects():
    shown = repr(show.source(boxes.xyxy_to_cxcywh, boxes.cxcywh_to_xyxy))
    assert shown.startswith("def xyxy_to_cxcywh(")
    assert "\n\ndef cxcywh_to_xyxy(" in shown


def test_source_slice_between_markers():
    shown = repr(show.source(boxes.box_iou, start="inter = ", stop="positive = "))
    lines = shown.split("\n")
    assert lines[0].strip().startswith("inter = box_intersection(")
    assert not any("positive = " in line for line in lines)
    assert "union = " in shown


def test_source_errors_name_the_argument():
    with pytest.raises(ValueError, match="start must be text found"):
        show.source(boxes.box_iou, start="no such line")
    with pytest.raises(ValueError, match="stop must be text found"):
        show.source(boxes.box_iou, stop="no such line")
    with pytest.raises(ValueError, match="at least one"):
        show.source()
