"""`samenbeeld db ...`: migrations of one role's database."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

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


def role_database(command: Callable[..., None]) -> Callable[..., None]:
    """Give command the options --role, --municipality and --index; call it with the role
    and the URL of that role's database (its own options follow as keywords)."""

    @role_option
    @municipality_option
    @index_option
    @click.pass_context
    @functools.wraps(command)
    def with_database(
        ctx: click.Context, role: str, municipality: str | None, index: int | None, **options: Any
    ) -> None:
        url = role_settings(ctx, role, municipality, index).effective_database_url
        command(role, url, **options)

    return with_database


@click.group()
def db() -> None:
    """Database migrations (one Alembic history per role)."""


@db.command()
@role_database
@click.option("--revision", default="head", show_default=True)
def upgrade(role: str, url: str, revision: str) -> None:
    """Apply migrations to the role's database."""
    migrate.upgrade(role, url, revision)
    click.echo(f"{role} database at {migrate.current_revision(role, url)}")


@db.command()
@role_database
@click.option("--revision", default="-1", show_default=True)
def downgrade(role: str, url: str, revision: str) -> None:
    """Revert migrations of the role's database."""
    migrate.downgrade(role, url, revision)
    click.echo(f"{role} database at {migrate.current_revision(role, url) or 'base'}")


@db.command()
@role_database
def check(role: str, url: str) -> None:
    """Fail when the database is not at head or its schema drifts from the models."""
    if migrate.current_revision(role, url) != migrate.head_revision(role):
        raise ConfigurationError(f"{role} database is not at head; run samenbeeld db upgrade")
    differences = migrate.drift(role, url)
    if differences:
        raise ConfigurationError(f"{role} models and migrations differ: {differences}")
    click.echo(f"{role} database matches the models")
