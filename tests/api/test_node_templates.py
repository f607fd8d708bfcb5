"""Adopting a pilot template on a node: opt-ins, the local record and the hub's, all or nothing.

Two halves: the node app in-process with the hub as an ``httpx.MockTransport`` (every way the
hub can fail), and a real hub and a real node as OS processes talking HTTP (``Cluster``).
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field

import httpx
import jwt
import pytest
from sqlalchemy import select

from factories import user_headers
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.api.auth import StaticKeySource
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.platform import keys, migrate
from samenbeeld.platform import templates as rules
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.node import OptIn, TemplateAdoption
from samenbeeld.platform.settings import NodeSettings, audience_for

BREDA, TILBURG = "GM0758", "GM0855"
HUB = "http://hub.test"


# In-process: the hub is a MockTransport in the node's injected client.


@dataclass
class FakeHub:
    """Answers the node's two calls: the version fetch and the adoption report."""

    indicators: list[str]
    fetch: int = 200
    report: int | None = 201
    """None: the hub does not answer the report."""
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "GET":
            body = {"state": "published", "indicators": self.indicators, "detail": "no such"}
            return httpx.Response(self.fetch, json=body)
        if self.report is None:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(self.report, json={"detail": "version 1.0.0 is deprecated"})


@pytest.fixture(scope="module")
def node_setup(databases, tmp_path_factory):
    """A migrated node database for Breda, its key file and the hub's user-signing key."""
    url = databases.create()
    migrate.upgrade("node", url)
    folder = tmp_path_factory.mktemp("node-keys")
    keys.write_private_key(folder / "node.pem", keys.generate_private_key())
    settings = NodeSettings.load(
        environ={},
        municipality=BREDA,
        database_url=url,
        key_file=str(folder / "node.pem"),
        hub_url=HUB,
    )
    return settings, keys.generate_private_key()


@pytest.fixture
def node(node_setup):
    """(make, hub_key): make(fake_hub) gives a test client of the real node app."""
    settings, hub_key = node_setup
    public = hub_key.public_key()
    hub_owner = keys.KeyOwner("hub", "hub")
    source = StaticKeySource(
        keys.KeySet([keys.RegisteredKey(keys.key_id(public), public, hub_owner)])
    )
    apps = []

    def make(fake: FakeHub):
        app = create_app("node", settings, key_source=source)
        app.extensions["samenbeeld.http"] = httpx.Client(transport=httpx.MockTransport(fake.handle))
        apps.append(app)
        return app.test_client()

    yield make, hub_key
    for app in apps:
        db.dispose(app)


def node_state(url: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The node's opt-ins and adopted (template, version) pairs, read from its database."""
    with session_scope(url) as session:
        opted = set(session.scalars(select(OptIn.indicator)))
        adopted = {(row.template, row.version) for row in session.scalars(select(TemplateAdoption))}
    return opted, adopted


def test_adoption_fetches_the_version_opts_in_and_reports_with_the_nodes_token(node, node_setup):
    make, hub_key = node
    slug, indicators = f"t-{uuid.uuid4().hex[:8]}", ["drugs_weekly", "events_weekly"]
    fake = FakeHub(indicators)
    client = make(fake)
    response = client.post(
        f"/api/v1/templates/{slug}/adopt",
        json={"version": "1.0.0"},
        headers=user_headers(hub_key, BREDA),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["indicators"] == indicators
    fetch, report = fake.requests
    assert (fetch.method, str(fetch.url)) == (
        "GET",
        f"{HUB}/api/v1/templates/{slug}/versions/1.0.0",
    )
    assert (report.method, str(report.url)) == ("POST", f"{HUB}/api/v1/templates/{slug}/adoptions")
    assert json.loads(report.content) == {"version": "1.0.0"}
    for request in fake.requests:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["role"], claims["sub"], claims["aud"]) == (
            "node",
            BREDA,
            "samenbeeld:hub:hub",
        )
    opted, adopted = node_state(node_setup[0].effective_database_url)
    assert set(indicators) <= opted and (slug, "1.0.0") in adopted
    listed = client.get(
        "/api/v1/templates/adopted", headers=user_headers(hub_key, "national_partner")
    )
    adopted = {(a["template"], a["version"]): a["indicators"] for a in listed.get_json()}
    assert adopted[(slug, "1.0.0")] == indicators


@pytest.mark.parametrize(
    ("fetch", "report", "expected", "reported"),
    [
        (404, 201, 404, False),  # the hub has no such (visible) version
        (200, 409, 409, True),  # the hub refuses the report: deprecated
        (200, 500, 502, True),  # the hub fails
        (200, None, 502, True),  # the hub does not answer the report
    ],
)
def test_when_the_hub_refuses_or_fails_nothing_changes_on_the_node(
    node, node_setup, fetch, report, expected, reported
):
    make, hub_key = node
    url = node_setup[0].effective_database_url
    before = node_state(url)
    fake = FakeHub(["domestic_violence_weekly", "cybercrime_weekly"], fetch=fetch, report=report)
    response = make(fake).post(
        f"/api/v1/templates/refused-{fetch}-{str(report).lower()}/adopt",
        json={"version": "1.0.0"},
        headers=user_headers(hub_key, BREDA),
    )
    assert response.status_code == expected, response.get_json()
    assert response.get_json()["detail"].startswith("the hub")
    assert (len(fake.requests) == 2) is reported
    assert node_state(url) == before


def test_an_indicator_the_node_does_not_know_stops_adoption_before_the_hub_hears_of_it(
    node, node_setup
):
    make, hub_key = node
    url = node_setup[0].effective_database_url
    before = node_state(url)
    fake = FakeHub(["liveability_weekly", "not_in_this_nodes_catalog"])
    response = make(fake).post(
        "/api/v1/templates/too-new/adopt",
        json={"version": "1.0.0"},
        headers=user_headers(hub_key, BREDA),
    )
    assert response.status_code == 404
    assert [r.method for r in fake.requests] == ["GET"]
    assert node_state(url) == before


@pytest.mark.parametrize(("who", "expected"), [(TILBURG, 403), ("vng", 403), (None, 401)])
def test_only_this_municipalitys_users_adopt_here(node, node_setup, who, expected):
    make, hub_key = node
    fake = FakeHub(["drugs_weekly"])
    headers = user_headers(hub_key, who) if who else {}
    response = make(fake).post(
        "/api/v1/templates/digikamer/adopt", json={"version": "1.0.0"}, headers=headers
    )
    assert response.status_code == expected
    assert fake.requests == []


# Real processes: the hub and Breda's node as `samenbeeld <role> serve`, talking HTTP.


@pytest.fixture(scope="module")
def cluster(databases, tmp_path_factory):
    """Hub, parties and Breda's node as processes, hub and node on the backend under test."""
    folder = tmp_path_factory.mktemp("cluster")
    urls = {"hub": databases.create(), BREDA: databases.create()}
    with Cluster(folder, [BREDA], database_urls=urls) as running:
        yield running


@pytest.fixture
def live(cluster):
    """(http client, hub URL, node URL, headers(who)) for the running cluster."""
    hub_key = keys.read_private_key(cluster.hub.settings.effective_key_file)

    def headers(who: str) -> dict[str, str]:
        if who == "node":  # the node's own service token, for its opt-ins
            return cluster.signer(BREDA).headers(audience_for("node", BREDA))
        return user_headers(hub_key, who)

    with httpx.Client(timeout=30) as http:
        yield http, cluster.hub.url, cluster.services[BREDA].url, headers


def adopt(live, slug: str, who: str) -> httpx.Response:
    """who adopts version 1.0.0 of slug on the node."""
    http, _, node_url, headers = live
    url = f"{node_url}/api/v1/templates/{slug}/adopt"
    return http.post(url, json={"version": "1.0.0"}, headers=headers(who))


def opt_ins(live) -> set[str]:
    http, _, node_url, headers = live
    response = http.get(f"{node_url}/api/v1/opt-ins", headers=headers("node"))
    assert response.status_code == 200
    return {row["indicator"] for row in response.json()}


def test_adopting_on_a_real_node_opts_it_in_and_the_hub_lists_the_adoption(live):
    http, hub_url, node_url, headers = live
    slug = "event-safety-monitor"
    published = http.get(f"{hub_url}/api/v1/templates/{slug}", headers=headers("national_partner"))
    assert published.status_code == 200
    indicators = published.json()["indicators"]
    assert not set(indicators) <= opt_ins(live)
    response = adopt(live, slug, BREDA)
    assert response.status_code == 201, response.text
    assert response.json()["indicators"] == indicators
    assert set(indicators) <= opt_ins(live)
    adoptions = http.get(f"{hub_url}/api/v1/templates/adoptions", headers=headers(TILBURG)).json()
    assert [(a["municipality"], a["version"]) for a in adoptions if a["template"] == slug] == [
        (BREDA, "1.0.0")
    ]
    adopted = http.get(f"{node_url}/api/v1/templates/adopted", headers=headers(BREDA)).json()
    assert [(a["template"], a["version"]) for a in adopted] == [(slug, "1.0.0")]


def test_a_user_of_another_city_cannot_adopt_on_this_node(live):
    before = opt_ins(live)
    response = adopt(live, "digikamer", TILBURG)
    assert response.status_code == 403
    assert opt_ins(live) == before


def test_when_the_real_hub_refuses_the_node_is_left_unchanged(live):
    """VNG deprecates a version; the node fetches it, but the hub refuses the adoption."""
    http, hub_url, node_url, headers = live
    (digikamer,) = [t for t in rules.load_builtin_templates() if t.slug == "digikamer"]
    document = copy.deepcopy(digikamer.document)
    document["indicators"] = [{"code": "domestic_violence_weekly", "purpose": "Refusal test."}]
    slug = f"retired-{uuid.uuid4().hex[:8]}"
    vng = headers("vng")
    base = f"{hub_url}/api/v1/templates"
    assert (
        http.post(base, json={"slug": slug, "document": document}, headers=vng).status_code == 201
    )
    for step in ("submit", "publish", "deprecate"):
        assert http.post(f"{base}/{slug}/versions/1.0.0/{step}", headers=vng).status_code == 200
    before = opt_ins(live)
    response = adopt(live, slug, BREDA)
    assert response.status_code == 409
    assert "deprecated" in response.json()["detail"]
    assert opt_ins(live) == before and "domestic_violence_weekly" not in before
    adopted = http.get(f"{node_url}/api/v1/templates/adopted", headers=headers(BREDA)).json()
    assert slug not in {a["template"] for a in adopted}
    assert http.get(f"{base}/{slug}/adoptions", headers=headers(TILBURG)).json() == []
