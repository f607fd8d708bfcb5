"""The round protocol, defined once and imported by hub, nodes and parties.

- **Round ids** (:data:`ROUND_ID`): 1 to 64 letters, digits, '.', '_' or '-', starting with
  a letter or digit (so never "-x", ".hidden" or a trailing newline).
- **Programs** (:data:`PROGRAMS`): what a round computes: ``checked_sum`` (sums per cell),
  ``histogram`` (cities per catalog bucket, from one-hot vectors), ``spike_count`` (cities
  flagging a spike, from 0/1 flags).
- **Reasons** a cell is suppressed (:data:`MIN_CONTRIBUTORS`, :data:`DOMINANCE`,
  :data:`CONCENTRATED`).
- **The round spec** (:class:`RoundSpec`): program, period start, indicators, cells per
  indicator. A node declares it with every share it uploads (the query of ``PUT
  /rounds/<id>/shares``), because the node is the one that computed its vector for exactly
  that spec; a party refuses a compute request whose spec differs from what every city of
  the cohort declared. So a hub cannot have a round computed as one period or indicator
  while the cities contributed another, and the parties' ledger of revealed cells
  (:mod:`samenbeeld.federation.party.disclosure`) is keyed by what was really computed.
- **The result document** (:class:`PartyResult`) a party signs and the hub verifies: values
  (None when suppressed), reasons, the invalid cities' codes, the number of contributors and
  the rules the party applied (:class:`AppliedRules`: minimum of contributors, dominance
  threshold, and per noisy indicator its mechanism, epsilon, delta and the noise's standard
  deviation); and its canonical JSON (:func:`canonical_json`), the same bytes at every role.
  Parties that applied different rules sign different documents, so the hub sees different
  digests and fails the attempt as "different results".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from samenbeeld.platform.errors import InvalidInputError

if TYPE_CHECKING:
    from samenbeeld.platform.catalog import Catalog, ReleasePolicy

ROUND_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
"""A round id, anchored (``match`` is a full match, also in a marshmallow ``Regexp``)."""
PROGRAMS = ("checked_sum", "histogram", "spike_count")
"""What a round computes: sums per cell, one-hot bucket counts, 0/1 spike-flag counts."""
MIN_CONTRIBUTORS = "min_contributors"
"""Suppressed: fewer valid cities than the minimum of contributors."""
DOMINANCE = "dominance"
"""Suppressed: one city holds more than the dominance threshold of a sum."""
CONCENTRATED = "concentrated"
"""Suppressed: a count would tell every city's bucket or flag (all, all but one, none)."""
REASONS = (MIN_CONTRIBUTORS, DOMINANCE, CONCENTRATED)


def check_round_id(round_id: str) -> None:
    """InvalidInputError unless round_id is a round id (see :data:`ROUND_ID`)."""
    if not ROUND_ID.match(round_id):
        raise InvalidInputError(
            "round id must be 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )


def check_program(program: str) -> None:
    """InvalidInputError unless program is one of :data:`PROGRAMS`."""
    if program not in PROGRAMS:
        raise InvalidInputError(f"program must be one of {', '.join(PROGRAMS)}")


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, no NaN: the same bytes at every role."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256_hex(text: str) -> str:
    """SHA-256 of ``text`` (UTF-8) in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class AppliedNoise:
    """The differential-privacy noise a party added to one indicator's released cells."""

    mechanism: str
    epsilon: float
    delta: float | None
    noise_sd: float | None
    """Each released cell's noise standard deviation in the figure's own units (None when no
    cell of the indicator was released)."""


@dataclass(frozen=True)
class AppliedRules:
    """The disclosure rules a party applied to a session: the minimum of contributors, the
    dominance threshold (sums only; None for counts of cities) and the noise per indicator
    under a noise policy (indicators without one are exact)."""

    min_contributors: int
    dominance: float | None = None
    noise: Mapping[str, AppliedNoise] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The rules as the JSON object inside a result document."""
        return {
            "min_contributors": self.min_contributors,
            "dominance": self.dominance,
            "noise": {code: asdict(noise) for code, noise in self.noise.items()},
        }

    @classmethod
    def from_document(cls, data: Mapping[str, Any]) -> AppliedRules:
        """The rules of a document made by :meth:`document`."""
        noise = {code: AppliedNoise(**found) for code, found in data["noise"].items()}
        return cls(data["min_contributors"], data["dominance"], noise)


@dataclass(frozen=True)
class PartyResult:
    """What a party says the session revealed (released aggregates only), and by which rules."""

    values: list[float | None]
    reasons: list[str]
    invalid: list[str]
    contributors: int
    rules: AppliedRules

    def document(self) -> dict[str, Any]:
        """The result as the JSON object a party reports."""
        return {
            "values": self.values,
            "reasons": self.reasons,
            "invalid": self.invalid,
            "contributors": self.contributors,
            "rules": self.rules.document(),
        }

    def canonical(self) -> str:
        """The canonical JSON that parties sign the SHA-256 of."""
        return canonical_json(self.document())

    def sha256(self) -> str:
        """The SHA-256 (hex) of the canonical JSON: what a party's signature binds."""
        return sha256_hex(self.canonical())

    @classmethod
    def from_document(cls, data: Mapping[str, Any]) -> PartyResult:
        """The result of a document made by :meth:`document` (as reported, or stored)."""
        rules = AppliedRules.from_document(data["rules"])
        return cls(data["values"], data["reasons"], data["invalid"], data["contributors"], rules)

    @classmethod
    def of(
        cls,
        values: Sequence[float],
        reasons: Sequence[str],
        invalid: Sequence[str],
        contributors: int,
        rules: AppliedRules,
    ) -> PartyResult:
        """The result of revealed values and reasons (a suppressed cell's value is None)."""
        return cls(
            values=[
                None if reason else float(v) for v, reason in zip(values, reasons, strict=True)
            ],
            reasons=[str(reason) for reason in reasons],
            invalid=list(invalid),
            contributors=int(contributors),
            rules=rules,
        )


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

    def cell_indicators(self, catalog: Catalog) -> list[str]:
        """The indicator of each cell, in vector order."""
        return [
            code
            for code, cells in zip(self.indicators, self.segments(catalog), strict=True)
            for _ in range(cells)
        ]

    def noise_policies(self, catalog: Catalog) -> dict[str, ReleasePolicy]:
        """The round's indicators under a noise policy in ``catalog``, with their policies:
        a checked sum's only (counts of cities carry no noise)."""
        if self.program != "checked_sum":
            return {}
        policies = {code: catalog.get(code).release for code in self.indicators}
        return {code: policy for code, policy in policies.items() if not policy.exact}

    def noise_groups(self, catalog: Catalog) -> list[list[Any]]:
        """The checked sum's noisy cell groups: one per indicator under a noise policy,
        ``[first_cell, cells, mechanism, epsilon_per_release, delta, unit]``; ``unit`` is how
        far what the policy protects moves a cell when that is less than the cell's bound
        (one incident), else None (a whole city)."""
        noisy = self.noise_policies(catalog)
        groups: list[list[Any]] = []
        for index, code in enumerate(self.indicators):
            if code in noisy:
                policy, indicator = noisy[code], catalog.get(code)
                first = index * self.cells_per_indicator
                groups.append(
                    [first, self.cells_per_indicator, policy.mechanism,
                     policy.epsilon_per_release, policy.delta, indicator.noise_unit()]
                )  # fmt: skip
        return groups


def bucket_cells(catalog: Catalog, code: str) -> int:
    """How many histogram cells an indicator has: its bucket edges + 1."""
    indicator = catalog.get(code)
    if indicator.buckets is None:
        raise InvalidInputError(f"indicator {code} has no buckets")
    return len(indicator.buckets) + 1
