"""The operator commands the runbook uses: `keys create`, `keys token`, `hub register`."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from samenbeeld.api.cli import main
from samenbeeld.platform import migrate
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.keys import KeySet, key_id, read_public_key
from samenbeeld.platform.models.hub import Member
from samenbeeld.platform.replay import MemoryReplayStore
from samenbeeld.platform.tokens import TokenVerifier


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Invoke the CLI with a data dir of its own and no ambient configuration."""
    for name in ("SAMENBEELD_CONFIG", "SAMENBEELD_DATABASE_URL", "SAMENBEELD_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAMENBEELD_DATA_DIR", str(tmp_path))

    def invoke(*args: str, stdin: bytes | None = None):
        return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)

    return invoke


@pytest.fixture
def hub_url(tmp_path):
    """The hub's SQLite database, migrated to head with the project's migrations."""
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    migrate.upgrade("hub", url)
    return url


def members(url: str) -> dict[str, Member]:
    """The hub's registry, by code."""
    with session_scope(url) as session:
        rows = session.scalars(select(Member)).all()
        session.expunge_all()
    return {row.code: row for row in rows}


def test_keys_create_writes_a_private_key_only_its_owner_reads(run, tmp_path):
    out = tmp_path / "gm0758.pem"
    result = run("keys", "create", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    public = read_public_key(tmp_path / "gm0758.pub.pem")
    jwk = json.loads(result.stdout.splitlines()[0])
    assert jwk["kid"] == key_id(public)
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and "d" not in jwk
    assert "PRIVATE" not in result.stdout


def test_keys_create_refuses_to_overwrite(run, tmp_path):
    out = tmp_path / "party-0.pem"
    assert run("keys", "create", "--out", str(out)).exit_code == 0
    before = out.read_bytes()
    result = run("keys", "create", "--out", str(out))
    assert result.exit_code == 2 and "refusing to overwrite" in result.output
    assert out.read_bytes() == before


def test_keys_create_refuses_when_only_the_public_file_exists(run, tmp_path):
    (tmp_path / "k.pub.pem").write_text("old")
    result = run("keys", "create", "--out", str(tmp_path / "k.pem"))
    assert result.exit_code == 2
    assert not (tmp_path / "k.pem").exists()


def test_register_a_node_then_rotate_its_key(run, tmp_path, hub_url, monkeypatch):
    monkeypatch.setenv("SAMENBEELD_DATABASE_URL", hub_url)
    first, second = tmp_path / "a.pem", tmp_path / "b.pem"
    kid_a = json.loads(run("keys", "create", "--out", str(first)).stdout)["kid"]
    kid_b = json.loads(run("keys", "create", "--out", str(second)).stdout)["kid"]
    args = ("hub", "register", "--role", "node", "--member", "GM0758", "--name", "Breda")
    result = run(*args, "--public-key", str(tmp_path / "a.pub.pem"))
    assert result.exit_code == 0, result.output
    assert f"registered GM0758 (Breda) with key {kid_a}" in result.output
    result = run(*args, "--public-key", "-", stdin=(tmp_path / "b.pub.pem").read_bytes())
    assert result.exit_code == 0, result.output
    row = members(hub_url)["GM0758"]
    jwk = json.loads(row.public_key)
    assert (row.kind, row.name, row.active) == ("node", "Breda", True)
    assert (jwk["kid"], jwk["role"], jwk["member"]) == (kid_b, "node", "GM0758")


def test_register_a_party(run, tmp_path, hub_url, monkeypatch):
    monkeypatch.setenv("SAMENBEELD_DATABASE_URL", hub_url)
    run("keys", "create", "--out", str(tmp_path / "p.pem"))
    result = run(
        "hub", "register", "--role", "party", "--member", "2", "--name", "Operator C",
        "--public-key", str(tmp_path / "p.pub.pem"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(members(hub_url)["party-2"].public_key)["member"] == "2"


@pytest.mark.parametrize(
    ("role", "member", "public_key", "message"),
    [
        ("node", "Breda", None, "not a valid member code"),
        ("party", "3", None, "not a valid member code"),
        ("node", "GM0758", b"not a key", "not a PEM public key"),
    ],
)
def test_register_refuses_bad_input(
    run, tmp_path, hub_url, monkeypatch, role, member, public_key, message
):
    monkeypatch.setenv("SAMENBEELD_DATABASE_URL", hub_url)
    run("keys", "create", "--out", str(tmp_path / "k.pem"))
    pem = public_key if public_key is not None else (tmp_path / "k.pub.pem").read_bytes()
    result = run(
        "hub", "register", "--role", role, "--member", member, "--name", "X",
        "--public-key", "-", stdin=pem,
    )  # fmt: skip
    assert result.exit_code == 2 and message in result.output
    assert members(hub_url) == {}


def test_register_needs_a_migrated_hub_database(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SAMENBEELD_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    run("keys", "create", "--out", str(tmp_path / "k.pem"))
    result = run(
        "hub", "register", "--role", "node", "--member", "GM0758", "--name", "Breda",
        "--public-key", str(tmp_path / "k.pub.pem"),
    )  # fmt: skip
    assert result.exit_code == 2 and "samenbeeld db upgrade --role hub" in result.output


def test_keys_token_is_accepted_by_the_node_once_registered(run, tmp_path, hub_url, monkeypatch):
    monkeypatch.setenv("SAMENBEELD_DATABASE_URL", hub_url)
    key = tmp_path / "gm0758.pem"
    run("keys", "create", "--out", str(key))
    run(
        "hub", "register", "--role", "node", "--member", "GM0758", "--name", "Breda",
        "--public-key", str(tmp_path / "gm0758.pub.pem"),
    )  # fmt: skip
    audience = "samenbeeld:node:GM0758"
    result = run(
        "keys", "token", "--key", str(key), "--role", "node", "--member", "GM0758",
        "--audience", audience,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    registry = KeySet.from_jwks({"keys": [json.loads(members(hub_url)["GM0758"].public_key)]})
    identity = TokenVerifier(registry, audience, MemoryReplayStore()).verify(result.stdout.strip())
    assert (identity.role, identity.member) == ("node", "GM0758")
