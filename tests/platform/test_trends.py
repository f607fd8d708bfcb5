"""Trend arithmetic against expectations computed by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from samenbeeld.platform import trends
from samenbeeld.platform.catalog import load_catalog
from samenbeeld.platform.noise import Interval, Noise
from samenbeeld.platform.trends import Cell

EDGES = (0.5, 1.0, 2.0, 5.0, 10.0)
BOUNDS = [(0.0, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 5.0), (5.0, 10.0), (10.0, 15.0)]
COUNTS = [2, 3, 4, 1, 0, 0]
DAY = dt.date(2024, 1, 1)


def cell(name="total", value=10.0, reason=None, version=1, cohort=6, day=DAY, **noise) -> Cell:
    """A released cell (noisy with a mechanism and noise_sd)."""
    return Cell(day, name, value, reason, version, cohort, **noise)


def noisy_series(values, sds, mechanism="gaussian") -> list[Cell]:
    """Weekly totals from DAY, each with the noise sd of sds (None: exact)."""
    days = [DAY + dt.timedelta(weeks=n) for n in range(len(values))]
    return [
        cell(value=v, day=day, mechanism=mechanism if sd else "exact", noise_sd=sd)
        for day, v, sd in zip(days, values, sds, strict=True)
    ]


def test_moving_average_over_the_last_released_values():
    assert trends.moving_averages([1, None, 3, 5, 7], 2) == [None, None, 2.0, 4.0, 6.0]
    assert trends.moving_averages([1, None, 3], 1) == [1.0, None, 3.0]
    assert trends.moving_averages([4, 8], 3) == [None, None]


def test_year_over_year_against_52_weeks_or_12_months_earlier():
    monday = dt.date(2024, 1, 1)
    assert trends.year_earlier(dt.date(2024, 12, 30), "week") == monday
    assert trends.year_earlier(dt.date(2024, 3, 1), "month") == dt.date(2023, 3, 1)
    later = monday + dt.timedelta(weeks=52)
    assert trends.yoy_changes([monday, later], [10.0, 15.0], "week") == [None, 0.5]
    assert trends.yoy_changes([monday, later], [None, 15.0], "week") == [None, None]
    assert trends.yoy_changes([monday, later], [0.0, 15.0], "week") == [None, None]
    months = [dt.date(2023, 3, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
    assert trends.yoy_changes(months, [8.0, 1.0, 6.0], "month") == [None, None, -0.25]
    assert trends.yoy_changes([dt.date(1, 1, 1)], [1.0], "month") == [None]


def test_anomaly_is_a_hampel_outlier_against_the_previous_eight_released_values():
    # history 10, 12, 11, 13, 12: median 12, MAD 1, limit 3 * 1.4826 = 4.45
    assert trends.anomaly_flags([10, 12, 11, 13, 12, 30]) == [False] * 5 + [True]
    assert trends.anomaly_flags([10, 12, 11, 13, 12, 16])[-1] is False  # 4 <= 4.45
    assert trends.anomaly_flags([10, 12, 11, 13, 12, 17])[-1] is True  # 5 > 4.45
    assert trends.anomaly_flags([10, 12, 11, 13, 12, None]) == [False] * 6
    # only 3 released values among the 8 periods before the last: no verdict
    gappy = [10, None, None, None, None, None, 11, 12, 10, 50]
    assert trends.anomaly_flags(gappy)[-1] is False
    assert trends.anomaly_flags([5, 5, 5, 5, 5])[-1] is False  # MAD 0, value on the median
    assert trends.anomaly_flags([5, 5, 5, 5, 6])[-1] is True


def test_open_outer_buckets_are_closed_with_the_edge_spacing_within_the_range():
    assert trends.bucket_bounds(EDGES, 0.0, 10_000.0) == BOUNDS
    sentiment = trends.bucket_bounds((-0.5, -0.2, 0.2, 0.5), -1.0, 1.0)
    assert sentiment[0] == pytest.approx((-0.8, -0.5)) and sentiment[-1] == pytest.approx(
        (0.5, 0.8)
    )
    assert trends.bucket_bounds((1, 2, 5, 10, 20), 0.0, 25.0)[-1] == (20, 25.0)
    assert trends.bucket_bounds((0.1, 0.5, 1, 2), 0.0, 10.0)[0] == (0.0, 0.1)  # not below 0
    catalog = load_catalog()
    assert trends.figure_range(catalog.get("public_order_sentiment_weekly")) == (-1.0, 1.0)
    assert trends.figure_range(catalog.get("high_impact_crime_weekly")) == (0.0, 10_000.0)


def test_grouped_quartiles_interpolate_within_their_bucket():
    # N = 10. Q1: 2.5th city, bucket 1 holds cities 3-5: 0.5 + (2.5 - 2) / 3 * 0.5.
    # Median: 5th city ends bucket 1: 1.0. Q3: 7.5th city in bucket 2: 1 + (7.5 - 5) / 4 * 1.
    band = trends.quartiles(COUNTS, BOUNDS)
    assert band is not None
    assert (band.q1, band.median, band.q3) == pytest.approx((0.5 + 0.5 / 6, 1.0, 1.625))
    assert band.buckets == (1, 1, 2)
    assert trends.quartiles([0] * 6, BOUNDS) is None
    assert trends.grouped_quantile([0, 0, 0, 0, 0, 4], BOUNDS, 0.5) == (12.5, 5)


def test_z_score_from_grouped_mean_and_deviation():
    # midpoints 0.25, 0.75, 1.5, 3.5: mean 12.25 / 10 = 1.225,
    # variance (2 * 0.950625 + 3 * 0.225625 + 4 * 0.075625 + 5.175625) / 10 = 0.805625
    mean, deviation = trends.grouped_moments(COUNTS, BOUNDS)
    assert mean == pytest.approx(1.225) and deviation == pytest.approx(math.sqrt(0.805625))
    assert trends.z_score(3.0, COUNTS, BOUNDS) == pytest.approx(1.775 / math.sqrt(0.805625))
    assert trends.z_score(1.0, [0, 0, 5, 0, 0, 0], BOUNDS) is None  # no spread


def test_quartile_of_a_figure():
    band = trends.quartiles(COUNTS, BOUNDS)
    assert [trends.quartile_of(x, band) for x in (0.4, 0.5 + 0.5 / 6, 0.9, 1.5, 3.0)] == [
        1, 1, 2, 3, 4]  # fmt: skip


def test_the_latest_version_of_each_cell_is_served():
    old, new = cell(value=999.0, version=1), cell(value=13.0, version=2)
    other = cell(value=1.0, day=DAY + dt.timedelta(weeks=1))
    assert trends.latest_versions([other, new, old]) == [new, other]


def test_serving_guards_hold_even_when_a_stored_release_is_wrong():
    assert trends.servable(cell(value=7919.0, reason="dominance"), 5).value is None
    small = trends.servable(cell(value=7919.0, cohort=1), 5)
    assert (small.value, small.suppressed_reason) == (None, "min_contributors")
    assert trends.servable(cell(value=math.nan), 5).suppressed_reason == "invalid"
    assert trends.servable(cell(value=None), 5).suppressed_reason == "suppressed"
    assert trends.servable(cell(value=31.0, cohort=5), 5).value == 31.0


def test_a_concentrated_histogram_is_withheld():
    assert trends.is_concentrated([4, 0, 0, 0, 1]) and trends.is_concentrated([0, 6, 0])
    assert not trends.is_concentrated([3, 2]) and not trends.is_concentrated([2, 1, 2])
    buckets = [cell(f"bucket:{i}", float(c), cohort=10) for i, c in enumerate(COUNTS)]
    served = trends.distribution_period(buckets, BOUNDS, 5)
    assert served.counts == tuple(COUNTS) and served.quartiles.buckets == (1, 1, 2)
    lone = [cell(f"bucket:{i}", float(c), cohort=5) for i, c in enumerate([4, 0, 0, 0, 1, 0])]
    assert trends.distribution_period(lone, BOUNDS, 5).suppressed_reason == "concentrated"
    assert trends.distribution_period(buckets[:5], BOUNDS, 5).suppressed_reason == "incomplete"
    few = [cell(f"bucket:{i}", float(c), cohort=4) for i, c in enumerate([1, 1, 1, 1, 0, 0])]
    assert trends.distribution_period(few, BOUNDS, 5).suppressed_reason == "min_contributors"


def test_series_points_carry_mean_per_city_and_the_trends():
    cells = [cell(value=float(v), day=DAY + dt.timedelta(weeks=n)) for n, v in enumerate([6, 12])]
    first, second = trends.series_points(cells, "week", 2)
    assert (first.mean_per_city, first.moving_average) == (1.0, None)
    assert (second.mean_per_city, second.moving_average, second.anomaly) == (2.0, 9.0, False)


def test_the_moving_average_of_noisy_values_carries_their_combined_noise():
    cells = noisy_series([10.0, 20.0, None, 30.0, 40.0], [3.0, 4.0, 9.0, None, 0.5])
    sds = trends.moving_average_noise_sds(cells, 2)
    # sqrt(3**2 + 4**2) / 2; a gap has none; the window skips it: sqrt(4**2 + 0) / 2
    assert sds == [None, pytest.approx(2.5), None, pytest.approx(2.0), pytest.approx(0.25)]
    exact = noisy_series([10.0, 20.0, 30.0], [None, None, None])
    assert trends.moving_average_noise_sds(exact, 2) == [None, None, None]


def test_a_year_on_year_change_says_whether_it_is_within_the_noise():
    later = DAY + dt.timedelta(weeks=52)
    pair = [(100.0, 5.0), (110.0, 5.0)]  # 10 < 1.96 * sqrt(50) = 13.86
    cells = [cell(value=v, day=d, mechanism="gaussian", noise_sd=sd)
             for d, (v, sd) in zip((DAY, later), pair, strict=True)]  # fmt: skip
    first, second = trends.series_points(cells, "week", 1)
    assert second.yoy_change == pytest.approx(0.1)
    assert (first.yoy_within_noise, second.yoy_within_noise) == (None, True)
    bigger = [cells[0], dataclasses.replace(cells[1], value=114.0)]  # 14 > 13.86
    assert trends.yoy_within_noise(bigger, "week") == [None, False]
    # Laplace noise is read with its own factor: 13.86 is within 2.0284 * sqrt(50) = 14.34
    laplace = [dataclasses.replace(c, mechanism="laplace") for c in bigger]
    assert trends.yoy_within_noise(laplace, "week") == [None, True]
    exact = [dataclasses.replace(c, mechanism="exact", noise_sd=None) for c in bigger]
    assert trends.yoy_within_noise(exact, "week") == [None, None]
    assert trends.yoy_within_noise([cells[0], cell(value=None, day=later)], "week") == [None] * 2


def test_an_anomaly_inside_the_noise_is_not_an_anomaly():
    # Hampel flags 30 against 10, 12, 11, 13, 12 (median 12, limit 4.45): deviation 18.
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 30.0]
    exact = [Noise()] * 5
    assert trends.anomaly_flags(values, [*exact, Noise("gaussian", 10.0)])[-1] is False  # 19.6
    assert trends.anomaly_flags(values, [*exact, Noise("gaussian", 5.0)])[-1] is True  # 9.8
    # The median's noise counts too, as that of the noisiest value of its history.
    history = [Noise("gaussian", 1.0)] * 4 + [Noise("gaussian", 10.0)]
    assert trends.anomaly_flags(values, [*history, Noise()])[-1] is False  # 19.6
    history = [Noise("gaussian", 1.0)] * 4 + [Noise("gaussian", 8.0)]
    assert trends.anomaly_flags(values, [*history, Noise()])[-1] is True  # 15.7
    both = [Noise("gaussian", 6.5)] * 6  # 1.96 * sqrt(2) * 6.5 = 18.02
    assert trends.anomaly_flags(values, both)[-1] is False
    assert trends.anomaly_flags(values, [Noise("gaussian", 6.4)] * 6)[-1] is True  # 17.7


def test_noisy_points_carry_their_interval_and_suppressed_ones_none():
    cells = noisy_series([100.0, None, 40.0], [10.0, 10.0, None])
    noisy, suppressed, exact = trends.series_points(cells, "week", 1)
    assert (noisy.mechanism, noisy.noise_sd) == ("gaussian", 10.0)
    assert noisy.interval == Interval(pytest.approx(80.40036), pytest.approx(119.59964))
    assert noisy.moving_average_noise_sd == 10.0
    assert (suppressed.value, suppressed.interval, suppressed.moving_average_noise_sd) == (
        None, None, None)  # fmt: skip
    assert (exact.mechanism, exact.noise_sd, exact.interval) == ("exact", None, None)


def test_a_noisy_value_without_a_valid_noise_is_served_as_invalid():
    for noise in ({"mechanism": "gaussian", "noise_sd": None},
                  {"mechanism": "gaussian", "noise_sd": 0.0},
                  {"mechanism": "laplace", "noise_sd": math.inf},
                  {"mechanism": "uniform", "noise_sd": 2.0}):  # fmt: skip
        served = trends.servable(cell(value=31.0, **noise), 5)
        assert (served.value, served.suppressed_reason) == (None, "invalid"), noise
    assert trends.servable(cell(value=31.0, mechanism="gaussian", noise_sd=2.0), 5).value == 31.0
    assert trends.servable(cell(mechanism="exact", noise_sd=2.0), 5).noise_sd is None
