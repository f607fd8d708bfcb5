"""Ed25519 service keys: generation, PEM files, JWK/JWKS, and the key set of members.

Every node and compute party (and the hub) signs its service tokens with its own
Ed25519 key. The hub keeps the members' public keys and publishes them as a JWKS whose
keys also name their owner, in two extra members ``role`` and ``member``::

    {"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "...", "use": "sig",
     "alg": "EdDSA", "role": "node", "member": "GM0758"}
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.utils import base64url_decode, base64url_encode

from samenbeeld.platform.errors import ConfigurationError, ConflictError, InvalidInputError
from samenbeeld.platform.settings import MUNICIPALITY_CODE

ROLES = ("node", "party", "hub")
_MEMBER_CODE = {"node": MUNICIPALITY_CODE, "party": re.compile(r"[0-2]"), "hub": re.compile("hub")}


@dataclass(frozen=True)
class KeyOwner:
    """Who a key belongs to: ("node", "GM0758"), ("party", "2") or ("hub", "hub")."""

    role: str
    member: str

    def __post_init__(self) -> None:
        pattern = _MEMBER_CODE.get(self.role)
        if pattern is None:
            raise InvalidInputError(f"unknown role; choose one of {', '.join(ROLES)}")
        if not isinstance(self.member, str) or not pattern.fullmatch(self.member):
            raise InvalidInputError(f"not a valid member code for role {self.role}")


@dataclass(frozen=True)
class RegisteredKey:
    """A member's public key under its key id."""

    kid: str
    public_key: Ed25519PublicKey
    owner: KeyOwner


def generate_private_key() -> Ed25519PrivateKey:
    """A new Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write key as unencrypted PKCS#8 PEM, readable by the owner only (0600).

    An existing file is never overwritten: rotating a key means a new file and kid.
    """
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConflictError(f"{path} exists; refusing to overwrite a private key") from None
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(pem)


def read_private_key(path: Path) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from a PEM file that only its owner can read."""
    if not path.is_file():
        raise ConfigurationError(f"key file {path} does not exist")
    if path.stat().st_mode & 0o077:
        raise ConfigurationError(f"{path} is readable by others; chmod 600 it")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} does not hold an Ed25519 private key")
    return key


def write_public_key(path: Path, key: Ed25519PublicKey) -> None:
    """Write key as SubjectPublicKeyInfo PEM."""
    path.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def read_public_key(path: Path) -> Ed25519PublicKey:
    """Load an Ed25519 public key from a PEM file."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError(f"{path} does not hold an Ed25519 public key")
    return key


def _x(key: Ed25519PublicKey) -> str:
    """The JWK "x" member: the raw public key, base64url without padding."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64url_encode(raw).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url) of key: a stable default kid."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": _x(key)}, separators=(",", ":"))
    return base64url_encode(hashlib.sha256(canonical.encode("ascii")).digest()).decode("ascii")


def public_jwk(registered: RegisteredKey) -> dict[str, str]:
    """The JWK of a registered key, with its owner."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _x(registered.public_key),
        "kid": registered.kid,
        "use": "sig",
        "alg": "EdDSA",
        "role": registered.owner.role,
        "member": registered.owner.member,
    }


def _from_jwk(jwk: object) -> RegisteredKey:
    """A RegisteredKey from one JWK; InvalidInputError names what is wrong."""
    if not isinstance(jwk, Mapping):
        raise InvalidInputError("not a JSON object")
    with_defaults = {"use": "sig", "alg": "EdDSA", **jwk}  # use and alg are optional
    for name, value in (("kty", "OKP"), ("crv", "Ed25519"), ("use", "sig"), ("alg", "EdDSA")):
        if with_defaults.get(name) != value:
            raise InvalidInputError(f"{name} must be {value}")
    kid, x = jwk.get("kid"), jwk.get("x")
    if not isinstance(kid, str) or not 0 < len(kid) <= 128:
        raise InvalidInputError("kid must be a string of 1 to 128 characters")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(base64url_decode(str(x)))
    except ValueError:
        raise InvalidInputError("x is not a base64url Ed25519 public key") from None
    owner = KeyOwner(str(jwk.get("role")), str(jwk.get("member")))
    return RegisteredKey(kid, public_key, owner)


class KeySet:
    """The public keys a service trusts, by kid, each with its owner."""

    def __init__(self, keys: Iterable[RegisteredKey]) -> None:
        self._keys: dict[str, RegisteredKey] = {}
        for key in keys:
            if key.kid in self._keys:
                raise ConfigurationError(f"key set: kid {key.kid} appears twice")
            self._keys[key.kid] = key

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, object]) -> KeySet:
        """A key set from a JWKS document, as the hub publishes it."""
        keys = jwks.get("keys")
        if not isinstance(keys, list):
            raise ConfigurationError("JWKS: keys must be a list")
        registered = []
        for index, jwk in enumerate(keys):
            try:
                registered.append(_from_jwk(jwk))
            except InvalidInputError as exc:
                raise ConfigurationError(f"JWKS: keys.{index}: {exc}") from None
        return cls(registered)

    def to_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS document of this key set."""
        return {"keys": [public_jwk(key) for key in self._keys.values()]}

    def get(self, kid: object) -> RegisteredKey | None:
        """The key registered under kid, or None."""
        return self._keys.get(kid) if isinstance(kid, str) else None

    def __iter__(self) -> Iterator[RegisteredKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)
