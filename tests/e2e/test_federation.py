"""End to end: 12 nodes, 3 compute parties and the hub as real processes on loopback.

Every service is ``samenbeeld <role> serve`` in its own process, talking HTTP with signed
tokens; each compute attempt runs three CrypTen party processes and the triple dealer.
Released cells are checked against the plaintext truth file, which no service reads.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time

import httpx
import jwt
import pytest

from factories import SUM_RULES
from samenbeeld.api.ops import client as ops_client
from samenbeeld.api.ops import orchestration
from samenbeeld.federation.protocol import PartyResult, sha256_hex
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.keys import read_private_key
from samenbeeld.platform.models.node import WeeklyCount
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.truth import agrees, expected_cells

pytestmark = pytest.mark.slow
CITIES, WEEKS = 12, 6
MIN_CONTRIBUTORS, DOMINANCE = 5, 0.6


def week(truth, number: int) -> dt.date:
    """The demo's n-th week start."""
    return dt.date.fromisoformat(truth["week_starts"][number])


def run(cluster, recorder, round_id, indicators, monday, nodes=None, timeout=120.0):
    """One round through the ops client, as the operator would."""
    nodes = nodes or {s.name: s.url for s in cluster.nodes()}
    names = [i.code for i in indicators]
    return ops_client.run_round(
        recorder.client, cluster.hub.url, cluster.signer("hub"), nodes, round_id, names, monday,
        timeout,
    )  # fmt: skip


def assert_matches_truth(outcome, truth, codes, indicators, monday) -> None:
    """Every released cell is the plaintext sum (a noisy one within its noise); every
    suppression is the expected one."""
    expected = expected_cells(truth, codes, indicators, monday, MIN_CONTRIBUTORS, DOMINANCE)
    assert [r["indicator"] for r in outcome.releases] == [e.indicator for e in expected]
    for release, cell in zip(outcome.releases, expected, strict=True):
        assert agrees(cell, release), (cell, release)
        assert release["cohort_size"] == len(codes)


def test_a_round_releases_every_cell_as_the_plaintext_truth_demands(federation):
    cluster, truth, indicators, codes, recorder = federation
    monday = week(truth, 1)
    outcome = run(cluster, recorder, "e2e-week1", indicators, monday)
    assert outcome.round["state"] == "released", outcome.round
    assert set(outcome.contributions.values()) == {"contributed"}
    assert_matches_truth(outcome, truth, codes, indicators, monday)
    pids = {s.process.pid for s in cluster.services.values()}
    assert len(pids) == len(cluster.services) == CITIES + 4


def test_a_node_that_is_down_is_left_out_and_the_round_still_releases(federation):
    cluster, truth, indicators, codes, recorder = federation
    down = codes[-1]
    cluster.stop_service(down)
    try:
        monday = week(truth, 2)
        outcome = run(cluster, recorder, "e2e-week2", indicators, monday)
    finally:
        cluster.start_service(down)
    assert outcome.contributions[down].startswith("unreachable")
    assert outcome.round["state"] == "released"
    assert_matches_truth(outcome, truth, codes[:-1], indicators, monday)


def test_the_dags_contribute_step_names_the_node_that_is_down_and_its_retry_completes(
    federation,
):
    cluster, truth, indicators, codes, _ = federation
    monday, down = week(truth, 0) - dt.timedelta(weeks=2), codes[-1]  # a week no other test uses
    weekly = tuple(i.code for i in indicators if i.period == "week")  # the nodes' opt-ins
    sums = orchestration.IndicatorSet("week", weekly)
    operator = orchestration.Federation(
        cluster.hub.url,
        str(cluster.hub.settings.effective_key_file),
        {node.name: node.url for node in cluster.nodes()},
    )
    round_id = orchestration.open_round(operator, sums, monday)
    cluster.stop_service(down)
    try:
        with pytest.raises(orchestration.RoundFailedError) as failure:
            orchestration.contribute(operator, sums, monday)
    finally:
        cluster.start_service(down)
    assert f"1 of {len(codes)} nodes did not contribute: {down}: unreachable" in str(failure.value)
    assert not any(code in str(failure.value) for code in codes[:-1])
    assert orchestration.cohort(operator, round_id)[0] == len(codes) - 1  # the others did
    retried = orchestration.contribute(operator, sums, monday)
    assert retried == {code: "already contributed" for code in codes[:-1]} | {down: "contributed"}
    assert orchestration.cohort(operator, round_id)[0] == len(codes)


def test_a_duplicate_upload_is_rejected_and_counted_once(federation):
    cluster, truth, indicators, codes, recorder = federation
    monday = week(truth, 3)
    hub, signer = cluster.hub.url, cluster.signer("hub")
    names = [i.code for i in indicators]
    ops_client.open_round(recorder.client, hub, signer, "e2e-week3", names, monday)
    nodes = {s.name: s.url for s in cluster.nodes()}
    first = ops_client.request_contributions(
        recorder.client, signer, nodes, "e2e-week3", names, monday
    )
    again = ops_client.request_contributions(
        recorder.client, signer, nodes, "e2e-week3", names, monday
    )
    assert set(first.values()) == {"contributed"}
    assert set(again.values()) == {"already contributed"}  # every party answered 409
    state = ops_client.compute(recorder.client, hub, signer, "e2e-week3")
    assert state["state"] == "released"
    outcome = ops_client.RoundOutcome(
        state, ops_client.releases(recorder.client, hub, signer, "e2e-week3"), first
    )
    assert_matches_truth(outcome, truth, codes, indicators, monday)


def rogue_report(cluster, round_id: str) -> int:
    """As compute party 2 (its real key), report a made-up result once the round computes."""
    key = read_private_key(cluster.services["party-2"].settings.effective_key_file)
    signer = cluster.signer("party-2")
    hub, hub_signer = cluster.hub.url, cluster.signer("hub")
    with httpx.Client(timeout=30) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = ops_client.get_round(client, hub, hub_signer, round_id)
            if state["state"] == "computing":
                cells = len(state["indicators"])
                result = {"values": [1.0] * cells, "reasons": [""] * cells, "invalid": [],
                          "contributors": 12, "rules": SUM_RULES.document()}  # fmt: skip
                digest = sha256_hex(PartyResult.from_document(result).canonical())
                claims = {
                    "round_id": round_id,
                    "attempt": state["attempt"],
                    "result_sha256": digest,
                }
                signature = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": signer.kid})
                body = {"attempt": state["attempt"], "result": result, "signature": signature}
                headers = signer.headers(audience_for("hub", "hub"))
                url = f"{hub}/api/v1/rounds/{round_id}/reports"
                return client.post(url, json=body, headers=headers).status_code
            time.sleep(0.02)
    return 0


def test_a_party_reporting_a_different_result_blocks_the_release(federation):
    cluster, truth, indicators, codes, recorder = federation
    statuses: list[int] = []
    rogue = threading.Thread(target=lambda: statuses.append(rogue_report(cluster, "e2e-week4")))
    rogue.start()
    outcome = run(cluster, recorder, "e2e-week4", indicators, week(truth, 4))
    rogue.join()
    assert statuses == [201]
    assert outcome.round["state"] == "failed"
    assert "different results" in outcome.round["failure"]
    assert outcome.releases == []


def test_killing_a_party_mid_round_leaves_no_release_and_a_rerun_releases_once(federation):
    cluster, truth, indicators, codes, recorder = federation
    monday = week(truth, 5)
    victim = cluster.services["party-1"]

    work = victim.settings.work_dir
    leftovers: list[str] = []

    def kill_when_computing() -> None:
        """SIGKILL party 1's whole group once its attempt has written its share matrix."""
        for _ in range(3000):
            shares = list(work.glob("e2e-week5-*/shares.npy"))
            if shares:
                os.killpg(victim.process.pid, signal.SIGKILL)
                leftovers.extend(str(path) for path in shares if path.exists())
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_when_computing)
    killer.start()
    # The surviving parties wait for the dead one until the session's deadline: keep it short.
    outcome = run(cluster, recorder, "e2e-week5", indicators, monday, timeout=30.0)
    killer.join()
    assert outcome.round["state"] == "failed"
    assert outcome.releases == []
    assert leftovers, "the killed party left its share matrix behind"
    cluster.start_service("party-1")
    assert list(work.iterdir()) == [], "a restarted party removes what its predecessor left"
    hub, signer = cluster.hub.url, cluster.signer("hub")
    state = ops_client.compute(recorder.client, hub, signer, "e2e-week5")
    assert state["state"] == "released" and state["attempt"] == 2
    rerun = ops_client.RoundOutcome(
        state, ops_client.releases(recorder.client, hub, signer, "e2e-week5"), {}
    )
    assert_matches_truth(rerun, truth, codes, indicators, monday)
    again = ops_client.compute(recorder.client, hub, signer, "e2e-week5")
    assert again["attempt"] == 2  # a released round is never computed again
    assert len(ops_client.releases(recorder.client, hub, signer, "e2e-week5")) == len(indicators)


def test_distribution_and_spike_rounds_release_city_counts_as_the_truth_demands(federation):
    """The last demo week (the wave is running): one-hot buckets and spike flags from every
    node, through the three parties, to counts of cities equal to the plaintext truth."""
    cluster, truth, indicators, codes, recorder = federation
    monday = week(truth, WEEKS - 1)
    bucketed = [i for i in indicators if i.buckets is not None]
    nodes = {s.name: s.url for s in cluster.nodes()}
    released = {}
    for program, chosen in (("histogram", bucketed), ("spike_count", indicators)):
        outcome = ops_client.run_round(
            recorder.client, cluster.hub.url, cluster.signer("hub"), nodes, f"e2e-{program}",
            [i.code for i in chosen], monday, program=program,
        )  # fmt: skip
        assert outcome.round["state"] == "released", outcome.round
        assert outcome.round["program"] == program
        assert set(outcome.contributions.values()) == {"contributed"}
        expected = expected_cells(
            truth, codes, chosen, monday, MIN_CONTRIBUTORS, DOMINANCE, program=program
        )
        cells = [
            (r["indicator"], r["cell"], r["value"], r["suppressed_reason"], r["cohort_size"])
            for r in outcome.releases
        ]
        assert cells == [
            (e.indicator, e.cell, None if e.reason else e.total, e.reason or None, len(codes))
            for e in expected
        ]
        released[program] = outcome.releases
    # A concentrated histogram (one bucket with all cities or all but one) is suppressed
    # inside MPC; the others are released whole.
    shown = 0
    for indicator in bucketed:
        counts = [r["value"] for r in released["histogram"] if r["indicator"] == indicator.code]
        assert len(counts) == len(indicator.buckets) + 1
        if counts[0] is not None:
            assert sum(counts) == len(codes) and max(counts) < len(codes) - 1
            shown += 1
    assert shown > 0
    # The wave shows; counts of at most 1 or at least n - 1 are suppressed (concentrated).
    assert max(r["value"] or 0 for r in released["spike_count"]) >= 3


DISTINCT = [9871, 9743, 9619, 9497, 9371, 9239, 9109, 8971, 8837, 8713, 8597, 8467]


def test_no_response_body_or_log_line_reveals_a_city_value(federation, reveals):
    """Cities count distinctive numbers in a week after the demo; only the sum may show."""
    cluster, truth, indicators, codes, recorder = federation
    riot = next(i for i in indicators if i.code == "riot_online_weekly")
    monday = week(truth, WEEKS - 1) + dt.timedelta(weeks=1)
    for code, value in zip(codes, DISTINCT, strict=True):
        settings = cluster.services[code].settings
        with session_scope(settings.effective_database_url) as session:
            district = (
                session.execute(WeeklyCount.__table__.select().limit(1)).first().district_code
            )
            row = {"week_start": monday, "district_code": district, "category": "riot"}
            row |= {"online_driven": True, "source_type": "police", "count": value}
            session.add(WeeklyCount(**row))
    outcome = run(cluster, recorder, "e2e-leak", [riot], monday)
    assert outcome.round["state"] == "released"
    assert outcome.releases[0]["value"] == float(sum(DISTINCT))
    logs = [p.read_text(errors="replace") for p in (cluster.data_dir / "logs").glob("*.log")]
    party_bodies = audit_and_party_responses(cluster)
    for text in [*recorder.bodies, *logs, *party_bodies]:
        assert not reveals(text, DISTINCT), text[:2000]


def audit_and_party_responses(cluster) -> list[str]:
    """Bodies of what the parties answer the hub about a round (codes only, never values)."""
    hub = cluster.signer("hub")
    bodies = []
    with httpx.Client(timeout=30) as client:
        for index in range(3):
            party = cluster.services[f"party-{index}"]
            headers = hub.headers(audience_for("party", str(index)))
            bodies.append(
                client.get(f"{party.url}/api/v1/rounds/e2e-leak/shares", headers=headers).text
            )
    return bodies
