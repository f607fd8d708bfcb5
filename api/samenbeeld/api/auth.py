"""Service authentication at the HTTP edge: ``@token_required(...)`` sets ``g.identity``.

Shaped like flaskr's ``login_required``. A request must carry ``Authorization: Bearer
<token>``, a service token (:mod:`samenbeeld.platform.tokens`) addressed to this service's
audience, signed by a registered key, and never seen before (the role database's
``<role>_seen_token`` table, committed in a transaction of its own before the view runs,
so a request that fails and rolls back still used up its token). Where the keys come from is
the app's :class:`KeySource`: the hub reads its member registry; nodes and parties fetch the
hub's JWKS and fetch it again, at most every few seconds, when a token names a kid they do
not know yet (a newly onboarded municipality).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import httpx
from flask import Flask, current_app, g, request

from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_sessionmaker
from samenbeeld.platform.errors import AuthenticationError, ConfigurationError
from samenbeeld.platform.keys import KeySet
from samenbeeld.platform.models import hub as hub_models
from samenbeeld.platform.models import node as node_models
from samenbeeld.platform.models import party as party_models
from samenbeeld.platform.models.mixins import SeenTokenMixin
from samenbeeld.platform.replay import CommittingReplayStore
from samenbeeld.platform.tokens import Identity, TokenVerifier, require_role

EXTENSION = "samenbeeld.keys"
REFRESH_SECONDS = 5.0
SEEN_TOKEN: dict[str, type[SeenTokenMixin]] = {
    "node": node_models.SeenToken,
    "party": party_models.SeenToken,
    "hub": hub_models.SeenToken,
}
View = TypeVar("View", bound=Callable[..., Any])


class KeySource(Protocol):
    """Where an app gets the public keys it verifies tokens with."""

    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The current keys; ``refresh`` asks for a fresh copy where that is possible."""


class StaticKeySource:
    """A fixed key set (tests, and services given their keys by file)."""

    def __init__(self, keys: KeySet) -> None:
        self._keys = keys

    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The fixed keys."""
        return self._keys


class JwksKeySource:
    """The hub's JWKS over HTTP, cached; refreshed on demand at most every few seconds."""

    def __init__(self, url: str, client: httpx.Client | None = None) -> None:
        self._url = url
        self._client = client or httpx.Client(timeout=10.0)
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched = 0.0

    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The cached keys, fetched first when missing or (rate-limited) on refresh."""
        with self._lock:
            stale = refresh and time.monotonic() - self._fetched > REFRESH_SECONDS
            if self._keys is None or stale:
                self._keys = self._fetch()
                self._fetched = time.monotonic()
            return self._keys

    def _fetch(self) -> KeySet:
        """GET the JWKS; a hub that does not answer is a configuration problem."""
        try:
            response = self._client.get(self._url)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise ConfigurationError(
                f"cannot fetch the hub's keys: {type(error).__name__}"
            ) from error
        return KeySet.from_jwks(response.json())


def init_app(app: Flask, source: KeySource) -> None:
    """Give the app its key source."""
    app.extensions[EXTENSION] = source


def bearer_token() -> str:
    """The token of the Authorization header; 401 when there is none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("a bearer token is required")
    return token.strip()


def verify_request() -> Identity:
    """Verify this request's token for this service (once, against current keys)."""
    settings = current_settings()
    source: KeySource = current_app.extensions[EXTENSION]
    token = bearer_token()
    store = CommittingReplayStore(get_sessionmaker(), SEEN_TOKEN[settings.role])
    try:
        return TokenVerifier(source.key_set(), settings.audience, store).verify(token)
    except AuthenticationError as error:
        if "unknown" not in str(error):
            raise
    return TokenVerifier(source.key_set(refresh=True), settings.audience, store).verify(token)


def token_required(*roles: str) -> Callable[[View], View]:
    """Require a valid service token of one of ``roles``; sets ``g.identity``."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            identity = verify_request()
            require_role(identity, *roles)
            g.identity = identity
            return view(*args, **kwargs)

        wrapped.service_roles = roles  # type: ignore[attr-defined]  # read by API tests
        return wrapped  # type: ignore[return-value]

    return decorate


def current_identity() -> Identity:
    """The identity ``token_required`` verified for this request."""
    identity: Identity = g.identity
    return identity
