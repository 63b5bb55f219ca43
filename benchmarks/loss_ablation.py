"""The MultiBox loss done wrong: train the tiny detector with broken variants and measure.

Every variant trains the same :class:`ssd_course.model.TinyDetector` from the same seed on
the same generated scenes for the same number of steps; only the loss differs. Then each is
measured on the same held-out scenes. The variants:

* ``multibox`` -- the loss as taught (:class:`ssd_course.loss.MultiBoxLoss`): smooth L1,
  both matching principles, hard negative mining at 3 negatives per positive;
* ``no_hard_mining`` -- every negative prior in the confidence loss (``neg_pos_ratio = inf``);
* ``no_negatives`` -- no negative at all (``neg_pos_ratio = 0``);
* ``plain_l1`` -- the location loss of the study guide's code, plain L1 averaged over the
  4N offsets (:func:`ssd_course.pitfalls.classic_location_loss`);
* ``no_principle_1`` -- matching by principle 2 alone: a GT whose best prior has IoU < 0.5
  gets no prior and is never learned.

Measured on the same held-out scenes for every variant:

* ``map50``, ``map75`` -- VOC mAP at IoU 0.5 and 0.75 (the second needs tighter boxes);
* ``confident_recall`` -- the share of GT boxes found by a *confident* detection (score
  >= 0.5) of the right class with IoU > 0.5; ``mean_iou_of_confident_hits`` -- how well
  those detections fit; ``confident_detections_per_image`` (against ``gt_per_image``);
* the same recall split by GT: ``*_principle2_matchable`` (some prior has IoU >= 0.5 with
  it) and ``*_principle1_only`` (only principle 1 gives it a prior), both for confident
  detections and for detections of any score (``recall_any_score_*``: the most that the
  ranking used by the mAP can ever reach);
* ``right_class_probability_on_positives`` -- the softmax probability of the right class
  on the priors that the matching makes positive, i.e. how sure the detector is where it
  should fire.

Usage::

    python benchmarks/loss_ablation.py [--steps 400] [--batch-size 32] [--eval-scenes 500]
                                       [--variants multibox plain_l1 ...] [--device auto|cpu|cuda]
                                       [--out checkpoints/ablation.json] [--quick]

The defaults are the settings of the committed ``checkpoints/ablation.json`` (about 12 minutes
on a free 2-core CPU); ``--quick`` is a smoke test of a few seconds per variant that writes
``runs/ablation_quick.json`` instead.

Writes a small JSON file: the settings, and per variant its metrics and its loss history
(``total``, ``loc``, ``conf`` per step). Losses of different variants are sums over different
priors and are not comparable to each other; the metrics are.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ssd_course import data, matching, train
from ssd_course.boxes import box_iou
from ssd_course.detection import average_precisions, detect, mean_average_precision
from ssd_course.encoding import encode
from ssd_course.loss import LossParts, MultiBoxLoss, hard_negative_mask, multibox_loss, smooth_l1
from ssd_course.model import DetectorConfig, TinyDetector
from ssd_course.pitfalls import classic_location_loss
from ssd_course.priors import tiny_detector_priors

VARIANTS = {
    "multibox": {},
    "no_hard_mining": {"neg_pos_ratio": math.inf},
    "no_negatives": {"neg_pos_ratio": 0},
    "plain_l1": {"location": "plain_l1"},
    "no_principle_1": {"principle_1": False},
}
CONFIDENT = 0.5  # a detection with at least this score counts as "the detector says so"


class AblatedLoss(nn.Module):
    """The MultiBox loss rebuilt from the package's pieces, with one piece switched off.

    With the defaults it computes exactly :func:`ssd_course.loss.multibox_loss` (checked in
    :func:`main` before anything is trained).

    Args:
        priors_cxcy (Tensor[P, 4]): the priors.
        neg_pos_ratio (float): hard negatives per positive (``math.inf``: all; 0: none).
        location (str): ``"smooth_l1"`` (summed, / N) or ``"plain_l1"`` (mean over 4N).
        principle_1 (bool): match with both principles, or with principle 2 alone.
    """

    def __init__(self, priors_cxcy: Tensor, neg_pos_ratio: float = 3, location: str = "smooth_l1",
                 principle_1: bool = True) -> None:
        super().__init__()
        self.register_buffer("priors_cxcy", priors_cxcy.clone(), persistent=False)
        self.neg_pos_ratio, self.location, self.principle_1 = neg_pos_ratio, location, principle_1

    def parts(self, predicted_locs: Tensor, predicted_scores: Tensor, boxes: Sequence[Tensor],
              labels: Sequence[Tensor]) -> LossParts:
        B, P, C = predicted_scores.shape
        gt_boxes, gt_labels, gt_valid = matching.pad_ground_truth(boxes, labels)  # [B, G, 4], [B, G], [B, G]
        iou = matching.gt_prior_iou(gt_boxes, self.priors_cxcy)  # [B, G, P]
        if self.principle_1:
            gt_index, _, _ = matching.assign(iou, 0.5, True, gt_valid)  # [B, P]
        else:
            gt_index, _ = matching.principle2(iou, 0.5, gt_valid)  # [B, P]
        positive = gt_index >= 0  # [B, P]
        index = gt_index.clamp(min=0)  # [B, P]
        target_labels = torch.where(positive, gt_labels.gather(1, index), matching.BACKGROUND)  # [B, P]
        matched_boxes = gt_boxes.gather(1, index.unsqueeze(-1).expand(B, P, 4))  # [B, P, 4]
        loc_targets = encode(matched_boxes, self.priors_cxcy)  # [B, P, 4]
        n = positive.sum().clamp(min=1)
        if self.location == "smooth_l1":
            loc = smooth_l1(predicted_locs - loc_targets).sum(dim=-1)[positive].sum() / n
        else:
            loc = classic_location_loss(predicted_locs, loc_targets, positive)
        conf_per_prior = F.cross_entropy(predicted_scores.reshape(B * P, C), target_labels.reshape(B * P),
                                         reduction="none").reshape(B, P)  # [B, P]
        hard_negative = hard_negative_mask(conf_per_prior, positive, self.neg_pos_ratio)  # [B, P]
        conf = conf_per_prior[positive | hard_negative].sum() / n
        return LossParts(total=conf + loc, loc=loc, conf=conf, num_positives=positive.sum())


def make_criterion(name: str, priors_cxcy: Tensor) -> nn.Module:
    """The loss of a variant: the package's own for ``multibox``, an :class:`AblatedLoss` otherwise."""
    if name == "multibox":
        return MultiBoxLoss(priors_cxcy)
    return AblatedLoss(priors_cxcy, **VARIANTS[name])


@torch.no_grad()
def measure(model: nn.Module, scenes: data.SceneDataset, batch_size: int = 50) -> dict:
    """The variant's metrics on held-out scenes (see the module docstring)."""
    priors_cxcy = tiny_detector_priors()
    detections, ground_truths, right_class_probability = [], [], []
    loader = torch.utils.data.DataLoader(scenes, batch_size=batch_size, collate_fn=data.collate_scenes)
    model.eval()
    device = next(model.parameters()).device
    for images, boxes, labels in loader:
        predicted_locs, predicted_scores = (t.float().cpu() for t in model(images.to(device)))  # [B, P, 4], [B, P, C]
        detections += detect(predicted_locs, predicted_scores, priors_cxcy)
        ground_truths += list(zip(boxes, labels))
        # how sure is the detector of the right class on the priors that should detect an object?
        match = matching.match_priors_batch(boxes, labels, priors_cxcy)  # fields [B, P]
        probability = predicted_scores.softmax(dim=-1).gather(2, match.labels.unsqueeze(-1)).squeeze(-1)  # [B, P]
        right_class_probability.append(probability[match.gt_index >= 0])
    groups = ("principle2_matchable", "principle1_only")
    confident_hits = {group: [] for group in groups}
    any_hits = {group: [] for group in groups}
    hit_iou, confident = [], 0
    for found, (boxes, labels) in zip(detections, ground_truths):
        sure = found.scores >= CONFIDENT
        confident += int(sure.sum())
        best_prior_iou = matching.gt_prior_iou(boxes, priors_cxcy).max(dim=1).values  # [G]
        for g in range(len(boxes)):
            group = "principle2_matchable" if best_prior_iou[g] >= 0.5 else "principle1_only"
            mine = found.labels == labels[g]
            overlap = box_iou(boxes[g : g + 1], found.boxes)[0]  # [D]
            hit = (overlap > 0.5) & mine  # [D]
            any_hits[group].append(bool(hit.any()))
            confident_hits[group].append(bool((hit & sure).any()))
            if (hit & sure).any():
                hit_iou.append(float(overlap[hit & sure].max()))

    def share(values: list[bool]) -> float:
        return sum(values) / len(values) if values else 0.0

    every = confident_hits["principle2_matchable"] + confident_hits["principle1_only"]
    metrics = {
        "map50": mean_average_precision(detections, ground_truths, 0.5),
        "map75": mean_average_precision(detections, ground_truths, 0.75),
        "ap50_per_class": {
            data.SHAPE_CLASSES[c]: ap for c, ap in average_precisions(detections, ground_truths).items()
        },
        "confident_recall": share(every),
        "mean_iou_of_confident_hits": sum(hit_iou) / len(hit_iou) if hit_iou else 0.0,
        "confident_detections_per_image": confident / len(detections),
        "right_class_probability_on_positives": float(torch.cat(right_class_probability).mean()),
        "gt_per_image": len(every) / len(detections),
        "gt_principle1_only": len(confident_hits["principle1_only"]),
        "gt_total": len(every),
    }
    for group in groups:
        metrics[f"confident_recall_{group}"] = share(confident_hits[group])
        metrics[f"recall_any_score_{group}"] = share(any_hits[group])
    return metrics


def check_rebuilt_loss() -> None:
    """The rebuilt loss with nothing switched off equals the package's MultiBox loss."""
    generator = torch.Generator().manual_seed(0)
    batch = data.collate_scenes([data.make_scene(seed) for seed in range(4)])
    locs = torch.randn(4, 441, 4, generator=generator)
    scores = torch.randn(4, 441, len(data.SHAPE_CLASSES), generator=generator)
    priors_cxcy = tiny_detector_priors()
    expected = multibox_loss(locs, scores, batch[1], batch[2], priors_cxcy)
    got = AblatedLoss(priors_cxcy).parts(locs, scores, batch[1], batch[2])
    for name in ("total", "loc", "conf", "num_positives"):
        torch.testing.assert_close(getattr(got, name), getattr(expected, name))


def run_variant(name: str, args: argparse.Namespace, device: torch.device) -> dict:
    """Train one variant as ``python -m ssd_course.train`` would, then measure it."""
    train.seed_everything(args.seed)
    model = TinyDetector(DetectorConfig(num_classes=len(data.SHAPE_CLASSES))).to(device)
    if device.type == "cpu":  # as the training program does
        model = model.to(memory_format=torch.channels_last)
    criterion = make_criterion(name, tiny_detector_priors()).to(device)
    optimizer, scheduler = train.make_optimizer(model, lr=args.lr, steps=args.steps)
    scaler = train.make_grad_scaler(device, enabled=device.type == "cuda")
    loader = torch.utils.data.DataLoader(data.SceneDataset(args.steps * args.batch_size), batch_size=args.batch_size,
                                         collate_fn=data.collate_scenes)
    print(f"{name}: training {args.steps} steps", flush=True)
    start = time.perf_counter()
    history = train.train_steps(model, criterion, optimizer, loader, scheduler=scheduler, scaler=scaler,
                                progress=train.ProgressBar(args.steps))
    seconds = time.perf_counter() - start
    metrics = measure(model, data.SceneDataset(args.eval_scenes, seed=data.HELD_OUT_SEED))
    print(f"{name}: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float)), flush=True)
    return {
        "metrics": metrics,
        "train_seconds": round(seconds, 1),
        "history": {key: [round(v, 4) for v in history[key]] for key in ("total", "loc", "conf")},
    }


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=None, help="default: 400 (--quick: 20)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 32 (--quick: 8)")
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-scenes", type=int, default=None, help="default: 500 (--quick: 50)")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "all"), default="auto",
                        help="where to train; 'all' means 'auto' here")
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny runs, written to runs/")
    parser.add_argument("--out", type=Path, default=None,
                        help="default: checkpoints/ablation.json (--quick: runs/ablation_quick.json)")
    args = parser.parse_args(argv)
    quick = {"steps": 20, "batch_size": 8, "eval_scenes": 50, "out": Path("runs/ablation_quick.json")}
    full = {"steps": 400, "batch_size": 32, "eval_scenes": 500, "out": Path("checkpoints/ablation.json")}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    device = train.pick_device("auto" if args.device == "all" else args.device)
    check_rebuilt_loss()
    results = {
        "command": "python benchmarks/loss_ablation.py " + shlex.join(argv),
        "settings": {"steps": args.steps, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
                     "eval_scenes": args.eval_scenes, "confident_score": CONFIDENT},
        "machine": f"{platform.machine()}, {device.type}, {torch.get_num_threads()} threads, torch {torch.__version__}",
        "variants": {},
    }
    for name in args.variants:
        results["variants"][name] = run_variant(name, args, device)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")  # after each, in case of Ctrl-C
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
