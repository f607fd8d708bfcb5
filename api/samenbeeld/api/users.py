"""People at the HTTP edge: ``@user_required(*roles)`` verifies a user token, sets ``g.user``.

``@user_or_node_required`` also lets a node's service token in (``g.user`` is then unset).

Service tokens (:mod:`samenbeeld.api.auth`) are for machines and are used once; user
tokens (:mod:`samenbeeld.platform.users`) are for people and last a session. The hub
verifies its own user tokens with its key file; a node with the hub's key from the JWKS
it already fetches for service tokens. Both accept an OIDC provider's tokens when the
settings name one (``oidc_issuer``, ``oidc_audience``, ``oidc_jwks_url``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, current_app, g

from samenbeeld.api import auth
from samenbeeld.platform.keys import key_id, read_private_key
from samenbeeld.platform.settings import BaseSettings
from samenbeeld.platform.users import USER_ROLES, User, UserTokenVerifier, oidc_config

EXTENSION = "samenbeeld.users"
View = TypeVar("View", bound=Callable[..., Any])


def init_app(app: Flask, settings: BaseSettings, verifier: UserTokenVerifier | None = None) -> None:
    """Give the app its user-token verifier (built from the settings unless given)."""
    if verifier is None:
        hub_keys = _own_key(settings) if settings.role == "hub" else _jwks_hub_keys(app)
        verifier = UserTokenVerifier(hub_keys, oidc_config(settings))
    app.extensions[EXTENSION] = verifier


def _own_key(settings: BaseSettings) -> Callable[[], Mapping[str, Ed25519PublicKey]]:
    """The hub's own public key, read from its key file once (on first use)."""

    @functools.cache
    def keys() -> Mapping[str, Ed25519PublicKey]:
        public = read_private_key(settings.effective_key_file).public_key()
        return {key_id(public): public}

    return keys


def _jwks_hub_keys(app: Flask) -> Callable[[], Mapping[str, Ed25519PublicKey]]:
    """The hub's keys as the app's key source (the hub's JWKS) lists them."""

    def keys() -> Mapping[str, Ed25519PublicKey]:
        source: auth.KeySource = app.extensions[auth.EXTENSION]
        return {k.kid: k.public_key for k in source.key_set() if k.owner.role == "hub"}

    return keys


def user_required(*roles: str) -> Callable[[View], View]:
    """Require a valid user token of one of ``roles`` (all user roles when none given)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            verifier: UserTokenVerifier = current_app.extensions[EXTENSION]
            user = verifier.verify(auth.bearer_token())
            if roles:
                user.require(*roles)
            g.user = user
            return view(*args, **kwargs)

        wrapped.user_roles = roles or USER_ROLES  # type: ignore[attr-defined]  # read by API tests
        return wrapped  # type: ignore[return-value]

    return decorate


def user_or_node_required(view: View) -> View:
    """A user token of any role, or a node's service token (``g.user`` is then unset).

    User tokens name their issuer and service tokens do not; the unverified ``iss`` claim
    only picks the verifier, which then checks the token in full.
    """
    as_user, as_node = user_required()(view), auth.token_required("node")(view)

    @functools.wraps(as_user)  # keeps the view's API doc and the user roles it records
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        verifier: UserTokenVerifier = current_app.extensions[EXTENSION]
        issuer = verifier.issuer_of(auth.bearer_token())
        return (as_user if issuer is not None else as_node)(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def current_user() -> User:
    """The user ``user_required`` verified for this request."""
    user: User = g.user
    return user
