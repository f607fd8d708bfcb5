"""``GET /api/v1/position/<code>``: this municipality's own figure beside the released distribution.

Only users of this node's own municipality may ask (everyone else gets the same 403, before
anything is looked up). The node computes its own figure per period from its own tables
(:func:`samenbeeld.platform.indicators.compute_indicators`), fetches the released
distribution from the hub with its service token (a GET naming only the indicator and the
range the user asked for), and places the figure in it: the quartile (1 to 4) against the
grouped-data quartiles, and an approximate z-score from the histogram's grouped mean and
standard deviation (bucket midpoints; see :mod:`samenbeeld.platform.trends`). The figure
never leaves the node.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadGateway

from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.errors import PROBLEM_JSON, ProblemSchema
from samenbeeld.api.hub.trends import DistributionSchema, indicator_of
from samenbeeld.api.node.rounds import http_client, node_signer
from samenbeeld.api.users import current_user, user_required
from samenbeeld.platform import trends
from samenbeeld.platform.catalog import Catalog, Indicator
from samenbeeld.platform.indicators import IndicatorResult, compute_indicators
from samenbeeld.platform.settings import NodeSettings, audience_for

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


class PositionQueryArgsSchema(ma.Schema):
    """A period range (inclusive)."""

    start = ma.fields.Date(data_key="from", load_default=None, metadata={"example": "2026-01-05"})
    end = ma.fields.Date(data_key="to", load_default=None, metadata={"example": "2026-03-30"})

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        """from must not lie after to."""
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ma.ValidationError("'from' must not be after 'to'", "from")


class BandSchema(ma.Schema):
    """The released distribution's quartiles."""

    q1 = ma.fields.Float(required=True)
    median = ma.fields.Float(required=True)
    q3 = ma.fields.Float(required=True)


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
        settings = current_settings(NodeSettings)
        indicator = indicator_of(code, histogram=True)
        released = fetch_distribution(http_client(), settings, code, args["start"], args["end"])
        own = own_results(get_session(), indicator, args["start"], args["end"])
        points = [position(indicator, result, released.get(result.period_start)) for result in own]
        return {"indicator": code, "municipality": settings.municipality, "points": points}


def fetch_distribution(
    client: httpx.Client,
    settings: NodeSettings,
    code: str,
    start: dt.date | None,
    end: dt.date | None,
) -> dict[dt.date, dict[str, Any]]:
    """The hub's released distribution periods by start; only the range goes out."""
    params = {"format": "json"}
    params |= {k: v.isoformat() for k, v in (("from", start), ("to", end)) if v is not None}
    url = f"{settings.hub_url.rstrip('/')}/api/v1/indicators/{code}/distribution"
    headers = node_signer(settings).headers(audience_for("hub", "hub"))
    try:
        response = client.get(url, params=params, headers=headers)
    except httpx.HTTPError as error:
        raise BadGateway(f"the hub did not answer: {type(error).__name__}") from None
    if response.status_code != 200:
        raise BadGateway(f"the hub answered {response.status_code}")
    try:
        body = DistributionSchema().load(response.json())
    except (ValueError, ma.ValidationError):
        raise BadGateway("the hub's answer is not a distribution") from None
    return {p["period_start"]: {**p, "edges": body["edges"]} for p in body["periods"]}


def own_results(
    session: Session, indicator: Indicator, start: dt.date | None, end: dt.date | None
) -> list[IndicatorResult]:
    """This node's own results of indicator in the range, computed from its own tables."""
    results = compute_indicators(session, Catalog((indicator,)))
    return [
        r
        for r in results
        if (start is None or r.period_start >= start) and (end is None or r.period_start <= end)
    ]


def position(
    indicator: Indicator, own: IndicatorResult, released: dict[str, Any] | None
) -> dict[str, Any]:
    """The own figure of one period placed in that period's released histogram, if any."""
    figure = own.rate if indicator.per_10000_residents else own.value
    point: dict[str, Any] = {"period_start": own.period_start, "own_figure": figure}
    point |= {"own_bucket": own.bucket, "quartile": None, "z_score": None, "band": None}
    point |= {"cohort_size": None, "suppressed_reason": None}
    if released is None:
        return point
    point["cohort_size"] = released["cohort_size"]
    point["suppressed_reason"] = released["suppressed_reason"]
    counts = released["counts"]
    if counts is None or figure is None:
        return point
    if tuple(released["edges"]) != indicator.buckets:
        raise BadGateway("the hub's bucket edges differ from this node's catalog")
    bounds = trends.bucket_bounds(released["edges"], *trends.figure_range(indicator))
    band = trends.quartiles(counts, bounds)
    if band is not None:
        point["band"] = band
        point["quartile"] = trends.quartile_of(figure, band)
    point["z_score"] = trends.z_score(figure, counts, bounds)
    return point
