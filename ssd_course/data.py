"""The course's annotated photographs.

A handful of real, public-domain or CC0 photographs live in the course's ``images/`` folder
(at the root of the repository, and inside the installed package), next to
``annotations.json`` (their hand-drawn ground-truth boxes) and ``CREDITS.md`` (their authors
and licences). This module turns one of them into what
the rest of the course works with: an RGB image, GT boxes ``[G, 4]`` in fractional
``xyxy`` and class labels ``[G]`` in 1..C-1, where class 0 is the background.

``coffee`` is the photograph with exactly three objects (cup, saucer, spoon), the one used
to draw GT boxes next to prior boxes.

The folder is found through the package (:func:`asset_path`, which also finds the trained
checkpoint), never through the working directory; set the environment variable
``SSD_COURSE_IMAGES`` (before importing this module) to read the photographs from
somewhere else.

The second half of the module generates detection scenes, a training set that needs no
download: :func:`make_scene` draws ellipses, rectangles and triangles (:data:`SHAPE_CLASSES`)
of random colour, size, aspect ratio and position on a noisy, cluttered background, and
returns the image with the objects' boxes and labels in the same form as a photograph's.
:class:`SceneDataset` serves scene ``i`` of a seed range, always the same one, and
:func:`collate_scenes` batches them for the loss (notebook 08).
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from ssd_course.assets import asset_path

__all__ = [
    "HELD_OUT_SEED",
    "PHOTO_DIR",
    "SHAPE_CLASSES",
    "Photo",
    "Scene",
    "SceneDataset",
    "asset_path",
    "collate_scenes",
    "load_photo",
    "make_scene",
    "photo_classes",
    "photo_names",
]

PHOTO_DIR: Path = Path(os.environ.get("SSD_COURSE_IMAGES") or asset_path("images")).expanduser()
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


# ------------------------------------------------------------------------------------------
# Generated detection scenes: a dataset that needs no download


SHAPE_CLASSES: tuple[str, ...] = ("background", "ellipse", "rectangle", "triangle")
"""The C = 4 classes of the generated scenes; label ``k`` names ``SHAPE_CLASSES[k]``."""

SCENE_SIZE = 224
"""Height and width of a generated scene in pixels (the tiny detector's input size)."""

MIN_OBJECT_SIZE, MAX_OBJECT_SIZE = 0.15, 0.55
"""Range of an object's size ``sqrt(w * h)`` as a fraction of the image side."""

MAX_ASPECT_RATIO = 2.0
"""An object's aspect ratio ``w / h`` lies in ``[1 / MAX_ASPECT_RATIO, MAX_ASPECT_RATIO]``."""

MAX_OBJECTS = 4
"""A scene holds 1 to ``MAX_OBJECTS`` objects."""

MAX_OVERLAP = 0.25
"""The largest part of an object's box that another object's box may cover."""


HELD_OUT_SEED = 1_000_000_000
"""Seed of item 0 of the held-out scenes used to measure mAP; training uses seeds below it."""


class Scene(NamedTuple):
    """One generated detection scene.

    Attributes:
        image (Tensor[3, H, W]): the picture, RGB, ``float32`` in [0, 1].
        boxes (Tensor[G, 4]): the tight box of every object, fractional ``xyxy``, ``float32``.
        labels (Tensor[G]): the class of every object, ``int64`` in 1..C-1 (see
            :data:`SHAPE_CLASSES`).
    """

    image: Tensor
    boxes: Tensor
    labels: Tensor


def _random_color(rng: np.random.Generator, avoid: np.ndarray, min_distance: float) -> np.ndarray:
    """A colour at least ``min_distance`` (Euclidean, RGB in [0, 1]) away from ``avoid``."""
    for _ in range(100):
        color = rng.uniform(0.0, 1.0, size=3)
        if np.linalg.norm(color - avoid) >= min_distance:
            return color
    return 1.0 - avoid  # the opposite colour is always far enough


def _shape_mask(label: int, box: np.ndarray, xs: np.ndarray, ys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of one shape inscribed in ``box`` (fractional xyxy) at pixel centres ``xs``, ``ys``.

    Every shape touches all four sides of its box, so the box is the shape's tight box.
    """
    x1, y1, x2, y2 = box
    name = SHAPE_CLASSES[label]
    if name == "ellipse":
        cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
        return ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0
    if name == "rectangle":
        return (xs >= x1) & (xs <= x2) & (ys >= y1) & (ys <= y2)
    # triangle: the apex somewhere on one side of the box, the base the whole opposite side
    apex = x1 + rng.uniform(0.0, 1.0) * (x2 - x1)
    if rng.uniform() < 0.5:  # pointing up: apex on the top side
        vertices = np.array([[apex, y1], [x2, y2], [x1, y2]])
    else:  # pointing down
        vertices = np.array([[apex, y2], [x1, y1], [x2, y1]])
    inside = np.ones(np.broadcast_shapes(xs.shape, ys.shape), dtype=bool)
    # a point is inside when it lies on the same side of every edge as the third vertex
    for k in range(3):
        (ax, ay), (bx, by), (ox, oy) = vertices[k], vertices[(k + 1) % 3], vertices[(k + 2) % 3]
        side = (bx - ax) * (ys - ay) - (by - ay) * (xs - ax)
        inside &= side * ((bx - ax) * (oy - ay) - (by - ay) * (ox - ax)) >= 0
    return inside


def _max_overlap(box: np.ndarray, others: list[np.ndarray]) -> float:
    """The largest overlap of one xyxy box with a list of boxes (0 for an empty list).

    The overlap of two boxes is their intersection over the area of the *smaller* one, not
    their IoU: a small object inside a large one has a small IoU with it, yet would be
    hidden if the large one were drawn on top.
    """
    best = 0.0
    for other in others:
        width = min(box[2], other[2]) - max(box[0], other[0])
        height = min(box[3], other[3]) - max(box[1], other[1])
        inter = max(width, 0.0) * max(height, 0.0)
        smaller = min((box[2] - box[0]) * (box[3] - box[1]), (other[2] - other[0]) * (other[3] - other[1]))
        best = max(best, inter / smaller)
    return best


def make_scene(seed: int, size: int = SCENE_SIZE) -> Scene:
    """Generate one detection scene: coloured shapes on a noisy, cluttered background.

    The same ``seed`` always gives the same scene. A scene has 1 to :data:`MAX_OBJECTS`
    objects -- ellipses, rectangles and triangles (labels 1, 2, 3) of random colour, size
    ``sqrt(w * h)`` in [:data:`MIN_OBJECT_SIZE`, :data:`MAX_OBJECT_SIZE`] and aspect ratio
    ``w / h`` up to :data:`MAX_ASPECT_RATIO` either way -- placed wholly inside the image,
    overlapping each other a little (at most :data:`MAX_OVERLAP` of the smaller box; the
    later object is drawn on top). The background is a colour gradient with pixel noise and clutter that
    is not an object: thin lines and small specks.

    Args:
        seed (int): seed of the scene's random numbers, >= 0.
        size (int): height and width in pixels.

    Returns:
        Scene: ``image`` [3, size, size] float32 in [0, 1], ``boxes`` [G, 4] fractional
        xyxy with ``x2 > x1`` and ``y2 > y1``, ``labels`` [G] int64 in 1..3.

    Example:
        >>> scene = make_scene(0)
        >>> scene.image.shape, scene.boxes.shape[1], scene.labels.dtype
        (torch.Size([3, 224, 224]), 4, torch.int64)
        >>> bool(torch.equal(make_scene(0).image, scene.image))
        True
    """
    rng = np.random.default_rng(seed)
    centres = ((np.arange(size) + 0.5) / size).astype(np.float32)  # [size], pixel centres as fractions

    # 1. background: a gradient between two muted colours, in a random direction
    low, high = rng.uniform(0.1, 0.6, size=3), rng.uniform(0.1, 0.6, size=3)
    angle = rng.uniform(0.0, 2 * np.pi)
    ramp = np.float32(np.cos(angle)) * centres[None, :] + np.float32(np.sin(angle)) * centres[:, None]  # [size, size]
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    spread = (high - low).astype(np.float32)[:, None, None]  # [3, 1, 1]
    image = low.astype(np.float32)[:, None, None] + spread * ramp  # [3, size, size]
    background = (low + high) / 2  # [3], the mean background colour

    # 2. clutter: thin line segments and small specks, never boxed
    for _ in range(rng.integers(2, 7)):
        start, end = rng.uniform(0.0, 1.0, size=2), rng.uniform(0.0, 1.0, size=2)
        steps = np.linspace(0.0, 1.0, 2 * size)
        cols = np.clip(((start[0] + (end[0] - start[0]) * steps) * size).astype(int), 0, size - 1)
        rows = np.clip(((start[1] + (end[1] - start[1]) * steps) * size).astype(int), 0, size - 1)
        image[:, rows, cols] = rng.uniform(0.0, 1.0, size=(3, 1))
    for _ in range(rng.integers(3, 12)):
        row, col = rng.integers(0, size, size=2)
        radius = rng.integers(1, 4)
        image[:, max(row - radius, 0):row + radius, max(col - radius, 0):col + radius] = rng.uniform(
            0.0, 1.0, size=(3, 1, 1)
        )

    # 3. objects, each drawn only inside its own box's pixel window
    boxes: list[np.ndarray] = []
    labels: list[int] = []
    for _ in range(rng.integers(1, MAX_OBJECTS + 1)):
        for _attempt in range(20):
            side = rng.uniform(MIN_OBJECT_SIZE, MAX_OBJECT_SIZE)
            ratio = np.exp(rng.uniform(-np.log(MAX_ASPECT_RATIO), np.log(MAX_ASPECT_RATIO)))
            width, height = min(side * np.sqrt(ratio), 0.95), min(side / np.sqrt(ratio), 0.95)
            x1, y1 = rng.uniform(0.0, 1.0 - width), rng.uniform(0.0, 1.0 - height)
            box = np.array([x1, y1, x1 + width, y1 + height])
            if _max_overlap(box, boxes) <= MAX_OVERLAP:
                break
        else:
            continue  # no room for this object
        label = int(rng.integers(1, len(SHAPE_CLASSES)))
        c1, c2 = int(box[0] * size), min(int(np.ceil(box[2] * size)), size)
        r1, r2 = int(box[1] * size), min(int(np.ceil(box[3] * size)), size)
        mask = _shape_mask(label, box, centres[None, c1:c2], centres[r1:r2, None], rng)  # [rows, cols]
        rows, cols = np.nonzero(mask)
        if len(rows) == 0:
            continue
        image[:, r1:r2, c1:c2][:, mask] = _random_color(rng, background, min_distance=0.45)[:, None]
        # the tight box of the pixels actually drawn, in fractions of the image
        boxes.append(np.array([c1 + cols.min(), r1 + rows.min(), c1 + cols.max() + 1, r1 + rows.max() + 1]) / size)
        labels.append(label)

    # 4. pixel noise over everything
    image += 0.12 * (rng.random(size=image.shape, dtype=np.float32) - 0.5)  # uniform in +-0.06
    np.clip(image, 0.0, 1.0, out=image)
    return Scene(
        image=torch.from_numpy(image),  # [3, size, size]
        boxes=torch.tensor(np.array(boxes), dtype=torch.float32).reshape(-1, 4),  # [G, 4]
        labels=torch.tensor(labels, dtype=torch.int64),  # [G]
    )


class SceneDataset(torch.utils.data.Dataset):
    """``num_scenes`` generated scenes; item ``i`` is ``make_scene(seed + i)``, always the same.

    Training and held-out sets are told apart by their seed ranges: ``SceneDataset(n, seed=0)``
    and ``SceneDataset(500, seed=HELD_OUT_SEED)`` share no scene as long as ``n`` is below
    :data:`HELD_OUT_SEED`.

    Args:
        num_scenes (int): the number of scenes, >= 0.
        seed (int): the seed of item 0, >= 0.
        size (int): height and width of each scene in pixels.

    Example:
        >>> scenes = SceneDataset(10, seed=5)
        >>> len(scenes), torch.equal(scenes[3].image, make_scene(8).image)
        (10, True)
    """

    def __init__(self, num_scenes: int, seed: int = 0, size: int = SCENE_SIZE) -> None:
        if not (isinstance(num_scenes, int) and num_scenes >= 0):
            raise ValueError(f"num_scenes must be an integer >= 0; got {num_scenes!r}")
        if not (isinstance(seed, int) and seed >= 0):
            raise ValueError(f"seed must be an integer >= 0; got {seed!r}")
        self.num_scenes, self.seed, self.size = num_scenes, seed, size

    def __len__(self) -> int:
        return self.num_scenes

    def __getitem__(self, index: int) -> Scene:
        if not -self.num_scenes <= index < self.num_scenes:
            raise IndexError(f"scene index {index} out of range for {self.num_scenes} scenes")
        return make_scene(self.seed + index % self.num_scenes, self.size)


def collate_scenes(batch: Sequence[Scene]) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """Stack scenes into a batch, keeping the boxes and labels as per-image lists.

    Images can be stacked; GT lists cannot (each image has its own number of objects ``G_b``),
    which is exactly what :class:`ssd_course.loss.MultiBoxLoss` takes.

    Args:
        batch (Sequence[Scene]): B scenes of the same size.

    Returns:
        (Tensor[B, 3, H, W], list[Tensor[G_b, 4]], list[Tensor[G_b]]): images, boxes, labels.

    Example:
        >>> images, boxes, labels = collate_scenes([make_scene(0), make_scene(1)])
        >>> images.shape, len(boxes), len(labels)
        (torch.Size([2, 3, 224, 224]), 2, 2)
    """
    images = torch.stack([scene.image for scene in batch])  # [B, 3, H, W]
    return images, [scene.boxes for scene in batch], [scene.labels for scene in batch]
