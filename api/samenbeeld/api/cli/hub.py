"""`samenbeeld hub ...`: the federation coordinator's service."""

from __future__ import annotations

import click

from samenbeeld.api.cli.serve import host_option, port_option, serve
from samenbeeld.platform.settings import HubSettings


@click.group()
def hub() -> None:
    """Run the hub."""


@hub.command("serve")
@host_option
@port_option
@click.pass_context
def serve_hub(ctx: click.Context, host: str, port: int | None) -> None:
    """Serve the hub API (the database must be at head: samenbeeld db upgrade --role hub)."""
    serve(HubSettings.load(ctx.obj["config"]), host, port)
