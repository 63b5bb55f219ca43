"""Time one update of the notebook explorers (441 priors, CPU): matching, drawing, PNG.

    python benchmarks/widget_update.py [--repeats N]

An update is what happens when a learner releases a slider: the controls' values are read,
the matching is recomputed, the figure is drawn off-screen and encoded as PNG, and the
readout is rewritten. The target for the IoU-threshold explorer is at most 150 ms.
Prints a Markdown table (median and 90th percentile over the repeats).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import matplotlib
import torch

matplotlib.use("Agg")

from ssd_course import data, matching, priors, widgets  # noqa: E402


def time_updates(explorer: widgets.Explorer, control: str, values: list[float], repeats: int) -> list[float]:
    times = []
    for i in range(repeats):
        value = values[i % len(values)]
        if explorer.controls[control].value == value:
            value = values[(i + 1) % len(values)]
        start = time.perf_counter()
        explorer.controls[control].value = value  # triggers exactly one update
        times.append((time.perf_counter() - start) * 1000)
    return times


def time_call(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def row(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"| {name} | {statistics.median(times):.1f} | {p90:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    photo = data.load_photo("coffee")
    priors_cxcy = priors.tiny_detector_priors()
    thresholds = [0.3, 0.4, 0.5, 0.6, 0.7]
    threshold_explorer = widgets.iou_threshold_explorer("coffee")
    ratio_explorer = widgets.negative_ratio_explorer("coffee")
    box = widgets.box_explorer("coffee")
    time_updates(threshold_explorer, "threshold", thresholds, 3)  # warm-up

    print(f"torch {torch.__version__}, matplotlib {matplotlib.__version__}, CPU threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} CPUs; {args.repeats} updates each\n")
    print("| one update | median ms | p90 ms |")
    print("|---|---|---|")
    print(row("IoU-threshold explorer (whole update)", time_updates(threshold_explorer, "threshold", thresholds,
                                                                     args.repeats)))
    print(row("  of which: match_priors (441 priors)", time_call(
        lambda: matching.match_priors(photo.boxes, photo.labels, priors_cxcy, 0.5), args.repeats)))
    print(row("negative-ratio explorer", time_updates(ratio_explorer, "neg_pos_ratio", [1.0, 2.0, 3.0, 5.0],
                                                      args.repeats)))
    print(row("box explorer", time_updates(box, "cx", [0.3, 0.4, 0.5, 0.6], args.repeats)))


if __name__ == "__main__":
    main()
