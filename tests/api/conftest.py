"""Fixtures of the API tests: the real hub app and one real node app, in process, and a
hub whose release register has rounds released through signed party reports.

The node's outbound HTTP client reaches the hub app through :class:`RecordingHub`, a
transport that keeps every request it is sent, so a test can assert on exactly what the
hub was asked (and that no value was in it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from factories import (
    NOISY,
    NOISY_POLICY,
    REGISTERED,
    bearer,
    catalog_in_use,
    new_hub,
    release_round,
    user_token,
    write_catalog,
)
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.api.auth import StaticKeySource
from samenbeeld.platform import keys, migrate
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.settings import HubSettings, NodeSettings
from samenbeeld.platform.tokens import Signer

NODE_CODE, NODE_NAME = "GM0758", "Breda"
"""The municipality whose node runs beside the hub."""


@dataclass
class RecordingHub(httpx.BaseTransport):
    """The real hub app behind a transport that keeps every request it is sent."""

    app: object
    requests: list[httpx.Request] = field(default_factory=list)
    down: bool = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.WSGITransport(app=self.app).handle_request(request)


@dataclass(frozen=True)
class HubAndNodeDatabases:
    """Migrated hub and node databases, their key files, Breda's node registered at the hub."""

    hub_url: str
    node_url: str
    keys_folder: Path
    hub_key: keys.Ed25519PrivateKey


@dataclass
class InProcessFederation:
    """Test clients of the hub and the node, and what the node sent the hub."""

    hub: FlaskClient
    node: FlaskClient
    outbound: RecordingHub
    databases: HubAndNodeDatabases

    def user(self, role: str = "municipality", town: str = NODE_CODE) -> dict[str, str]:
        """Headers with a hub-signed user token; only a municipality user has a town."""
        hub_key = self.databases.hub_key
        return bearer(user_token(hub_key, role, town, subject=f"test-{role}-{town}"))


@pytest.fixture(scope="module")
def hub_and_node_databases(databases, tmp_path_factory) -> HubAndNodeDatabases:
    """Fresh hub and node databases for one module, with keys and the node's registration."""
    folder = tmp_path_factory.mktemp("keys")
    node_key = keys.generate_private_key()
    keys.write_private_key(folder / "node.pem", node_key)
    breda = ("node", NODE_CODE, NODE_NAME, node_key.public_key())
    hub, hub_key = new_hub(databases.create(), folder, [breda])
    node_url = databases.create()
    migrate.upgrade("node", node_url)
    return HubAndNodeDatabases(hub.database_url, node_url, folder, hub_key)


@pytest.fixture(scope="module")
def start_federation(
    hub_and_node_databases: HubAndNodeDatabases,
) -> Callable[[], AbstractContextManager[InProcessFederation]]:
    """``with start_federation() as federation``: both apps on the module's databases."""
    dbs = hub_and_node_databases

    @contextmanager
    def start() -> Iterator[InProcessFederation]:
        hub_settings = HubSettings.load(
            environ={}, database_url=dbs.hub_url, key_file=str(dbs.keys_folder / "hub.pem")
        )
        node_settings = NodeSettings.load(
            environ={},
            database_url=dbs.node_url,
            municipality=NODE_CODE,
            key_file=str(dbs.keys_folder / "node.pem"),
            hub_url="http://hub.test",
        )
        hub_app = create_app("hub", hub_settings)
        hub_public = keys.RegisteredKey(
            keys.key_id(dbs.hub_key.public_key()),
            dbs.hub_key.public_key(),
            keys.KeyOwner("hub", "hub"),
        )
        node_app = create_app(
            "node", node_settings, key_source=StaticKeySource(keys.KeySet([hub_public]))
        )
        outbound = RecordingHub(hub_app)
        node_app.extensions["samenbeeld.http"] = httpx.Client(transport=outbound)
        try:
            yield InProcessFederation(hub_app.test_client(), node_app.test_client(), outbound, dbs)
        finally:
            db.dispose(node_app)
            db.dispose(hub_app)

    return start


@dataclass(frozen=True)
class RegisterHub:
    """A hub database whose rounds were released as REGISTERED says, and its keys."""

    settings: HubSettings
    hub_key: keys.Ed25519PrivateKey
    party_keys: list[keys.Ed25519PrivateKey]
    node_signer: Signer


@pytest.fixture(scope="module")
def register_hub(databases, tmp_path_factory) -> Iterator[RegisterHub]:
    """REGISTERED released through three signed reports each, on a catalog where NOISY has
    NOISY_POLICY (this process reads that catalog until the module ends)."""
    folder = tmp_path_factory.mktemp("register")
    party_keys = [keys.generate_private_key() for _ in range(3)]
    node_key = keys.generate_private_key()
    members = [
        ("party", str(i), f"party {i}", key.public_key()) for i, key in enumerate(party_keys)
    ]
    members.append(("node", NODE_CODE, NODE_NAME, node_key.public_key()))
    with catalog_in_use(write_catalog(folder, {NOISY: NOISY_POLICY})):
        settings, hub_key = new_hub(databases.create(), folder, members)
        with session_scope(settings.database_url) as session:
            for round_id, (codes, monday, program, failed, result) in REGISTERED.items():
                release_round(session, party_keys, round_id, codes, monday, result,
                              program=program, failed_attempts=failed)  # fmt: skip
        yield RegisterHub(
            settings, hub_key, party_keys, Signer(node_key, role="node", member=NODE_CODE)
        )
