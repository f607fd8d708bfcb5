"""Alembic environment of the hub database (see samenbeeld.platform.migrate)."""

from samenbeeld.platform.migrate import run_alembic_env

run_alembic_env("hub")
