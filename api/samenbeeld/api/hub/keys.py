"""The hub's keys: its member registry as a key source, and ``GET /api/v1/jwks``.

Members' public keys are stored as JWK JSON in ``member.public_key``; the hub's own key is
read from its key file. The JWKS lists every active member's key and the hub's, each with
its owner (role and member code), so nodes and parties can verify each other's tokens.
"""

from __future__ import annotations

import json
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey, key_id, read_private_key
from samenbeeld.platform.models.hub import Member

blp = Blueprint(
    "jwks", __name__, url_prefix="/api/v1", description="Public keys of the federation."
)


def registry_keys() -> KeySet:
    """Every active member's registered key plus the hub's own (from its key file)."""
    rows = get_session().scalars(
        select(Member).where(Member.active.is_(True), Member.public_key.is_not(None))
    )
    keys = KeySet.from_jwks({"keys": [json.loads(row.public_key or "{}") for row in rows]})
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
