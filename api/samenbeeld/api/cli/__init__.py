"""The `samenbeeld` command line: one click group per area (db, node, party, hub, keys, token,
demo, airflow, privacy)."""

from __future__ import annotations

import click

from samenbeeld.api.cli import airflow, db, demo, hub, keys, node, party, privacy, token
from samenbeeld.platform.errors import SamenbeeldError


class _Group(click.Group):
    """Turns Samenbeeld's named errors into a clean message and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; report SamenbeeldError without a traceback."""
        try:
            return super().invoke(ctx)
        except SamenbeeldError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    envvar="SAMENBEELD_CONFIG",
    help="TOML settings file (also SAMENBEELD_CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Samenbeeld: federated safety indicators for Dutch municipalities."""
    ctx.obj = {"config": config}


main.add_command(db.db)
main.add_command(node.node)
main.add_command(party.party)
main.add_command(hub.hub)
main.add_command(demo.demo)
main.add_command(airflow.airflow)
main.add_command(token.token)
main.add_command(keys.keys)
main.add_command(privacy.privacy)
