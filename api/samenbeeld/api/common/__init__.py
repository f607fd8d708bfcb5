"""Blueprints every role serves."""

from __future__ import annotations

from flask_smorest import Api

from samenbeeld.api.common import health


def register(api: Api) -> None:
    """Register the shared blueprints on api."""
    api.register_blueprint(health.blp)
