"""Synthetic aggregates for one demo city: districts, weekly counts, events, sentiment.

Pure numpy, no database: :mod:`samenbeeld.platform.demo` writes what this returns. All
randomness comes from the ``numpy.random.Generator`` passed in, so a seed fixes the output.

Weekly counts are Poisson draws whose mean is district population x a per-category rate
x seasonality (summer or winter peak) x holiday peaks (New Year's Eve, King's Day) x the
online share x a source-type mix, plus an online-driven disturbance wave in the cities
the wave reaches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np

from samenbeeld.platform import vocabulary as v
from samenbeeld.platform.registry import Municipality

ANCHOR_WEEK = dt.date(2026, 11, 16)
"""Monday of the last generated ISO week: the period always ends here."""

PER = 100_000.0
# category: (weekly rate per 100k inhabitants, share online-driven, season amplitude,
# day of year of the seasonal peak: ~196 is mid-July, ~15 mid-January)
PROFILE: dict[str, tuple[float, float, float, int]] = {
    "high_impact_crime": (28.0, 0.02, 0.20, 15),
    "polarisation_radicalisation": (0.6, 0.50, 0.0, 1),
    "youth_safety": (9.0, 0.10, 0.30, 196),
    "undermining": (2.5, 0.02, 0.0, 1),
    "liveability": (55.0, 0.03, 0.25, 196),
    "confused_persons": (14.0, 0.01, 0.10, 15),
    "domestic_violence": (11.0, 0.01, 0.15, 15),
    "cybercrime": (12.0, 0.30, 0.05, 15),
    "drugs": (7.0, 0.05, 0.15, 196),
    "events": (3.0, 0.10, 0.50, 196),
    "demonstration": (1.2, 0.30, 0.10, 120),
    "riot": (0.15, 0.40, 0.0, 1),
    "illegal_event": (0.6, 0.50, 0.40, 196),
    "giveaway_crowd": (0.1, 0.90, 0.0, 1),
    "youth_nuisance_online": (1.5, 0.80, 0.20, 196),
}
# Multipliers in the week holding the holiday.
NYE_PEAK = {
    "riot": 30.0,
    "liveability": 2.5,
    "youth_safety": 3.0,
    "high_impact_crime": 1.4,
    "events": 3.0,
    "confused_persons": 1.3,
    "illegal_event": 2.0,
}
KINGS_DAY_PEAK = {
    "events": 5.0,
    "liveability": 2.0,
    "drugs": 1.6,
    "youth_safety": 1.5,
    "illegal_event": 2.0,
}
# Source mix per online flag, in vocabulary.SOURCE_TYPES order (police, municipal
# enforcement, citizen report, emergency services, online monitoring); zero = not used.
SOURCE_MIX = np.array([[0.50, 0.20, 0.20, 0.10, 0.0], [0.30, 0.0, 0.10, 0.0, 0.60]])
WAVE_CATEGORIES = ("riot", "giveaway_crowd", "youth_nuisance_online")
WAVE_PROFILE = (3.0, 6.0, 2.5)
"""Extra online-driven incidents per 100k inhabitants per wave category, week by week."""


@dataclasses.dataclass(frozen=True)
class CityData:
    """Everything generated for one city."""

    districts: list[tuple[str, int]]
    counts: np.ndarray
    """Shape (weeks, districts, categories, online flag 0/1, source types)."""
    events: list[dict[str, object]]
    sentiment: list[dict[str, object]]


def week_starts(weeks: int) -> list[dt.date]:
    """The Mondays of the last ``weeks`` ISO weeks up to and including ANCHOR_WEEK."""
    return [ANCHOR_WEEK - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def kings_day(year: int) -> dt.date:
    """27 April, or the 26th when the 27th is a Sunday."""
    day = dt.date(year, 4, 27)
    return day - dt.timedelta(days=1) if day.weekday() == 6 else day


def holiday_weeks(starts: list[dt.date], days: list[dt.date]) -> list[int]:
    """Indices of the weeks that contain any of the given days."""
    return [i for i, s in enumerate(starts) if any(s <= d < s + dt.timedelta(7) for d in days)]


def plan_wave(rng: np.random.Generator, codes: list[str], weeks: int) -> list[tuple[str, int]]:
    """(code, start week index) of the cities the wave reaches, in the order it spreads.

    An online call travels fast: the wave starts in the second-to-last week and reaches
    each next city in the same week or the week after, so it is running in every reached
    city in the last week (ANCHOR_WEEK), which is what an early-warning panel must catch.
    The period ends inside the wave: its later weeks are cut off.
    """
    if not codes or weeks < len(WAVE_PROFILE) + 1:
        return []
    reach = min(len(codes), max(2, len(codes) // 3))
    order = rng.permutation(len(codes))[:reach]
    lags = rng.integers(0, 2, size=reach)
    lags[0] = 0
    starts = np.minimum(weeks - 2 + np.cumsum(lags), weeks - 1)
    return [(codes[i], int(s)) for i, s in zip(order, starts, strict=True)]


def make_districts(rng: np.random.Generator, city: Municipality) -> list[tuple[str, int]]:
    """5-20 CBS wijk codes, scaled by size, with populations summing to the city's."""
    count = int(np.clip(round(city.population / 30_000) + 2, 5, 20))
    shares = rng.dirichlet(np.full(count, 4.0))
    populations = np.floor(shares * city.population).astype(int)
    populations[0] += city.population - int(populations.sum())
    digits = city.code[2:]
    return [(f"WK{digits}{i:02d}", int(p)) for i, p in enumerate(populations)]


def _season(starts: list[dt.date]) -> np.ndarray:
    """Seasonal factor per (week, category): a cosine around each category's peak day."""
    mid_days = np.array([(s + dt.timedelta(3)).timetuple().tm_yday for s in starts])
    amplitude = np.array([PROFILE[c][2] for c in v.CATEGORIES])
    peak = np.array([PROFILE[c][3] for c in v.CATEGORIES])
    angle = 2 * math.pi * (mid_days[:, None] - peak[None, :]) / 365.25
    season: np.ndarray = 1.0 + amplitude[None, :] * np.cos(angle)
    return season


def _peaks(starts: list[dt.date]) -> np.ndarray:
    """Holiday multiplier per (week, category): New Year's Eve and King's Day weeks."""
    factor = np.ones((len(starts), len(v.CATEGORIES)))
    years = sorted({s.year for s in starts} | {s.year + 1 for s in starts})
    nye = [dt.date(y, 12, 31) for y in years] + [dt.date(y, 1, 1) for y in years]
    for days, peak in ((nye, NYE_PEAK), ([kings_day(y) for y in years], KINGS_DAY_PEAK)):
        for week in holiday_weeks(starts, days):
            for category, multiplier in peak.items():
                factor[week, v.CATEGORIES.index(category)] = multiplier
    return factor


def _means(
    rng: np.random.Generator, districts: list[tuple[str, int]], starts: list[dt.date]
) -> np.ndarray:
    """Poisson means of shape (weeks, districts, categories, 2, sources), without wave."""
    population = np.array([p for _, p in districts], dtype=float)
    hotspot = rng.lognormal(0.0, 0.3, size=len(districts))
    hotspot[0] *= 1.5  # district 00: the city centre
    weight = population * hotspot * population.sum() / (population * hotspot).sum() / PER
    rate = np.array([PROFILE[c][0] for c in v.CATEGORIES])
    online = np.array([PROFILE[c][1] for c in v.CATEGORIES])
    split = np.stack([1.0 - online, online], axis=-1)
    weekly = _season(starts) * _peaks(starts) * rate[None, :]
    means: np.ndarray = (
        weekly[:, None, :, None, None]
        * weight[None, :, None, None, None]
        * split[None, None, :, :, None]
        * SOURCE_MIX[None, None, None, :, :]
    )
    return means


def _add_wave(means: np.ndarray, districts: list[tuple[str, int]], start: int) -> None:
    """Add the online-driven wave, starting in week ``start``, to the means in place.

    Weeks of the wave after the period's last week are cut off.
    """
    population = np.array([p for _, p in districts], dtype=float) / PER
    for offset, extra in enumerate(WAVE_PROFILE[: means.shape[0] - start]):
        for category in WAVE_CATEGORIES:
            c = v.CATEGORIES.index(category)
            means[start + offset, :, c, 1, :] += extra * population[:, None] * SOURCE_MIX[1]


def generate_city(
    rng: np.random.Generator, city: Municipality, weeks: int, wave_start: int | None
) -> CityData:
    """All synthetic aggregates of one city for the period ending at ANCHOR_WEEK."""
    starts = week_starts(weeks)
    districts = make_districts(rng, city)
    means = _means(rng, districts, starts)
    if wave_start is not None:
        _add_wave(means, districts, wave_start)
    counts = np.minimum(rng.poisson(means), v.MAX_WEEKLY_COUNT)
    events = make_events(rng, districts, starts)
    wave_days = _wave_days(starts, wave_start)
    sentiment = make_sentiment(rng, city.population, starts, wave_days)
    return CityData(districts, counts, events, sentiment)


def _wave_days(starts: list[dt.date], wave_start: int | None) -> set[dt.date]:
    """The days the wave is running in a city (empty when it never arrives)."""
    if wave_start is None:
        return set()
    first = starts[wave_start]
    return {first + dt.timedelta(d) for d in range(7 * len(WAVE_PROFILE))}


# event type: (incidents per visitor, visitors as a share of district population)
EVENT_PROFILE = {
    "kings_day": (1 / 1500, 0.6),
    "new_years_eve": (1 / 300, 0.25),
    "festival": (1 / 2000, 0.15),
    "sports_match": (1 / 1000, 0.0),
    "market": (1 / 20000, 0.05),
    "concert": (1 / 3000, 0.05),
    "demonstration": (1 / 500, 0.0),
}


def make_events(
    rng: np.random.Generator, districts: list[tuple[str, int]], starts: list[dt.date]
) -> list[dict[str, object]]:
    """Events with visitor and incident numbers, one row per (day, district, type)."""
    rows: dict[tuple[dt.date, str, str], int] = {}
    for day in (starts[0] + dt.timedelta(d) for d in range(7 * len(starts))):
        for district, event_type, visitors in _events_on(rng, districts, day):
            key = (day, district, event_type)
            rows[key] = min(rows.get(key, 0) + visitors, v.MAX_EVENT_VISITORS)
    return [
        {
            "event_date": day,
            "district_code": district,
            "event_type": kind,
            "visitors": n,
            "incidents": int(min(rng.poisson(n * EVENT_PROFILE[kind][0]), v.MAX_WEEKLY_COUNT)),
        }
        for (day, district, kind), n in sorted(rows.items())
    ]


def _events_on(
    rng: np.random.Generator, districts: list[tuple[str, int]], day: dt.date
) -> list[tuple[str, str, int]]:
    """(district, type, visitors) of the events on one day."""
    codes = [code for code, _ in districts]
    population = sum(p for _, p in districts)
    found: list[tuple[str, str, int]] = []
    if day == kings_day(day.year) or (day.month, day.day) == (12, 31):
        kind = "kings_day" if day.month == 4 else "new_years_eve"
        for code, people in districts[: 1 + len(districts) // 3]:
            share = EVENT_PROFILE[kind][1] * rng.uniform(0.5, 1.5)
            found.append((code, kind, int(people * share)))
    if day.weekday() == 5:
        found.append((codes[0], "market", int(population * 0.02 * rng.uniform(0.7, 1.3))))
        if day.month in (6, 7, 8) and rng.random() < 0.5:
            found.append(
                (str(rng.choice(codes)), "festival", int(population * 0.05 * rng.random()))
            )
    if day.weekday() == 6 and day.month not in (6, 7) and population >= 100_000:
        if day.isocalendar().week % 2 == 0:
            found.append((codes[-1], "sports_match", int(rng.integers(8_000, 30_000))))
    if rng.random() < 0.04:
        found.append((str(rng.choice(codes)), "concert", int(rng.integers(500, 15_000))))
    if rng.random() < population / PER * 0.03:
        found.append((str(rng.choice(codes)), "demonstration", int(rng.integers(30, 3_000))))
    return found


# topic: (mean score, daily messages per 100k inhabitants)
SENTIMENT_PROFILE = {
    "public_order": (-0.05, 40.0),
    "police_trust": (0.10, 15.0),
    "polarisation": (-0.20, 20.0),
    "youth": (0.0, 25.0),
    "events": (0.30, 30.0),
    "safety_general": (0.05, 35.0),
}
WAVE_TOPICS = ("public_order", "youth", "polarisation")


def make_sentiment(
    rng: np.random.Generator, population: int, starts: list[dt.date], wave_days: set[dt.date]
) -> list[dict[str, object]]:
    """Daily aggregate sentiment per topic; the wave makes it darker and louder."""
    rows = []
    for day in (starts[0] + dt.timedelta(d) for d in range(7 * len(starts))):
        holiday = day == kings_day(day.year) or (day.month, day.day) in ((12, 31), (1, 1))
        for topic, (score, volume) in SENTIMENT_PROFILE.items():
            hot = day in wave_days and topic in WAVE_TOPICS
            mean = score - (0.3 if hot else 0.0) + rng.normal(0.0, 0.05)
            loud = (3.0 if hot else 1.0) * (2.0 if holiday else 1.0)
            count = rng.poisson(volume * loud * population / PER)
            rows.append(
                {
                    "day": day,
                    "topic": topic,
                    "score": round(float(np.clip(mean, -1, 1)), 3),
                    "volume": int(min(count, v.MAX_WEEKLY_COUNT)),
                }
            )
    return rows
