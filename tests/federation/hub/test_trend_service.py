"""The hub's trend answers as service functions, on a rolled-back hub session (both backends)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from factories import add_release, week
from samenbeeld.federation.hub import trends as hub_trends
from samenbeeld.federation.hub.trend_cache import TrendCache, as_csv
from samenbeeld.platform.errors import NotFoundError

WEEK0 = dt.date(2024, 1, 1)
WEEKLY = "riot_online_weekly"
HISTOGRAM = "high_impact_crime_weekly"  # edges 0.5, 1, 2, 5, 10: six buckets
NO_BUCKETS = "polarisation_radicalisation_weekly"
SERIES_ARGS = {"start": None, "end": None, "window": 2, "page": 1, "page_size": 100}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def reader(session, clock=None, current=()) -> hub_trends.TrendReader:
    """A reader with a fresh cache, a minimum of 5 cities and a 1-second generation TTL."""
    return hub_trends.TrendReader(session, TrendCache(clock=clock or Clock()), 5, 1.0, current)


def identity(data):
    """A stand-in for a response schema's dump: dataclasses as dicts, dates as ISO text."""

    def plain(value):
        return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else str(value)

    return json.loads(json.dumps(data, default=plain))


def test_the_release_generation_is_read_again_only_when_its_time_is_up(hub_session):
    clock = Clock()
    trend = reader(hub_session, clock)
    first = hub_trends.release_generation(trend)
    add_release(hub_session, WEEKLY, week(WEEK0, 0), "total", 10.0)
    clock.now = 0.9
    assert hub_trends.release_generation(trend) == first
    clock.now = 1.0
    assert hub_trends.release_generation(trend) != first


def test_the_series_answer_is_cached_and_empty_for_a_current_etag(hub_session):
    for n, value in enumerate((10.0, 12.0, 14.0)):
        add_release(hub_session, WEEKLY, week(WEEK0, n), "total", value)
    args = {**SERIES_ARGS, "format": "csv"}
    answer = hub_trends.series_answer(reader(hub_session), WEEKLY, args, identity)
    assert answer.body is not None and answer.body.media_type == "text/csv"
    assert json.loads(answer.body.headers["X-Pagination"])["total"] == 3
    lines = answer.body.content.decode().splitlines()
    assert lines[0].split(",") == list(hub_trends.SERIES_COLUMNS)
    assert lines[3].startswith(f"{week(WEEK0, 2)},14.0,,1,6,") and lines[3].endswith(",false")
    again = hub_trends.series_answer(reader(hub_session, current={answer.etag}), WEEKLY, args, str)
    assert again.etag == answer.etag and again.body is None


def test_a_repeated_answer_touches_no_database(hub_session):
    add_release(hub_session, WEEKLY, week(WEEK0, 0), "total", 10.0)
    trend = reader(hub_session)
    args = {**SERIES_ARGS, "format": "json"}
    first = hub_trends.series_answer(trend, WEEKLY, args, identity)
    hub_session.close()  # the cached generation, result and body need no session
    trend = hub_trends.TrendReader(None, trend.cache, 5, 1.0)
    assert hub_trends.series_answer(trend, WEEKLY, args, identity) == first


def test_a_distribution_needs_buckets_and_withholds_small_cohorts(hub_session):
    with pytest.raises(NotFoundError, match="no distribution"):
        hub_trends.distribution_answer(reader(hub_session), NO_BUCKETS, {}, identity)
    for index, count in enumerate([2, 3, 4, 1, 0, 0]):
        add_release(hub_session, HISTOGRAM, week(WEEK0, 0), f"bucket:{index}", count, cohort=10)
    for index, count in enumerate([1, 1, 1, 0, 0, 0]):
        add_release(hub_session, HISTOGRAM, week(WEEK0, 1), f"bucket:{index}", count, cohort=3)
    args = {"start": None, "end": None, "format": "json"}
    answer = hub_trends.distribution_answer(reader(hub_session), HISTOGRAM, args, identity)
    assert answer.body is not None
    periods = json.loads(answer.body.content)["periods"]
    assert periods[0]["counts"] == [2, 3, 4, 1, 0, 0]
    assert periods[1]["counts"] is None and periods[1]["suppressed_reason"]


def test_early_warnings_count_cities_and_leave_out_small_signals(hub_session):
    add_release(hub_session, WEEKLY, week(WEEK0, 0), "spikes", 4.0, cohort=8)
    add_release(hub_session, "demonstration_online_weekly", week(WEEK0, 0), "spikes", 2.0, cohort=8)
    args = {"period_start": None, "k": 3, "period": "week", "format": "json"}
    found = hub_trends.early_warnings_answer(reader(hub_session), args, identity)
    assert found.body is not None
    body = json.loads(found.body.content)
    assert body["period_start"] == week(WEEK0, 0).isoformat()
    assert [(s["indicator"], s["cities"]) for s in body["signals"]] == [(WEEKLY, 4)]


def test_the_cache_drops_the_least_recently_used_item():
    cache = TrendCache(size=2)
    cache.put(("a",), 1)
    cache.put(("b",), 2)
    assert cache.get(("a",)) == 1  # now b is the least recently used
    cache.put(("c",), 3)
    assert cache.get(("b",)) is None and cache.get(("a",)) == 1 and cache.get(("c",)) == 3


def test_csv_cells_are_empty_for_none_and_words_for_booleans():
    body = as_csv(["a", "b", "c"], [[None, True, week(WEEK0, 0)]])
    assert body.content.decode() == f"a,b,c\r\n,true,{week(WEEK0, 0)}\r\n"
