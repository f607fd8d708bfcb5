"""GET /health on every role, on SQLite and PostgreSQL, and 503 when the database is down."""

from __future__ import annotations

import pytest

from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.platform.settings import HubSettings, NodeSettings, PartySettings

PASSWORD = "s3cret-pw"


@pytest.fixture
def health(request):
    """GET /health on a fresh app for settings; the app's engine is disposed afterwards."""
    apps = []

    def get(role, settings):
        apps.append(create_app(role, settings))
        return apps[-1].test_client().get("/health")

    yield get
    for app in apps:
        db.dispose(app)


def test_node_health(health, node_url):
    settings = NodeSettings.load(environ={}, municipality="GM0758", database_url=node_url)
    response = health("node", settings)
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "role": "node",
        "database": "ok",
        "municipality": "GM0758",
    }


def test_party_health(health, party_url):
    response = health("party", PartySettings.load(environ={}, index=2, database_url=party_url))
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "role": "party", "database": "ok", "index": 2}


def test_hub_health(health, hub_url):
    response = health("hub", HubSettings.load(environ={}, database_url=hub_url))
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "role": "hub", "database": "ok"}


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_health_is_503_when_the_database_does_not_answer(health, tmp_path, backend):
    url = {
        "postgresql": f"postgresql+psycopg://samenbeeld:{PASSWORD}@127.0.0.1:1/gone",
        "sqlite": f"sqlite:///{tmp_path}",  # a folder: SQLite cannot open it
    }[backend]
    response = health("hub", HubSettings.load(environ={}, database_url=url))
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["detail"] == "the hub database does not answer"
    assert PASSWORD not in response.text and str(tmp_path) not in response.text
