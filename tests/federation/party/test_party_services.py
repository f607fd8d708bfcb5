"""A compute party's round services on their own (no HTTP): uploads, the compute job, the
ledger at prepare time, work folders. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from samenbeeld.federation.mpc import sharing
from samenbeeld.federation.mpc.supervisor import remove_leftovers
from samenbeeld.federation.party import rounds
from samenbeeld.federation.protocol import RoundSpec
from samenbeeld.platform.errors import ConflictError, InvalidInputError
from samenbeeld.platform.settings import PartySettings

SPEC = RoundSpec("checked_sum", dt.date(2026, 2, 2), ("riot_online_weekly", "drugs_weekly"))
CITIES = ("GM0014", "GM0034", "GM0153", "GM0344", "GM0363", "GM0758")
SETTINGS = PartySettings.load(environ={}, index=1)


def payload(round_id: str, row=(3.0, 4.0), party: int = 1) -> bytes:
    """A node's share payload for ``party`` in ``round_id``."""
    shares = sharing.split(sharing.encode_vector(list(row)), round_id=round_id)
    return sharing.encode_payload(shares, party)


def upload_all(session, round_id: str, cities=CITIES) -> None:
    """Every city uploads (3, 4) for SPEC to party 1."""
    for code in cities:
        rounds.store_upload(session, round_id, code, payload(round_id), SPEC, SETTINGS)


def job(round_id: str, attempt: int = 1, cohort=CITIES, **asked) -> rounds.ComputeJob:
    """The compute job of a request for SPEC with the hub's ``asked`` rules."""
    request = {
        "attempt": attempt, "cohort": list(cohort), "program": SPEC.program,
        "period_start": SPEC.period_start, "indicators": list(SPEC.indicators),
        "cells_per_indicator": 1, "params": asked, "master_addr": "127.0.0.1",
        "master_port": 1, "timeout": 5.0,
    }  # fmt: skip
    return rounds.compute_job(round_id, request, SETTINGS)


def test_prepare_builds_the_matrix_in_cohort_order_and_closes_the_round(party_session):
    upload_all(party_session, "r-a")
    matrix = rounds.prepare_round(party_session, job("r-a", cohort=CITIES[::-1]), 1)
    assert matrix.shape == (6, 2) and matrix.dtype == np.int64
    with pytest.raises(ConflictError, match="round r-a is closed"):
        rounds.store_upload(party_session, "r-a", "GM0307", payload("r-a"), SPEC, SETTINGS)
    with pytest.raises(ConflictError, match="attempt 1 of round r-a was already run here"):
        rounds.prepare_round(party_session, job("r-a"), 1)


def test_the_job_carries_this_partys_rules_never_the_hubs_lower_ones():
    params = job("r-b", min_contributors=6).params
    assert (params.min_contributors, params.dominance) == (6, 0.6)
    assert params.max_value == [10000.0, 10000.0]
    with pytest.raises(InvalidInputError, match="below this party's minimum"):
        job("r-b", min_contributors=2)


def test_a_retry_with_another_cohort_is_refused_and_changes_nothing(party_session):
    upload_all(party_session, "r-c")
    rounds.prepare_round(party_session, job("r-c"), 1)
    with pytest.raises(ConflictError, match="a retry must use the cohort and rules"):
        rounds.prepare_round(party_session, job("r-c", attempt=2, cohort=CITIES[1:]), 1)


def test_an_upload_for_another_spec_of_the_same_round_is_refused(party_session):
    upload_all(party_session, "r-d", CITIES[:1])
    other = RoundSpec("checked_sum", dt.date(2026, 2, 9), SPEC.indicators)
    with pytest.raises(ConflictError, match="with another spec"):
        rounds.store_upload(party_session, "r-d", CITIES[1], payload("r-d"), other, SETTINGS)
    assert rounds.uploaded_municipalities(party_session, "r-d") == [CITIES[0]]


def test_leftover_work_folders_are_removed_at_start(tmp_path):
    work = tmp_path / "work" / "party-1"
    (work / "r-e-1-x").mkdir(parents=True)
    (work / "r-e-1-x" / "shares.npy").write_bytes(b"shares")
    assert remove_leftovers(work) == 1
    assert list(work.iterdir()) == []
    assert remove_leftovers(tmp_path / "never-made") == 0
