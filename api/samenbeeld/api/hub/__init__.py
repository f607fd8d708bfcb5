"""The hub API: blueprints that only the hub serves."""

from __future__ import annotations

from flask_smorest import Api

from samenbeeld.api import dashboard
from samenbeeld.api.hub import keys, releases, rounds, templates, trends


def register(api: Api) -> None:
    """Register the hub blueprints on api; each new resource adds one line here."""
    api.register_blueprint(keys.blp)
    api.register_blueprint(releases.blp)
    api.register_blueprint(rounds.blp)
    api.register_blueprint(templates.blp)
    api.register_blueprint(trends.blp)
    dashboard.register(api)
