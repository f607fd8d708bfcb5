"""`samenbeeld token create`: a user token signed by the hub, for local use."""

from __future__ import annotations

import click

from samenbeeld.platform.keys import key_id, read_private_key
from samenbeeld.platform.settings import HubSettings
from samenbeeld.platform.users import DEFAULT_TTL_SECONDS, USER_ROLES, issue_user_token


@click.group()
def token() -> None:
    """Issue user tokens (people: municipality staff, VNG, national partners, admins)."""


@token.command("create")
@click.option("--role", type=click.Choice(USER_ROLES), required=True, help="The user's role.")
@click.option("--municipality", help="CBS code (GMxxxx); required for --role municipality.")
@click.option("--subject", help="Who the token is for (default: <role>[-<municipality>]).")
@click.option(
    "--ttl",
    type=click.IntRange(min=1),
    default=DEFAULT_TTL_SECONDS,
    show_default=True,
    help="Lifetime in seconds (at most 30 days).",
)
@click.pass_context
def create(
    ctx: click.Context, role: str, municipality: str | None, subject: str | None, ttl: int
) -> None:
    """Print a user token signed with the hub's key (the hub's key file must exist)."""
    settings = HubSettings.load(ctx.obj["config"])
    private = read_private_key(settings.effective_key_file)
    name = subject or "-".join(part for part in (role, municipality) if part)
    click.echo(
        issue_user_token(
            private,
            key_id(private.public_key()),
            subject=name,
            role=role,
            municipality=municipality,
            ttl_seconds=ttl,
        )
    )
