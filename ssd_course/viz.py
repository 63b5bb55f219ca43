"""Drawings for the course, in matplotlib only.

Every function takes a matplotlib ``ax``, draws on it and returns it; none calls
``plt.show()``. Boxes are drawn in the fractional coordinates used everywhere in the
course: :func:`show_image` stretches the picture over (0, 0)-(1, 1) with the y axis pointing
down, so a box (x1, y1, x2, y2) lands where it belongs whatever the image size.

Colours follow the study guide's figures: GT boxes (真实框) yellow, prior boxes (先验框)
red; a prior matched to a GT takes that GT's colour from :data:`GT_COLORS`. Figures carry
English text only: CJK glyphs are missing from matplotlib's default fonts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from torch import Tensor

from ssd_course.boxes import cxcywh_to_xyxy
from ssd_course.matching import Match

__all__ = [
    "GT_COLOR",
    "GT_COLORS",
    "PRIOR_COLOR",
    "draw_boxes",
    "draw_gt_boxes",
    "draw_match",
    "draw_priors",
    "gt_color",
    "show_image",
    "summarise_match",
]

GT_COLOR = "#ffd700"  # yellow, as in the study guide's figures
PRIOR_COLOR = "#e41a1c"  # red
# colours of matched priors, one per GT; none of them is close to red or yellow
GT_COLORS = ("#1f78b4", "#33a02c", "#6a3d9a", "#ff7f00", "#00bcd4", "#f781bf", "#8c564b", "#7f7f7f")


def gt_color(gt_index: int) -> str:
    """The colour of GT ``gt_index`` and of the priors matched to it."""
    return GT_COLORS[gt_index % len(GT_COLORS)]


def _numpy_boxes(boxes: Tensor | np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    if isinstance(boxes, Tensor):
        boxes = boxes.detach().cpu().double().numpy()
    boxes = np.asarray(boxes, dtype=float)
    return boxes.reshape(-1, 4)


def show_image(ax: Axes, image: np.ndarray | None = None, title: str | None = None) -> Axes:
    """Show an image stretched over fractional coordinates (0, 0)-(1, 1), y pointing down.

    Args:
        ax (Axes): where to draw.
        image (np.ndarray[H, W, 3] | None): the picture; ``None`` draws an empty grey frame
            of a square image.
        title (str | None): the axes title.

    Returns:
        Axes: ``ax``.
    """
    if image is not None:
        height, width = image.shape[:2]
        ax.imshow(image, extent=(0, 1, 1, 0), interpolation="bilinear")
        ax.set_aspect(height / width)
    else:
        ax.set_facecolor("#f2f2f2")
        ax.set_aspect(1.0)
    ax.set_xlim(0, 1)
    ax.set_ylim(1, 0)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def draw_boxes(
    ax: Axes,
    boxes_xyxy: Tensor | np.ndarray | Sequence[Sequence[float]],
    *,
    color: str | Sequence[str] = PRIOR_COLOR,
    texts: Sequence[str] | None = None,
    linewidth: float = 2.0,
    linestyle: str = "-",
    alpha: float = 1.0,
    fill: bool = False,
    label: str | None = None,
    text_at: str = "top",
) -> Axes:
    """Draw xyxy boxes, optionally with a caption on each.

    Args:
        ax (Axes): where to draw.
        boxes_xyxy (Tensor[N, 4]): boxes as fractional (x1, y1, x2, y2).
        color (str | Sequence[str]): one colour, or one per box.
        texts (Sequence[str] | None): a caption per box, written at its top-left corner
            (``text_at="top"``) or inside its bottom-left corner (``"bottom"``).
        linewidth (float): edge width in points.
        linestyle (str): matplotlib line style, e.g. ``"-"`` or ``"--"``.
        alpha (float): opacity of the edges.
        fill (bool): fill the boxes with their colour at a quarter of ``alpha``.
        label (str | None): legend entry for the whole set.

    Returns:
        Axes: ``ax``.
    """
    boxes = _numpy_boxes(boxes_xyxy)
    colors = [color] * len(boxes) if isinstance(color, str) else list(color)
    if len(colors) != len(boxes):
        raise ValueError(f"color must be one colour or one per box ({len(boxes)}); got {len(colors)} colours")
    if texts is not None and len(texts) != len(boxes):
        raise ValueError(f"texts must have one caption per box ({len(boxes)}); got {len(texts)}")
    for i, ((x1, y1, x2, y2), c) in enumerate(zip(boxes, colors)):
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=c, linewidth=linewidth,
                               linestyle=linestyle, alpha=alpha))
        if fill:
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, facecolor=c, edgecolor="none", alpha=alpha / 4))
        if texts is not None and texts[i]:
            x, y, va = (x1, y1, "bottom") if text_at == "top" else (x1, y2, "top")
            x, y = min(max(x, 0.0), 0.98), min(max(y, 0.03), 0.99)
            ax.text(x, y, texts[i], color="black" if c == GT_COLOR else "white", fontsize=8, va=va,
                    ha="left", bbox=dict(facecolor=c, edgecolor="none", alpha=0.85, pad=1.5), clip_on=True)
    if label is not None:  # an invisible line that stands for the whole set in a legend
        ax.add_line(Line2D([], [], color=colors[0] if colors else color, linewidth=linewidth,
                           linestyle=linestyle, label=label))
    return ax


def draw_gt_boxes(
    ax: Axes,
    boxes_xyxy: Tensor | np.ndarray,
    names: Sequence[str] | None = None,
    *,
    color: str | Sequence[str] = GT_COLOR,
    linewidth: float = 3.0,
    label: str | None = "GT box",
) -> Axes:
    """Draw GT boxes: thick and yellow, captioned ``"0: cup"`` with index and class name.

    Args:
        ax (Axes): where to draw.
        boxes_xyxy (Tensor[G, 4]): GT boxes as fractional (x1, y1, x2, y2).
        names (Sequence[str] | None): the class name of each box.
        color (str | Sequence[str]): yellow by default; ``gt_color(g)`` per box colours
            each GT like its matched priors.
        linewidth (float): edge width in points.
        label (str | None): legend entry.

    Returns:
        Axes: ``ax``.
    """
    boxes = _numpy_boxes(boxes_xyxy)
    texts = [f"GT {g}" + (f": {names[g]}" if names is not None else "") for g in range(len(boxes))]
    return draw_boxes(ax, boxes, color=color, texts=texts, linewidth=linewidth, label=label)


def draw_priors(
    ax: Axes,
    priors_cxcy: Tensor,
    *,
    color: str | Sequence[str] = PRIOR_COLOR,
    texts: Sequence[str] | None = None,
    linewidth: float = 1.5,
    linestyle: str = "-",
    alpha: float = 1.0,
    centres: bool = False,
    label: str | None = "prior box",
) -> Axes:
    """Draw priors given as (cx, cy, w, h), red by default, optionally with their centres.

    Args:
        ax (Axes): where to draw.
        priors_cxcy (Tensor[P, 4]): priors as fractional (cx, cy, w, h).
        color (str | Sequence[str]): one colour, or one per prior.
        texts (Sequence[str] | None): a caption per prior (e.g. its index).
        linewidth (float): edge width in points.
        linestyle (str): matplotlib line style.
        alpha (float): opacity.
        centres (bool): mark each prior's centre with a dot.
        label (str | None): legend entry.

    Returns:
        Axes: ``ax``.
    """
    priors = priors_cxcy.detach().cpu().double()
    draw_boxes(ax, cxcywh_to_xyxy(priors), color=color, texts=texts, linewidth=linewidth,
               linestyle=linestyle, alpha=alpha, label=label, text_at="bottom")
    if centres:
        ax.scatter(priors[:, 0].numpy(), priors[:, 1].numpy(), s=6, c=[color] if isinstance(color, str) else color,
                   zorder=3)
    return ax


def draw_match(
    ax: Axes,
    match: Match,
    priors_cxcy: Tensor,
    gt_boxes: Tensor,
    names: Sequence[str] | None = None,
    *,
    image: np.ndarray | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """Draw the result of matching one image: GT boxes and the priors matched to them.

    Each GT and its priors share a colour from :data:`GT_COLORS`. Priors matched by
    principle 1 are drawn solid and thick with a star at their centre; those matched by
    principle 2 are dashed. Unmatched priors (background) are not drawn. A GT whose colour
    appears on no prior has been lost.

    Args:
        ax (Axes): where to draw.
        match (Match): one image's match (fields ``[P]``), from :func:`ssd_course.matching.match_priors`.
        priors_cxcy (Tensor[P, 4]): the priors that were matched.
        gt_boxes (Tensor[G, 4]): the image's GT boxes, fractional xyxy.
        names (Sequence[str] | None): class name of each GT box.
        image (np.ndarray[H, W, 3] | None): the photo to draw on.
        title (str | None): the axes title.
        legend (bool): add a legend explaining the line styles.

    Returns:
        Axes: ``ax``.
    """
    if match.gt_index.dim() != 1:
        raise ValueError(
            f"match must be the match of one image, fields of shape [P]; got gt_index of shape "
            f"{list(match.gt_index.shape)} (index a batch's fields with [b] first)"
        )
    show_image(ax, image, title)
    gt_index = match.gt_index.cpu()
    principle = match.principle.cpu()
    priors = priors_cxcy.detach().cpu()
    for number, style, width in ((2, "--", 1.2), (1, "-", 2.5)):  # principle 1 on top
        chosen = (principle == number).nonzero().flatten()
        if len(chosen) == 0:
            continue
        colors = [gt_color(int(gt_index[p])) for p in chosen]
        draw_priors(ax, priors[chosen], color=colors, linewidth=width, linestyle=style, label=None)
        if number == 1:
            ax.scatter(priors[chosen, 0].numpy(), priors[chosen, 1].numpy(), marker="*", s=140, c=colors,
                       edgecolors="white", linewidths=0.8, zorder=4)
    G = gt_boxes.shape[0]
    draw_gt_boxes(ax, gt_boxes, names, color=[gt_color(g) for g in range(G)], label=None)
    draw_boxes(ax, gt_boxes, color=GT_COLOR, linewidth=1.0, linestyle=":")
    if legend:
        handles = [
            Line2D([], [], color="black", linewidth=3, label="GT box (colour = GT)"),
            Line2D([], [], color="black", linewidth=2.5, marker="*", markersize=10,
                   label="prior matched by principle 1"),
            Line2D([], [], color="black", linewidth=1.2, linestyle="--", label="prior matched by principle 2"),
        ]
        lost = sorted(set(range(G)) - set(gt_index[gt_index >= 0].tolist()))
        if lost:
            handles.append(Patch(facecolor="none", edgecolor="none",
                                 label="lost GT: " + ", ".join(str(g) for g in lost)))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2, fontsize=8,
                  frameon=False)
    return ax


def summarise_match(match: Match, names: Sequence[str] | None = None) -> str:
    """One line per GT: how many priors it got and by which principle (for printing).

    Args:
        match (Match): one image's match (fields ``[P]``).
        names (Sequence[str] | None): class name of each GT box (also sets how many GTs).

    Returns:
        str: e.g. ``"GT 0 (cup): 5 priors (1 by principle 1, 4 by principle 2)"`` lines and a total.
    """
    gt_index = match.gt_index.cpu()
    principle = match.principle.cpu()
    G = len(names) if names is not None else int(gt_index.max().item()) + 1
    lines = []
    for g in range(G):
        mine = gt_index == g
        n1, n2 = int((mine & (principle == 1)).sum()), int((mine & (principle == 2)).sum())
        name = f" ({names[g]})" if names is not None else ""
        lines.append(f"GT {g}{name}: {n1 + n2} priors ({n1} by principle 1, {n2} by principle 2)")
    positives = int((gt_index >= 0).sum())
    lines.append(f"positives: {positives}, negatives: {len(gt_index) - positives}")
    return "\n".join(lines)

