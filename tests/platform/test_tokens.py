"""Service tokens: issue, verify, and every forged or misused token is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.utils import base64url_encode

from samenbeeld.platform.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    PermissionDeniedError,
)
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey, generate_private_key, key_id
from samenbeeld.platform.replay import MemoryReplayStore
from samenbeeld.platform.tokens import (
    Identity,
    TokenVerifier,
    issue_token,
    require_municipality,
    require_role,
)

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
AUDIENCE = "party-2"
MEMBERS = {"breda": ("node", "GM0758"), "utrecht": ("node", "GM0344"), "hub": ("hub", "hub")}


class Member:
    """A member with its own key pair, registered under its thumbprint."""

    def __init__(self, role: str, code: str) -> None:
        self.private_key = generate_private_key()
        self.kid = key_id(self.private_key.public_key())
        self.role, self.code = role, code

    def registered(self) -> RegisteredKey:
        """This member's entry in a key set."""
        return RegisteredKey(
            self.kid, self.private_key.public_key(), KeyOwner(self.role, self.code)
        )

    def token(self, audience: str = AUDIENCE, ttl_seconds: int = 300, now=NOW) -> str:
        """A genuine token of this member."""
        return issue_token(
            self.private_key,
            self.kid,
            role=self.role,
            member=self.code,
            audience=audience,
            ttl_seconds=ttl_seconds,
            now=now,
        )

    def signed(self, claims: dict[str, object], kid: str | None = None) -> str:
        """A token with exactly these claims, validly signed with this member's key."""
        return jwt.encode(
            claims, self.private_key, algorithm="EdDSA", headers={"kid": kid or self.kid}
        )

    def claims(self, **changes: object) -> dict[str, object]:
        """The claims of a genuine node token, with changes (None removes a claim)."""
        epoch = int(NOW.timestamp())
        claims = {"role": self.role, "sub": self.code, "aud": AUDIENCE, "iat": epoch}
        claims |= {"exp": epoch + 300, "jti": "a" * 32, "municipality": self.code}
        return {k: v for k, v in (claims | changes).items() if v is not None}


@pytest.fixture
def members() -> dict[str, Member]:
    """Breda and Utrecht (nodes) and the hub, with fresh keys."""
    return {name: Member(*owner) for name, owner in MEMBERS.items()}


@pytest.fixture
def replay_store() -> MemoryReplayStore:
    """An empty in-memory replay store."""
    return MemoryReplayStore()


@pytest.fixture
def verifier(members, replay_store) -> TokenVerifier:
    """Party 2's verifier, trusting the members' keys."""
    key_set = KeySet(member.registered() for member in members.values())
    return TokenVerifier(key_set, AUDIENCE, replay_store)


def forge(header: dict[str, object], claims: dict[str, object], sign=lambda data: b"") -> str:
    """A compact JWS built by hand, signed by sign(signing input)."""
    parts = [base64url_encode(json.dumps(p).encode()) for p in (header, claims)]
    signing_input = b".".join(parts)
    return b".".join([signing_input, base64url_encode(sign(signing_input))]).decode()


def refused(verifier: TokenVerifier, token: str, reason: str, now=NOW) -> AuthenticationError:
    """Assert the token is refused for reason, with a message that does not repeat it."""
    with pytest.raises(AuthenticationError, match=reason) as caught:
        verifier.verify(token, now=now)
    message = str(caught.value)
    assert all(part not in message for part in token.split(".") if part)
    return caught.value


def test_a_node_token_round_trips(members, verifier):
    identity = verifier.verify(members["breda"].token(), now=NOW)
    assert identity == Identity(
        role="node",
        member="GM0758",
        jti=identity.jti,
        kid=members["breda"].kid,
        expires_at=NOW + dt.timedelta(seconds=300),
    )
    assert identity.municipality == "GM0758" and len(identity.jti) == 32


def test_a_hub_token_has_no_municipality(members, verifier):
    identity = verifier.verify(members["hub"].token(ttl_seconds=60), now=NOW)
    assert (identity.role, identity.member, identity.municipality) == ("hub", "hub", None)
    assert "municipality" not in jwt.decode(
        members["hub"].token(), options={"verify_signature": False}
    )


def test_every_token_gets_its_own_id(members):
    tokens = [members["breda"].token() for _ in range(3)]
    ids = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
    assert len(ids) == 3


def test_alg_none_is_refused(members, verifier):
    claims = members["breda"].claims()
    for alg in ("none", "None", "NONE"):
        refused(verifier, forge({"alg": alg, "kid": members["breda"].kid}, claims), "algorithm")


@pytest.mark.parametrize("encoding", ["raw", "pem"])
def test_hs256_signed_with_the_public_key_is_refused(members, verifier, encoding):
    breda = members["breda"]
    public = breda.private_key.public_key()
    secret = (
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if encoding == "raw"
        else public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    token = forge(
        {"alg": "HS256", "typ": "JWT", "kid": breda.kid},
        breda.claims(),
        lambda data: hmac.new(secret, data, hashlib.sha256).digest(),
    )
    refused(verifier, token, "algorithm")


def test_rs256_with_a_real_rsa_key_is_refused(members, verifier):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    breda = members["breda"]
    token = jwt.encode(breda.claims(), rsa_key, algorithm="RS256", headers={"kid": breda.kid})
    refused(verifier, token, "algorithm")


def test_es256_is_not_in_the_allow_list_either(members, verifier):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    breda = members["breda"]
    token = jwt.encode(breda.claims(), ec_key, algorithm="ES256", headers={"kid": breda.kid})
    refused(verifier, token, "algorithm")


@pytest.mark.parametrize("algorithms", [(), ("HS256",), ("EdDSA", "RS256"), ("none",)])
def test_only_eddsa_may_be_configured(members, algorithms):
    with pytest.raises(ConfigurationError, match="algorithms"):
        TokenVerifier(KeySet([]), AUDIENCE, MemoryReplayStore(), algorithms=algorithms)


def test_an_expired_token_is_refused(members, verifier):
    token = members["breda"].token(now=NOW - dt.timedelta(seconds=400))
    refused(verifier, token, "expired")


def test_expiry_allows_the_configured_leeway_only(members, replay_store):
    breda = members["breda"]
    verifier = TokenVerifier(KeySet([breda.registered()]), AUDIENCE, replay_store, leeway_seconds=5)
    token = breda.token(now=NOW - dt.timedelta(seconds=300))
    assert verifier.verify(token, now=NOW + dt.timedelta(seconds=4)).member == "GM0758"
    refused(verifier, breda.token(now=NOW - dt.timedelta(seconds=305)), "expired")


def test_a_token_issued_in_the_future_is_refused(members, verifier):
    refused(verifier, members["breda"].token(now=NOW + dt.timedelta(minutes=2)), "not valid yet")


def test_a_token_for_another_audience_is_refused(members, verifier, replay_store):
    refused(verifier, members["breda"].token(audience="party-1"), "audience")
    assert len(replay_store) == 0, "a refused token must not use up its id"


def test_a_token_for_several_audiences_is_refused(members, verifier):
    token = members["breda"].signed(members["breda"].claims(aud=[AUDIENCE, "party-1"]))
    refused(verifier, token, "audience")


def test_an_unknown_kid_is_refused(members, verifier):
    stranger = Member("node", "GM0758")
    refused(verifier, stranger.token(), "unknown key")
    breda = members["breda"]
    refused(verifier, forge({"alg": "EdDSA"}, breda.claims(), breda.private_key.sign), "unknown")


def test_a_lifetime_over_five_minutes_is_refused(members, verifier):
    breda = members["breda"]
    with pytest.raises(InvalidInputError, match="ttl_seconds"):
        breda.token(ttl_seconds=301)
    epoch = int(NOW.timestamp())
    refused(verifier, breda.signed(breda.claims(exp=epoch + 301)), "lifetime")


def test_a_replayed_token_is_refused_until_it_expires(members, verifier, replay_store):
    token = members["breda"].token()
    verifier.verify(token, now=NOW)
    refused(verifier, token, "already been used", now=NOW + dt.timedelta(seconds=299))
    assert len(replay_store) == 1
    later = NOW + dt.timedelta(seconds=400)
    verifier.verify(members["breda"].token(now=later), now=later)
    assert len(replay_store) == 1, "the expired id was purged"


def test_a_node_may_not_act_for_another_municipality(members, verifier):
    identity = verifier.verify(members["breda"].token(), now=NOW)
    require_municipality(identity, "GM0758")
    with pytest.raises(PermissionDeniedError, match="another municipality"):
        require_municipality(identity, "GM0344")


def test_the_hub_may_not_act_for_a_municipality(members, verifier):
    identity = verifier.verify(members["hub"].token(), now=NOW)
    with pytest.raises(PermissionDeniedError, match="hub token"):
        require_municipality(identity, "GM0758")
    require_role(identity, "hub", "party")
    with pytest.raises(PermissionDeniedError):
        require_role(identity, "node")


def test_claiming_another_municipality_with_ones_own_key_is_refused(members, verifier):
    breda = members["breda"]
    utrecht_claims = breda.claims(sub="GM0344", municipality="GM0344")
    refused(verifier, breda.signed(utrecht_claims), "owner of its key")
    refused(verifier, breda.signed(breda.claims(municipality="GM0344")), "municipality")


def test_using_another_municipalitys_kid_fails_the_signature(members, verifier):
    breda, utrecht = members["breda"], members["utrecht"]
    token = breda.signed(utrecht.claims(), kid=utrecht.kid)
    refused(verifier, token, "signature is invalid")


def test_a_tampered_payload_fails_the_signature(members, verifier):
    header, _, signature = members["breda"].token().split(".")
    payload = base64url_encode(json.dumps(members["utrecht"].claims()).encode()).decode()
    refused(verifier, f"{header}.{payload}.{signature}", "signature is invalid")


@pytest.mark.parametrize("claim", ["jti", "exp", "iat", "aud", "role", "sub"])
def test_a_missing_claim_is_refused(members, verifier, claim):
    breda = members["breda"]
    refused(verifier, breda.signed(breda.claims(**{claim: None})), f"lacks the {claim} claim")


def test_garbage_is_refused_as_malformed(verifier):
    for token in ("", "abc", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30"):
        with pytest.raises(AuthenticationError, match="malformed"):
            verifier.verify(token, now=NOW)
