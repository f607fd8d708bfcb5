"""The yearly DP budget ledger on the hub database, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from samenbeeld.federation.hub import budget
from samenbeeld.platform import migrate
from samenbeeld.platform.db import make_engine
from samenbeeld.platform.errors import ConflictError, DisclosureRefusedError, InvalidInputError
from samenbeeld.platform.models.hub import BudgetSpend, Round

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def add_round(session: Session, round_id: str | None = None) -> str:
    """Store a Round row (BudgetSpend references it) and return its id."""
    round_id = round_id or f"r-{uuid.uuid4().hex[:12]}"
    session.add(
        Round(
            id=round_id,
            indicator_set=f"set-{round_id}",
            period_start=dt.date(2026, 1, 1),
            state="computing",
            opened_at=NOW,
            updated_at=NOW,
        )
    )
    session.flush()
    return round_id


def rows(session: Session) -> int:
    """How many BudgetSpend rows exist."""
    return session.scalar(select(func.count()).select_from(BudgetSpend)) or 0


def test_under_and_exactly_at_budget_are_charged(hub_session):
    first, second = add_round(hub_session), add_round(hub_session)
    assert budget.charge(hub_session, "wmo", 2026, first, 0.25, 1.0, attempt=1) == pytest.approx(
        0.75
    )
    assert budget.charge(hub_session, "wmo", 2026, second, 0.75, 1.0, attempt=1) == 0.0
    assert budget.spent(hub_session, "wmo", 2026) == pytest.approx(1.0)


def test_float_sums_may_fill_the_budget_exactly(hub_session):
    for epsilon in (0.1, 0.2):
        budget.charge(hub_session, "wmo", 2026, add_round(hub_session), epsilon, 0.3, attempt=1)
    assert budget.spent(hub_session, "wmo", 2026) == pytest.approx(0.3)


def test_over_budget_is_refused_and_nothing_is_stored(hub_session):
    budget.charge(hub_session, "wmo", 2026, add_round(hub_session), 0.6, 1.0, attempt=1)
    before = rows(hub_session)
    with pytest.raises(
        DisclosureRefusedError, match="wmo for 2026 exhausted: 0.4 of 1 left, a release costs 0.5"
    ):
        budget.charge(hub_session, "wmo", 2026, add_round(hub_session), 0.5, 1.0, attempt=1)
    assert rows(hub_session) == before
    assert budget.spent(hub_session, "wmo", 2026) == pytest.approx(0.6)


def test_recharging_the_same_round_is_idempotent(hub_session):
    round_id = add_round(hub_session)
    assert budget.charge(hub_session, "wmo", 2026, round_id, 0.4, 1.0, attempt=1) == pytest.approx(
        0.6
    )
    assert budget.charge(hub_session, "wmo", 2026, round_id, 0.4, 1.0, attempt=1) == pytest.approx(
        0.6
    )
    assert rows(hub_session) == 1
    assert budget.spent(hub_session, "wmo", 2026) == pytest.approx(0.4)


def test_every_attempt_of_a_round_is_charged_and_a_retry_can_be_refused(hub_session):
    round_id = add_round(hub_session)
    assert budget.charge(hub_session, "wmo", 2026, round_id, 0.4, 1.0, attempt=1) == pytest.approx(
        0.6
    )
    assert budget.charge(hub_session, "wmo", 2026, round_id, 0.4, 1.0, attempt=2) == pytest.approx(
        0.2
    )
    with pytest.raises(DisclosureRefusedError, match="wmo for 2026 exhausted: 0.2 of 1 left"):
        budget.charge(hub_session, "wmo", 2026, round_id, 0.4, 1.0, attempt=3)
    assert rows(hub_session) == 2


def test_recharging_a_round_with_another_epsilon_conflicts(hub_session):
    round_id = add_round(hub_session)
    budget.charge(hub_session, "wmo", 2026, round_id, 0.4, 1.0, attempt=1)
    with pytest.raises(ConflictError, match="already charged"):
        budget.charge(hub_session, "wmo", 2026, round_id, 0.2, 1.0, attempt=1)


def test_budgets_are_per_indicator_and_per_year(hub_session):
    round_id = add_round(hub_session)
    budget.charge(hub_session, "wmo", 2026, round_id, 1.0, 1.0, attempt=1)
    assert budget.charge(hub_session, "jeugdzorg", 2026, round_id, 1.0, 1.0, attempt=1) == 0.0
    assert budget.charge(hub_session, "wmo", 2027, round_id, 0.5, 1.0, attempt=1) == pytest.approx(
        0.5
    )
    assert budget.spent(hub_session, "wmo", 2026) == pytest.approx(1.0)
    assert budget.spent(hub_session, "bijstand", 2026) == 0.0


@pytest.mark.parametrize(
    ("epsilon", "yearly"), [(0.0, 1.0), (-0.1, 1.0), (float("nan"), 1.0), (0.1, 0.0)]
)
def test_invalid_epsilon_or_budget_is_refused(hub_session, epsilon, yearly):
    with pytest.raises(InvalidInputError):
        budget.charge(hub_session, "wmo", 2026, add_round(hub_session), epsilon, yearly, attempt=1)
    assert rows(hub_session) == 0


@pytest.fixture
def fresh_hub(databases) -> Iterator[Engine]:
    """An engine on a hub database of its own, for tests that must commit."""
    url = databases.create()
    migrate.upgrade("hub", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_concurrent_charges_cannot_both_pass_on_postgresql(fresh_hub):
    if fresh_hub.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite has a single writer")
    with Session(fresh_hub) as setup, setup.begin():
        first, second = add_round(setup), add_round(setup)
    outcome: list[object] = []

    def second_charge() -> None:
        with Session(fresh_hub) as other, other.begin():
            try:
                outcome.append(budget.charge(other, "wmo", 2026, second, 0.6, 1.0, attempt=1))
            except DisclosureRefusedError as exc:
                outcome.append(exc)

    with Session(fresh_hub) as holder, holder.begin():
        budget.charge(holder, "wmo", 2026, first, 0.6, 1.0, attempt=1)
        thread = threading.Thread(target=second_charge)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the second charge must wait for the advisory lock"
    thread.join(timeout=10.0)
    assert len(outcome) == 1 and isinstance(outcome[0], DisclosureRefusedError)
    with Session(fresh_hub) as check:
        assert budget.spent(check, "wmo", 2026) == pytest.approx(0.6)
