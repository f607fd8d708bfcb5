"""Independent verification from the demo's plaintext ``truth.json`` (no service reads it).

For the weekly ``count_sum`` indicators without a source filter, truth.json holds what each
city counted (per week, category and online flag), so the expected release of a round can be
computed here without touching a node database or the MPC: each city's value, the sum over a
cohort, and the disclosure rules (minimum contributors, dominance) applied in plaintext.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samenbeeld.platform.catalog import Indicator


@dataclass(frozen=True)
class ExpectedCell:
    """What disclosure control should make of one cell: a value, or a suppression reason."""

    indicator: str
    total: float
    reason: str
    """"" when released, else "min_contributors" or "dominance"."""


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


def expected_cells(
    truth: Mapping[str, Any],
    codes: Sequence[str],
    indicators: Sequence[Indicator],
    week: dt.date,
    min_contributors: int,
    dominance: float,
) -> list[ExpectedCell]:
    """The release the rules demand for ``codes`` (all valid) in cell order."""
    cells = []
    for indicator in indicators:
        values = [city_value(truth, code, indicator, week) for code in codes]
        total = float(sum(values))
        if len(values) < min_contributors:
            reason = "min_contributors"
        elif max(values) > dominance * total:
            reason = "dominance"
        else:
            reason = ""
        cells.append(ExpectedCell(indicator.code, total, reason))
    return cells
