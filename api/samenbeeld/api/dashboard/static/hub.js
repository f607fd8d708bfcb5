/* Samenbeeld dashboard, the hub's page: the summary of the latest week (summary.js), the
 * indicator picker, trend chart with the G40 band and moving average, the early-warning
 * panel (warnings.js), the template catalog (the release register and the privacy budgets
 * are register.js's). Everything comes from the hub's JSON API with the user's token;
 * nothing here ever sees a single city's figure. A total with privacy noise is drawn with
 * the 95 % interval the API serves for it (never computed here), shaded, named in the
 * legend, the tooltip and the table.
 */
"use strict";

(function () {
  const SB = window.SB;
  const PICK_KEY = "samenbeeld.indicator";
  const COLORS = { value: "#005ca9", ma: "#a63c00" };
  const state = { indicators: [], released: [], trend: null, templates: null };

  function chosen() {
    const code = document.getElementById("indicator").value;
    return state.indicators.find(function (i) { return i.code === code; });
  }

  async function allPoints(code, params) {
    const points = [];
    let page = 1;
    let body;
    do {
      body = await SB.get("/api/v1/indicators/" + code + "/series",
        Object.assign({ page: page, page_size: 100 }, params));
      points.push.apply(points, body.points);
      page += 1;
    } while (body.pagination && page <= body.pagination.pages);
    return { window: body.window, points: points };
  }

  async function distribution(indicator, params) {
    if (!indicator.buckets || !indicator.buckets.length) return null;
    try {
      return await SB.get("/api/v1/indicators/" + indicator.code + "/distribution", params);
    } catch (error) {
      if (error.status === 404) return null;
      throw error;
    }
  }

  /* The chart: the G40 total with its moving average (and its 95 % interval when noisy)
   * above, the per-city band below when the indicator has a distribution. */
  function model(indicator, series, dist) {
    const points = series.points;
    const unit = SB.units(indicator);
    const values = points.map(function (p) { return p.value; });
    const ma = points.map(function (p) { return p.moving_average; });
    const byPeriod = {};
    ((dist && dist.periods) || []).forEach(function (p) { byPeriod[p.period_start] = p; });
    const periods = points.map(function (p) { return byPeriod[p.period_start] || null; });
    const quart = function (name) {
      return periods.map(function (d) { return d && d.quartiles ? d.quartiles[name] : null; });
    };
    const band = dist ? {
      key: "band", low: quart("q1"), mid: quart("median"), high: quart("q3"),
      label: { low: SB.t("series.q1"), mid: SB.t("series.median"), high: SB.t("series.q3") },
    } : null;
    const suppressed = points.map(function (p) { return p.value === null ? p.suppressed_reason || "not_released" : null; });
    const noisy = points.some(function (p) { return p.mechanism !== "exact"; });
    const bound = function (name) {
      return points.map(function (p) { return p.interval ? p.interval[name] : null; });
    };
    const interval = noisy ? {
      key: "interval", low: bound("low"), high: bound("high"),
      label: { low: SB.t("series.interval_low"), high: SB.t("series.interval_high") },
    } : null;
    const total = {
      key: "total", unit: unit.total, range: interval, suppressed: suppressed,
      lines: [
        { key: "value", label: SB.t(noisy ? "series.value_noisy" : "series.value"), values: values,
          color: COLORS.value, width: 2.5 },
        { key: "moving_average", label: SB.t("series.ma", { n: series.window }), values: ma,
          color: COLORS.ma, width: 2, dash: [8, 4], points: false },
      ],
    };
    const cities = band && { key: "band", unit: unit.city, range: band, lines: [],
      suppressed: periods.map(function (d) { return d ? d.suppressed_reason : null; }) };
    return {
      indicator: indicator.code,
      period: indicator.period,
      source: "takeaway.source",
      x: points.map(function (p) { return SB.epoch(p.period_start); }),
      panels: cities ? [total, cities] : [total],
      suppressed: suppressed,
      released: values.filter(function (v) { return v !== null; }).length,
      figures: figures(points, periods),
      describe: function (idx) { return describe(points[idx], band, ma, idx); },
    };
  }

  /* The chart's figures for the CSV download, exactly as the API served them. */
  function figures(points, periods) {
    const columns = ["period_start", "value", "suppressed_reason", "interval_low", "interval_high",
      "moving_average", "cohort_size", "version", "band_q1", "band_median", "band_q3",
      "band_suppressed_reason"];
    const rows = points.map(function (p, idx) {
      const d = periods[idx];
      const quartiles = (d && d.quartiles) || {};
      return [p.period_start, p.value, p.suppressed_reason, p.interval && p.interval.low,
        p.interval && p.interval.high, p.moving_average, p.cohort_size, p.version,
        quartiles.q1, quartiles.median, quartiles.q3, d && d.suppressed_reason];
    });
    return { columns: columns, rows: rows };
  }

  function describe(point, band, ma, idx) {
    const lines = [SB.t("point.period", { date: SB.date(point.period_start) })];
    if (point.value === null) {
      lines.push(SB.t("point.suppressed", { reason: SB.reason(point.suppressed_reason || "not_released") }));
    } else {
      lines.push(SB.t("point.value", { series: SB.t("series.value"), value: SB.number(point.value) }));
      if (point.interval) lines.push(SB.t("point.interval", { range: range(point.interval) }));
      if (ma[idx] !== null) lines.push(SB.t("point.value", { series: SB.t("table.ma"), value: SB.number(ma[idx]) }));
    }
    if (band && band.low[idx] !== null) {
      lines.push(SB.t("point.value", { series: SB.t("table.band"),
        value: SB.number(band.low[idx]) + " – " + SB.number(band.high[idx]) }));
    }
    lines.push(SB.t("point.cohort", { n: point.cohort_size }));
    return lines;
  }

  function range(interval) {
    return SB.number(interval.low) + " – " + SB.number(interval.high);
  }

  /* The figures under the chart; a noisy total gets an interval column and a caption. */
  function renderTable(m, points) {
    const total = m.panels[0];
    const noisy = total.range !== null;
    const cities = m.panels[1] ? m.panels[1].range : null;
    const rows = points.map(function (p, idx) {
      const shown = p.value === null
        ? SB.t("point.suppressed", { reason: SB.reason(p.suppressed_reason || "not_released") })
        : SB.number(p.value);
      const band = cities && cities.low[idx] !== null
        ? SB.number(cities.low[idx]) + " – " + SB.number(cities.high[idx]) : "–";
      const interval = noisy ? [p.interval ? range(p.interval) : "–"] : [];
      return {
        attributes: { "data-period": p.period_start, "data-suppressed": p.value === null ? "true" : "false" },
        cells: [SB.date(p.period_start), shown].concat(interval,
          [SB.number(total.lines[1].values[idx]), band, String(p.cohort_size), String(p.version)]),
      };
    });
    const table = document.getElementById("trend-table");
    SB.table(table, [SB.t("table.period"), SB.t("table.value")].concat(noisy ? [SB.t("table.interval")] : [],
      [SB.t("table.ma"), SB.t("table.band"), SB.t("table.cohort"), SB.t("table.version")]), rows);
    if (noisy) table.createCaption().textContent = SB.t("table.noise_note");
  }

  function renderTrend() {
    if (!state.trend) return;
    const indicator = state.trend.indicator;
    const m = model(indicator, state.trend.series, state.trend.dist);
    document.getElementById("indicator-description").textContent = indicator.description || "";
    SB.draw(document.getElementById("trend-figure"), m, SB.title(indicator));
    renderTable(m, state.trend.series.points);
    SB.notice(state.trend.dist || !m.x.length ? (m.x.length ? "" : SB.t("chart.empty")) : SB.t("chart.no_band"));
  }

  async function loadTrend() {
    const indicator = chosen();
    if (!indicator) return;
    sessionStorage.setItem(PICK_KEY, indicator.code);
    const figure = document.getElementById("trend-figure");
    figure.dataset.state = "loading";
    const params = { from: document.getElementById("from").value, to: document.getElementById("to").value };
    const results = await Promise.all([allPoints(indicator.code, params), distribution(indicator, params)]);
    if (chosen() !== indicator) return; /* the user picked another one meanwhile */
    state.trend = { indicator: indicator, series: results[0], dist: results[1] };
    renderTrend();
  }

  /* ---- templates ---- */

  async function loadTemplates() {
    const target = document.getElementById("template-catalog");
    try {
      const found = await Promise.all([SB.get("/api/v1/templates"), SB.get("/api/v1/templates/adoptions")]);
      state.templates = { items: found[0], adoptions: found[1] };
    } catch (error) {
      if (error.status === 401) throw error;
      const reason = error.status === 403 ? SB.t("error.forbidden")
        : error.status === 404 ? SB.t("templates.unavailable") : SB.t("error.load", { reason: error.message });
      state.templates = { error: reason };
    }
    target.dataset.state = "ready";
    renderTemplates();
  }

  function versionText(v) {
    return v.version + " (" + SB.t("state." + v.state) + ")";
  }

  function renderTemplates() {
    const target = document.getElementById("template-catalog");
    target.textContent = "";
    if (!state.templates) return;
    if (state.templates.error) {
      target.appendChild(SB.element("p", { class: "notice" }, state.templates.error));
      return;
    }
    if (!state.templates.items.length) {
      target.appendChild(SB.element("p", {}, SB.t("templates.empty")));
      return;
    }
    const table = SB.element("table", { class: "data", id: "template-table" });
    const rows = state.templates.items.map(function (item) {
      const versions = item.versions || [];
      const latest = versions.length ? versions[versions.length - 1] : null;
      const adopters = state.templates.adoptions.filter(function (a) { return a.template === item.slug; });
      const cities = adopters.map(function (a) { return a.municipality + " (" + a.version + ")"; });
      const adoption = SB.t("templates.adoptions", { n: adopters.length }) + (cities.length ? ": " + cities.join(", ") : "");
      return {
        attributes: { "data-slug": item.slug, "data-adoptions": String(adopters.length) },
        cells: [item.title, latest ? SB.t("state." + latest.state) : "–",
          versions.map(versionText).join(", "), adoption],
      };
    });
    SB.table(table, [SB.t("templates.title"), SB.t("templates.state"), SB.t("templates.versions"),
      SB.t("templates.adoption")], rows);
    target.appendChild(table);
  }

  /* ---- wiring ---- */

  /* Which indicators have anything released (one small, cached request each). */
  async function releasedCodes(items) {
    const totals = await Promise.all(items.map(function (item) {
      return SB.get("/api/v1/indicators/" + item.code + "/series", { page: 1, page_size: 1 })
        .then(function (body) { return body.pagination.total; });
    }));
    return items.filter(function (_, k) { return totals[k] > 0; }).map(function (i) { return i.code; });
  }

  /* The stored pick, else the first weekly indicator with a band and releases, else any. */
  function defaultPick(items, released) {
    const stored = sessionStorage.getItem(PICK_KEY);
    if (items.some(function (i) { return i.code === stored; })) return stored;
    const has = function (i) { return released.indexOf(i.code) >= 0; };
    const banded = function (i) { return i.period === "week" && i.buckets && i.buckets.length; };
    const first = items.find(function (i) { return banded(i) && has(i); }) || items.find(has)
      || items.find(banded) || items[0];
    return first && first.code;
  }

  function note(item) {
    return state.released.indexOf(item.code) >= 0 ? "" : " — " + SB.t("picker.none");
  }

  async function run() {
    const body = await SB.get("/api/v1/indicators");
    state.indicators = body.items;
    state.released = await releasedCodes(state.indicators);
    const pick = defaultPick(state.indicators, state.released);
    SB.fillPicker(document.getElementById("indicator"), state.indicators, pick, note);
    await Promise.all([loadTrend(), window.SBSummary.load(openChart), window.SBWarnings.load(),
      loadTemplates(), window.SBRegister.load(state.indicators)]);
  }

  /* The summary's choice: the trend section on that indicator, with the focus on its heading. */
  function openChart(code) {
    document.getElementById("indicator").value = code;
    reload();
    const heading = document.getElementById("trends-heading");
    heading.scrollIntoView({ block: "start" });
    heading.focus();
  }

  function relabel() {
    const select = document.getElementById("indicator");
    if (state.indicators.length) SB.fillPicker(select, state.indicators, select.value, note);
    renderTrend();
    window.SBSummary.render();
    window.SBWarnings.render();
    renderTemplates();
  }

  function reload() {
    loadTrend().catch(function (error) {
      SB.notice(SB.t("error.load", { reason: error.message }));
      document.getElementById("trend-figure").dataset.state = "error";
    });
  }

  document.getElementById("indicator").addEventListener("change", reload);
  document.getElementById("from").addEventListener("change", reload);
  document.getElementById("to").addEventListener("change", reload);
  SB.onLanguage(relabel);
  SB.start(run);
})();
