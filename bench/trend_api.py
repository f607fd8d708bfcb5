"""Trend API latency under load: 200 requests/s for 30 s against a hub on PostgreSQL.

The hub runs as ``samenbeeld hub serve`` (waitress) on a PostgreSQL database holding three
years of released cells for every catalog indicator: the sum, the distribution buckets and
the spike count of every period. A separate process (:mod:`bench.trend_load`) sends an
open-loop stream of GETs (series as JSON and CSV, distributions, early warnings, the
catalog) with a national partner's token, and measures each latency from the moment the
request was due, so a server that falls behind is charged for the queueing it causes.

Figures: ``trend_api_p50_ms`` and ``trend_api_p99_ms`` (goal: p99 under 25 ms), and the
achieved request rate.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa

from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.platform import keys
from samenbeeld.platform.catalog import load_catalog
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import Release, Round
from samenbeeld.platform.users import issue_user_token

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE = "samenbeeld_bench_trends"
RATE, DURATION_S = 200, 30
YEARS = 3
FIRST_MONDAY = dt.date(2023, 1, 2)


def fresh_database() -> str:
    """An empty PostgreSQL database for the benchmark's hub."""
    engine = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    engine.dispose()
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{DATABASE}"


def periods(period: str) -> list[dt.date]:
    """Every period start of the benchmark's years."""
    if period == "week":
        return [FIRST_MONDAY + dt.timedelta(weeks=w) for w in range(52 * YEARS)]
    return [dt.date(2023 + m // 12, m % 12 + 1, 1) for m in range(12 * YEARS)]


def fill(url: str) -> int:
    """Released rounds and cells for every catalog indicator and period; the cell count.

    As the DAGs open them: per schedule group and period a sum round (cell ``total``), a
    distribution round (``bucket:i``) and a spike round (``spikes``).
    """
    rng = np.random.default_rng(7)
    released = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    catalog = load_catalog()
    for period in ("week", "month"):
        indicators = [i for i in catalog.indicators if i.period == period]
        for start in periods(period):
            ids = {kind: f"{period}ly{kind}-{start.isoformat()}" for kind in KINDS}
            rounds += [{"id": round_id, "indicator_set": round_id.rsplit("-", 3)[0],
                        "period_start": start, "state": "released", "opened_at": released,
                        "updated_at": released, "program": KINDS[kind],
                        "indicators": ",".join(i.code for i in indicators)}
                       for kind, round_id in ids.items()]  # fmt: skip
            for indicator in indicators:
                rows += _cells(rng, indicator, start, ids, released)
    with session_scope(url) as session:
        session.execute(sa.insert(Round), rounds)
        session.execute(sa.insert(Release), rows)
    return len(rows)


KINDS = {"": "checked_sum", "-distribution": "histogram", "-spikes": "spike_count"}


def _cells(
    rng: np.random.Generator,
    indicator: Any,
    start: dt.date,
    ids: dict[str, str],
    released: dt.datetime,
) -> list[dict[str, Any]]:
    """One indicator's released cells of one period: sum, buckets (if any), spikes."""
    cohort = int(rng.integers(30, 45))
    cells = [("", "total", float(rng.integers(100, 5000)))]
    if indicator.buckets:
        bins = len(indicator.buckets) + 1
        counts = rng.multinomial(cohort, [1 / bins] * bins)
        cells += [("-distribution", f"bucket:{i}", float(c)) for i, c in enumerate(counts)]
    cells.append(("-spikes", "spikes", float(rng.integers(0, 6))))
    return [{"round_id": ids[kind], "indicator": indicator.code, "period_start": start,
             "cell": cell, "value": value, "suppressed_reason": None, "version": 1,
             "cohort_size": cohort, "released_at": released}
            for kind, cell, value in cells]  # fmt: skip


def request_paths() -> list[str]:
    """The mix of GETs a dashboard and partner scripts make, one cycle of it."""
    catalog = load_catalog()
    paths = ["/api/v1/indicators", "/api/v1/early-warnings?period=week"]
    for indicator in catalog.indicators:
        base = f"/api/v1/indicators/{indicator.code}"
        paths += [f"{base}/series?from=2025-01-01&to=2025-12-31", f"{base}/series?format=csv"]
        if indicator.buckets:
            paths.append(f"{base}/distribution?from=2025-01-01")
    return paths


def run() -> list[dict[str, Any]]:
    """Start the hub on PostgreSQL, load it from another process, report the percentiles."""
    url = fresh_database()
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-trends-") as folder:
        cluster = Cluster(Path(folder), [], database_urls={"hub": url})
        cluster.prepare()
        cells = fill(url)
        cluster.start_service("hub")
        try:
            key = keys.read_private_key(cluster.hub.settings.effective_key_file)
            token = issue_user_token(key, keys.key_id(key.public_key()), subject="bench",
                                     role="national_partner", ttl_seconds=3600)  # fmt: skip
            out = Path(folder) / "latencies.json"
            paths = request_paths()
            _warm(cluster.hub.url, token, paths)
            subprocess.run(
                [sys.executable, "-m", "bench.trend_load", cluster.hub.url, token, str(out),
                 "--rate", str(RATE), "--duration", str(DURATION_S), "--paths", *paths],
                check=True,
            )  # fmt: skip
            result = json.loads(out.read_text())
        finally:
            cluster.stop()
    latencies = np.array(result["latencies_ms"])
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} requests failed: {result['statuses']}")
    print(f"trend API: {cells} released cells, {len(latencies)} requests, "
          f"{result['achieved_rate']:.1f}/s, statuses {result['statuses']}")  # fmt: skip
    return [
        {"name": "trend_api_p50_ms", "value": float(np.percentile(latencies, 50)), "unit": "ms"},
        {"name": "trend_api_p99_ms", "value": float(np.percentile(latencies, 99)), "unit": "ms"},
        {"name": "trend_api_rate_rps", "value": result["achieved_rate"], "unit": "req/s"},
    ]


def _warm(base_url: str, token: str, paths: list[str]) -> None:
    """One request per path first (connection set-up, caches filled), every answer 200."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for path in paths:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
