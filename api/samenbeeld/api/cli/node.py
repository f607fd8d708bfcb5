"""`samenbeeld node ...`: a municipality's own data (ingest, local indicators) and its API."""

from __future__ import annotations

import click

from samenbeeld.api.cli.serve import fd_option, host_option, port_option, serve
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.settings import NodeSettings

municipality_option = click.option("--municipality", help="CBS code (or SAMENBEELD_MUNICIPALITY).")


def node_settings(ctx: click.Context, municipality: str | None) -> NodeSettings:
    """This node's settings from config file, environment and the CLI option."""
    return NodeSettings.load(ctx.obj["config"], municipality=municipality)


@click.group()
def node() -> None:
    """Work with this municipality's node database."""


@node.command()
@municipality_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def ingest(ctx: click.Context, municipality: str | None, file: str) -> None:
    """Load a CSV or JSON file of aggregate records; a file with any bad row loads nothing."""
    from samenbeeld.platform.ingest import ingest_file

    settings = node_settings(ctx, municipality)
    with session_scope(settings.effective_database_url) as session:
        report = ingest_file(session, file, municipality=settings.municipality)
    click.echo(report.summary())


@node.command()
@municipality_option
@click.pass_context
def indicators(ctx: click.Context, municipality: str | None) -> None:
    """Compute every catalog indicator locally (in SQL) and print the totals."""
    from samenbeeld.platform.catalog import load_catalog
    from samenbeeld.platform.indicators import compute_indicators, totals_table

    settings = node_settings(ctx, municipality)
    with session_scope(settings.effective_database_url) as session:
        values = compute_indicators(session, load_catalog())
    click.echo(totals_table(values))


@node.command("serve")
@municipality_option
@host_option
@port_option
@fd_option
@click.pass_context
def serve_node(
    ctx: click.Context, municipality: str | None, host: str, port: int | None, fd: int | None
) -> None:
    """Serve this node's API (its database must be at head: samenbeeld db upgrade)."""
    serve(node_settings(ctx, municipality), host, port, fd)
