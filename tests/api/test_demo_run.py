"""``samenbeeld demo run``: empty databases every time (SQLite, the default); its tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from samenbeeld.api.ops.client import RoundOutcome
from samenbeeld.api.ops.demo_run import build, distribution_section
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import Member, Round
from samenbeeld.platform.models.party import PartyRound
from samenbeeld.platform.truth import ExpectedCell

STAMP = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_a_second_demo_in_the_same_folder_finds_no_round_of_the_first(tmp_path):
    _, first = build(tmp_path, cities=5, weeks=4, seed=1, postgres=False)
    first.close()  # built, never started: its services' sockets are not needed
    hub_url = first.hub.settings.effective_database_url
    party_url = first.services["party-0"].settings.effective_database_url
    with session_scope(hub_url) as session:
        session.add(Round(id="weekly-2026-11-16", indicator_set="weekly",
                          period_start=dt.date(2026, 11, 16), state="released",
                          opened_at=STAMP, updated_at=STAMP))  # fmt: skip
    with session_scope(party_url) as session:
        session.add(PartyRound(round_id="weekly-2026-11-16", closed_at=STAMP, last_attempt=1))
    _, second = build(tmp_path, cities=5, weeks=4, seed=2, postgres=False)
    second.close()
    assert second.hub.settings.effective_database_url == hub_url
    with session_scope(hub_url) as session:
        assert session.scalar(select(func.count()).select_from(Round)) == 0
        assert session.scalar(select(func.count()).select_from(Member)) == 5 + 3  # registered
    with session_scope(party_url) as session:
        assert session.scalar(select(func.count()).select_from(PartyRound)) == 0


def bucket_release(indicator: str, index: int, value: float | None, reason: str = "") -> dict:
    """A released (or suppressed) bucket cell as the hub serves it."""
    return {"indicator": indicator, "cell": f"bucket:{index}", "value": value,
            "suppressed_reason": reason or None}  # fmt: skip


def test_a_withheld_distribution_row_says_why_once():
    withheld = [bucket_release("a_weekly", i, None, "concentrated") for i in range(3)]
    released = [bucket_release("b_weekly", i, v) for i, v in enumerate((2, 0, 3))]
    outcome = RoundOutcome(round={}, releases=withheld + released, contributions={})
    truth = [
        ExpectedCell("a_weekly", t, "concentrated", f"bucket:{i}") for i, t in enumerate((5, 0, 0))
    ]
    _, row_a, row_b = distribution_section(outcome, truth)
    assert row_a.count("suppressed") == 1
    assert row_a.split() == ["a_weekly", "suppressed:", "concentrated", "5", "0", "0"]
    assert row_b.split() == ["b_weekly", "2", "0", "3", "(not", "in", "the", "truth", "file)"]
