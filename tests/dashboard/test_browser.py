"""The dashboard in headless Chromium against the running federation (see conftest).

Every test opens a fresh browser context, signs in with a hub-issued user token in the URL
fragment and waits until the page says it is ready. Screenshots of every page go to the
test-artifacts folder.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from factories import bearer
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import Release

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
    for _ in range(10):
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
    checked = page.evaluate(f"({CONTRAST_JS})()")
    code = federation.municipality
    open_dashboard(page, federation.node_url(code), federation.token("municipality", code))
    checked += page.evaluate(f"({CONTRAST_JS})()")
    assert len(checked) > 40
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
