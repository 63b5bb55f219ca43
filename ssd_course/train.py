"""Train the tiny detector on generated scenes with the MultiBox loss (notebook 08).

Run it as a program::

    python -m ssd_course.train --steps 800 --batch-size 32 --out runs/tiny_detector

It seeds everything, trains a :class:`ssd_course.model.TinyDetector` on
:func:`ssd_course.data.make_scene` scenes with :class:`ssd_course.loss.MultiBoxLoss`
(mixed precision when it runs on CUDA), shows a progress bar, then writes into ``--out``:

* ``tiny_detector.pt`` -- a checkpoint of plain tensors, lists and numbers, loadable with
  ``torch.load(path, weights_only=True)`` (see :func:`load_checkpoint`);
* ``tiny_detector_history.json`` -- the loss of every step: ``total``, ``loc``, ``conf``
  (and the learning rate ``lr``);

and prints the mAP@0.5 on ``--eval-scenes`` held-out scenes, whose seeds start at
:data:`ssd_course.data.HELD_OUT_SEED` (training scene ``k`` has seed ``k``). Ctrl-C stops the
training, saves what has been learnt so far and exits without evaluating.

The same program trains on several processes with DistributedDataParallel (DDP) when started
by ``torchrun``, on one machine or several::

    torchrun --standalone --nproc_per_node=2 -m ssd_course.train --steps 800 --batch-size 32

``--batch-size`` is then the batch of the whole step, split evenly over the ``W`` ranks: rank
``r`` takes its own ``B / W`` of the step's scenes, so that the ranks together see exactly the
scenes of a one-process run. The ranks talk through NCCL on CUDA (one GPU per rank) and gloo
on the CPU. The loss is ``MultiBoxLoss(distributed=True)``: ``N`` is counted over all ranks,
so DDP's averaged gradient is the gradient of the whole batch's loss (notebook 08 shows what
dividing by each rank's own ``N`` would do), and the recorded history is the whole batch's
loss. Batch normalisation computes its statistics on each rank's ``B / W`` images, as DDP
does by default. Rank 0 alone prints, evaluates and saves.

The functions used by the program -- :func:`train_steps`, :func:`predict`, :func:`evaluate`,
:func:`save_checkpoint`, :func:`load_checkpoint` -- are also what the notebook calls.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shlex
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
from torch import Tensor, nn

from ssd_course.data import HELD_OUT_SEED, SHAPE_CLASSES, SceneDataset, collate_scenes
from ssd_course.detection import Detections, detect, mean_average_precision
from ssd_course.loss import LossParts, MultiBoxLoss
from ssd_course.model import DetectorConfig, TinyDetector
from ssd_course.priors import tiny_detector_priors

__all__ = [
    "CHECKPOINT_NAME",
    "HISTORY_NAME",
    "ProgressBar",
    "evaluate",
    "load_checkpoint",
    "main",
    "make_optimizer",
    "make_grad_scaler",
    "pick_device",
    "predict",
    "save_checkpoint",
    "scene_loader",
    "seed_everything",
    "train_steps",
]

CHECKPOINT_NAME = "tiny_detector.pt"
HISTORY_NAME = "tiny_detector_history.json"

Batch = tuple[Tensor, Sequence[Tensor], Sequence[Tensor]]


def pick_device(name: str = "auto") -> torch.device:
    """The device to train on.

    Args:
        name (str): ``"auto"`` (CUDA when available, else the CPU), ``"cpu"`` or ``"cuda"``.

    Returns:
        torch.device: the device.

    Raises:
        ValueError: for another name, or ``"cuda"`` on a machine without CUDA.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda'; got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but torch.cuda.is_available() is False")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class ProgressBar:
    """A one-line textual progress bar: ``step 120/1200 [###.......] 10% loss 3.21 | 2.4 step/s, 7m30s left``.

    On a terminal the line is redrawn in place at most every ``interval`` seconds; elsewhere
    (a log file, a notebook) a new line is written every tenth of the run.

    Args:
        total (int): the number of steps.
        stream (TextIO): where to write; ``sys.stderr`` by default.
        interval (float): the smallest time between two redraws on a terminal, in seconds.
    """

    def __init__(self, total: int, stream: TextIO | None = None, interval: float = 0.25) -> None:
        self.total = max(int(total), 1)
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self.last_draw = -math.inf
        self.every = max(self.total // 10, 1)

    def update(self, step: int, message: str = "") -> None:
        """Report that ``step`` steps are done, with a short message (e.g. the loss)."""
        now = time.perf_counter()
        if self.interactive:
            if now - self.last_draw < self.interval and step < self.total:
                return
        elif step % self.every != 0 and step != self.total:
            return
        self.last_draw = now
        elapsed = now - self.start
        rate = step / elapsed if elapsed > 0 else 0.0
        left = (self.total - step) / rate if rate > 0 else 0.0
        filled = int(20 * step / self.total)
        line = (
            f"step {step}/{self.total} [{'#' * filled}{'.' * (20 - filled)}] {100 * step / self.total:3.0f}% "
            f"{message} | {rate:.2f} step/s, {int(left // 60)}m{int(left % 60):02d}s left"
        )
        self.stream.write(("\r" + line) if self.interactive else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        """End the line on a terminal."""
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()


def make_optimizer(
    model: nn.Module, lr: float, steps: int, warmup: int = 30, weight_decay: float = 1e-4
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """AdamW with a linear warm-up to ``lr``, then a cosine decay to 0 at ``steps``.

    Args:
        model (nn.Module): the model whose parameters are optimised.
        lr (float): the peak learning rate, reached after ``warmup`` steps.
        steps (int): the length of the whole run.
        warmup (int): steps of linear warm-up from ``lr / warmup``.
        weight_decay (float): AdamW's decoupled weight decay.

    Returns:
        (Optimizer, LRScheduler): call ``scheduler.step()`` after every ``optimizer.step()``.
    """

    def warmup_then_cosine(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(steps - warmup, 1)))

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_then_cosine)


def make_grad_scaler(device: torch.device, enabled: bool) -> Any:
    """The gradient scaler of float16 mixed precision on ``device`` (``torch.amp.GradScaler``;
    ``torch.cuda.amp.GradScaler`` on PyTorch < 2.3, which has only that one)."""
    if hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler(device.type, enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled and device.type == "cuda")


def _autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    # float16 autocast, entered only when enabled: PyTorch < 2.2 refuses float16 on the CPU
    # even for a disabled autocast
    return torch.autocast(device.type, dtype=torch.float16) if enabled else contextlib.nullcontext()


def _of_whole_batch(parts: LossParts, criterion: nn.Module) -> LossParts:
    """The loss of the whole batch: ``parts`` itself, or under DDP (a ``MultiBoxLoss(distributed=True)``)
    the mean of the ranks' parts, detached (``num_positives`` is already that of all ranks)."""
    if not getattr(criterion, "distributed", False):
        return parts
    values = torch.stack([parts.total, parts.loc, parts.conf]).detach()  # [3]
    torch.distributed.all_reduce(values)
    values /= torch.distributed.get_world_size()
    return LossParts(*values, num_positives=parts.num_positives)


def train_steps(
    model: nn.Module,
    criterion: MultiBoxLoss,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[Batch],
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    scaler: Any | None = None,
    history: dict[str, list[float]] | None = None,
    progress: ProgressBar | None = None,
) -> dict[str, list[float]]:
    """Run one optimisation step per batch and record the loss of each step.

    Each step: forward pass (under float16 autocast when ``scaler`` is enabled, i.e. on
    CUDA), the MultiBox loss with its parts in float32, backward pass, optimizer step,
    scheduler step. The model is in training mode and its parameters and the criterion's
    priors decide the device; images, boxes and labels are moved there.

    Args:
        model (nn.Module): maps images ``[B, 3, H, W]`` to ``([B, P, 4], [B, P, C])``.
        criterion (MultiBoxLoss): the loss, on the model's device.
        optimizer (torch.optim.Optimizer): the optimizer of the model's parameters.
        batches (Iterable[tuple[Tensor[B, 3, H, W], list[Tensor[G_b, 4]], list[Tensor[G_b]]]]):
            images, GT boxes and GT labels, e.g. from a DataLoader with
            :func:`ssd_course.data.collate_scenes`; one step per batch.
        scheduler (LRScheduler | None): stepped after every optimizer step.
        scaler (GradScaler | None): enables mixed precision when it is enabled (see
            :func:`make_grad_scaler`).
        history (dict[str, list[float]] | None): lists to append to; new ones by default.
            They are filled step by step, so they hold every finished step even when a
            ``KeyboardInterrupt`` stops the loop.
        progress (ProgressBar | None): updated after every step.

    Returns:
        dict[str, list[float]]: ``total``, ``loc``, ``conf`` (the loss of each step) and ``lr``.
        With a ``MultiBoxLoss(distributed=True)`` under DDP the losses recorded are those of
        the whole batch, the mean of the ranks' parts, the same on every rank.
    """
    history = history if history is not None else {}
    for key in ("total", "loc", "conf", "lr"):
        history.setdefault(key, [])
    device = next(model.parameters()).device
    use_amp = scaler is not None and scaler.is_enabled()
    model.train()
    for images, boxes, labels in batches:
        images = images.to(device, non_blocking=True)
        boxes = [b.to(device) for b in boxes]
        labels = [label.to(device) for label in labels]
        with _autocast(device, enabled=use_amp):  # float16 mixed precision when enabled (CUDA)
            predicted_locs, predicted_scores = model(images)  # [B, P, 4], [B, P, C]
        parts = criterion.parts(predicted_locs, predicted_scores, boxes, labels)  # float32 even under autocast
        optimizer.zero_grad(set_to_none=True)
        if use_amp:
            scaler.scale(parts.total).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            parts.total.backward()
            optimizer.step()
        history["lr"].append(optimizer.param_groups[0]["lr"])
        if scheduler is not None:
            scheduler.step()
        batch_loss = _of_whole_batch(parts, criterion)  # under DDP: the mean of the ranks' parts
        history["total"].append(batch_loss.total.item())
        history["loc"].append(batch_loss.loc.item())
        history["conf"].append(batch_loss.conf.item())
        if progress is not None:
            progress.update(
                len(history["total"]),
                f"loss {history['total'][-1]:.3f} (loc {history['loc'][-1]:.3f}, conf {history['conf'][-1]:.3f})",
            )
    return history


@torch.no_grad()
def predict(
    model: nn.Module,
    images: Tensor,
    score_threshold: float = 0.01,
    iou_threshold: float = 0.45,
    top_k: int = 100,
) -> list[Detections]:
    """Detections of a trained tiny detector on a batch of images (evaluation mode).

    Args:
        model (nn.Module): a :class:`ssd_course.model.TinyDetector` (any model with its outputs).
        images (Tensor[B, 3, 224, 224]): RGB images in [0, 1].
        score_threshold (float): see :func:`ssd_course.detection.detect`.
        iou_threshold (float): NMS threshold.
        top_k (int): at most this many detections per image.

    Returns:
        list[Detections]: one per image, on the model's device.
    """
    model.eval()
    device = next(model.parameters()).device
    predicted_locs, predicted_scores = model(images.to(device))  # [B, 441, 4], [B, 441, C]
    priors_cxcy = tiny_detector_priors().to(device)
    return detect(predicted_locs, predicted_scores, priors_cxcy, score_threshold, iou_threshold, top_k)


def evaluate(model: nn.Module, scenes: torch.utils.data.Dataset, batch_size: int = 50) -> float:
    """mAP@0.5 (VOC) of a model on a set of scenes.

    Args:
        model (nn.Module): the detector.
        scenes (Dataset): items ``(image, boxes, labels)``, e.g. a
            :class:`ssd_course.data.SceneDataset` of held-out seeds.
        batch_size (int): images per forward pass.

    Returns:
        float: the mean average precision at IoU 0.5.
    """
    loader = torch.utils.data.DataLoader(scenes, batch_size=batch_size, collate_fn=collate_scenes)
    detections, ground_truths = [], []
    for images, boxes, labels in loader:
        detections += [Detections(*(t.cpu() for t in found)) for found in predict(model, images)]
        ground_truths += list(zip(boxes, labels))
    return mean_average_precision(detections, ground_truths, iou_threshold=0.5)


def save_checkpoint(path: str | Path, model: TinyDetector, **record: Any) -> None:
    """Save a detector as plain tensors, lists and numbers (``weights_only=True`` loads it).

    Args:
        path (str | Path): the file to write.
        model (TinyDetector): the detector; its weights and its config are saved.
        **record: more entries of plain types (numbers, strings, lists, dicts of them), e.g.
            the command, the number of steps, the measured mAP.
    """
    state = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    checkpoint = {"model": state, "config": model.config.to_dict(), "class_names": list(SHAPE_CLASSES), **record}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, path)


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> tuple[TinyDetector, dict[str, Any]]:
    """Load a detector saved by :func:`save_checkpoint`, with ``torch.load(..., weights_only=True)``.

    Args:
        path (str | Path): the checkpoint file.
        device (str | torch.device): where to put the model.

    Returns:
        (TinyDetector, dict[str, Any]): the detector in evaluation mode, and the whole
        checkpoint (its ``config``, ``class_names`` and whatever else was recorded).
    """
    with warnings.catch_warnings():  # PyTorch 2.1 warns of its own use of TypedStorage while loading
        warnings.filterwarnings("ignore", message="TypedStorage is deprecated", category=UserWarning)
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model = TinyDetector(DetectorConfig.from_dict(checkpoint["config"]))
    model.load_state_dict(checkpoint["model"])
    return model.to(device).eval(), checkpoint


def _parse_widths(text: str) -> tuple[int, int, int]:
    widths = tuple(int(w) for w in text.split(","))
    if len(widths) != 3 or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"expected three positive integers like 48,96,128; got {text!r}")
    return widths


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ssd_course.train",
        description="Train the tiny 441-prior detector on generated scenes with the MultiBox loss.",
    )
    parser.add_argument("--steps", type=int, default=800, help="optimisation steps (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=32, help="scenes per step (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=5e-3, help="peak learning rate of AdamW (default: %(default)s)")
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=30, help="steps of linear warm-up (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the weights' initialisation (default: %(default)s)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=Path("runs/tiny_detector"),
                        help="output folder (default: %(default)s)")
    parser.add_argument("--eval-scenes", type=int, default=500,
                        help="held-out scenes for the final mAP (default: %(default)s)")
    parser.add_argument("--stem-width", type=int, default=DetectorConfig.stem_width, help="default: %(default)s")
    parser.add_argument("--widths", type=_parse_widths, default=DetectorConfig.widths, help="default: 32,64,128")
    parser.add_argument("--convs-per-block", type=int, default=DetectorConfig.convs_per_block,
                        help="default: %(default)s")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes (default: %(default)s)")
    return parser


def scene_loader(
    steps: int, batch_size: int, rank: int = 0, world_size: int = 1, workers: int = 0, pin_memory: bool = False
) -> torch.utils.data.DataLoader:
    """The training scenes of one rank: step ``s`` of the run uses scenes ``s * B`` to ``s * B + B - 1``.

    With ``W`` ranks each step's ``B`` scenes are split in ``W`` consecutive shares of ``B / W``:
    rank ``r`` gets scenes ``s * B + r * B / W`` to ``s * B + (r + 1) * B / W - 1``, so that the
    ranks together see the scenes of a one-process run, each scene once.

    Args:
        steps (int): the number of steps.
        batch_size (int): ``B``, the scenes of one step over all ranks; a multiple of ``W``.
        rank (int): this process's rank ``r``, in ``0 .. W - 1``.
        world_size (int): ``W``, the number of ranks.
        workers (int): DataLoader worker processes.
        pin_memory (bool): pin the batches in memory (for CUDA).

    Returns:
        DataLoader: ``steps`` batches of ``B / W`` scenes (:func:`ssd_course.data.collate_scenes`).

    Raises:
        ValueError: if ``batch_size`` is not a multiple of ``world_size`` or ``rank`` is out of range.
    """
    if world_size < 1 or not 0 <= rank < world_size or batch_size % world_size:
        raise ValueError(
            f"batch_size must be a multiple of world_size and rank in 0..world_size - 1; got batch_size "
            f"{batch_size}, world_size {world_size} and rank {rank}"
        )
    share = batch_size // world_size
    indices = [step * batch_size + rank * share + i for step in range(steps) for i in range(share)]
    scenes = torch.utils.data.Subset(SceneDataset(steps * batch_size, seed=0), indices)
    return torch.utils.data.DataLoader(scenes, batch_size=share, collate_fn=collate_scenes, num_workers=workers,
                                       pin_memory=pin_memory)


def _start_ranks(device_name: str) -> tuple[torch.device, int, int]:
    """The device, rank and world size of this process; under torchrun (``WORLD_SIZE`` > 1 in
    the environment) it first joins the default process group: NCCL on CUDA, gloo on the CPU."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    device = pick_device(device_name)
    if world_size == 1:
        return device, 0, 1
    if device.type == "cuda":
        local_rank = int(os.environ["LOCAL_RANK"])
        if local_rank >= torch.cuda.device_count():
            raise SystemExit(f"local rank {local_rank} needs a GPU of its own, but this machine has "
                             f"{torch.cuda.device_count()}: lower --nproc_per_node or use --device cpu")
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device, torch.distributed.get_rank(), world_size


def main(argv: Sequence[str] | None = None) -> int:
    """The command line program; returns its exit status (130 after Ctrl-C)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.steps < 1 or args.batch_size < 1 or args.eval_scenes < 0:
        raise SystemExit("--steps and --batch-size must be >= 1 and --eval-scenes >= 0")
    if args.steps * args.batch_size > HELD_OUT_SEED:
        raise SystemExit(f"--steps x --batch-size must stay below {HELD_OUT_SEED}, the first held-out seed")
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if args.batch_size % world_size:
        raise SystemExit(f"--batch-size must be a multiple of the number of processes, {world_size}; "
                         f"got {args.batch_size}")
    device, rank, world_size = _start_ranks(args.device)
    try:
        return _train_and_save(args, argv, device, rank, world_size)
    finally:
        if world_size > 1:
            torch.distributed.destroy_process_group()


def _train_and_save(args: argparse.Namespace, argv: list[str], device: torch.device, rank: int,
                    world_size: int) -> int:
    seed_everything(args.seed)  # the same initial weights on every rank
    use_amp = device.type == "cuda"
    distributed = world_size > 1

    config = DetectorConfig(
        num_classes=len(SHAPE_CLASSES), stem_width=args.stem_width, widths=args.widths,
        convs_per_block=args.convs_per_block,
    )
    detector = TinyDetector(config).to(device)
    if device.type == "cpu":  # NHWC convolutions are faster on CPUs
        detector = detector.to(memory_format=torch.channels_last)
    model: nn.Module = detector
    if distributed:
        model = nn.parallel.DistributedDataParallel(detector, device_ids=[device] if device.type == "cuda" else None)
    criterion = MultiBoxLoss(tiny_detector_priors(), distributed=distributed).to(device)
    optimizer, scheduler = make_optimizer(model, args.lr, args.steps, warmup=args.warmup,
                                          weight_decay=args.weight_decay)
    scaler = make_grad_scaler(device, enabled=use_amp)
    # training scene k of the run is make_scene(k): one new scene for every image of every step
    loader = scene_loader(args.steps, args.batch_size, rank, world_size, workers=args.workers,
                          pin_memory=device.type == "cuda")
    parameters = sum(p.numel() for p in detector.parameters())
    where = f"{world_size} processes ({device.type}, {args.batch_size // world_size} scenes each)" if distributed \
        else str(device)
    if rank == 0:  # rank 0 alone writes, evaluates and saves
        print(f"training a {parameters:,}-parameter TinyDetector on {where} for {args.steps} steps "
              f"of {args.batch_size} scenes{' with mixed precision' if use_amp else ''}", flush=True)

    history: dict[str, list[float]] = {"total": [], "loc": [], "conf": [], "lr": []}
    progress = ProgressBar(args.steps) if rank == 0 else None
    start = time.perf_counter()
    interrupted = False
    try:
        train_steps(model, criterion, optimizer, loader, scheduler=scheduler, scaler=scaler, history=history,
                    progress=progress)
    except KeyboardInterrupt:
        interrupted = True
    if progress is not None:
        progress.close()
    train_seconds = time.perf_counter() - start
    # Ctrl-C may land between two appends of a step: keep the steps recorded in full
    steps_done = min(len(values) for values in history.values())
    if rank != 0:
        return 130 if interrupted else 0

    mean_ap = None
    if not interrupted and args.eval_scenes:
        print(f"trained {steps_done} steps in {train_seconds:.0f} s; evaluating on {args.eval_scenes} held-out "
              "scenes", flush=True)
        try:
            mean_ap = evaluate(detector, SceneDataset(args.eval_scenes, seed=HELD_OUT_SEED))
        except KeyboardInterrupt:
            interrupted = True

    out = Path(args.out)
    checkpoint_path, history_path = out / CHECKPOINT_NAME, out / HISTORY_NAME
    launcher = f"torchrun --nproc_per_node={world_size} -m ssd_course.train " if distributed \
        else "python -m ssd_course.train "
    save_checkpoint(
        checkpoint_path, detector,
        command=launcher + shlex.join(argv),
        steps=steps_done,
        batch_size=args.batch_size,
        seed=args.seed,
        train_seconds=round(train_seconds, 1),
        device=device.type,
        world_size=world_size,
        torch_version=str(torch.__version__),  # a plain str: weights_only loading refuses TorchVersion
        interrupted=interrupted,
        eval_scenes=args.eval_scenes if mean_ap is not None else 0,
        map50=mean_ap,
    )
    rounded = {key: [round(v, 6) for v in values[:steps_done]] for key, values in history.items()}
    history_path.write_text(json.dumps(rounded) + "\n", encoding="utf-8")
    if interrupted:
        print(f"interrupted after {steps_done} steps ({train_seconds:.0f} s of training); saved {checkpoint_path} "
              f"and {history_path}", flush=True)
        return 130
    print(f"saved {checkpoint_path} and {history_path}")
    if mean_ap is not None:
        print(f"mAP@0.5 on {args.eval_scenes} held-out scenes: {mean_ap:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
