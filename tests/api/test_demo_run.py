"""``samenbeeld demo run``: empty databases every time (SQLite, the default); which rounds it
runs each week; its tables, which check every cell against the truth."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from samenbeeld.api.ops.client import RoundOutcome
from samenbeeld.api.ops.demo_run import (
    FULL_WEEKS,
    build,
    distribution_section,
    schedule,
    split_weeks,
    week_lines,
)
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


MONDAYS = [dt.date(2026, 1, 5) + dt.timedelta(weeks=n) for n in range(52)]


def test_the_last_twelve_weeks_run_all_three_rounds_and_the_weeks_before_the_sums():
    plan = schedule(MONDAYS)
    kinds = {monday: [one.kind for m, one in plan if m == monday] for monday in MONDAYS}
    assert FULL_WEEKS == 12
    assert all(kinds[monday] == ["sums"] for monday in MONDAYS[:40])
    assert all(kinds[monday] == ["sums", "distribution", "spikes"] for monday in MONDAYS[40:])
    assert [m for m, _ in plan] == sorted(m for m, _ in plan)  # week by week
    assert split_weeks(MONDAYS) == (MONDAYS[:40], MONDAYS[40:])
    short = schedule(MONDAYS[:4])  # `--rounds 4`: every week is among the last twelve
    assert [one.kind for _, one in short] == ["sums", "distribution", "spikes"] * 4


def round_outcome(one, monday, cells: list[ExpectedCell], wrong: set[str] = frozenset()):
    """The released round of one indicator set: the expected cells, those in wrong off by one."""
    releases = [
        {"indicator": c.indicator, "cell": c.cell, "suppressed_reason": c.reason or None,
         "value": None if c.reason else c.total + (f"{c.indicator}/{c.cell}" in wrong)}
        for c in cells
    ]  # fmt: skip
    return RoundOutcome(round={"id": one.round_id(monday), "state": "released"},
                        releases=releases, contributions={})  # fmt: skip


def test_every_week_line_checks_every_cell_of_every_round_it_ran():
    weeks = MONDAYS[-13:]  # one sums-only week, then twelve with all three rounds
    buckets = enumerate((2.0, 7.0, 3.0))
    truth = {
        "sums": [ExpectedCell("a_weekly", 40.0, ""), ExpectedCell("b_weekly", 9.0, "dominance")],
        "distribution": [ExpectedCell("a_weekly", n, "", f"bucket:{i}") for i, n in buckets],
        "spikes": [ExpectedCell("a_weekly", 3.0, "", "spikes"),
                   ExpectedCell("b_weekly", 0.0, "concentrated", "spikes")],
    }  # fmt: skip
    wrong = {
        (weeks[-1], "spikes"): {"a_weekly/spikes"},
        (weeks[-2], "distribution"): {"a_weekly/bucket:1"},
    }
    rounds = [(m, one, round_outcome(one, m, truth[one.kind], wrong.get((m, one.kind), set())))
              for m, one in schedule(weeks)]  # fmt: skip
    lines, mismatches = week_lines(rounds, lambda monday, one: truth[one.kind])
    assert mismatches == 2
    assert lines[0].split() == ["week", "sums", "distribution", "spikes", "matches", "truth"]
    assert lines[2].split() == [weeks[0].isoformat(), "1/1", "-", "-", "yes"]
    assert lines[3].split() == [weeks[1].isoformat(), "1/1", "3/0", "1/1", "yes"]
    assert lines[-2].split()[-2:] == ["NO", "(1)"] and lines[-1].split()[-2:] == ["NO", "(1)"]
    assert len(lines) == 2 + len(weeks)
