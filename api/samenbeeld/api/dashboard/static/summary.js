/* Samenbeeld dashboard, the hub's summary: what changed in the latest released week, from
 * GET /api/v1/summary — the largest rises and falls against a year earlier, the anomalies
 * and the early warnings. Every entry is a button that opens the indicator's chart; nothing
 * in it is per city.
 *
 * SBSummary.load(open) fetches and draws it; open(code) is called with the indicator a
 * reader picks. SBSummary.render() draws it again (after a change of language).
 */
"use strict";

window.SBSummary = (function () {
  const SB = window.SB;
  const LISTS = ["rises", "falls", "anomalies"];
  let summary = null;
  let opener = null;

  async function load(open) {
    opener = open;
    summary = await SB.get("/api/v1/summary", { period: "week" });
    document.getElementById("summary-lists").dataset.state = "ready";
    render();
  }

  /* A button that opens the indicator's chart; text is its title and what changed. */
  function entry(item, detail) {
    const line = SB.element("li", { "data-indicator": item.indicator });
    const button = SB.element("button", { type: "button", class: "linklike", "data-indicator": item.indicator },
      SB.title(item) + " — " + detail);
    button.addEventListener("click", function () { opener(item.indicator); });
    line.appendChild(button);
    return line;
  }

  /* A rise or fall: the change; an anomaly: the released total, and its change if known. */
  function itemDetail(key, item) {
    const change = item.yoy_change === null ? "" : SB.t("summary.yoy", { change: SB.percent(item.yoy_change) });
    if (key !== "anomalies") return change;
    const total = SB.t("summary.total", { value: SB.number(item.value) });
    return change ? total + ", " + change : total;
  }

  function block(key, entries, empty) {
    const part = SB.element("div", { class: "summary-part", id: "summary-" + key });
    part.appendChild(SB.element("h3", {}, SB.t("summary." + key)));
    if (!entries.length) {
      part.appendChild(SB.element("p", { class: "quiet" }, empty));
      return part;
    }
    const list = SB.element("ul", { class: "summary-list" });
    entries.forEach(function (line) { list.appendChild(line); });
    part.appendChild(list);
    return part;
  }

  /* The early warnings of the summary's week: no round, signals, or no signals. */
  function warningsBlock(warnings) {
    if (!warnings.spike_round_released) return block("warnings", [], SB.t("warnings.no_round"));
    const entries = warnings.signals.map(function (signal) {
      return entry(signal, SB.t("warnings.cities", { n: signal.cities }));
    });
    const part = block("warnings", entries, SB.t("warnings.none"));
    const withheld = window.SBWarnings.withheld(warnings.withheld);
    if (withheld) part.appendChild(SB.element("p", { class: "quiet" }, withheld));
    return part;
  }

  function render() {
    const target = document.getElementById("summary-lists");
    const period = document.getElementById("summary-period");
    target.textContent = "";
    if (!summary) return;
    if (!summary.period_start) {
      period.textContent = SB.t("summary.empty");
      return;
    }
    period.textContent = SB.t("summary.period", { date: SB.date(summary.period_start) });
    LISTS.forEach(function (key) {
      const entries = summary[key].map(function (item) { return entry(item, itemDetail(key, item)); });
      target.appendChild(block(key, entries, SB.t("summary.none")));
    });
    target.appendChild(warningsBlock(summary.early_warnings));
  }

  return { load: load, render: render };
})();
