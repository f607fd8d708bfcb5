/* Samenbeeld dashboard: the chart taken away — as PNG or SVG, its figures as CSV — and
 * printed on one A4 page.
 *
 * The SVG is drawn here from what the chart plots (figure.sbModel), in each panel's own
 * scales and layout (its uPlot instance) and with SBCharts' ticks and styles, so it shows
 * what the screen shows: the title, each panel with its unit, value ticks and period ticks,
 * the ranges (shaded, or a whisker for a lone period), the suppressed periods' markers, the
 * lines, a legend and the attribution under the chart (#trend-source). The PNG is that SVG
 * rasterised at twice its size. The CSV holds the chart's figures exactly as the API served
 * them (model.figures) under one first line: "# " and the attribution. Printing (or print
 * media emulated) opens the figures table and fits the chart to the print stylesheet's A4
 * width, at a lower height. Nothing here asks a server for anything.
 */
"use strict";

(function () {
  const SB = window.SB;
  const Charts = window.SBCharts;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const TITLE_HEIGHT = 34;
  const LEGEND_ROW = 20;
  const UNIT_HEIGHT = 20;
  const SOURCE_HEIGHT = 28;
  const GAP_HALF = { min: 4, max: 14 };
  const PRINT_HEIGHT = 0.75; /* of the panels' height on screen, so that the table fits too */

  function figure() {
    return document.getElementById("trend-figure");
  }

  /* ---- SVG ---- */

  function node(parent, name, attributes, text) {
    const el = document.createElementNS(SVG_NS, name);
    Object.keys(attributes).forEach(function (key) {
      if (attributes[key] != null) el.setAttribute(key, attributes[key]);
    });
    if (text !== undefined) el.textContent = text;
    parent.appendChild(el);
    return el;
  }

  /* An rgba() colour as SVG 1.1 has it: {fill, opacity}. */
  function paint(rgba) {
    const parts = rgba.match(/[\d.]+/g);
    return { color: "rgb(" + parts.slice(0, 3).join(",") + ")", opacity: parts[3] || "1" };
  }

  function fixed(n) {
    return Number(n.toFixed(2));
  }

  /* A polyline through the non-null values, broken at every null (a gap, never zero). */
  function linePath(values, at) {
    let d = "";
    let pen = false;
    values.forEach(function (v, i) {
      if (v == null) {
        pen = false;
        return;
      }
      d += (pen ? " L" : (d ? " M" : "M")) + fixed(at.x(i)) + " " + fixed(at.y(v));
      pen = true;
    });
    return d;
  }

  /* Runs of two or more periods with both bounds, as closed areas. */
  function rangeArea(range, at) {
    const has = function (i) { return range.low[i] != null && range.high[i] != null; };
    let d = "";
    let run = [];
    range.low.concat([null]).forEach(function (_, i) {
      if (i < range.low.length && has(i)) {
        run.push(i);
        return;
      }
      if (run.length > 1) {
        const top = run.map(function (k) { return fixed(at.x(k)) + " " + fixed(at.y(range.high[k])); });
        const bottom = run.slice().reverse().map(function (k) { return fixed(at.x(k)) + " " + fixed(at.y(range.low[k])); });
        d += (d ? " " : "") + "M" + top.concat(bottom).join(" L") + " Z";
      }
      run = [];
    });
    return d;
  }

  function drawRange(group, range, at) {
    const style = Charts.style.ranges[range.key];
    const fill = paint(style.fill);
    const dash = style.dash ? style.dash.join(" ") : null;
    node(group, "path", { d: rangeArea(range, at), fill: fill.color, "fill-opacity": fill.opacity,
      "data-series": range.key });
    [range.low, range.high].forEach(function (values) {
      node(group, "path", { d: linePath(values, at), fill: "none", stroke: style.edge, "stroke-dasharray": dash });
    });
    if (range.mid) {
      node(group, "path", { d: linePath(range.mid, at), fill: "none", stroke: style.mid, "stroke-width": 1.5,
        "stroke-dasharray": "4 4", "data-series": range.key + "_mid" });
    }
    Charts.isolated(range).forEach(function (i) {
      const low = at.y(range.low[i]);
      const high = at.y(range.high[i]);
      node(group, "rect", { x: fixed(at.x(i) - 5), y: fixed(Math.min(low, high) - 1), width: 10,
        height: fixed(Math.abs(low - high) + 2), fill: fill.color, "fill-opacity": fill.opacity,
        stroke: style.edge, "stroke-width": 1.5, "data-marker": range.key });
      if (range.mid && range.mid[i] != null) {
        node(group, "circle", { cx: fixed(at.x(i)), cy: fixed(at.y(range.mid[i])), r: 3.5, fill: style.mid });
      }
    });
  }

  function drawGaps(group, model, panel, at, plot) {
    const step = at.x(0, model.x[0] + Charts.periodSeconds[model.period]) - at.x(0);
    const half = Math.max(GAP_HALF.min, Math.min(step * 0.4, GAP_HALF.max));
    const gap = paint(Charts.style.gapFill);
    panel.suppressed.forEach(function (reason, i) {
      if (!reason) return;
      const x = at.x(i);
      const y = plot.top + plot.height - 10;
      node(group, "rect", { x: fixed(x - half), y: plot.top, width: fixed(2 * half), height: plot.height,
        fill: gap.color, "fill-opacity": gap.opacity, "data-suppressed": reason });
      node(group, "path", { d: "M" + fixed(x - 4) + " " + (y - 4) + " L" + fixed(x + 4) + " " + (y + 4)
        + " M" + fixed(x + 4) + " " + (y - 4) + " L" + fixed(x - 4) + " " + (y + 4),
        stroke: Charts.style.gapMark, "stroke-width": 1.5 });
    });
  }

  function drawAxes(group, model, state, plot, at, bottom) {
    const u = state.chart;
    const axis = Charts.style.axis;
    Charts.valueTicks(u.scales.y.min, u.scales.y.max).forEach(function (v) {
      const y = fixed(at.y(v));
      node(group, "line", { x1: plot.left, x2: plot.left + plot.width, y1: y, y2: y, stroke: Charts.style.grid });
      node(group, "text", { x: plot.left - 6, y: y + 4, "text-anchor": "end", fill: axis }, SB.number(v));
    });
    Charts.periodTicks(u.scales.x.min, u.scales.x.max, model.period, plot.width).forEach(function (tick) {
      const x = fixed(at.x(0, tick.at));
      node(group, "line", { x1: x, x2: x, y1: plot.top, y2: plot.top + plot.height, stroke: Charts.style.grid });
      if (bottom) {
        node(group, "text", { x: x, y: plot.top + plot.height + 18, "text-anchor": "middle", fill: axis,
          "data-tick": "time" }, tick.label);
      }
    });
    node(group, "rect", { x: plot.left, y: plot.top, width: plot.width, height: plot.height, fill: "none",
      stroke: axis, "stroke-width": 0.5 });
    node(group, "text", { x: 16, y: plot.top - u.bbox.top / devicePixelRatio - 6, fill: axis,
      "font-weight": "bold", "data-unit": "" }, state.unit);
  }

  /* One panel at offset (SVG pixels from the top), in its chart's own layout and scales. */
  function drawPanel(svg, model, panel, state, offset, bottom) {
    const u = state.chart;
    const ratio = devicePixelRatio;
    const plot = { left: u.bbox.left / ratio, top: offset + u.bbox.top / ratio,
      width: u.bbox.width / ratio, height: u.bbox.height / ratio };
    const at = {
      x: function (i, ts) { return plot.left + u.valToPos(ts === undefined ? model.x[i] : ts, "x"); },
      y: function (v) { return plot.top + u.valToPos(v, "y"); },
    };
    const group = node(svg, "g", { "data-panel": panel.key,
      "data-plot": [plot.left, plot.top, plot.width, plot.height].map(fixed).join(" "),
      "data-y": u.scales.y.min + " " + u.scales.y.max });
    drawAxes(group, model, state, plot, at, bottom);
    drawGaps(group, model, panel, at, plot);
    if (panel.range) drawRange(group, panel.range, at);
    panel.lines.forEach(function (line) {
      node(group, "path", { d: linePath(line.values, at), fill: "none", stroke: line.color,
        "stroke-width": line.width || 2, "stroke-dasharray": line.dash ? line.dash.join(" ") : null,
        "data-series": line.key });
      if (line.points === false) return;
      line.values.forEach(function (v, i) {
        if (v != null) node(group, "circle", { cx: fixed(at.x(i)), cy: fixed(at.y(v)), r: 3, fill: line.color });
      });
    });
  }

  /* The legend's entries: each line, and each range with its median. */
  function legendItems(model) {
    const items = [];
    model.panels.forEach(function (panel) {
      panel.lines.forEach(function (line) {
        items.push({ label: line.label, stroke: line.color, dash: line.dash });
      });
      if (!panel.range) return;
      const style = Charts.style.ranges[panel.range.key];
      const name = panel.range.key === "band" ? "series.band" : "table.interval";
      items.push({ label: SB.t(name), fill: style.fill, stroke: style.edge });
      if (panel.range.mid) items.push({ label: panel.range.label.mid, stroke: style.mid, dash: [4, 4] });
    });
    return items;
  }

  function drawLegend(svg, items, top, width) {
    let x = 16;
    let y = top + 14;
    items.forEach(function (item) {
      const room = 30 + item.label.length * 7;
      if (x > 16 && x + room > width) {
        x = 16;
        y += LEGEND_ROW;
      }
      if (item.fill) {
        const fill = paint(item.fill);
        node(svg, "rect", { x: x, y: y - 9, width: 20, height: 10, fill: fill.color, "fill-opacity": fill.opacity,
          stroke: item.stroke });
      } else {
        node(svg, "line", { x1: x, x2: x + 20, y1: y - 4, y2: y - 4, stroke: item.stroke, "stroke-width": 2.5,
          "stroke-dasharray": item.dash ? item.dash.join(" ") : null });
      }
      node(svg, "text", { x: x + 26, y: y, fill: Charts.style.axis }, item.label);
      x += room + 12;
    });
    return y + LEGEND_ROW - top;
  }

  /* The drawn chart as an SVG document (a string). */
  function svgText(shown) {
    const model = shown.sbModel;
    const width = shown.sbPanels[0].chart.width;
    const svg = document.createElementNS(SVG_NS, "svg");
    const background = node(svg, "rect", { x: 0, y: 0, width: width, fill: "#ffffff" });
    node(svg, "text", { x: 16, y: 22, "font-size": 16, "font-weight": "bold", fill: Charts.style.axis },
      shown.dataset.title);
    let offset = TITLE_HEIGHT;
    shown.sbPanels.forEach(function (state, k) {
      offset += UNIT_HEIGHT;
      drawPanel(svg, model, model.panels[k], state, offset, k === shown.sbPanels.length - 1);
      offset += state.chart.height;
    });
    offset += drawLegend(svg, legendItems(model), offset, width);
    node(svg, "text", { x: 16, y: offset + 16, fill: Charts.style.axis, "data-source": "" },
      shown.querySelector(".source").textContent);
    const height = offset + SOURCE_HEIGHT;
    background.setAttribute("height", height);
    svg.setAttribute("xmlns", SVG_NS);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("font-family", "DejaVu Sans, Arial, sans-serif");
    svg.setAttribute("font-size", "12");
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg);
  }

  /* ---- PNG, CSV, saving ---- */

  async function pngBlob(text) {
    const image = new Image();
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth * 2;
    canvas.height = image.naturalHeight * 2;
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); });
  }

  function csvCell(value) {
    const text = value == null ? "" : String(value);
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csvText(shown) {
    const figures = shown.sbModel.figures;
    const lines = [figures.columns].concat(figures.rows).map(function (row) { return row.map(csvCell).join(","); });
    return ["# " + shown.querySelector(".source").textContent].concat(lines).join("\r\n") + "\r\n";
  }

  function fileName(shown, extension) {
    const model = shown.sbModel;
    const label = function (ts) { return Charts.periodLabel(ts, model.period); };
    return "samenbeeld-" + model.indicator + "-" + label(model.x[0]) + "_" + label(model.x[model.x.length - 1])
      + "." + extension;
  }

  function save(blob, name) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
  }

  const MAKERS = {
    png: function (shown) { return pngBlob(svgText(shown)); },
    svg: function (shown) { return new Blob([svgText(shown)], { type: "image/svg+xml" }); },
    csv: function (shown) { return new Blob([csvText(shown)], { type: "text/csv;charset=utf-8" }); },
  };

  async function download(kind) {
    const shown = figure();
    if (!shown || shown.dataset.state !== "drawn" || !shown.sbModel) return;
    try {
      save(await MAKERS[kind](shown), fileName(shown, kind));
    } catch (error) {
      SB.notice(SB.t("takeaway.failed", { reason: error.message || String(error) }));
    }
  }

  document.querySelectorAll("button[data-download]").forEach(function (button) {
    button.addEventListener("click", function () { download(button.dataset.download); });
  });

  /* ---- print ---- */

  const printing = window.matchMedia("print");
  printing.addEventListener("change", function () {
    const shown = figure();
    if (!shown) return;
    shown.closest("section").querySelectorAll("details").forEach(function (details) {
      if (printing.matches) details.dataset.open = String(details.open);
      details.open = printing.matches || details.dataset.open === "true";
    });
    Charts.resize(shown, printing.matches ? PRINT_HEIGHT : 1);
  });
})();
