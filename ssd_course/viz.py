"""Drawings for the course, in matplotlib only.

Every function takes a matplotlib ``ax``, draws on it and returns it; none calls
``plt.show()``. Boxes are drawn in the fractional coordinates used everywhere in the
course: :func:`show_image` stretches the picture over (0, 0)-(1, 1) with the y axis pointing
down, so a box (x1, y1, x2, y2) lands where it belongs whatever the image size.

Colours follow the study guide's figures: GT boxes (真实框) yellow, prior boxes (先验框)
red; a prior matched to a GT takes that GT's colour from :data:`GT_COLORS`. Every text a
figure shows goes through ``_`` (:func:`ssd_course.i18n.figure_text`), which gives it in the
language chosen with :func:`ssd_course.set_language`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter
from torch import Tensor

from ssd_course.boxes import box_area, box_intersection, box_iou, cxcywh_to_xyxy
from ssd_course.i18n import figure_text as _
from ssd_course.i18n import text
from ssd_course.loss import hard_negative_mask
from ssd_course.matching import Match

__all__ = [
    "GT_COLOR",
    "GT_COLORS",
    "PRIOR_COLOR",
    "draw_boxes",
    "draw_detections",
    "draw_feature_map_grid",
    "draw_gt_boxes",
    "draw_iou",
    "draw_iou_matrix",
    "draw_match",
    "draw_mined_negatives",
    "draw_numbered_priors",
    "draw_positives_vs_threshold",
    "draw_prior_iou_mosaic",
    "draw_prior_values",
    "draw_priors",
    "gt_color",
    "match_table",
    "plot_l1_l2_smooth",
    "plot_labelled_bars",
    "plot_loss_curve",
    "plot_ranked_negative_losses",
    "plot_sample_counts",
    "plot_smoothed_curves",
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
            (``text_at="top"``), inside its bottom-left corner (``"bottom"``) or at its
            centre (``"centre"``).
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
            # the y axis points down, so va="bottom" puts the text above its anchor on screen:
            # above the box's top edge, or inside the box over its bottom edge
            x, y, va = (x1, y1, "bottom") if text_at == "top" else (x1, y2, "bottom")
            x, y = min(max(x, 0.0), 0.98), min(max(y, 0.03), 0.99)
            ha = "left"
            if text_at == "centre":
                x, y, va, ha = (x1 + x2) / 2, (y1 + y2) / 2, "center", "center"
            ax.text(x, y, texts[i], color="black" if c == GT_COLOR else "white", fontsize=8, va=va,
                    ha=ha, bbox=dict(facecolor=c, edgecolor="none", alpha=0.85, pad=1.5), clip_on=True)
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
    return draw_boxes(ax, boxes, color=color, texts=texts, linewidth=linewidth, label=_(label))


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
    text_at: str = "bottom",
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
        text_at (str): where the captions go: ``"bottom"``, ``"top"`` or ``"centre"``
            (see :func:`draw_boxes`).

    Returns:
        Axes: ``ax``.
    """
    priors = priors_cxcy.detach().cpu().double()
    draw_boxes(ax, cxcywh_to_xyxy(priors), color=color, texts=texts, linewidth=linewidth,
               linestyle=linestyle, alpha=alpha, label=_(label), text_at=text_at)
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
    prior_texts: Sequence[str] | None = None,
    show_unmatched: bool = False,
    halo: bool = False,
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
        prior_texts (Sequence[str] | None): a caption per prior (all ``P`` of them, e.g. the
            numbers of a figure), written in a badge inside a corner of each prior drawn
            (see :func:`draw_numbered_priors`).
        show_unmatched (bool): also draw the unmatched (background) priors, red and dotted.
        halo (bool): outline every box in white, to keep it visible on a dark photo.

    Returns:
        Axes: ``ax``.
    """
    if match.gt_index.dim() != 1:
        raise ValueError(
            f"match must be the match of one image, fields of shape [P]; got gt_index of shape "
            f"{list(match.gt_index.shape)} (index a batch's fields with [b] first)"
        )
    show_image(ax, image, title)
    first_patch = len(ax.patches)
    gt_index = match.gt_index.cpu()
    principle = match.principle.cpu()
    priors = priors_cxcy.detach().cpu()
    if prior_texts is not None and len(prior_texts) != len(gt_index):
        raise ValueError(f"prior_texts must have one caption per prior ({len(gt_index)}); got {len(prior_texts)}")
    drawn, drawn_colors = [], []  # the priors drawn and their colours, for the badges

    unmatched = (principle == 0).nonzero().flatten()
    if show_unmatched and len(unmatched) > 0:
        draw_priors(ax, priors[unmatched], color=PRIOR_COLOR, linewidth=1.2, linestyle=":", label=None)
        drawn += unmatched.tolist()
        drawn_colors += [PRIOR_COLOR] * len(unmatched)
    for number, style, width in ((2, "--", 1.2), (1, "-", 2.5)):  # principle 1 on top
        chosen = (principle == number).nonzero().flatten()
        if len(chosen) == 0:
            continue
        colors = [gt_color(int(gt_index[p])) for p in chosen]
        draw_priors(ax, priors[chosen], color=colors, linewidth=width, linestyle=style, label=None)
        drawn += chosen.tolist()
        drawn_colors += colors
        if number == 1:
            ax.scatter(priors[chosen, 0].numpy(), priors[chosen, 1].numpy(), marker="*", s=140, c=colors,
                       edgecolors="white", linewidths=0.8, zorder=4)
    G = gt_boxes.shape[0]
    draw_gt_boxes(ax, gt_boxes, names, color=[gt_color(g) for g in range(G)], label=None)
    if halo:  # the priors and the GT boxes, not the thin yellow overlay drawn next
        _add_halo(ax.patches[first_patch:])
    draw_boxes(ax, gt_boxes, color=GT_COLOR, linewidth=1.0, linestyle=":")
    if prior_texts is not None and drawn:  # after the GT captions, which the badges avoid
        _place_badges(ax, cxcywh_to_xyxy(priors[drawn].double()).numpy(), [prior_texts[p] for p in drawn],
                      drawn_colors)
    if legend:
        handles = [
            Line2D([], [], color="black", linewidth=3, label=_("GT box (colour = GT)")),
            Line2D([], [], color="black", linewidth=2.5, marker="*", markersize=10,
                   label=_("prior matched by principle 1")),
            Line2D([], [], color="black", linewidth=1.2, linestyle="--", label=_("prior matched by principle 2")),
        ]
        if show_unmatched and len(unmatched) > 0:
            handles.append(Line2D([], [], color=PRIOR_COLOR, linewidth=1.2, linestyle=":",
                                  label=_("unmatched prior (background)")))
        lost = sorted(set(range(G)) - set(gt_index[gt_index >= 0].tolist()))
        if lost:
            handles.append(Patch(facecolor="none", edgecolor="none",
                                 label=_("lost GT: {lost}", lost=", ".join(str(g) for g in lost))))
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
        noun = "prior" if n1 + n2 == 1 else "priors"
        lines.append(text("GT {g}{name}: {count} {noun} ({n1} by principle 1, {n2} by principle 2)",
                          g=g, name=name, count=n1 + n2, noun=noun, n1=n1, n2=n2))
    positives = int((gt_index >= 0).sum())
    lines.append(text("positives: {positives}, negatives: {negatives}", positives=positives,
                      negatives=len(gt_index) - positives))
    return "\n".join(lines)



def draw_prior_iou_mosaic(
    ax: Axes,
    values: Tensor,
    *,
    grid: int = 7,
    scales: Sequence[float] = (0.2, 0.4, 0.6),
    aspect_ratios: Sequence[float] = (1.0, 2.0, 0.5),
    highlight: int | None = None,
    title: str | None = None,
    vmax: float = 1.0,
) -> Axes:
    """A heat map of one value per tiny-detector prior: a 3 x 3 mosaic of 7 x 7 maps.

    Tile (row ``s``, column ``r``) shows the priors of scale ``scales[s]`` and aspect ratio
    ``aspect_ratios[r]`` over the 7 x 7 grid of cells, so each prior of
    :func:`ssd_course.priors.tiny_detector_priors` (ordered row, column, scale, ratio) has
    one square.

    Args:
        ax (Axes): where to draw.
        values (Tensor[P]): one value per prior, e.g. its IoU with a GT box, ``P = grid**2 * 9``.
        grid (int): cells per side of the feature map.
        scales (Sequence[float]): the scales, for the tile labels.
        aspect_ratios (Sequence[float]): the aspect ratios, for the tile labels.
        highlight (int | None): a prior index to outline (e.g. the best prior).
        title (str | None): the axes title.
        vmax (float): the value mapped to the top of the colour scale.

    Returns:
        Axes: ``ax``.
    """
    S, R = len(scales), len(aspect_ratios)
    values = values.detach().cpu().double()
    if values.shape != (grid * grid * S * R,):
        raise ValueError(
            f"values must have one value per prior, shape [{grid * grid * S * R}]; got {list(values.shape)}"
        )
    tiles = values.reshape(grid, grid, S, R).permute(2, 0, 3, 1)  # [S, row, R, column]
    gap = 1  # one blank row/column between tiles
    mosaic = np.full((S * (grid + gap) - gap, R * (grid + gap) - gap), np.nan)
    for s in range(S):
        for r in range(R):
            top, left = s * (grid + gap), r * (grid + gap)
            mosaic[top:top + grid, left:left + grid] = tiles[s, :, r, :].numpy()
    image = ax.imshow(mosaic, cmap="viridis", vmin=0.0, vmax=vmax, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks([r * (grid + gap) + (grid - 1) / 2 for r in range(R)], [_("ratio {ratio:g}", ratio=a) for a in aspect_ratios])
    ax.set_yticks([s * (grid + gap) + (grid - 1) / 2 for s in range(S)], [_("scale {scale:g}", scale=x) for x in scales])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if highlight is not None:
        i, j, s, r = np.unravel_index(int(highlight), (grid, grid, S, R))
        ax.add_patch(Rectangle((r * (grid + gap) + j - 0.5, s * (grid + gap) + i - 0.5), 1, 1, fill=False,
                               edgecolor=PRIOR_COLOR, linewidth=2.5))
    ax.set_title(title or _("IoU with each prior (tile = scale x ratio, square = cell)"))
    return ax


def draw_mined_negatives(
    ax: Axes,
    priors_cxcy: Tensor,
    match: Match,
    kept_negative: Tensor,
    *,
    image: np.ndarray | None = None,
    title: str | None = None,
    spread: bool = False,
) -> Axes:
    """Draw the priors that enter the confidence loss: positives and kept (hard) negatives.

    Priors are drawn at their centres (several share a centre: the marks are counted in the
    legend): positives as dots coloured by their GT; kept negatives as red crosses; the
    other negatives, left out of the loss, as small grey dots.

    Args:
        ax (Axes): where to draw.
        priors_cxcy (Tensor[P, 4]): the priors, (cx, cy, w, h).
        match (Match): one image's match (fields ``[P]``).
        kept_negative (Tensor[P]): bool, the hard negatives kept by mining.
        image (np.ndarray[H, W, 3] | None): the photo to draw on.
        title (str | None): the axes title.
        spread (bool): draw the priors that share a centre on a small grid around it
            instead of on top of each other (a tiny-detector cell: scales as rows, aspect
            ratios as columns), so that every prior has its own mark.

    Returns:
        Axes: ``ax``.
    """
    show_image(ax, image, title)
    priors = priors_cxcy.detach().cpu().double()
    positions = priors[:, :2].numpy()  # [P, 2]
    if spread:
        positions = _spread_positions(positions, None)
    size = 0.6 if spread else 1.0  # smaller marks when they no longer overlap
    kept = kept_negative.cpu()
    gt_index = match.gt_index.cpu()
    positive = gt_index >= 0
    ignored = ~positive & ~kept
    ax.scatter(positions[ignored.numpy(), 0], positions[ignored.numpy(), 1], s=4, c="#bbbbbb",
               label=_("ignored negative ({count})", count=int(ignored.sum())), zorder=2)
    if kept.any():
        ax.scatter(positions[kept.numpy(), 0], positions[kept.numpy(), 1], s=60 * size, marker="x", c=PRIOR_COLOR,
                   linewidths=2 * size ** 0.5, label=_("kept hard negative ({count})", count=int(kept.sum())), zorder=3)
    if positive.any():
        ax.scatter(positions[positive.numpy(), 0], positions[positive.numpy(), 1], s=40 * size ** 0.5,
                   c=[gt_color(int(g)) for g in gt_index[positive]], edgecolors="white",
                   label=_("positive ({count})", count=int(positive.sum())), zorder=4)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3, fontsize=8, frameon=False)
    return ax


def match_table(
    iou: Tensor,
    match: Match,
    gt_names: Sequence[str] | None = None,
    prior_names: Sequence[str] | None = None,
    *,
    markdown: bool = False,
) -> str:
    """A table of which prior is matched to which GT, and by which principle.

    One row per prior: its name, its IoU with every GT (3 decimals; the IoU with the GT it
    is matched to is marked, in bold in Markdown, with a ``*`` in plain text), the GT it is
    matched to or ``background``, and the principle that made the match (``-`` if none).

    Args:
        iou (Tensor[G, P]): IoU of every GT with every prior, e.g. from
            :func:`ssd_course.matching.gt_prior_iou`.
        match (Match): the match of the same priors to the same GTs (fields ``[P]``).
        gt_names (Sequence[str] | None): class name of each GT; columns read ``GT 0 (cup)``.
        prior_names (Sequence[str] | None): row label of each prior; default its index.
        markdown (bool): a Markdown table (for ``IPython.display.Markdown``) instead of
            aligned plain text (for ``print``).

    Returns:
        str: the table, one line per prior after a header.

    Raises:
        ValueError: if ``iou`` is not ``[G, P]`` for the ``P`` priors of ``match``, or a list
            of names has the wrong length.

    Example:
        >>> import torch
        >>> from ssd_course.matching import Match
        >>> iou = torch.tensor([[0.40, 0.55, 0.0], [0.10, 0.80, 0.0]])
        >>> m = Match(labels=torch.tensor([3, 5, 0]), gt_index=torch.tensor([0, 1, -1]),
        ...           iou=torch.tensor([0.4, 0.8, 0.0]), principle=torch.tensor([1, 1, 0]))
        >>> print(match_table(iou, m, ["cup", "spoon"]))
        prior  GT 0 (cup)  GT 1 (spoon)  matched to    principle
        0          0.400*         0.100  GT 0 (cup)            1
        1           0.550        0.800*  GT 1 (spoon)          1
        2           0.000         0.000  background            -
    """
    gt_index = match.gt_index.detach().cpu()
    principle = match.principle.detach().cpu()
    if gt_index.dim() != 1:
        raise ValueError(f"match must be the match of one image, fields of shape [P]; got {list(gt_index.shape)}")
    P = gt_index.shape[0]
    if iou.dim() != 2 or iou.shape[1] != P:
        raise ValueError(f"iou must have shape [G, {P}] (GTs x the priors of match); got {list(iou.shape)}")
    G = iou.shape[0]
    if gt_names is not None and len(gt_names) != G:
        raise ValueError(f"gt_names must have one name per GT ({G}); got {len(gt_names)}")
    if prior_names is not None and len(prior_names) != P:
        raise ValueError(f"prior_names must have one name per prior ({P}); got {len(prior_names)}")
    values = iou.detach().cpu().double()
    gt_labels = [f"GT {g}" + (f" ({gt_names[g]})" if gt_names is not None else "") for g in range(G)]
    header = [text("prior"), *gt_labels, text("matched to"), text("principle")]
    rows = []
    for p in range(P):
        g_matched = int(gt_index[p])
        cells = [str(prior_names[p]) if prior_names is not None else str(p)]
        for g in range(G):
            value = f"{float(values[g, p]):.3f}"
            if g == g_matched:
                value = f"**{value}**" if markdown else f"{value}*"
            cells.append(value)
        cells.append(gt_labels[g_matched] if g_matched >= 0 else text("background"))
        cells.append(str(int(principle[p])) if g_matched >= 0 else "-")
        rows.append(cells)
    numeric = [False] + [True] * G + [False, True]  # right-aligned columns
    if markdown:
        rule = ["---:" if right else ":---" for right in numeric]
        return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, rule, *rows])
    widths = [max(len(cells[k]) for cells in [header, *rows]) for k in range(len(header))]
    lines = []
    for cells in [header, *rows]:
        padded = [c.rjust(w) if right and cells is not header else c.ljust(w)
                  for c, w, right in zip(cells, widths, numeric)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def draw_positives_vs_threshold(
    ax: Axes,
    thresholds: Sequence[float],
    matches: Sequence[Match],
    names: Sequence[str] | None = None,
    *,
    title: str | None = None,
) -> Axes:
    """Plot how many priors are positive, in all and per GT, as principle 2's threshold varies.

    The total is drawn black and thick, each GT in its colour :func:`gt_color`. A ring marks
    every threshold at which a GT is kept by principle 1 alone: it has no prior from
    principle 2, and the IoU of its principle-1 prior is below the threshold (rings of
    different GTs have different sizes, so that they stay visible where the lines coincide).
    The y axis is linear from 0 to 1 and logarithmic above, so that a count of 0 (a lost
    GT) can be seen next to counts in the hundreds.

    Args:
        ax (Axes): where to draw.
        thresholds (Sequence[float]): the T thresholds, increasing.
        matches (Sequence[Match]): the match of one image at each threshold (fields ``[P]``).
        names (Sequence[str] | None): class name of each GT (also sets how many GTs).
        title (str | None): the axes title.

    Returns:
        Axes: ``ax``.

    Raises:
        ValueError: if there is not one match per threshold or a match is not of one image.
    """
    if len(thresholds) != len(matches):
        raise ValueError(f"matches must have one match per threshold ({len(thresholds)}); got {len(matches)}")
    for m in matches:
        if m.gt_index.dim() != 1:
            raise ValueError(f"each match must be of one image, fields of shape [P]; got {list(m.gt_index.shape)}")
    gt_index = [m.gt_index.detach().cpu() for m in matches]
    principle = [m.principle.detach().cpu() for m in matches]
    G = len(names) if names is not None else max(int(g.max()) for g in gt_index) + 1
    x = np.asarray(thresholds, dtype=float)
    per_gt = np.array([[int((gi == g).sum()) for g in range(G)] for gi in gt_index])  # [T, G]
    by_principle2 = np.array([[int(((gi == g) & (pr == 2)).sum()) for g in range(G)]
                              for gi, pr in zip(gt_index, principle)])  # [T, G]
    ious = [m.iou.detach().cpu().double() for m in matches]
    # the IoU of each GT's principle-1 prior (NaN if it has none, e.g. a lost GT)
    principle1_iou = np.array([[float(iou[(gi == g) & (pr == 1)].max()) if bool(((gi == g) & (pr == 1)).any())
                                else float("nan") for g in range(G)]
                               for iou, gi, pr in zip(ious, gt_index, principle)])  # [T, G]
    total = np.array([int((gi >= 0).sum()) for gi in gt_index])  # [T]
    ax.plot(x, total, color="black", linewidth=2.5, marker="o", markersize=4, label=_("all positives"))
    for g in range(G):
        name = f"GT {g}" + (f" ({names[g]})" if names is not None else "")
        ax.plot(x, per_gt[:, g], color=gt_color(g), linewidth=1.5, marker="o", markersize=4, label=name)
        only_principle1 = (per_gt[:, g] > 0) & (by_principle2[:, g] == 0) & (principle1_iou[:, g] < x)
        if only_principle1.any():
            ax.scatter(x[only_principle1], per_gt[only_principle1, g], s=110 + 130 * g, facecolors="none",
                       edgecolors=gt_color(g), linewidths=1.5, zorder=3)
    ax.plot([], [], linestyle="none", marker="o", markersize=11, markerfacecolor="none", markeredgecolor="black",
            label=_("GT kept only by principle 1"))
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))  # 1, 10, 100 rather than 10^k
    ax.set_xlabel(_("threshold of principle 2 (IoU)"))
    ax.set_ylabel(_("positive priors"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_l1_l2_smooth(
    ax: Axes,
    *,
    gradient: bool = False,
    limit: float = 4.0,
    beta: float = 1.0,
    num: int = 800,
    title: str | None = None,
) -> Axes:
    """Plot L1, L2 and smooth L1 of a difference ``x``, or their gradients, for ``|x| <= limit``.

    L1 is ``|x|``, L2 is ``x**2 / 2`` (the smooth L1's quadratic part, so that the two
    curves coincide near 0) and smooth L1 is :func:`ssd_course.loss.smooth_l1`. Gradients
    are taken by autograd. The band ``|x| < beta``, where smooth L1 is quadratic, is shaded.

    Args:
        ax (Axes): where to draw.
        gradient (bool): plot ``d loss / dx`` instead of the loss.
        limit (float): the x axis spans ``[-limit, limit]``, > 0.
        beta (float): smooth L1's switch from quadratic to linear, > 0.
        num (int): points per curve (even, so that the kink of ``|x|`` at 0 is not sampled).
        title (str | None): the axes title; a default names what is plotted.

    Returns:
        Axes: ``ax``, with three lines labelled ``"L1"``, ``"L2"`` and ``"smooth L1"``.
    """
    import torch

    from ssd_course.loss import smooth_l1

    if not limit > 0:
        raise ValueError(f"limit must be > 0; got {limit!r}")
    x = torch.linspace(-limit, limit, num, dtype=torch.float64, requires_grad=True)  # [num]
    curves = (
        ("L1", "|x|", x.abs(), dict(color="#1f78b4", linewidth=1.8)),
        ("L2", "x²/2", 0.5 * x * x, dict(color="#ff7f00", linewidth=1.8, linestyle="--")),
        ("smooth L1", f"β = {beta:g}", smooth_l1(x, beta), dict(color="#33a02c", linewidth=3.0, alpha=0.8)),
    )
    ax.axvspan(-beta, beta, color="#dddddd", alpha=0.6, linewidth=0, label=_("|x| < β = {beta:g}: smooth L1 quadratic", beta=beta))
    for name, formula, y, style in curves:
        values = torch.autograd.grad(y.sum(), x)[0] if gradient else y
        ax.plot(x.detach().numpy(), values.detach().numpy(), label=f"{name}: {formula}", **style)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.set_xlim(-limit, limit)
    ax.set_xlabel(_("x = predicted offset − target offset"))
    ax.set_ylabel("d loss / dx" if gradient else _("loss"))
    ax.set_title(title or (_("Gradient: how hard each loss pulls") if gradient else _("Loss of one offset")))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center" if not gradient else "upper left")
    return ax


def _spread_positions(centres: np.ndarray, spread: float | None) -> np.ndarray:
    """Positions for markers of priors that may share a centre: each group on a small grid."""
    keys = np.round(centres, 6)
    _, group, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    group = group.reshape(-1)
    order = np.argsort(group, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(len(group), dtype=int)
    rank[order] = np.arange(len(group)) - np.repeat(starts, counts)  # place of each prior in its group
    side = int(np.ceil(np.sqrt(counts.max()))) if len(counts) else 1
    if spread is None:
        unique_centres = np.unique(keys, axis=0)
        if len(unique_centres) > 1:
            gaps = np.abs(unique_centres[:, None, :] - unique_centres[None, :, :]).max(axis=-1)  # Chebyshev
            spread = gaps[gaps > 0].min() / (side + 1)
        else:
            spread = 0.2 / (side + 1)
    column, row = rank % side, rank // side
    sides = np.ceil(np.sqrt(counts[group])).astype(int)  # this group's own grid side
    offsets = np.stack((column - (sides - 1) / 2, row - (sides - 1) / 2), axis=1) * spread
    return centres + offsets


def draw_prior_values(
    ax: Axes,
    priors_cxcy: Tensor,
    values: Tensor,
    *,
    highlight: Tensor | None = None,
    highlight_label: str = "positive prior",
    highlight_color: str = PRIOR_COLOR,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar_label: str = "value",
    size: float = 22.0,
    spread: float | None = None,
    legend: bool = True,
    veil: float = 0.0,
) -> Axes:
    """Colour each prior's centre by one value per prior (e.g. its loss), with a colour bar.

    Priors that share a centre (the 9 priors of a tiny-detector cell) are drawn as a small
    grid of squares around it, in prior order: row-major, so a cell of
    :func:`ssd_course.priors.tiny_detector_priors` shows its 3 scales as rows and its 3
    aspect ratios as columns. Call :func:`show_image` first to draw them over a photo.

    Args:
        ax (Axes): where to draw.
        priors_cxcy (Tensor[P, 4]): priors as fractional (cx, cy, w, h).
        values (Tensor[P]): one value per prior.
        highlight (Tensor[P] | None): bool, priors to outline (e.g. the positives).
        highlight_label (str): legend entry of the outlined priors.
        highlight_color (str): edge colour of the outlined priors (red, like prior boxes).
        cmap (str): matplotlib colour map.
        vmin (float | None): value at the bottom of the colour scale (default: the smallest).
        vmax (float | None): value at the top of the colour scale (default: the largest).
        colorbar_label (str): label of the colour bar.
        size (float): marker area in points².
        spread (float | None): distance between squares of one centre, in fractional
            units; default: the centre spacing divided by the grid side + 1.
        legend (bool): add a legend entry for the outlined priors.
        veil (float): opacity, in [0, 1], of a white layer laid over the photo (above
            images, below boxes and squares) so that the squares stand out; 0 draws none.

    Returns:
        Axes: ``ax``; the colour bar is a new axes of ``ax.figure``.

    Raises:
        ValueError: if ``values`` or ``highlight`` do not have one entry per prior.
    """
    priors = priors_cxcy.detach().cpu().double().numpy().reshape(-1, 4)
    P = len(priors)
    values = values.detach().cpu().double().numpy()
    if values.shape != (P,):
        raise ValueError(f"values must have one value per prior, shape [{P}]; got {list(values.shape)}")
    positions = _spread_positions(priors[:, :2], spread)  # [P, 2]
    if veil > 0:
        ax.add_patch(Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="none", alpha=veil, zorder=0.5))
    points = ax.scatter(positions[:, 0], positions[:, 1], c=values, cmap=cmap, vmin=vmin, vmax=vmax, s=size,
                        marker="s", edgecolors="none", zorder=2.5)  # below captions (zorder 3)
    ax.figure.colorbar(points, ax=ax, fraction=0.046, pad=0.04, label=_(colorbar_label))
    if highlight is not None:
        chosen = highlight.detach().cpu().numpy()
        if chosen.shape != (P,) or chosen.dtype != bool:
            raise ValueError(f"highlight must be a bool tensor of shape [{P}]; got {chosen.dtype} {list(chosen.shape)}")
        ax.scatter(positions[chosen, 0], positions[chosen, 1], s=size * 2.2, marker="s", facecolors="none",
                   edgecolors=highlight_color, linewidths=2.2, zorder=2.6,
                   label=f"{_(highlight_label)} ({int(chosen.sum())})")
        if legend:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), fontsize=8, frameon=False)
    return ax


def plot_sample_counts(
    ax: Axes,
    names: Sequence[str],
    num_positives: Sequence[int],
    num_priors: int | Sequence[int],
    *,
    title: str | None = None,
) -> Axes:
    """Bar chart of positive and negative priors per image, each bar labelled with its count.

    Args:
        ax (Axes): where to draw.
        names (Sequence[str]): the images' names, one group of bars each.
        num_positives (Sequence[int]): positive priors of each image.
        num_priors (int | Sequence[int]): priors per image (negatives = priors - positives).
        title (str | None): the axes title.

    Returns:
        Axes: ``ax``, with ``2 * len(names)`` bars.

    Raises:
        ValueError: if the sequences differ in length or a count exceeds the number of priors.
    """
    positives = np.asarray(num_positives, dtype=int)
    totals = np.broadcast_to(np.asarray(num_priors, dtype=int), positives.shape)
    if len(names) != len(positives) or (positives > totals).any() or (positives < 0).any():
        raise ValueError(
            f"names and num_positives must have the same length and 0 <= positives <= priors; got "
            f"{len(names)} names, positives {positives.tolist()}, priors {totals.tolist()}"
        )
    negatives = totals - positives
    x = np.arange(len(names))
    width = 0.38
    bars_positive = ax.bar(x - width / 2, positives, width, color=GT_COLORS[0], label=_("positive priors (P)"))
    bars_negative = ax.bar(x + width / 2, negatives, width, color="#999999", label=_("negative priors"))
    for bars in (bars_positive, bars_negative):
        for bar in bars:
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"{int(bar.get_height())}",
                    ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, list(names))
    ax.set_ylabel(_("priors"))
    ax.set_ylim(0, totals.max() * 1.3)
    ax.legend(fontsize=8, loc="upper center", ncol=2)
    ax.set_title(title or _("Positive vs negative priors per image"))
    return ax


def _union_outline(boxes: np.ndarray) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The segments of the outline of a union of xyxy boxes [N, 4] (elementary-cell method)."""
    xs = np.unique(boxes[:, [0, 2]])
    ys = np.unique(boxes[:, [1, 3]])
    mid_x, mid_y = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2
    inside = np.zeros((len(mid_y) + 2, len(mid_x) + 2), dtype=bool)  # a margin of empty cells around
    for x1, y1, x2, y2 in boxes:
        inside[1:-1, 1:-1] |= ((mid_x > x1) & (mid_x < x2))[None, :] & ((mid_y > y1) & (mid_y < y2))[:, None]
    segments = []
    for i in range(len(ys)):  # horizontal edge y = ys[i] between cell rows i and i + 1 (margin-shifted)
        for j in range(len(mid_x)):
            if inside[i, j + 1] != inside[i + 1, j + 1]:
                segments.append(((xs[j], ys[i]), (xs[j + 1], ys[i])))
    for j in range(len(xs)):  # vertical edge x = xs[j]
        for i in range(len(mid_y)):
            if inside[i + 1, j] != inside[i + 1, j + 1]:
                segments.append(((xs[j], ys[i]), (xs[j], ys[i + 1])))
    return segments


def draw_iou(
    ax: Axes,
    box_a: Tensor | Sequence[float],
    box_b: Tensor | Sequence[float],
    *,
    names: tuple[str, str] = ("A", "B"),
    colors: tuple[str, str] = ("#1f78b4", "#ff7f00"),
    title: str | None = None,
    caption: bool = True,
    legend: bool = True,
) -> Axes:
    """Draw the IoU of two boxes: both boxes, their intersection shaded, their union outlined.

    In the style of the study guide's IoU figure: box A and box B with thin edges, the
    intersection A ∩ B filled and hatched, the outline of the union A ∪ B drawn thick and
    dashed, and (``caption=True``) the formula with its numbers under the axes, computed
    with :func:`ssd_course.boxes.box_iou`. The axes are blank, y pointing down as in an
    image, and framed around the two boxes.

    Args:
        ax (Axes): where to draw.
        box_a (Tensor[4]): box A as (x1, y1, x2, y2), any units (e.g. fractional).
        box_b (Tensor[4]): box B as (x1, y1, x2, y2), same units.
        names (tuple[str, str]): the labels written in the two boxes.
        colors (tuple[str, str]): edge colours of A and B.
        title (str | None): the axes title; default ``"IoU of A and B"``.
        caption (bool): write ``IoU = |A ∩ B| / |A ∪ B| = ... = ...`` as the x label.
        legend (bool): explain the boxes, the shading and the outline in a legend at the right.

    Returns:
        Axes: ``ax``; its patches are A, B and (when they overlap) the intersection, in
        that order, and its one ``LineCollection`` is the union's outline.
    """
    import torch

    boxes = np.concatenate((_numpy_boxes(box_a), _numpy_boxes(box_b)))  # [2, 4]
    if boxes.shape != (2, 4):
        raise ValueError(f"box_a and box_b must be one box each, (x1, y1, x2, y2); got {len(boxes)} boxes")
    for (x1, y1, x2, y2), name in zip(boxes, ("box_a", "box_b")):
        if x2 < x1 or y2 < y1:
            raise ValueError(f"{name} must have x2 >= x1 and y2 >= y1; got {[x1, y1, x2, y2]}")
    for (x1, y1, x2, y2), name, color in zip(boxes, names, colors):
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=color, linewidth=2.0,
                               label=_("box {name}", name=name)))
        ax.text(x1, y1, f" {name}", color=color, fontsize=12, fontweight="bold", va="top", ha="left")
    x1, y1 = np.maximum(boxes[0, :2], boxes[1, :2])
    x2, y2 = np.minimum(boxes[0, 2:], boxes[1, 2:])
    if x2 > x1 and y2 > y1:
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, facecolor="#6a3d9a", alpha=0.45, hatch="//",
                               edgecolor="#6a3d9a", linewidth=0.0, label=_("{a} ∩ {b} (intersection)", a=names[0], b=names[1])))
    outline = LineCollection(_union_outline(boxes), colors="black", linewidths=2.5, linestyles="--",
                             label=_("{a} ∪ {b} (union, outline)", a=names[0], b=names[1]))
    ax.add_collection(outline)
    low, high = boxes[:, :2].min(axis=0), boxes[:, 2:].max(axis=0)  # [2], [2]
    margin = 0.12 * max(float((high - low).max()), 1e-6)
    ax.set_xlim(low[0] - margin, high[0] + margin)
    ax.set_ylim(high[1] + margin, low[1] - margin)  # y down, as in an image
    ax.set_aspect("equal")
    if legend:
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, frameon=False)
    ax.set_title(title or _("IoU of {a} and {b}", a=names[0], b=names[1]))
    if caption:
        both = torch.from_numpy(boxes)  # [2, 4]
        inter = float(box_intersection(both[:1], both[1:])[0, 0])
        area_a, area_b = (float(a) for a in box_area(both))
        iou = float(box_iou(both[:1], both[1:])[0, 0])
        a, b = names
        ax.set_xlabel(
            rf"IoU $= \frac{{|{a} \cap {b}|}}{{|{a} \cup {b}|}} = \frac{{{inter:.4g}}}{{{area_a:.4g} + {area_b:.4g} - "
            rf"{inter:.4g}}} = {iou:.4f}$",
            fontsize=12,
        )
    return ax


def draw_iou_matrix(
    ax: Axes,
    iou: Tensor,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    *,
    title: str | None = None,
    vmax: float = 1.0,
    colorbar: bool = True,
) -> Axes:
    """A heat map of an IoU matrix ``[G, P]`` with each value written in its cell.

    Args:
        ax (Axes): where to draw.
        iou (Tensor[G, P]): IoU of every GT box (rows) with every prior (columns).
        row_labels (Sequence[str] | None): one label per row (default ``GT 0``, ``GT 1``, ...).
        column_labels (Sequence[str] | None): one label per column (default ``prior 0``, ...).
        title (str | None): the axes title; default ``"IoU matrix [G, P]"``.
        vmax (float): the value mapped to the top of the colour scale.
        colorbar (bool): add a colour bar (a new axes of ``ax.figure``).

    Returns:
        Axes: ``ax``, with one image and ``G * P`` texts.

    Raises:
        ValueError: if ``iou`` is not 2-D or the labels do not match its shape.
    """
    values = iou.detach().cpu().double().numpy() if isinstance(iou, Tensor) else np.asarray(iou, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"iou must have shape [G, P]; got {list(values.shape)}")
    G, P = values.shape
    row_labels = [f"GT {g}" for g in range(G)] if row_labels is None else list(row_labels)
    column_labels = [_("prior {index}", index=p) for p in range(P)] if column_labels is None else list(column_labels)
    if len(row_labels) != G or len(column_labels) != P:
        raise ValueError(
            f"row_labels and column_labels must have {G} and {P} entries for iou of shape [{G}, {P}]; "
            f"got {len(row_labels)} and {len(column_labels)}"
        )
    image = ax.imshow(values, cmap="viridis", vmin=0.0, vmax=vmax, aspect="auto", interpolation="nearest")
    for g in range(G):
        for p in range(P):
            value = values[g, p]
            ax.text(p, g, f"{value:.2f}", ha="center", va="center", fontsize=9,
                    color="black" if value > 0.6 * vmax else "white")
    ax.set_xticks(range(P), column_labels, rotation=30 if P > 6 else 0, ha="right" if P > 6 else "center")
    ax.set_yticks(range(G), row_labels)
    ax.tick_params(length=0)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.03, label="IoU")
    ax.set_title(title or _("IoU matrix [G, P] = [{G}, {P}]", G=G, P=P))
    return ax


def plot_ranked_negative_losses(
    ax: Axes,
    conf_loss: Tensor,
    positive: Tensor,
    neg_pos_ratio: float = 3,
    *,
    title: str | None = None,
) -> Axes:
    """The negatives' confidence losses sorted from hardest to easiest, with the mining cut.

    The loss of each negative prior is drawn against its rank (0 = the highest loss). The
    ranks ``0 .. M - 1`` kept by :func:`ssd_course.loss.hard_negative_mask`, with
    ``M = min(floor(neg_pos_ratio * P), negatives)``, are filled red; a dashed line marks
    the cut at ``M``.

    Args:
        ax (Axes): where to draw.
        conf_loss (Tensor[P]): confidence loss of every prior of one image.
        positive (Tensor[P]): bool, True for the positive priors.
        neg_pos_ratio (float): negatives kept per positive; ``math.inf`` keeps all.
        title (str | None): the axes title.

    Returns:
        Axes: ``ax``.

    Raises:
        ValueError: if ``conf_loss`` and ``positive`` are not two ``[P]`` tensors.
    """
    if conf_loss.dim() != 1 or positive.shape != conf_loss.shape:
        raise ValueError(
            f"conf_loss and positive must both have shape [P] (one image); got {list(conf_loss.shape)} and "
            f"{list(positive.shape)}"
        )
    kept = hard_negative_mask(conf_loss.detach().unsqueeze(0), positive.unsqueeze(0), neg_pos_ratio)[0]
    num_kept, num_positives = int(kept.sum()), int(positive.sum())
    losses = conf_loss.detach().cpu().double()[~positive.cpu()]  # [negatives]
    ranked = np.sort(losses.numpy())[::-1]
    ranks = np.arange(len(ranked))
    ax.plot(ranks, ranked, color="#555555", linewidth=1.5, label=_("negatives ({count}), sorted by loss", count=len(ranked)))
    if num_kept:
        ax.fill_between(ranks[:num_kept], 0, ranked[:num_kept], color=PRIOR_COLOR, alpha=0.35,
                        label=_("kept: the {count} hardest negatives", count=num_kept))
    ratio = "inf" if math.isinf(neg_pos_ratio) else f"{neg_pos_ratio:g}"
    ax.axvline(num_kept, color=PRIOR_COLOR, linestyle="--", linewidth=1.5,
               label=_("cut at M = min({ratio} x P, negatives) = {kept}  (P = {positives})", ratio=ratio,
                       kept=num_kept, positives=num_positives))
    ax.set_xlim(0, max(len(ranked), 1))
    ax.set_ylim(0, None)
    ax.set_xlabel(_("rank of the negative prior (0 = highest loss)"))
    ax.set_ylabel(_("confidence loss (target: background)"))
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title(title or _("Negative priors ranked by confidence loss"))
    return ax


def plot_labelled_bars(
    ax: Axes,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    texts: Sequence[str] | None = None,
    colors: str | Sequence[str] = GT_COLORS[0],
    ylabel: str | None = None,
    title: str | None = None,
) -> Axes:
    """A bar chart with a caption above each bar (by default its value to 4 decimals).

    Args:
        ax (Axes): where to draw.
        labels (Sequence[str]): the name of each bar, on the x axis.
        values (Sequence[float]): the height of each bar (finite).
        texts (Sequence[str] | None): the caption of each bar; default ``f"{value:.4f}"``.
        colors (str | Sequence[str]): one colour, or one per bar.
        ylabel (str | None): the y-axis label.
        title (str | None): the axes title.

    Returns:
        Axes: ``ax``, with ``len(values)`` bars.

    Raises:
        ValueError: if ``labels``, ``values`` and ``texts`` differ in length or a value is
            not finite.
    """
    heights = np.asarray(values, dtype=float)
    if len(labels) != len(heights) or (texts is not None and len(texts) != len(heights)):
        raise ValueError(
            f"labels, values and texts must have one entry per bar; got {len(labels)} labels, "
            f"{len(heights)} values and {None if texts is None else len(texts)} texts"
        )
    if not np.isfinite(heights).all():
        raise ValueError(f"values must be finite to be drawn as bars; got {heights.tolist()}")
    captions = list(texts) if texts is not None else [f"{v:.4f}" for v in heights]
    x = np.arange(len(heights))
    bars = ax.bar(x, heights, width=0.6, color=colors)
    top = heights.max() if len(heights) else 1.0
    for bar, caption in zip(bars, captions):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.01 * top, caption, ha="center",
                va="bottom", fontsize=9)
    ax.set_xticks(x, list(labels))
    ax.set_ylim(0, top * 1.18 if top > 0 else 1.0)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def plot_loss_curve(ax: Axes, history: Mapping[str, Sequence[float]], *, title: str | None = None) -> Axes:
    """Loss values against optimisation step, one line per named part.

    Args:
        ax (Axes): where to draw.
        history (Mapping[str, Sequence[float]]): e.g. ``{"total": [...], "loc": [...], "conf": [...]}``,
            one value per step, all of the same length.
        title (str | None): the axes title.

    Returns:
        Axes: ``ax``, with one line per entry of ``history``.

    Raises:
        ValueError: if the sequences differ in length.
    """
    lengths = {len(values) for values in history.values()}
    if len(lengths) > 1:
        raise ValueError(f"history must hold sequences of one length; got lengths {sorted(lengths)}")
    for name, values in history.items():
        ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), marker="o", markersize=3, label=name)
    ax.set_xlabel(_("optimisation step"))
    ax.set_ylabel(_("loss"))
    ax.set_ylim(0, None)
    ax.legend(fontsize=8)
    ax.set_title(title or _("Loss during optimisation"))
    return ax


def _add_halo(artists: Sequence[Rectangle], width: float = 2.5) -> None:
    """Outline each artist's edge in translucent white, so that it stands out on a dark photo."""
    for artist in artists:
        artist.set_path_effects([
            patheffects.Stroke(linewidth=artist.get_linewidth() + width, foreground="white", alpha=0.6),
            patheffects.Normal(),
        ])


def _place_badges(
    ax: Axes, boxes_xyxy: np.ndarray, texts: Sequence[str], colors: Sequence[str], fontsize: float = 10
) -> None:
    """Write each text in a badge inside a corner of its box, clipped to the image.

    The corners are tried in the order top-left, top-right, bottom-right, bottom-left; the
    badge goes into the first one where it overlaps no text already on ``ax`` (GT captions,
    earlier badges), or into the top-left one when every corner is taken. Overlaps are
    measured with the figure's renderer; without one, the top-left corner is used.
    """
    try:
        renderer = ax.figure.canvas.get_renderer()
    except AttributeError:  # a canvas that cannot measure text
        renderer = None
    ax.apply_aspect()  # so that the axes have their final shape before anything is measured
    taken = [t.get_window_extent(renderer).padded(2) for t in ax.texts] if renderer is not None else []

    def badge(x: float, y: float, ha: str, va: str, text: str, color: str):
        # a few points inside the corner, so that the badge's frame is not cut at the image border
        offset = (4 if ha == "left" else -4, -4 if va == "top" else 4)
        return ax.annotate(text, (min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)), xytext=offset,
                           textcoords="offset points", ha=ha, va=va, fontsize=fontsize, fontweight="bold",
                           color="black" if color == GT_COLOR else "white", zorder=6, annotation_clip=False,
                           bbox=dict(boxstyle="round,pad=0.25", facecolor=color, edgecolor="white", linewidth=1.0))

    for (x1, y1, x2, y2), text, color in zip(boxes_xyxy, texts, colors):
        # y points down: "top" is y1; each badge is aligned so that it lies inside its corner
        corners = ((x1, y1, "left", "top"), (x2, y1, "right", "top"), (x2, y2, "right", "bottom"),
                   (x1, y2, "left", "bottom"))
        placed = None
        for corner in corners:
            placed = badge(*corner, text, color)
            if renderer is None:
                break
            extent = placed.get_window_extent(renderer).padded(2)
            if not any(extent.overlaps(other) for other in taken):
                break
            placed.remove()
            placed = None
        if placed is None:
            placed = badge(*corners[0], text, color)
        if renderer is not None:
            taken.append(placed.get_window_extent(renderer).padded(2))


def draw_numbered_priors(
    ax: Axes,
    priors_cxcy: Tensor,
    texts: Sequence[str],
    *,
    color: str | Sequence[str] = PRIOR_COLOR,
    linewidth: float = 2.5,
    halo: bool = True,
    label: str | None = "prior box",
) -> Axes:
    """Draw a few priors, each with a numbered badge, for figures that refer to them by number.

    Each badge goes inside a corner of its prior (clipped to the image), the first of
    top-left, top-right, bottom-right and bottom-left where it hides no text already on
    ``ax``: draw the GT boxes first, so that their captions stay readable.

    Args:
        ax (Axes): where to draw.
        priors_cxcy (Tensor[P, 4]): priors as fractional (cx, cy, w, h).
        texts (Sequence[str]): the badge of each prior, e.g. ``"1"``.
        color (str | Sequence[str]): one colour, or one per prior; red by default.
        linewidth (float): edge width in points.
        halo (bool): outline the boxes in white, to keep them visible on a dark photo.
        label (str | None): legend entry.

    Returns:
        Axes: ``ax``.

    Raises:
        ValueError: if there is not one text (or colour) per prior.
    """
    boxes = cxcywh_to_xyxy(priors_cxcy.detach().cpu().double()).numpy()  # [P, 4]
    if len(texts) != len(boxes):
        raise ValueError(f"texts must have one badge per prior ({len(boxes)}); got {len(texts)}")
    colors = [color] * len(boxes) if isinstance(color, str) else list(color)
    first_patch = len(ax.patches)
    draw_boxes(ax, boxes, color=colors, linewidth=linewidth, label=_(label))
    if halo:
        _add_halo(ax.patches[first_patch:])
    _place_badges(ax, boxes, texts, colors)
    return ax


def draw_feature_map_grid(
    ax: Axes,
    size: int,
    *,
    color: str = "white",
    linewidth: float = 0.8,
    centres: bool = True,
    highlight: tuple[int, int] | None = None,
    label: str | None = "cell centre",
) -> Axes:
    """Draw the cells of a ``size x size`` feature map over the image, and their centres.

    Cell (row ``i``, column ``j``) covers ``[j / size, (j + 1) / size] x [i / size, (i + 1) / size]``
    in fractional coordinates, and its priors are centred at ``((j + 0.5) / size, (i + 0.5) / size)``,
    as in :func:`ssd_course.priors.make_priors`. Call :func:`show_image` first.

    Args:
        ax (Axes): where to draw.
        size (int): cells per side of the feature map, >= 1.
        color (str): colour of the grid lines and the centres (white shows on a photo).
        linewidth (float): width of the grid lines in points.
        centres (bool): mark every cell's centre with a dot.
        highlight (tuple[int, int] | None): ``(row, column)`` of a cell to shade in red.
        label (str | None): legend entry of the centres.

    Returns:
        Axes: ``ax``, with two ``LineCollection`` of ``size + 1`` lines each (vertical,
        horizontal), one scatter of ``size**2`` centres (if ``centres``) and one shaded
        ``Rectangle`` (if ``highlight``).

    Raises:
        ValueError: if ``size`` is not a positive integer or ``highlight`` is outside the grid.
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer; got {size!r}")
    edges = np.arange(size + 1) / size  # [size + 1]
    ax.vlines(edges, 0, 1, colors=color, linewidths=linewidth, alpha=0.8)
    ax.hlines(edges, 0, 1, colors=color, linewidths=linewidth, alpha=0.8)
    if centres:
        middle = (np.arange(size) + 0.5) / size  # [size]
        cx, cy = np.meshgrid(middle, middle)  # [size, size] each, row i, column j
        ax.scatter(cx.ravel(), cy.ravel(), s=max(4.0, 60.0 / size), c=color, edgecolors="black", linewidths=0.4,
                   zorder=3, label=_(label))
    if highlight is not None:
        row, column = highlight
        if not (0 <= row < size and 0 <= column < size):
            raise ValueError(f"highlight must be a (row, column) inside the {size} x {size} grid; got {highlight!r}")
        ax.add_patch(Rectangle((column / size, row / size), 1 / size, 1 / size, facecolor=PRIOR_COLOR, alpha=0.35,
                               edgecolor=PRIOR_COLOR, linewidth=1.5, label=_("cell ({row}, {column})", row=row, column=column)))
    return ax


def draw_detections(
    ax: Axes,
    boxes_xyxy: Tensor,
    labels: Tensor,
    scores: Tensor,
    class_names: Sequence[str],
    *,
    min_score: float = 0.5,
    linewidth: float = 2.0,
    label: str | None = "detection",
) -> Axes:
    """Draw a detector's output: one box per detection scoring at least ``min_score``.

    Each box takes the colour of its class, ``gt_color(label - 1)``, and a caption with the
    class name and the score, e.g. ``"triangle 0.97"``, inside its bottom-left corner (so
    that it does not hide a GT box's caption, written above the box).

    Args:
        ax (Axes): where to draw (after :func:`show_image`).
        boxes_xyxy (Tensor[D, 4]): detected boxes, fractional xyxy.
        labels (Tensor[D]): their classes, 1..C-1.
        scores (Tensor[D]): their scores.
        class_names (Sequence[str]): the name of every class, index 0 the background.
        min_score (float): detections scoring less are not drawn.
        linewidth (float): edge width in points.
        label (str | None): legend entry.

    Returns:
        Axes: ``ax``, with one ``Rectangle`` per drawn detection.

    Raises:
        ValueError: if ``boxes_xyxy``, ``labels`` and ``scores`` differ in length.
    """
    boxes = _numpy_boxes(boxes_xyxy)
    labels_list = labels.detach().cpu().tolist()
    scores_list = scores.detach().cpu().tolist()
    if not len(boxes) == len(labels_list) == len(scores_list):
        raise ValueError(
            f"boxes_xyxy, labels and scores must have one entry per detection; got {len(boxes)}, "
            f"{len(labels_list)} and {len(scores_list)}"
        )
    kept = [d for d, score in enumerate(scores_list) if score >= min_score]
    colors = [gt_color(labels_list[d] - 1) for d in kept]
    texts = [f"{class_names[labels_list[d]]} {scores_list[d]:.2f}" for d in kept]
    draw_boxes(ax, boxes[kept], color=colors, texts=texts, linewidth=linewidth, text_at="bottom")
    if label is not None and kept:
        ax.add_line(Line2D([], [], color=colors[0], linewidth=linewidth, label=_(label)))
    return ax


def plot_smoothed_curves(
    ax: Axes,
    curves: Mapping[str, Sequence[float]],
    *,
    window: int = 1,
    ylabel: str = "loss",
    log_scale: bool = False,
    title: str | None = None,
) -> Axes:
    """Long per-step curves (e.g. several training runs' losses), smoothed by a running mean.

    Point ``t`` of a curve is the mean of its values at steps ``t - window + 1 .. t`` (fewer
    at the start), so the curve starts at step 0 and keeps its length.

    Args:
        ax (Axes): where to draw.
        curves (Mapping[str, Sequence[float]]): a name (the legend entry) and the value at
            every step, for each curve; lengths may differ.
        window (int): steps averaged into each point, >= 1.
        ylabel (str): the y-axis label.
        log_scale (bool): a logarithmic y axis.
        title (str | None): the axes title.

    Returns:
        Axes: ``ax``, with one line per curve.

    Raises:
        ValueError: if ``window`` is not a positive integer.
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive integer; got {window!r}")
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)
        running = np.cumsum(values)
        running[window:] = running[window:] - running[:-window]
        counts = np.minimum(np.arange(1, len(values) + 1), window)
        ax.plot(np.arange(len(values)), running / counts, linewidth=1.5, label=name)
    ax.set_xlabel(_("optimisation step"))
    ylabel = _(ylabel)
    ax.set_ylabel(_("{label} (running mean of {window} steps)", label=ylabel, window=window) if window > 1 else ylabel)
    if log_scale:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title(title or _("Training curves"))
    return ax
