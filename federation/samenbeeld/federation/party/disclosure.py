"""A compute party's own disclosure control: its policy, and its ledger of revealed cells.

Disclosure control is enforced where values are revealed, by each party from its own
settings, never from what the hub asks. Before a party starts a session it checks the
compute request against its policy (:func:`program_params`, 422 when refused):

- the program is one this party runs, the indicators are in its catalog, their period kind
  is one it computes, and the period start is that period's first day and not in the future;
- the hub may only make the rules stricter: a ``min_contributors`` below the party's own or
  a ``dominance`` threshold above its own is refused, and so is any other parameter (the
  bounds of a valid value come from the party's catalog, histogram segments from its
  buckets, and differential-privacy noise from its release policies); a cohort smaller than
  the minimum is refused;

and against its ledger of revealed cells (:func:`record_reveal`, 409 when refused). One
ledger row per (program, indicator, period start, round) holds the cohort and the rules it
was computed with, written before the session starts (a failed session counts: its values
may have been opened). A cell is computed again only

- in the same round, with the same cohort and the same rules (a retry after a fault: the
  same uploads give the same values, so nothing new is revealed; different rules could
  probe a city's value through the dominance or validity bits), or
- in another round (a correction) whose cohort contains every earlier cohort of the cell
  and at least ``min_contributors`` cities more. The difference of the two releases is then
  a sum over at least that many cities (plus any change in the earlier cities' own figures),
  never one city's figure. A smaller, overlapping or shifted cohort is refused: that is how
  a hub would difference one city out of two releases.

Messages name indicators, periods, rounds and counts, never a value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from samenbeeld.federation.mpc.counts import CountParams
from samenbeeld.federation.mpc.programs import CheckedSumParams, JsonParams
from samenbeeld.federation.protocol import RoundSpec, canonical_json
from samenbeeld.platform.catalog import Catalog, default_catalog
from samenbeeld.platform.errors import ConflictError, InvalidInputError
from samenbeeld.platform.models.party import RevealedCell
from samenbeeld.platform.settings import PartySettings

HUB_MAY_ASK = {
    "checked_sum": ("min_contributors", "dominance"),
    "histogram": ("min_contributors",),
    "spike_count": ("min_contributors",),
}
"""The parameters a hub may send per program (each only stricter than the party's own)."""


@dataclass(frozen=True)
class Policy:
    """What this party computes and reveals, from its own settings and catalog."""

    min_contributors: int
    dominance: float
    programs: tuple[str, ...]
    period_kinds: tuple[str, ...]
    catalog: Catalog

    @classmethod
    def from_settings(cls, settings: PartySettings, catalog: Catalog | None = None) -> Policy:
        """The policy of a party's settings (default: this installation's catalog)."""
        return cls(
            min_contributors=settings.min_contributors,
            dominance=settings.dominance_threshold,
            programs=settings.allowed_programs,
            period_kinds=settings.allowed_period_kinds,
            catalog=catalog or default_catalog(),
        )


def check_spec(policy: Policy, spec: RoundSpec, today: dt.date | None = None) -> None:
    """InvalidInputError unless this party computes the spec's program, indicators and period."""
    if spec.program not in policy.programs:
        raise InvalidInputError(f"this party does not run program {spec.program!r}")
    chosen = policy.catalog.round_indicators(spec.indicators, spec.period_start, today)
    for indicator in chosen.indicators:
        if indicator.period not in policy.period_kinds:
            raise InvalidInputError(f"this party does not compute {indicator.period}ly indicators")
    if spec.program != "checked_sum" and spec.cells_per_indicator != 1:
        raise InvalidInputError("cells_per_indicator applies to checked_sum rounds only")


def program_params(
    policy: Policy,
    spec: RoundSpec,
    cohort: Sequence[str],
    asked: Mapping[str, Any],
    today: dt.date | None = None,
) -> JsonParams:
    """The program parameters this party computes with, or InvalidInputError saying why."""
    check_spec(policy, spec, today)
    allowed = HUB_MAY_ASK[spec.program]
    foreign = sorted(set(asked) - set(allowed))
    if foreign:
        raise InvalidInputError(
            f"not the hub's to set: {', '.join(foreign)} (this party's own policy decides)"
        )
    minimum = asked.get("min_contributors", policy.min_contributors)
    if not isinstance(minimum, int) or minimum < policy.min_contributors:
        raise InvalidInputError(
            f"min_contributors below this party's minimum of {policy.min_contributors}"
        )
    if len(cohort) < minimum:
        raise InvalidInputError(f"a cohort of {len(cohort)} is below the minimum of {minimum}")
    if spec.program != "checked_sum":
        segments = spec.segments(policy.catalog) if spec.program == "histogram" else None
        return CountParams(minimum, segments)
    dominance = asked.get("dominance", policy.dominance)
    if not isinstance(dominance, int | float) or not 0 < dominance <= policy.dominance:
        raise InvalidInputError(f"dominance above this party's threshold of {policy.dominance}")
    return CheckedSumParams(
        max_value=spec.cell_bounds(policy.catalog),
        min_contributors=minimum,
        dominance=float(dominance),
        noise=spec.noise_groups(policy.catalog),
    )


def record_reveal(
    session: Session,
    spec: RoundSpec,
    round_id: str,
    cohort: Sequence[str],
    params: JsonParams,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Record that this party computes the spec's cells with cohort; ConflictError if it may not."""
    members = sorted(cohort)
    rules = canonical_json({"program": spec.program, **_rules(params)})
    minimum = int(getattr(params, "min_contributors"))  # noqa: B009 - both params classes have it
    for indicator in spec.indicators:
        earlier = session.scalars(
            select(RevealedCell).where(
                RevealedCell.program == spec.program,
                RevealedCell.indicator == indicator,
                RevealedCell.period_start == spec.period_start,
            )
        ).all()
        for row in earlier:
            _check_against(row, round_id, members, rules, minimum)
        if not any(row.round_id == round_id for row in earlier):
            session.add(
                RevealedCell(
                    program=spec.program,
                    indicator=indicator,
                    period_start=spec.period_start,
                    round_id=round_id,
                    cohort=",".join(members),
                    rules=rules,
                    recorded_at=now or dt.datetime.now(dt.UTC),
                )
            )
    session.flush()


def _rules(params: JsonParams) -> dict[str, Any]:
    """The rules a cell was computed with (bounds and segments follow from the catalog)."""
    return {
        key: value
        for key, value in vars(params).items()
        if key in ("min_contributors", "dominance")
    }


def _check_against(
    row: RevealedCell, round_id: str, members: list[str], rules: str, minimum: int
) -> None:
    """ConflictError unless cohort may be computed for a cell that row already holds."""
    cell = f"{row.indicator} of {row.period_start.isoformat()}"
    earlier = row.cohort.split(",")
    if row.round_id == round_id:
        if earlier != members or row.rules != rules:
            raise ConflictError(
                f"{cell} was computed in round {round_id} with another cohort or other rules; "
                "a retry must use the cohort and rules of its first attempt"
            )
        return
    added = set(members) - set(earlier)
    if not set(earlier) <= set(members) or len(added) < minimum:
        raise ConflictError(
            f"{cell} was revealed in round {row.round_id}; another round may reveal it again "
            f"only with every earlier city and at least {minimum} more"
        )
