/* Samenbeeld dashboard: the trend chart (uPlot), in panels that share one time axis.
 *
 * SBCharts.trend(figure, model, text) draws a model into figure's .chart-canvas, one uPlot
 * per panel, stacked, with one x range, synchronised cursors and the legends below them:
 *   model = {x: [unix seconds of period starts], period: "week" | "month",
 *            panels: [{key, unit, lines: [{key, label, values, color, width, dash, points}],
 *                      range: {key: "band" | "interval", low, mid, high, label: {low, mid, high}}
 *                             | null,
 *                      suppressed: [reason | null per x]}],
 *            suppressed: [reason | null per x], describe: idx -> [lines of text]}
 * Each panel's value axis is labelled with its own unit, in a line of text above it (never
 * cut short by the panel's height; SB.draw names the units in the chart's label). A range
 * (the G40 band: Q1, median, Q3; or the 95 % interval of a total with privacy noise, both
 * as the API serves them) is shaded between its bounds, under the lines; a period whose
 * neighbours have no range is drawn as a whisker from low to high with a dot at mid, so a
 * range of one period is never invisible. A suppressed period stays null (a gap, never
 * zero) with a hatched marker; hovering or moving the keyboard cursor onto one shows its
 * reason in the tooltip; figure.sbPanels keeps each panel's chart, ticks and markers.
 * Ticks come from periodTicks (ISO weeks "2026-W45", months "2026-11", or years when the
 * span is long; never a tick per day) and valueTicks; the SVG download (takeaway.js) draws
 * with the same two, the same styles and each panel's own scales.
 */
"use strict";

window.SBCharts = (function () {
  const STYLE = {
    axis: "#1a1a1a",
    grid: "#d0d0d0",
    gapFill: "rgba(90, 90, 90, 0.12)",
    gapMark: "#595959",
    ranges: {
      band: { edge: "#5b7fa6", fill: "rgba(0, 92, 169, 0.16)", mid: "#3d3d3d" },
      interval: { edge: "#6a3d9a", fill: "rgba(106, 61, 154, 0.16)", dash: [3, 3] },
    },
  };
  const DAY = 24 * 3600;
  const PERIOD_SECONDS = { week: 7 * DAY, month: 30.44 * DAY };
  const TICK_SPACE = 76; /* CSS pixels per time label ("2026-W45" in 12 px, with room) */
  const TICK_STEPS = { week: [1, 2, 4, 13, 26], month: [1, 2, 3, 6], year: [1, 2, 5, 10, 20] };
  const AXIS_SIZE = 56;
  const HEIGHTS = { one: 320, upper: 200, lower: 230 }; /* the lower one holds the time labels */

  /* ---- ticks ---- */

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* ISO 8601 week of the day at ts: [week-numbering year, week]. */
  function isoWeek(ts) {
    const day = new Date(ts * 1000);
    const thursday = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(),
      day.getUTCDate() - (day.getUTCDay() + 6) % 7 + 3);
    const year = new Date(thursday).getUTCFullYear();
    return [year, 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY * 1000))];
  }

  /* A period's label at a granularity: "2026-W45", "2026-11" or "2026". */
  function periodLabel(ts, unit) {
    const day = new Date(ts * 1000);
    if (unit === "week") {
      const week = isoWeek(ts);
      return week[0] + "-W" + pad(week[1]);
    }
    if (unit === "month") return day.getUTCFullYear() + "-" + pad(day.getUTCMonth() + 1);
    return String(day.getUTCFullYear());
  }

  /* Where each unit starts in [min, max], with its number in its cycle (a step keeps those
   * divisible by it: weeks 1, 5, 9...; January, April...). */
  function starts(min, max, unit) {
    const found = [];
    const first = new Date(Math.ceil(min / DAY) * DAY * 1000);
    let at = Date.UTC(first.getUTCFullYear(), unit === "year" ? 0 : first.getUTCMonth(),
      unit === "week" ? first.getUTCDate() + (8 - first.getUTCDay()) % 7 : 1);
    if (unit !== "week" && at < first.getTime()) {
      at = Date.UTC(first.getUTCFullYear() + (unit === "year" ? 1 : 0),
        first.getUTCMonth() + (unit === "month" ? 1 : 0), 1);
    }
    while (at <= max * 1000) {
      const day = new Date(at);
      const ts = at / 1000;
      const cycle = unit === "week" ? isoWeek(ts)[1] - 1 : unit === "month" ? day.getUTCMonth() : day.getUTCFullYear();
      found.push({ at: ts, cycle: cycle, label: periodLabel(ts, unit) });
      at = unit === "week" ? at + 7 * DAY * 1000
        : Date.UTC(day.getUTCFullYear() + (unit === "year" ? 1 : 0), day.getUTCMonth() + (unit === "month" ? 1 : 0), 1);
    }
    return found;
  }

  /* The time axis' ticks for a width in CSS pixels: the series' own period (every k-th one
   * when they would crowd), else years. [{at, label}]. */
  function periodTicks(min, max, period, width) {
    const room = Math.max(1, Math.floor(width / TICK_SPACE));
    const units = [period === "month" ? "month" : "week", "year"];
    for (let u = 0; u < units.length; u += 1) {
      const all = starts(min, max, units[u]);
      const steps = TICK_STEPS[units[u]];
      const step = steps.find(function (k) { return Math.ceil(all.length / k) <= room; })
        || (u === units.length - 1 ? steps[steps.length - 1] : null);
      if (step) return all.filter(function (t) { return t.cycle % step === 0; });
    }
    return [];
  }

  /* About five round values in [min, max] (steps of 1, 2, 2.5 or 5 times a power of ten). */
  function valueTicks(min, max) {
    if (!(max > min)) return [min];
    const rough = (max - min) / 5;
    const power = Math.pow(10, Math.floor(Math.log10(rough)));
    const step = [1, 2, 2.5, 5, 10].map(function (m) { return m * power; })
      .find(function (s) { return s >= rough; });
    const ticks = [];
    for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
      ticks.push(Number(v.toPrecision(12)));
    }
    return ticks;
  }

  /* The shared time range: half a period beyond the first and the last. */
  function timeRange(model) {
    const half = PERIOD_SECONDS[model.period] / 2;
    return [model.x[0] - half, model.x[model.x.length - 1] + half];
  }

  /* ---- one panel ---- */

  function axes(model, panel, state, bottom, text) {
    const grid = { stroke: STYLE.grid, width: 1 };
    const time = {
      stroke: STYLE.axis, grid: grid, ticks: { stroke: STYLE.grid }, size: bottom ? 40 : 8,
      splits: function (u, axis, min, max) {
        state.ticks = periodTicks(min, max, model.period, u.bbox.width / devicePixelRatio);
        return state.ticks.map(function (t) { return t.at; });
      },
      values: function (u, splits) {
        return state.ticks.map(function (t) { return bottom ? t.label : ""; });
      },
    };
    const value = {
      stroke: STYLE.axis, grid: grid, ticks: { stroke: STYLE.grid }, size: AXIS_SIZE,
      splits: function (u, axis, min, max) { return valueTicks(min, max); },
      values: function (u, splits) { return splits.map(text.number); },
    };
    return [time, value];
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

  /* A range's bounds (and mid) as series: [low, mid?, high], and their data. */
  function rangeSeries(range, format) {
    const style = STYLE.ranges[range.key];
    const edge = { stroke: style.edge, width: 1, dash: style.dash, value: format, spanGaps: false,
      points: { show: false } };
    const list = [[Object.assign({ label: range.label.low, key: range.key + "_low" }, edge), range.low]];
    if (range.mid) {
      list.push([{ label: range.label.mid, key: range.key + "_mid", stroke: style.mid, width: 1.5,
        dash: [4, 4], value: format, spanGaps: false, points: { show: false } }, range.mid]);
    }
    list.push([Object.assign({ label: range.label.high, key: range.key + "_high" }, edge), range.high]);
    return list;
  }

  /* The periods whose range has no neighbour to be shaded with. */
  function isolated(range) {
    const has = function (i) { return range.low[i] != null && range.high[i] != null; };
    return range.low.map(function (_, i) { return i; })
      .filter(function (i) { return has(i) && !has(i - 1) && !has(i + 1); });
  }

  function rangeMarkers(range, at) {
    const style = STYLE.ranges[range.key];
    return function (u) {
      const ctx = u.ctx;
      const px = devicePixelRatio;
      const half = 5 * px;
      ctx.save();
      at.forEach(function (i) {
        const x = u.valToPos(u.data[0][i], "x", true);
        const low = u.valToPos(range.low[i], "y", true);
        const high = u.valToPos(range.high[i], "y", true);
        const top = Math.min(low, high) - px;
        const height = Math.abs(low - high) + 2 * px;
        ctx.fillStyle = style.fill;
        ctx.fillRect(x - half, top, 2 * half, height);
        ctx.strokeStyle = style.edge;
        ctx.lineWidth = 1.5 * px;
        ctx.setLineDash([]);
        ctx.strokeRect(x - half, top, 2 * half, height);
        if (range.mid && range.mid[i] != null) {
          ctx.fillStyle = style.mid;
          ctx.beginPath();
          ctx.arc(x, u.valToPos(range.mid[i], "y", true), 3.5 * px, 0, 2 * Math.PI);
          ctx.fill();
        }
      });
      ctx.restore();
    };
  }

  function gapMarkers(model, panel) {
    return function (u) {
      const ctx = u.ctx;
      const px = devicePixelRatio;
      const top = u.bbox.top;
      const height = u.bbox.height;
      const step = u.valToPos(model.x[0] + PERIOD_SECONDS[model.period], "x", true) - u.valToPos(model.x[0], "x", true);
      const half = Math.max(4 * px, Math.min(step * 0.4, 14 * px));
      ctx.save();
      panel.suppressed.forEach(function (reason, idx) {
        if (!reason) return;
        const cx = u.valToPos(model.x[idx], "x", true);
        ctx.fillStyle = STYLE.gapFill;
        ctx.fillRect(cx - half, top, half * 2, height);
        ctx.strokeStyle = STYLE.gapMark;
        ctx.lineWidth = 1.5 * px;
        const y = top + height - 10 * px;
        const r = 4 * px;
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

  function panelChart(figure, model, panel, where, text) {
    const count = model.panels.length;
    const index = model.panels.indexOf(panel);
    const bottom = index === count - 1;
    const height = count === 1 ? HEIGHTS.one : bottom ? HEIGHTS.lower : HEIGHTS.upper;
    const state = { key: panel.key, unit: panel.unit, height: height, ticks: [], markers: [] };
    const format = function (u, v) { return text.number(v); };
    const series = [{ label: text.period, value: function (u, ts) { return ts == null ? "–" : text.date(ts); } }];
    const data = [model.x];
    const bands = [];
    const draw = [gapMarkers(model, panel)];
    if (panel.range) {
      const first = series.length;
      rangeSeries(panel.range, format).forEach(function (pair) {
        series.push(pair[0]);
        data.push(pair[1]);
      });
      bands.push({ series: [series.length - 1, first], fill: STYLE.ranges[panel.range.key].fill });
      state.markers = isolated(panel.range);
      draw.push(rangeMarkers(panel.range, state.markers));
    }
    panel.lines.forEach(function (line) {
      series.push(lineSeries(line, format));
      data.push(line.values);
    });
    const opts = {
      width: Math.max(320, where.clientWidth || figure.clientWidth || 800),
      height: height,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      series: series,
      bands: bands,
      legend: { live: true },
      cursor: { points: { size: 8 }, drag: { x: false, y: false }, sync: { key: figure.id } },
      scales: { x: { time: true, auto: false, range: timeRange(model) } },
      axes: axes(model, panel, state, bottom, text),
      hooks: {
        draw: draw,
        setCursor: [function (u) { showTooltip(figure, model, u, u.cursor.idx); }],
      },
    };
    const holder = document.createElement("div");
    holder.className = "chart-panel";
    holder.dataset.panel = panel.key;
    const unit = document.createElement("p");
    unit.className = "axis-unit";
    unit.textContent = panel.unit;
    holder.appendChild(unit);
    where.appendChild(holder);
    state.chart = new uPlot(opts, data, holder);
    return state;
  }

  /* ---- the figure ---- */

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

  function moveCursor(figure, idx) {
    figure.sbPanels.forEach(function (panel) {
      const u = panel.chart;
      const at = idx == null ? -10 : u.valToPos(figure.sbModel.x[idx], "x");
      u.setCursor({ left: Number.isFinite(at) ? at : u.over.clientWidth / 2, top: idx == null ? -10 : u.over.clientHeight / 2 });
    });
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
      moveCursor(figure, idx);
      showTooltip(figure, model, u, idx);
    });
    canvas.addEventListener("blur", function () {
      if (figure.sbChart) moveCursor(figure, null);
    });
  }

  function clear(figure) {
    (figure.sbPanels || []).forEach(function (panel) { panel.chart.destroy(); });
    figure.sbPanels = [];
    figure.sbChart = null;
    figure.sbModel = null;
    figure.querySelector(".chart-canvas").textContent = "";
    figure.querySelector(".tooltip").hidden = true;
  }

  /* Draw model's panels, stacked, their legends gathered below them. */
  function trend(figure, model, text) {
    clear(figure);
    const canvas = figure.querySelector(".chart-canvas");
    if (!figure.sbKeys) {
      keyboard(figure);
      figure.sbKeys = true;
    }
    const legends = document.createElement("div");
    legends.className = "chart-legends";
    figure.sbModel = model;
    figure.sbPanels = model.panels.map(function (panel) {
      const state = panelChart(figure, model, panel, canvas, text);
      legends.appendChild(state.chart.root.querySelector(".u-legend"));
      return state;
    });
    canvas.appendChild(legends);
    figure.sbChart = figure.sbPanels[0].chart;
    return figure.sbChart;
  }

  /* Fit the drawn panels to the figure's width again, at scale times their height (printing
   * changes both). */
  function resize(figure, scale) {
    const canvas = figure.querySelector(".chart-canvas");
    (figure.sbPanels || []).forEach(function (panel) {
      panel.chart.setSize({ width: Math.max(320, canvas.clientWidth), height: Math.round(panel.height * scale) });
    });
  }

  /* Every colour drawn on white, for the contrast check: the lines, the ranges' edges and
   * medians (non-text, 3:1) and the axes' ink (text, 4.5:1). [{key, color, text}]. */
  function colors(figure) {
    const found = [{ key: "axis", color: STYLE.axis, text: true }];
    (figure.sbModel ? figure.sbModel.panels : []).forEach(function (panel) {
      panel.lines.forEach(function (line) { found.push({ key: line.key, color: line.color }); });
      if (!panel.range) return;
      const style = STYLE.ranges[panel.range.key];
      found.push({ key: panel.range.key, color: style.edge });
      if (panel.range.mid) found.push({ key: panel.range.key + "_mid", color: style.mid });
    });
    return found;
  }

  return {
    trend: trend, clear: clear, resize: resize, colors: colors, style: STYLE,
    periodTicks: periodTicks, periodLabel: periodLabel, valueTicks: valueTicks, isolated: isolated,
    periodSeconds: PERIOD_SECONDS,
  };
})();
