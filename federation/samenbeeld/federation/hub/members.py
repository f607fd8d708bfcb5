"""The hub's member registry: who may take part, with the public key it signs with.

A node is registered under its CBS code, a compute party as ``party-<i>``. The key is stored
as its public JWK (with the owner's role and member code), which is what the hub's JWKS
publishes and what verifies the member's tokens and report signatures.
"""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from samenbeeld.platform.errors import InvalidInputError
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey, key_id, public_jwk
from samenbeeld.platform.models.hub import Member

KINDS = ("node", "party")


def member_code(kind: str, member: str) -> str:
    """The registry code: the CBS code of a node, ``party-<i>`` for a compute party."""
    return member if kind == "node" else f"party-{member}"


def register_member(
    session: Session, kind: str, member: str, name: str, public_key: Ed25519PublicKey
) -> Member:
    """Add or update (key rotation) a member and its public key; the caller commits."""
    if kind not in KINDS:
        raise InvalidInputError(f"kind must be one of {KINDS}, not {kind!r}")
    owner = KeyOwner(kind, member)
    jwk = json.dumps(public_jwk(RegisteredKey(key_id(public_key), public_key, owner)))
    code = member_code(kind, member)
    row = session.get(Member, code)
    if row is None:
        row = Member(code=code, name=name, kind=kind, public_key=jwk, active=True)
        session.add(row)
    else:
        row.name, row.public_key, row.active = name, jwk, True
    session.flush()
    return row


def member_keys(session: Session) -> KeySet:
    """Every active member's registered public key, with its owner."""
    rows = session.scalars(
        select(Member).where(Member.active.is_(True), Member.public_key.is_not(None))
    )
    return KeySet.from_jwks({"keys": [json.loads(row.public_key or "{}") for row in rows]})
