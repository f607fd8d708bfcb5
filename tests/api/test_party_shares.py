"""PUT/GET /api/v1/rounds/<id>/shares at a compute party, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest
from sqlalchemy import select

from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.api.auth import StaticKeySource
from samenbeeld.federation.mpc import sharing
from samenbeeld.federation.party import rounds as party_service
from samenbeeld.federation.protocol import RoundSpec
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey, generate_private_key, key_id
from samenbeeld.platform.models.party import ShareUpload
from samenbeeld.platform.settings import PartySettings, audience_for
from samenbeeld.platform.tokens import Signer

PARTY = 1
SPEC = RoundSpec(
    "checked_sum", dt.date(2026, 1, 5), ("riot_online_weekly", "drugs_weekly", "cybercrime_weekly")
)
AUDIENCE = audience_for("party", str(PARTY))
OWNERS = [KeyOwner("node", "GM0758"), KeyOwner("node", "GM0363"), KeyOwner("hub", "hub")]
PRIVATE = {owner.member: generate_private_key() for owner in OWNERS}
KEYS = KeySet(
    RegisteredKey(key_id(PRIVATE[o.member].public_key()), PRIVATE[o.member].public_key(), o)
    for o in OWNERS
)


def signer(member: str) -> Signer:
    """Tokens of member (a municipality code or "hub")."""
    role = "hub" if member == "hub" else "node"
    return Signer(PRIVATE[member], role=role, member=member)


def payload(round_id: str, party: int = PARTY, values: tuple[float, ...] = (1, 2, 3)) -> bytes:
    """A real share payload of values for party in round_id."""
    shares = sharing.split(sharing.encode_vector(list(values)), round_id=round_id)
    return sharing.encode_payload(shares, party)


@pytest.fixture
def app(party_url, tmp_path):
    """Party 1's app with the test's keys; its engine is disposed afterwards."""
    settings = PartySettings.load(
        environ={}, index=PARTY, database_url=party_url, data_dir=tmp_path
    )
    application = create_app(
        "party", settings, testing_config={"TESTING": True}, key_source=StaticKeySource(KEYS)
    )
    yield application
    db.dispose(application)


@pytest.fixture
def round_id() -> str:
    """A round of this test only."""
    return f"weekly-2026-01-05-{uuid.uuid4().hex[:8]}"


def put(app, round_id: str, body: bytes, member: str = "GM0758", spec: RoundSpec = SPEC, **headers):
    """PUT body as member's upload for spec (headers override the Authorization header)."""
    headers = {**signer(member).headers(AUDIENCE), **headers}
    headers["Content-Type"] = "application/octet-stream"
    url = f"/api/v1/rounds/{round_id}/shares"
    return app.test_client().put(url, data=body, headers=headers, query_string=spec.to_query())


def stored(url: str, round_id: str) -> list[tuple[str, bytes, str]]:
    """(municipality, payload, sha256) of every stored upload of round_id."""
    with session_scope(url) as session:
        rows = session.scalars(select(ShareUpload).where(ShareUpload.round_id == round_id))
        return sorted((row.municipality, row.payload, row.sha256) for row in rows)


def test_an_upload_is_stored_as_received(app, party_url, round_id):
    body = payload(round_id)
    response = put(app, round_id, body)
    assert response.status_code == 201, response.get_json()
    digest = hashlib.sha256(body).hexdigest()
    assert response.get_json() == {"round_id": round_id, "municipality": "GM0758", "sha256": digest}
    assert stored(party_url, round_id) == [("GM0758", body, digest)]


def test_a_second_upload_is_refused_and_the_first_kept(app, party_url, round_id):
    first = payload(round_id)
    assert put(app, round_id, first).status_code == 201
    response = put(app, round_id, payload(round_id, values=(7, 8, 9)))
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert "GM0758 already uploaded" in response.get_json()["detail"]
    assert stored(party_url, round_id) == [("GM0758", first, hashlib.sha256(first).hexdigest())]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda r: payload(r, party=2), "different round or party"),
        (lambda r: payload("another-round"), "different round or party"),
        (lambda r: b"SBS1 not really a share", "payload too short"),
        (lambda r: payload(r)[:-3], "payload body has"),
        (lambda r: b"", "payload too short"),
    ],
    ids=["other-party", "other-round", "garbage", "truncated", "empty"],
)
def test_a_misaddressed_or_malformed_payload_is_422(app, party_url, round_id, make, reason):
    response = put(app, round_id, make(round_id))
    assert response.status_code == 422
    assert reason in response.get_json()["detail"]
    assert stored(party_url, round_id) == []


def test_an_upload_of_another_spec_than_the_rounds_first_is_409(app, party_url, round_id):
    """Every upload of a round declares the same spec (what the node computed its vector for)."""
    assert put(app, round_id, payload(round_id)).status_code == 201
    other = RoundSpec("checked_sum", dt.date(2026, 1, 12), SPEC.indicators)
    response = put(app, round_id, payload(round_id), member="GM0363", spec=other)
    assert response.status_code == 409
    assert (
        response.get_json()["detail"] == f"round {round_id} was uploaded to here with another spec"
    )
    assert [row[0] for row in stored(party_url, round_id)] == ["GM0758"]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (RoundSpec("checked_sum", SPEC.period_start, ("no_such_indicator",)), "not in the"),
        (RoundSpec("checked_sum", dt.date(2026, 1, 6), SPEC.indicators), "first day of a week"),
        (RoundSpec("checked_sum", dt.date(2999, 1, 7), SPEC.indicators), "in the future"),
        (RoundSpec("checked_sum", SPEC.period_start, SPEC.indicators[:2]), "has 3 cells"),
        (RoundSpec("spike_count", SPEC.period_start, SPEC.indicators), "encoded at 0 bits"),
    ],
    ids=["unknown-indicator", "not-a-monday", "future", "cell-count", "precision"],
)
def test_an_upload_for_a_spec_this_party_refuses_is_422(app, party_url, round_id, spec, reason):
    response = put(app, round_id, payload(round_id), spec=spec)
    assert response.status_code == 422
    assert reason in response.get_json()["detail"]
    assert stored(party_url, round_id) == []


def test_a_bad_round_id_is_422(app):
    response = put(app, "bad round!", payload("bad round!"))
    assert response.status_code == 422
    assert "round id must be" in response.get_json()["detail"]


def test_uploads_need_a_fresh_node_token_for_this_party(app, party_url, round_id):
    body = payload(round_id)
    wrong_audience = signer("GM0758").headers(audience_for("party", "0"))
    hub = signer("hub").headers(AUDIENCE)
    assert put(app, round_id, body, Authorization="").status_code == 401
    assert put(app, round_id, body, **wrong_audience).status_code == 401
    assert put(app, round_id, body, **hub).status_code == 403
    token = signer("GM0758").headers(AUDIENCE)
    assert put(app, round_id, body, **token).status_code == 201
    replayed = put(app, round_id, body, **token)
    assert replayed.status_code == 401
    assert replayed.get_json()["detail"] == "token has already been used"
    assert [row[0] for row in stored(party_url, round_id)] == ["GM0758"]


def test_a_request_that_fails_still_uses_up_its_token(app, party_url, round_id):
    token = signer("GM0758").headers(AUDIENCE)
    assert put(app, round_id, payload(round_id)[:-3], **token).status_code == 422
    replayed = put(app, round_id, payload(round_id), **token)
    assert replayed.status_code == 401
    assert replayed.get_json()["detail"] == "token has already been used"
    assert stored(party_url, round_id) == []


def test_the_hub_lists_codes_only(app, round_id):
    for member in ("GM0758", "GM0363"):
        assert put(app, round_id, payload(round_id), member=member).status_code == 201
    url = f"/api/v1/rounds/{round_id}/shares"
    response = app.test_client().get(url, headers=signer("hub").headers(AUDIENCE))
    assert response.status_code == 200
    assert response.get_json() == {"municipalities": ["GM0363", "GM0758"]}
    node = app.test_client().get(url, headers=signer("GM0758").headers(AUDIENCE))
    assert node.status_code == 403
    assert app.test_client().get(url).status_code == 401


def test_an_upload_to_a_closed_round_is_409(app, party_url, round_id):
    assert put(app, round_id, payload(round_id)).status_code == 201
    with session_scope(party_url) as session:
        party_service.close_round(session, round_id, attempt=1)
    response = put(app, round_id, payload(round_id), member="GM0363")
    assert response.status_code == 409
    assert response.get_json()["detail"] == f"round {round_id} is closed"
    assert [row[0] for row in stored(party_url, round_id)] == ["GM0758"]


def test_the_upload_body_is_documented_as_binary(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    body = document["paths"]["/api/v1/rounds/{round_id}/shares"]["put"]["requestBody"]
    assert body["content"]["application/octet-stream"]["schema"]["format"] == "binary"
