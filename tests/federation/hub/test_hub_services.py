"""The hub's round services on their own (no HTTP): opening, attempts, failures, recovery,
reports and the release. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from factories import SUM_RULES, report_signature
from samenbeeld.federation.hub import reports
from samenbeeld.federation.hub import rounds as hub_rounds
from samenbeeld.federation.protocol import AppliedNoise, AppliedRules, PartyResult
from samenbeeld.platform.errors import ConflictError, InvalidInputError, PermissionDeniedError
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey, generate_private_key, key_id
from samenbeeld.platform.models.hub import RoundReport

MONDAY = dt.date(2025, 6, 2)
NAMES = ["riot_online_weekly", "drugs_weekly"]
PRIVATE = [generate_private_key() for _ in range(3)]
KEYS = KeySet(
    RegisteredKey(key_id(key.public_key()), key.public_key(), KeyOwner("party", str(index)))
    for index, key in enumerate(PRIVATE)
)
RESULT = PartyResult([12.0, None], ["", "dominance"], [], 6, SUM_RULES)


def report(session, round_id: str, party: int, result: PartyResult = RESULT):
    """Store party's signed report of attempt 1 (returns the round)."""
    signature = report_signature(PRIVATE[party], round_id, 1, result)
    return reports.store_report(session, KEYS, round_id, party, 1, result, signature)


def test_three_identical_reports_release_each_cell_once(hub_session):
    hub_rounds.open_round(hub_session, "w-1", NAMES, MONDAY)
    hub_rounds.start_attempt(hub_session, "w-1", [], driver="boot")
    for party in range(3):
        row = report(hub_session, "w-1", party)
    assert row.state == "released"
    cells = reports.releases(hub_session, "w-1")
    assert [(c.indicator, c.value, c.suppressed_reason) for c in cells] == [
        ("riot_online_weekly", 12.0, None),
        ("drugs_weekly", None, "dominance"),
    ]


def test_a_report_signed_by_another_party_is_refused(hub_session):
    hub_rounds.open_round(hub_session, "w-2", NAMES, MONDAY + dt.timedelta(weeks=1))
    hub_rounds.start_attempt(hub_session, "w-2", [])
    party_0s = report_signature(PRIVATE[0], "w-2", 1, RESULT)
    with pytest.raises(PermissionDeniedError, match="not compute party 1's"):
        reports.store_report(hub_session, KEYS, "w-2", 1, 1, RESULT, party_0s)


def test_a_failed_attempt_keeps_reasons_not_values(hub_session):
    hub_rounds.open_round(hub_session, "w-3", NAMES, MONDAY + dt.timedelta(weeks=2))
    hub_rounds.start_attempt(hub_session, "w-3", [])
    report(hub_session, "w-3", 0)
    hub_rounds.fail_round(hub_session, "w-3", "compute party 2 did not answer")
    stored = hub_session.scalars(select(RoundReport).where(RoundReport.round_id == "w-3")).one()
    assert json.loads(stored.result) == {
        "reasons": ["", "dominance"],
        "rules": SUM_RULES.document(),
    }
    assert stored.result_sha256 == RESULT.sha256()


def test_opening_refuses_overlaps_and_invalid_periods(hub_session):
    monday = MONDAY + dt.timedelta(weeks=3)
    hub_rounds.open_round(hub_session, "w-4", NAMES, monday)
    with pytest.raises(ConflictError, match="round w-4 covers drugs_weekly"):
        hub_rounds.open_round(hub_session, "w-5", ["drugs_weekly"], monday)
    hub_rounds.open_round(hub_session, "w-6", ["drugs_weekly"], monday, program="spike_count")
    with pytest.raises(InvalidInputError, match="first day of a week"):
        hub_rounds.open_round(hub_session, "w-7", NAMES, monday + dt.timedelta(days=2))


def test_only_attempts_of_another_boot_are_orphaned(hub_session):
    hub_rounds.open_round(hub_session, "w-8", NAMES, MONDAY + dt.timedelta(weeks=4))
    hub_rounds.start_attempt(hub_session, "w-8", [], driver="this-boot")
    assert hub_rounds.fail_orphaned_attempts(hub_session, "this-boot") == []
    assert hub_rounds.fail_orphaned_attempts(hub_session, "next-boot") == ["w-8"]
    assert hub_rounds.get_round(hub_session, "w-8").state == "failed"


def test_a_release_keeps_the_rules_and_the_attempt_the_parties_signed(hub_session):
    hub_rounds.open_round(hub_session, "w-9", NAMES, MONDAY + dt.timedelta(weeks=5))
    hub_rounds.start_attempt(hub_session, "w-9", [])
    hub_rounds.fail_round(hub_session, "w-9", "a fault")
    hub_rounds.start_attempt(hub_session, "w-9", [])
    signed = PartyResult([12.0, None], ["", "dominance"], [], 6, AppliedRules(7, 0.5))
    for party in range(3):
        signature = report_signature(PRIVATE[party], "w-9", 2, signed)
        reports.store_report(hub_session, KEYS, "w-9", party, 2, signed, signature)
    cells = reports.releases(hub_session, "w-9")
    assert [(c.min_contributors, c.dominance, c.attempt, c.mechanism) for c in cells] == [
        (7, 0.5, 2, "exact")
    ] * 2


def test_a_result_noised_other_than_the_hubs_catalog_says_is_not_released(hub_session):
    """The hub charged the budgets its catalog names; parties that noised another way (here:
    an indicator the catalog releases exactly) make the attempt fail."""
    hub_rounds.open_round(hub_session, "w-10", NAMES, MONDAY + dt.timedelta(weeks=6))
    hub_rounds.start_attempt(hub_session, "w-10", [])
    noise = {NAMES[0]: AppliedNoise("gaussian", 1.0, 1e-6, 40.0)}
    noisy = PartyResult([12.0, None], ["", "dominance"], [], 6, AppliedRules(5, 0.6, noise))
    for party in range(3):
        row = report(hub_session, "w-10", party, noisy)
    assert (row.state, row.failure) == (
        "failed",
        "the parties' noise policies are not the hub's catalog's",
    )
    assert reports.releases(hub_session, "w-10") == []
