/* Samenbeeld dashboard: the trend chart (uPlot) with the G40 band, gaps and a keyboard cursor.
 *
 * SBCharts.trend(figure, model, text) draws one chart into figure's .chart-canvas:
 *   model = {x: [unix seconds], lines: [{key, label, values, color, width, dash, points}],
 *            band: {q1, median, q3, label: {q1, median, q3, band}} | null,
 *            interval: {low, high, color, label: {low, high}} | null,
 *            suppressed: [reason | null per x], describe: idx -> [lines of text]}
 * Suppressed periods stay null (a gap, never zero) and get a hatched marker; hovering or
 * moving the keyboard cursor onto one shows its reason in the tooltip. An interval (the
 * 95 % interval of a total with privacy noise, as the API serves it) is shaded between its
 * two bounds, on the lines' axis, after the lines.
 */
"use strict";

window.SBCharts = (function () {
  const AXIS = "#1a1a1a";
  const GRID = "#d0d0d0";
  const BAND_FILL = "rgba(0, 92, 169, 0.16)";
  const BAND_EDGE = "#5b7fa6";
  const BAND_AXIS = "#2b4c73";
  const GAP_FILL = "rgba(90, 90, 90, 0.12)";
  const GAP_MARK = "#595959";
  const INTERVAL_FILL = "rgba(106, 61, 154, 0.16)";
  const WEEK = 7 * 24 * 3600;

  function utc(ts) {
    return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");
  }

  function bandSeries(band, format, lone) {
    const scale = band.scale || "y";
    const points = { show: lone, size: 7, fill: BAND_EDGE };  /* a lone period has no area */
    const edge = { stroke: BAND_EDGE, width: 1, points: points, value: format, scale: scale };
    return [
      Object.assign({ label: band.label.q1, key: "q1" }, edge),
      { label: band.label.median, key: "median", stroke: "#3d3d3d", width: 1.5, dash: [4, 4],
        points: points, value: format, scale: scale },
      Object.assign({ label: band.label.q3, key: "q3" }, edge),
    ];
  }

  /* A lone period gets a week either side instead of uPlot's years-wide default. */
  function scales(model) {
    const lone = model.x.length === 1;
    const x = lone ? { time: true, auto: false, range: [model.x[0] - WEEK, model.x[0] + WEEK] }
      : { time: true };
    return model.band && model.band.scale === "band" ? { x: x, band: { auto: true } } : { x: x };
  }

  function axes(model, text) {
    const grid = { stroke: GRID, width: 1 };
    const list = [
      { stroke: AXIS, grid: grid, ticks: { stroke: GRID },
        values: function (u, splits) { return splits.map(text.tick); } },
      { stroke: AXIS, grid: grid, ticks: { stroke: GRID }, label: text.unit, labelSize: 24, size: 64 },
    ];
    if (model.band && model.band.scale === "band") {
      list.push({ scale: "band", side: 1, stroke: BAND_AXIS, grid: { show: false },
        ticks: { stroke: GRID }, label: text.bandUnit, labelSize: 24, size: 64 });
    }
    return list;
  }

  function lineSeries(line, format) {
    return {
      value: format,
      label: line.label,
      key: line.key,
      stroke: line.color,
      width: line.width || 2,
      dash: line.dash,
      spanGaps: false,
      points: { show: line.points !== false, size: 6, fill: line.color },
    };
  }

  function intervalSeries(interval, format, lone) {
    const edge = { stroke: interval.color, width: 1, dash: [3, 3], value: format, spanGaps: false,
      points: { show: lone, size: 6, fill: interval.color } };  /* a lone period has no area */
    return [
      Object.assign({ label: interval.label.low, key: "interval_low" }, edge),
      Object.assign({ label: interval.label.high, key: "interval_high" }, edge),
    ];
  }

  function gapMarkers(model) {
    return function (u) {
      const ctx = u.ctx;
      const top = u.bbox.top;
      const height = u.bbox.height;
      const step = model.x.length > 1 ? u.bbox.width / (model.x.length - 1) : u.bbox.width;
      const half = Math.max(4, Math.min(step * 0.4, 14)) * devicePixelRatio;
      ctx.save();
      model.suppressed.forEach(function (reason, idx) {
        if (!reason) return;
        const cx = u.valToPos(model.x[idx], "x", true);
        ctx.fillStyle = GAP_FILL;
        ctx.fillRect(cx - half, top, half * 2, height);
        ctx.strokeStyle = GAP_MARK;
        ctx.lineWidth = 1.5 * devicePixelRatio;
        const y = top + height - 10 * devicePixelRatio;
        const r = 4 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(cx - r, y - r);
        ctx.lineTo(cx + r, y + r);
        ctx.moveTo(cx + r, y - r);
        ctx.lineTo(cx - r, y + r);
        ctx.stroke();
      });
      ctx.restore();
    };
  }

  function showTooltip(figure, model, u, idx) {
    const tip = figure.querySelector(".tooltip");
    if (idx == null) {
      tip.hidden = true;
      return;
    }
    tip.hidden = false;
    tip.textContent = "";
    model.describe(idx).forEach(function (line) {
      const p = document.createElement("span");
      p.textContent = line;
      tip.appendChild(p);
    });
    tip.dataset.idx = String(idx);
    tip.dataset.suppressed = model.suppressed[idx] ? "true" : "false";
    const at = u.valToPos(model.x[idx], "x");
    const left = (Number.isFinite(at) ? at : u.over.clientWidth / 2) + u.over.offsetLeft;
    const room = figure.clientWidth - tip.offsetWidth - 8;
    tip.style.left = Math.max(0, Math.min(left + 12, room)) + "px";
  }

  function keyboard(figure) {
    const canvas = figure.querySelector(".chart-canvas");
    canvas.addEventListener("keydown", function (event) {
      const u = figure.sbChart;
      const model = figure.sbModel;
      if (!u || !model) return;
      const last = model.x.length - 1;
      const now = u.cursor.idx == null ? -1 : u.cursor.idx;
      const moves = { ArrowLeft: now - 1, ArrowRight: now + 1, Home: 0, End: last };
      if (!(event.key in moves) || last < 0) return;
      event.preventDefault();
      const idx = Math.max(0, Math.min(last, now < 0 && event.key === "ArrowLeft" ? last : moves[event.key]));
      const at = u.valToPos(model.x[idx], "x");
      u.setCursor({ left: Number.isFinite(at) ? at : u.over.clientWidth / 2, top: u.over.clientHeight / 2 });
      showTooltip(figure, model, u, idx);
    });
    canvas.addEventListener("blur", function () {
      if (figure.sbChart) figure.sbChart.setCursor({ left: -10, top: -10 });
    });
  }

  function clear(figure) {
    if (figure.sbChart) figure.sbChart.destroy();
    figure.sbChart = null;
    figure.sbModel = null;
    figure.querySelector(".chart-canvas").textContent = "";
    figure.querySelector(".tooltip").hidden = true;
  }

  function trend(figure, model, text) {
    clear(figure);
    const canvas = figure.querySelector(".chart-canvas");
    if (!figure.sbKeys) {
      keyboard(figure);
      figure.sbKeys = true;
    }
    const format = function (u, v) { return text.number(v); };
    const series = [{ label: text.period, value: function (u, ts) { return ts == null ? "–" : text.date(ts); } }];
    const data = [model.x];
    const bands = [];
    if (model.band) {
      bandSeries(model.band, format, model.x.length === 1).forEach(function (s) { series.push(s); });
      data.push(model.band.q1, model.band.median, model.band.q3);
      bands.push({ series: [3, 1], fill: BAND_FILL });
    }
    model.lines.forEach(function (line) {
      series.push(lineSeries(line, format));
      data.push(line.values);
    });
    if (model.interval) {
      const low = series.length;
      intervalSeries(model.interval, format, model.x.length === 1).forEach(function (s) { series.push(s); });
      data.push(model.interval.low, model.interval.high);
      bands.push({ series: [low + 1, low], fill: INTERVAL_FILL });
    }
    const width = Math.max(320, canvas.clientWidth || figure.clientWidth || 800);
    const opts = {
      width: width,
      height: 340,
      tzDate: utc,
      series: series,
      bands: bands,
      legend: { live: true },
      cursor: { points: { size: 8 }, drag: { x: false, y: false } },
      scales: scales(model),
      axes: axes(model, text),
      hooks: {
        draw: [gapMarkers(model)],
        setCursor: [function (u) { showTooltip(figure, model, u, u.cursor.idx); }],
      },
    };
    figure.sbModel = model;
    figure.sbChart = new uPlot(opts, data, canvas);
    return figure.sbChart;
  }

  return { trend: trend, clear: clear };
})();
