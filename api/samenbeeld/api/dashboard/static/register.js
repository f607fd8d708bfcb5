/* Samenbeeld dashboard, the hub's release register and privacy budgets: every released round
 * with its rules, privacy parameters and the digests of the parties' signed reports (filter by
 * indicator and year, page by page, or all of it as CSV), and per noisy indicator the year's
 * privacy budget. Neither holds a released value or anything per city.
 */
"use strict";

window.SBRegister = (function () {
  const SB = window.SB;
  const CSV_PAGE = 1000;
  const state = { indicators: [], page: 1, register: null, budgets: null, tickets: {} };

  function byId(id) {
    return document.getElementById(id);
  }

  function thisYear() {
    return new Date().getUTCFullYear();
  }

  function filters() {
    return { indicator: byId("register-indicator").value, year: byId("register-year").value };
  }

  function titleOf(code) {
    const found = state.indicators.find(function (i) { return i.code === code; });
    return found ? SB.title(found) : code;
  }

  /* ---- the register ---- */

  /* GET path into state[key] (or the error to show instead), then render; a 401 goes up.
   * Only the latest request of a key lands: an older answer arriving late is dropped. */
  async function fetchInto(key, targetId, path, query, render) {
    const target = byId(targetId);
    const ticket = (state.tickets[key] || 0) + 1;
    state.tickets[key] = ticket;
    target.dataset.state = "loading";
    let found;
    try {
      found = await SB.get(path, query);
    } catch (error) {
      if (error.status === 401) throw error;
      found = { error: SB.t("error.load", { reason: error.message }) };
    }
    if (state.tickets[key] !== ticket) return;
    state[key] = found;
    render();
    target.dataset.state = "ready";
  }

  function loadRegister() {
    const size = Number(byId("register-page-size").value);
    const query = Object.assign({ page: state.page, page_size: size }, filters());
    return fetchInto("register", "register-table", "/api/v1/releases", query, renderRegister);
  }

  function privacyText(p) {
    if (p.mechanism === "exact") return titleOf(p.indicator) + ": " + SB.t("register.exact");
    let text = titleOf(p.indicator) + ": " + SB.t("register.noise", {
      mechanism: SB.t("mechanism." + p.mechanism), epsilon: SB.number(p.epsilon),
      delta: p.delta === null ? "–" : String(p.delta), sd: SB.number(p.noise_sd) });
    if (p.budget) {
      text += " " + SB.t("register.budget", { year: p.budget.year, spent: SB.number(p.budget.spent),
        yearly: SB.number(p.budget.yearly_epsilon), left: SB.number(p.budget.left) });
    }
    return text;
  }

  function rulesText(rules) {
    if (rules.min_contributors === null) return "–";
    const text = SB.t("register.minimum", { n: rules.min_contributors });
    return rules.dominance === null ? text
      : text + ", " + SB.t("register.dominance", { share: SB.number(rules.dominance * 100) });
  }

  function digestCell(entry) {
    const digests = entry.reports.map(function (r) { return r.sha256; });
    if (!digests.length) return "–";
    const same = digests.every(function (d) { return d === digests[0]; });
    const code = SB.element("code", { title: digests.join("\n") }, digests[0].slice(0, 12) + "…");
    const cell = SB.element("span");
    cell.appendChild(code);
    cell.appendChild(document.createTextNode(" " + SB.t(same ? "register.agree" : "register.differ",
      { n: digests.length })));
    return cell;
  }

  /* Each noisy indicator on a line of its own; the exact ones together, folded when many. */
  function privacyCell(entry) {
    const list = SB.element("ul", { class: "plain" });
    const exact = entry.privacy.filter(function (p) { return p.mechanism === "exact"; });
    entry.privacy.forEach(function (p) {
      if (p.mechanism !== "exact" || exact.length === 1) {
        list.appendChild(SB.element("li", { "data-mechanism": p.mechanism }, privacyText(p)));
      }
    });
    if (exact.length > 1) {
      const fold = SB.element("details");
      fold.appendChild(SB.element("summary", {}, SB.t("register.exact_many", { n: exact.length })));
      const names = SB.element("ul", { class: "plain" });
      exact.forEach(function (p) { names.appendChild(SB.element("li", {}, titleOf(p.indicator))); });
      fold.appendChild(names);
      const item = SB.element("li", { "data-mechanism": "exact" });
      item.appendChild(fold);
      list.appendChild(item);
    }
    return list;
  }

  function renderRegister() {
    const table = byId("register-table");
    const found = state.register;
    if (!found) return;
    if (found.error) {
      table.textContent = "";
      byId("register-notice").textContent = found.error;
      return;
    }
    const pages = Math.max(found.pagination.pages, 1);
    byId("register-notice").textContent = found.items.length ? "" : SB.t("register.empty");
    table.dataset.total = String(found.pagination.total);
    const rows = found.items.map(function (entry) {
      return {
        attributes: { "data-round": entry.round_id, "data-attempt": String(entry.attempt) },
        cells: [SB.date(entry.released_at.slice(0, 10)), entry.round_id,
          SB.date(entry.period_start) + (entry.period ? " (" + SB.t("period." + entry.period) + ")" : ""),
          SB.t("program." + entry.program), String(entry.cohort_size), rulesText(entry.rules),
          privacyCell(entry), entry.attempt === null ? "–" : String(entry.attempt), digestCell(entry)],
      };
    });
    SB.table(table, [SB.t("register.released"), SB.t("register.round"), SB.t("table.period"),
      SB.t("register.program"), SB.t("table.cohort"), SB.t("register.rules"),
      SB.t("register.privacy"), SB.t("register.attempt"), SB.t("register.digest")], rows);
    byId("register-page").textContent = SB.t("pager.page", { page: found.pagination.page, pages: pages });
    byId("register-prev").disabled = found.pagination.page <= 1;
    byId("register-next").disabled = found.pagination.page >= pages;
  }

  /* Every page of the register as CSV, as one file (the header once). */
  async function downloadCsv() {
    const lines = [];
    let page = 1;
    let pages = 1;
    do {
      const query = Object.assign({ format: "csv", page: page, page_size: CSV_PAGE }, filters());
      const response = await SB.request("/api/v1/releases", query, "text/csv");
      const text = (await response.text()).replace(/\r\n$/, "");
      pages = JSON.parse(response.headers.get("X-Pagination")).pages;
      const rows = text.split("\r\n");
      lines.push.apply(lines, page === 1 ? rows : rows.slice(1));
      page += 1;
    } while (page <= pages);
    SB.save(lines.join("\r\n") + "\r\n", "samenbeeld-releases.csv", "text/csv");
  }

  /* ---- the privacy budgets ---- */

  function loadBudgets() {
    const query = { year: byId("budget-year").value };
    return fetchInto("budgets", "budget-list", "/api/v1/budgets", query, renderBudgets);
  }

  function bar(b) {
    const share = b.yearly_epsilon ? Math.min(b.spent / b.yearly_epsilon, 1) : 0;
    const label = SB.t("budget.bar", { spent: SB.number(b.spent), yearly: SB.number(b.yearly_epsilon),
      share: SB.number(share * 100) });
    const outer = SB.element("div", { class: "bar", role: "img", "aria-label": label, title: label });
    const spent = SB.element("div", { class: "bar-spent" });
    spent.style.width = (share * 100).toFixed(1) + "%"; /* CSSOM, not a style attribute: CSP */
    outer.appendChild(spent);
    return outer;
  }

  function renderBudgets() {
    const target = byId("budget-list");
    const found = state.budgets;
    target.textContent = "";
    if (!found) return;
    if (found.error) {
      target.appendChild(SB.element("p", { class: "notice" }, found.error));
      return;
    }
    if (!found.indicators.length) {
      target.appendChild(SB.element("p", {}, SB.t("budget.none")));
      return;
    }
    const table = SB.element("table", { class: "data", id: "budget-table" });
    const rows = found.indicators.map(function (b) {
      return {
        attributes: { "data-indicator": b.indicator, "data-releases-left": String(b.releases_left) },
        cells: [titleOf(b.indicator), SB.t("mechanism." + b.mechanism), SB.number(b.epsilon_per_release),
          SB.number(b.yearly_epsilon), SB.number(b.spent), SB.number(b.left), String(b.releases_left), bar(b)],
      };
    });
    SB.table(table, [SB.t("budget.indicator"), SB.t("budget.mechanism"), SB.t("budget.epsilon"),
      SB.t("budget.yearly"), SB.t("budget.spent"), SB.t("budget.left"), SB.t("budget.releases_left"),
      SB.t("budget.used")], rows);
    target.appendChild(table);
  }

  /* ---- wiring ---- */

  function fillIndicators() {
    const select = byId("register-indicator");
    const chosen = select.value;
    SB.fillPicker(select, state.indicators, chosen);
    select.insertBefore(SB.element("option", { value: "" }, SB.t("register.all")), select.firstChild);
    select.value = chosen;
  }

  function fail(error) {
    byId("register-notice").textContent = SB.t("error.load", { reason: error.message });
  }

  function failBudgets(error) {
    state.budgets = { error: SB.t("error.load", { reason: error.message }) };
    renderBudgets();
  }

  function reloadRegister(page) {
    state.page = page;
    loadRegister().catch(fail);
  }

  async function load(indicators) {
    state.indicators = indicators;
    fillIndicators();
    await Promise.all([loadRegister(), loadBudgets()]);
  }

  byId("register-year").value = "";
  byId("budget-year").value = String(thisYear());
  byId("register-indicator").addEventListener("change", function () { reloadRegister(1); });
  byId("register-year").addEventListener("change", function () { reloadRegister(1); });
  byId("register-page-size").addEventListener("change", function () { reloadRegister(1); });
  byId("register-prev").addEventListener("click", function () { reloadRegister(state.page - 1); });
  byId("register-next").addEventListener("click", function () { reloadRegister(state.page + 1); });
  byId("register-csv").addEventListener("click", function () { downloadCsv().catch(fail); });
  byId("budget-year").addEventListener("change", function () { loadBudgets().catch(failBudgets); });
  SB.onLanguage(function () {
    if (state.indicators.length) fillIndicators();
    renderRegister();
    renderBudgets();
  });

  return { load: load };
})();
