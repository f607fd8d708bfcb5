"""What a round computes, as hub, nodes and parties all see it: the round spec.

A round's spec is its program, its period's first day, its indicators (catalog codes, in
cell order) and the cells per indicator. The hub opens a round by it; a node declares it
with every share it uploads (the query of ``PUT /rounds/<id>/shares``), because the node is
the one that computed its vector for exactly that spec; a party refuses a compute request
whose spec differs from what every city of the cohort declared. So a hub cannot have a
round computed as one period or indicator while the cities contributed another, and the
parties' ledger of revealed cells (:mod:`samenbeeld.federation.disclosure`) is keyed by what
was really computed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from samenbeeld.platform.catalog import Catalog
from samenbeeld.platform.errors import InvalidInputError


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, no NaN: the same bytes at every role."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class RoundSpec:
    """A round's program, period start, indicators (in cell order) and cells per indicator."""

    program: str
    period_start: dt.date
    indicators: tuple[str, ...]
    cells_per_indicator: int = 1

    def to_query(self) -> dict[str, str]:
        """The spec as the query parameters of a share upload."""
        return {
            "program": self.program,
            "period_start": self.period_start.isoformat(),
            "indicators": ",".join(self.indicators),
            "cells_per_indicator": str(self.cells_per_indicator),
        }

    @classmethod
    def from_query(cls, query: dict[str, Any]) -> RoundSpec:
        """The spec from parsed upload query parameters (a date and a comma-separated list)."""
        return cls(
            program=query["program"],
            period_start=query["period_start"],
            indicators=tuple(query["indicators"].split(",")),
            cells_per_indicator=int(query["cells_per_indicator"]),
        )

    def canonical(self) -> str:
        """The spec's canonical JSON, stored beside every upload and compared at compute."""
        return canonical_json(
            {
                "program": self.program,
                "period_start": self.period_start.isoformat(),
                "indicators": list(self.indicators),
                "cells_per_indicator": self.cells_per_indicator,
            }
        )

    def segments(self, catalog: Catalog) -> list[int]:
        """Cells per indicator in vector order (histograms: each indicator's buckets + 1)."""
        if self.program == "histogram":
            return [bucket_cells(catalog, code) for code in self.indicators]
        return [self.cells_per_indicator] * len(self.indicators)

    def cell_bounds(self, catalog: Catalog) -> list[float]:
        """Each cell's upper bound of a valid value: its indicator's catalog ``max``."""
        return [
            catalog.get(code).max
            for code in self.indicators
            for _ in range(self.cells_per_indicator)
        ]


def bucket_cells(catalog: Catalog, code: str) -> int:
    """How many histogram cells an indicator has: its bucket edges + 1."""
    indicator = catalog.get(code)
    if indicator.buckets is None:
        raise InvalidInputError(f"indicator {code} has no buckets")
    return len(indicator.buckets) + 1
