"""The hub's yearly differential-privacy budget per indicator, kept as BudgetSpend rows.

One row per (indicator, year, round, attempt): every attempt of a round is charged, because
a retry opens the noisy values afresh with new noise; charging the same attempt twice is
idempotent. The year is the calendar year of the round's period start, and epsilons add up
(basic composition: an attacker who sees every release of a year faces at most the year's
epsilon in total). A charge that would take the year's spend above the yearly budget
raises :class:`DisclosureRefusedError` and stores nothing; :func:`releases_left` is that
rule, and :func:`year_budgets` the view of every noisy indicator's year (policy, spent,
left, releases left). The caller owns the transaction: these functions flush, never commit.

Concurrency: on PostgreSQL :func:`charge` takes a transaction-scoped advisory lock keyed by
(indicator, year) before reading the spend, so two concurrent charges for the same key are
serialised and cannot both pass the check. SQLite has a single writer; a transaction that
read the spend before another committed a charge fails on write (``database is locked`` /
busy snapshot) rather than overspending. Budgets are composed by plain summation of epsilon
(basic composition); delta is not tracked here.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from samenbeeld.federation.protocol import RoundSpec
from samenbeeld.platform.catalog import Catalog
from samenbeeld.platform.errors import ConflictError, DisclosureRefusedError, InvalidInputError
from samenbeeld.platform.models.hub import BudgetSpend

TOLERANCE = 1e-12
"""Relative slack so that float sums like 0.1 + 0.2 may exactly fill a 0.3 budget."""


def releases_left(used: float, epsilon: float, yearly_budget: float) -> int:
    """How many more releases of ``epsilon`` fit in a yearly budget of which ``used`` is spent
    (the one rule :func:`charge` refuses by)."""
    return max(math.floor((yearly_budget * (1 + TOLERANCE) - used) / epsilon), 0)


def _lock(session: Session, indicator: str, year: int) -> None:
    """Serialise charges of one (indicator, year) on PostgreSQL until the transaction ends."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"{indicator}\x00{year}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def spent(session: Session, indicator: str, year: int) -> float:
    """The epsilon already charged to ``indicator`` in ``year`` (0.0 when none)."""
    total = session.scalar(
        select(func.coalesce(func.sum(BudgetSpend.epsilon), 0.0)).where(
            BudgetSpend.indicator == indicator, BudgetSpend.year == year
        )
    )
    return float(total or 0.0)


def _check(epsilon: float, yearly_budget: float) -> None:
    """Refuse non-positive or non-finite epsilon and budgets."""
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise InvalidInputError(f"epsilon must be positive and finite, not {epsilon!r}")
    if not (math.isfinite(yearly_budget) and yearly_budget > 0):
        raise InvalidInputError(f"yearly budget must be positive, not {yearly_budget!r}")


def charge(
    session: Session,
    indicator: str,
    year: int,
    round_id: str,
    epsilon: float,
    yearly_budget: float,
    *,
    attempt: int,
) -> float:
    """Charge ``epsilon`` for ``attempt`` of ``round_id``'s release of ``indicator``; return
    what is left.

    Raises :class:`DisclosureRefusedError` when the charge would exceed ``yearly_budget`` and
    :class:`ConflictError` when the round was already charged a different epsilon.
    """
    _check(epsilon, yearly_budget)
    _lock(session, indicator, year)
    existing = session.scalar(
        select(BudgetSpend).where(
            BudgetSpend.indicator == indicator,
            BudgetSpend.year == year,
            BudgetSpend.round_id == round_id,
            BudgetSpend.attempt == attempt,
        )
    )
    used = spent(session, indicator, year)
    if existing is not None:
        if not math.isclose(existing.epsilon, epsilon, rel_tol=TOLERANCE):
            raise ConflictError(
                f"round {round_id} attempt {attempt} already charged epsilon "
                f"{existing.epsilon} for {indicator} in {year}, not {epsilon}"
            )
        return yearly_budget - used
    if releases_left(used, epsilon, yearly_budget) < 1:
        left = max(yearly_budget - used, 0.0)
        raise DisclosureRefusedError(
            f"privacy budget of {indicator} for {year} exhausted: {left:g} of {yearly_budget:g} "
            f"left, a release costs {epsilon:g}"
        )
    session.add(
        BudgetSpend(
            indicator=indicator, year=year, round_id=round_id, attempt=attempt, epsilon=epsilon
        )
    )
    session.flush()
    return max(yearly_budget - used - epsilon, 0.0)


def charge_round(
    session: Session, round_id: str, spec: RoundSpec, attempt: int, catalog: Catalog
) -> None:
    """Charge ``attempt`` of a round to the yearly budget of each of its indicators under a
    noise policy in ``catalog`` (sums only: counts of cities carry no noise), in the
    period start's year; DisclosureRefusedError when one is spent (the caller rolls back:
    nothing is charged)."""
    for code, policy in spec.noise_policies(catalog).items():
        assert policy.epsilon_per_release and policy.yearly_epsilon  # loader-checked
        charge(
            session, code, spec.period_start.year, round_id, policy.epsilon_per_release,
            policy.yearly_epsilon, attempt=attempt,
        )  # fmt: skip


@dataclass(frozen=True)
class YearBudget:
    """One noisy indicator's budget in one year: its policy, what is spent and what is left."""

    indicator: str
    mechanism: str
    epsilon_per_release: float
    delta: float | None
    yearly_epsilon: float
    spent: float
    left: float
    releases_left: int
    """How many more releases the budget allows: floor(left / epsilon per release)."""


def year_budgets(session: Session, year: int, catalog: Catalog) -> list[YearBudget]:
    """The budget of every catalog indicator under a noise policy in ``year``, catalog order."""
    found = []
    for indicator in catalog.indicators:
        policy = indicator.release
        if policy.exact:
            continue
        epsilon, yearly = policy.epsilon_per_release, policy.yearly_epsilon
        assert epsilon and yearly  # loader-checked for every noise policy
        used = spent(session, indicator.code, year)
        found.append(
            YearBudget(
                indicator.code, policy.mechanism, epsilon, policy.delta, yearly, used,
                max(yearly - used, 0.0), releases_left(used, epsilon, yearly),
            )
        )  # fmt: skip
    return found
