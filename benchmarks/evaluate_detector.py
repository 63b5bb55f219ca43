"""Evaluate a trained tiny detector: VOC mAP@0.5 on held-out generated scenes.

Usage::

    python benchmarks/evaluate_detector.py [--checkpoint checkpoints/tiny_detector.pt] [--scenes 500]
                                           [--device auto|cpu|cuda] [--quick]

The checkpoint is loaded with ``torch.load(..., weights_only=True)`` (through
:func:`ssd_course.train.load_checkpoint`). The held-out scenes are
``SceneDataset(scenes, seed=HELD_OUT_SEED)``: seeds that no training run uses. Prints the AP
of each class and the mAP, to 4 decimals; the target is mAP@0.5 >= 0.9 on 500 scenes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from ssd_course import data, train
from ssd_course.detection import Detections, average_precisions


def main(argv: Sequence[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description="VOC mAP@0.5 of a tiny detector checkpoint on held-out scenes.")
    parser.add_argument("--checkpoint", type=Path, default=Path("checkpoints/tiny_detector.pt"))
    parser.add_argument("--scenes", type=int, default=None, help="held-out scenes (default: 500; --quick: 100)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "all"), default="auto",
                        help="where to run; 'all' means 'auto' here")
    parser.add_argument("--quick", action="store_true", help="only 100 held-out scenes")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.scenes is None:
        args.scenes = 100 if args.quick else 500

    model, checkpoint = train.load_checkpoint(args.checkpoint, train.pick_device(
        "auto" if args.device == "all" else args.device))
    scenes = data.SceneDataset(args.scenes, seed=data.HELD_OUT_SEED)
    loader = torch.utils.data.DataLoader(scenes, batch_size=50, collate_fn=data.collate_scenes)
    detections, ground_truths = [], []
    for images, boxes, labels in loader:
        detections += [Detections(*(t.cpu() for t in found)) for found in train.predict(model, images)]
        ground_truths += list(zip(boxes, labels))
    per_class = average_precisions(detections, ground_truths, iou_threshold=0.5)
    mean_ap = sum(per_class.values()) / len(per_class)

    print(f"checkpoint: {args.checkpoint} ({checkpoint['steps']} steps of {checkpoint['batch_size']} scenes)")
    print(f"held-out scenes: {args.scenes}, seeds {data.HELD_OUT_SEED}..{data.HELD_OUT_SEED + args.scenes - 1}")
    for label, ap in per_class.items():
        print(f"  AP@0.5 {checkpoint['class_names'][label]:<10} {ap:.4f}")
    print(f"mAP@0.5: {mean_ap:.4f}")
    return mean_ap


if __name__ == "__main__":
    main()
