"""The dashboard in headless Chromium against the running federation (see conftest).

Every test opens a fresh browser context, signs in with a hub-issued user token in the URL
fragment and waits until the page says it is ready. Screenshots of every page go to the
test-artifacts folder.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from factories import bearer
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import Release, RoundReport

pytestmark = pytest.mark.slow
INDICATOR = "youth_safety_weekly"
"""The indicator the chart tests pick (it has buckets, so a band; conftest releases it)."""
READY = "body[data-state=ready]"
CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text(encoding="utf-8")
CHART = """(() => { const u = document.getElementById('trend-figure').sbChart;
  return {data: u.data, bands: u.bands.map(b => b.series)}; })()"""
"""The drawn chart's data (x first, then one array per series) and its shaded bands."""


def open_dashboard(page, url: str, token: str | None) -> None:
    """Open url's dashboard signed in with token, and wait until it is ready."""
    page.goto(f"{url}/dashboard/" + (f"#token={token}" if token else ""))
    if token:
        page.wait_for_selector(READY)


def figure(page) -> dict[str, str]:
    """The chart figure's data attributes."""
    return page.eval_on_selector("#trend-figure", "el => ({...el.dataset})")


def api(federation, url: str, path: str, token: str, **query: str) -> httpx.Response:
    """A GET of a service's API with a user token: what the page itself reads."""
    response = httpx.get(f"{url}{path}", params=query, headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return response


def listed(page, selector: str) -> list[str]:
    """The data-indicator of every element selector finds, in page order."""
    return page.locator(selector).evaluate_all("items => items.map(i => i.dataset.indicator)")


def released_periods(federation) -> tuple[list[str], set[str]]:
    """INDICATOR's periods with a total in the hub's database, and the suppressed ones."""
    url = federation.cluster.hub.settings.effective_database_url
    query = select(Release.period_start, Release.suppressed_reason).where(
        Release.indicator == INDICATOR, Release.cell == "total"
    )
    with session_scope(url) as session:
        rows = session.execute(query).all()
    periods = sorted({row.period_start.isoformat() for row in rows})
    return periods, {row.period_start.isoformat() for row in rows if row.suppressed_reason}


def test_chart_has_one_point_per_released_period_with_gaps_never_zero(federation, page, screenshot):
    open_dashboard(page, federation.cluster.hub.url, federation.token("national_partner"))
    page.select_option("#indicator", INDICATOR)
    page.wait_for_selector(f"#trend-figure[data-indicator={INDICATOR}][data-state=drawn]")
    periods, suppressed = released_periods(federation)
    assert periods == [week.isoformat() for week in federation.weeks]
    assert federation.suppressed.isoformat() in suppressed
    shown = figure(page)
    assert int(shown["points"]) == len(periods)
    assert int(shown["suppressed"]) == len(suppressed)
    assert int(shown["released"]) == len(periods) - len(suppressed)
    # INDICATOR's real round released its total with privacy noise: the interval is shaded
    assert shown["series"].split() == ["value", "moving_average", "interval", "band"]
    data = page.evaluate("document.getElementById('trend-figure').sbChart.data")
    assert len(data[0]) == len(periods)
    total = data[3]  # the upper panel: x, the interval's bounds, the released total
    gaps = {periods[i] for i, value in enumerate(total) if value is None}
    assert gaps == suppressed
    assert all(value > 0 for value in total if value is not None)  # a gap is never a zero
    band = page.evaluate("document.getElementById('trend-figure').sbPanels[1].chart.data")
    assert any(q1 is not None for q1 in band[1])  # the released G40 band, in the lower panel
    rows = page.locator("#trend-table tr[data-suppressed=true]")
    assert rows.count() == len(suppressed)
    assert "suppressed:" in (rows.first.text_content() or "")
    screenshot(page, "hub-national-partner")


def test_hovering_a_gap_shows_why_it_is_suppressed(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    page.select_option("#indicator", INDICATOR)
    page.wait_for_selector(f"#trend-figure[data-indicator={INDICATOR}][data-state=drawn]")
    index = federation.weeks.index(federation.suppressed)
    x = page.evaluate(
        f"(() => {{ const u = document.getElementById('trend-figure').sbChart;"
        f" return u.valToPos(u.data[0][{index}], 'x'); }})()"
    )
    page.hover("#trend-chart .u-over", position={"x": x, "y": 60})
    tooltip = page.locator("#trend-tooltip")
    assert tooltip.get_attribute("data-suppressed") == "true"
    assert "suppressed: too few cities contributed" in tooltip.inner_text()


def test_early_warning_panel_lists_the_seeded_wave(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("national_partner"))
    week = page.locator(f"#warning-weeks li[data-week='{federation.wave_week.isoformat()}']")
    listed = week.locator("li[data-indicator]").evaluate_all(
        "items => items.map(i => i.dataset.indicator)"
    )
    assert set(federation.wave_indicators) <= set(listed)
    assert "youth_nuisance_online_weekly" in listed  # a wave category of the generator
    assert "Youth nuisance" in week.inner_text()


def test_national_partner_sees_no_own_city_line_anywhere(federation, page, screenshot):
    token = federation.token("national_partner")
    open_dashboard(page, federation.cluster.hub.url, token)
    assert "own" not in figure(page)["series"].split()
    open_dashboard(page, federation.node_url(federation.municipality), token)
    page.wait_for_selector("#trend-figure[data-state=forbidden]")
    assert figure(page)["series"] == ""
    assert page.locator("#trend-chart canvas").count() == 0
    assert "shown only to staff of" in page.inner_text("#trend-notice")
    screenshot(page, "node-national-partner")


def test_municipality_sees_its_own_line_against_the_band_on_its_node(federation, page, screenshot):
    code = federation.municipality
    open_dashboard(page, federation.node_url(code), federation.token("municipality", code))
    page.select_option("#indicator", INDICATOR)
    page.wait_for_selector(f"#trend-figure[data-indicator={INDICATOR}][data-state=drawn]")
    shown = figure(page)
    assert shown["series"].split() == ["own", "band"]
    assert int(shown["points"]) >= 2
    screenshot(page, "node-municipality")


def test_keyboard_reaches_the_picker_and_changes_the_indicator(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    page.select_option("#indicator", INDICATOR)
    page.wait_for_selector(f"#trend-figure[data-indicator={INDICATOR}][data-state=drawn]")
    page.reload()  # the session keeps the pick; focus starts from the top again
    page.wait_for_selector(READY)
    before = page.input_value("#indicator")
    assert before == INDICATOR
    for _ in range(40):  # past the summary's buttons
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "indicator":
            break
    assert page.evaluate("document.activeElement.id") == "indicator"
    page.keyboard.press("ArrowDown")
    after = page.input_value("#indicator")
    assert after == "undermining_weekly"  # the next one in the catalog, released once
    page.wait_for_selector(f"#trend-figure[data-indicator={after}][data-state=drawn]")
    page.focus("#trend-chart")
    page.keyboard.press("End")
    assert page.locator("#trend-tooltip").is_visible()


def test_every_text_meets_wcag_aa_contrast(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    page.wait_for_selector("#summary-lists[data-state=ready]")
    checked = page.evaluate(f"({CONTRAST_JS})()")
    page.click("button[data-lang=nl]")  # the summary's and the panel's Dutch texts too
    checked += page.evaluate(f"({CONTRAST_JS})()")
    code = federation.municipality
    open_dashboard(page, federation.node_url(code), federation.token("municipality", code))
    checked += page.evaluate(f"({CONTRAST_JS})()")
    assert len(checked) > 40
    sections = {c.get("section") for c in checked}
    assert {"summary", "trends", "warnings", "position"} <= sections
    summary = [c["text"] for c in checked if c.get("section") == "summary"]
    assert any(text.startswith(("Largest rises", "Grootste stijgingen")) for text in summary)
    assert len(summary) >= 2 * (4 + len(federation.rises))  # headings and entries, EN and NL
    warnings = [c["text"] for c in checked if c.get("section") == "warnings"]
    assert "no round" in warnings and "geen ronde" in warnings
    failing = [c for c in checked if c["ratio"] < (3.0 if c.get("line") else 4.5)]
    assert not failing, failing


def test_language_switch_changes_the_labels(federation, page, screenshot):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    assert page.inner_text("#warnings-heading") == "Early warnings"
    page.click("button[data-lang=nl]")
    assert page.inner_text("#warnings-heading") == "Vroegsignalering"
    assert page.get_attribute("html", "lang") == "nl"
    assert page.get_attribute("button[data-lang=nl]", "aria-pressed") == "true"
    assert page.locator("#template-table tbody tr").count() >= 1
    assert "gepubliceerd" in page.inner_text("#template-table")
    assert "Ingelogd als" in page.inner_text("#session-user")
    screenshot(page, "hub-vng-nl")
    page.click("button[data-lang=en]")
    assert page.inner_text("#trends-heading") == "Trend"
    assert page.inner_text("#warnings-heading") == "Early warnings"


def test_token_leaves_the_address_bar_and_sign_in_form_works(federation, page, screenshot):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    assert "token" not in page.url
    assert page.evaluate("sessionStorage.getItem('samenbeeld.token')")
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('samenbeeld.token')") is None
    screenshot(page, "sign-in")
    page.fill("#token-input", "not-a-token")
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("body[data-state=signed-out] #sign-in-error:not(:empty)")
    assert "refused" in page.inner_text("#sign-in-error")
    page.fill("#token-input", federation.token("admin"))
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector(READY)
    assert "administrator" in page.inner_text("#session-user")


def test_a_noisy_total_is_drawn_with_its_95_percent_interval(federation, page, screenshot):
    hub, token = federation.cluster.hub.url, federation.token("national_partner")
    noisy = federation.noisy
    url = f"{hub}/api/v1/indicators/{noisy}/series"
    served = httpx.get(url, headers=bearer(token)).json()["points"]
    lows = [p["interval"] and p["interval"]["low"] for p in served]
    highs = [p["interval"] and p["interval"]["high"] for p in served]
    assert lows[2] is None and all(low is not None for k, low in enumerate(lows) if k != 2)
    open_dashboard(page, hub, token)
    page.select_option("#indicator", noisy)
    page.wait_for_selector(f"#trend-figure[data-indicator={noisy}][data-state=drawn]")
    assert figure(page)["series"].split() == ["value", "moving_average", "interval", "band"]
    chart = page.evaluate(CHART)
    # the upper panel: x, the interval's bounds as the API serves them, shaded between
    # them, then the total and its moving average
    assert (chart["data"][1], chart["data"][2]) == (lows, highs)
    assert chart["bands"] == [[2, 1]]
    legend = page.inner_text("#trend-figure .u-legend")
    assert "G40 total (with privacy noise, 95 % interval shaded)" in legend
    assert "95 % interval: lower bound" in legend and "95 % interval: upper bound" in legend
    page.click("#trends details summary")
    heads = page.locator("#trend-table thead th").all_text_contents()
    assert heads[:3] == ["Period starting", "G40 total", "95 % interval (privacy noise)"]
    first = page.evaluate(f"SB.number({lows[0]}) + ' – ' + SB.number({highs[0]})")
    assert interval_cells(page) == [first, "–"]  # January, and suppressed March
    assert "privacy noise" in page.inner_text("#trend-table caption")
    page.focus("#trend-chart")
    page.keyboard.press("Home")
    assert f"95 % interval (privacy noise): {first}" in page.inner_text("#trend-tooltip")
    checked = page.evaluate(f"({CONTRAST_JS})()")
    assert "line interval" in [c["text"] for c in checked]
    assert not [c for c in checked if c["ratio"] < (3.0 if c.get("line") else 4.5)]
    screenshot(page, "hub-noisy-interval")
    page.click("button[data-lang=nl]")
    legend = page.inner_text("#trend-figure .u-legend")
    assert "G40-totaal (met privacyruis, 95%-interval gearceerd)" in legend
    assert "95%-interval: ondergrens" in legend
    assert "95%-interval (privacyruis)" in page.locator("#trend-table thead th").all_text_contents()
    assert "privacyruis" in page.inner_text("#trend-table caption")
    page.focus("#trend-chart")
    page.keyboard.press("Home")
    assert "95%-interval (privacyruis): " in page.inner_text("#trend-tooltip")


def test_an_exact_total_has_no_interval(federation, page):
    exact = "undermining_weekly"  # released by the real sum round, without noise
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    page.select_option("#indicator", exact)
    page.wait_for_selector(f"#trend-figure[data-indicator={exact}][data-state=drawn]")
    assert "interval" not in figure(page)["series"].split()
    chart = page.evaluate(CHART)
    assert len(chart["data"]) == 3 and chart["bands"] == []  # x, the total, its average
    assert "privacy noise" not in page.inner_text("#trend-figure .u-legend")
    assert "G40 total (released)" in page.inner_text("#trend-figure .u-legend")
    heads = page.locator("#trend-table thead th").all_text_contents()
    assert not [h for h in heads if "interval" in h]
    assert page.locator("#trend-table caption").count() == 0


def interval_cells(page) -> list[str]:
    """The interval column's text in the first and third rows of the trend table."""
    rows = page.locator("#trend-table tbody tr")
    return [rows.nth(k).locator("td").nth(1).inner_text() for k in (0, 2)]


def warning_rows(federation, token: str, week: str) -> list[tuple[str, str, str]]:
    """The early-warning CSV's rows of a week as (week, indicator, state), as the table has them."""
    text = api(federation, federation.cluster.hub.url, "/api/v1/early-warnings", token,
               period_start=week, format="csv").text  # fmt: skip
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        released = row["spike_round_released"] == "true"
        state = "signal" if row["cities"] else "withheld" if row["suppressed_reason"] else ""
        state = state or ("no_signals" if released else "no_round")
        rows.append((row["period_start"], row["indicator"], state))
    return rows


def test_weeks_without_a_spike_round_say_no_round_in_the_panel_its_table_and_the_csv(
    federation, page, screenshot
):
    token = federation.token("national_partner")
    open_dashboard(page, federation.cluster.hub.url, token)
    page.wait_for_selector("#warning-weeks[data-state=ready]")
    weeks = [week.isoformat() for week in federation.weeks]  # seven without a spike round
    for week in weeks[:-1]:
        card = page.locator(f"#warning-weeks li[data-week='{week}']")
        assert card.get_attribute("data-state") == "no_round"
        assert "no round" in card.inner_text() and "no signals" not in card.inner_text()
    wave = page.locator(f"#warning-weeks li[data-week='{weeks[-1]}']")
    assert wave.get_attribute("data-state") == "signals"
    table = page.locator("#warning-table tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.week, r.dataset.indicator, r.dataset.state])"
    )
    expected = [row for week in reversed(weeks) for row in warning_rows(federation, token, week)]
    assert [tuple(row) for row in table] == expected
    unknown = [(week, "", "no_round") for week in reversed(weeks[:-1])]
    assert [row for row in expected if row[2] == "no_round"] == unknown
    page.click("button[data-lang=nl]")
    card = page.locator(f"#warning-weeks li[data-week='{weeks[0]}']")
    assert "geen ronde" in card.inner_text() and "geen signalen" not in card.inner_text()
    screenshot(page, "hub-warnings-nl")


def test_summary_lists_the_rises_and_its_buttons_open_their_charts(federation, page, screenshot):
    token = federation.token("national_partner")
    open_dashboard(page, federation.cluster.hub.url, token)
    page.wait_for_selector("#summary-lists[data-state=ready]")
    body = api(federation, federation.cluster.hub.url, "/api/v1/summary", token).json()
    assert body["period_start"] == federation.wave_week.isoformat()
    assert [item["indicator"] for item in body["rises"]] == federation.rises
    assert listed(page, "#summary-rises li") == federation.rises
    for key in ("falls", "anomalies"):
        assert listed(page, f"#summary-{key} li") == [item["indicator"] for item in body[key]]
    signals = listed(page, "#summary-warnings li")
    assert signals == [s["indicator"] for s in body["early_warnings"]["signals"]]
    assert set(federation.wave_indicators) <= set(signals)
    changes = [
        line.split(" — ")[-1] for line in page.locator("#summary-rises li").all_inner_texts()
    ]
    assert changes == [f"+{n}% on a year earlier" for n in (300, 200, 100)]
    screenshot(page, "hub-summary")
    for code in [*federation.rises, signals[0]]:
        page.click(f"#summary-lists button[data-indicator={code}] >> nth=0")
        page.wait_for_selector(f"#trend-figure[data-indicator={code}][data-state=drawn]")
        assert page.input_value("#indicator") == code
        assert page.evaluate("document.activeElement.id") == "trends-heading"
    page.click("button[data-lang=nl]")
    assert page.inner_text("#summary-heading") == "Wat is er veranderd"
    assert listed(page, "#summary-rises li") == federation.rises
    assert "+300% t.o.v. een jaar eerder" in page.inner_text("#summary-rises")
    assert "Grootste stijgingen" in page.inner_text("#summary-rises")


def test_keyboard_opens_a_chart_from_the_summary(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    page.wait_for_selector("#summary-lists[data-state=ready]")
    target = federation.rises[1]
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.indicator") == target:
            break
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    assert page.evaluate("document.activeElement.dataset.indicator") == target
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#trend-figure[data-indicator={target}][data-state=drawn]")
    assert page.evaluate("document.activeElement.id") == "trends-heading"


def test_node_view_opens_on_an_indicator_with_bands_and_marks_those_without(
    federation, page, screenshot
):
    code = federation.municipality
    token = federation.token("municipality", code)
    url = federation.node_url(code)
    open_dashboard(page, url, token)
    page.wait_for_selector("#trend-figure[data-state=drawn]")
    # youth_safety_weekly has a released band in the history weeks and the wave week; the
    # others (public-order sentiment first in the catalog) at most in the wave week.
    assert figure(page)["indicator"] == INDICATOR
    assert figure(page)["series"].split() == ["own", "band"]
    chart = "document.getElementById('trend-figure').sbChart"
    data = page.evaluate(f"{chart}.data")
    assert sum(q1 is not None for q1 in data[1]) >= 2
    scales = page.evaluate(f"{chart}.series.slice(1).map(s => s.scale)")
    assert set(scales) == {"y"}  # the own line and the band on one axis
    units = page.locator("#trend-figure .axis-unit").all_inner_texts()
    assert units == ["per 10,000 residents, per city"]  # one panel: one unit for both
    options = page.locator("#indicator option").evaluate_all(
        "options => options.map(o => [o.value, o.textContent])"
    )
    for value, text in options:
        points = api(federation, url, f"/api/v1/position/{value}", token).json()["points"]
        banded = any(point["band"] for point in points)
        assert text.endswith("— no released G40 band yet") is not banded, (value, text)
    assert any(text.endswith("no released G40 band yet") for _, text in options)
    screenshot(page, "node-default")


def register_rounds(federation, indicator: str | None = None) -> dict[str, list[str]]:
    """Every released round in the hub's database (of one indicator), with its digests."""
    url = federation.cluster.hub.settings.effective_database_url
    query = select(Release.round_id).distinct()
    if indicator:
        query = query.where(Release.indicator == indicator)
    with session_scope(url) as session:
        rounds = set(session.scalars(query))
        reports = session.scalars(select(RoundReport).order_by(RoundReport.party_index)).all()
    return {r: [x.result_sha256 for x in reports if x.round_id == r] for r in rounds}


def register_rows(page) -> list[str]:
    """The round ids of the register table's rows, once it is loaded."""
    page.wait_for_selector("#register-table[data-state=ready]")
    return page.locator("#register-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.round)"
    )


def test_the_release_register_traces_every_round_filters_pages_and_downloads(
    federation, page, screenshot
):
    open_dashboard(page, federation.cluster.hub.url, federation.token("national_partner"))
    released = register_rounds(federation)
    assert set(register_rows(page)) == set(released)
    sums = f"dashboard-checked-sum-{federation.wave_week.isoformat()}"
    row = page.locator(f"#register-table tr[data-round='{sums}']")
    noisy = row.locator("li[data-mechanism=gaussian]")
    assert noisy.count() == 1 and "Gaussian noise, ε 0.5, δ 0.000001" in noisy.inner_text()
    assert "all 3 parties signed the same" in row.inner_text()
    digest = released[sums][0]
    assert row.locator("code").get_attribute("title") == "\n".join([digest] * 3)
    assert row.locator("code").inner_text() == digest[:12] + "…"
    screenshot(page, "hub-release-register")

    page.select_option("#register-indicator", INDICATOR)  # shipped with Gaussian noise
    noisy_rounds = register_rounds(federation, INDICATOR)  # history, sums, histogram, spikes
    page.wait_for_selector(f"#register-table[data-total='{len(noisy_rounds)}']")
    assert set(register_rows(page)) == set(noisy_rounds)
    page.fill("#register-year", "2001")
    page.dispatch_event("#register-year", "change")
    page.wait_for_selector("#register-notice:has-text('No released round matches')")
    assert register_rows(page) == []

    page.select_option("#register-indicator", "")
    page.fill("#register-year", "")
    page.select_option("#register-page-size", "5")  # every round again, five per page
    pages = -(-len(released) // 5)
    assert pages >= 2
    page.wait_for_selector(f"#register-page:has-text('Page 1 of {pages}')")
    shown = register_rows(page)
    assert len(shown) == 5
    for number in range(2, pages + 1):
        page.click("#register-next")
        page.wait_for_selector(f"#register-page:has-text('Page {number} of {pages}')")
        shown += register_rows(page)
    assert page.is_disabled("#register-next") and not page.is_disabled("#register-prev")
    assert len(shown) == len(released) and set(shown) == set(released)

    with page.expect_download() as download:
        page.click("#register-csv")
    lines = Path(download.value.path()).read_bytes().decode().split("\r\n")
    assert lines.pop() == ""  # CSV lines end in CRLF, the last one too
    assert lines[0].startswith("round_id,period_start,period,program,version,indicator,")
    assert {line.split(",")[0] for line in lines[1:]} == set(released)  # every page, once


def test_the_budget_view_shows_each_noisy_indicators_year(federation, page, screenshot):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    page.fill("#budget-year", str(federation.wave_week.year))
    page.dispatch_event("#budget-year", "change")
    page.wait_for_selector("#budget-list[data-state=ready]")  # that year's answer is drawn
    # INDICATOR ships with epsilon 0.5 a release and 30 a year; the real sums round spent 0.5
    row = page.locator(f"#budget-table tr[data-indicator={INDICATOR}][data-releases-left='59']")
    row.wait_for()
    cells = row.locator("th, td").all_inner_texts()
    assert cells[1:7] == ["Gaussian", "0.5", "30", "0.5", "29.5", "59"]
    bar = row.locator(".bar")
    assert bar.get_attribute("aria-label").startswith("0.5 of 30 spent")
    width = bar.evaluate("b => b.firstChild.getBoundingClientRect().width / b.clientWidth")
    assert width == pytest.approx(0.5 / 30, abs=0.02)
    screenshot(page, "hub-privacy-budget")
    page.click("button[data-lang=nl]")
    assert page.inner_text("#budget-heading") == "Privacybudget"
    assert page.inner_text("#releases-heading") == "Register van vrijgaven"
    assert "Vrijgaven over" in page.inner_text("#budget-table thead")
    assert "Gaussische" in row.inner_text()


def test_the_register_and_the_budget_are_reached_by_keyboard_and_meet_contrast(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("admin"))
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id"))
    wanted = {"register-indicator", "register-year", "register-page-size", "register-csv",
              "budget-year"}  # fmt: skip
    assert wanted <= reached
    page.focus("#register-indicator")
    page.keyboard.press("ArrowDown")  # the first indicator after "All indicators"
    assert page.input_value("#register-indicator") != ""
    register_rows(page)
    checked = page.evaluate(f"({CONTRAST_JS})()")
    texts = {c["text"] for c in checked}
    assert {"Release register", "Privacy budget"} <= texts
    failing = [c for c in checked if c["ratio"] < (3.0 if c.get("line") else 4.5)]
    assert not failing, failing
