"""Catalog indicators computed on the node, in SQL: one scan per (table, period).

Every group of indicators sharing a source table and a period compiles to ONE query
that aggregates all of them at once with conditional sums
(``SUM(CASE WHEN <filter> THEN count ELSE 0 END) AS <code>``), grouped by period start.
The same statements run on SQLite and PostgreSQL; only the period key differs per
dialect (see :class:`period_start`).

Periods: an indicator gets a result for every period in which its source table has at
least one row (value 0 when none of those rows pass its filters); periods without any
row in the table are omitted. A weekly_count row belongs to the month of its
``week_start`` (the Monday). A sentiment score is 0.0 in a period without volume.

Rate = value * 10000 / population (SUM of district.population), None when the indicator
is not normalised or the population is 0. Bucket = number of histogram edges <= the rate
(or the value when not normalised): 0 below the first edge, len(edges) at or above the
last; None without edges or without a rate.

Spikes (:func:`spike_flag`): a node-local 0/1 flag per indicator and period, "this period is
unusually high for me", contributed to spike-count rounds; the value itself never leaves
the node, only the flag's shares do.
"""

from __future__ import annotations

import datetime as dt
import statistics
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    SQLColumnExpression,
    and_,
    case,
    false,
    func,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from samenbeeld.platform.catalog import Catalog, Indicator
from samenbeeld.platform.models.node import District, Event, IndicatorValue, SentimentDaily
from samenbeeld.platform.models.node import WeeklyCount as WC

PER = 10_000
WEIGHT_SUFFIX = "__volume"
SPIKE_WINDOW = 8
"""How many periods before the current one form a spike's baseline."""
SPIKE_MIN_HISTORY = 4
"""With fewer periods of history there is no baseline, and so no spike."""
SPIKE_SIGMAS = 3.0
"""Three, not two, standard deviations: with a baseline of 8 periods, 2 sd flags about one
quiet city-week in twenty, i.e. several false alarms a week across a dozen cities and ten
IVP indicators (seen in the synthetic federation); 3 sd keeps quiet weeks quiet, while an
online-driven wave (many times its baseline) still stands out."""
SPIKE_MIN_VALUE = 3.0
"""A spike needs at least this value (e.g. three incidents): in a quiet series whose
baseline is all zeros, one or two incidents are noise, not an early warning."""


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator's value on this node for one period."""

    indicator: str
    period_start: dt.date
    value: float
    rate: float | None
    bucket: int | None


class period_start(FunctionElement[dt.date]):  # noqa: N801 - SQL function style
    """First day of the period (Monday of the ISO week, or day 1 of the month) of a date."""

    type = Date()
    inherit_cache = True
    name = "period_start"
    _traverse_internals = [
        *FunctionElement._traverse_internals,
        ("period", InternalTraversal.dp_string),
    ]  # the period is part of the SQL, so it must be part of the statement cache key

    def __init__(self, column: SQLColumnExpression[dt.date], period: str) -> None:
        self.period = period
        super().__init__(column)


@compiles(period_start, "sqlite")
def _period_start_sqlite(element: period_start, compiler: SQLCompiler, **kw: Any) -> str:
    """SQLite: date modifiers; 'weekday 0' moves to Sunday, six days back is Monday."""
    column = compiler.process(element.clauses, **kw)
    modifier = "'weekday 0', '-6 days'" if element.period == "week" else "'start of month'"
    return f"date({column}, {modifier})"


@compiles(period_start, "postgresql")
def _period_start_postgresql(element: period_start, compiler: SQLCompiler, **kw: Any) -> str:
    """PostgreSQL: date_trunc on a timestamp without time zone, back to a date."""
    column = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('{element.period}', CAST({column} AS TIMESTAMP)) AS DATE)"


@dataclass(frozen=True)
class _Group:
    """Indicators sharing a table and a period, and their one query."""

    table: str
    period: str
    indicators: tuple[Indicator, ...]
    query: Select[Any]


def compile_indicators(catalog: Catalog) -> list[Select[Any]]:
    """One SELECT per (table, period) computing all its indicators per period start."""
    return [group.query for group in _groups(catalog)]


def _groups(catalog: Catalog) -> list[_Group]:
    """The catalog split by (table, period), each with its compiled query."""
    key = attrgetter("table", "period")
    ordered = sorted(catalog.indicators, key=key)
    return [
        _Group(table, period, tuple(items), _group_query(table, period, tuple(items)))
        for (table, period), items in ((k, list(g)) for k, g in groupby(ordered, key=key))
    ]


def _group_query(table: str, period: str, indicators: tuple[Indicator, ...]) -> Select[Any]:
    """SELECT period_start, <one conditional SUM per indicator> ... GROUP BY period_start."""
    key = _period_key(table, period)
    columns: list[ColumnElement[Any]] = []
    for indicator in indicators:
        columns.extend(_measure_columns(indicator))
    source = {"weekly_count": WC, "event": Event, "sentiment_daily": SentimentDaily}[table]
    return (
        select(key.label("period_start"), *columns).select_from(source).group_by(key).order_by(key)
    )


def _period_key(table: str, period: str) -> SQLColumnExpression[dt.date]:
    """The SQL expression for a row's period start."""
    if table == "weekly_count":
        return WC.week_start if period == "week" else period_start(WC.week_start, period)
    column = Event.event_date if table == "event" else SentimentDaily.day
    return period_start(column, period)


def _measure_columns(indicator: Indicator) -> list[ColumnElement[Any]]:
    """The labelled conditional sums an indicator needs (two for a weighted mean)."""
    condition = _condition(indicator)
    code = indicator.code
    if indicator.measure == "sentiment_score":
        weighted = SentimentDaily.score * SentimentDaily.volume
        return [
            _conditional_sum(condition, weighted).label(code),
            _conditional_sum(condition, SentimentDaily.volume).label(code + WEIGHT_SUFFIX),
        ]
    measured = {
        "count_sum": WC.count,
        "event_visitors": Event.visitors,
        "event_incidents": Event.incidents,
        "sentiment_volume": SentimentDaily.volume,
    }[indicator.measure]
    return [_conditional_sum(condition, measured).label(code)]


def _conditional_sum(condition: ColumnElement[bool] | None, measured: Any) -> Any:
    """SUM(measured), or SUM(CASE WHEN condition THEN measured ELSE 0 END)."""
    if condition is None:
        return func.coalesce(func.sum(measured), 0)
    return func.sum(case((condition, measured), else_=0))


def _condition(indicator: Indicator) -> ColumnElement[bool] | None:
    """The indicator's filters as one SQL condition, or None when it has none."""
    f = indicator.filters
    parts: list[ColumnElement[bool]] = []
    for column, codes in (
        (WC.category, f.categories),
        (WC.source_type, f.source_types),
        (Event.event_type, f.event_types),
        (SentimentDaily.topic, f.topics),
    ):
        if codes is not None:
            parts.append(column == codes[0] if len(codes) == 1 else column.in_(codes))
    if f.online_driven is not None:
        parts.append(WC.online_driven.is_(true() if f.online_driven else false()))
    return and_(*parts) if parts else None


def compute_indicators(session: Session, catalog: Catalog) -> list[IndicatorResult]:
    """Every catalog indicator for every period with data, in catalog then period order."""
    population = int(session.scalar(select(func.coalesce(func.sum(District.population), 0))) or 0)
    results: list[IndicatorResult] = []
    for group in _groups(catalog):
        rows = session.execute(group.query).mappings().all()
        for indicator in group.indicators:
            results.extend(_results(indicator, rows, population))
    order = {code: position for position, code in enumerate(catalog.codes)}
    results.sort(key=lambda r: (order[r.indicator], r.period_start))
    return results


def _results(
    indicator: Indicator, rows: Sequence[Any], population: int
) -> Iterable[IndicatorResult]:
    """Turn one group's per-period rows into this indicator's results."""
    for row in rows:
        value = _value(indicator, row)
        rate = value * PER / population if indicator.per_10000_residents and population else None
        yield IndicatorResult(
            indicator=indicator.code,
            period_start=_as_date(row["period_start"]),
            value=value,
            rate=rate,
            bucket=bucket_of(indicator.buckets, figure_of(indicator, value, population)),
        )


def figure_of(indicator: Indicator, value: float, population: int) -> float | None:
    """What buckets and ``max`` apply to: the rate per 10,000 when normalised, else the value.

    None for a normalised indicator without population (no rate).
    """
    if not indicator.per_10000_residents:
        return value
    return value * PER / population if population else None


def _value(indicator: Indicator, row: Any) -> float:
    """The indicator's value from its labelled column(s) in row."""
    total = float(row[indicator.code] or 0)
    if indicator.measure != "sentiment_score":
        return total
    volume = float(row[indicator.code + WEIGHT_SUFFIX] or 0)
    return total / volume if volume else 0.0


def _as_date(value: dt.date | str) -> dt.date:
    """A period start as a date (drivers may hand back an ISO string)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def bucket_of(edges: tuple[float, ...] | None, figure: float | None) -> int | None:
    """Index of the histogram bucket of figure: the number of edges <= figure."""
    if edges is None or figure is None:
        return None
    return bisect_right(edges, figure)


def spike_flag(history: Sequence[float], value: float) -> int:
    """1 when ``value`` is a spike against the periods before it, else 0.

    ``history`` holds the values of the previous periods, oldest first; the baseline is its
    last :data:`SPIKE_WINDOW` (8) values. A spike is ``value > mean + 3 sd`` of the baseline
    (sample standard deviation, :data:`SPIKE_SIGMAS`) and ``value >= SPIKE_MIN_VALUE`` (3).
    With fewer than :data:`SPIKE_MIN_HISTORY` (4) periods of history the flag is 0. On a
    node the value is the indicator's own value (a count, not the rate: the population is
    the same in every period, so the test is the same on either, and the minimum reads as
    a count).
    """
    baseline = [float(figure) for figure in history][-SPIKE_WINDOW:]
    if len(baseline) < SPIKE_MIN_HISTORY:
        return 0
    threshold = statistics.fmean(baseline) + SPIKE_SIGMAS * statistics.stdev(baseline)
    return int(value >= SPIKE_MIN_VALUE and value > threshold)


def previous_periods(period_start: dt.date, period: str, count: int) -> list[dt.date]:
    """The starts of the ``count`` periods (week or month) before ``period_start``, oldest first."""
    if period == "week":
        return [period_start - dt.timedelta(weeks=n) for n in range(count, 0, -1)]
    months = period_start.year * 12 + period_start.month - 1
    return [dt.date((months - n) // 12, (months - n) % 12 + 1, 1) for n in range(count, 0, -1)]


def spike_history(
    results: Sequence[IndicatorResult], indicator: Indicator, period_start: dt.date
) -> list[float]:
    """The indicator's values in the :data:`SPIKE_WINDOW` periods before ``period_start``.

    Oldest first. Periods before the node's first result of the indicator are no history
    (the node had no data yet); a later period without a result counts as 0, as it does in
    a round.
    """
    values = {r.period_start: r.value for r in results if r.indicator == indicator.code}
    if not values:
        return []
    first = min(values)
    before = previous_periods(period_start, indicator.period, SPIKE_WINDOW)
    return [values.get(start, 0.0) for start in before if start >= first]


def store_indicator_values(
    session: Session, results: Sequence[IndicatorResult], computed_at: dt.datetime | None = None
) -> int:
    """Upsert results into indicator_value keyed by (indicator, period_start); no commit."""
    if not results:
        return 0
    stamp = computed_at or dt.datetime.now(dt.UTC)
    rows = [
        {
            "indicator": r.indicator,
            "period_start": r.period_start,
            "value": r.value,
            "rate": r.rate,
            "bucket": r.bucket,
            "computed_at": stamp,
        }
        for r in results
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(IndicatorValue)
    statement = statement.on_conflict_do_update(
        index_elements=[IndicatorValue.indicator, IndicatorValue.period_start],
        set_={k: statement.excluded[k] for k in ("value", "rate", "bucket", "computed_at")},
    )
    session.execute(statement, rows)
    return len(rows)


def totals_table(results: Sequence[IndicatorResult]) -> str:
    """A plain-text table: per indicator the number of periods and the total value."""
    totals: dict[str, tuple[int, float]] = {}
    for r in results:
        periods, total = totals.get(r.indicator, (0, 0.0))
        totals[r.indicator] = (periods + 1, total + r.value)
    width = max([len("indicator"), *(len(code) for code in totals)])
    lines = [f"{'indicator':<{width}}  {'periods':>7}  {'total':>14}"]
    lines.append("-" * len(lines[0]))
    lines += [f"{code:<{width}}  {n:>7}  {total:>14.2f}" for code, (n, total) in totals.items()]
    if not totals:
        lines.append("(no data)")
    return "\n".join(lines)
