"""Interactive explorers for the notebooks (ipywidgets).

Each explorer connects a few controls to the package's own functions -- matching, loss
and drawing live in :mod:`ssd_course.matching`, :mod:`ssd_course.loss` and
:mod:`ssd_course.viz`; nothing here computes anything of its own. The picture is rendered
off-screen with matplotlib's Agg canvas and shown as a PNG in an ``ipywidgets.Image``: a
redraw swaps the image in place, so it does not flicker, and it works in any front end
that shows widgets. Sliders update when they are released (``continuous_update=False``).

Every explorer is an :class:`Explorer`: ``explorer.widget`` is the widget to display (a
notebook cell ending with ``explorer`` shows it), ``explorer.state`` the numbers it
currently shows, and ``explorer.renders`` how many pictures it has drawn -- what the tests
and the benchmark use.

Below the controls sits a :func:`kernel_watch` line, empty while all is well. Widgets live
in the kernel: after a kernel restart the sliders still move in the browser but nothing
redraws the picture. The watch, a few lines of JavaScript run by ``anywidget``, notices it
(the page marks every widget disconnected when the kernel restarts, and a slider move that
the kernel does not answer within a few seconds) and says so, with how to recover: run the
notebook's cells from the top.

Every text an explorer shows -- control descriptions, titles, readouts, the watch's lines --
goes through :mod:`ssd_course.i18n`, so it speaks the language chosen with
``ssd_course.set_language`` (the watch's lines are handed to its JavaScript as traits).

ipywidgets and anywidget are imported inside the functions, so the rest of the package
imports without them.
"""

from __future__ import annotations

import functools
import html
import io
import math
from collections.abc import Callable
from typing import Any

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ssd_course import data, loss, matching, priors, viz
from ssd_course.boxes import cxcywh_to_xyxy
from ssd_course.i18n import figure_text, text

__all__ = ["Explorer", "box_explorer", "iou_threshold_explorer", "kernel_watch", "negative_ratio_explorer"]

Render = Callable[[dict[str, Any]], tuple[Figure, str, dict[str, Any]]]


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes off-screen (no pyplot, nothing displayed)."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    # fast zlib level: the PNG is a few hundred kB bigger but encodes ~5x faster, which is
    # most of what keeps an update under 150 ms
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


class Explorer:
    """Controls, a picture redrawn from their values, and a text readout.

    Args:
        controls (dict[str, ipywidgets.ValueWidget]): the controls, by the name under which
            ``render`` receives their values.
        render (Callable): ``render(values) -> (figure, readout_text, state)``.

    Attributes:
        widget (ipywidgets.VBox): controls above the picture, readout below.
        controls (dict[str, ipywidgets.ValueWidget]): the controls.
        watch (anywidget.AnyWidget): the line that tells when the kernel no longer answers
            (see :func:`kernel_watch`).
        image (ipywidgets.Image): the current picture.
        readout (ipywidgets.HTML): the current text summary.
        state (dict[str, Any]): the numbers the picture and the readout show.
        renders (int): how many pictures have been drawn.
    """

    def __init__(self, controls: dict[str, Any], render: Render) -> None:
        import ipywidgets as widgets

        self.controls = controls
        self._render = render
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="720px"))
        self.readout = widgets.HTML()
        self.state: dict[str, Any] = {}
        self.renders = 0
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.watch = kernel_watch(list(controls.values()))
        self.widget = widgets.VBox([widgets.HBox(list(controls.values())), self.watch, self.image, self.readout])
        self.update()

    def _on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Redraw the picture and the readout from the controls' current values."""
        values = {name: control.value for name, control in self.controls.items()}
        fig, readout, state = self._render(values)
        self.image.value = figure_png(fig)
        self.readout.value = f"<pre style='line-height:1.3'>{html.escape(readout)}</pre>"
        self.state = state
        self.renders += 1

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


KERNEL_RESTARTED = (
    "The kernel was restarted (or shut down), so this explorer lost the code that drew it: its controls "
    "still move, but the picture will not change. Run the notebook's cells again from the top (menu Run, "
    "Run All Cells) to get a working explorer."
)
KERNEL_SILENT = (
    "No answer from the kernel for {seconds} s. If a cell is still running (a [*] beside it), wait for it. "
    "If the kernel was restarted, run the notebook's cells again from the top (menu Run, Run All Cells)."
)

# The watch's front end (an ES module that anywidget runs in the page). It pings the kernel
# whenever a watched control changes; the kernel side answers each ping. No answer within
# timeout_ms shows KERNEL_SILENT (taken back if the answer comes late, from a busy kernel);
# the widget manager's "comm_live_update" event, sent to every widget when the kernel
# restarts, shows KERNEL_RESTARTED for good.
_WATCH_ESM = """
function render({ model, el }) {
  const line = document.createElement("div");
  line.className = "ssd-kernel-watch";
  line.setAttribute("role", "alert");
  line.style.cssText = "display: none; margin: 4px 0; padding: 6px 10px; max-width: 700px; " +
    "border-left: 4px solid #e41a1c; background: #fdecea; color: #5f1411; font-size: 13px; line-height: 1.4;";
  el.appendChild(line);
  let lost = false;
  let count = 0;
  const pending = new Map();  // number of each unanswered ping -> its timer
  const show = (text) => { line.textContent = text; line.style.display = "block"; };
  const restarted = () => { lost = true; show(model.get("restarted_text")); };
  const ping = () => {
    if (lost) { restarted(); return; }
    const number = ++count;
    const seconds = model.get("timeout_ms") / 1000;
    const silent = () => { if (!lost) show(model.get("silent_text").replace("{seconds}", String(seconds))); };
    pending.set(number, setTimeout(silent, model.get("timeout_ms")));
    try {
      model.send({ kind: "ping", number });
    } catch (error) {  // no connection to any kernel at all
      restarted();
    }
  };
  model.on("comm_live_update", restarted);
  model.on("msg:custom", (msg) => {  // an answer, in time or late (a busy kernel): the kernel is alive
    if (!msg || msg.kind !== "pong" || !pending.has(msg.number)) return;
    clearTimeout(pending.get(msg.number));
    pending.delete(msg.number);
    if (!lost && pending.size === 0) line.style.display = "none";
  });
  const watched = [];
  for (const id of model.get("controls")) {
    model.widget_manager.get_model(id).then((control) => {
      control.on("change:value", ping);
      watched.push(control);
    });
  }
  return () => {
    for (const control of watched) control.off("change:value", ping);
    for (const timer of pending.values()) clearTimeout(timer);
  };
}
export default { render };
"""


@functools.cache
def _watch_class() -> type:
    import anywidget
    import traitlets

    class KernelWatch(anywidget.AnyWidget):
        """See :func:`kernel_watch`."""

        _esm = _WATCH_ESM
        controls = traitlets.List(traitlets.Unicode()).tag(sync=True)
        timeout_ms = traitlets.Int(5000).tag(sync=True)
        restarted_text = traitlets.Unicode(KERNEL_RESTARTED).tag(sync=True)
        silent_text = traitlets.Unicode(KERNEL_SILENT).tag(sync=True)

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.on_msg(self._answer)

        def _answer(self, widget: Any, content: Any, buffers: Any) -> None:
            if isinstance(content, dict) and content.get("kind") == "ping":
                self.send({"kind": "pong", "number": content.get("number")})

        def __repr__(self) -> str:  # no memory address: notebook outputs stay the same from run to run
            return f"KernelWatch(controls={len(self.controls)})"

    return KernelWatch


def kernel_watch(controls: list[Any], timeout_ms: int = 5000) -> Any:
    """A line that appears when the kernel stops answering the given controls, saying how to recover.

    In the browser, each change of a control sends the kernel a ping, which this widget's
    kernel side answers. Without an answer within ``timeout_ms`` the line says that the
    kernel is busy or was restarted; when the page reports a kernel restart (it marks every
    widget disconnected), the line says the kernel was restarted and that the cells must be
    run again from the top. While the kernel answers, nothing is shown.

    Args:
        controls (list[ipywidgets.ValueWidget]): the controls whose changes are watched.
        timeout_ms (int): how long to wait for an answer, in milliseconds.

    Returns:
        anywidget.AnyWidget: the watch, to display next to the controls.
    """
    return _watch_class()(controls=[control.model_id for control in controls], timeout_ms=timeout_ms,
                          restarted_text=text(KERNEL_RESTARTED), silent_text=text(KERNEL_SILENT))


def _slider(description: str, value: float, low: float, high: float, step: float):
    import ipywidgets as widgets

    return widgets.FloatSlider(
        value=value, min=low, max=high, step=step, description=description, continuous_update=False,
        readout_format=".2f", style={"description_width": "initial"}, layout=widgets.Layout(width="320px"),
    )


def iou_threshold_explorer(photo: str = "coffee", threshold: float = 0.5, unique: bool = True) -> Explorer:
    """Move principle 2's IoU threshold and watch which of the 441 priors become positive.

    The picture is :func:`ssd_course.viz.draw_match` of
    :func:`ssd_course.matching.match_priors` on a course photo; the readout gives the
    positives per GT, the totals, and the GTs that only principle 1 keeps at this threshold
    (no prior reaches the threshold with them) or that are lost (``unique`` off).

    Args:
        photo (str): a name from :func:`ssd_course.data.photo_names`.
        threshold (float): the initial threshold, 0.05 to 0.95.
        unique (bool): the initial value of the ``unique`` toggle.

    Returns:
        Explorer: with ``state`` keys ``threshold``, ``unique``, ``positives_per_gt``,
        ``positives``, ``negatives``, ``only_principle1`` and ``lost``.
    """
    import ipywidgets as widgets

    picture = data.load_photo(photo)
    priors_cxcy = priors.tiny_detector_priors()
    names = picture.object_names

    def render(values: dict[str, Any]) -> tuple[Figure, str, dict[str, Any]]:
        threshold, unique = round(values["threshold"], 4), bool(values["unique"])
        match = matching.match_priors(picture.boxes, picture.labels, priors_cxcy, threshold, unique)
        counts = matching.count_matches(match, len(names))  # [G, 2]: by principle 1, by principle 2
        per_gt = counts.sum(dim=1)
        state = {
            "threshold": threshold,
            "unique": unique,
            "positives_per_gt": per_gt.tolist(),
            "positives": int(per_gt.sum()),
            "negatives": priors_cxcy.shape[0] - int(per_gt.sum()),
            "only_principle1": [g for g in range(len(names)) if counts[g, 0] > 0 and counts[g, 1] == 0],
            "lost": [g for g in range(len(names)) if per_gt[g] == 0],
        }
        fig = Figure(figsize=(6.4, 5.0))
        fig.subplots_adjust(left=0.02, right=0.98, top=0.93, bottom=0.12)  # fixed: no layout pass per update
        viz.draw_match(fig.add_subplot(), match, priors_cxcy, picture.boxes, names, image=picture.image,
                       title=figure_text("{photo}: threshold {threshold:.2f}, unique={unique}", photo=photo,
                                         threshold=threshold, unique=unique))
        lines = [viz.summarise_match(match, names)]
        lines.append(text("kept only by principle 1: {gts}",
                          gts=", ".join(f"GT {g}" for g in state["only_principle1"]) or text("none")))
        lines.append(text("lost (no prior at all): {gts}",
                          gts=", ".join(f"GT {g}" for g in state["lost"]) or text("none")))
        return fig, "\n".join(lines), state

    controls = {
        "threshold": _slider(text("IoU threshold"), threshold, 0.05, 0.95, 0.05),
        "unique": widgets.Checkbox(value=unique, description=text("unique (greedy principle 1)"), indent=False),
    }
    return Explorer(controls, render)


def negative_ratio_explorer(photo: str = "coffee", neg_pos_ratio: float = 3.0, seed: int = 0) -> Explorer:
    """Move the negative:positive ratio and watch which negatives hard mining keeps.

    The predictions are seeded random logits standing in for an untrained detector. The
    picture is :func:`ssd_course.viz.draw_mined_negatives`; the readout gives the number of
    positives, of kept negatives, and the confidence loss of
    :func:`ssd_course.loss.multibox_loss` at this ratio. The "all negatives" box sets the
    ratio to infinity. Every prior has its own mark (the 9 priors of a cell on a 3 x 3 grid
    around its centre), so the marks can be counted against the legend, and the GT boxes are
    drawn as in the notebook's figures.

    Args:
        photo (str): a name from :func:`ssd_course.data.photo_names`.
        neg_pos_ratio (float): the initial ratio, 0 to 10.
        seed (int): seed of the random logits.

    Returns:
        Explorer: with ``state`` keys ``neg_pos_ratio``, ``positives``, ``kept_negatives``,
        ``negatives`` and ``conf_loss``.
    """
    import ipywidgets as widgets

    picture = data.load_photo(photo)
    priors_cxcy = priors.tiny_detector_priors()
    names = picture.object_names
    num_classes = len(picture.class_names)
    generator = torch.Generator().manual_seed(seed)
    scores = torch.randn(1, priors_cxcy.shape[0], num_classes, generator=generator)  # [1, P, C]
    locs = torch.zeros(1, priors_cxcy.shape[0], 4)  # [1, P, 4]
    match = matching.match_priors(picture.boxes, picture.labels, priors_cxcy)
    conf_per_prior = loss.confidence_loss(scores, match.labels.unsqueeze(0))  # [1, P]
    positive = (match.gt_index >= 0).unsqueeze(0)  # [1, P]

    def render(values: dict[str, Any]) -> tuple[Figure, str, dict[str, Any]]:
        ratio = math.inf if values["all_negatives"] else round(values["neg_pos_ratio"], 4)
        kept = loss.hard_negative_mask(conf_per_prior, positive, ratio)[0]  # [P]
        parts = loss.multibox_loss(locs, scores, [picture.boxes], [picture.labels], priors_cxcy, neg_pos_ratio=ratio)
        state = {
            "neg_pos_ratio": ratio,
            "positives": int(parts.num_positives),
            "kept_negatives": int(kept.sum()),
            "negatives": int((~positive).sum()),
            "conf_loss": round(parts.conf.item(), 4),
        }
        label = text("all") if math.isinf(ratio) else f"{ratio:g}"
        fig = Figure(figsize=(7.2, 5.4))
        fig.subplots_adjust(left=0.02, right=0.98, top=0.94, bottom=0.07)
        ax = fig.add_subplot()
        # spread: the 9 priors of a cell on a 3 x 3 grid around its centre, one mark each
        viz.draw_mined_negatives(ax, priors_cxcy, match, kept, image=picture.image, spread=True,
                                 title=figure_text("{photo}: neg:pos ratio {label}", photo=photo, label=label))
        viz.draw_gt_boxes(ax, picture.boxes, names, label=None)
        readout = "\n".join([
            text("positives P = {positives}, negatives = {negatives}", **state),
            text("kept hard negatives = min({label} x {positives}, {negatives}) = {kept_negatives}", label=label,
                 **state),
            text("confidence loss (positives + kept negatives) / N = {conf_loss:.4f}", **state),
        ])
        return fig, readout, state

    controls = {
        "neg_pos_ratio": _slider(text("neg:pos ratio"), neg_pos_ratio, 0.0, 10.0, 0.5),
        "all_negatives": widgets.Checkbox(value=False, description=text("all negatives"), indent=False),
    }
    return Explorer(controls, render)


def box_explorer(photo: str | None = "coffee", box_cxcywh: tuple[float, float, float, float] = (0.5, 0.5, 0.3, 0.4)
                 ) -> Explorer:
    """Move and resize one GT box and see its IoU with every one of the 441 priors.

    Left, the box (yellow) and the prior principle 1 would give it (red, from
    :func:`ssd_course.matching.principle1`); right, its IoU with every prior as a heat map
    (:func:`ssd_course.viz.draw_prior_iou_mosaic`). The box is clipped to the image.

    Args:
        photo (str | None): a photo to draw on, or None for a blank image.
        box_cxcywh (tuple[float, float, float, float]): the initial box (cx, cy, w, h).

    Returns:
        Explorer: with ``state`` keys ``box`` (xyxy), ``best_prior``, ``best_iou`` and
        ``priors_above_half`` (priors with IoU >= 0.5).
    """
    picture = data.load_photo(photo) if photo is not None else None
    priors_cxcy = priors.tiny_detector_priors()

    def render(values: dict[str, Any]) -> tuple[Figure, str, dict[str, Any]]:
        cxcywh = torch.tensor([[values[k] for k in ("cx", "cy", "w", "h")]], dtype=torch.float32)
        box = cxcywh_to_xyxy(cxcywh).clamp(0, 1)  # [1, 4]
        iou = matching.gt_prior_iou(box, priors_cxcy)  # [1, P]
        best = int(matching.principle1(iou)[0])
        state = {
            "box": [round(v, 4) for v in box[0].tolist()],
            "best_prior": best,
            "best_iou": round(float(iou[0, best]), 4),
            "priors_above_half": int((iou[0] >= 0.5).sum()),
        }
        fig = Figure(figsize=(10.5, 4.4))
        fig.subplots_adjust(left=0.01, right=0.97, top=0.92, bottom=0.1, wspace=0.15)
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
        viz.show_image(left, picture.image if picture is not None else None,
                       figure_text("GT box and its best prior"))
        viz.draw_priors(left, priors_cxcy[best:best + 1], texts=[figure_text("prior {index}", index=best)],
                        label="best prior (principle 1)")
        viz.draw_gt_boxes(left, box, [figure_text("box")])
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2, fontsize=8, frameon=False)
        viz.draw_prior_iou_mosaic(right, iou[0], highlight=best)
        i, j, k = best // 63, best // 9 % 7, best % 9
        readout = "\n".join([
            text("box (x1, y1, x2, y2) = ({corners})", corners=", ".join(f"{v:.2f}" for v in state["box"])),
            text("principle 1 gives it prior {best} (cell row {i}, column {j}, shape {k}): IoU {best_iou:.4f}",
                 best=best, i=i, j=j, k=k, best_iou=state["best_iou"]),
            text("priors with IoU >= 0.5 (principle 2 at threshold 0.5): {priors_above_half}", **state),
        ])
        return fig, readout, state

    cx, cy, w, h = box_cxcywh
    controls = {
        "cx": _slider(text("centre x"), cx, 0.0, 1.0, 0.01),
        "cy": _slider(text("centre y"), cy, 0.0, 1.0, 0.01),
        "w": _slider(text("width"), w, 0.02, 1.0, 0.01),
        "h": _slider(text("height"), h, 0.02, 1.0, 0.01),
    }
    return Explorer(controls, render)
