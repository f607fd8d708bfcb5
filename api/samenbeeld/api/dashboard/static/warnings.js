/* Samenbeeld dashboard, the hub's early-warning panel: the latest week with released spike
 * counts and the seven weeks before it (GET /api/v1/early-warnings, one request a week).
 *
 * Not known, quiet and withheld are told apart: a week without a released spike round says
 * "no round" (nothing is known about it), a week whose counts all stay below k says "no
 * signals", and a count that is suppressed or withheld says why. The table under the panel
 * has the rows of the API's CSV: one per signal and per withheld count, and one for a week
 * without either.
 *
 * SBWarnings.load() fetches and draws the panel, SBWarnings.render() draws it again (after a
 * change of language), SBWarnings.withheld(list) says in one line which counts are withheld.
 */
"use strict";

window.SBWarnings = (function () {
  const SB = window.SB;
  const WEEKS = 8;
  const DAY = 24 * 3600 * 1000;
  let weeks = null;

  async function load() {
    const latest = await SB.get("/api/v1/early-warnings", { period: "week" });
    weeks = [];
    if (latest.period_start) {
      const start = Date.parse(latest.period_start + "T00:00:00Z");
      const earlier = [];
      for (let k = 1; k < WEEKS; k += 1) {
        earlier.push(new Date(start - 7 * k * DAY).toISOString().slice(0, 10));
      }
      const more = await Promise.all(earlier.map(function (week) {
        return SB.get("/api/v1/early-warnings", { period_start: week, period: "week" });
      }));
      weeks = [latest].concat(more);
    }
    document.getElementById("warning-weeks").dataset.state = "ready";
    render();
  }

  /* Why a spike count is withheld; a concentrated count means 0-1 or all but 0-1 cities. */
  function reason(code) {
    return code === "concentrated" ? SB.t("warnings.reason.concentrated") : SB.reason(code);
  }

  /* "3 counts withheld: <reason>; ..." per reason, or "" when none is withheld. */
  function withheld(list) {
    const byReason = {};
    list.forEach(function (item) {
      byReason[item.suppressed_reason] = (byReason[item.suppressed_reason] || 0) + 1;
    });
    return Object.keys(byReason).map(function (code) {
      return SB.t("warnings.withheld", { n: byReason[code], reason: reason(code) });
    }).join("; ");
  }

  function state(week) {
    if (!week.spike_round_released) return "no_round";
    return week.signals.length ? "signals" : "no_signals";
  }

  function card(week) {
    const item = SB.element("li", { "data-week": week.period_start, "data-state": state(week),
      "data-signals": String(week.signals.length) });
    item.appendChild(SB.element("h3", {}, SB.t("warnings.week", { date: SB.date(week.period_start) })));
    if (!week.spike_round_released) {
      item.appendChild(SB.element("p", { class: "quiet" }, SB.t("warnings.no_round")));
      return item;
    }
    if (!week.signals.length) item.appendChild(SB.element("p", { class: "quiet" }, SB.t("warnings.none")));
    const signals = SB.element("ul", { class: "signals" });
    week.signals.forEach(function (signal) {
      const line = SB.element("li", { "data-indicator": signal.indicator });
      line.appendChild(SB.element("strong", {}, SB.title(signal)));
      line.appendChild(document.createTextNode(" — " + SB.t("warnings.cities", { n: signal.cities })));
      signals.appendChild(line);
    });
    if (week.signals.length) item.appendChild(signals);
    const held = withheld(week.withheld);
    if (held) item.appendChild(SB.element("p", { class: "quiet withheld" }, held));
    return item;
  }

  /* The CSV's rows: a signal or withheld count each, a week without either once. */
  function rows(week) {
    const date = SB.date(week.period_start);
    const row = function (kind, indicator, text) {
      return { attributes: { "data-week": week.period_start, "data-state": kind,
        "data-indicator": indicator ? indicator.indicator : "" },
        cells: [date, indicator ? SB.title(indicator) : "–", text] };
    };
    const found = week.signals.map(function (s) {
      return row("signal", s, SB.t("warnings.cities", { n: s.cities }));
    }).concat(week.withheld.map(function (w) {
      return row("withheld", w, SB.t("warnings.withheld_one", { reason: reason(w.suppressed_reason) }));
    }));
    if (found.length) return found;
    return [state(week) === "no_round" ? row("no_round", null, SB.t("warnings.no_round"))
      : row("no_signals", null, SB.t("warnings.none"))];
  }

  function render() {
    const target = document.getElementById("warning-weeks");
    target.textContent = "";
    if (!weeks) return;
    if (!weeks.length) {
      target.appendChild(SB.element("p", {}, SB.t("warnings.empty")));
      return;
    }
    const list = SB.element("ol", { class: "weeks" });
    weeks.forEach(function (week) { list.appendChild(card(week)); });
    target.appendChild(list);
    SB.table(document.getElementById("warning-table"),
      [SB.t("table.period"), SB.t("picker.indicator"), SB.t("warnings.heading")],
      [].concat.apply([], weeks.map(rows)));
  }

  return { load: load, render: render, withheld: withheld };
})();
