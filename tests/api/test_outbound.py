"""The app's outbound HTTP client (one per app, the injection seam) and its own signer."""

from __future__ import annotations

import httpx
import jwt
import pytest

from samenbeeld.api import outbound
from samenbeeld.api.app import create_app
from samenbeeld.platform import keys
from samenbeeld.platform.settings import SETTINGS_BY_ROLE


def app_of(role: str, tmp_path):
    """An app of role with a key file of its own (nothing touches a database)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    key_file = tmp_path / f"{role}.pem"
    keys.write_private_key(key_file, keys.generate_private_key())
    extra = {"municipality": "GM0758"} if role == "node" else {}
    settings = SETTINGS_BY_ROLE[role].load(environ={}, data_dir=tmp_path, key_file=str(key_file),
                                           **extra)  # fmt: skip
    return create_app(role, settings)


def test_each_app_creates_one_client_on_first_use(tmp_path):
    first, second = app_of("hub", tmp_path / "a"), app_of("hub", tmp_path / "b")
    with first.app_context():
        client = outbound.http_client()
        assert outbound.http_client() is client
        assert first.extensions[outbound.EXTENSION] is client
    with second.app_context():
        assert outbound.http_client() is not client


def test_an_injected_client_is_the_one_used(tmp_path):
    app = app_of("party", tmp_path)
    injected = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    app.extensions[outbound.EXTENSION] = injected
    with app.app_context():
        assert outbound.http_client() is injected


@pytest.mark.parametrize(("role", "member"), [("hub", "hub"), ("node", "GM0758"), ("party", "0")])
def test_the_signer_signs_as_the_apps_role_and_member(tmp_path, role, member):
    with app_of(role, tmp_path).app_context():
        headers = outbound.own_signer().headers("samenbeeld:hub:hub")
    token = headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["role"], claims["sub"]) == (role, member)
