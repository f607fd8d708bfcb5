"""Benchmark: every catalog indicator over a node with 1,000,000 weekly_count records."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from samenbeeld.platform import migrate, vocabulary
from samenbeeld.platform.catalog import load_catalog
from samenbeeld.platform.db import make_engine, make_sessionmaker
from samenbeeld.platform.indicators import compute_indicators

RECORDS = 1_000_000
DISTRICTS = 64
REPEATS = 5
FIRST_MONDAY = dt.date(2023, 1, 2)
SEED = 20260101


def run() -> list[dict[str, Any]]:
    """Fill a temporary SQLite node, time compute_indicators REPEATS times."""
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'node.sqlite3'}"
        migrate.upgrade("node", url)
        engine = make_engine(url)
        try:
            fill(engine, np.random.default_rng(SEED))
            samples = time_indicators(engine)
        finally:
            engine.dispose()
    return [
        {
            "name": "node_indicators_1m_records_s",
            "value": statistics.median(samples),
            "unit": "s",
            "samples": samples,
        }
    ]


def time_indicators(engine: Any) -> list[float]:
    """Seconds taken by each of REPEATS full-catalog computations."""
    catalog = load_catalog()
    samples = []
    for _ in range(REPEATS):
        with make_sessionmaker(engine).begin() as session:
            start = time.perf_counter()
            compute_indicators(session, catalog)
            samples.append(time.perf_counter() - start)
    return samples


def fill(engine: Any, rng: np.random.Generator) -> None:
    """Bulk-insert districts, weekly counts, events and sentiment through the raw driver."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        codes = [f"WK0758{i:02d}" for i in range(DISTRICTS)]
        populations = rng.integers(500, 20_000, DISTRICTS).tolist()
        cursor.executemany(
            "INSERT INTO district VALUES (?, ?)", zip(codes, populations, strict=True)
        )
        cursor.executemany(
            "INSERT INTO weekly_count (week_start, district_code, category, online_driven,"
            " source_type, count) VALUES (?, ?, ?, ?, ?, ?)",
            weekly_rows(rng, codes),
        )
        cursor.executemany(
            "INSERT INTO event (event_date, district_code, event_type, visitors, incidents)"
            " VALUES (?, ?, ?, ?, ?)",
            event_rows(rng, codes),
        )
        cursor.executemany(
            "INSERT INTO sentiment_daily (day, topic, score, volume) VALUES (?, ?, ?, ?)",
            sentiment_rows(rng),
        )
        connection.commit()
    finally:
        connection.close()


def weekly_rows(rng: np.random.Generator, codes: list[str]) -> zip[tuple[Any, ...]]:
    """RECORDS distinct (week, district, category, online, source) rows with counts."""
    cats, sources = vocabulary.CATEGORIES, vocabulary.SOURCE_TYPES
    per_week = len(codes) * len(cats) * 2 * len(sources)
    index = np.arange(RECORDS)
    week, rest = np.divmod(index, per_week)
    district, rest = np.divmod(rest, len(cats) * 2 * len(sources))
    category, rest = np.divmod(rest, 2 * len(sources))
    online, source = np.divmod(rest, len(sources))
    weeks = _dates(FIRST_MONDAY, int(week.max()) + 1, 7)
    return zip(
        np.asarray(weeks, dtype=object)[week].tolist(),
        np.asarray(codes, dtype=object)[district].tolist(),
        np.asarray(cats, dtype=object)[category].tolist(),
        online.tolist(),
        np.asarray(sources, dtype=object)[source].tolist(),
        rng.poisson(3, RECORDS).tolist(),
        strict=True,
    )


def event_rows(rng: np.random.Generator, codes: list[str]) -> list[tuple[Any, ...]]:
    """Some thousands of events: a random type per district and day, on one day in seven."""
    days = _dates(FIRST_MONDAY, 700, 1)
    rows = []
    for day_index in range(0, 700, 7):
        for code in codes:
            kind = vocabulary.EVENT_TYPES[int(rng.integers(len(vocabulary.EVENT_TYPES)))]
            rows.append(
                (days[day_index], code, kind, int(rng.integers(50, 5000)), int(rng.poisson(1)))
            )
    return rows


def sentiment_rows(rng: np.random.Generator) -> list[tuple[Any, ...]]:
    """One aggregate per day and topic over 700 days."""
    days = _dates(FIRST_MONDAY, 700, 1)
    return [
        (day, topic, round(float(rng.uniform(-1, 1)), 3), int(rng.integers(0, 2000)))
        for day in days
        for topic in vocabulary.SENTIMENT_TOPICS
    ]


def _dates(first: dt.date, count: int, step_days: int) -> list[str]:
    """ISO strings of count dates from first, step_days apart (SQLite's Date format)."""
    return [(first + dt.timedelta(days=i * step_days)).isoformat() for i in range(count)]
