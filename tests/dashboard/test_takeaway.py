"""Taking the chart away, in headless Chromium against the running federation (conftest).

The PNG, SVG and CSV downloads carry the figures the API serves, the period labels and the
attribution, in NL and EN; the buttons are reached with the keyboard; printing fits the
chart and its table on one A4 page, without navigation, pickers or buttons.
"""

from __future__ import annotations

import csv
import io
import math
import re
import struct
import xml.etree.ElementTree as ET

import httpx
import pytest
from test_browser import INDICATOR, open_dashboard
from test_chart_panels import iso_week, pick

from factories import bearer

pytestmark = pytest.mark.slow
SVG = "{http://www.w3.org/2000/svg}"
SOURCE = {
    "en": "# Source: Samenbeeld, released aggregates, ",
    "nl": "# Bron: Samenbeeld, vrijgegeven aggregaten, ",
}
UNITS = {
    "en": ["incidents, G40 total", "per 10,000 residents, per city"],
    "nl": ["incidenten, G40-totaal", "per 10.000 inwoners, per gemeente"],
}
A4_CONTENT_PX = 180 / 25.4 * 96
"""The print stylesheet's width: A4 (210 mm) less two margins of 15 mm, in CSS pixels."""
PATH_STEP = re.compile(r"([ML])(-?[\d.]+) (-?[\d.]+)")


def download(page, kind: str) -> tuple[str, bytes]:
    """Click a download button; the file's suggested name and its bytes."""
    with page.expect_download() as started:
        page.click(f"button[data-download={kind}]")
    done = started.value
    path = done.path()
    assert done.failure() is None and path is not None
    return done.suggested_filename, path.read_bytes()


def hub_figures(federation, token: str) -> tuple[list[dict], dict[str, dict]]:
    """INDICATOR's series points and its distribution's periods, as the hub's API serves them."""
    hub = federation.cluster.hub.url
    series = httpx.get(f"{hub}/api/v1/indicators/{INDICATOR}/series", headers=bearer(token))
    dist = httpx.get(f"{hub}/api/v1/indicators/{INDICATOR}/distribution", headers=bearer(token))
    periods = {p["period_start"]: p for p in dist.json()["periods"]}
    return series.json()["points"], periods


def read_csv(body: bytes, lang: str) -> list[dict[str, str]]:
    """The CSV's rows, after checking its attribution line."""
    first, _, rest = body.decode("utf-8").partition("\r\n")
    assert first.startswith(SOURCE[lang]), first
    return list(csv.DictReader(io.StringIO(rest)))


def number(field: str) -> float | None:
    """A CSV figure (empty is none)."""
    return float(field) if field else None


def plotted(group: ET.Element, series: str) -> list[list[float]]:
    """A panel's path for series, read back into values with the panel's scale: its runs."""
    left, top, width, height = map(float, group.attrib["data-plot"].split())
    low, high = map(float, group.attrib["data-y"].split())
    path = group.find(f"{SVG}path[@data-series='{series}']")
    assert path is not None, series
    runs: list[list[float]] = []
    for move, _, y in PATH_STEP.findall(path.attrib["d"]):
        if move == "M":
            runs.append([])
        runs[-1].append(low + (1 - (float(y) - top) / height) * (high - low))
    return runs


def runs_of(values: list[float | None]) -> list[list[float]]:
    """The non-null values, split at every null."""
    runs: list[list[float]] = [[]]
    for value in values:
        if value is None:
            runs.append([])
        else:
            runs[-1].append(value)
    return [run for run in runs if run]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_downloads_carry_the_hub_api_figures(federation, page, lang):
    token = federation.token("national_partner")
    open_dashboard(page, federation.cluster.hub.url, token)
    pick(page, INDICATOR)
    if lang == "nl":
        page.click("button[data-lang=nl]")
    points, periods = hub_figures(federation, token)
    weeks = [iso_week(w) for w in federation.weeks]
    name, body = download(page, "csv")
    assert name == f"samenbeeld-{INDICATOR}-{weeks[0]}_{weeks[-1]}.csv"
    rows = read_csv(body, lang)
    assert [r["period_start"] for r in rows] == [p["period_start"] for p in points]
    for row, point in zip(rows, points, strict=True):
        interval = point["interval"] or {}
        assert number(row["value"]) == point["value"]
        assert number(row["moving_average"]) == point["moving_average"]
        assert number(row["interval_low"]) == interval.get("low")
        assert number(row["interval_high"]) == interval.get("high")
        assert int(row["cohort_size"]) == point["cohort_size"]
        band = periods[point["period_start"]]["quartiles"] or {}
        assert [number(row[f"band_{q}"]) for q in ("q1", "median", "q3")] == [
            band.get(q) for q in ("q1", "median", "q3")
        ]

    name, body = download(page, "svg")
    assert name.endswith(".svg")
    svg = ET.fromstring(body)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert set(weeks) <= set(texts)  # the period labels
    assert set(UNITS[lang]) <= set(texts)
    assert any(t and t.startswith(SOURCE[lang][2:]) for t in texts)
    total, band = svg.findall(f"{SVG}g[@data-panel]")
    values = [p["value"] for p in points]
    drawn = plotted(total, "value")
    assert [len(run) for run in drawn] == [len(run) for run in runs_of(values)]  # gap kept
    for got, want in zip(sum(drawn, []), [v for v in values if v is not None], strict=True):
        assert math.isclose(got, want, rel_tol=1e-3)
    assert band.find(f"{SVG}path[@data-series='band_mid']") is not None

    name, body = download(page, "png")
    assert name.endswith(".png") and body.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(body) > 20_000
    width = struct.unpack(">I", body[16:20])[0]
    assert width == 2 * int(svg.attrib["width"])  # the SVG, rasterised at twice its size


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_node_csv_carries_the_own_figures_and_band_the_node_serves(federation, page, lang):
    code = federation.municipality
    token = federation.token("municipality", code)
    open_dashboard(page, federation.node_url(code), token)
    pick(page, INDICATOR)
    if lang == "nl":
        page.click("button[data-lang=nl]")
    url = f"{federation.node_url(code)}/api/v1/position/{INDICATOR}"
    points = httpx.get(url, headers=bearer(token)).json()["points"]
    _, body = download(page, "csv")
    first = body.decode("utf-8").partition("\r\n")[0]
    own = {"en": "# Source: own figures of Breda", "nl": "# Bron: eigen cijfers van Breda"}
    assert first.startswith(own[lang])
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8").partition("\r\n")[2])))
    assert [number(r["own_figure"]) for r in rows] == [p["own_figure"] for p in points]
    assert [number(r["band_median"]) for r in rows] == [
        p["band"] and p["band"]["median"] for p in points
    ]


def test_download_buttons_are_reached_and_used_with_the_keyboard(federation, page):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    pick(page, INDICATOR)
    page.focus("#trend-chart")
    reached = []
    for _ in range(3):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.dataset.download"))
    assert reached == ["png", "svg", "csv"]
    with page.expect_download() as started:
        page.keyboard.press("Enter")
    assert started.value.suggested_filename.endswith(".csv")


def test_print_fits_the_chart_and_its_table_on_one_a4_page(federation, page, screenshot):
    open_dashboard(page, federation.cluster.hub.url, federation.token("vng"))
    pick(page, INDICATOR)
    page.emulate_media(media="print")
    page.wait_for_function(
        f"() => document.querySelector('#trend-chart canvas').getBoundingClientRect().width"
        f" <= {A4_CONTENT_PX}"
    )
    for hidden in ("header .top-controls", "#indicator", ".takeaway", "#warnings", "#templates"):
        assert not page.locator(hidden).first.is_visible(), hidden
    for shown in ("#trend-chart canvas >> nth=0", "#trend-chart canvas >> nth=1", "#trend-table"):
        box = page.locator(shown).bounding_box()
        assert box and box["width"] > 100 and box["x"] + box["width"] <= A4_CONTENT_PX + 1, shown
    assert page.locator("#trend-table tbody tr").count() == len(federation.weeks)
    colour = page.eval_on_selector("#trend-table td", "el => getComputedStyle(el).color")
    assert colour == "rgb(0, 0, 0)"
    screenshot(page, "hub-print")
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    page.emulate_media(media="screen")
    page.wait_for_function("() => !document.querySelector('#trends details').open")
    assert page.locator(".takeaway").is_visible()
