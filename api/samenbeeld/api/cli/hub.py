"""`samenbeeld hub ...`: the federation coordinator's service."""

from __future__ import annotations

import json
from typing import BinaryIO

import click

from samenbeeld.api.cli.keys import load_public_pem
from samenbeeld.api.cli.serve import fd_option, host_option, port_option, require_head, serve
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.settings import HubSettings


@click.group()
def hub() -> None:
    """Run the hub."""


@hub.command("serve")
@host_option
@port_option
@fd_option
@click.pass_context
def serve_hub(ctx: click.Context, host: str, port: int | None, fd: int | None) -> None:
    """Serve the hub API (the database must be at head: samenbeeld db upgrade --role hub)."""
    serve(HubSettings.load(ctx.obj["config"]), host, port, fd)


@hub.command("register")
@click.option("--role", "kind", type=click.Choice(["node", "party"]), required=True)
@click.option("--member", required=True, help="CBS code of a node (GM0758), index of a party.")
@click.option("--name", required=True, help="Display name, e.g. Breda.")
@click.option(
    "--public-key",
    type=click.File("rb"),
    required=True,
    help="The member's public key (PEM; '-' reads standard input).",
)
@click.pass_context
def register(ctx: click.Context, kind: str, member: str, name: str, public_key: BinaryIO) -> None:
    """Add a member to the hub's registry, or replace its key (rotation)."""
    from samenbeeld.federation.hub.members import register_member

    settings = HubSettings.load(ctx.obj["config"])
    key = load_public_pem(public_key.read())
    require_head(settings)
    with session_scope(settings.effective_database_url) as session:
        row = register_member(session, kind, member, name, key)
        code, kid = row.code, json.loads(row.public_key or "{}").get("kid")
    click.echo(f"registered {code} ({name}) with key {kid}")
