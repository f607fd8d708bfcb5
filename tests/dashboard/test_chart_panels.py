"""The trend chart's panels in headless Chromium, against the running federation (conftest).

The G40 total and the per-city band are drawn in two uPlot panels that share the time axis,
each labelled with its own unit; the time ticks are the period's own (ISO weeks, months);
a band of one period is drawn as a visible range marker, on the hub and on a node.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_browser import CONTRAST_JS, INDICATOR, figure, open_dashboard

pytestmark = pytest.mark.slow
ONE_BAND = "confused_persons_weekly"
"""An indicator whose band the federation released for the wave week only."""
UNNORMALISED = "polarisation_signal_volume_weekly"
"""A count of online signals (not per 10,000 residents, no buckets: no band)."""
PANELS = """(() => document.getElementById('trend-figure').sbPanels.map(p => ({
  key: p.key, markers: p.markers, ticks: p.ticks.map(t => t.label),
  x: [p.chart.scales.x.min, p.chart.scales.x.max],
  canvases: p.chart.root.querySelectorAll('canvas').length })))()"""
"""Each drawn panel: its key, range markers, time tick labels, x range, canvases."""
MARKER_PIXELS = """(key) => {
  const figure = document.getElementById('trend-figure');
  const panel = figure.sbPanels.find(p => p.key === key);
  const range = figure.sbModel.panels.find(p => p.key === key).range;
  const u = panel.chart, i = panel.markers[0], px = devicePixelRatio;
  const x = Math.round(u.valToPos(u.data[0][i], 'x', true) + 3 * px);
  const ends = [range.low[i], range.high[i]].map(v => u.valToPos(v, 'y', true));
  const top = Math.round(Math.min(...ends) - px);
  const height = Math.round(Math.abs(ends[0] - ends[1]) + 2 * px);
  const data = u.ctx.getImageData(x, top, 1, height).data;
  let blue = 0;
  for (let k = 0; k < data.length; k += 4) if (data[k + 2] > data[k] + 20) blue += 1;
  return { blue: blue, height: height };
}"""
"""How many pixels of the column just right of the first marker's middle are blue (the
band's fill and edge), and how tall that column is."""


def iso_week(day: dt.date) -> str:
    """The ISO week label of a day, as the chart's ticks read: 2026-W45."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def unit_labels(page) -> dict[str, str]:
    """The unit label above each panel's value axis, by panel."""
    labels = page.locator("#trend-chart .chart-panel")
    return {
        labels.nth(k).get_attribute("data-panel"): labels.nth(k).locator(".axis-unit").inner_text()
        for k in range(labels.count())
    }


def pick(page, code: str) -> None:
    """Choose an indicator and wait until its chart is drawn."""
    page.select_option("#indicator", code)
    page.wait_for_selector(f"#trend-figure[data-indicator={code}][data-state=drawn]")


def assert_marker_drawn(page, key: str) -> None:
    """The panel's first range marker is painted: most of its column is blue."""
    painted = page.evaluate(MARKER_PIXELS, key)
    assert painted["blue"] >= max(2, painted["height"] // 2), painted


def test_total_and_band_are_two_panels_on_one_time_axis(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("national_partner"))
    pick(page, INDICATOR)
    panels = page.evaluate(PANELS)
    assert [p["key"] for p in panels] == ["total", "band"]
    assert page.locator("#trend-chart .chart-panel").count() == 2
    assert all(p["canvases"] == 1 for p in panels)
    assert panels[0]["x"] == panels[1]["x"]  # one time range
    upper = page.evaluate("document.getElementById('trend-figure').sbPanels[0].chart.data")
    lower = page.evaluate("document.getElementById('trend-figure').sbPanels[1].chart.data")
    assert len(upper) == 5 and len(lower) == 4  # x, interval, total, average | x, q1, median, q3
    assert unit_labels(page) == {
        "total": "incidents, G40 total",
        "band": "per 10,000 residents, per city",
    }
    weeks = [iso_week(week) for week in federation.weeks]
    assert panels[1]["ticks"] == weeks  # one tick per week, read as ISO weeks, never per day
    page.click("button[data-lang=nl]")
    page.wait_for_selector("#trend-figure[data-state=drawn]")
    assert unit_labels(page) == {
        "total": "incidenten, G40-totaal",
        "band": "per 10.000 inwoners, per gemeente",
    }
    assert "Verticale assen: incidenten, G40-totaal; per 10.000 inwoners, per gemeente." in (
        page.get_attribute("#trend-chart", "aria-label") or ""
    )


def test_ticks_thin_out_but_stay_iso_weeks_on_a_narrow_chart(federation, page):
    page.set_viewport_size({"width": 560, "height": 900})
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    pick(page, INDICATOR)
    ticks = page.evaluate(PANELS)[1]["ticks"]
    weeks = [iso_week(week) for week in federation.weeks]
    assert 2 <= len(ticks) < len(weeks)
    assert set(ticks) <= set(weeks)


def test_a_monthly_series_has_month_ticks(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    pick(page, federation.noisy)
    assert page.evaluate(PANELS)[-1]["ticks"] == [f"2025-{m:02d}" for m in range(1, 7)]


def test_a_figure_without_buckets_has_one_panel_in_its_own_unit(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    pick(page, UNNORMALISED)
    assert unit_labels(page) == {"total": "online signals, G40 total"}
    assert figure(page)["series"].split() == ["value", "moving_average"]


def test_a_band_of_one_period_is_a_visible_marker_on_the_hub(federation, page, screenshot):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    pick(page, ONE_BAND)
    panels = page.evaluate(PANELS)
    assert panels[1]["markers"] == [0]  # the chart's only period
    assert_marker_drawn(page, "band")
    screenshot(page, "hub-one-period-band")


def test_a_band_of_one_period_among_many_is_a_visible_marker_on_a_node(federation, page):
    code = federation.municipality
    open_dashboard(page, federation.node_url(code), federation.token("municipality", code))
    pick(page, ONE_BAND)
    points = page.evaluate("document.getElementById('trend-figure').sbModel.x.length")
    panels = page.evaluate(PANELS)
    assert [p["key"] for p in panels] == ["city"]
    assert unit_labels(page) == {"city": "per 10,000 residents, per city"}
    wave = page.evaluate(
        f"document.getElementById('trend-figure').sbModel.x.indexOf("
        f"Date.parse('{federation.wave_week.isoformat()}T00:00:00Z') / 1000)"
    )
    assert points > 1 and panels[0]["markers"] == [wave]
    assert_marker_drawn(page, "city")


def test_every_new_chart_element_meets_wcag_aa_contrast(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    pick(page, INDICATOR)
    checked = page.evaluate(f"({CONTRAST_JS})()")
    texts = {c["text"]: c for c in checked}
    new = ["incidents, G40 total", "per 10,000 residents, per city", "line band", "line band_mid",
           "line interval", "chart text axis", "Chart as PNG", "Chart as SVG", "Figures as CSV",
           "Download"]  # fmt: skip
    assert set(new) <= set(texts), sorted(texts)
    assert any(t.startswith("Source: Samenbeeld, released aggregates") for t in texts)
    failing = [c for c in checked if c["ratio"] < (3.0 if c.get("line") else 4.5)]
    assert not failing, failing
