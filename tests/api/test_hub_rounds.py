"""The hub's rounds: signed party reports, release only when all three agree, on both backends."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid

import pytest
from sqlalchemy import select

from factories import SUM_RULES, new_hub, report_signature
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.federation.hub import rounds as hub_rounds
from samenbeeld.federation.protocol import ROUND_ID, AppliedRules, PartyResult, sha256_hex
from samenbeeld.platform import keys
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import Release, RoundReport
from samenbeeld.platform.tokens import Signer

INDICATORS = ["riot_online_weekly", "high_impact_crime_weekly"]
"""Two indicators released exact (youth_safety_weekly ships with noise)."""
WEEKS = itertools.count()
"""Each round a test opens gets a week of its own: the same indicators and week would be a 409."""


def fresh_monday() -> dt.date:
    """A Monday no other round of this module has used."""
    return dt.date(2020, 1, 6) + dt.timedelta(weeks=next(WEEKS))


RESULT = {"values": [31.0, None], "reasons": ["", "dominance"], "invalid": [], "contributors": 6,
          "rules": SUM_RULES.document()}  # fmt: skip


@pytest.fixture(scope="module")
def federation(databases, tmp_path_factory):
    """A migrated hub database, the hub's key file and three registered party keys."""
    party_keys = [keys.generate_private_key() for _ in range(3)]
    parties = [
        ("party", str(i), f"party {i}", key.public_key()) for i, key in enumerate(party_keys)
    ]
    settings, hub_key = new_hub(databases.create(), tmp_path_factory.mktemp("keys"), parties)
    return settings, hub_key, party_keys


@pytest.fixture
def hub(federation):
    """A test client of the real hub app, and signers for the hub and the parties."""
    settings, hub_key, party_keys = federation
    app = create_app("hub", settings)
    signers = [Signer(key, role="party", member=str(i)) for i, key in enumerate(party_keys)]
    yield app.test_client(), Signer(hub_key, role="hub", member="hub"), signers, party_keys
    db.dispose(app)


def open_round(client, hub_signer) -> str:
    """Open a round of INDICATORS in a week of its own; its id."""
    round_id = f"r-{uuid.uuid4().hex[:10]}"
    monday = fresh_monday()
    body = {"id": round_id, "indicators": INDICATORS, "period_start": monday.isoformat()}
    headers = hub_signer.headers("samenbeeld:hub:hub")
    response = client.post("/api/v1/rounds", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return round_id


def database_url(client) -> str:
    """The URL of the hub app's database."""
    return client.application.extensions["samenbeeld"].effective_database_url


def start(client, round_id) -> None:
    """Start attempt 1 with an empty cohort (no Member rows needed for the test)."""
    with session_scope(database_url(client)) as s:
        hub_rounds.start_attempt(s, round_id, [])


def computing_round(client, hub_signer) -> str:
    """Open a round and start its attempt 1; its id."""
    round_id = open_round(client, hub_signer)
    start(client, round_id)
    return round_id


def report(client, signer, key, round_id, result=RESULT, attempt=1, signed_result=None):
    """POST a party report signed over ``signed_result`` (default: the result itself)."""
    signed = PartyResult.from_document(signed_result or result)
    signature = report_signature(key, round_id, attempt, signed, kid=signer.kid)
    body = {"attempt": attempt, "result": result, "signature": signature}
    return client.post(
        f"/api/v1/rounds/{round_id}/reports",
        json=body,
        headers=signer.headers("samenbeeld:hub:hub"),
    )


def state(client, hub_signer, round_id) -> dict:
    """GET the round."""
    headers = hub_signer.headers("samenbeeld:hub:hub")
    return client.get(f"/api/v1/rounds/{round_id}", headers=headers).get_json()


def test_three_identical_signed_reports_release_each_cell_once(hub):
    client, hub_signer, signers, party_keys = hub
    round_id = computing_round(client, hub_signer)
    for index in range(3):
        response = report(client, signers[index], party_keys[index], round_id)
        assert response.status_code == 201, response.get_json()
    assert state(client, hub_signer, round_id)["state"] == "released"
    released = client.get(
        f"/api/v1/rounds/{round_id}/releases", headers=hub_signer.headers("samenbeeld:hub:hub")
    ).get_json()
    assert [(r["indicator"], r["value"], r["suppressed_reason"]) for r in released] == [
        ("riot_online_weekly", 31.0, None),
        ("high_impact_crime_weekly", None, "dominance"),
    ]
    assert {r["cohort_size"] for r in released} == {6}
    again = report(client, signers[0], party_keys[0], round_id)
    assert again.status_code == 409  # released: no report is taken any more


def test_a_party_reporting_a_different_result_blocks_the_release(hub):
    client, hub_signer, signers, party_keys = hub
    round_id = computing_round(client, hub_signer)
    other = {**RESULT, "values": [32.0, None]}
    report(client, signers[0], party_keys[0], round_id)
    report(client, signers[1], party_keys[1], round_id)
    assert report(client, signers[2], party_keys[2], round_id, other).status_code == 201
    shown = state(client, hub_signer, round_id)
    assert shown["state"] == "failed"
    assert shown["failure"] == "compute parties reported different results"
    assert "32.0" not in json.dumps(shown)
    released = client.get(
        f"/api/v1/rounds/{round_id}/releases", headers=hub_signer.headers("samenbeeld:hub:hub")
    )
    assert released.get_json() == []


def test_a_report_must_be_signed_by_the_reporting_party_over_this_result(hub):
    client, hub_signer, signers, party_keys = hub
    round_id = computing_round(client, hub_signer)
    forged = report(client, signers[1], party_keys[2], round_id)  # party 2's key for party 1
    assert forged.status_code == 403
    swapped = report(
        client, signers[1], party_keys[1], round_id, signed_result={**RESULT, "contributors": 7}
    )
    assert swapped.status_code == 403
    assert report(client, signers[1], party_keys[1], round_id, attempt=2).status_code == 409
    too_big = {**RESULT, "contributors": 2**70}
    assert report(client, signers[1], party_keys[1], round_id, attempt=2**40).status_code == 422
    assert report(client, signers[1], party_keys[1], round_id, too_big).status_code == 422
    assert report(client, signers[1], party_keys[1], round_id).status_code == 201
    assert report(client, signers[1], party_keys[1], round_id).status_code == 409  # once
    assert state(client, hub_signer, round_id)["state"] == "computing"


def test_only_parties_report_and_only_the_hub_opens_rounds(hub):
    client, hub_signer, signers, party_keys = hub
    round_id = computing_round(client, hub_signer)
    as_hub = client.post(
        f"/api/v1/rounds/{round_id}/reports",
        json={"attempt": 1, "result": RESULT, "signature": "x"},
        headers=hub_signer.headers("samenbeeld:hub:hub"),
    )
    assert as_hub.status_code == 403
    body = {"id": "r-x", "indicators": INDICATORS, "period_start": "2026-01-12"}
    as_party = client.post(
        "/api/v1/rounds", json=body, headers=signers[0].headers("samenbeeld:hub:hub")
    )
    assert as_party.status_code == 403
    assert client.post("/api/v1/rounds", json=body).status_code == 401


def test_a_period_of_an_indicator_set_is_opened_once(hub):
    client, hub_signer, _, _ = hub
    headers = hub_signer.headers
    body = {
        "id": f"r-{uuid.uuid4().hex[:8]}",
        "indicators": ["drugs_weekly"],
        "period_start": "2026-02-02",
    }
    assert (
        client.post("/api/v1/rounds", json=body, headers=headers("samenbeeld:hub:hub")).status_code
        == 201
    )
    body["id"] = f"r-{uuid.uuid4().hex[:8]}"
    second = client.post("/api/v1/rounds", json=body, headers=headers("samenbeeld:hub:hub"))
    assert second.status_code == 409


def test_start_attempt_refuses_a_released_round(hub):
    from samenbeeld.platform.errors import ConflictError

    client, hub_signer, signers, party_keys = hub
    round_id = computing_round(client, hub_signer)
    for index in range(3):
        report(client, signers[index], party_keys[index], round_id)
    with pytest.raises(ConflictError, match="released"):
        start(client, round_id)
    assert state(client, hub_signer, round_id)["attempt"] == 1
    assert ROUND_ID.match(round_id)


def test_an_attempt_left_computing_by_a_dead_hub_is_reclaimed_only_when_stale(hub):
    """A round stuck in computing fails after the timeout, so a new attempt can start."""
    client, hub_signer, signers, party_keys = hub
    round_id = computing_round(client, hub_signer)
    url = database_url(client)
    with session_scope(url) as session:
        hub_rounds.reclaim_interrupted(session, round_id, dt.timedelta(minutes=5))
    assert state(client, hub_signer, round_id)["state"] == "computing"  # may still run
    with session_scope(url) as session:
        hub_rounds.reclaim_interrupted(session, round_id, dt.timedelta(seconds=-1))
    shown = state(client, hub_signer, round_id)
    assert shown["state"] == "failed" and "interrupted" in shown["failure"]
    start(client, round_id)  # a new attempt
    assert state(client, hub_signer, round_id)["attempt"] == 2


def test_bad_indicator_lists_are_refused_before_anything_is_stored(hub):
    client, hub_signer, _, _ = hub
    headers = hub_signer.headers
    too_long = [f"indicator_number_{i:03d}_with_a_long_name" for i in range(60)]
    for names in (["riot,drugs"], too_long, ["a", "a"]):
        body = {
            "id": f"r-{uuid.uuid4().hex[:8]}",
            "indicators": names,
            "period_start": "2026-03-02",
        }
        response = client.post("/api/v1/rounds", json=body, headers=headers("samenbeeld:hub:hub"))
        assert response.status_code == 422, response.get_json()
        assert (
            client.get(
                f"/api/v1/rounds/{body['id']}", headers=headers("samenbeeld:hub:hub")
            ).status_code
            == 404
        )


@pytest.mark.parametrize(
    ("indicators", "period_start", "reason"),
    [
        (["no_such_indicator"], "2026-04-06", "not in the indicator catalog: no_such_indicator"),
        (["drugs_weekly"], "2026-04-10", "the first day of a week for drugs_weekly"),
        (["event_visitors_monthly"], "2026-04-06", "the first day of a month"),
        (["drugs_weekly"], "9999-12-27", "lies in the future"),
    ],
    ids=["unknown-indicator", "a-friday", "monthly-on-a-monday", "future"],
)
def test_a_round_is_valid_when_opened_or_not_opened(hub, indicators, period_start, reason):
    client, hub_signer, _, _ = hub
    round_id = f"r-{uuid.uuid4().hex[:8]}"
    body = {"id": round_id, "indicators": indicators, "period_start": period_start}
    response = client.post("/api/v1/rounds", json=body, headers=hub_headers(hub_signer))
    assert response.status_code == 422
    assert reason in response.get_json()["detail"]
    shown = client.get(f"/api/v1/rounds/{round_id}", headers=hub_headers(hub_signer))
    assert shown.status_code == 404


def hub_headers(hub_signer) -> dict[str, str]:
    """A fresh hub token for the hub (a token is used up by its first request)."""
    return hub_signer.headers("samenbeeld:hub:hub")


def test_a_round_overlapping_another_rounds_cells_is_refused_at_open(hub):
    """One more round over a cell could only run with another cohort: differencing."""
    client, hub_signer, _, _ = hub
    monday = fresh_monday()
    first = open_program_round(client, hub_signer, "checked_sum", INDICATORS, monday)
    assert first.status_code == 201
    for indicators in (["riot_online_weekly"], ["drugs_weekly", "high_impact_crime_weekly"]):
        overlap = open_program_round(client, hub_signer, "checked_sum", indicators, monday)
        assert overlap.status_code == 409
        assert overlap.get_json()["detail"].startswith(f"round {first.get_json()['id']} covers")
    beside = open_program_round(client, hub_signer, "checked_sum", ["drugs_weekly"], monday)
    assert beside.status_code == 201
    other_week = open_program_round(client, hub_signer, "checked_sum", INDICATORS)
    assert other_week.status_code == 201


def test_a_failed_attempt_leaves_digests_and_reasons_at_the_hub_never_values(hub):
    client, hub_signer, signers, party_keys = hub
    round_id = computing_round(client, hub_signer)
    other = {**RESULT, "values": [32.0, None]}
    for index, result in enumerate((RESULT, RESULT, other)):
        assert (
            report(client, signers[index], party_keys[index], round_id, result).status_code == 201
        )
    assert state(client, hub_signer, round_id)["state"] == "failed"
    stored = reports(client, round_id)
    kept = {"reasons": RESULT["reasons"], "rules": RESULT["rules"]}
    assert [json.loads(text) for _, text in stored] == [kept] * 3
    assert stored[0][0] == sha256_hex(PartyResult.from_document(RESULT).canonical())


def test_a_report_whose_release_would_repeat_a_released_cell_is_not_a_500(hub):
    """The overlap check at open makes this rare; the release's unique key is the last guard."""
    client, hub_signer, signers, party_keys = hub
    round_id = computing_round(client, hub_signer)
    url = database_url(client)
    with session_scope(url) as session:
        row = hub_rounds.get_round(session, round_id)
        session.add(Release(round_id=round_id, indicator=INDICATORS[0], cell="total",
                            period_start=row.period_start, value=1.0, version=1, cohort_size=9,
                            released_at=row.opened_at))  # fmt: skip
    answers = [
        report(client, signers[index], party_keys[index], round_id).status_code
        for index in range(3)
    ]
    assert answers == [201, 201, 201]
    shown = state(client, hub_signer, round_id)
    assert shown["state"] == "failed" and "released already" in shown["failure"]
    assert all("values" not in json.loads(text) for _, text in reports(client, round_id))


def test_a_restarted_hub_fails_the_attempts_it_was_driving_at_once(hub):
    """Attempts of another boot id are orphaned; this process's own are left alone."""
    client, hub_signer, _, _ = hub
    url = database_url(client)
    orphan, own = open_round(client, hub_signer), open_round(client, hub_signer)
    with session_scope(url) as session:
        hub_rounds.start_attempt(session, orphan, [], driver="earlier-boot")
        hub_rounds.start_attempt(session, own, [], driver="this-boot")
    with session_scope(url) as session:
        assert orphan in hub_rounds.fail_orphaned_attempts(session, "this-boot")
    shown = state(client, hub_signer, orphan)
    assert (
        shown["state"] == "failed" and shown["failure"] == "attempt interrupted: the hub restarted"
    )
    assert state(client, hub_signer, own)["state"] == "computing"


def reports(client, round_id) -> list[tuple[str, str]]:
    """(result_sha256, stored result) of every report of the round, by party."""
    url = database_url(client)
    with session_scope(url) as session:
        rows = session.scalars(
            select(RoundReport)
            .where(RoundReport.round_id == round_id)
            .order_by(RoundReport.party_index)
        )
        return [(row.result_sha256, row.result) for row in rows]


def open_program_round(client, hub_signer, program, indicators, monday=None, **extra):
    """POST a round of ``program``; the response."""
    monday = monday or fresh_monday()
    body = {"id": f"r-{uuid.uuid4().hex[:10]}", "indicators": indicators,
            "period_start": monday.isoformat(), "program": program, **extra}  # fmt: skip
    return client.post(
        "/api/v1/rounds", json=body, headers=hub_signer.headers("samenbeeld:hub:hub")
    )


def released(client, hub_signer, round_id) -> list[dict]:
    """GET the round's released cells."""
    headers = hub_signer.headers("samenbeeld:hub:hub")
    return client.get(f"/api/v1/rounds/{round_id}/releases", headers=headers).get_json()


def test_a_distribution_round_releases_one_count_per_catalog_bucket(hub):
    """demonstration_online_weekly has 4 edges (5 buckets), youth_safety_weekly 5 (6)."""
    client, hub_signer, signers, party_keys = hub
    indicators = ["demonstration_online_weekly", "youth_safety_weekly"]
    opened = open_program_round(client, hub_signer, "histogram", indicators)
    assert opened.status_code == 201, opened.get_json()
    assert opened.get_json()["program"] == "histogram"
    round_id = opened.get_json()["id"]
    start(client, round_id)
    rules = AppliedRules(min_contributors=5).document()
    short = {"values": [1.0] * 10, "reasons": [""] * 10, "invalid": [], "contributors": 6,
             "rules": rules}  # fmt: skip
    assert report(client, signers[0], party_keys[0], round_id, short).status_code == 422
    counts = [3.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 1.0, 1.0]
    result = {"values": counts, "reasons": [""] * 11, "invalid": ["GM0106"], "contributors": 6,
              "rules": rules}  # fmt: skip
    for index in range(3):
        assert (
            report(client, signers[index], party_keys[index], round_id, result).status_code == 201
        )
    cells = released(client, hub_signer, round_id)
    assert [(c["indicator"], c["cell"]) for c in cells] == [
        *(("demonstration_online_weekly", f"bucket:{i}") for i in range(5)),
        *(("youth_safety_weekly", f"bucket:{i}") for i in range(6)),
    ]
    assert [c["value"] for c in cells] == counts
    assert {c["cohort_size"] for c in cells} == {6}


def test_a_spike_round_beside_the_sum_round_of_the_same_period(hub):
    """Same indicators and week as a sum round: its own batch, released once, cell 'spikes'."""
    client, hub_signer, signers, party_keys = hub
    monday = fresh_monday()
    assert (
        open_program_round(client, hub_signer, "checked_sum", INDICATORS, monday).status_code == 201
    )
    opened = open_program_round(client, hub_signer, "spike_count", INDICATORS, monday)
    assert opened.status_code == 201, opened.get_json()
    again = open_program_round(client, hub_signer, "spike_count", INDICATORS, monday)
    assert again.status_code == 409
    round_id = opened.get_json()["id"]
    start(client, round_id)
    suppressed = {"values": [None, None], "reasons": ["min_contributors"] * 2,
                  "invalid": ["GM0758", "GM0363"], "contributors": 4,
                  "rules": AppliedRules(min_contributors=5).document()}  # fmt: skip
    for index in range(3):
        report(client, signers[index], party_keys[index], round_id, suppressed)
    cells = released(client, hub_signer, round_id)
    assert [(c["indicator"], c["cell"], c["value"], c["suppressed_reason"]) for c in cells] == [
        ("riot_online_weekly", "spikes", None, "min_contributors"),
        ("high_impact_crime_weekly", "spikes", None, "min_contributors"),
    ]
    assert {c["cohort_size"] for c in cells} == {4}


def test_bad_program_rounds_are_refused(hub):
    client, hub_signer, _, _ = hub
    no_buckets = open_program_round(client, hub_signer, "histogram", ["drugs_weekly"])
    assert no_buckets.status_code == 422
    assert "no buckets" in no_buckets.get_json()["detail"]
    assert open_program_round(client, hub_signer, "moments", INDICATORS).status_code == 422
    several = open_program_round(client, hub_signer, "spike_count", INDICATORS,
                                 cells_per_indicator=3)  # fmt: skip
    assert several.status_code == 422
    unknown = open_program_round(client, hub_signer, "histogram", ["no_such_indicator"])
    assert unknown.status_code == 422
    plain = open_program_round(client, hub_signer, "checked_sum", ["drugs_weekly"])
    assert plain.get_json()["program"] == "checked_sum"


def test_the_hubs_compute_request_carries_no_bounds(hub):
    """Bounds and rules are each party's own: a max_value is not the hub's to send."""
    client, hub_signer, _, _ = hub
    round_id = open_program_round(client, hub_signer, "spike_count", INDICATORS).get_json()["id"]
    url = f"/api/v1/rounds/{round_id}/compute"
    headers = hub_signer.headers("samenbeeld:hub:hub")
    response = client.post(url, json={"max_value": 10.0}, headers=headers)
    assert response.status_code == 422
    shown = state(client, hub_signer, round_id)
    assert shown["state"] == "open" and shown["attempt"] == 0
