"""The hub's gate in front of a noisy release: charge the privacy budget, then compute.

A checked sum with differential-privacy noise spends ``epsilon`` of its indicator's yearly
budget. :func:`run_checked_release` charges it in its own committed transaction *before*
the parties run, so a refused charge (:class:`DisclosureRefusedError`) means no job is sent
and nothing is revealed, and a job that fails after the charge keeps it spent: the parties
may already have opened noisy values. Re-running the same round is charged once
(:func:`budget.charge` is idempotent per round), so a retry after a failure costs nothing
more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from samenbeeld.federation.hub import budget
from samenbeeld.federation.mpc.jobs import JobInput
from samenbeeld.federation.mpc.pool import JobResult, PartyPool
from samenbeeld.federation.mpc.programs import CheckedSumParams


@dataclass(frozen=True)
class BudgetKey:
    """Whose budget a release spends: indicator and year, charged for one round."""

    indicator: str
    year: int
    round_id: str
    yearly_budget: float


def run_checked_release(
    sessions: sessionmaker[Session],
    pool: PartyPool,
    key: BudgetKey,
    inputs: Sequence[JobInput],
    params: CheckedSumParams,
) -> JobResult:
    """Charge ``params.epsilon`` (when noisy) to ``key``, then run the checked sum."""
    if params.noise:
        with sessions.begin() as session:
            budget.charge(
                session, key.indicator, key.year, key.round_id, params.epsilon, key.yearly_budget
            )
    return pool.run("checked_sum", inputs, params)
