"""GET /health: the service is up and its role database answers."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import ServiceUnavailable

from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.errors import PROBLEM_JSON, ProblemSchema
from samenbeeld.platform.settings import BaseSettings, NodeSettings, PartySettings

blp = Blueprint("health", __name__, description="Liveness and database check.")
logger = logging.getLogger(__name__)


class HealthSchema(ma.Schema):
    """The service's role and the state of its database."""

    status = ma.fields.String(required=True, metadata={"example": "ok"})
    role = ma.fields.String(required=True, metadata={"example": "node"})
    database = ma.fields.String(required=True, metadata={"example": "ok"})
    municipality = ma.fields.String(metadata={"description": "node only", "example": "GM0758"})
    index = ma.fields.Integer(metadata={"description": "compute party only", "example": 0})


@blp.route("/health")
class Health(MethodView):
    """Liveness of this service."""

    @blp.response(200, HealthSchema)
    @blp.alt_response(
        503,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="The database does not answer.",
    )
    def get(self) -> dict[str, object]:
        """Report the role, after a SELECT 1 on the role database."""
        settings = current_settings()
        ping_database(settings.role)
        return {"status": "ok", "role": settings.role, "database": "ok", **identity(settings)}


def ping_database(role: str) -> None:
    """SELECT 1 on the role database; 503 when it does not answer."""
    try:
        get_session().execute(text("SELECT 1"))
    except DBAPIError as exc:
        logger.warning("health: the %s database does not answer (%s)", role, type(exc).__name__)
        raise ServiceUnavailable(f"the {role} database does not answer") from None


def identity(settings: BaseSettings) -> dict[str, object]:
    """Who this service is: the node's municipality, the party's index."""
    if isinstance(settings, NodeSettings):
        return {"municipality": settings.municipality}
    if isinstance(settings, PartySettings):
        return {"index": settings.index}
    return {}
