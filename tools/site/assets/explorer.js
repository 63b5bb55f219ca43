/* Static explorers: the controls pick one of the settings the site builder computed with the
 * course's package. Nothing here matches boxes or computes a loss: "frames" explorers show the
 * live explorer's own picture and readout for the setting; the box explorer draws the box, its
 * best prior and the IoU heat map from drawing data (colours already picked by the builder).
 */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function svg(name, attributes, parent) {
    var element = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    if (parent) parent.appendChild(element);
    return element;
  }

  function fill(template, fields) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(fields, key) ? String(fields[key]) : match;
    });
  }

  function setUp(figure) {
    var data = JSON.parse(figure.querySelector("script.explorer-data").textContent);
    var inputs = data.controls.map(function (control) {
      return figure.querySelector('[data-control="' + control.name + '"]');
    });

    function indices() {
      return data.controls.map(function (control, i) {
        return control.kind === "checkbox" ? (inputs[i].checked ? 1 : 0) : parseInt(inputs[i].value, 10);
      });
    }

    function showValues(current) {
      data.controls.forEach(function (control, i) {
        if (control.kind !== "slider") return;
        var output = inputs[i].parentNode.querySelector("output");
        if (output) output.textContent = control.labels[current[i]];
      });
    }

    var update = data.kind === "box" ? boxExplorer(figure, data) : framesExplorer(figure, data);
    function changed() {
      var current = indices();
      showValues(current);
      update(current);
    }
    inputs.forEach(function (input) {
      input.addEventListener("input", changed);
      input.addEventListener("change", changed);
    });
    changed();
  }

  // Pictures and readouts of the live explorer, one per setting.
  function framesExplorer(figure, data) {
    var picture = figure.querySelector(".explorer-picture");
    var readout = figure.querySelector(".explorer-readout");
    var wanted = null;
    return function (current) {
      var ignored = {};
      data.controls.forEach(function (control, i) {
        var names = data.overrides[control.name];
        if (names && control.kind === "checkbox" && current[i] === 1) names.forEach(function (n) { ignored[n] = true; });
      });
      var key = data.controls.map(function (control, i) {
        return ignored[control.name] ? "*" : String(current[i]);
      }).join(",");
      var frame = data.frames[key];
      if (!frame) {
        console.error("no picture for the setting " + key);
        return;
      }
      wanted = key;
      var next = new Image();
      next.onload = function () {
        if (wanted !== key) return;  // a later setting was asked for meanwhile
        picture.src = next.src;
        readout.textContent = frame[1];
        figure.setAttribute("data-shown", key);
      };
      next.onerror = function () { console.error("could not load the picture " + frame[0]); };
      next.src = frame[0];
    };
  }

  // The box explorer: the box and its best prior on the photo, and the IoU of every prior.
  function boxExplorer(figure, data) {
    var readout = figure.querySelector(".explorer-readout");
    var names = data.controls.map(function (control) { return control.name; });
    var at = function (name) { return names.indexOf(name); };
    var W = data.photoSize[0], H = data.photoSize[1];
    var labels = data.labels;

    // left: the photo, the GT box (yellow) and its best prior (red), as in ssd_course.viz
    var photo = figure.querySelector(".box-photo");
    photo.setAttribute("viewBox", "0 0 " + W + " " + H);
    photo.setAttribute("aria-label", labels.box_title);
    var title = document.createElement("div");
    title.className = "box-title";
    title.textContent = labels.box_title;
    photo.parentNode.insertBefore(title, photo);
    if (data.photo) svg("image", { href: data.photo, x: 0, y: 0, width: W, height: H, preserveAspectRatio: "none" }, photo);
    else svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#f2f2f2" }, photo);
    var unit = W / 350;  // one point of the live figure, in photo pixels
    var priorRect = svg("rect", { class: "best-prior", fill: "none", stroke: "#e41a1c", "stroke-width": 1.5 * unit * 1.1 }, photo);
    var gtRect = svg("rect", { class: "gt-box", fill: "none", stroke: "#ffd700", "stroke-width": 3 * unit * 1.1 }, photo);
    function caption(colour, textColour) {
      var group = svg("g", {}, photo);
      var background = svg("rect", { fill: colour, "fill-opacity": 0.85 }, group);
      var text = svg("text", { fill: textColour, "font-size": 8 * unit * 1.1, "font-family": "DejaVu Sans, sans-serif" }, group);
      return { group: group, background: background, text: text };
    }
    var priorCaption = caption("#e41a1c", "#ffffff");
    var gtCaption = caption("#ffd700", "#000000");
    var legend = figure.querySelector(".box-legend");
    legend.innerHTML = "";
    [[labels.box_legend_prior, "#e41a1c"], [labels.box_legend_gt, "#ffd700"]].forEach(function (entry) {
      var span = document.createElement("span");
      span.textContent = entry[0];
      span.style.setProperty("--swatch", entry[1]);
      legend.appendChild(span);
    });

    function place(captionParts, label, x, y) {
      // the caption's bottom-left corner at (x, y), clamped into the picture as ssd_course.viz does
      x = Math.min(Math.max(x, 0), 0.98) * W;
      y = Math.min(Math.max(y, 0.03), 0.99) * H;
      var pad = 1.5 * unit;
      captionParts.text.textContent = label;
      captionParts.text.setAttribute("x", x + pad);
      captionParts.text.setAttribute("y", y - pad - 1.5 * unit);
      var box = captionParts.text.getBBox();
      captionParts.background.setAttribute("x", x);
      captionParts.background.setAttribute("y", box.y - pad);
      captionParts.background.setAttribute("width", box.width + 2 * pad);
      captionParts.background.setAttribute("height", box.height + 2 * pad);
    }

    function rect(element, box) {
      element.setAttribute("x", box[0] * W);
      element.setAttribute("y", box[1] * H);
      element.setAttribute("width", Math.max(0, box[2] - box[0]) * W);
      element.setAttribute("height", Math.max(0, box[3] - box[1]) * H);
    }

    // right: one square per prior, tiles of scale x ratio, as ssd_course.viz.draw_prior_iou_mosaic
    var mosaic = figure.querySelector(".box-mosaic");
    var G = data.grid, S = data.scales.length, R = data.ratios.length, cell = 10;
    var left = 78, top = 30, size = (R * (G + 1) - 1) * cell, height = (S * (G + 1) - 1) * cell;
    var barX = left + size + 18, barWidth = 14;
    mosaic.setAttribute("viewBox", "0 0 " + (barX + barWidth + 34) + " " + (top + height + 30));
    mosaic.setAttribute("aria-label", labels.mosaic_title);
    svg("text", { x: (barX + barWidth + 34) / 2, y: 16, "text-anchor": "middle", "font-size": 12.5 }, mosaic)
      .textContent = labels.mosaic_title;
    var cells = [];
    for (var p = 0; p < data.priors.length; p++) {
      // priors are ordered row, column, scale, ratio
      var i = Math.floor(p / (G * S * R)), j = Math.floor(p / (S * R)) % G, s = Math.floor(p / R) % S, r = p % R;
      cells.push(svg("rect", {
        x: left + (r * (G + 1) + j) * cell, y: top + (s * (G + 1) + i) * cell, width: cell, height: cell,
        "shape-rendering": "crispEdges", "data-prior": p,
      }, mosaic));
    }
    data.scales.forEach(function (scale, s) {
      svg("text", { x: left - 8, y: top + (s * (G + 1) + G / 2) * cell + 4, "text-anchor": "end", "font-size": 11.5 }, mosaic)
        .textContent = fill(labels.scale, { v: scale });
    });
    data.ratios.forEach(function (ratio, r) {
      svg("text", { x: left + (r * (G + 1) + G / 2) * cell, y: top + height + 17, "text-anchor": "middle", "font-size": 11.5 }, mosaic)
        .textContent = fill(labels.ratio, { v: ratio });
    });
    var highlight = svg("rect", { class: "best-cell", width: cell, height: cell, fill: "none", stroke: "#e41a1c", "stroke-width": 2.5 }, mosaic);
    var defs = svg("defs", {}, mosaic);
    var gradient = svg("linearGradient", { id: figure.id + "-viridis", x1: 0, y1: 1, x2: 0, y2: 0 }, defs);
    for (var k = 0; k < data.lut.length; k += 15) {
      svg("stop", { offset: k / (data.lut.length - 1), "stop-color": data.lut[k] }, gradient);
    }
    svg("stop", { offset: 1, "stop-color": data.lut[data.lut.length - 1] }, gradient);
    svg("rect", { x: barX, y: top, width: barWidth, height: height, fill: "url(#" + figure.id + "-viridis)", stroke: "#000", "stroke-width": 0.6 }, mosaic);
    for (var t = 0; t <= 5; t++) {
      var y = top + height * (1 - t / 5);
      svg("line", { x1: barX + barWidth, x2: barX + barWidth + 4, y1: y, y2: y, stroke: "#000", "stroke-width": 0.8 }, mosaic);
      svg("text", { x: barX + barWidth + 6, y: y + 4, "font-size": 10.5 }, mosaic).textContent = (t / 5).toFixed(1);
    }

    function draw(chunk, current) {
      if (!chunk.bytes) {
        var raw = atob(chunk.iou);
        chunk.bytes = new Uint8Array(raw.length);
        for (var b = 0; b < raw.length; b++) chunk.bytes[b] = raw.charCodeAt(b);
      }
      var n = current[at("cy")] * data.columns + current[at("cx")];
      var record = chunk.records[n];  // x1, y1, x2, y2, best, IoU, priors >= 0.5, box text, row, column, shape
      var P = data.priors.length, best = record[4];
      for (var q = 0; q < P; q++) cells[q].setAttribute("fill", data.lut[chunk.bytes[n * P + q]]);
      highlight.setAttribute("x", cells[best].getAttribute("x"));
      highlight.setAttribute("y", cells[best].getAttribute("y"));
      highlight.setAttribute("data-prior", best);
      rect(gtRect, record.slice(0, 4));
      rect(priorRect, data.priors[best]);
      priorRect.setAttribute("data-prior", best);
      place(gtCaption, labels.box_gt, record[0], record[1]);
      place(priorCaption, fill(labels.box_prior, { n: best }), data.priors[best][0], data.priors[best][3]);
      readout.textContent = fill(data.template, {
        box: record[7], best: best, row: record[8], column: record[9], shape: record[10], iou: record[5], above: record[6],
      });
      figure.setAttribute("data-shown", current.join(","));
    }

    var wanted = null;
    window.SSD_BOX = window.SSD_BOX || {};
    return function (current) {
      var id = data.chunkIds[current[at("w")]][current[at("h")]];
      var key = data.folder + "/" + id;
      wanted = current.join(",");
      if (window.SSD_BOX[key]) return draw(window.SSD_BOX[key], current);
      var script = document.createElement("script");
      script.src = data.chunks[id];
      script.onload = function () {
        if (wanted === current.join(",")) draw(window.SSD_BOX[key], current);
      };
      script.onerror = function () { console.error("could not load the explorer's data " + script.src); };
      document.head.appendChild(script);
    };
  }

  document.querySelectorAll("figure.explorer").forEach(setUp);
})();
