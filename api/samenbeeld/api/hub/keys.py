"""The hub's keys: its member registry as a key source, and ``GET /api/v1/jwks``.

Members' public keys are stored as JWK JSON in ``member.public_key``; the hub's own key is
read from its key file. The JWKS lists every active member's key and the hub's, each with
its owner (role and member code), so nodes and parties can verify each other's tokens.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.federation.hub.members import member_keys
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey, key_id, read_private_key

blp = Blueprint(
    "jwks", __name__, url_prefix="/api/v1", description="Public keys of the federation."
)


def registry_keys() -> KeySet:
    """Every active member's registered key plus the hub's own (from its key file)."""
    keys = member_keys(get_session())
    own = read_private_key(current_settings().effective_key_file).public_key()
    return KeySet([*keys, RegisteredKey(key_id(own), own, KeyOwner("hub", "hub"))])


class RegistryKeySource:
    """The hub's key source: its registry, read afresh for every request."""

    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The registry's keys as of now."""
        return registry_keys()


@blp.route("/jwks")
class Jwks(MethodView):
    """The federation's public keys."""

    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """Every active member's public key and the hub's, as a JWK set."""
        return registry_keys().to_jwks()
