"""`samenbeeld keys ...`: a service's Ed25519 key pair, and short-lived tokens signed with it."""

from __future__ import annotations

import json
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwt.utils import base64url_encode

from samenbeeld.platform.errors import ConflictError, InvalidInputError
from samenbeeld.platform.keys import (
    ROLES,
    generate_private_key,
    key_id,
    read_private_key,
    write_private_key,
    write_public_key,
)
from samenbeeld.platform.tokens import Signer


def public_path(private: Path) -> Path:
    """Where the public key goes by default: ``gm0758.pem`` -> ``gm0758.pub.pem``."""
    return private.with_name(private.stem + ".pub.pem")


def unowned_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The public JWK of a key that is not registered yet (no role or member)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64url_encode(raw).decode("ascii")
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": x,
        "kid": key_id(public_key),
        "use": "sig",
        "alg": "EdDSA",
    }


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM bytes; InvalidInputError for anything else."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise InvalidInputError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInputError("not an Ed25519 public key")
    return key


@click.group()
def keys() -> None:
    """Key pairs of nodes, compute parties and the hub."""


@keys.command("create")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Private key file to write (PEM, mode 0600); never overwritten.",
)
@click.option(
    "--public-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Public key file (default: OUT with .pub.pem).",
)
def create(out: Path, public_out: Path | None) -> None:
    """Write a new key pair and print its public JWK (with the kid the hub will know it by)."""
    public_out = public_out or public_path(out)
    for path in (out, public_out):
        if path.exists():
            raise ConflictError(f"{path} exists; refusing to overwrite a key")
    private = generate_private_key()
    write_private_key(out, private)
    write_public_key(public_out, private.public_key())
    click.echo(json.dumps(unowned_jwk(private.public_key())))
    click.echo(f"private key: {out} (keep it secret)  public key: {public_out}", err=True)


@keys.command("token")
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="This service's private key (PEM, mode 0600).",
)
@click.option("--role", type=click.Choice(ROLES), required=True, help="The key owner's role.")
@click.option("--member", required=True, help="The owner's code: GM0758, 0..2 or hub.")
@click.option("--audience", required=True, help="The service called: samenbeeld:<role>:<member>.")
@click.option("--ttl", type=click.IntRange(1, 300), default=60, show_default=True)
def token(key_file: Path, role: str, member: str, audience: str, ttl: int) -> None:
    """Print a service token signed with KEY, e.g. for a node's own opt-in calls."""
    signer = Signer(read_private_key(key_file), role=role, member=member)
    click.echo(signer.token(audience, ttl_seconds=ttl))
