"""Indicators computed in SQL equal an independent Python reference, on every backend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from samenbeeld.platform import vocabulary as v
from samenbeeld.platform.catalog import Catalog, Indicator, load_catalog
from samenbeeld.platform.indicators import (
    SPIKE_MIN_VALUE,
    IndicatorResult,
    compile_indicators,
    compute_indicators,
    period_start,
    previous_periods,
    spike_flag,
    spike_history,
    store_indicator_values,
    totals_table,
)
from samenbeeld.platform.models.node import (
    District,
    Event,
    IndicatorValue,
    SentimentDaily,
    WeeklyCount,
)

CATALOG = load_catalog()
MONDAY = dt.date(2024, 1, 22)  # five weeks from here straddle January and February


@dataclass
class NodeData:
    """Records of one node, as plain tuples."""

    populations: list[int]
    weekly: dict[tuple[int, int, str, bool, str], int] = field(default_factory=dict)
    events: dict[tuple[int, int, str], tuple[int, int]] = field(default_factory=dict)
    sentiment: dict[tuple[int, str], tuple[float, int]] = field(default_factory=dict)


def _district(index: int) -> str:
    """The CBS code of district index."""
    return f"WK0758{index:02d}"


def _insert(session: Session, data: NodeData) -> None:
    """Write data into the node tables."""
    if data.populations:
        session.execute(
            insert(District),
            [{"code": _district(i), "population": p} for i, p in enumerate(data.populations)],
        )
    if data.weekly:
        session.execute(
            insert(WeeklyCount),
            [
                {
                    "week_start": MONDAY + dt.timedelta(weeks=w),
                    "district_code": _district(d),
                    "category": c,
                    "online_driven": o,
                    "source_type": s,
                    "count": n,
                }
                for (w, d, c, o, s), n in data.weekly.items()
            ],
        )
    if data.events:
        session.execute(
            insert(Event),
            [
                {
                    "event_date": MONDAY + dt.timedelta(days=day),
                    "district_code": _district(d),
                    "event_type": t,
                    "visitors": visitors,
                    "incidents": incidents,
                }
                for (day, d, t), (visitors, incidents) in data.events.items()
            ],
        )
    if data.sentiment:
        session.execute(
            insert(SentimentDaily),
            [
                {"day": MONDAY + dt.timedelta(days=day), "topic": t, "score": s, "volume": n}
                for (day, t), (s, n) in data.sentiment.items()
            ],
        )


# ---- the reference: plain Python over the records, written without the module's helpers


def _key(day: dt.date, period: str) -> dt.date:
    """Start of the week (Monday) or month containing day."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return dt.date(day.year, day.month, 1)


def _records(indicator: Indicator, data: NodeData) -> list[tuple[dt.date, bool, float, float]]:
    """(day, passes filters, measured amount, weight) for each row of the indicator's table."""
    f = indicator.filters
    out: list[tuple[dt.date, bool, float, float]] = []
    if indicator.table == "weekly_count":
        for (w, _d, c, o, s), n in data.weekly.items():
            ok = (f.categories is None or c in f.categories) and (
                f.source_types is None or s in f.source_types
            )
            ok = ok and (f.online_driven is None or f.online_driven == o)
            out.append((MONDAY + dt.timedelta(weeks=w), ok, n, 1.0))
    elif indicator.table == "event":
        for (day, _d, t), (visitors, incidents) in data.events.items():
            ok = f.event_types is None or t in f.event_types
            amount = visitors if indicator.measure == "event_visitors" else incidents
            out.append((MONDAY + dt.timedelta(days=day), ok, amount, 1.0))
    else:
        for (day, t), (score, volume) in data.sentiment.items():
            ok = f.topics is None or t in f.topics
            amount = score * volume if indicator.measure == "sentiment_score" else volume
            out.append((MONDAY + dt.timedelta(days=day), ok, amount, volume))
    return out


def reference(catalog: Catalog, data: NodeData) -> list[tuple[str, dt.date, float, object, object]]:
    """Every (code, period, value, rate, bucket), computed the slow and obvious way."""
    population = sum(data.populations)
    expected = []
    for indicator in catalog.indicators:
        records = _records(indicator, data)
        for period in sorted({_key(day, indicator.period) for day, *_ in records}):
            mine = [r for r in records if _key(r[0], indicator.period) == period and r[1]]
            value = sum(r[2] for r in mine)
            if indicator.measure == "sentiment_score":
                weight = sum(r[3] for r in mine)
                value = value / weight if weight else 0.0
            rate = None
            if indicator.per_10000_residents and population > 0:
                rate = value * 10000 / population
            figure = rate if indicator.per_10000_residents else value
            bucket = None
            if indicator.buckets is not None and figure is not None:
                bucket = len([e for e in indicator.buckets if e <= figure])
            expected.append((indicator.code, period, value, rate, bucket))
    return expected


@st.composite
def node_data(draw: st.DrawFn) -> NodeData:
    """Random districts, weekly counts, events and sentiment around a month boundary."""
    populations = draw(st.lists(st.integers(0, 5000), min_size=1, max_size=3))
    districts = st.integers(0, len(populations) - 1)
    weekly_key = st.tuples(
        st.integers(0, 4),
        districts,
        st.sampled_from(v.CATEGORIES),
        st.booleans(),
        st.sampled_from(v.SOURCE_TYPES),
    )
    event_key = st.tuples(st.integers(0, 40), districts, st.sampled_from(v.EVENT_TYPES))
    score = st.integers(-100, 100).map(lambda s: s / 100)
    return NodeData(
        populations=populations,
        weekly=draw(st.dictionaries(weekly_key, st.integers(0, 1000), max_size=40)),
        events=draw(
            st.dictionaries(
                event_key, st.tuples(st.integers(0, 5000), st.integers(0, 50)), max_size=8
            )
        ),
        sentiment=draw(
            st.dictionaries(
                st.tuples(st.integers(0, 40), st.sampled_from(v.SENTIMENT_TOPICS)),
                st.tuples(score, st.integers(0, 500)),
                max_size=12,
            )
        ),
    )


def _assert_matches(actual, expected) -> None:
    """Results equal the reference: same keys and buckets, values equal up to rounding."""
    assert [(r.indicator, r.period_start) for r in actual] == [(e[0], e[1]) for e in expected]
    for result, (_code, _period, value, rate, bucket) in zip(actual, expected, strict=True):
        assert result.value == pytest.approx(value, rel=1e-9, abs=1e-9)
        assert result.rate == (None if rate is None else pytest.approx(rate, rel=1e-9))
        assert result.bucket == bucket


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=node_data())
def test_compute_indicators_equals_python_reference(node_session, data):
    savepoint = node_session.begin_nested()
    try:
        _insert(node_session, data)
        _assert_matches(compute_indicators(node_session, CATALOG), reference(CATALOG, data))
    finally:
        savepoint.rollback()


def _by(results, code):
    """{period_start: result} of one indicator."""
    return {r.period_start: r for r in results if r.indicator == code}


EXAMPLE = NodeData(
    populations=[30_000, 50_000],
    weekly={
        (1, 0, "riot", True, "police"): 4,  # week of 29 January
        (2, 1, "riot", True, "online_monitoring"): 12,  # week of 5 February
        (2, 1, "riot", False, "police"): 100,
        (2, 0, "high_impact_crime", False, "police"): 8,
    },
    events={(9, 0, "festival"): (1000, 2), (10, 1, "kings_day"): (3000, 5)},
    sentiment={(6, "public_order"): (-0.5, 100), (7, "public_order"): (0.5, 300)},
)


def test_weekly_values_rates_and_buckets(node_session):
    _insert(node_session, EXAMPLE)
    results = compute_indicators(node_session, CATALOG)
    riot = _by(results, "riot_online_weekly")
    assert sorted(riot) == [dt.date(2024, 1, 29), dt.date(2024, 2, 5)]
    first, second = riot[dt.date(2024, 1, 29)], riot[dt.date(2024, 2, 5)]
    assert (first.value, first.rate, first.bucket) == (4.0, 0.5, 2)  # edges 0.1 0.5 1 2
    assert (second.value, second.rate, second.bucket) == (12.0, 1.5, 3)
    # a week with rows, none of them high-impact crime, is 0; weeks without rows are absent
    hic = _by(results, "high_impact_crime_weekly")
    assert [(p, r.value) for p, r in sorted(hic.items())] == [
        (dt.date(2024, 1, 29), 0.0),
        (dt.date(2024, 2, 5), 8.0),
    ]
    signals = _by(results, "online_monitoring_signals_weekly")
    assert signals[dt.date(2024, 2, 5)].rate is None
    assert signals[dt.date(2024, 2, 5)].value == 12.0


def test_monthly_periods_follow_the_monday_and_the_event_date(node_session):
    _insert(node_session, EXAMPLE)
    results = compute_indicators(node_session, CATALOG)
    online = _by(results, "disturbances_online_monthly")
    assert {p: (r.value, r.rate, r.bucket) for p, r in online.items()} == {
        dt.date(2024, 1, 1): (4.0, 0.5, 1),
        dt.date(2024, 2, 1): (12.0, 1.5, 2),
    }
    visitors = _by(results, "event_visitors_monthly")  # 31 January and 1 February
    assert {p: r.value for p, r in visitors.items()} == {
        dt.date(2024, 1, 1): 1000.0,
        dt.date(2024, 2, 1): 3000.0,
    }
    peak = _by(results, "peak_day_incidents_monthly")
    assert {p: r.value for p, r in peak.items()} == {
        dt.date(2024, 1, 1): 0.0,
        dt.date(2024, 2, 1): 5.0,
    }


def test_sentiment_score_is_volume_weighted_per_iso_week(node_session):
    _insert(node_session, EXAMPLE)
    score = _by(compute_indicators(node_session, CATALOG), "public_order_sentiment_weekly")
    # day 6 is Sunday 28 January (week of the 22nd), day 7 Monday 29 January
    assert {p: r.value for p, r in score.items()} == {
        dt.date(2024, 1, 22): -0.5,
        dt.date(2024, 1, 29): 0.5,
    }
    assert score[dt.date(2024, 1, 22)].bucket == 1  # edges -0.5 -0.2 0.2 0.5


def test_population_zero_gives_no_rate(node_session):
    _insert(node_session, NodeData([0], weekly={(0, 0, "riot", True, "police"): 3}))
    (result,) = _by(compute_indicators(node_session, CATALOG), "riot_online_weekly").values()
    assert (result.value, result.rate, result.bucket) == (3.0, None, None)


def test_empty_node_gives_no_results(node_session):
    assert compute_indicators(node_session, CATALOG) == []
    assert "(no data)" in totals_table([])


def test_sql_period_start_matches_iso_weeks_and_months(node_session):
    first = dt.date(2024, 12, 20)
    days = [first + dt.timedelta(days=i) for i in range(21)]
    _insert(node_session, NodeData([1]))
    node_session.execute(
        insert(Event),
        [
            {"event_date": d, "district_code": _district(0), "event_type": "other", "visitors": 1}
            for d in days
        ],
    )
    for period in ("week", "month"):  # separate statements: the period is in the cache key
        query = select(Event.event_date, period_start(Event.event_date, period))
        rows = [tuple(row) for row in node_session.execute(query.order_by(Event.event_date))]
        assert rows == [(d, _key(d, period)) for d in days]


def test_one_query_per_table_and_period():
    pairs = {(i.table, i.period) for i in CATALOG.indicators}
    assert len(compile_indicators(CATALOG)) == len(pairs)


def test_store_indicator_values_upserts(node_session):
    _insert(node_session, EXAMPLE)
    results = compute_indicators(node_session, CATALOG)
    stamp = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    assert store_indicator_values(node_session, results, stamp) == len(results)
    _insert(node_session, NodeData([], weekly={(2, 0, "riot", True, "police"): 6}))
    again = compute_indicators(node_session, CATALOG)
    store_indicator_values(node_session, again, stamp)
    stored = node_session.scalars(
        select(IndicatorValue).where(IndicatorValue.indicator == "riot_online_weekly")
    ).all()
    assert len(node_session.scalars(select(IndicatorValue)).all()) == len(results)
    assert {(r.period_start, r.value, r.bucket) for r in stored} == {
        (dt.date(2024, 1, 29), 4.0, 2),
        (dt.date(2024, 2, 5), 18.0, 4),  # rate 2.25
    }


def test_totals_table_lists_periods_and_totals(node_session):
    _insert(node_session, EXAMPLE)
    table = totals_table(compute_indicators(node_session, CATALOG))
    line = next(x for x in table.splitlines() if x.startswith("riot_online_weekly "))
    assert line.split() == ["riot_online_weekly", "2", "16.00"]
    assert table.splitlines()[0].split() == ["indicator", "periods", "total"]


def test_spike_flag_needs_four_periods_of_history():
    assert spike_flag([0.0, 0.0, 0.0], 50.0) == 0
    assert spike_flag([], 50.0) == 0
    assert spike_flag([0.0, 0.0, 0.0, 0.0], 50.0) == 1


def test_spike_flag_is_above_mean_plus_three_sample_standard_deviations():
    history = [10.0, 12.0, 8.0, 10.0, 12.0, 8.0, 10.0, 10.0]  # mean 10, sample sd sqrt(16/7)
    threshold = 10.0 + 3 * (16 / 7) ** 0.5
    assert spike_flag(history, threshold + 0.01) == 1
    assert spike_flag(history, threshold) == 0
    assert spike_flag(history, 10.0 + 2 * (16 / 7) ** 0.5 + 0.01) == 0  # 2 sd is not enough


def test_spike_flag_needs_an_absolute_minimum():
    quiet = [0.0] * 8
    assert spike_flag(quiet, SPIKE_MIN_VALUE - 1) == 0
    assert spike_flag(quiet, SPIKE_MIN_VALUE) == 1


def test_spike_flag_looks_at_the_last_eight_periods_only():
    old_wave = [100.0, 100.0, 100.0]
    recent = [2.0, 3.0, 2.0, 3.0, 2.0, 3.0, 2.0, 3.0]
    assert spike_flag(old_wave + recent, 20.0) == 1
    assert spike_flag(old_wave[-1:] + recent[1:], 20.0) == 0  # the wave is in the window


def test_previous_periods_of_weeks_and_months():
    assert previous_periods(dt.date(2026, 1, 12), "week", 3) == [
        dt.date(2025, 12, 22),
        dt.date(2025, 12, 29),
        dt.date(2026, 1, 5),
    ]
    assert previous_periods(dt.date(2026, 2, 1), "month", 3) == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
    ]


def test_spike_history_starts_with_the_nodes_data_and_fills_gaps_with_zero():
    indicator = load_catalog().get("riot_online_weekly")
    monday = dt.date(2026, 3, 2)
    weeks = previous_periods(monday, "week", 10)
    results = [
        IndicatorResult("riot_online_weekly", weeks[4], 1.0, None, None),
        IndicatorResult("riot_online_weekly", weeks[6], 2.0, None, None),
        IndicatorResult("riot_online_weekly", monday, 9.0, None, None),
        IndicatorResult("drugs_weekly", weeks[0], 5.0, None, None),
    ]
    assert spike_history(results, indicator, monday) == [1.0, 0.0, 2.0, 0.0, 0.0, 0.0]
    assert spike_history(results[3:], indicator, monday) == []
