"""The course's annotated photographs.

A handful of real, public-domain or CC0 photographs live in the ``images/`` folder at the
root of the repository, next to ``annotations.json`` (their hand-drawn ground-truth boxes)
and ``CREDITS.md`` (their authors and licences). This module turns one of them into what
the rest of the course works with: an RGB image, GT boxes ``[G, 4]`` in fractional
``xyxy`` and class labels ``[G]`` in 1..C-1, where class 0 is the background.

``coffee`` is the photograph with exactly three objects (cup, saucer, spoon), the one used
to draw GT boxes next to prior boxes.

The folder is found relative to this package; set the environment variable
``SSD_COURSE_IMAGES`` (before importing this module) to read the photographs from
somewhere else.
"""

from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor

__all__ = ["PHOTO_DIR", "Photo", "load_photo", "photo_classes", "photo_names"]

PHOTO_DIR: Path = Path(
    os.environ.get("SSD_COURSE_IMAGES") or Path(__file__).resolve().parent.parent / "images"
).expanduser()
"""The folder that holds the photographs and ``annotations.json``."""

ANNOTATIONS_FILE = "annotations.json"


@dataclass(frozen=True, eq=False, repr=False)
class Photo:
    """One annotated photograph.

    Attributes:
        name (str): the file name without its extension, e.g. ``"coffee"``.
        image (np.ndarray[H, W, 3]): the picture, RGB, ``uint8``.
        boxes (Tensor[G, 4]): the GT boxes, fractional ``xyxy``, ``float32``.
        labels (Tensor[G]): the class of each box, ``int64`` in 1..C-1 (an index into
            ``class_names``).
        class_names (tuple[str, ...]): the names of all C classes of the annotation file;
            index 0 is ``"background"``.
        credit (str): author and licence of the photograph, on one line.
    """

    name: str
    image: np.ndarray
    boxes: Tensor
    labels: Tensor
    class_names: tuple[str, ...]
    credit: str

    @property
    def object_names(self) -> list[str]:
        """list[str]: the class name of each box, in box order."""
        return [self.class_names[label] for label in self.labels.tolist()]

    def __repr__(self) -> str:
        shape = ", ".join(str(n) for n in self.image.shape)
        return f"Photo(name={self.name!r}, image=[{shape}] {self.image.dtype}, objects={self.object_names})"


def photo_names() -> list[str]:
    """The names of the annotated photographs, in the order of the annotation file.

    Returns:
        list[str]: file names without extension, e.g. ``["astronaut", ..., "coffee", ...]``.
    """
    return list(_annotations(PHOTO_DIR)["photos"])


def photo_classes() -> tuple[str, ...]:
    """The class names shared by all photographs.

    Returns:
        tuple[str, ...]: C names; index 0 is ``"background"``, so a label ``k`` of a
        :class:`Photo` names the class ``photo_classes()[k]``.
    """
    return _annotations(PHOTO_DIR)["classes"]


def load_photo(name: str) -> Photo:
    """Load one photograph with its GT boxes and labels.

    Args:
        name (str): the photograph's file name without extension, one of
            :func:`photo_names`.

    Returns:
        Photo: the RGB image, its boxes ``[G, 4]`` (fractional ``xyxy``) and labels ``[G]``.

    Raises:
        ValueError: if ``name`` is not an annotated photograph, or the image file's size
            differs from the one recorded in the annotation file.

    Example:
        >>> photo = load_photo("coffee")
        >>> photo.object_names
        ['cup', 'saucer', 'spoon']
        >>> photo.boxes.shape, photo.boxes.dtype, photo.labels.dtype
        (torch.Size([3, 4]), torch.float32, torch.int64)
        >>> photo.image.shape, photo.image.dtype
        ((341, 512, 3), dtype('uint8'))
    """
    annotations = _annotations(PHOTO_DIR)
    photos = annotations["photos"]
    if not isinstance(name, str) or name not in photos:
        raise ValueError(f"name must be one of {list(photos)}; got {name!r}")
    entry = photos[name]
    path = PHOTO_DIR / entry["file"]
    with Image.open(path) as picture:
        image = np.asarray(picture.convert("RGB"), dtype=np.uint8)
    height, width = image.shape[:2]
    if (width, height) != (entry["width"], entry["height"]):
        raise ValueError(
            f"{path}: the image is {width}x{height} pixels but {ANNOTATIONS_FILE} records "
            f"{entry['width']}x{entry['height']}; its boxes were drawn for another version of the file"
        )
    return Photo(
        name=name,
        image=image,
        boxes=torch.tensor(entry["boxes"], dtype=torch.float32).reshape(-1, 4),
        labels=torch.tensor(entry["labels"], dtype=torch.int64),
        class_names=annotations["classes"],
        credit=entry["credit"],
    )


@functools.lru_cache(maxsize=None)
def _annotations(directory: Path) -> dict[str, Any]:
    """Read and check ``directory/annotations.json`` once.

    Returns:
        dict[str, Any]: ``"classes"`` (tuple of names) and ``"photos"``, a dict from photo
        name to ``{"file", "width", "height", "credit", "boxes", "labels"}``, with ``boxes``
        a list of ``[x1, y1, x2, y2]`` and ``labels`` a list of class indices.
    """
    path = directory / ANNOTATIONS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist; the photographs are expected in {directory} "
            "(set the environment variable SSD_COURSE_IMAGES to use another folder)"
        )
    with path.open(encoding="utf-8") as f:
        data = json.load(f)

    def fail(where: str, problem: str) -> ValueError:
        return ValueError(f"{path}: {where}: {problem}")

    if not isinstance(data, dict):
        raise fail("top level", f"must be a JSON object; got {type(data).__name__}")
    classes = data.get("classes")
    if not isinstance(classes, list) or len(classes) < 2 or not all(isinstance(c, str) for c in classes):
        raise fail("'classes'", f"must be a list of at least two names; got {classes!r}")
    if classes[0] != "background":
        raise fail("'classes'", f"index 0 must be 'background'; got {classes[0]!r}")
    if len(set(classes)) != len(classes):
        raise fail("'classes'", f"names must be unique; got {classes}")
    class_index = {c: k for k, c in enumerate(classes)}
    images = data.get("images")
    if not isinstance(images, list):
        raise fail("'images'", f"must be a list; got {type(images).__name__}")

    photos: dict[str, dict[str, Any]] = {}
    for i, image in enumerate(images):
        where = f"images[{i}]"
        if not isinstance(image, dict) or not isinstance(image.get("file"), str):
            raise fail(where, "must be an object with a 'file' name")
        where = f"images[{i}] ({image['file']})"
        name = Path(image["file"]).stem
        if name in photos:
            raise fail(where, f"a second photograph named {name!r}")
        width, height = image.get("width"), image.get("height")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (width, height)):
            raise fail(where, f"'width' and 'height' must be positive integers; got {width!r}, {height!r}")
        credit = image.get("credit")
        if not isinstance(credit, str) or not credit.strip():
            raise fail(where, f"'credit' must be a non-empty line (author, licence); got {credit!r}")
        objects = image.get("objects")
        if not isinstance(objects, list):
            raise fail(where, f"'objects' must be a list; got {type(objects).__name__}")
        boxes, labels = [], []
        for j, obj in enumerate(objects):
            where_box = f"{where}, object {j}"
            if not isinstance(obj, dict):
                raise fail(where_box, f"must be an object with 'class' and 'box'; got {obj!r}")
            label = class_index.get(obj.get("class")) if isinstance(obj.get("class"), str) else None
            if not label:  # unknown, or "background", which is never the class of a box
                raise fail(where_box, f"class must be one of {classes[1:]}; got {obj.get('class')!r}")
            box = obj.get("box")
            if not (
                isinstance(box, list)
                and len(box) == 4
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in box)
            ):
                raise fail(where_box, f"box must be 4 numbers [x1, y1, x2, y2]; got {box!r}")
            x1, y1, x2, y2 = box
            if not all(0.0 <= v <= 1.0 for v in box):
                raise fail(where_box, f"box coordinates must be fractions in [0, 1]; got {box}")
            if not (x2 > x1 and y2 > y1):
                raise fail(where_box, f"box must have x2 > x1 and y2 > y1; got {box}")
            boxes.append([float(v) for v in box])
            labels.append(label)
        photos[name] = {
            "file": image["file"],
            "width": width,
            "height": height,
            "credit": credit,
            "boxes": boxes,
            "labels": labels,
        }
    return {"classes": tuple(classes), "photos": photos}
