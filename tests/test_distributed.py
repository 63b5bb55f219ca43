"""MultiBoxLoss(distributed=True) under DistributedDataParallel, and the training program under torchrun.

Two CPU processes (the gloo backend) each hold one share of a batch. Whatever the shares' object
counts, the mean of their losses must be the loss of one process on the whole batch, and DDP's
averaged gradients its gradients (to 1e-6). Dividing by each rank's own N, as a loss without
``distributed=True`` does, must visibly fail that comparison.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from ssd_course import train
from ssd_course.loss import MultiBoxLoss, multibox_loss
from ssd_course.priors import tiny_detector_priors

ROOT = Path(__file__).resolve().parent.parent
WORLD_SIZE = 2
IMAGES_PER_RANK = 3
FEATURES, C = 8, 5
SMALL_ARGS = ["--stem-width", "8", "--widths", "8,16,16", "--convs-per-block", "1"]

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not available")


def random_boxes(count: int, generator: torch.Generator) -> torch.Tensor:
    """``count`` random xyxy boxes inside the unit square, between 0.1 and 0.6 on a side."""
    size = 0.1 + 0.5 * torch.rand(count, 2, generator=generator, dtype=torch.float64)  # [G, 2]
    corner = (1 - size) * torch.rand(count, 2, generator=generator, dtype=torch.float64)  # [G, 2]
    return torch.cat([corner, corner + size], dim=1)  # [G, 4]


# objects per image of rank 0 and rank 1: very different counts, an image without objects,
# a rank without any object, and no object at all
SCENARIOS = {
    "uneven": [[6, 5, 7], [1, 0, 1]],
    "one rank empty": [[2, 4, 3], [0, 0, 0]],
    "no object": [[0, 0, 0], [0, 0, 0]],
}


def scenario_batch(counts: list[list[int]], dtype: torch.dtype):
    """Features [W * 3, P, F] and GT lists of the whole batch; rank r's share is images 3r..3r+2."""
    generator = torch.Generator().manual_seed(sum(map(sum, counts)))
    P = tiny_detector_priors().shape[0]
    per_image = [g for rank in counts for g in rank]
    features = torch.randn(len(per_image), P, FEATURES, generator=generator, dtype=torch.float64).to(dtype)
    boxes = [random_boxes(g, generator).to(dtype) for g in per_image]
    labels = [torch.randint(1, C, (g,), generator=generator) for g in per_image]
    return features, boxes, labels


def make_head(dtype: torch.dtype) -> nn.Module:
    """A linear head from per-prior features to 4 offsets and C scores (no batch norm: one image's
    outputs do not depend on the other images, so a share's outputs are the whole batch's rows)."""
    torch.manual_seed(0)
    return nn.Linear(FEATURES, 4 + C).to(dtype)


def loss_and_gradients(head: nn.Module, features, boxes, labels, **kwargs) -> dict[str, torch.Tensor]:
    outputs = head(features)  # [B, P, 4 + C]
    parts = multibox_loss(outputs[..., :4], outputs[..., 4:], boxes, labels, tiny_detector_priors().to(outputs.dtype),
                          **kwargs)
    head.zero_grad()
    parts.total.backward()
    return {"total": parts.total.detach(), "loc": parts.loc.detach(), "conf": parts.conf.detach(),
            "num_positives": parts.num_positives, **{f"grad.{n}": p.grad.clone() for n, p in getattr(head, "module", head).named_parameters()}}


def _rank_main(rank: int, init_file: str, out_dir: str) -> None:
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD_SIZE)
    try:
        results = {}
        for name, counts in SCENARIOS.items():
            for dtype in (torch.float64, torch.float32):
                features, boxes, labels = scenario_batch(counts, dtype)
                share = slice(rank * IMAGES_PER_RANK, (rank + 1) * IMAGES_PER_RANK)
                ddp = nn.parallel.DistributedDataParallel(make_head(dtype))
                for distributed in (True, False):
                    got = loss_and_gradients(ddp, features[share], boxes[share], labels[share], distributed=distributed)
                    results[name, str(dtype), distributed] = got
        torch.save(results, Path(out_dir) / f"rank{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


@pytest.fixture(scope="module")
def ranks_results(tmp_path_factory) -> list[dict]:
    """What each of two gloo ranks computed: loss parts and DDP's averaged gradients."""
    out_dir = tmp_path_factory.mktemp("ddp")
    mp.spawn(_rank_main, args=(str(out_dir / "init"), str(out_dir)), nprocs=WORLD_SIZE, join=True)
    return [torch.load(out_dir / f"rank{rank}.pt", weights_only=True) for rank in range(WORLD_SIZE)]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_two_ranks_give_the_loss_and_gradients_of_the_whole_batch(ranks_results, scenario, dtype) -> None:
    expected = loss_and_gradients(make_head(dtype), *scenario_batch(SCENARIOS[scenario], dtype))
    ranks = [results[scenario, str(dtype), True] for results in ranks_results]
    tolerance = {"atol": 1e-6, "rtol": 1e-6} if dtype == torch.float64 else {"atol": 1e-5, "rtol": 1e-5}
    for name in ("total", "loc", "conf"):
        # (a) the mean over the ranks is the whole batch's value
        torch.testing.assert_close(sum(rank[name] for rank in ranks) / WORLD_SIZE, expected[name], **tolerance)
    for rank in ranks:
        assert int(rank["num_positives"]) == int(expected["num_positives"])  # N of all ranks
        assert rank["total"] == rank["conf"] + rank["loc"]  # alpha = 1
        for name in ("grad.weight", "grad.bias"):  # (b) DDP's average is the whole batch's gradient
            torch.testing.assert_close(rank[name], expected[name], **tolerance)
    if scenario == "no object":
        assert all(rank["total"] == 0 and not rank["grad.weight"].any() for rank in ranks)


def test_per_rank_normalisation_gives_another_gradient(ranks_results) -> None:
    # the test above can fail: with each rank dividing by its own N the uneven batch is off
    dtype = torch.float64
    expected = loss_and_gradients(make_head(dtype), *scenario_batch(SCENARIOS["uneven"], dtype))
    per_rank = [results["uneven", str(dtype), False] for results in ranks_results]
    assert [int(rank["num_positives"]) for rank in per_rank] != [int(expected["num_positives"])] * WORLD_SIZE
    gradient = per_rank[0]["grad.weight"]
    error = (gradient - expected["grad.weight"]).norm() / expected["grad.weight"].norm()
    assert error > 0.1, f"per-rank N should give another gradient; relative difference {error:.3g}"


def test_distributed_needs_a_process_group() -> None:
    assert not torch.distributed.is_initialized()
    locs, scores = torch.zeros(1, 441, 4), torch.zeros(1, 441, 3)
    boxes, labels = [torch.tensor([[0.1, 0.1, 0.5, 0.5]])], [torch.tensor([1])]
    with pytest.raises(RuntimeError, match=r"distributed=True.*init_process_group"):
        multibox_loss(locs, scores, boxes, labels, tiny_detector_priors(), distributed=True)
    with pytest.raises(RuntimeError, match="distributed=True"):
        MultiBoxLoss(tiny_detector_priors(), distributed=True)(locs, scores, boxes, labels)


def test_scene_loader_shares_each_step_between_the_ranks() -> None:
    def scene_ids(loader):  # the seed of a scene is its index: identify scenes by their pixels' sum
        return [[round(float(image.sum()), 3) for image in images] for images, _, _ in loader]

    whole = scene_ids(train.scene_loader(steps=2, batch_size=4))
    shares = [scene_ids(train.scene_loader(steps=2, batch_size=4, rank=r, world_size=2)) for r in range(2)]
    assert [len(step) for step in whole] == [4, 4] and [len(step) for step in shares[0]] == [2, 2]
    for step in range(2):
        assert shares[0][step] + shares[1][step] == whole[step]
    with pytest.raises(ValueError, match="multiple of world_size"):
        train.scene_loader(steps=2, batch_size=5, rank=0, world_size=2)


def test_training_program_runs_under_torchrun(tmp_path) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "ssd_course.train", "--steps", "3", "--batch-size", "4", "--eval-scenes", "3",
               "--device", "cpu", "--out", str(out), *SMALL_ARGS]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    # rank 0 alone writes, evaluates and saves
    assert done.stdout.count("training a ") == 1 and "on 2 processes (cpu, 2 scenes each)" in done.stdout
    assert done.stdout.count("mAP@0.5 on 3 held-out scenes") == 1
    history = json.loads((out / train.HISTORY_NAME).read_text())
    assert {key: len(values) for key, values in history.items()} == {"total": 3, "loc": 3, "conf": 3, "lr": 3}
    checkpoint = torch.load(out / train.CHECKPOINT_NAME, weights_only=True)
    assert checkpoint["world_size"] == 2 and checkpoint["steps"] == 3 and checkpoint["interrupted"] is False
    assert checkpoint["command"].startswith("torchrun --nproc_per_node=2 -m ssd_course.train --steps 3")
    assert 0.0 <= checkpoint["map50"] <= 1.0
