"""The node API: blueprints that only a municipality's node serves."""

from __future__ import annotations

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the node blueprints on api; each new resource adds one line here."""
