"""Browser tests of the dashboard: a real federation with released data, headless Chromium.

Once per session (``federation``):

1. demo data for 12 cities over 16 weeks (``init_federation``, the demo's own generator,
   with its online-driven wave), and the hub, three compute parties and 12 nodes started as
   separate processes (``Cluster``), every node opted in to the weekly indicators;
2. the week in which most wave cities flag a spike is found from the nodes' own data (a
   test oracle; no service is asked), and three real secure rounds are run for that week:
   the sums of every weekly indicator, the histograms (the G40 band) and the spike counts;
3. the seven weeks before get *history*: release rows of one indicator written straight
   into the hub's database with what the release rules give for the nodes' own values
   (sums, one-hot bucket counts), so the chart has a trend, a moving average and at least
   one suppressed period (one is written as suppressed, min_contributors) to show as a gap.
   They have no spike round, so the early-warning panel must call them "no round".
   Each real round takes several seconds here; the three above are the real thing;
4. a noisy indicator (``NOISY``, monthly, so no round here touches it) gets six months of
   totals released with Gaussian noise (``add_release`` with a noise sd), one suppressed;
5. three wave indicators get a total a year (52 weeks) before the wave week: a quarter, a
   third and half of what the real round released, so the summary's largest rises against
   a year earlier are known (+300 %, +200 %, +100 %, in that order).

INDICATOR ships with Gaussian noise (``protects: incident``), so the real sums round charges
its yearly budget and the release register shows its privacy parameters.

``browser`` is Debian's /usr/bin/chromium driven by Playwright (``make test`` installs the
package). Screenshots go to ``var/test-artifacts/dashboard/`` (or $SAMENBEELD_TEST_ARTIFACTS),
printed at the end of the run.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from factories import ReleaseNoise, add_release, user_token
from samenbeeld.api.ops import client as ops_client
from samenbeeld.api.ops.cluster import Cluster, Service
from samenbeeld.api.ops.orchestration import indicator_set
from samenbeeld.platform.catalog import Catalog, Indicator, load_catalog
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.demo import init_federation
from samenbeeld.platform.indicators import (
    IndicatorResult,
    compute_indicators,
    spike_flag,
    spike_history,
)
from samenbeeld.platform.keys import read_private_key
from samenbeeld.platform.models.hub import Release, Round
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.truth import load_truth

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CITIES, WEEKS, SEED = 12, 16, 15
HISTORY_WEEKS = 7
MIN_CONTRIBUTORS, DOMINANCE = 5, 0.6
INDICATOR = "youth_safety_weekly"
"""The indicator the chart tests pick: it has buckets, and its cities spread over them, so
the hub serves its band (a histogram with all cities, or all but one, in one bucket is
withheld as concentrated)."""
SUPPRESSED_WEEK = 2
NOISY = "disturbances_online_monthly"
"""The indicator released with privacy noise: online-driven disturbances (issue 17)."""
NOISY_TOTALS = (120.0, 135.0, None, 128.0, 150.0, 142.0)
"""Its totals, January to June 2025 (March suppressed), each with noise sd NOISY_SD."""
NOISY_SD = 6.0
"""Index into the history weeks of the one written as suppressed."""
ARTIFACTS = Path(
    os.environ.get(
        "SAMENBEELD_TEST_ARTIFACTS",
        Path(__file__).resolve().parents[2] / "var" / "test-artifacts",
    )
)
_saved: list[Path] = []


@dataclass
class Federation:
    """The running federation and what the tests need to know about its releases."""

    cluster: Cluster
    catalog: Catalog
    weeks: list[dt.date]
    """Every week with a release of INDICATOR, in order."""
    suppressed: dt.date
    wave_week: dt.date
    wave_indicators: list[str]
    """The wave's indicators with at least 3 spiking cities in wave_week."""
    municipality: str
    """A node whose own dashboard the tests open."""
    noisy: str
    """The indicator released with privacy noise."""
    rises: list[str]
    """The indicators whose total rose against a year earlier, largest rise first."""

    def token(self, role: str, municipality: str | None = None) -> str:
        """A hub-signed user token."""
        key = read_private_key(self.cluster.hub.settings.effective_key_file)
        subject = f"dashboard-test-{role}"
        return user_token(key, role, municipality, subject=subject, ttl_seconds=3600)

    def node_url(self, code: str) -> str:
        """A node's base URL."""
        return self.cluster.services[code].url


def node_results(cluster: Cluster, catalog: Catalog) -> dict[str, list[IndicatorResult]]:
    """Every node's own indicator values, straight from its database (the test oracle)."""
    results = {}
    for node in cluster.nodes():
        with session_scope(node.settings.effective_database_url) as session:
            results[node.name] = compute_indicators(session, catalog)
    return results


def spiking(results: dict[str, list[IndicatorResult]], indicator: Indicator, week: dt.date) -> int:
    """How many cities' own data flag a spike of indicator in week (as their nodes would)."""
    count = 0
    for rows in results.values():
        value = next(
            (r.value for r in rows if r.indicator == indicator.code and r.period_start == week),
            0.0,
        )
        count += spike_flag(spike_history(rows, indicator, week), value)
    return count


def history_rows(
    results: dict[str, list[IndicatorResult]], indicator: Indicator, week: dt.date, suppress: bool
) -> list[dict[str, object]]:
    """What the release rules give for week from the nodes' values: total and buckets."""
    rows = [r for found in results.values() for r in found]
    mine = [r for r in rows if r.indicator == indicator.code and r.period_start == week]
    values = [r.value for r in mine]
    total = sum(values)
    reason = None
    if suppress or len(values) < MIN_CONTRIBUTORS:
        reason = "min_contributors"
    elif values and max(values) > DOMINANCE * total:
        reason = "dominance"
    cells = [("total", None if reason else total, reason)]
    assert indicator.buckets is not None
    for bucket in range(len(indicator.buckets) + 1):
        count = sum(1 for r in mine if r.bucket == bucket)
        cells.append((f"bucket:{bucket}", None if suppress else float(count), reason))
    cohort = MIN_CONTRIBUTORS - 1 if suppress else len(values)
    return [
        {"cell": c, "value": v, "suppressed_reason": why, "cohort_size": cohort}
        for c, v, why in cells
    ]


def write_history(
    cluster: Cluster, results: dict[str, list[IndicatorResult]], indicator: Indicator,
    weeks: list[dt.date], suppressed: dt.date,
) -> None:  # fmt: skip
    """Release rows for the history weeks, each under its own released round."""
    now = dt.datetime.now(dt.UTC)
    with session_scope(cluster.hub.settings.effective_database_url) as session:
        for week in weeks:
            round_id = f"history-{week.isoformat()}"
            session.add(
                Round(
                    id=round_id, indicator_set="dashboard-test-history", period_start=week,
                    state="released", opened_at=now, updated_at=now, indicators=indicator.code,
                )
            )  # fmt: skip
            session.flush()
            for row in history_rows(results, indicator, week, week == suppressed):
                session.add(
                    Release(
                        round_id=round_id, indicator=indicator.code, period_start=week,
                        version=1, released_at=now, **row,
                    )
                )  # fmt: skip


def write_noisy(cluster: Cluster) -> None:
    """NOISY's totals, released with Gaussian noise of sd NOISY_SD (one suppressed)."""
    with session_scope(cluster.hub.settings.effective_database_url) as session:
        for month, total in enumerate(NOISY_TOTALS, start=1):
            reason = None if total else "dominance"
            add_release(session, NOISY, dt.date(2025, month, 1), "total", total, reason,
                        cohort=CITIES, noise=ReleaseNoise(NOISY_SD))  # fmt: skip


def run_program_round(
    cluster: Cluster, client: httpx.Client, program: str, indicators: list[str], week: dt.date
) -> None:
    """One real round of program (open, every node contributes, compute), released."""
    hub, signer = cluster.hub.url, cluster.signer("hub")
    round_id = f"dashboard-{program.replace('_', '-')}-{week.isoformat()}"
    body = {"indicators": indicators, "period_start": week.isoformat(), "program": program}
    opened = client.post(
        f"{hub}/api/v1/rounds",
        json={"id": round_id, **body},
        headers=signer.headers(ops_client.HUB),
    )
    assert opened.status_code == 201, opened.text

    def contribute(node: Service) -> bool:
        headers = signer.headers(audience_for("node", node.name))
        url = f"{node.url}/api/v1/rounds/{round_id}/contribute"
        return bool(client.post(url, json=body, headers=headers).json().get("contributed"))

    with ThreadPoolExecutor(max_workers=len(cluster.codes)) as pool:
        assert all(pool.map(contribute, cluster.nodes())), round_id
    state = ops_client.compute(client, hub, signer, round_id)
    assert state["state"] == "released", state


def opt_in(cluster: Cluster, client: httpx.Client, codes: list[str]) -> None:
    """Every node opts in to the indicators through its own API (the nodes at once)."""

    def one(node: Service) -> None:
        signer = cluster.signer(node.name)
        for code in codes:
            headers = signer.headers(audience_for("node", node.name))
            client.put(f"{node.url}/api/v1/opt-ins/{code}", headers=headers).raise_for_status()

    with ThreadPoolExecutor(max_workers=len(cluster.codes)) as pool:
        list(pool.map(one, cluster.nodes()))


def seed_year_earlier(cluster: Cluster, week: dt.date, codes: list[str]) -> list[str]:
    """A total 52 weeks before week for the first three of codes with a released total in
    week: a quarter, a third and half of it (rises of 300, 200 and 100 %); those codes."""
    year_earlier = week - dt.timedelta(weeks=52)
    with session_scope(cluster.hub.settings.effective_database_url) as session:
        query = select(Release).where(
            Release.period_start == week, Release.cell == "total", Release.indicator.in_(codes)
        )
        totals = {r.indicator: r for r in session.scalars(query) if r.value}
        chosen = [code for code in codes if code in totals][:3]
        for code, part in zip(chosen, (4, 3, 2), strict=False):
            found = totals[code]
            add_release(session, code, year_earlier, "total", found.value / part,
                        cohort=found.cohort_size, round_id=f"year-earlier-{code}")  # fmt: skip
    assert len(chosen) == 3, "the wave week released too few totals to rise"
    return chosen


@pytest.fixture(scope="session")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """The running federation with released data (see the module doc)."""
    started = time.monotonic()
    folder = tmp_path_factory.mktemp("dashboard-federation")
    demo = init_federation(folder, cities=CITIES, weeks=WEEKS, seed=SEED)
    catalog = load_catalog()
    cluster = Cluster(folder, [code for code, _, _ in demo.cities])
    cluster.prepare()
    results = node_results(cluster, catalog)
    weeks = [dt.date.fromisoformat(w) for w in load_truth(demo.truth_path)["week_starts"]]
    wave = [i for i in catalog.indicators if i.period == "week" and i.filters.online_driven]
    wave_week = max(weeks[HISTORY_WEEKS:], key=lambda w: sum(spiking(results, i, w) for i in wave))
    signals = [i.code for i in wave if spiking(results, i, wave_week) >= 3]
    assert signals, "the seeded wave gives no week with three spiking cities"
    history = [wave_week - dt.timedelta(weeks=k) for k in range(HISTORY_WEEKS, 0, -1)]
    indicator = catalog.get(INDICATOR)
    write_history(cluster, results, indicator, history, history[SUPPRESSED_WEEK])
    write_noisy(cluster)
    prepared = time.monotonic()
    cluster.start()
    running = time.monotonic()
    try:
        weekly = list(indicator_set("week", catalog).indicators)  # the demo's weekly round
        banded = [i.code for i in catalog.indicators if i.period == "week" and i.buckets]
        with httpx.Client(timeout=300) as client:
            opt_in(cluster, client, sorted({*weekly, *banded}))
            opted = time.monotonic()
            run_program_round(cluster, client, "checked_sum", weekly, wave_week)
            run_program_round(cluster, client, "histogram", banded, wave_week)
            run_program_round(cluster, client, "spike_count", [i.code for i in wave], wave_week)
        rises = seed_year_earlier(cluster, wave_week, [i.code for i in wave])
        print(
            f"\ndashboard federation ready in {time.monotonic() - started:.1f} s (data "
            f"{prepared - started:.1f} s, processes {running - prepared:.1f} s, opt-ins "
            f"{opted - running:.1f} s, 3 rounds {time.monotonic() - opted:.1f} s)"
        )
        yield Federation(
            cluster, catalog, [*history, wave_week], history[SUPPRESSED_WEEK],
            wave_week, signals, cluster.codes[0], NOISY, rises,
        )  # fmt: skip
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium (Debian's package) under Playwright, for the whole session."""
    if not CHROMIUM.exists():
        if os.environ.get("SAMENBEELD_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (empty sessionStorage) and page, English, 1280 px wide."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Any, str], Path]:
    """``screenshot(page, name)``: a full-page PNG in the artifacts folder (emptied first)."""
    folder = ARTIFACTS / "dashboard"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)

    def take(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        _saved.append(path)
        return path

    return take


def pytest_terminal_summary(terminalreporter) -> None:
    """Say where the screenshots are."""
    if _saved:
        terminalreporter.write_sep("-", "dashboard screenshots")
        for path in _saved:
            terminalreporter.write_line(str(path))
