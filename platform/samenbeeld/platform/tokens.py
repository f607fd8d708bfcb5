"""Service tokens: short-lived EdDSA JWTs that nodes, compute parties and the hub present.

A token's header names its key (``kid``); its claims are ``role`` (node, party, hub),
``sub`` (the member code: ``GM0758``, ``2``, ``hub``), ``municipality`` (node tokens
only, equal to ``sub``), ``aud``, ``iat``, ``exp`` (at most five minutes after ``iat``)
and a unique ``jti``. :class:`TokenVerifier` accepts a token once, only with an algorithm
from its configured allow-list (never the token's own choice), and only when the claims
match the registered owner of the signing key.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from samenbeeld.platform.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    PermissionDeniedError,
)
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey, key_id
from samenbeeld.platform.replay import ReplayStore

ALGORITHM = "EdDSA"
SUPPORTED_ALGORITHMS = (ALGORITHM,)
MAX_TTL_SECONDS = 300
MAX_LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ("role", "sub", "aud", "iat", "exp", "jti")

_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.InvalidSignatureError, "token signature is invalid"),
    (jwt.InvalidAlgorithmError, "token algorithm is not allowed"),
    (jwt.InvalidAudienceError, "token is meant for another audience"),
    (jwt.DecodeError, "token is malformed"),
)


@dataclass(frozen=True)
class Identity:
    """Who presented a verified token."""

    role: str
    member: str
    jti: str
    kid: str
    expires_at: dt.datetime

    @property
    def municipality(self) -> str | None:
        """The municipality code of a node token, else None."""
        return self.member if self.role == "node" else None


def _epoch(now: dt.datetime | None) -> int:
    """now (or the current time) in whole seconds since the epoch; naive is refused."""
    if now is None:
        return int(dt.datetime.now(dt.UTC).timestamp())
    if now.tzinfo is None:
        raise InvalidInputError("naive datetime; pass an aware one")
    return int(now.timestamp())


def issue_token(
    private_key: Ed25519PrivateKey,
    kid: str,
    *,
    role: str,
    member: str,
    audience: str,
    ttl_seconds: int = MAX_TTL_SECONDS,
    now: dt.datetime | None = None,
) -> str:
    """A signed service token of member (role) for audience, valid for ttl_seconds."""
    owner = KeyOwner(role, member)
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidInputError(f"ttl_seconds must be between 1 and {MAX_TTL_SECONDS}")
    issued_at = _epoch(now)
    claims: dict[str, Any] = {
        "role": owner.role,
        "sub": owner.member,
        "aud": audience,
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
        "jti": secrets.token_hex(16),
    }
    if owner.role == "node":
        claims["municipality"] = owner.member
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"kid": kid})


class TokenVerifier:
    """Verifies service tokens for one audience against a key set, each token once."""

    def __init__(
        self,
        key_set: KeySet,
        audience: str,
        replay_store: ReplayStore,
        *,
        algorithms: tuple[str, ...] = SUPPORTED_ALGORITHMS,
        leeway_seconds: int = 10,
    ) -> None:
        if not algorithms or not set(algorithms) <= set(SUPPORTED_ALGORITHMS):
            raise ConfigurationError(f"algorithms must be taken from {SUPPORTED_ALGORITHMS}")
        if not audience:
            raise ConfigurationError("a token verifier needs an audience")
        if not 0 <= leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ConfigurationError(f"leeway must be 0 to {MAX_LEEWAY_SECONDS} seconds")
        self._keys = key_set
        self._audience = audience
        self._replay = replay_store
        self._algorithms = list(algorithms)
        self._leeway = leeway_seconds

    def verify(self, token: str, *, now: dt.datetime | None = None) -> Identity:
        """The identity behind token; AuthenticationError says why it is refused."""
        moment = _epoch(now)
        key = self._signing_key(token)
        claims = self._decode(token, key)
        self._check_times(claims, moment)
        identity = _identity(claims, key)
        keep_until = identity.expires_at + dt.timedelta(seconds=self._leeway)
        if not self._replay.remember(identity.jti, keep_until, now=_datetime(moment)):
            raise AuthenticationError("token has already been used")
        return identity

    def _signing_key(self, token: str) -> RegisteredKey:
        """The registered key the token's header names, after checking its algorithm."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise AuthenticationError("token is malformed") from None
        if header.get("alg") not in self._algorithms:
            raise AuthenticationError("token algorithm is not allowed")
        key = self._keys.get(header.get("kid"))
        if key is None:
            raise AuthenticationError("token is signed with an unknown key")
        return key

    def _decode(self, token: str, key: RegisteredKey) -> dict[str, Any]:
        """The claims, once signature, audience and required claims check out."""
        options: jwt.types.Options = {
            "require": list(REQUIRED_CLAIMS),
            "strict_aud": True,
            # Times are checked by _check_times against the caller's clock.
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
        }
        try:
            return jwt.decode(
                token,
                key.public_key,
                algorithms=self._algorithms,
                audience=self._audience,
                options=options,
            )
        except jwt.MissingRequiredClaimError as exc:
            raise AuthenticationError(f"token lacks the {exc.claim} claim") from None
        except jwt.InvalidTokenError as exc:
            reason = next((r for kind, r in _REASONS if isinstance(exc, kind)), "token is invalid")
            raise AuthenticationError(reason) from None

    def _check_times(self, claims: Mapping[str, Any], now: int) -> None:
        """Refuse tokens that live too long, are not valid yet, or have expired."""
        issued, expires, not_before = claims["iat"], claims["exp"], claims.get("nbf", 0)
        if any(type(t) is not int for t in (issued, expires, not_before)):
            raise AuthenticationError("token times (iat, exp, nbf) must be integers")
        if expires - issued > MAX_TTL_SECONDS:
            raise AuthenticationError(f"token lifetime exceeds {MAX_TTL_SECONDS} seconds")
        if max(issued, not_before) > now + self._leeway:
            raise AuthenticationError("token is not valid yet")
        if expires <= now - self._leeway:
            raise AuthenticationError("token has expired")


def _datetime(epoch: int) -> dt.datetime:
    """An aware UTC datetime from seconds since the epoch."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _identity(claims: Mapping[str, Any], key: RegisteredKey) -> Identity:
    """The identity in claims (times already checked): the owner of the signing key."""
    role, member = claims["role"], claims["sub"]
    if (role, member) != (key.owner.role, key.owner.member):
        raise AuthenticationError("token claims another member than the owner of its key")
    if claims.get("municipality") != (member if role == "node" else None):
        raise AuthenticationError("token municipality does not match its member")
    jti = claims["jti"]
    if not isinstance(jti, str) or not 0 < len(jti) <= 64:
        raise AuthenticationError("token id (jti) must be a string of 1 to 64 characters")
    return Identity(role, member, jti, key.kid, _datetime(claims["exp"]))


def require_municipality(identity: Identity, code: str) -> None:
    """Refuse unless identity is the node of municipality code."""
    if identity.role != "node":
        raise PermissionDeniedError(f"a {identity.role} token cannot act for a municipality")
    if identity.municipality != code:
        raise PermissionDeniedError(
            f"the token of {identity.member} may not act for another municipality"
        )


def require_role(identity: Identity, *roles: str) -> None:
    """Refuse unless identity has one of roles."""
    if identity.role not in roles:
        raise PermissionDeniedError(f"a {identity.role} token may not do this")


class Signer:
    """Issues this service's tokens for other services' audiences (one key, one owner)."""

    def __init__(self, private_key: Ed25519PrivateKey, *, role: str, member: str) -> None:
        self._key = private_key
        self.kid = key_id(private_key.public_key())
        self.role = role
        self.member = member

    def token(self, audience: str, ttl_seconds: int = 60) -> str:
        """A fresh token (new ``jti``) for ``audience``."""
        return issue_token(
            self._key,
            self.kid,
            role=self.role,
            member=self.member,
            audience=audience,
            ttl_seconds=ttl_seconds,
        )

    def headers(self, audience: str) -> dict[str, str]:
        """The Authorization header carrying a fresh token for ``audience``."""
        return {"Authorization": f"Bearer {self.token(audience)}"}
