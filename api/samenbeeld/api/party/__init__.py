"""The party API: blueprints that only a compute party serves."""

from __future__ import annotations

from flask_smorest import Api

from samenbeeld.api.party import compute, shares


def register(api: Api) -> None:
    """Register the party blueprints on api; each new resource adds one line here."""
    api.register_blueprint(shares.blp)
    api.register_blueprint(compute.blp)
