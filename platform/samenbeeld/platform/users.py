"""People's tokens: who may read the trend API, curate templates, see a city's position.

Four user roles:

* ``municipality`` -- staff of one gemeente (municipality), bound to its CBS code; may see
  its own position on its own node, propose and fork templates, adopt them;
* ``vng`` -- the association of municipalities, curator of the template registry;
* ``national_partner`` -- ministries, CCV, police: released aggregates only;
* ``admin`` -- the hub's operators.

A user token is a JWT with ``iss``, ``aud``, ``sub``, ``role``, ``iat``, ``exp`` and, for
the municipality role only, ``municipality``. Two issuers are trusted:

* the hub itself (``samenbeeld token create``), EdDSA with the hub's key, issuer
  :data:`HUB_ISSUER`, audience :data:`USER_AUDIENCE`;
* an external OpenID Connect provider, when configured (:class:`OidcConfig`): verified
  with PyJWT against the provider's JWKS, with its own issuer and audience; the role and
  the municipality come from configurable claims.

Unlike service tokens, a user token is presented many times until it expires (a browser
session), so there is no replay store; lifetimes are capped at :data:`MAX_TTL_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from samenbeeld.platform.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    PermissionDeniedError,
)
from samenbeeld.platform.settings import MUNICIPALITY_CODE, BaseSettings

USER_ROLES = ("municipality", "vng", "national_partner", "admin")
HUB_ISSUER = "samenbeeld-hub"
USER_AUDIENCE = "samenbeeld:users"
HUB_ALGORITHM = "EdDSA"
OIDC_ALGORITHMS = ("RS256", "ES256", "PS256", "EdDSA")
DEFAULT_TTL_SECONDS = 8 * 3600
MAX_TTL_SECONDS = 30 * 24 * 3600
LEEWAY_SECONDS = 30
RECHECK_SECONDS = 60
"""How long a verified token is trusted without checking its signature again."""
VERIFIED_TOKENS = 10_000
MAX_SUBJECT = 128


@dataclass(frozen=True)
class User:
    """Who presented a verified user token."""

    subject: str
    role: str
    municipality: str | None
    issuer: str

    def __post_init__(self) -> None:
        if self.role not in USER_ROLES:
            raise AuthenticationError("token role is not a user role")
        if (self.role == "municipality") != (self.municipality is not None):
            raise AuthenticationError("only municipality tokens name a municipality")
        if self.municipality is not None and not MUNICIPALITY_CODE.fullmatch(self.municipality):
            raise AuthenticationError("token municipality is not a CBS code")
        if not isinstance(self.subject, str) or not 0 < len(self.subject) <= MAX_SUBJECT:
            raise AuthenticationError(f"token subject must be 1 to {MAX_SUBJECT} characters")

    def require(self, *roles: str) -> None:
        """Refuse unless this user has one of roles."""
        if self.role not in roles:
            raise PermissionDeniedError(f"a {self.role} user may not do this")

    def require_municipality(self, code: str) -> None:
        """Refuse unless this user works for municipality code (nobody else may)."""
        if self.role != "municipality" or self.municipality != code:
            raise PermissionDeniedError("only this municipality's own users may see this")


@dataclass(frozen=True)
class OidcConfig:
    """An external OpenID Connect provider whose tokens the services accept."""

    issuer: str
    audience: str
    jwks_url: str
    role_claim: str = "samenbeeld_role"
    municipality_claim: str = "samenbeeld_municipality"
    algorithms: tuple[str, ...] = ("RS256", "ES256")

    def __post_init__(self) -> None:
        if not self.issuer or not self.audience or not self.jwks_url:
            raise ConfigurationError("OIDC needs an issuer, an audience and a JWKS URL")
        if not self.algorithms or not set(self.algorithms) <= set(OIDC_ALGORITHMS):
            raise ConfigurationError(f"OIDC algorithms must be taken from {OIDC_ALGORITHMS}")


def oidc_config(settings: BaseSettings) -> OidcConfig | None:
    """The OIDC provider the settings name, or None when none is configured."""
    if not settings.oidc_issuer:
        return None
    issuer = settings.oidc_issuer.rstrip("/")
    return OidcConfig(
        issuer=settings.oidc_issuer,
        audience=settings.oidc_audience,
        jwks_url=settings.oidc_jwks_url or f"{issuer}/.well-known/jwks.json",
        role_claim=settings.oidc_role_claim,
        municipality_claim=settings.oidc_municipality_claim,
    )


def issue_user_token(
    private_key: Ed25519PrivateKey,
    kid: str,
    *,
    subject: str,
    role: str,
    municipality: str | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: dt.datetime | None = None,
) -> str:
    """A hub-signed user token; InvalidInputError for a role/municipality that do not fit."""
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidInputError(f"ttl must be between 1 and {MAX_TTL_SECONDS} seconds")
    try:
        User(subject, role, municipality, HUB_ISSUER)
    except AuthenticationError as error:
        raise InvalidInputError(str(error).replace("token ", "")) from None
    issued = int((now or dt.datetime.now(dt.UTC)).timestamp())
    claims: dict[str, Any] = {
        "iss": HUB_ISSUER,
        "aud": USER_AUDIENCE,
        "sub": subject,
        "role": role,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": secrets.token_hex(16),
    }
    if municipality is not None:
        claims["municipality"] = municipality
    return jwt.encode(claims, private_key, algorithm=HUB_ALGORITHM, headers={"kid": kid})


HubKeys = Callable[[], Mapping[str, Ed25519PublicKey]]
"""The hub's public user-signing keys by kid (the hub's own key file; a node: the JWKS)."""


class UserTokenVerifier:
    """Verifies user tokens of the hub and, when configured, of an OIDC provider."""

    def __init__(
        self,
        hub_keys: HubKeys,
        oidc: OidcConfig | None = None,
        *,
        jwk_client: jwt.PyJWKClient | None = None,
    ) -> None:
        self._hub_keys = hub_keys
        self._oidc = oidc
        self._jwk_client = jwk_client
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[User, float, float]] = {}
        """token -> (user, valid from, valid until), epoch seconds."""
        if oidc is not None and jwk_client is None:
            self._jwk_client = jwt.PyJWKClient(oidc.jwks_url, cache_keys=True, lifespan=300)

    def verify(self, token: str, *, now: dt.datetime | None = None) -> User:
        """The user behind token; AuthenticationError says why it is refused.

        A verified token is remembered (the same browser session sends it with every
        request) until it expires, for at most :data:`RECHECK_SECONDS`, so that a retired
        signing key stops working within that time.
        """
        moment = (now or dt.datetime.now(dt.UTC)).timestamp()
        with self._lock:
            known = self._verified.get(token)
        if known is not None and known[1] <= moment < known[2]:
            return known[0]
        issuer = _unverified_issuer(token)
        if issuer == HUB_ISSUER:
            user, claims = self._verify_hub(token, now)
        elif self._oidc is not None and issuer == self._oidc.issuer:
            user, claims = self._verify_oidc(token, self._oidc, now)
        else:
            raise AuthenticationError("token issuer is not trusted")
        valid_from = max(claims["iat"], claims.get("nbf", 0)) - LEEWAY_SECONDS
        valid_until = min(claims["exp"] + LEEWAY_SECONDS, moment + RECHECK_SECONDS)
        with self._lock:
            if len(self._verified) >= VERIFIED_TOKENS:
                self._verified.clear()
            self._verified[token] = (user, valid_from, valid_until)
        return user

    def issuer_of(self, token: str) -> object:
        """The token's ``iss`` claim, unverified (to tell user tokens from service tokens,
        which have none); cheap for a token verified recently."""
        with self._lock:
            known = self._verified.get(token)
        return known[0].issuer if known is not None else _unverified_issuer(token)

    def _verify_hub(self, token: str, now: dt.datetime | None) -> tuple[User, dict[str, Any]]:
        """A token the hub signed with one of its keys."""
        kid = jwt.get_unverified_header(token).get("kid")
        key = self._hub_keys().get(kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthenticationError("token is signed with an unknown key")
        claims = _decode(token, key, (HUB_ALGORITHM,), HUB_ISSUER, USER_AUDIENCE, now)
        if claims["exp"] - claims["iat"] > MAX_TTL_SECONDS:
            raise AuthenticationError("token lifetime is too long")
        return _user(claims, "role", "municipality", HUB_ISSUER), claims

    def _verify_oidc(
        self, token: str, oidc: OidcConfig, now: dt.datetime | None
    ) -> tuple[User, dict[str, Any]]:
        """A token of the configured OIDC provider, verified against its JWKS."""
        assert self._jwk_client is not None
        try:
            key = self._jwk_client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise AuthenticationError("the identity provider's keys cannot be fetched") from None
        except jwt.PyJWKClientError:
            raise AuthenticationError("token is signed with an unknown key") from None
        except jwt.InvalidTokenError:
            raise AuthenticationError("token is malformed") from None
        claims = _decode(token, key, oidc.algorithms, oidc.issuer, oidc.audience, now)
        return _user(claims, oidc.role_claim, oidc.municipality_claim, oidc.issuer), claims


def _unverified_issuer(token: str) -> object:
    """The ``iss`` claim before verification (only to pick the verifier)."""
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.InvalidTokenError:
        raise AuthenticationError("token is malformed") from None


_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.InvalidSignatureError, "token signature is invalid"),
    (jwt.InvalidAlgorithmError, "token algorithm is not allowed"),
    (jwt.InvalidAudienceError, "token is meant for another audience"),
    (jwt.InvalidIssuerError, "token issuer is not trusted"),
    (jwt.DecodeError, "token is malformed"),
)


def _decode(
    token: str,
    key: Any,
    algorithms: tuple[str, ...],
    issuer: str,
    audience: str,
    now: dt.datetime | None,
) -> dict[str, Any]:
    """Claims after signature, algorithm, issuer, audience and time checks (at now)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(algorithms),
            issuer=issuer,
            audience=audience,
            options={
                "require": ["iss", "aud", "sub", "iat", "exp"],
                "strict_aud": True,
                # Times are checked below against the caller's clock.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.MissingRequiredClaimError as exc:
        raise AuthenticationError(f"token lacks the {exc.claim} claim") from None
    except jwt.InvalidTokenError as exc:
        reason = next((r for kind, r in _REASONS if isinstance(exc, kind)), "token is invalid")
        raise AuthenticationError(reason) from None
    issued, expires, not_before = claims["iat"], claims["exp"], claims.get("nbf", 0)
    if any(type(t) is not int for t in (issued, expires, not_before)):
        raise AuthenticationError("token times (iat, exp, nbf) must be integers")
    moment = int((now or dt.datetime.now(dt.UTC)).timestamp())
    if expires <= moment - LEEWAY_SECONDS:
        raise AuthenticationError("token has expired")
    if max(issued, not_before) > moment + LEEWAY_SECONDS:
        raise AuthenticationError("token is not valid yet")
    return claims


def _user(claims: Mapping[str, Any], role_claim: str, town_claim: str, issuer: str) -> User:
    """The User the verified claims describe."""
    role = claims.get(role_claim)
    if role not in USER_ROLES:
        raise AuthenticationError("token role is not a user role")
    municipality = claims.get(town_claim) if role == "municipality" else None
    if role != "municipality" and claims.get(town_claim) is not None:
        raise AuthenticationError("only municipality tokens name a municipality")
    return User(str(claims["sub"]), str(role), municipality, issuer)
