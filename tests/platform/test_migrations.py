"""Migrations go up and down on every backend, and match the models."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from samenbeeld.platform import migrate
from samenbeeld.platform.db import make_engine
from samenbeeld.platform.models import BASES


def _tables(url: str) -> set[str]:
    """Table names in the database, without Alembic's own."""
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.parametrize("role", migrate.ROLES)
def test_upgrade_creates_every_model_table_then_downgrade_removes_them(databases, role):
    url = databases.create()
    migrate.upgrade(role, url)
    assert _tables(url) == set(BASES[role].metadata.tables)
    assert migrate.current_revision(role, url) == migrate.head_revision(role)
    migrate.downgrade(role, url, "base")
    assert _tables(url) == set()
    assert migrate.current_revision(role, url) is None


@pytest.mark.parametrize("role", migrate.ROLES)
def test_models_and_migrations_do_not_drift(databases, role):
    url = databases.create()
    migrate.upgrade(role, url)
    assert migrate.drift(role, url) == []


def test_role_databases_are_disjoint():
    tables = [set(base.metadata.tables) for base in BASES.values()]
    assert not (tables[0] & tables[1] or tables[0] & tables[2] or tables[1] & tables[2])
