"""Alembic environment of the node database (see samenbeeld.platform.migrate)."""

from samenbeeld.platform.migrate import run_alembic_env

run_alembic_env("node")
