"""Ed25519 service keys: PEM files, JWK and JWKS, and the key set of members."""

from __future__ import annotations

import datetime as dt
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.utils import base64url_decode

from samenbeeld.platform import keys
from samenbeeld.platform.errors import ConfigurationError, ConflictError, InvalidInputError
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey
from samenbeeld.platform.replay import MemoryReplayStore
from samenbeeld.platform.tokens import TokenVerifier, issue_token

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
# RFC 8037, appendix A.1-A.3: an Ed25519 key, its public "x" and its RFC 7638 thumbprint.
RFC_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def registered(role: str = "node", member: str = "GM0758") -> RegisteredKey:
    """A fresh key registered under its thumbprint for (role, member)."""
    public = keys.generate_private_key().public_key()
    return RegisteredKey(keys.key_id(public), public, KeyOwner(role, member))


def test_private_key_file_is_owner_only_and_round_trips(tmp_path):
    key, path = keys.generate_private_key(), tmp_path / "node.pem"
    keys.write_private_key(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = keys.read_private_key(path)
    assert loaded.public_key() == key.public_key()


def test_a_private_key_file_is_never_overwritten(tmp_path):
    path = tmp_path / "node.pem"
    keys.write_private_key(path, keys.generate_private_key())
    before = path.read_bytes()
    with pytest.raises(ConflictError, match="refusing to overwrite"):
        keys.write_private_key(path, keys.generate_private_key())
    assert path.read_bytes() == before


def test_a_private_key_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "node.pem"
    keys.write_private_key(path, keys.generate_private_key())
    path.chmod(0o640)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        keys.read_private_key(path)


def test_public_key_file_round_trips(tmp_path):
    public, path = keys.generate_private_key().public_key(), tmp_path / "node.pub"
    keys.write_public_key(path, public)
    assert path.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert keys.read_public_key(path) == public


def test_a_non_ed25519_pem_is_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pub"
    ec_public = ec.generate_private_key(ec.SECP256R1()).public_key()
    path.write_bytes(
        ec_public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(ConfigurationError, match="Ed25519"):
        keys.read_public_key(path)


def test_jwk_matches_rfc_8037():
    key = Ed25519PrivateKey.from_private_bytes(base64url_decode(RFC_D))
    public = key.public_key()
    assert keys.key_id(public) == RFC_THUMBPRINT
    jwk = keys.public_jwk(RegisteredKey(RFC_THUMBPRINT, public, KeyOwner("party", "2")))
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": RFC_X,
        "kid": RFC_THUMBPRINT,
        "use": "sig",
        "alg": "EdDSA",
        "role": "party",
        "member": "2",
    }


def test_jwks_round_trips_and_verifies_tokens():
    private = keys.generate_private_key()
    public = private.public_key()
    entries = [RegisteredKey(keys.key_id(public), public, KeyOwner("node", "GM0758"))]
    entries += [registered("party", "0"), registered("hub", "hub")]
    document = json.loads(json.dumps(KeySet(entries).to_jwks()))
    key_set = KeySet.from_jwks(document)
    assert [(k.kid, k.owner, k.public_key) for k in key_set] == [
        (k.kid, k.owner, k.public_key) for k in entries
    ]
    token = issue_token(
        private, entries[0].kid, role="node", member="GM0758", audience="hub", now=NOW
    )
    identity = TokenVerifier(key_set, "hub", MemoryReplayStore()).verify(token, now=NOW)
    assert identity.municipality == "GM0758"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"kty": "RSA"}, "kty must be OKP"),
        ({"crv": "X25519"}, "crv must be Ed25519"),
        ({"alg": "RS256"}, "alg must be EdDSA"),
        ({"use": "enc"}, "use must be sig"),
        ({"x": RFC_X[:20]}, "x is not"),
        ({"kid": ""}, "kid must be"),
        ({"role": "admin"}, "unknown role"),
        ({"member": "GM758"}, "not a valid member code"),
    ],
)
def test_a_malformed_jwk_is_refused_with_its_reason(change, reason):
    jwk = keys.public_jwk(registered()) | change
    with pytest.raises(ConfigurationError, match=f"keys.0: {reason}"):
        KeySet.from_jwks({"keys": [jwk]})


def test_use_and_alg_are_optional_in_a_jwk():
    jwk = keys.public_jwk(registered())
    del jwk["use"], jwk["alg"]
    assert len(KeySet.from_jwks({"keys": [jwk]})) == 1


def test_a_jwks_without_a_key_list_or_with_a_duplicate_kid_is_refused():
    with pytest.raises(ConfigurationError, match="keys must be a list"):
        KeySet.from_jwks({"keys": {}})
    jwk = keys.public_jwk(registered())
    with pytest.raises(ConfigurationError, match="appears twice"):
        KeySet.from_jwks({"keys": [jwk, jwk]})


@pytest.mark.parametrize(
    ("role", "member"),
    [("node", "0758"), ("node", "GM0758\n"), ("party", "3"), ("hub", "GM0758"), ("admin", "x")],
)
def test_key_owners_are_checked(role, member):
    with pytest.raises(InvalidInputError):
        KeyOwner(role, member)


def test_key_set_lookup_by_kid():
    entry = registered()
    key_set = KeySet([entry])
    assert key_set.get(entry.kid) is entry
    assert key_set.get("other") is None and key_set.get(None) is None
