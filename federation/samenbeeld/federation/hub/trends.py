"""The hub's trend answers: catalog, released series, released distributions, early warnings.

Only released aggregates are served (the latest ``version`` of every cell), and four
guards hold even when a stored release is wrong: a cell with a suppression reason is served
without its value; a cell whose cohort is below the hub's ``min_contributors`` is served
suppressed; a noisy cell without a valid noise sd is served as ``invalid``; a histogram with
one bucket holding all counted cities, or all but one, is served suppressed as
``concentrated`` (:mod:`samenbeeld.platform.trends`). A noisy total is served with its
mechanism, noise sd and 95 % interval (:mod:`samenbeeld.platform.noise`).

Every answer carries a strong ETag derived from the release generation (the number of
release rows and their highest id, which grows with every new release or correction) and
the query, and has no body when the caller already holds that ETag. The generation is one
small query, read at most once per ``version_ttl`` seconds per app (a new release shows at
most that late); results and bodies are cached (:mod:`.trend_cache`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from samenbeeld.federation.hub.trend_cache import (
    Answer,
    Body,
    Dump,
    TrendCache,
    as_csv,
    as_json,
    cached_answer,
    etag_of,
)
from samenbeeld.platform import trends
from samenbeeld.platform.catalog import Indicator, indicator_of, shipped_catalog
from samenbeeld.platform.models.hub import Release

CELL_COLUMNS = (
    Release.period_start,
    Release.cell,
    Release.value,
    Release.suppressed_reason,
    Release.version,
    Release.cohort_size,
    Release.mechanism,
    Release.noise_sd,
)
TOTALS = Release.cell == "total"
BUCKETS = Release.cell.like("bucket:%")
SPIKES = Release.cell == "spikes"
SERIES_COLUMNS = tuple(
    column
    for field in dataclasses.fields(trends.SeriesPoint)
    for column in (("interval_low", "interval_high") if field.name == "interval" else (field.name,))
)
"""The series' CSV columns: the JSON's, the interval as its low and high."""
WARNING_COLUMNS = (
    "period_start",
    "k",
    "spike_round_released",
    "indicator",
    "title",
    "title_nl",
    "cities",
    "suppressed_reason",
)
"""The early warnings' CSV: the period's three, then a signal's or withheld count's."""
Args = dict[str, Any]
"""A query's loaded arguments (``start``, ``end``, ``format`` and the like)."""


@dataclass(frozen=True)
class TrendReader:
    """What every trend answer needs: the hub's session and cache, its rules, the caller's tags.

    ``current`` holds the ETags the caller already has (``If-None-Match``).
    """

    session: Session
    cache: TrendCache
    min_contributors: int
    version_ttl: float
    current: Container[str] = ()


def catalog_answer(reader: TrendReader, dump: Dump) -> Answer:
    """Every indicator of the catalog: code, titles, description, period, measure, buckets."""
    etag = etag_of("catalog", shipped_catalog())
    if etag in reader.current:
        return Answer(etag, None)
    return Answer(etag, as_json(dump, {"items": shipped_catalog().indicators}))


def series_answer(reader: TrendReader, code: str, args: Args, dump: Dump) -> Answer:
    """One page of an indicator's released totals with their noise, moving average,
    year-over-year change and anomaly flags, computed over the whole released history, then
    restricted to from..to."""
    indicator = indicator_of(code)
    window = args["window"]
    return answer(
        reader,
        ("series", code, str(window)),
        tuple(str(args[k]) for k in ("start", "end", "page", "page_size", "format")),
        lambda: trends.series_points(
            load_cells(reader, (Release.indicator == code) & TOTALS).get(code, []),
            indicator.period,
            window,
        ),
        lambda points: render_series(indicator, points, args, dump),
    )


def distribution_answer(reader: TrendReader, code: str, args: Args, dump: Dump) -> Answer:
    """Bucket counts per period in from..to with grouped-data quartiles; NotFoundError for an
    indicator without buckets."""
    indicator = indicator_of(code, histogram=True)
    assert indicator.buckets is not None
    bounds = trends.bucket_bounds(indicator.buckets, *trends.figure_range(indicator))
    return answer(
        reader,
        ("distribution", code),
        tuple(str(args[k]) for k in ("start", "end", "format")),
        lambda: trends.distributions(
            load_cells(reader, (Release.indicator == code) & BUCKETS).get(code, []),
            bounds,
            reader.min_contributors,
        ),
        lambda periods: render_distribution(indicator, periods, args, dump),
    )


def early_warnings_answer(reader: TrendReader, args: Args, dump: Dump) -> Answer:
    """Whether the period (default: the latest with spike releases) had a spike round, the
    indicators where at least k cities flag a spike (counts, never names) and the counts
    withheld, with their reason; as JSON or CSV."""
    spikes = spike_cells(args["period"])
    scope = ("early-warnings", *(str(args[k]) for k in ("period", "period_start", "k")))

    def compute() -> dict[str, Any]:
        start = args["period_start"] or latest_period(reader, spikes)
        return early_warnings(reader, spikes, start, args["k"])

    media = args["format"]
    return answer(
        reader, scope, (media,), compute, lambda found: render_early_warnings(found, media, dump)
    )


def answer(
    reader: TrendReader,
    scope: tuple[str, ...],
    query: tuple[str, ...],
    compute: Callable[[], Any],
    render: Callable[[Any], Body],
) -> Answer:
    """The answer to query: results cached per scope and release generation.

    A release that lands while a result is computed may be in it already: it is then newer
    than its key, never older.
    """
    version = release_generation(reader)
    key = ("result", *scope, version)

    def result() -> Any:
        found = reader.cache.get(key)
        return reader.cache.put(key, compute()) if found is None else found

    return cached_answer(
        reader.cache, etag_of(scope, version, query), reader.current, result, render
    )


def release_generation(reader: TrendReader) -> str:
    """Number of release rows and their highest id, as read at most ``version_ttl`` ago (else
    read now). Releases and corrections only ever add rows, so this changes with every one
    of them; it is served at most that long late.
    """
    known: tuple[str, float] | None = reader.cache.get(("generation",))
    now = reader.cache.clock()
    if known is not None and now - known[1] < reader.version_ttl:
        return known[0]
    query = select(func.count(Release.id), func.max(Release.id))
    count, highest = reader.session.execute(query).one()
    generation = f"{count}-{highest or 0}"
    reader.cache.put(("generation",), (generation, now))
    return generation


def load_cells(reader: TrendReader, where: ColumnElement[bool]) -> dict[str, list[trends.Cell]]:
    """The servable latest cells (guards applied) that where selects, per indicator, in period
    order."""
    rows = reader.session.execute(select(Release.indicator, *CELL_COLUMNS).where(where)).all()
    found: dict[str, list[trends.Cell]] = {}
    for row in rows:
        found.setdefault(row.indicator, []).append(trends.Cell(*row[1:]))
    minimum = reader.min_contributors
    return {
        code: [trends.servable(c, minimum) for c in trends.latest_versions(cells)]
        for code, cells in found.items()
    }


def latest_period(reader: TrendReader, where: ColumnElement[bool]) -> dt.date | None:
    """The latest period of the cells where selects (None without any)."""
    found: dt.date | None = reader.session.scalar(
        select(func.max(Release.period_start)).where(where)
    )
    return found


def within(points: Sequence[Any], args: Args) -> list[Any]:
    """The points whose period lies in the query's from..to."""
    start, end = args["start"], args["end"]
    return [
        p
        for p in points
        if (start is None or p.period_start >= start) and (end is None or p.period_start <= end)
    ]


def render_series(
    indicator: Indicator, points: Sequence[trends.SeriesPoint], args: Args, dump: Dump
) -> Body:
    """One page of the points in range, as JSON or CSV (same columns, the interval as
    ``interval_low`` and ``interval_high``, a suppressed value empty); the page's place in the
    whole goes in an ``X-Pagination`` header."""
    shown, pagination, headers = paginate(within(points, args), args)
    if args["format"] == "csv":
        return as_csv(SERIES_COLUMNS, [_series_row(p) for p in shown], headers)
    body = {"indicator": indicator.code, "period": indicator.period, "window": args["window"]}
    body |= {"points": shown, "pagination": pagination}
    return as_json(dump, body, headers)


def _series_row(point: trends.SeriesPoint) -> list[object]:
    """A series point as a CSV row (an interval's bounds empty when it has none)."""
    row = dataclasses.asdict(point)
    interval = row.pop("interval") or {}
    row |= {"interval_low": interval.get("low"), "interval_high": interval.get("high")}
    return [row[column] for column in SERIES_COLUMNS]


def paginate(
    items: Sequence[Any], args: Args
) -> tuple[Sequence[Any], dict[str, int], dict[str, str]]:
    """The query's page of items, where it lies in the whole, and that as an
    ``X-Pagination`` header."""
    page, size = args["page"], args["page_size"]
    pagination = {"page": page, "page_size": size, "total": len(items)}
    pagination["pages"] = math.ceil(len(items) / size)
    headers = {"X-Pagination": json.dumps(pagination)}
    return items[(page - 1) * size : page * size], pagination, headers


def render_distribution(
    indicator: Indicator, periods: Sequence[trends.DistributionPeriod], args: Args, dump: Dump
) -> Body:
    """The periods in range as JSON or CSV (one column per bucket)."""
    chosen = [_period_row(p) for p in within(periods, args)]
    if args["format"] == "json":
        edges = list(indicator.buckets or ())
        body = {"indicator": indicator.code, "edges": edges, "periods": chosen}
        return as_json(dump, body)
    buckets = [f"bucket_{i}" for i in range(len(indicator.buckets or ()) + 1)]
    header = ["period_start", *buckets, "suppressed_reason", "cohort_size", "version"]
    header += ["q1", "median", "q3", "q1_bucket", "median_bucket", "q3_bucket"]
    return as_csv(header, [_csv_row(row, len(buckets)) for row in chosen])


def _period_row(period: trends.DistributionPeriod) -> dict[str, Any]:
    """A period as the schema has it (quartile buckets beside the figures)."""
    band = period.quartiles
    row = {k: getattr(period, k) for k in ("period_start", "suppressed_reason", "cohort_size")}
    row |= {"version": period.version, "quartiles": band}
    row["counts"] = None if period.counts is None else list(period.counts)
    row["quartile_buckets"] = None if band is None else list(band.buckets)
    return row


def _csv_row(row: dict[str, Any], buckets: int) -> list[object]:
    """A distribution period as a CSV row."""
    band, where = row["quartiles"], row["quartile_buckets"] or [None] * 3
    counts = row["counts"] or [None] * buckets
    figures = [None] * 3 if band is None else [band.q1, band.median, band.q3]
    meta = [row["suppressed_reason"], row["cohort_size"], row["version"]]
    return [row["period_start"], *counts, *meta, *figures, *where]


def spike_cells(period: str) -> ColumnElement[bool]:
    """The spike cells of the catalog's indicators of a period kind (week, month)."""
    codes = [i.code for i in shipped_catalog().indicators if i.period == period]
    return Release.indicator.in_(codes) & SPIKES


def early_warnings(
    reader: TrendReader, spikes: ColumnElement[bool], period_start: dt.date | None, k: int
) -> dict[str, Any]:
    """The period's released spike counts that reach k, the ones withheld and why, and whether
    a spike round was released for the period at all (any of its spike cells is stored)."""
    found = load_cells(reader, spikes & (Release.period_start == period_start))
    signals: list[dict[str, Any]] = []
    withheld: list[dict[str, Any]] = []
    for indicator in shipped_catalog().indicators:
        if indicator.code not in found:
            continue
        count, reason = trends.spike_count(found[indicator.code][0], reader.min_contributors)
        named = {"indicator": indicator.code, "title": indicator.title}
        named["title_nl"] = indicator.title_nl
        if reason is not None:
            withheld.append(named | {"suppressed_reason": reason})
        elif count is not None and count >= k:
            signals.append(named | {"cities": count})
    signals.sort(key=lambda signal: -int(signal["cities"]))
    head = {"period_start": period_start, "k": k, "spike_round_released": bool(found)}
    return head | {"signals": signals, "withheld": withheld}


def render_early_warnings(found: dict[str, Any], media: str, dump: Dump) -> Body:
    """The early warnings as JSON, or as CSV: a row per signal and per withheld count, and a
    period without either (no round, or no signals) as one row without an indicator."""
    if media == "json":
        return as_json(dump, found)
    named = [*found["signals"], *found["withheld"]] or [{}]
    period = [found[column] for column in WARNING_COLUMNS[:3]]
    rows = [period + [row.get(column) for column in WARNING_COLUMNS[3:]] for row in named]
    return as_csv(WARNING_COLUMNS, rows)
