"""Tests of the generated detection scenes in ssd_course.data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ssd_course import data
from ssd_course.boxes import box_area, box_intersection
from ssd_course.loss import MultiBoxLoss
from ssd_course.priors import tiny_detector_priors

SEEDS = range(60)


@pytest.fixture(scope="module")
def scenes() -> list[data.Scene]:
    return [data.make_scene(seed) for seed in SEEDS]


def test_same_seed_same_scene() -> None:
    first, second = data.make_scene(7), data.make_scene(7)
    assert torch.equal(first.image, second.image)
    assert torch.equal(first.boxes, second.boxes)
    assert torch.equal(first.labels, second.labels)


def test_different_seeds_different_scenes() -> None:
    assert not torch.equal(data.make_scene(7).image, data.make_scene(8).image)


def test_image_shape_dtype_and_range(scenes: list[data.Scene]) -> None:
    for scene in scenes:
        assert scene.image.shape == (3, data.SCENE_SIZE, data.SCENE_SIZE)
        assert scene.image.dtype == torch.float32
        assert scene.image.min() >= 0.0 and scene.image.max() <= 1.0


def test_boxes_are_valid_fractional_xyxy(scenes: list[data.Scene]) -> None:
    for scene in scenes:
        boxes = scene.boxes
        assert boxes.dtype == torch.float32 and boxes.dim() == 2 and boxes.shape[1] == 4
        assert 1 <= boxes.shape[0] <= data.MAX_OBJECTS
        assert (boxes >= 0).all() and (boxes <= 1).all()
        assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()


def test_labels_are_object_classes(scenes: list[data.Scene]) -> None:
    for scene in scenes:
        assert scene.labels.dtype == torch.int64
        assert scene.labels.shape == (scene.boxes.shape[0],)
        assert (scene.labels >= 1).all() and (scene.labels < len(data.SHAPE_CLASSES)).all()
    every_label = torch.cat([scene.labels for scene in scenes])
    assert set(every_label.tolist()) == {1, 2, 3}


def test_object_sizes_and_aspect_ratios_in_range(scenes: list[data.Scene]) -> None:
    boxes = torch.cat([scene.boxes for scene in scenes])
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    one_pixel = 1 / data.SCENE_SIZE  # boxes are snapped to whole pixels
    assert ((width * height).sqrt() >= data.MIN_OBJECT_SIZE - 2 * one_pixel).all()
    assert ((width * height).sqrt() <= data.MAX_OBJECT_SIZE + 2 * one_pixel).all()
    assert (width / height <= data.MAX_ASPECT_RATIO * 1.2).all()
    assert (height / width <= data.MAX_ASPECT_RATIO * 1.2).all()


def test_boxes_fall_on_pixel_edges(scenes: list[data.Scene]) -> None:
    pixels = torch.cat([scene.boxes for scene in scenes]) * data.SCENE_SIZE
    torch.testing.assert_close(pixels, pixels.round(), atol=1e-4, rtol=0)


def test_objects_overlap_at_most_max_overlap(scenes: list[data.Scene]) -> None:
    overlapping = 0
    for scene in scenes:
        inter = box_intersection(scene.boxes, scene.boxes)  # [G, G]
        area = box_area(scene.boxes)  # [G]
        smaller = torch.minimum(area.unsqueeze(0), area.unsqueeze(1))  # [G, G]
        off_diagonal = ~torch.eye(len(area), dtype=torch.bool)
        fraction = (inter / smaller)[off_diagonal]
        # a pixel of slack: boxes were snapped outwards to whole pixels after the check
        assert (fraction <= data.MAX_OVERLAP + 0.06).all()
        overlapping += int((fraction > 0).sum()) // 2
    assert overlapping > 0  # "some overlap": it does happen


@pytest.mark.parametrize("label", [1, 2, 3])
def test_every_shape_touches_all_four_sides_of_its_box(label: int) -> None:
    # the box of a shape is its tight box: the drawn pixels reach each side within a pixel
    size = data.SCENE_SIZE
    centres = (np.arange(size) + 0.5) / size
    box = np.array([0.2, 0.3, 0.7, 0.6])
    for seed in range(5):  # triangles have a random apex and direction
        mask = data._shape_mask(label, box, centres[None, :], centres[:, None], np.random.default_rng(seed))
        rows, cols = np.nonzero(mask)
        drawn = np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]) / size
        # a triangle's sharp corners may miss the pixel centres of their last two pixels
        np.testing.assert_allclose(drawn, box, atol=(3.0 if label == 3 else 1.0) / size)
        area = mask.mean() / ((box[2] - box[0]) * (box[3] - box[1]))  # the part of the box it fills
        expected = {1: np.pi / 4, 2: 1.0, 3: 0.5}[label]
        assert abs(area - expected) < 0.02


def test_dataset_items_are_seeded_scenes() -> None:
    scenes = data.SceneDataset(5, seed=100)
    assert len(scenes) == 5
    assert torch.equal(scenes[2].image, data.make_scene(102).image)
    assert torch.equal(scenes[-1].boxes, data.make_scene(104).boxes)
    with pytest.raises(IndexError):
        scenes[5]


@pytest.mark.parametrize("kwargs", [{"num_scenes": -1}, {"num_scenes": 2.5}, {"num_scenes": 3, "seed": -2}])
def test_dataset_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        data.SceneDataset(**kwargs)


def test_held_out_seeds_are_apart_from_training_seeds() -> None:
    held_out = data.SceneDataset(3, seed=data.HELD_OUT_SEED)
    assert torch.equal(held_out[0].image, data.make_scene(data.HELD_OUT_SEED).image)
    assert data.HELD_OUT_SEED > 10_000_000  # far above any training run's scene count


def test_collate_keeps_per_image_lists() -> None:
    batch = [data.make_scene(seed) for seed in range(3)]
    images, boxes, labels = data.collate_scenes(batch)
    assert images.shape == (3, 3, data.SCENE_SIZE, data.SCENE_SIZE)
    assert isinstance(boxes, list) and isinstance(labels, list)
    for b, scene in enumerate(batch):
        assert torch.equal(images[b], scene.image)
        assert torch.equal(boxes[b], scene.boxes)
        assert torch.equal(labels[b], scene.labels)


def test_dataloader_batches_feed_the_loss() -> None:
    loader = torch.utils.data.DataLoader(data.SceneDataset(4), batch_size=2, collate_fn=data.collate_scenes)
    images, boxes, labels = next(iter(loader))
    criterion = MultiBoxLoss(tiny_detector_priors())
    parts = criterion.parts(torch.zeros(2, 441, 4), torch.zeros(2, 441, len(data.SHAPE_CLASSES)), boxes, labels)
    assert parts.num_positives >= sum(len(b) for b in boxes)  # principle 1: every GT has a prior
    assert torch.isfinite(parts.total)
