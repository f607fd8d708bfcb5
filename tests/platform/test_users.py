"""User tokens: the hub's own and an OpenID Connect provider's, verified with PyJWT."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa

from samenbeeld.api.cli import main
from samenbeeld.platform import keys
from samenbeeld.platform.errors import AuthenticationError, InvalidInputError, PermissionDeniedError
from samenbeeld.platform.users import (
    HUB_ISSUER,
    USER_AUDIENCE,
    OidcConfig,
    User,
    UserTokenVerifier,
    issue_user_token,
)

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
ISSUER = "https://login.example.nl/realms/gemeenten"


@pytest.fixture(scope="module")
def hub_key():
    return keys.generate_private_key()


def hub_verifier(hub_key, oidc=None):
    public = hub_key.public_key()
    return UserTokenVerifier(lambda: {keys.key_id(public): public}, oidc)


def hub_token(hub_key, **claims):
    kid = keys.key_id(hub_key.public_key())
    return issue_user_token(hub_key, kid, now=claims.pop("now", NOW), **claims)


def test_hub_token_round_trip(hub_key):
    token = hub_token(hub_key, subject="analist", role="municipality", municipality="GM0758")
    user = hub_verifier(hub_key).verify(token, now=NOW)
    assert user == User("analist", "municipality", "GM0758", HUB_ISSUER)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"role": "municipality"}, "municipality"),
        ({"role": "vng", "municipality": "GM0758"}, "municipality"),
        ({"role": "burgemeester"}, "role"),
        ({"role": "municipality", "municipality": "0758"}, "CBS code"),
        ({"role": "vng", "ttl_seconds": 31 * 24 * 3600}, "ttl"),
    ],
)
def test_issue_refuses_bad_claims(hub_key, claims, message):
    with pytest.raises(InvalidInputError, match=message):
        hub_token(hub_key, subject="x", **claims)


def test_expired_and_future_tokens_are_refused(hub_key):
    token = hub_token(hub_key, subject="p", role="national_partner", ttl_seconds=60)
    verifier = hub_verifier(hub_key)
    assert verifier.verify(token, now=NOW + dt.timedelta(seconds=60)).role == "national_partner"
    with pytest.raises(AuthenticationError, match="expired"):
        verifier.verify(token, now=NOW + dt.timedelta(minutes=5))
    with pytest.raises(AuthenticationError, match="not valid yet"):
        verifier.verify(token, now=NOW - dt.timedelta(minutes=5))


def test_token_of_another_key_is_refused(hub_key):
    other = keys.generate_private_key()
    forged = issue_user_token(
        other, keys.key_id(hub_key.public_key()), subject="x", role="admin", now=NOW
    )
    with pytest.raises(AuthenticationError, match="signature"):
        hub_verifier(hub_key).verify(forged, now=NOW)


def test_role_escalation_by_editing_claims_is_refused(hub_key):
    token = hub_token(hub_key, subject="p", role="national_partner")
    header, payload, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims.update(role="municipality", municipality="GM0758")
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(AuthenticationError, match="signature"):
        hub_verifier(hub_key).verify(f"{header}.{forged_payload}.{signature}", now=NOW)


def test_service_token_is_not_a_user_token(hub_key):
    from samenbeeld.platform.tokens import Signer

    service = Signer(hub_key, role="hub", member="hub").token("samenbeeld:hub:hub")
    with pytest.raises(AuthenticationError, match="issuer"):
        hub_verifier(hub_key).verify(service)


def test_alg_none_and_garbage_are_refused(hub_key):
    unsigned = jwt.encode(
        {"iss": HUB_ISSUER, "aud": USER_AUDIENCE, "sub": "x", "role": "admin"}, None, "none"
    )
    with pytest.raises(AuthenticationError):
        hub_verifier(hub_key).verify(unsigned)
    with pytest.raises(AuthenticationError, match="malformed"):
        hub_verifier(hub_key).verify("not-a-token")


def test_user_permissions():
    partner = User("p", "national_partner", None, HUB_ISSUER)
    with pytest.raises(PermissionDeniedError):
        partner.require("vng", "admin")
    breda = User("b", "municipality", "GM0758", HUB_ISSUER)
    breda.require_municipality("GM0758")
    with pytest.raises(PermissionDeniedError):
        breda.require_municipality("GM0363")
    with pytest.raises(PermissionDeniedError):
        User("a", "admin", None, HUB_ISSUER).require_municipality("GM0758")


# --- an OpenID Connect provider: its JWKS served over real HTTP --------------------------


@pytest.fixture(scope="module")
def provider():
    """An RSA key and a JWKS endpoint on a loopback port, as an identity provider has."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid="idp-1", use="sig", alg="RS256")
    body = json.dumps({"keys": [jwk]}).encode()
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200 if self.path == "/jwks" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = OidcConfig(
        ISSUER, "samenbeeld-dashboard", f"http://127.0.0.1:{server.server_port}/jwks"
    )
    yield private, config, hits
    server.shutdown()
    server.server_close()


def idp_token(private, **overrides):
    claims = {
        "iss": ISSUER,
        "aud": "samenbeeld-dashboard",
        "sub": "f3a1",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 600,
        "samenbeeld_role": "municipality",
        "samenbeeld_municipality": "GM0363",
    }
    claims.update(overrides)
    kid = claims.pop("kid", "idp-1")
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})


def test_oidc_token_is_verified_against_the_providers_jwks(hub_key, provider):
    private, config, hits = provider
    user = hub_verifier(hub_key, config).verify(idp_token(private), now=NOW)
    assert user == User("f3a1", "municipality", "GM0363", ISSUER)
    assert "/jwks" in hits


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "another-app"}, "audience"),
        ({"kid": "idp-unknown"}, "unknown key"),
        ({"samenbeeld_role": "superuser"}, "role"),
        ({"samenbeeld_role": "vng"}, "municipality"),
        ({"exp": int(NOW.timestamp()) - 3600}, "expired"),
    ],
)
def test_oidc_tokens_that_do_not_fit_are_refused(hub_key, provider, overrides, message):
    private, config, _ = provider
    with pytest.raises(AuthenticationError, match=message):
        hub_verifier(hub_key, config).verify(idp_token(private, **overrides), now=NOW)


def test_oidc_token_signed_by_another_key_is_refused(hub_key, provider):
    _, config, _ = provider
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthenticationError, match="signature"):
        hub_verifier(hub_key, config).verify(idp_token(stranger), now=NOW)


def test_oidc_issuer_is_not_trusted_unless_configured(hub_key, provider):
    private, _, _ = provider
    with pytest.raises(AuthenticationError, match="issuer"):
        hub_verifier(hub_key).verify(idp_token(private), now=NOW)


# --- the command line ------------------------------------------------------------------


def test_token_create_prints_a_verifiable_token(tmp_path, hub_key):
    key_file = tmp_path / "hub.pem"
    keys.write_private_key(key_file, hub_key)
    env = {"SAMENBEELD_KEY_FILE": str(key_file), "SAMENBEELD_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(
        main, ["token", "create", "--role", "municipality", "--municipality", "GM0758"], env=env
    )
    assert result.exit_code == 0, result.output
    user = hub_verifier(hub_key).verify(result.output.strip())
    assert (user.role, user.municipality, user.subject) == (
        "municipality",
        "GM0758",
        "municipality-GM0758",
    )


def test_token_create_refuses_a_municipality_token_without_a_code(tmp_path, hub_key):
    key_file = tmp_path / "hub.pem"
    keys.write_private_key(key_file, hub_key)
    env = {"SAMENBEELD_KEY_FILE": str(key_file)}
    result = CliRunner().invoke(main, ["token", "create", "--role", "municipality"], env=env)
    assert result.exit_code == 2
    assert "municipality" in result.output


def test_a_retired_hub_key_stops_working_within_a_minute(hub_key):
    public = hub_key.public_key()
    current = {keys.key_id(public): public}
    verifier = UserTokenVerifier(lambda: current)
    token = hub_token(hub_key, subject="p", role="national_partner")
    assert verifier.verify(token, now=NOW).role == "national_partner"
    current.clear()  # the hub's key is retired
    assert verifier.verify(token, now=NOW + dt.timedelta(seconds=30)).subject == "p"
    with pytest.raises(AuthenticationError, match="unknown key"):
        verifier.verify(token, now=NOW + dt.timedelta(seconds=61))
