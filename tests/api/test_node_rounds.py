"""The node's side of a round over HTTP: opt-ins, contribute, audit log, on both backends.

The compute parties are an ``httpx.MockTransport`` in the node's injected client: it
records every request and answers as the test asks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

import httpx
import jwt
import numpy as np
import pytest

from factories import DISTRICT, Series, put_node_data
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.api.auth import StaticKeySource
from samenbeeld.federation.mpc import sharing
from samenbeeld.platform import keys, migrate
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.node import District
from samenbeeld.platform.settings import NodeSettings
from samenbeeld.platform.tokens import Signer

GM = "GM0758"
OTHER_GM = "GM0363"
NODE_AUD = f"samenbeeld:node:{GM}"
MONDAY = dt.date(2026, 1, 5)
INDICATORS = ["high_impact_crime_weekly", "riot_online_weekly", "public_order_sentiment_weekly"]
VALUES = [7919.0, 6007.0, 0.0]
"""high_impact_crime and riot counts of the week; no sentiment rows at all (missing: 0.0)."""
SECRETS = ("7919", "6007", "791.9", str(7919 << 16))
"""The node's values in every form that must never leave it (value, rate, ring element)."""
PARTY_URLS = "http://party0.test,http://party1.test,http://party2.test"
HIC = Series("high_impact_crime", {MONDAY: 7919})
RIOTS = Series("riot", {MONDAY: 6007}, online_driven=True)
"""This week's counts in the node's own tables (one district of 100,000 residents)."""


@dataclass
class Parties:
    """Three fake compute parties: what they received and how they answer."""

    answers: dict[int, int | None] = field(default_factory=lambda: {0: 201, 1: 201, 2: 201})
    received: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Record the request; answer its party's status (None: the party is down)."""
        self.received.append(request)
        status = self.answers[index_of(request)]
        if status is None:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(status, json={"detail": "fake party"})


@dataclass
class Node:
    """A test client of the real node app and everything a test needs around it."""

    client: object
    url: str
    parties: Parties
    signers: dict[str, Signer]
    public_key: object
    bodies: list[str] = field(default_factory=list)

    def call(self, method: str, path: str, who: str | None = "self", **kwargs: object):
        """Send a request with a fresh token of who (self, other, hub or None)."""
        headers = {} if who is None else self.signers[who].headers(NODE_AUD)
        response = getattr(self.client, method)(path, headers=headers, **kwargs)
        self.bodies.append(response.get_data(as_text=True))
        return response

    def contribute(self, round_id: str = "weekly-2026-01-05-a1", indicators=INDICATORS):
        """POST contribute as the hub."""
        body = {"indicators": indicators, "period_start": MONDAY.isoformat()}
        return self.call("post", f"/api/v1/rounds/{round_id}/contribute", "hub", json=body)

    def opt_in(self, *indicators: str) -> None:
        """Opt in to indicators with the node's own token."""
        for indicator in indicators:
            assert self.call("put", f"/api/v1/opt-ins/{indicator}").status_code == 200


def index_of(request: httpx.Request) -> int:
    """The party index of a request, from its host (partyN.test)."""
    return int(request.url.host.removeprefix("party").removesuffix(".test"))


@pytest.fixture(scope="module")
def key_files(tmp_path_factory):
    """Private keys of this node, another node and the hub; this node's in a 0600 file."""
    folder = tmp_path_factory.mktemp("keys")
    private = {who: keys.generate_private_key() for who in ("self", "other", "hub")}
    keys.write_private_key(folder / "node.pem", private["self"])
    return folder / "node.pem", private


def registered(private) -> keys.KeySet:
    """The key set the node verifies with."""
    owners = {"self": ("node", GM), "other": ("node", OTHER_GM), "hub": ("hub", "hub")}
    return keys.KeySet(
        keys.RegisteredKey(keys.key_id(k.public_key()), k.public_key(), keys.KeyOwner(*owners[w]))
        for w, k in private.items()
    )


@pytest.fixture
def node(databases, key_files, caplog, reveals):
    """The real node app on a fresh migrated database, with fake parties."""
    url = databases.create()
    migrate.upgrade("node", url)
    put_node_data(url, HIC, RIOTS)
    key_file, private = key_files
    settings = NodeSettings.load(
        environ={}, municipality=GM, database_url=url, key_file=str(key_file), party_urls=PARTY_URLS
    )
    app = create_app(
        "node",
        settings,
        testing_config={"TESTING": True},
        key_source=StaticKeySource(registered(private)),
    )
    parties = Parties()
    client = httpx.Client(transport=httpx.MockTransport(parties.handle))
    app.extensions["samenbeeld.http"] = client
    signers = {
        "self": Signer(private["self"], role="node", member=GM),
        "other": Signer(private["other"], role="node", member=OTHER_GM),
        "hub": Signer(private["hub"], role="hub", member="hub"),
    }
    caplog.set_level(logging.DEBUG)
    node = Node(app.test_client(), url, parties, signers, private["self"].public_key())
    yield node
    for body in node.bodies:
        assert not reveals(body, SECRETS), body
    assert not reveals(caplog.text, SECRETS)
    client.close()
    db.dispose(app)


def audit(node: Node, **query: object) -> list[dict]:
    """The audit log as the node itself reads it."""
    response = node.call("get", "/api/v1/audit-log", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_contribute_sends_three_shares_that_reconstruct_the_local_vector(node):
    node.opt_in(*INDICATORS)
    response = node.contribute()
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["contributed"] is True and report["reason"] is None
    assert [p["outcome"] for p in report["parties"]] == ["accepted"] * 3
    received = sorted(node.parties.received, key=index_of)
    assert [index_of(r) for r in received] == [0, 1, 2]
    shares = []
    for party, request in enumerate(received):
        assert request.method == "PUT"
        assert request.url.path == "/api/v1/rounds/weekly-2026-01-05-a1/shares"
        assert request.headers["content-type"] == "application/octet-stream"
        token = request.headers["authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, node.public_key, algorithms=["EdDSA"],
                            audience=f"samenbeeld:party:{party}")  # fmt: skip
        assert (claims["role"], claims["municipality"]) == ("node", GM)
        header, _ = sharing.decode_payload(request.content)
        assert header.kind == ("vector" if party == 0 else "seed")
        assert header.cells == len(INDICATORS)
        context = sharing.ShareContext("weekly-2026-01-05-a1", party)
        assert header.context_id == context.context_id()
        shares.append(sharing.expand_share(request.content, context))
    with np.errstate(over="ignore"):
        total = shares[0] + shares[1] + shares[2]
    assert np.array_equal(total, np.array([v * 65536 for v in VALUES], dtype=np.int64))
    assert len({r.headers["authorization"] for r in received}) == 3  # a fresh token each


def test_every_upload_is_audited_with_the_hash_of_the_bytes_sent(node):
    node.opt_in(*INDICATORS)
    node.contribute()
    sent = {index_of(r): r.content for r in node.parties.received}
    rows = audit(node)
    assert sorted(row["party_index"] for row in rows) == [0, 1, 2]
    for row in rows:
        body = sent[row["party_index"]]
        assert row["sha256"] == hashlib.sha256(body).hexdigest()
        assert row["byte_count"] == len(body)
        assert row["status_code"] == 201
        assert row["round_id"] == "weekly-2026-01-05-a1"
        assert row["indicators"] == INDICATORS
    assert set(rows[0]) == {"id", "round_id", "indicators", "party_index", "sha256",
                            "byte_count", "status_code", "sent_at"}  # fmt: skip


def test_a_node_that_has_not_opted_in_to_every_indicator_sends_nothing(node):
    node.opt_in(*INDICATORS[:2])
    response = node.contribute()
    assert response.status_code == 200
    assert response.get_json() == {
        "round_id": "weekly-2026-01-05-a1",
        "contributed": False,
        "reason": "not opted in",
        "parties": [],
    }
    node.opt_in(INDICATORS[2])
    assert node.call("delete", f"/api/v1/opt-ins/{INDICATORS[0]}").status_code == 204
    assert node.contribute().get_json()["contributed"] is False
    assert node.parties.received == []
    assert audit(node) == []


def test_duplicates_and_failures_are_reported_per_party_and_audited(node):
    node.opt_in(*INDICATORS)
    node.parties.answers = {0: 201, 1: 409, 2: None}
    report = node.contribute().get_json()
    assert [(p["party"], p["outcome"], p["status_code"]) for p in report["parties"]] == [
        (0, "accepted", 201),
        (1, "duplicate", 409),
        (2, "failed", None),
    ]
    assert (report["contributed"], report["reason"]) == (False, "upload failed")
    assert sorted((r["party_index"], r["status_code"]) for r in audit(node)) == [
        (0, 201),
        (1, 409),
        (2, None),
    ]
    node.parties.answers = {0: 409, 1: 409, 2: 500}
    assert [p["outcome"] for p in node.contribute().get_json()["parties"]] == [
        "duplicate",
        "duplicate",
        "failed",
    ]


def test_a_retry_sends_the_same_bytes_so_shares_of_two_splits_never_mix(node):
    node.opt_in(*INDICATORS)
    node.parties.answers = {0: 201, 1: 201, 2: 503}
    node.contribute()
    first = [r.content for r in sorted(node.parties.received, key=index_of)]
    node.parties.received.clear()
    node.parties.answers = {0: 409, 1: 409, 2: 201}
    report = node.contribute().get_json()
    assert report["contributed"] is True
    assert [r.content for r in sorted(node.parties.received, key=index_of)] == first
    assert len(audit(node)) == 6


def test_a_retry_after_the_data_changed_is_refused(node):
    node.opt_in(*INDICATORS)
    node.parties.answers = {0: 201, 1: 201, 2: 503}
    node.contribute()
    put_node_data(node.url, Series("high_impact_crime", {MONDAY: 7920}), RIOTS)
    node.parties.received.clear()
    report = node.contribute().get_json()
    assert (report["contributed"], report["reason"]) == (
        False,
        "data changed since an earlier accepted upload",
    )
    assert node.parties.received == []


def test_the_audit_log_is_newest_first_and_paginated(node):
    node.opt_in(*INDICATORS)
    for n in range(3):
        node.contribute(round_id=f"round-{n}")
    rows = audit(node, limit=4)
    assert [r["round_id"] for r in rows] == ["round-2"] * 3 + ["round-1"]
    assert [r["round_id"] for r in audit(node, limit=4, offset=8)] == ["round-0"]
    assert audit(node, offset=10**9) == []
    # Past 64 bits the database driver overflowed: a 500 before the bound (schemathesis).
    for query in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": 2**70}):
        assert node.call("get", "/api/v1/audit-log", query_string=query).status_code == 422


def test_the_audit_log_and_opt_ins_are_for_the_nodes_own_token_only(node):
    for path in ("/api/v1/audit-log", "/api/v1/opt-ins"):
        assert node.call("get", path).status_code == 200
        assert node.call("get", path, "other").status_code == 403
        assert node.call("get", path, "hub").status_code == 403
        assert node.call("get", path, None).status_code == 401
    for who, status in (("other", 403), ("hub", 403), (None, 401)):
        assert node.call("put", f"/api/v1/opt-ins/{INDICATORS[0]}", who).status_code == status
    assert node.call("get", "/api/v1/opt-ins").get_json() == []


def test_only_the_hub_may_ask_for_a_contribution(node):
    node.opt_in(*INDICATORS)
    body = {"indicators": INDICATORS, "period_start": MONDAY.isoformat()}
    for who, status in (("self", 403), ("other", 403), (None, 401)):
        response = node.call("post", "/api/v1/rounds/r1/contribute", who, json=body)
        assert response.status_code == status
    assert node.parties.received == []


def test_opt_ins_are_idempotent_and_limited_to_the_catalog(node):
    node.opt_in(INDICATORS[1], INDICATORS[1], INDICATORS[0])
    listed = node.call("get", "/api/v1/opt-ins").get_json()
    assert [row["indicator"] for row in listed] == sorted(INDICATORS[:2])
    assert node.call("put", "/api/v1/opt-ins/no_such_indicator").status_code == 404
    assert node.call("delete", "/api/v1/opt-ins/no_such_indicator").status_code == 404
    assert node.call("delete", f"/api/v1/opt-ins/{INDICATORS[2]}").status_code == 204


def test_bad_contribute_requests_are_refused_without_sending(node):
    node.opt_in(*INDICATORS)
    bad_bodies = (
        {"indicators": [], "period_start": "2026-01-05"},
        {"indicators": ["Not A Code"], "period_start": "2026-01-05"},
        {"indicators": INDICATORS, "period_start": "2026-01-06"},  # a Tuesday
        {"indicators": INDICATORS[:1] * 2, "period_start": "2026-01-05"},
    )
    for body in bad_bodies:
        response = node.call("post", "/api/v1/rounds/r1/contribute", "hub", json=body)
        assert response.status_code == 422, body
    response = node.call("post", "/api/v1/rounds/bad round!/contribute", "hub",
                         json={"indicators": INDICATORS, "period_start": "2026-01-05"})  # fmt: skip
    assert response.status_code == 422
    assert node.parties.received == []


def reconstruct(node: Node, round_id: str) -> tuple[np.ndarray, int]:
    """The vector the three received shares add up to, and their precision bits."""
    received = sorted(node.parties.received, key=index_of)
    shares, precisions = [], set()
    for party, request in enumerate(received):
        header, _ = sharing.decode_payload(request.content)
        precisions.add(header.precision_bits)
        shares.append(sharing.expand_share(request.content, sharing.ShareContext(round_id, party)))
    assert len(shares) == 3 and len(precisions) == 1
    with np.errstate(over="ignore"):
        return shares[0] + shares[1] + shares[2], precisions.pop()


def contribute_as(node: Node, program: str, round_id: str, indicators=INDICATORS):
    """POST contribute for a round of ``program``."""
    body = {"indicators": indicators, "period_start": MONDAY.isoformat(), "program": program}
    return node.call("post", f"/api/v1/rounds/{round_id}/contribute", "hub", json=body)


def test_a_distribution_round_gets_one_hot_buckets_as_integers(node):
    """HIC 791.9 per 10,000 is above the last edge (10): bucket 5 of 6; riot 600.7: bucket 4
    of 5; no sentiment rows: the score 0 lies in bucket 2 of [-0.5, -0.2, 0.2, 0.5]."""
    node.opt_in(*INDICATORS)
    response = contribute_as(node, "histogram", "weekly-distribution-2026-01-05")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["contributed"] is True
    vector, precision = reconstruct(node, "weekly-distribution-2026-01-05")
    assert precision == 0
    expected = [0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 1] + [0, 0, 1, 0, 0]
    assert vector.tolist() == expected


def put_riot_history(url: str, weekly: int, weeks: int = 6) -> None:
    """Online riots and the same HIC count in each of the weeks before MONDAY, and MONDAY's."""
    earlier = [MONDAY - dt.timedelta(weeks=back) for back in range(1, weeks + 1)]
    hic = Series("high_impact_crime", dict.fromkeys(earlier, 7919) | HIC.counts)
    riots = Series("riot", dict.fromkeys(earlier, weekly) | RIOTS.counts, online_driven=True)
    put_node_data(url, hic, riots)


def test_a_spike_round_gets_the_nodes_own_spike_flags(node):
    """Six quiet weeks of riots (2 a week), then 6007: a spike; HIC stays level: none."""
    node.opt_in(*INDICATORS)
    assert contribute_as(node, "spike_count", "weekly-spikes-a").get_json()["contributed"]
    vector, _ = reconstruct(node, "weekly-spikes-a")
    assert vector.tolist() == [0, 0, 0]  # no history yet: no spike
    put_riot_history(node.url, weekly=2)
    node.parties.received.clear()
    assert contribute_as(node, "spike_count", "weekly-spikes-b").get_json()["contributed"]
    vector, precision = reconstruct(node, "weekly-spikes-b")
    assert (vector.tolist(), precision) == ([0, 1, 0], 0)


def test_a_distribution_round_needs_indicators_with_buckets(node):
    node.opt_in("undermining_weekly")
    response = contribute_as(node, "histogram", "r-nobuckets", ["undermining_weekly"])
    assert response.status_code == 422
    assert contribute_as(node, "moments", "r-moments").status_code == 422
    assert node.parties.received == []


def test_without_population_a_node_has_no_bucket_and_sends_nothing(node):
    with session_scope(node.url) as session:
        session.get(District, DISTRICT).population = 0
    node.opt_in(*INDICATORS)
    report = contribute_as(node, "histogram", "weekly-distribution-x").get_json()
    assert (report["contributed"], report["reason"]) == (
        False,
        "no bucket: a rate needs the districts' population",
    )
    assert node.parties.received == []
