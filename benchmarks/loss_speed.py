"""How fast is the batched MultiBox loss? A timing against a per-image loop.

Times forward + backward of :func:`ssd_course.loss.multibox_loss` against a straightforward
implementation of the same maths that matches one image at a time in a Python loop, as the
popular implementations do (:func:`loop_multibox_loss` below). Both run on the same inputs
in the same process, and both are checked to give the same loss before anything is timed.

Also timed, in the same rounds: one cross-entropy without gradient over all ``B * P`` scores
(``F.cross_entropy`` of ``[B * P, C]`` logits), the least a loss that ranks every prior by
its confidence loss must compute, so ``batched / CE`` says how many such passes the whole
loss costs; and the batched loss with ``check_finite=False``, so that the cost of checking the
predictions for NaN and inf is measured (``check_finite`` on vs off).

The loop and the batched loss are timed in turns, one run of each per round, so that a
change in the machine's load affects both alike; the cross-entropy and the unchecked loss too.
The order of the turns is shuffled anew each round (seeded), so that none of them always
runs right after the loop, which leaves the caches full of its own data. Each time is the
median of ``--repeats`` runs after a few untimed ones; each ratio is the median of the ratios
within a round (see :func:`median_ratio`).

Usage::

    python benchmarks/loss_speed.py [--quick] [--device cpu|cuda|all] [--repeats N] [--threads N]

Prints one Markdown table per device (medians in milliseconds), ready to paste into a README.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ssd_course.loss import multibox_loss
from ssd_course.matching import TIE_TOLERANCE, first_argmax
from ssd_course.priors import ssd300_priors, tiny_detector_priors

NUM_CLASSES = 21  # C: 20 object classes (Pascal VOC) + background
BATCH_SIZES = (1, 8, 32)
MAX_GT = 10  # each image gets 1..MAX_GT GT boxes
THRESHOLD, NEG_POS_RATIO, VARIANCES = 0.5, 3, (0.1, 0.2)


# ------------------------------------------------------------------------------------------
# The reference: one image at a time
# ------------------------------------------------------------------------------------------

def _iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """IoU of xyxy boxes ``[G, 4]`` and ``[P, 4]``: ``[G, P]``."""
    top_left = torch.max(boxes1[:, None, :2], boxes2[None, :, :2])  # [G, P, 2]
    bottom_right = torch.min(boxes1[:, None, 2:], boxes2[None, :, 2:])  # [G, P, 2]
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=2)  # [G, P]
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])  # [G]
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])  # [P]
    return inter / (area1[:, None] + area2[None, :] - inter)


def _best_prior_per_gt(iou: Tensor) -> Tensor:
    """Principle 1 for one image: each GT's best prior, all distinct (``unique=True``).

    The per-GT argmax, with the package's tie rule (IoUs within ``TIE_TOLERANCE`` of the
    largest tie; the lowest index wins). When two GTs share a best prior (rare), fall back to
    the greedy assignment of the package: repeatedly serve the GT with the highest IoU among
    the free priors and give it its best free prior.
    """
    near_best = iou >= iou.amax(dim=1, keepdim=True) - TIE_TOLERANCE  # [G, P]
    if bool((near_best.sum(dim=0) <= 1).all()):  # no prior is among the best of two GTs
        return first_argmax(iou, dim=1)
    best = torch.empty(iou.shape[0], dtype=torch.long, device=iou.device)
    work = iou.clone()
    for _ in range(iou.shape[0]):
        gt = int(first_argmax(work.amax(dim=1), dim=0))
        prior = int(first_argmax(work[gt], dim=0))
        best[gt] = prior
        work[gt, :] = float("-inf")
        work[:, prior] = float("-inf")
    return best


def loop_multibox_loss(
    predicted_locs: Tensor, predicted_scores: Tensor, boxes: list[Tensor], labels: list[Tensor], priors_cxcy: Tensor
) -> Tensor:
    """The MultiBox loss with matching and mining done image by image, in a Python loop.

    Same maths as ``multibox_loss(...).total`` with its defaults (threshold 0.5, 3 negatives
    per positive, alpha 1, variances (0.1, 0.2), distinct best priors).

    Args:
        predicted_locs (Tensor[B, P, 4]): predicted offsets.
        predicted_scores (Tensor[B, P, C]): class logits.
        boxes (list[Tensor[G_b, 4]]): GT boxes of each image, fractional xyxy, G_b >= 1.
        labels (list[Tensor[G_b]]): GT labels of each image, 1..C-1.
        priors_cxcy (Tensor[P, 4]): priors as (cx, cy, w, h).

    Returns:
        Tensor[]: ``(L_conf + L_loc) / N``.
    """
    priors_xyxy = torch.cat((priors_cxcy[:, :2] - priors_cxcy[:, 2:] / 2,
                             priors_cxcy[:, :2] + priors_cxcy[:, 2:] / 2), dim=1)  # [P, 4]
    num_priors = priors_cxcy.shape[0]
    loc_sum = predicted_locs.new_zeros(())
    conf_sum = predicted_scores.new_zeros(())
    num_positives = 0
    for b in range(predicted_locs.shape[0]):
        gt_boxes, gt_labels = boxes[b], labels[b]
        num_gt = gt_boxes.shape[0]
        # 1. match: principle 2 (best GT of each prior, if IoU >= threshold), then principle 1
        # (best prior of each GT) written over it by index assignment
        iou = _iou(gt_boxes, priors_xyxy)  # [G, P]
        best_iou, gt_index = iou.amax(dim=0), first_argmax(iou, dim=0)  # [P], [P]
        gt_index[best_iou < THRESHOLD - TIE_TOLERANCE] = -1
        gt_index[_best_prior_per_gt(iou)] = torch.arange(num_gt, device=iou.device)
        positive = gt_index >= 0  # [P]
        prior_labels = torch.where(positive, gt_labels[gt_index.clamp(min=0)], 0)  # [P]
        # 2. location loss of the positives: smooth L1 against the encoded GT boxes
        matched = gt_boxes[gt_index[positive]]  # [n, 4]
        matched_cxcy = torch.cat(((matched[:, :2] + matched[:, 2:]) / 2, matched[:, 2:] - matched[:, :2]), dim=1)
        pos_priors = priors_cxcy[positive]  # [n, 4]
        targets = torch.cat(((matched_cxcy[:, :2] - pos_priors[:, :2]) / pos_priors[:, 2:] / VARIANCES[0],
                             torch.log(matched_cxcy[:, 2:] / pos_priors[:, 2:]) / VARIANCES[1]), dim=1)  # [n, 4]
        loc_sum = loc_sum + F.smooth_l1_loss(predicted_locs[b][positive], targets, reduction="sum")
        # 3. confidence loss of every prior
        conf = F.cross_entropy(predicted_scores[b], prior_labels, reduction="none")  # [P]
        # 4. hard negative mining: sort this image's negatives by loss, keep the top 3 per positive
        n_pos = int(positive.sum())
        negatives = conf[~positive]  # [P - n_pos]
        n_kept = min(NEG_POS_RATIO * n_pos, num_priors - n_pos)
        hardest = negatives.sort(descending=True).values[:n_kept]  # [n_kept]
        conf_sum = conf_sum + conf[positive].sum() + hardest.sum()
        num_positives += n_pos
    return (conf_sum + loc_sum) / max(num_positives, 1)


# ------------------------------------------------------------------------------------------
# Inputs and timing
# ------------------------------------------------------------------------------------------

def make_inputs(batch_size: int, priors_cxcy: Tensor, device: torch.device, seed: int = 0):
    """Seeded predictions and 1..MAX_GT random valid fractional GT boxes per image."""
    generator = torch.Generator().manual_seed(seed)
    P = priors_cxcy.shape[0]
    locs = torch.randn(batch_size, P, 4, generator=generator)  # [B, P, 4]
    scores = torch.randn(batch_size, P, NUM_CLASSES, generator=generator)  # [B, P, C]
    boxes, labels = [], []
    for _ in range(batch_size):
        n = int(torch.randint(1, MAX_GT + 1, (), generator=generator))
        size = 0.05 + 0.6 * torch.rand(n, 2, generator=generator)  # [n, 2]
        corner = (1 - size) * torch.rand(n, 2, generator=generator)  # [n, 2]
        boxes.append(torch.cat((corner, corner + size), dim=1).to(device))  # [n, 4]
        labels.append(torch.randint(1, NUM_CLASSES, (n,), generator=generator).to(device))  # [n]
    locs = locs.to(device).requires_grad_()
    scores = scores.to(device).requires_grad_()
    return locs, scores, boxes, labels


def time_rounds(
    fns: dict[str, Callable[[], object]], device: torch.device, repeats: int, warmup: int
) -> dict[str, list[float]]:
    """Wall time of each ``fn()`` in ``repeats`` rounds, in milliseconds, after ``warmup`` untimed rounds.

    The functions are timed in turns (one run of each per round), so that a change in the
    machine's load during the measurement affects all of them alike, and in an order shuffled
    anew each round (seeded), so that none of them always runs right after the same one: what
    a function leaves in the caches (the loop touches the most memory) then favours or slows
    them all alike. Entry ``i`` of every list is from round ``i``.
    """
    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    shuffler = random.Random(0)
    for _ in range(repeats):
        for name in shuffler.sample(list(fns), len(fns)):
            sync()
            start = time.perf_counter()
            fns[name]()
            sync()
            times[name].append((time.perf_counter() - start) * 1e3)
    return times


def median_ratio(numerator: list[float], denominator: list[float]) -> float:
    """The median over the rounds of the ratio of two functions' times in the same round.

    Two functions timed moments apart share the machine's load of that moment, which a
    shared machine changes from round to round: their ratio round by round cancels it, where
    the ratio of two medians, taken from different rounds, does not.
    """
    return statistics.median(a / b for a, b in zip(numerator, denominator))


def forward_backward(loss_fn: Callable[[], Tensor], inputs: tuple[Tensor, Tensor]) -> Callable[[], object]:
    """``loss_fn()`` and the gradients of its result with respect to ``inputs``."""
    return lambda: torch.autograd.grad(loss_fn(), inputs)


def benchmark_device(device: torch.device, repeats: int, warmup: int) -> list[str]:
    """Time every configuration on one device; return the Markdown lines."""
    if device.type == "cuda":
        where = (f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda}), "
                 f"{torch.get_num_threads()} CPU threads")
    else:
        where = f"CPU ({platform.processor() or platform.machine()}), {torch.get_num_threads()} threads"
    lines = [
        f"torch {torch.__version__}, {where}; median of {repeats} runs of forward + backward "
        "(ratios: median of the ratios within a round), "
        f"C = {NUM_CLASSES}, 1-{MAX_GT} GT boxes per image",
        "",
        "| B | priors | per-image loop (ms) | batched (ms) | unchecked (ms) | CE (ms) | loop / batched "
        "| batched / CE | check_finite cost |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for prior_set in (tiny_detector_priors(), ssd300_priors()):
        priors_cxcy = prior_set.to(device)
        for batch_size in BATCH_SIZES:
            locs, scores, boxes, labels = make_inputs(batch_size, priors_cxcy, device)

            def batched() -> Tensor:
                return multibox_loss(locs, scores, boxes, labels, priors_cxcy).total

            def unchecked() -> Tensor:
                return multibox_loss(locs, scores, boxes, labels, priors_cxcy, check_finite=False).total

            def loop() -> Tensor:
                return loop_multibox_loss(locs, scores, boxes, labels, priors_cxcy)

            flat_scores = scores.detach().reshape(-1, NUM_CLASSES)  # [B * P, C]
            background = torch.zeros(flat_scores.shape[0], dtype=torch.long, device=device)  # [B * P]

            def cross_entropy() -> Tensor:
                with torch.no_grad():
                    return F.cross_entropy(flat_scores, background, reduction="none")

            # correctness first: the two implementations must agree before their speed means anything
            torch.testing.assert_close(batched(), loop(), rtol=1e-4, atol=1e-6)
            times = time_rounds(
                {"loop": forward_backward(loop, (locs, scores)), "batched": forward_backward(batched, (locs, scores)),
                 "unchecked": forward_backward(unchecked, (locs, scores)), "ce": cross_entropy},
                device, repeats, warmup,
            )
            ms = {name: statistics.median(values) for name, values in times.items()}
            lines.append(
                f"| {batch_size} | {priors_cxcy.shape[0]} | {ms['loop']:.2f} | {ms['batched']:.2f} "
                f"| {ms['unchecked']:.2f} | {ms['ce']:.2f} | {median_ratio(times['loop'], times['batched']):.1f}× "
                f"| {median_ratio(times['batched'], times['ce']):.1f}× "
                f"| {100 * (median_ratio(times['batched'], times['unchecked']) - 1):+.0f} % |"
            )
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 timed runs after 1 warm-up (a smoke test)")
    parser.add_argument("--device", choices=("cpu", "cuda", "all"), default="all",
                        help="where to run; 'all' (default) is the CPU, and CUDA when present")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per measurement (default 20)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads for the CPU (default: the machine's default, left as it is); "
                             "1 gives steadier figures on a loaded machine, where threads wait for one another")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 20)
    warmup = 1 if args.quick else 3

    devices = []
    if args.device in ("cpu", "all"):
        devices.append(torch.device("cpu"))
    if args.device in ("cuda", "all") and torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    elif args.device == "cuda":
        parser.error("--device cuda: no CUDA GPU is available")

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch.get_num_threads() = {torch.get_num_threads()}\n", flush=True)
    tables = [benchmark_device(device, repeats, warmup) for device in devices]
    print()
    for table in tables:
        print("\n".join(table) + "\n")


if __name__ == "__main__":
    main()
