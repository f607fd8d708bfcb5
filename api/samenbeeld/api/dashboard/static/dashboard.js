/* Samenbeeld dashboard: language, sign-in, API access and the shared chart plumbing.
 *
 * The user's token comes from the URL fragment (#token=..., which browsers never send to a
 * server) or the sign-in form, is kept in sessionStorage and travels only as the
 * Authorization header of the page's own API calls. hub.js and node.js fill the page.
 */
"use strict";

window.SB = (function () {
  const TOKEN_KEY = "samenbeeld.token";
  const LANG_KEY = "samenbeeld.lang";
  const config = JSON.parse(document.getElementById("sb-config").textContent);
  const listeners = [];
  let lang = chooseLanguage();

  function chooseLanguage() {
    const stored = localStorage.getItem(LANG_KEY);
    if (stored === "nl" || stored === "en") return stored;
    const asked = new URLSearchParams(location.search).get("lang");
    if (asked === "nl" || asked === "en") return asked;
    return (navigator.language || "en").toLowerCase().startsWith("nl") ? "nl" : "en";
  }

  /* ---- language ---- */

  function t(key, vars) {
    const table = window.SB_STRINGS[lang] || window.SB_STRINGS.en;
    const text = key in table ? table[key] : window.SB_STRINGS.en[key] || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return vars && name in vars ? String(vars[name]) : whole;
    });
  }

  function locale() {
    return lang === "nl" ? "nl-NL" : "en-GB";
  }

  function number(value) {
    if (value === null || value === undefined) return "–";
    return new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(value);
  }

  function percent(fraction) {
    const style = { style: "percent", signDisplay: "exceptZero", maximumFractionDigits: 0 };
    return new Intl.NumberFormat(locale(), style).format(fraction);
  }

  function date(iso) {
    const when = new Date(iso + "T00:00:00Z");
    return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(when);
  }

  function pageVars() {
    return { name: config.municipality_name || config.municipality || "" };
  }

  function setLanguage(next) {
    lang = next;
    localStorage.setItem(LANG_KEY, next);
    applyLanguage();
    listeners.forEach(function (fn) { fn(); });
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = t(el.dataset.i18n, pageVars());
    });
    document.querySelectorAll("button[data-lang]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.lang === lang ? "true" : "false");
    });
    document.title = t("app.title");
    showUser();
  }

  function onLanguage(fn) {
    listeners.push(fn);
  }

  function title(item) {
    return lang === "nl" && item.title_nl ? item.title_nl : item.title;
  }

  function reason(code) {
    return code ? t("reason." + code) : "";
  }

  /* ---- sign-in ---- */

  function takeToken() {
    const match = location.hash.match(/(?:^#|&)token=([^&]+)/);
    if (match) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function claims() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return null;
    try {
      const body = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(body));
    } catch (error) {
      return null;
    }
  }

  function showUser() {
    const who = claims();
    const session = document.getElementById("session");
    session.hidden = !who;
    if (!who) return;
    const name = who.municipality === config.municipality ? pageVars().name : who.municipality;
    const role = t("role." + who.role, { name: name || "" });
    document.getElementById("session-user").textContent = t("session.as", { role: role });
  }

  function signIn(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    document.body.dataset.state = "signed-out";
    document.getElementById("content").hidden = true;
    document.getElementById("sign-in").hidden = false;
    document.getElementById("sign-in-error").textContent = message || "";
    showUser();
    document.getElementById("token-input").focus();
  }

  function wireSession(start) {
    document.getElementById("sign-in-form").addEventListener("submit", function (event) {
      event.preventDefault();
      const token = document.getElementById("token-input").value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      document.getElementById("token-input").value = "";
      begin(start);
    });
    document.getElementById("sign-out").addEventListener("click", function () {
      signIn("");
    });
    document.querySelectorAll("button[data-lang]").forEach(function (button) {
      button.addEventListener("click", function () { setLanguage(button.dataset.lang); });
    });
  }

  function begin(start) {
    document.getElementById("sign-in").hidden = true;
    document.getElementById("content").hidden = false;
    document.body.dataset.state = "loading";
    showUser();
    start().then(
      function () { document.body.dataset.state = "ready"; },
      function (error) {
        if (error.status === 401) signIn(t("signin.refused", { reason: error.message }));
        else document.body.dataset.state = "error";
      }
    );
  }

  /* ---- the API ---- */

  function ApiError(status, message) {
    this.status = status;
    this.message = message;
  }

  /* GET path?params with the user's token; the response, or an ApiError with the problem's detail. */
  async function request(path, params, accept) {
    const query = new URLSearchParams();
    Object.keys(params || {}).forEach(function (key) {
      if (params[key] !== null && params[key] !== undefined && params[key] !== "") {
        query.set(key, params[key]);
      }
    });
    const url = query.toString() ? path + "?" + query : path;
    const response = await fetch(url, {
      headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY), Accept: accept || "application/json" },
      cache: "no-store",
    });
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const problem = await response.json();
        detail = problem.detail || problem.title || detail;
      } catch (error) {
        /* not a problem document: keep the status text */
      }
      throw new ApiError(response.status, detail);
    }
    return response;
  }

  async function get(path, params) {
    return (await request(path, params)).json();
  }

  /* Offer text to the user as a file download (the page's own blob, nothing leaves). */
  function save(text, filename, type) {
    const url = URL.createObjectURL(new Blob([text], { type: type }));
    const link = element("a", { href: url, download: filename });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 0);
  }

  /* ---- shared page parts ---- */

  function element(tag, attributes, text) {
    const el = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) { el.setAttribute(key, attributes[key]); });
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function table(target, headers, rows) {
    target.textContent = "";
    const head = element("thead");
    const tr = element("tr");
    headers.forEach(function (h) { tr.appendChild(element("th", { scope: "col" }, h)); });
    head.appendChild(tr);
    const body = element("tbody");
    rows.forEach(function (row) {
      const line = element("tr", row.attributes || {});
      row.cells.forEach(function (cell, i) {
        const td = element(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : {});
        if (cell instanceof Node) td.appendChild(cell);
        else td.textContent = cell;
        line.appendChild(td);
      });
      body.appendChild(line);
    });
    target.appendChild(head);
    target.appendChild(body);
  }

  function fillPicker(select, items, chosen, note) {
    select.textContent = "";
    items.forEach(function (item) {
      const option = element("option", { value: item.code }, title(item) + (note ? note(item) : ""));
      option.selected = item.code === chosen;
      select.appendChild(option);
    });
  }

  function epoch(iso) {
    return Date.parse(iso + "T00:00:00Z") / 1000;
  }

  /* The unit of each panel's axis: the G40 total of the indicator's measure, and a city's
   * figure (per 10,000 residents when the indicator is normalised). */
  function units(indicator) {
    const measure = t("measure." + indicator.measure);
    return {
      total: t("unit.total", { measure: measure }),
      city: indicator.per_10000_residents ? t("unit.per_10000") : t("unit.per_city", { measure: measure }),
    };
  }

  /* Draw a model with SBCharts and describe it on the figure for readers and tests; the
   * attribution under it (model.source, a string key) names the periods drawn. */
  function draw(figure, model, indicatorTitle) {
    const suppressed = model.suppressed.filter(Boolean).length;
    const released = model.released;
    const missing = model.x.length - released - suppressed;
    const summary = t("chart.summary", { points: model.x.length, released: released, suppressed: suppressed })
      + (missing ? " " + t("chart.missing", { n: missing }) : "");
    figure.dataset.state = model.x.length ? "drawn" : "empty";
    figure.dataset.indicator = model.indicator;
    figure.dataset.title = indicatorTitle;
    figure.dataset.points = String(model.x.length);
    figure.dataset.released = String(released);
    figure.dataset.suppressed = String(suppressed);
    figure.dataset.series = model.panels.map(function (panel) {
      return panel.lines.map(function (l) { return l.key; }).concat(panel.range ? [panel.range.key] : []).join(" ");
    }).join(" ");
    document.getElementById("trend-summary").textContent = summary;
    const axes = model.panels.map(function (panel) { return panel.unit; }).join("; ");
    const canvas = figure.querySelector(".chart-canvas");
    canvas.setAttribute("aria-label", t("chart.label", { indicator: indicatorTitle, summary: summary })
      + " " + t("chart.axes", { units: axes }));
    const source = figure.querySelector(".source");
    if (!model.x.length) {
      source.textContent = "";
      window.SBCharts.clear(figure);
      return;
    }
    const label = function (ts) { return window.SBCharts.periodLabel(ts, model.period); };
    const periods = label(model.x[0]) + (model.x.length > 1 ? " – " + label(model.x[model.x.length - 1]) : "");
    source.textContent = t(model.source, Object.assign({ periods: periods }, pageVars()));
    window.SBCharts.trend(figure, model, {
      period: t("table.period"),
      number: number,
      date: function (ts) { return date(new Date(ts * 1000).toISOString().slice(0, 10)); },
    });
  }

  function notice(text) {
    const el = document.getElementById("trend-notice");
    el.textContent = text || "";
    el.hidden = !text;
  }

  function start(run) {
    applyLanguage();
    wireSession(run);
    window.addEventListener("hashchange", function () {
      if (/(?:^#|&)token=/.test(location.hash) && takeToken()) begin(run);
    });
    if (takeToken()) begin(run);
    else signIn("");
  }

  return {
    config: config, t: t, number: number, percent: percent, date: date, title: title, reason: reason,
    get: get, request: request, save: save, element: element, table: table, fillPicker: fillPicker,
    epoch: epoch, units: units,
    draw: draw, notice: notice, onLanguage: onLanguage, start: start, claims: claims,
    lang: function () { return lang; },
  };
})();
