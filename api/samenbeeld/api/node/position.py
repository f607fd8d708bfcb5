"""``GET /api/v1/position/<code>``: this municipality's own figure beside the released distribution.

Only users of this node's own municipality may ask (everyone else gets the same 403, before
anything is looked up). The figure is computed and placed on the node
(:mod:`samenbeeld.federation.node.position`); it never leaves the node.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.errors import PROBLEM_JSON, ProblemSchema
from samenbeeld.api.outbound import http_client, own_signer
from samenbeeld.api.users import current_user, user_required
from samenbeeld.federation.node import position as node_position
from samenbeeld.platform.settings import NodeSettings
from samenbeeld.platform.trend_schemas import PeriodRangeSchema, QuartilesSchema

View = TypeVar("View", bound=Callable[..., Any])

blp = Blueprint(
    "position", __name__, url_prefix="/api/v1", description="This municipality's own position."
)


def own_users_only(view: View) -> View:
    """A user token of this node's municipality; 401/403 before anything else happens."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        current_user().require_municipality(current_settings(NodeSettings).municipality)
        return view(*args, **kwargs)

    return user_required()(wrapped)  # type: ignore[return-value]


class PositionQueryArgsSchema(PeriodRangeSchema):
    """A period range (inclusive)."""


class BandSchema(QuartilesSchema):
    """The released distribution's quartiles."""


class PositionPointSchema(ma.Schema):
    """The own figure of one period and where it lies; null where nothing is released."""

    period_start = ma.fields.Date(required=True)
    own_figure = ma.fields.Float(required=True, allow_none=True)
    own_bucket = ma.fields.Integer(required=True, allow_none=True)
    quartile = ma.fields.Integer(required=True, allow_none=True, metadata={"enum": [1, 2, 3, 4]})
    z_score = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "approximate (grouped data)"}
    )
    band = ma.fields.Nested(BandSchema, required=True, allow_none=True)
    cohort_size = ma.fields.Integer(required=True, allow_none=True)
    suppressed_reason = ma.fields.String(required=True, allow_none=True)


class PositionSchema(ma.Schema):
    """This municipality's position per period."""

    indicator = ma.fields.String(required=True)
    municipality = ma.fields.String(required=True)
    points = ma.fields.List(ma.fields.Nested(PositionPointSchema), required=True)


@blp.route("/position/<code>")
class Position(MethodView):
    """This municipality's own position in an indicator's released distribution."""

    @own_users_only
    @blp.arguments(PositionQueryArgsSchema, location="query")
    @blp.response(200, PositionSchema)
    @blp.alt_response(401, schema=ProblemSchema, content_type=PROBLEM_JSON)
    @blp.alt_response(403, schema=ProblemSchema, content_type=PROBLEM_JSON)
    @blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON)
    @blp.alt_response(502, schema=ProblemSchema, content_type=PROBLEM_JSON)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Own figure, bucket, quartile, z-score and the band, per period with own data."""
        return node_position.own_position(
            get_session(),
            current_settings(NodeSettings),
            own_signer(),
            http_client(),
            code,
            args["start"],
            args["end"],
        )
