"""Tests of ssd_course.data: the photographs, their annotations and credits."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ssd_course import data

ANNOTATIONS = data.PHOTO_DIR / data.ANNOTATIONS_FILE
NAMES = data.photo_names()


def _raw_annotations() -> dict:
    return json.loads(ANNOTATIONS.read_text(encoding="utf-8"))


def test_there_are_at_least_four_photos() -> None:
    assert len(NAMES) >= 4
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("entry", _raw_annotations()["images"], ids=lambda e: e["file"])
def test_every_annotated_file_exists_is_small_and_has_the_recorded_size(entry: dict) -> None:
    path = data.PHOTO_DIR / entry["file"]
    assert path.is_file(), f"{path} is annotated but missing"
    assert path.stat().st_size < 300 * 1024
    with Image.open(path) as picture:
        assert picture.size == (entry["width"], entry["height"])
        assert max(picture.size) <= 512


@pytest.mark.parametrize("name", NAMES)
def test_photo_loads_with_the_documented_shapes_and_dtypes(name: str) -> None:
    photo = data.load_photo(name)
    assert photo.name == name
    assert isinstance(photo.image, np.ndarray)
    assert photo.image.dtype == np.uint8
    assert photo.image.ndim == 3 and photo.image.shape[2] == 3
    assert photo.image.std() > 10, "the image looks blank"
    num_boxes = photo.boxes.shape[0]
    assert num_boxes >= 1
    assert photo.boxes.dtype == torch.float32 and photo.boxes.shape == (num_boxes, 4)
    assert photo.labels.dtype == torch.int64 and photo.labels.shape == (num_boxes,)
    assert photo.class_names == data.photo_classes()
    assert len(photo.object_names) == num_boxes
    assert photo.credit and "\n" not in photo.credit


@pytest.mark.parametrize("name", NAMES)
def test_boxes_are_valid_fractional_xyxy(name: str) -> None:
    photo = data.load_photo(name)
    boxes = photo.boxes
    assert bool(((boxes >= 0) & (boxes <= 1)).all()), boxes
    assert bool((boxes[:, 2] > boxes[:, 0]).all()), boxes
    assert bool((boxes[:, 3] > boxes[:, 1]).all()), boxes
    height, width = photo.image.shape[:2]
    # at least 4 pixels wide and high: a box drawn by hand, not a typo
    assert bool(((boxes[:, 2] - boxes[:, 0]) * width >= 4).all()), boxes
    assert bool(((boxes[:, 3] - boxes[:, 1]) * height >= 4).all()), boxes


@pytest.mark.parametrize("name", NAMES)
def test_labels_are_object_classes(name: str) -> None:
    photo = data.load_photo(name)
    num_classes = len(data.photo_classes())
    assert bool(((photo.labels >= 1) & (photo.labels <= num_classes - 1)).all()), photo.labels
    assert "background" not in photo.object_names


def test_load_photo_matches_the_json() -> None:
    for entry in _raw_annotations()["images"]:
        photo = data.load_photo(Path(entry["file"]).stem)
        assert photo.object_names == [obj["class"] for obj in entry["objects"]]
        expected = torch.tensor([obj["box"] for obj in entry["objects"]], dtype=torch.float32)
        torch.testing.assert_close(photo.boxes, expected)


def test_the_three_object_photo() -> None:
    photo = data.load_photo("coffee")
    assert photo.boxes.shape == (3, 4)
    assert photo.object_names == ["cup", "saucer", "spoon"]
    assert len(set(photo.object_names)) == 3


def test_unknown_name_is_reported_with_the_valid_names() -> None:
    with pytest.raises(ValueError, match=r"name must be one of .*'coffee'.*; got 'dog'") as info:
        data.load_photo("dog")
    for name in NAMES:
        assert repr(name) in str(info.value)


def test_name_with_extension_is_rejected() -> None:
    with pytest.raises(ValueError, match="got 'coffee.jpg'"):
        data.load_photo("coffee.jpg")


def test_classes_start_with_background_and_are_all_used() -> None:
    classes = _raw_annotations()["classes"]
    assert classes[0] == "background"
    assert data.photo_classes() == tuple(classes)
    used = {name for n in NAMES for name in data.load_photo(n).object_names}
    assert used == set(classes[1:])


def test_credits_mention_every_image_file() -> None:
    credits = (data.PHOTO_DIR / "CREDITS.md").read_text(encoding="utf-8")
    for entry in _raw_annotations()["images"]:
        assert f"`{entry['file']}`" in credits, entry["file"]
    assert "MIT" in credits


def test_photo_is_frozen() -> None:
    photo = data.load_photo("coffee")
    with pytest.raises(AttributeError):
        photo.name = "other"  # type: ignore[misc]


# --- validation of a broken annotation file -------------------------------------------


@pytest.fixture
def broken_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Return a function that writes a modified annotation file into a copy of images/."""
    for path in data.PHOTO_DIR.iterdir():
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(data, "PHOTO_DIR", tmp_path)

    def write(modify) -> None:
        doc = copy.deepcopy(_raw_annotations())
        modify(doc)
        (tmp_path / data.ANNOTATIONS_FILE).write_text(json.dumps(doc), encoding="utf-8")

    return write


def _set_box(doc: dict, box: list[float]) -> None:
    doc["images"][0]["objects"][1]["box"] = box


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ([0.5, 0.1, 0.4, 0.9], "x2 > x1"),
        ([0.1, 0.5, 0.4, 0.5], "y2 > y1"),
        ([0.1, 0.1, 1.2, 0.9], r"\[0, 1\]"),
        ([-0.1, 0.1, 0.5, 0.9], r"\[0, 1\]"),
        ([0.1, 0.1, 0.5], "4 numbers"),
    ],
)
def test_bad_box_names_the_file_and_the_box(broken_dir, box: list[float], message: str) -> None:
    broken_dir(lambda doc: _set_box(doc, box))
    first_file = _raw_annotations()["images"][0]["file"]
    with pytest.raises(ValueError, match=message) as info:
        data.photo_names()
    text = str(info.value)
    assert data.ANNOTATIONS_FILE in text
    assert f"images[0] ({first_file}), object 1" in text


def test_unknown_class_is_rejected(broken_dir) -> None:
    def modify(doc: dict) -> None:
        doc["images"][0]["objects"][0]["class"] = "unicorn"

    broken_dir(modify)
    with pytest.raises(ValueError, match=r"object 0: class must be one of .*got 'unicorn'"):
        data.load_photo(NAMES[0])


def test_background_class_is_not_a_box_class(broken_dir) -> None:
    def modify(doc: dict) -> None:
        doc["images"][0]["objects"][0]["class"] = "background"

    broken_dir(modify)
    with pytest.raises(ValueError, match="got 'background'"):
        data.photo_classes()


def test_classes_must_start_with_background(broken_dir) -> None:
    broken_dir(lambda doc: doc["classes"].reverse())
    with pytest.raises(ValueError, match="index 0 must be 'background'"):
        data.photo_classes()


def test_image_size_mismatch_is_reported(broken_dir) -> None:
    def modify(doc: dict) -> None:
        doc["images"][0]["width"] += 1

    broken_dir(modify)
    with pytest.raises(ValueError, match="pixels but annotations.json records"):
        data.load_photo(NAMES[0])


def test_photo_dir_can_be_overridden_by_the_environment(tmp_path: Path) -> None:
    env = dict(os.environ, SSD_COURSE_IMAGES=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", "from ssd_course import data; print(data.PHOTO_DIR)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(data.__file__).resolve().parent.parent,
        check=True,
    )
    assert Path(result.stdout.strip()) == tmp_path
