/* Samenbeeld dashboard, a node's page: the municipality's own line against the released G40
 * band. The node computes its position itself (GET /api/v1/position/<code>) and serves it
 * only to that municipality's own staff; anyone else sees the reason, never the line.
 */
"use strict";

(function () {
  const SB = window.SB;
  const PICK_KEY = "samenbeeld.node-indicator";
  const COLOR_OWN = "#8a1c5a";
  const state = { position: null, forbidden: false, banded: {} };

  function indicator() {
    const code = document.getElementById("indicator").value;
    return SB.config.indicators.find(function (i) { return i.code === code; });
  }

  /* One panel: the own figure and the band are both a city's figure, in one unit. */
  function model(chosen, points) {
    const name = SB.config.municipality_name;
    const band = function (key) {
      return points.map(function (p) { return p.band ? p.band[key] : null; });
    };
    const own = points.map(function (p) { return p.own_figure; });
    const suppressed = points.map(function (p) { return p.band ? null : p.suppressed_reason; });
    const range = { key: "band", low: band("q1"), mid: band("median"), high: band("q3"),
      label: { low: SB.t("series.q1"), mid: SB.t("series.median"), high: SB.t("series.q3") } };
    const panel = { key: "city", unit: SB.units(chosen).city, range: range, suppressed: suppressed,
      lines: [{ key: "own", label: SB.t("series.own", { name: name }), values: own, color: COLOR_OWN, width: 3 }] };
    return {
      indicator: chosen.code,
      period: chosen.period,
      source: "takeaway.source_own",
      x: points.map(function (p) { return SB.epoch(p.period_start); }),
      panels: [panel],
      suppressed: suppressed,
      released: points.filter(function (p) { return p.band; }).length,
      figures: figures(points),
      describe: function (idx) { return describe(points[idx], name); },
    };
  }

  /* The chart's figures for the CSV download, exactly as the node served them. */
  function figures(points) {
    const columns = ["period_start", "own_figure", "band_q1", "band_median", "band_q3", "quartile",
      "cohort_size", "suppressed_reason"];
    const rows = points.map(function (p) {
      const band = p.band || {};
      return [p.period_start, p.own_figure, band.q1, band.median, band.q3, p.quartile, p.cohort_size,
        p.suppressed_reason];
    });
    return { columns: columns, rows: rows };
  }

  function describe(point, name) {
    const lines = [SB.t("point.period", { date: SB.date(point.period_start) })];
    lines.push(SB.t("point.value", { series: SB.t("series.own", { name: name }), value: SB.number(point.own_figure) }));
    if (!point.band) {
      lines.push(bandMissing(point));
      return lines;
    }
    lines.push(SB.t("point.value", { series: SB.t("table.band"),
      value: SB.number(point.band.q1) + " – " + SB.number(point.band.q3) }));
    if (point.quartile) lines.push(SB.t("point.quartile", { name: name, q: point.quartile }));
    lines.push(SB.t("point.cohort", { n: point.cohort_size }));
    return lines;
  }

  function bandMissing(point) {
    if (point.suppressed_reason) return SB.t("point.suppressed", { reason: SB.reason(point.suppressed_reason) });
    return SB.t("point.value", { series: SB.t("table.band"), value: SB.t("reason.not_released") });
  }

  function renderTable(points) {
    const rows = points.map(function (p) {
      const band = p.band ? SB.number(p.band.q1) + " – " + SB.number(p.band.q3) : bandMissing(p);
      return {
        attributes: { "data-period": p.period_start, "data-suppressed": p.suppressed_reason ? "true" : "false" },
        cells: [SB.date(p.period_start), SB.number(p.own_figure), band, String(p.cohort_size)],
      };
    });
    SB.table(document.getElementById("trend-table"),
      [SB.t("table.period"), SB.t("table.own"), SB.t("table.band"), SB.t("table.cohort")], rows);
  }

  function render() {
    const figure = document.getElementById("trend-figure");
    const name = SB.config.municipality_name;
    if (state.forbidden) {
      window.SBCharts.clear(figure);
      figure.dataset.state = "forbidden";
      figure.dataset.series = "";
      figure.dataset.points = "0";
      document.getElementById("trend-summary").textContent = "";
      figure.querySelector(".source").textContent = "";
      document.getElementById("trend-table").textContent = "";
      SB.notice(SB.t("chart.no_own", { name: name }));
      return;
    }
    if (!state.position) return;
    const m = model(indicator(), state.position.points);
    SB.draw(figure, m, SB.title(indicator()));
    renderTable(state.position.points);
    SB.notice(m.x.length ? "" : SB.t("chart.empty"));
  }

  async function load() {
    const chosen = indicator();
    if (!chosen) return;
    sessionStorage.setItem(PICK_KEY, chosen.code);
    document.getElementById("trend-figure").dataset.state = "loading";
    const params = { from: document.getElementById("from").value, to: document.getElementById("to").value };
    try {
      state.position = await SB.get("/api/v1/position/" + chosen.code, params);
      state.forbidden = false;
    } catch (error) {
      if (error.status !== 403) throw error;
      state.position = null;
      state.forbidden = true;
    }
    if (indicator() === chosen) render();
  }

  /* Per indicator, how many periods have a released band (null when the node cannot say). */
  async function bandCounts(items) {
    const counts = await Promise.all(items.map(function (item) {
      return SB.get("/api/v1/position/" + item.code).then(
        function (body) { return body.points.filter(function (p) { return p.band; }).length; },
        function (error) {
          if (error.status === 401) throw error;
          return null;
        });
    }));
    const banded = {};
    items.forEach(function (item, k) { banded[item.code] = counts[k]; });
    return banded;
  }

  /* Of the indicators with a released band: weekly first, then the most released bands, then
   * a rate per 10,000 residents (a count the hub also totals) before a score; else the first. */
  function defaultPick(items, banded) {
    const better = function (a, b) {
      return (b.period === "week") - (a.period === "week") || banded[b.code] - banded[a.code]
        || b.per_10000_residents - a.per_10000_residents;
    };
    const candidates = items.filter(function (i) { return banded[i.code] > 0; }).sort(better);
    return (candidates[0] || items[0] || {}).code;
  }

  /* The picker's mark for an indicator without any released band (words, not a colour). */
  function note(item) {
    return state.banded[item.code] === 0 ? " — " + SB.t("picker.no_band") : "";
  }

  async function run() {
    const stored = sessionStorage.getItem(PICK_KEY);
    const items = SB.config.indicators;
    state.banded = await bandCounts(items);
    const known = items.some(function (i) { return i.code === stored; });
    const pick = known ? stored : defaultPick(items, state.banded);
    SB.fillPicker(document.getElementById("indicator"), items, pick, note);
    await load();
  }

  function reload() {
    load().catch(function (error) {
      SB.notice(SB.t("error.load", { reason: error.message }));
      document.getElementById("trend-figure").dataset.state = "error";
    });
  }

  function relabel() {
    const select = document.getElementById("indicator");
    SB.fillPicker(select, SB.config.indicators, select.value, note);
    render();
  }

  document.getElementById("indicator").addEventListener("change", reload);
  document.getElementById("from").addEventListener("change", reload);
  document.getElementById("to").addEventListener("change", reload);
  SB.onLanguage(relabel);
  SB.start(run);
})();
