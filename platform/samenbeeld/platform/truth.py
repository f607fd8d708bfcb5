"""Independent verification from the demo's plaintext ``truth.json`` (no service reads it).

For the weekly ``count_sum`` indicators without a source filter, truth.json holds what each
city counted (per week, category and online flag), so the expected release of a round can be
computed here without touching a node database or the MPC: each city's value, the sum over a
cohort, and the disclosure rules (minimum contributors, dominance) applied in plaintext.
The same holds for the counting rounds: how many cities fall in each catalog bucket (their
rate per 10,000 from the city's population, as a node computes it) and how many cities'
own week is a spike against their previous weeks (:func:`indicators.spike_flag`).

A cell released with differential-privacy noise cannot equal the truth: :func:`agrees`
accepts it within ``NOISE_Z`` of its stated noise standard deviation, a range a correct
release leaves with probability 1e-7 (so a demo of a few hundred noisy cells fails by
chance about once in ten thousand runs), while wrong noise or a wrong sum fails by far.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samenbeeld.federation.protocol import CONCENTRATED, DOMINANCE, MIN_CONTRIBUTORS
from samenbeeld.platform.catalog import Indicator
from samenbeeld.platform.indicators import (
    SPIKE_WINDOW,
    bucket_of,
    figure_of,
    previous_periods,
    spike_flag,
)
from samenbeeld.platform.noise import EXACT
from samenbeeld.platform.trends import is_concentrated


@dataclass(frozen=True)
class ExpectedCell:
    """What disclosure control should make of one cell: a value, or a suppression reason."""

    indicator: str
    total: float
    """The sum, or the number of cities (bucket and spike cells)."""
    reason: str
    """"" when released, else "min_contributors", "dominance" or "concentrated"."""
    cell: str = "total"
    """"total", "bucket:<i>" or "spikes", as the hub labels released cells."""


NOISE_Z = 5.33
"""Standard deviations within which a noisy release agrees with the truth (two-sided
normal tail 1e-7)."""


def agrees(cell: ExpectedCell, release: Mapping[str, Any]) -> bool:
    """Whether a released cell is what the truth demands: the same suppression reason, and
    the exact total, or for a noisy cell a value within ``NOISE_Z`` noise SDs of it."""
    reason = release["suppressed_reason"] or ""
    if reason != cell.reason:
        return False
    if reason:
        return release["value"] is None
    if release.get("mechanism", EXACT) == EXACT:
        return bool(release["value"] == cell.total)
    return bool(abs(release["value"] - cell.total) <= NOISE_Z * release["noise_sd"])


def load_truth(path: Path) -> dict[str, Any]:
    """The parsed truth file."""
    document: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return document


def verifiable(indicator: Indicator) -> bool:
    """Whether truth.json can verify the indicator (weekly counts, any source)."""
    filters = indicator.filters
    return (
        indicator.measure == "count_sum"
        and indicator.period == "week"
        and filters.source_types is None
        and filters.categories is not None
    )


def city_value(truth: Mapping[str, Any], code: str, indicator: Indicator, week: dt.date) -> float:
    """One city's count for the indicator in the week, from truth.json."""
    city = next(c for c in truth["cities"] if c["code"] == code)
    counts = city["weeks"][week.isoformat()]
    flags = {None: ("offline", "online"), True: ("online",), False: ("offline",)}
    chosen = flags[indicator.filters.online_driven]
    categories = indicator.filters.categories or ()
    return float(sum(counts[category][flag] for category in categories for flag in chosen))


def city_bucket(
    truth: Mapping[str, Any], code: str, indicator: Indicator, week: dt.date
) -> int | None:
    """One city's histogram bucket of the indicator in the week (None without buckets)."""
    city = next(c for c in truth["cities"] if c["code"] == code)
    figure = figure_of(indicator, city_value(truth, code, indicator, week), city["population"])
    return bucket_of(indicator.buckets, figure)


def city_spike(truth: Mapping[str, Any], code: str, indicator: Indicator, week: dt.date) -> int:
    """One city's spike flag of the indicator in the week, against its weeks before it."""
    first = dt.date.fromisoformat(truth["week_starts"][0])
    history = [
        city_value(truth, code, indicator, before)
        for before in previous_periods(week, "week", SPIKE_WINDOW)
        if before >= first
    ]
    return spike_flag(history, city_value(truth, code, indicator, week))


def expected_cells(
    truth: Mapping[str, Any],
    codes: Sequence[str],
    indicators: Sequence[Indicator],
    week: dt.date,
    min_contributors: int,
    dominance: float,
    program: str = "checked_sum",
) -> list[ExpectedCell]:
    """The release the rules demand for ``codes`` (all valid) in cell order.

    ``program`` ``histogram`` gives one count per bucket of each indicator that has buckets,
    suppressed as ``concentrated`` when one bucket holds all cities or all but one;
    ``spike_count`` one count of spiking cities per indicator, suppressed as ``concentrated``
    when at most one city or all but at most one flag a spike; both are suppressed below
    ``min_contributors`` (no dominance rule on counts of cities).
    """
    if program in ("histogram", "spike_count"):
        return _expected_counts(truth, codes, indicators, week, min_contributors, program)
    cells = []
    for indicator in indicators:
        values = [city_value(truth, code, indicator, week) for code in codes]
        total = float(sum(values))
        if len(values) < min_contributors:
            reason = MIN_CONTRIBUTORS
        elif max(values) > dominance * total:
            reason = DOMINANCE
        else:
            reason = ""
        cells.append(ExpectedCell(indicator.code, total, reason))
    return cells


def _expected_counts(
    truth: Mapping[str, Any],
    codes: Sequence[str],
    indicators: Sequence[Indicator],
    week: dt.date,
    min_contributors: int,
    program: str,
) -> list[ExpectedCell]:
    """Counts of cities per bucket, or of cities flagging a spike, per indicator."""
    reason = MIN_CONTRIBUTORS if len(codes) < min_contributors else ""
    cells = []
    for indicator in indicators:
        if program == "spike_count":
            spikes = sum(city_spike(truth, code, indicator, week) for code in codes)
            # flagged or not: two buckets, so at most one or all but at most one is concentrated
            extreme = is_concentrated([spikes, len(codes) - spikes])
            own = reason or (CONCENTRATED if extreme else "")
            cells.append(ExpectedCell(indicator.code, float(spikes), own, "spikes"))
            continue
        if indicator.buckets is None:
            continue
        found = [city_bucket(truth, code, indicator, week) for code in codes]
        counts = [found.count(index) for index in range(len(indicator.buckets) + 1)]
        crowded = is_concentrated(counts)  # one bucket: all cities, or all but one
        own = reason or (CONCENTRATED if crowded else "")
        cells += [ExpectedCell(indicator.code, float(count), own, f"bucket:{index}")
                  for index, count in enumerate(counts)]  # fmt: skip
    return cells
