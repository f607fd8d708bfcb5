"""`samenbeeld db ...`: migrations of one role's database."""

from __future__ import annotations

import click

from samenbeeld.platform import migrate
from samenbeeld.platform.errors import ConfigurationError
from samenbeeld.platform.settings import SETTINGS_BY_ROLE, BaseSettings

role_option = click.option("--role", type=click.Choice(migrate.ROLES), required=True)
municipality_option = click.option("--municipality", help="CBS code of the node (role node).")
index_option = click.option("--index", type=int, help="Party index 0, 1 or 2 (role party).")


def role_settings(
    ctx: click.Context, role: str, municipality: str | None, index: int | None
) -> BaseSettings:
    """Load the role's settings from config file and environment plus CLI overrides."""
    overrides: dict[str, object] = {}
    if role == "node":
        overrides["municipality"] = municipality
    if role == "party":
        overrides["index"] = index
    return SETTINGS_BY_ROLE[role].load(ctx.obj["config"], **overrides)


@click.group()
def db() -> None:
    """Database migrations (one Alembic history per role)."""


@db.command()
@role_option
@municipality_option
@index_option
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def upgrade(
    ctx: click.Context, role: str, municipality: str | None, index: int | None, revision: str
) -> None:
    """Apply migrations to the role's database."""
    url = role_settings(ctx, role, municipality, index).effective_database_url
    migrate.upgrade(role, url, revision)
    click.echo(f"{role} database at {migrate.current_revision(role, url)}")


@db.command()
@role_option
@municipality_option
@index_option
@click.option("--revision", default="-1", show_default=True)
@click.pass_context
def downgrade(
    ctx: click.Context, role: str, municipality: str | None, index: int | None, revision: str
) -> None:
    """Revert migrations of the role's database."""
    url = role_settings(ctx, role, municipality, index).effective_database_url
    migrate.downgrade(role, url, revision)
    click.echo(f"{role} database at {migrate.current_revision(role, url) or 'base'}")


@db.command()
@role_option
@municipality_option
@index_option
@click.pass_context
def check(ctx: click.Context, role: str, municipality: str | None, index: int | None) -> None:
    """Fail when the database is not at head or its schema drifts from the models."""
    url = role_settings(ctx, role, municipality, index).effective_database_url
    if migrate.current_revision(role, url) != migrate.head_revision(role):
        raise ConfigurationError(f"{role} database is not at head; run samenbeeld db upgrade")
    differences = migrate.drift(role, url)
    if differences:
        raise ConfigurationError(f"{role} models and migrations differ: {differences}")
    click.echo(f"{role} database matches the models")
