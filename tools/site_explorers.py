"""Static versions of the notebooks' interactive explorers, for the course website.

A notebook shows an explorer with a cell like ``widgets.iou_threshold_explorer("coffee")``.
On the site, its place is taken by a static explorer whose controls move over a fixed grid
of settings, every picture and number of which the package computed here, at build time:

* Explorers with a few settings (the IoU threshold, the negative:positive ratio: every value
  their sliders can take, times their check boxes) are driven through the live
  :class:`ssd_course.widgets.Explorer` itself, setting after setting: the site shows its
  pictures (as 256-colour PNGs, a third of the size, the lines and text exact) and its
  readouts, unchanged.
* The box explorer has four sliders of 100 steps each, too many pictures. Its static version
  draws in the browser (``assets/explorer.js``, SVG) from drawing data computed here by the
  functions the live explorer calls -- the clipped box, ``matching.gt_prior_iou``,
  ``matching.principle1`` -- for boxes on a grid of 0.1 steps; the heat map's colours are
  matplotlib's viridis entries, picked here. Nothing of matching is computed in JavaScript.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import html
import inspect
import io
import itertools
import json
import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image

import ssd_course
from ssd_course import data, matching, priors, widgets
from ssd_course.boxes import cxcywh_to_xyxy

if TYPE_CHECKING:
    from build_site import PageContext, Site

# the explorers work on small tensors, where a second thread costs more in synchronisation than it
# saves (badly so on a busy machine)
torch.set_num_threads(1)

MAX_SLIDER_VALUES = 41  # a slider with more values is thinned to a regular subset
MAX_FRAMES = 120  # pictures per explorer, at most
# a check box that, when ticked, makes the named sliders irrelevant (one picture for all their values)
OVERRIDES = {"negative_ratio_explorer": {"all_negatives": ("neg_pos_ratio",)}}
# the static box explorer's grid: (first, last, step) of each slider
BOX_GRID = {"cx": (0.1, 0.9, 0.1), "cy": (0.1, 0.9, 0.1), "w": (0.1, 1.0, 0.1), "h": (0.1, 1.0, 0.1)}

STRINGS = {
    "en": {
        "caption": "A static copy of the live explorer: its pictures and counts were computed by the package for "
                   "{grid} ({n} settings). Run the notebook to move it freely.",
        "slider_grid": "{label} from {first} to {last} in steps of {step}",
        "checkbox_grid": "“{label}” on and off",
        "select_grid": "each {label}",
        "picture_alt": "The explorer's picture at this setting",
        "box_caption": "A static copy of the live explorer: the box moves on a grid of {step} steps (the live one "
                       "moves by 0.01); for each box, the package computed the IoU with every prior, the prior "
                       "principle 1 gives it and the counts ({n} boxes). Run the notebook to move it freely.",
        # the live box explorer's picture and readout (ssd_course.widgets.box_explorer)
        "box_title": "GT box and its best prior",
        "box_gt": "GT 0: box",
        "box_prior": "prior {n}",
        "box_legend_prior": "best prior (principle 1)",
        "box_legend_gt": "GT box",
        "mosaic_title": "IoU with each prior (tile = scale x ratio, square = cell)",
        "scale": "scale {v}",
        "ratio": "ratio {v}",
        "box_readout": "box (x1, y1, x2, y2) = ({box})\n"
                       "principle 1 gives it prior {best} (cell row {row}, column {column}, shape {shape}): IoU {iou}\n"
                       "priors with IoU >= 0.5 (principle 2 at threshold 0.5): {above}",
        "noscript": "This explorer needs JavaScript.",
    },
    "zh": {
        "caption": "交互式探索器的静态版本：图片和数字由课程的软件包针对{grid}预先算好（共 {n} 种设置）。"
                   "运行笔记本即可自由调节。",
        "slider_grid": "{label}从 {first} 到 {last}、步长 {step}",
        "checkbox_grid": "“{label}”勾选与不勾选",
        "select_grid": "每个{label}",
        "picture_alt": "探索器在此设置下的图片",
        "box_caption": "交互式探索器的静态版本：框以 {step} 为步长移动（交互版本为 0.01）；对每个框，软件包算出了它与"
                       "每个先验框的 IoU、第一个原则分给它的先验框以及各项计数（共 {n} 个框）。运行笔记本即可自由调节。",
        "box_title": "真实框及其最佳先验框",
        "box_gt": "真实框 0：框",
        "box_prior": "先验框 {n}",
        "box_legend_prior": "最佳先验框（第一个原则）",
        "box_legend_gt": "真实框",
        "mosaic_title": "与每个先验框的 IoU（小图 = 尺度 × 宽高比，方格 = 网格单元）",
        "scale": "尺度 {v}",
        "ratio": "宽高比 {v}",
        "box_readout": "框 (x1, y1, x2, y2) = ({box})\n"
                       "第一个原则分给它先验框 {best}（网格第 {row} 行、第 {column} 列，形状 {shape}）：IoU {iou}\n"
                       "与它 IoU >= 0.5 的先验框（阈值 0.5 时的第二个原则）：{above} 个",
        "noscript": "这个探索器需要 JavaScript。",
    },
}


class ExplorerError(Exception):
    """An explorer cell the site cannot make static."""


@contextlib.contextmanager
def package_language(lang: str) -> Iterator[str]:
    """Run the package in ``lang`` when it can speak it; yields the language it speaks."""
    setter = getattr(ssd_course, "set_language", None)
    if setter is None or lang == "en":
        yield "en"
        return
    setter(lang)
    try:
        yield lang
    finally:
        setter("en")


def find_explorer_call(source: str) -> tuple[str, list[Any], dict[str, Any]] | None:
    """The ``widgets.<explorer>(...)`` call of a notebook cell, with its literal arguments."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "widgets":
            name = func.attr
        elif isinstance(func, ast.Name):
            name = func.id
        else:
            continue
        if name.endswith("_explorer") and name in widgets.__all__:
            try:
                args = [ast.literal_eval(arg) for arg in node.args]
                kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
            except ValueError:
                raise ExplorerError(f"the arguments of {name} must be literals for the site: {ast.unparse(node)}")
            return name, args, kwargs
    return None


def grid_values(first: float, last: float, step: float) -> list[float]:
    count = int(round((last - first) / step)) + 1
    return [round(first + k * step, 6) for k in range(count)]


def nearest(values: list[Any], value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return min(range(len(values)), key=lambda i: abs(values[i] - value))
    return values.index(value)


def thin(values: list[Any], keep: int, initial: int) -> tuple[list[Any], int]:
    """Every k-th value, through the initial one, so that at most ``keep`` remain."""
    k = math.ceil(len(values) / keep)
    chosen = [v for i, v in enumerate(values) if (i - initial) % k == 0]
    return chosen, initial // k


def control_spec(name: str, control: Any) -> dict[str, Any]:
    """The values a static control takes, from a live ipywidgets control."""
    kind = type(control).__name__
    if kind in ("FloatSlider", "IntSlider"):
        values = grid_values(control.min, control.max, control.step)
        if kind == "IntSlider":
            values = [int(round(v)) for v in values]
        initial = nearest(values, control.value)
        if len(values) > MAX_SLIDER_VALUES:
            values, initial = thin(values, MAX_SLIDER_VALUES, initial)
        fmt = control.readout_format
        return {"name": name, "kind": "slider", "label": control.description, "values": values,
                "labels": [format(v, fmt) for v in values], "initial": initial}
    if kind in ("Checkbox", "ToggleButton"):
        return {"name": name, "kind": "checkbox", "label": control.description, "values": [False, True],
                "labels": ["off", "on"], "initial": int(bool(control.value))}
    if kind in ("Dropdown", "ToggleButtons", "RadioButtons", "Select"):
        labels, values = list(control._options_labels), list(control._options_values)
        return {"name": name, "kind": "select", "label": control.description, "values": values, "labels": labels,
                "initial": values.index(control.value)}
    raise ExplorerError(f"control {name!r} is a {kind}, which the static explorers do not know")


def readout_text(readout_html: str) -> str:
    """The text of an explorer's readout (an HTML ``<pre>``)."""
    match = re.search(r"<pre[^>]*>(.*)</pre>", readout_html, re.S)
    return html.unescape(match.group(1) if match else re.sub(r"<[^>]+>", "", readout_html))


def compact_png(png: bytes) -> bytes:
    """A picture in at most 256 colours: a third of the bytes, and the same to the eye.

    A picture that has at most 256 colours already is only recompressed; in one with more (a
    photo under the drawing), lines and text keep their colours and the photo loses a little.
    (Lossy WebP or JPEG of the same size blur the thin coloured lines the course draws.)
    """
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(png)) as picture:
        rgb = picture.convert("RGB")
        if rgb.getcolors(256) is None:
            rgb = rgb.quantize(256, method=Image.Quantize.MEDIANCUT)
        rgb.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue() if buffer.tell() < len(png) else png


class StaticExplorers:
    """Makes the static explorers of a site; each explorer is computed once for all pages."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.computed: dict[tuple, dict[str, Any]] = {}
        self.count = 0

    def static_explorer(self, source: str, context: PageContext) -> str | None:
        """The HTML of the static explorer that stands for a notebook cell's live one, or None."""
        try:
            call = find_explorer_call(source)
        except ExplorerError as error:
            raise self.site_error(context, error) from None
        if call is None:
            return None
        name, args, kwargs = call
        self.count += 1
        lang = context.page.edition.lang
        try:
            if name == "box_explorer":
                return self.box_explorer(args, kwargs, context, f"explorer-{self.count}", lang)
            return self.picture_explorer(name, args, kwargs, context, f"explorer-{self.count}", lang)
        except ExplorerError as error:
            raise self.site_error(context, error) from None

    @staticmethod
    def site_error(context: PageContext, error: Exception) -> Exception:
        from build_site import BuildError

        return BuildError(f"{context.page.source}: {error}")

    # explorers driven setting by setting

    def picture_frames(self, name: str, args: list, kwargs: dict, lang: str) -> dict[str, Any]:
        with package_language(lang) as spoken:
            key = (name, repr(args), repr(sorted(kwargs.items())), spoken)
            if key in self.computed:
                return self.computed[key]
            explorer = getattr(widgets, name)(*args, **kwargs)
            names = list(explorer.controls)
            specs = [control_spec(n, explorer.controls[n]) for n in names]
            overrides = OVERRIDES.get(name, {})
            while math.prod(len(s["values"]) for s in specs) > MAX_FRAMES:
                widest = max((s for s in specs if s["kind"] == "slider"), key=lambda s: len(s["values"]))
                widest["values"], widest["initial"] = thin(widest["values"], len(widest["values"]) // 2,
                                                           widest["initial"])
                widest["labels"] = [format(v, explorer.controls[widest["name"]].readout_format)
                                    for v in widest["values"]]
            # check boxes and menus outside, sliders inside: one control changes between settings
            order = sorted(range(len(specs)), key=lambda i: specs[i]["kind"] == "slider")
            frames: dict[str, list[str]] = {}
            pictures: dict[str, bytes] = {}
            for indices in snake([len(specs[i]["values"]) for i in order]):
                setting = dict(zip(order, indices))
                frame = frame_key(specs, [setting[i] for i in range(len(specs))], overrides)
                if frame in frames:
                    continue
                for i, spec in enumerate(specs):
                    value = spec["values"][setting[i]]
                    if explorer.controls[spec["name"]].value != value:
                        explorer.controls[spec["name"]].value = value  # the explorer redraws
                pictures[frame] = explorer.image.value
                frames[frame] = [readout_text(explorer.readout.value)]
            result = {"specs": specs, "overrides": overrides, "frames": frames, "pictures": pictures}
            self.computed[key] = result
            return result

    def picture_explorer(self, name: str, args: list, kwargs: dict, context: PageContext, element_id: str,
                         lang: str) -> str:
        computed = self.picture_frames(name, args, kwargs, lang)
        specs, strings = computed["specs"], STRINGS[lang]
        frames = {}
        for frame, (text,) in computed["frames"].items():
            frames[frame] = [self.site.store(computed["pictures"][frame], ".png", context.page, "explorers",
                                             compact=True), text]
        initial = frame_key(specs, [s["initial"] for s in specs], computed["overrides"])
        with Image.open(io.BytesIO(computed["pictures"][initial])) as picture:
            width, height = picture.size
        payload = {"kind": "frames", "controls": [{k: s[k] for k in ("name", "kind", "labels", "initial")}
                                                  for s in specs],
                   "overrides": computed["overrides"], "frames": frames}
        grid = "; ".join(describe_grid(spec, strings) for spec in specs)
        caption = strings["caption"].format(grid=grid, n=len(frames))
        return (f'<figure class="explorer" id="{element_id}" data-kind="frames">'
                + controls_html(specs, element_id)
                + f'<img class="explorer-picture" src="{html.escape(frames[initial][0])}" width="{width}" '
                  f'height="{height}" alt="{html.escape(strings["picture_alt"])}">'
                + f'<pre class="explorer-readout" aria-live="polite">{html.escape(frames[initial][1])}</pre>'
                + f"<figcaption>{html.escape(caption)}</figcaption>"
                + data_script(payload) + "</figure>")

    # the box explorer: drawing data

    def box_data(self, photo: str | None, box_cxcywh: tuple, lang: str) -> dict[str, Any]:
        key = ("box_explorer", photo, tuple(box_cxcywh))
        if key in self.computed:
            return self.computed[key]
        priors_cxcy = priors.tiny_detector_priors()  # [P, 4]
        values = {name: grid_values(*BOX_GRID[name]) for name in BOX_GRID}
        cxs, cys, ws, hs = values["cx"], values["cy"], values["w"], values["h"]
        cmap = colormaps["viridis"]
        lut = cmap(np.arange(cmap.N), bytes=True)[:, :3]  # [256, 3]
        chunks = {}
        for (iw, w), (ih, h) in itertools.product(enumerate(ws), enumerate(hs)):
            # what the live explorer computes for one box, here for the 81 boxes of this size at once
            cxcywh = torch.tensor([[cx, cy, w, h] for cy in cys for cx in cxs], dtype=torch.float32)  # [N, 4]
            boxes = cxcywh_to_xyxy(cxcywh).clamp(0, 1)  # [N, 4]
            iou = matching.gt_prior_iou(boxes, priors_cxcy)  # [N, P]
            best = matching.principle1(iou.unsqueeze(1))[:, 0]  # [N]: each box is the one GT of its image
            best_iou = iou.gather(1, best.unsqueeze(1))[:, 0]  # [N]
            above_half = (iou >= 0.5).sum(dim=1)  # [N]
            # the colour matplotlib gives each IoU (imshow, vmin=0, vmax=1), as an entry of its table
            colours = cmap(iou.double().numpy(), bytes=True)[..., :3]  # [N, P, 3]
            indices = lut_indices(colours, lut)  # [N, P]
            records = []
            for box, b, b_iou, above in zip(boxes.tolist(), best.tolist(), best_iou.tolist(), above_half.tolist()):
                state_box = [round(v, 4) for v in box]
                box_text = ", ".join(f"{v:.2f}" for v in state_box)
                records.append([*state_box, b, f"{round(b_iou, 4):.4f}", above, box_text, b // 63, b // 9 % 7, b % 9])
            chunks[f"w{iw}-h{ih}"] = {"iou": base64.b64encode(indices.tobytes()).decode(), "records": records}
        picture = data.load_photo(photo) if photo is not None else None
        result = {"values": values, "chunks": chunks, "lut": ["#%02x%02x%02x" % tuple(rgb) for rgb in lut.tolist()],
                  "priors_xyxy": [[round(v, 4) for v in row] for row in cxcywh_to_xyxy(priors_cxcy).tolist()],
                  "photo": picture}
        self.computed[key] = result
        return result

    def box_explorer(self, args: list, kwargs: dict, context: PageContext, element_id: str, lang: str) -> str:
        bound = inspect.signature(widgets.box_explorer).bind(*args, **kwargs)
        bound.apply_defaults()
        photo, box_cxcywh = bound.arguments["photo"], tuple(bound.arguments["box_cxcywh"])
        computed = self.box_data(photo, box_cxcywh, lang)
        strings = STRINGS[lang]
        with package_language(lang):
            live = widgets.box_explorer(photo, box_cxcywh)  # for its controls' labels, and a check
        values = computed["values"]
        specs = []
        for name, grid in values.items():
            control = live.controls[name]
            specs.append({"name": name, "kind": "slider", "label": control.description, "values": grid,
                          "labels": [format(v, control.readout_format) for v in grid],
                          "initial": nearest(grid, control.value)})
        self.check_box_record(computed, specs, live, lang)
        folder = f"explorers/box-{photo or 'blank'}"
        chunk_urls = {}
        for chunk_id, chunk in computed["chunks"].items():
            script = (f"(window.SSD_BOX = window.SSD_BOX || {{}})[{json.dumps(folder + '/' + chunk_id)}] = "
                      + json.dumps(chunk, separators=(",", ":")) + ";\n")
            self.site.out.joinpath(folder).mkdir(parents=True, exist_ok=True)
            path = self.site.out / folder / f"{chunk_id}.js"
            if not path.exists():
                path.write_text(script, encoding="utf-8")
            chunk_urls[chunk_id] = context.page.edition.up + f"{folder}/{chunk_id}.js"
        picture = computed["photo"]
        if picture is not None:
            buffer = io.BytesIO()
            Image.fromarray(picture.image).save(buffer, format="JPEG", quality=90)
            photo_url = self.site.store(buffer.getvalue(), ".jpg", context.page, "explorers")
            photo_size = [picture.image.shape[1], picture.image.shape[0]]
        else:
            photo_url, photo_size = None, [1, 1]
        labels = {k: strings[k] for k in ("box_title", "box_gt", "box_prior", "box_legend_prior", "box_legend_gt",
                                          "mosaic_title", "scale", "ratio")}
        payload = {"kind": "box", "controls": [{k: s[k] for k in ("name", "kind", "labels", "initial")} for s in specs],
                   "chunkIds": [[f"w{iw}-h{ih}" for ih in range(len(values["h"]))] for iw in range(len(values["w"]))],
                   "folder": folder, "chunks": chunk_urls, "columns": len(values["cx"]),
                   "photo": photo_url, "photoSize": photo_size, "lut": computed["lut"],
                   "priors": computed["priors_xyxy"], "grid": 7, "scales": list(priors.TINY_SCALES),
                   "ratios": list(priors.TINY_ASPECT_RATIOS), "template": strings["box_readout"], "labels": labels}
        boxes = len(values["cx"]) * len(values["cy"]) * len(values["w"]) * len(values["h"])
        caption = strings["box_caption"].format(step=f"{BOX_GRID['cx'][2]:g}", n=boxes)
        return (f'<figure class="explorer box-explorer" id="{element_id}" data-kind="box">'
                + controls_html(specs, element_id)
                + '<div class="box-panels"><div class="box-panel"><svg class="box-photo" role="img"></svg>'
                  '<div class="box-legend"></div></div><div class="box-panel"><svg class="box-mosaic" role="img">'
                  "</svg></div></div>"
                + f'<pre class="explorer-readout" aria-live="polite"></pre>'
                + f'<noscript><p class="note">{html.escape(strings["noscript"])}</p></noscript>'
                + f"<figcaption>{html.escape(caption)}</figcaption>" + data_script(payload) + "</figure>")

    @staticmethod
    def check_box_record(computed: dict, specs: list[dict], live: widgets.Explorer, lang: str) -> None:
        """The drawing data at the live explorer's own setting must say what the live explorer says."""
        indices = {s["name"]: s["initial"] for s in specs}
        if any(abs(s["values"][s["initial"]] - live.controls[s["name"]].value) > 1e-9 for s in specs):
            return  # the notebook's box is off the grid: nothing to compare
        record = computed["chunks"][f"w{indices['w']}-h{indices['h']}"]["records"][
            indices["cy"] * len(computed["values"]["cx"]) + indices["cx"]]
        mine = {"box": record[:4], "best_prior": record[4], "best_iou": float(record[5]),
                "priors_above_half": record[6]}
        if mine != live.state:
            raise ExplorerError(f"the static box explorer computes {mine} where the live one shows {live.state}: "
                                "update site_explorers.box_data after ssd_course.widgets.box_explorer")
        text = STRINGS["en"]["box_readout"].format(box=record[7], best=record[4], row=record[8], column=record[9],
                                                   shape=record[10], iou=record[5], above=record[6])
        if lang == "en" and text != readout_text(live.readout.value):
            raise ExplorerError(f"the static box explorer's readout {text!r} differs from the live one's "
                                f"{readout_text(live.readout.value)!r}: update STRINGS['en']['box_readout']")


def lut_indices(colours: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """The entry of a colour table (``lut``, [K, 3] bytes) that each colour ([..., 3] bytes) is."""
    def code(rgb: np.ndarray) -> np.ndarray:
        rgb = rgb.astype(np.int64)
        return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]

    table = code(lut)
    order = np.argsort(table)
    position = np.searchsorted(table[order], code(colours)).clip(0, len(table) - 1)
    found = order[position]
    if not np.array_equal(table[found], code(colours)):
        raise ExplorerError("a heat-map colour is not in the colour table")
    return found.astype(np.uint8)


def snake(sizes: list[int]) -> Iterator[tuple[int, ...]]:
    """Every index tuple of a grid, in an order where consecutive tuples differ in one place."""
    if not sizes:
        yield ()
        return
    inner = list(snake(sizes[1:]))
    for i in range(sizes[0]):
        for tail in inner if i % 2 == 0 else reversed(inner):
            yield (i, *tail)


def frame_key(specs: list[dict], indices: list[int], overrides: dict[str, tuple[str, ...]]) -> str:
    """The name of a setting's picture: control indices, "*" for those a ticked box makes irrelevant."""
    ignored = set()
    for spec, index in zip(specs, indices):
        if spec["name"] in overrides and spec["values"][index] is True:
            ignored.update(overrides[spec["name"]])
    return ",".join("*" if spec["name"] in ignored else str(index) for spec, index in zip(specs, indices))


def describe_grid(spec: dict, strings: dict[str, str]) -> str:
    if spec["kind"] == "slider":
        values = spec["values"]
        step = f"{round(values[1] - values[0], 6):g}" if len(values) > 1 else "-"
        return strings["slider_grid"].format(label=spec["label"], first=spec["labels"][0], last=spec["labels"][-1],
                                             step=step)
    if spec["kind"] == "checkbox":
        return strings["checkbox_grid"].format(label=spec["label"])
    return strings["select_grid"].format(label=spec["label"])


def controls_html(specs: list[dict], element_id: str) -> str:
    parts = ['<div class="explorer-controls">']
    for spec in specs:
        control_id = f"{element_id}-{spec['name']}"
        label = html.escape(spec["label"])
        if spec["kind"] == "slider":
            initial = spec["initial"]
            parts.append(f'<div class="control slider"><label for="{control_id}">{label}</label>'
                         f'<input type="range" id="{control_id}" data-control="{spec["name"]}" min="0" '
                         f'max="{len(spec["values"]) - 1}" step="1" value="{initial}">'
                         f'<output for="{control_id}">{html.escape(spec["labels"][initial])}</output></div>')
        elif spec["kind"] == "checkbox":
            checked = " checked" if spec["initial"] else ""
            parts.append(f'<div class="control checkbox"><input type="checkbox" id="{control_id}" '
                         f'data-control="{spec["name"]}"{checked}><label for="{control_id}">{label}</label></div>')
        else:
            options = "".join(f'<option value="{i}"{" selected" if i == spec["initial"] else ""}>'
                              f"{html.escape(str(text))}</option>" for i, text in enumerate(spec["labels"]))
            parts.append(f'<div class="control select"><label for="{control_id}">{label}</label>'
                         f'<select id="{control_id}" data-control="{spec["name"]}">{options}</select></div>')
    parts.append("</div>")
    return "".join(parts)


def data_script(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" class="explorer-data">{text}</script>'
