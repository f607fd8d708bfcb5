"""What the Airflow tasks do, without Airflow: indicator sets, round ids, idempotent steps.

A schedule group (``week``, ``month``) runs three rounds per period (:func:`round_sets`):

* ``sums`` (program ``checked_sum``, :func:`indicator_set`): the group's catalog indicators
  that can never be negative (sentiment scores in [-1, 1] are left out until they get an
  offset encoding); each cell is range-checked against its own indicator's ``max``;
* ``distribution`` (``histogram``, :func:`distribution_set`): the group's indicators with
  histogram buckets; each city contributes the one-hot vector of its bucket;
* ``spikes`` (``spike_count``, :func:`spike_set`): the sums' indicators; each city
  contributes its own 0/1 spike flag per indicator.

Round ids are deterministic, ``<group>-<period start>``, ``<group>-distribution-<period
start>`` and ``<group>-spikes-<period start>``, so every step can be re-run safely:

* opening an open round answers the existing round;
* a node that contributes twice sends identical bytes, which the parties refuse (409);
* computing a released round returns it unchanged (a batch is released once);
* publishing only reads.

Tasks hand each other round ids, never data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from samenbeeld.api.ops import client as ops_client
from samenbeeld.platform.catalog import Catalog, default_catalog
from samenbeeld.platform.errors import SamenbeeldError
from samenbeeld.platform.keys import read_private_key
from samenbeeld.platform.tokens import Signer

SIGNED_MEASURES = frozenset({"sentiment_score"})
"""Measures whose values can be negative: not in a [0, max] range-checked round yet."""
TIMEOUT = 600.0
KINDS = {"checked_sum": "sums", "histogram": "distribution", "spike_count": "spikes"}
"""The name of each round program's kind of round, in the order a period runs them."""


class RoundFailedError(SamenbeeldError):
    """The hub could not release the round in this attempt (a retry may)."""


@dataclass(frozen=True)
class IndicatorSet:
    """Indicators computed together in one round per period."""

    period: str
    indicators: tuple[str, ...]
    program: str = "checked_sum"

    @property
    def kind(self) -> str:
        """``sums``, ``distribution`` or ``spikes``."""
        return KINDS[self.program]

    @property
    def key(self) -> str:
        """A stable name: ``weekly``, ``monthly``, ``weekly-distribution``, ``weekly-spikes``."""
        group = f"{self.period}ly"
        return group if self.program == "checked_sum" else f"{group}-{self.kind}"

    def round_id(self, period_start: dt.date) -> str:
        """The round of this set for the period starting then."""
        return f"{self.key}-{period_start.isoformat()}"


@dataclass(frozen=True)
class Federation:
    """Where the hub and the nodes are, and the operator's signing key."""

    hub_url: str
    hub_key_file: str
    nodes: Mapping[str, str] = field(default_factory=dict)
    """CBS code -> node base URL."""

    def signer(self) -> Signer:
        """The operator's signer (the hub's key)."""
        return Signer(read_private_key(Path(self.hub_key_file)), role="hub", member="hub")


def indicator_set(period: str, catalog: Catalog | None = None) -> IndicatorSet:
    """The schedule group's round: its non-negative catalog indicators, in catalog order."""
    codes = tuple(
        indicator.code
        for indicator in (catalog or default_catalog()).indicators
        if indicator.period == period and indicator.measure not in SIGNED_MEASURES
    )
    return IndicatorSet(period, codes)


def distribution_set(period: str, catalog: Catalog | None = None) -> IndicatorSet:
    """The schedule group's distribution round: its indicators with buckets, in catalog order."""
    codes = tuple(
        indicator.code
        for indicator in (catalog or default_catalog()).indicators
        if indicator.period == period and indicator.buckets is not None
    )
    return IndicatorSet(period, codes, "histogram")


def spike_set(period: str, catalog: Catalog | None = None) -> IndicatorSet:
    """The schedule group's spike round: the indicators of its sums round."""
    return IndicatorSet(period, indicator_set(period, catalog).indicators, "spike_count")


def round_sets(period: str, catalog: Catalog | None = None) -> dict[str, IndicatorSet]:
    """The period's rounds by kind (sums, distribution, spikes), leaving out empty ones."""
    chosen = catalog or default_catalog()
    sets = [build(period, chosen) for build in (indicator_set, distribution_set, spike_set)]
    return {one.kind: one for one in sets if one.indicators}


def round_kinds(period: str, wanted: Sequence[str] | None = None) -> list[str]:
    """The kinds of round a run of the group makes: all, or those ``wanted`` (in order)."""
    unknown = set(wanted or ()) - set(KINDS.values())
    if unknown:
        raise SamenbeeldError(f"unknown kinds of round: {', '.join(sorted(unknown))}")
    return [kind for kind in round_sets(period) if wanted is None or kind in wanted]


def open_round(federation: Federation, indicator_set: IndicatorSet, period_start: dt.date) -> str:
    """Open (or find) the set's round for the period; its id."""
    round_id = indicator_set.round_id(period_start)
    with httpx.Client(timeout=60) as client:
        ops_client.open_round(
            client, federation.hub_url, federation.signer(), round_id,
            list(indicator_set.indicators), period_start, program=indicator_set.program,
        )  # fmt: skip
    return round_id


def contribute(
    federation: Federation, indicator_set: IndicatorSet, period_start: dt.date
) -> dict[str, str]:
    """Ask every node to contribute, all at once; the outcome per node.

    Raises RoundFailedError naming the nodes that could not be reached or failed, after
    every other node was asked (the task's retry asks again: a node that contributed
    answers that it already did).
    """
    with httpx.Client(timeout=120) as client:
        outcomes = ops_client.request_contributions(
            client, federation.signer(), federation.nodes, indicator_set.round_id(period_start),
            list(indicator_set.indicators), period_start, indicator_set.program,
        )  # fmt: skip
    failed = {code: outcome for code, outcome in outcomes.items() if _failed(outcome)}
    if failed:
        named = "; ".join(f"{code}: {outcome}" for code, outcome in sorted(failed.items()))
        raise RoundFailedError(
            f"{len(failed)} of {len(outcomes)} nodes did not contribute: {named}"
        )
    return outcomes


def _failed(outcome: str) -> bool:
    """Whether a node's outcome means it did not contribute (and a retry may help)."""
    return outcome.startswith(("unreachable", "failed"))


def cohort(federation: Federation, round_id: str) -> tuple[int, int]:
    """(contributions every party holds, quorum): counts only, never names."""
    with httpx.Client(timeout=60) as client:
        body = ops_client.cohort(client, federation.hub_url, federation.signer(), round_id)
    return int(body["size"]), int(body["quorum"])


def compute(federation: Federation, round_id: str) -> str:
    """Run an attempt (or find the round released); raise when it failed."""
    with httpx.Client(timeout=TIMEOUT + 120) as client:
        state = ops_client.compute(
            client, federation.hub_url, federation.signer(), round_id, timeout=TIMEOUT
        )
    if state["state"] != "released":
        raise RoundFailedError(f"round {round_id} {state['state']}: {state.get('failure')}")
    return str(state["state"])


def publish(federation: Federation, round_id: str) -> dict[str, int]:
    """How many cells of the round were released and how many suppressed."""
    with httpx.Client(timeout=60) as client:
        cells = ops_client.releases(client, federation.hub_url, federation.signer(), round_id)
    suppressed = sum(1 for cell in cells if cell["suppressed_reason"])
    return {"released": len(cells) - suppressed, "suppressed": suppressed}
