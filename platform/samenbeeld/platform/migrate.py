"""Alembic, driven from code: one migration history per role database.

Each role (node, party, hub) has its own database and its own history in
``migrations/<role>/``; every ``env.py`` there is two lines that call
:func:`run_alembic_env`. ``samenbeeld db upgrade --role node`` ends up in :func:`upgrade`.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, pool

from samenbeeld.platform.db import make_engine
from samenbeeld.platform.errors import ConfigurationError
from samenbeeld.platform.models import BASES

ROLES = tuple(BASES)


def migrations_dir() -> Path:
    """The folder holding migrations/<role>/: the checkout's, or the wheel's copy."""
    override = os.environ.get("SAMENBEELD_MIGRATIONS_DIR")
    candidates = [Path(override)] if override else []
    here = Path(__file__).resolve()
    candidates += [here.parents[3] / "migrations", here.parent / "_migrations"]
    for candidate in candidates:
        if (candidate / "node" / "env.py").is_file():
            return candidate
    raise ConfigurationError("cannot find the migrations folder; set SAMENBEELD_MIGRATIONS_DIR")


def alembic_config(role: str, url: str) -> Config:
    """An Alembic Config for one role's history against one database URL."""
    if role not in BASES:
        raise ConfigurationError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    config = Config()
    config.set_main_option("script_location", str(migrations_dir() / role))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["role"] = role
    return config


def upgrade(role: str, url: str, revision: str = "head") -> None:
    """Apply migrations up to revision."""
    command.upgrade(alembic_config(role, url), revision)


def downgrade(role: str, url: str, revision: str = "base") -> None:
    """Revert migrations down to revision."""
    command.downgrade(alembic_config(role, url), revision)


def current_revision(role: str, url: str) -> str | None:
    """The revision the database is at, or None when it has none."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision(role: str) -> str | None:
    """The newest revision in the role's history."""
    return ScriptDirectory.from_config(alembic_config(role, "sqlite://")).get_current_head()


def drift(role: str, url: str) -> list[object]:
    """Differences between the models and a migrated database; empty when they match."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, BASES[role].metadata))
    finally:
        engine.dispose()


def run_alembic_env(role: str) -> None:
    """Body of every migrations/<role>/env.py: online migrations for role."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise ConfigurationError("no database URL given to Alembic")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=BASES[role].metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run_online(context, connection, role)
    finally:
        engine.dispose()


def _run_online(context: object, connection: Connection, role: str) -> None:
    """Run the migrations on an open connection (batch mode keeps SQLite working)."""
    context.configure(  # type: ignore[attr-defined]
        connection=connection,
        target_metadata=BASES[role].metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():  # type: ignore[attr-defined]
        context.run_migrations()  # type: ignore[attr-defined]
