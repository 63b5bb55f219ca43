"""The exercise feedback in Chinese: every text a check prints has a translation, and a report reads as expected."""

from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path

import pytest
import torch

import ssd_course
from ssd_course import checks, i18n

ZH = i18n.CATALOGUE["zh"]
# every check of the course, found in the module: each one's titles and hints are translated
TRANSLATED = sorted(name.removeprefix("check_") for name in dir(checks) if name.startswith("check_"))


@pytest.fixture
def chinese():
    ssd_course.set_language("zh")
    yield
    ssd_course.set_language("en")


def spec_of(name: str, monkeypatch) -> checks._Spec:
    """The spec a check builds, caught before it runs anything."""
    caught = []
    monkeypatch.setattr(checks, "_run", lambda spec, fn: caught.append(spec) or True)
    getattr(checks, f"check_{name}")(lambda *args: None)
    return caught[0]


def test_every_check_of_notebooks_01_to_09_is_covered():
    assert len(TRANSLATED) >= 18
    assert {"encode", "multibox_loss", "fix_plain_l1"} <= set(TRANSLATED)


@pytest.mark.parametrize("name", TRANSLATED)
def test_every_title_and_hint_of_a_check_is_chinese(name, chinese, monkeypatch):
    spec = spec_of(name, monkeypatch)
    texts = [case.title for case in spec.cases] + [case.hint for case in spec.cases if case.hint]
    texts += [mistake.hint for mistake in spec.mistakes] + [spec.hint]
    untranslated = [t for t in texts if checks._translated(t) == t]
    assert untranslated == []


def test_every_frame_string_of_checks_is_in_the_catalogue():
    source = Path(checks.__file__).read_text(encoding="utf-8")
    literals = [node.args[0].value for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text"
                and node.args and isinstance(node.args[0], ast.Constant)]
    assert len(literals) > 40
    assert [english for english in literals if english not in ZH] == []
    assert checks.NOT_IMPLEMENTED in ZH


def unclamped_iou(box_a, box_b):
    x1a, y1a, x2a, y2a = box_a
    x1b, y1b, x2b, y2b = box_b
    inter = (min(x2a, x2b) - max(x1a, x1b)) * (min(y2a, y2b) - max(y1a, y1b))
    return inter / ((x2a - x1a) * (y2a - y1a) + (x2b - x1b) * (y2b - y1b) - inter)


def report(check, fn) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert check(fn) is False
    return printed.getvalue()


def test_a_wrong_iou_reports_in_chinese(chinese):
    assert report(checks.check_iou_pair, unclamped_iou) == (
        "✗ iou_pair：14 个用例中有 3 个未通过\n"
        "  用例 4（两个框并排，x 方向有间隙）：\n"
        "    box_a = [0.1000, 0.2000, 0.3000, 0.6000]\n"
        "    box_b = [0.5000, 0.3000, 0.9000, 0.7000]\n"
        "    期望： 0.0000\n"
        "    得到： -0.2000\n"
        "  其他未通过的用例：5（两个框在 x 和 y 方向都分开），8（两个面积为 0 的框（并集为 0））\n"
        "  提示：你的结果与交集宽高没有截断到 0 的交并比一致：两个框不重叠时，min(x2) - max(x1) 是负数。"
        "对宽度和高度分别用 max(0, ...)。\n"
    )


def test_the_same_report_in_english_is_unchanged():
    assert report(checks.check_iou_pair, unclamped_iou) == (
        "✗ iou_pair: 3 of 14 cases fail\n"
        "  Case 4 (boxes side by side with a gap in x):\n"
        "    box_a = [0.1000, 0.2000, 0.3000, 0.6000]\n"
        "    box_b = [0.5000, 0.3000, 0.9000, 0.7000]\n"
        "    expected: 0.0000\n"
        "    got:      -0.2000\n"
        "  Also failing: cases 5 (boxes apart in both x and y), 8 (two boxes with no area (union 0))\n"
        "  Hint: your results match an IoU whose intersection width and height are not clamped at 0: for boxes "
        "that do not overlap, min(x2) - max(x1) is negative. Use max(0, ...) for the width and for the height "
        "separately.\n"
    )


def test_a_random_case_title_and_a_passing_check_in_chinese(chinese):
    printed = report(checks.check_cxcywh_to_xyxy, lambda box: box)
    assert printed.splitlines()[0] == "✗ cxcywh_to_xyxy：12 个用例中有 12 个未通过"
    assert "，另有 6 个" in printed
    assert checks._translated("random box 3") == "随机框 3"
    passed = io.StringIO()
    with contextlib.redirect_stdout(passed):
        assert checks.check_cxcywh_to_xyxy(lambda box: ssd_course.boxes.cxcywh_to_xyxy(box)) is True
    assert passed.getvalue() == "✓ cxcywh_to_xyxy：全部 12 个用例通过\n"


def test_not_implemented_in_chinese(chinese):
    def iou_pair(box_a, box_b):
        raise NotImplementedError

    assert report(checks.check_iou_pair, iou_pair) == "还没有实现：把 `raise NotImplementedError` 换成你的代码。\n"


def test_a_smooth_l1_without_the_half_reports_in_chinese(chinese):
    def smooth_l1(x):
        return torch.where(x.abs() < 1, x**2, x.abs() - 0.5)

    printed = report(checks.check_smooth_l1, smooth_l1)
    assert printed.splitlines()[0] == "✗ smooth_l1：10 个用例中有 8 个未通过"
    assert printed.splitlines()[1] == "  用例 1（小的值，|x| < 1）："
    assert "6（随机值 1），7（随机值 2），另有 2 个" in printed
    assert printed.splitlines()[-1] == (
        "  提示：二次段是 0.5 * x**2（你写的是 x**2）：有了 0.5，两段在 |x| = 1 处相接，斜率也相同。")
