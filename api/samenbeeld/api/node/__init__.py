"""The node API: blueprints that only a municipality's node serves."""

from __future__ import annotations

from flask_smorest import Api

from samenbeeld.api import dashboard
from samenbeeld.api.node import audit, opt_ins, position, rounds, templates


def register(api: Api) -> None:
    """Register the node blueprints on api; each new resource adds one line here."""
    api.register_blueprint(opt_ins.blp)
    api.register_blueprint(rounds.blp)
    api.register_blueprint(audit.blp)
    api.register_blueprint(position.blp)
    api.register_blueprint(templates.blp)
    dashboard.register(api)
