"""`samenbeeld party ...`: one of the three compute parties' service."""

from __future__ import annotations

import click

from samenbeeld.api.cli.serve import fd_option, host_option, port_option, serve
from samenbeeld.platform.settings import PartySettings


@click.group()
def party() -> None:
    """Run a compute party."""


@party.command("serve")
@click.option(
    "--index",
    type=click.IntRange(0, 2),
    required=True,
    envvar="SAMENBEELD_INDEX",
    help="Party index 0, 1 or 2 (or SAMENBEELD_INDEX).",
)
@host_option
@port_option
@fd_option
@click.pass_context
def serve_party(
    ctx: click.Context, index: int, host: str, port: int | None, fd: int | None
) -> None:
    """Serve party INDEX's API (its database must be at head: samenbeeld db upgrade)."""
    serve(PartySettings.load(ctx.obj["config"], index=index), host, port, fd)
