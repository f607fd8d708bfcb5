"""The trend API: catalog, released series, released distributions, early warnings, summary.

What is served, the guards, the ETags and the cache are the service's
(:mod:`samenbeeld.federation.hub.trends`); here a GET answers 304 to a matching
``If-None-Match`` and carries ``Cache-Control: private, max-age=60``. The release
generation is read at most once per ``TREND_VERSION_TTL_S`` seconds (Flask setting).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.errors import PROBLEM_JSON, ProblemSchema
from samenbeeld.api.users import user_or_node_required, user_required
from samenbeeld.federation.hub import trend_summary
from samenbeeld.federation.hub import trends as hub_trends
from samenbeeld.federation.hub.trend_cache import Answer, TrendCache
from samenbeeld.platform.noise import MECHANISMS
from samenbeeld.platform.settings import HubSettings
from samenbeeld.platform.trend_schemas import DistributionSchema, PeriodRangeSchema

CACHE_EXTENSION = "samenbeeld.trends"
"""The app's :class:`TrendCache` (a test may put one with its own clock here)."""
CACHE_CONTROL = "private, max-age=60"
VERSION_TTL = "TREND_VERSION_TTL_S"
"""Flask setting: how long the release generation is trusted before it is read again."""
View = TypeVar("View", bound=Callable[..., Any])

blp = Blueprint("trends", __name__, url_prefix="/api/v1", description="Cross-city trends.")


# -- schemas -----------------------------------------------------------------------------


class CatalogIndicatorSchema(ma.Schema):
    """One catalog indicator."""

    code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    title_nl = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    period = ma.fields.String(required=True, metadata={"enum": ["week", "month"]})
    measure = ma.fields.String(required=True)
    per_10000_residents = ma.fields.Boolean(required=True)
    buckets = ma.fields.List(ma.fields.Float(), required=True, allow_none=True)


class CatalogSchema(ma.Schema):
    """The whole catalog."""

    items = ma.fields.List(ma.fields.Nested(CatalogIndicatorSchema), required=True)


class RangeQueryArgsSchema(PeriodRangeSchema):
    """A period range (inclusive) and an output format."""

    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]))


class PageQueryArgsSchema(RangeQueryArgsSchema):
    """Range, format and page."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 1_000_000))
    page_size = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, 1000))


class SeriesQueryArgsSchema(PageQueryArgsSchema):
    """Range, moving-average window and page."""

    window = ma.fields.Integer(load_default=4, validate=ma.validate.Range(1, 104))


class IntervalSchema(ma.Schema):
    """The 95 % interval of a noisy figure."""

    low = ma.fields.Float(required=True)
    high = ma.fields.Float(required=True)


class SeriesPointSchema(ma.Schema):
    """One period of a series; value and mean are null when suppressed."""

    period_start = ma.fields.Date(required=True)
    value = ma.fields.Float(required=True, allow_none=True)
    suppressed_reason = ma.fields.String(required=True, allow_none=True)
    version = ma.fields.Integer(required=True)
    cohort_size = ma.fields.Integer(required=True)
    mechanism = ma.fields.String(
        required=True,
        metadata={"enum": list(MECHANISMS), "description": "exact, or the privacy noise's"},
    )
    noise_sd = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "sd of the privacy noise in the value's units; null if exact"},
    )
    interval = ma.fields.Nested(
        IntervalSchema,
        required=True,
        allow_none=True,
        metadata={"description": "95 % interval of a noisy value; null if exact or suppressed"},
    )
    mean_per_city = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "value / cohort_size (its noise: noise_sd / cohort_size)"},
    )
    moving_average = ma.fields.Float(required=True, allow_none=True)
    moving_average_noise_sd = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "sqrt(sum of the window's noise_sd**2) / window; null if exact"},
    )
    yoy_change = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "relative change, 0.25 = +25%"}
    )
    yoy_within_noise = ma.fields.Boolean(
        required=True,
        allow_none=True,
        metadata={"description": "whether the change is within the two values' noise (95 %)"},
    )
    anomaly = ma.fields.Boolean(
        required=True, metadata={"description": "a Hampel outlier beyond its noise"}
    )


class PaginationSchema(ma.Schema):
    """Where a page lies in the whole result."""

    page = ma.fields.Integer(required=True)
    page_size = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)


class SeriesSchema(ma.Schema):
    """A page of an indicator's released series."""

    indicator = ma.fields.String(required=True)
    period = ma.fields.String(required=True)
    window = ma.fields.Integer(required=True)
    points = ma.fields.List(ma.fields.Nested(SeriesPointSchema), required=True)
    pagination = ma.fields.Nested(PaginationSchema, required=True)


class SignalQueryArgsSchema(ma.Schema):
    """How many cities make a signal, weekly or monthly indicators."""

    k = ma.fields.Integer(load_default=3, validate=ma.validate.Range(1, 10_000))
    period = ma.fields.String(load_default="week", validate=ma.validate.OneOf(["week", "month"]))


class EarlyWarningQueryArgsSchema(SignalQueryArgsSchema):
    """Which period, how many cities make a signal, weekly or monthly, JSON or CSV."""

    period_start = ma.fields.Date(
        load_default=None, metadata={"description": "default: latest period with spike releases"}
    )
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]))


class IndicatorNameSchema(ma.Schema):
    """An indicator's code and titles."""

    indicator = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    title_nl = ma.fields.String(required=True)


class SignalSchema(IndicatorNameSchema):
    """An indicator for which at least k cities flag a spike (a count, never names)."""

    cities = ma.fields.Integer(required=True)


class WithheldSchema(IndicatorNameSchema):
    """An indicator whose spike count was released suppressed, or is withheld, and why."""

    suppressed_reason = ma.fields.String(required=True)


class EarlyWarningsSchema(ma.Schema):
    """Early-warning signals of one period, and whether it had a spike round at all."""

    period_start = ma.fields.Date(required=True, allow_none=True)
    k = ma.fields.Integer(required=True)
    spike_round_released = ma.fields.Boolean(
        required=True,
        metadata={"description": "false: no spike round was released for the period (unknown,"
                  " not quiet)"},
    )  # fmt: skip
    signals = ma.fields.List(ma.fields.Nested(SignalSchema), required=True)
    withheld = ma.fields.List(ma.fields.Nested(WithheldSchema), required=True)


class SummaryQueryArgsSchema(SignalQueryArgsSchema):
    """Weekly or monthly indicators, cities per early warning, indicators per list."""

    limit = ma.fields.Integer(load_default=5, validate=ma.validate.Range(1, 50))


class SummaryItemSchema(IndicatorNameSchema):
    """An indicator's released total in the summary's period, its change and anomaly flag."""

    value = ma.fields.Float(required=True)
    yoy_change = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "relative change, 0.25 = +25%"}
    )
    anomaly = ma.fields.Boolean(required=True)


class SummarySchema(ma.Schema):
    """What changed in the latest period with a released total."""

    period = ma.fields.String(required=True, metadata={"enum": ["week", "month"]})
    period_start = ma.fields.Date(required=True, allow_none=True)
    rises = ma.fields.List(ma.fields.Nested(SummaryItemSchema), required=True)
    falls = ma.fields.List(ma.fields.Nested(SummaryItemSchema), required=True)
    anomalies = ma.fields.List(ma.fields.Nested(SummaryItemSchema), required=True)
    early_warnings = ma.fields.Nested(EarlyWarningsSchema, required=True)


CACHE_HEADERS = {
    "ETag": {"description": "the data version and query", "schema": {"type": "string"}},
    "Cache-Control": {"description": CACHE_CONTROL, "schema": {"type": "string"}},
}
CSV_RESPONSE = {"schema": {"type": "string"}, "content_type": "text/csv", "success": True}
PROBLEM = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}


def documented(view: View) -> View:
    """The alternative responses every trend GET may give."""
    view = blp.alt_response(304, description="Not modified (If-None-Match matches the ETag)")(view)
    for status in (401, 404):
        view = blp.alt_response(status, **PROBLEM)(view)
    return view


def reader() -> hub_trends.TrendReader:
    """This request's trend reader: the app's cache, the hub's rules, If-None-Match."""
    cache: TrendCache | None = current_app.extensions.get(CACHE_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(CACHE_EXTENSION, TrendCache())
    minimum = current_settings(HubSettings).min_contributors
    ttl = current_app.config[VERSION_TTL]
    return hub_trends.TrendReader(get_session(), cache, minimum, ttl, request.if_none_match)


def respond(answer: Answer) -> Response:
    """The answer as a response with its caching headers (304 without a body)."""
    body = answer.body
    response = Response(status=304)
    if body is not None:
        response = Response(body.content, mimetype=body.media_type)
        response.headers.update(body.headers)
    response.set_etag(answer.etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@blp.route("/indicators")
class Indicators(MethodView):
    """The indicator catalog."""

    @user_required()
    @blp.response(200, CatalogSchema, headers=CACHE_HEADERS)
    @documented
    def get(self) -> Response:
        """Every indicator: code, titles, description, period, measure, buckets."""
        return respond(hub_trends.catalog_answer(reader(), CatalogSchema().dump))


@blp.route("/indicators/<code>/series")
class Series(MethodView):
    """An indicator's released series."""

    @user_required()
    @blp.arguments(SeriesQueryArgsSchema(), location="query")
    @blp.response(200, SeriesSchema, headers=CACHE_HEADERS)
    @blp.alt_response(200, **CSV_RESPONSE)
    @documented
    def get(self, args: dict[str, Any], code: str) -> Response:
        """Released totals with moving average, year-over-year change and anomaly flags.

        Computed over the indicator's whole released history, then restricted to from..to,
        then paginated. A value with privacy noise has its noise sd and 95 % interval; the
        moving average its noise sd, the change whether it is within the noise, and an
        anomaly must lie beyond the noise. CSV has the same columns (the interval as
        interval_low and interval_high); a suppressed value is empty.
        """
        return respond(hub_trends.series_answer(reader(), code, args, SeriesSchema().dump))


@blp.route("/indicators/<code>/distribution")
class Distribution(MethodView):
    """An indicator's released histograms."""

    @user_or_node_required  # nodes fetch distributions
    @blp.arguments(RangeQueryArgsSchema(), location="query")
    @blp.response(200, DistributionSchema, headers=CACHE_HEADERS)
    @blp.alt_response(200, **CSV_RESPONSE)
    @documented
    def get(self, args: dict[str, Any], code: str) -> Response:
        """Bucket counts per period with grouped-data quartiles; 404 without buckets.

        Users of any role and nodes (service token) may read it. A period is withheld
        (counts null, with the reason) when a bucket is suppressed or missing, when fewer
        than the minimum of cities are counted, or when it is concentrated.
        """
        dump = DistributionSchema().dump
        return respond(hub_trends.distribution_answer(reader(), code, args, dump))


@blp.route("/early-warnings")
class EarlyWarnings(MethodView):
    """Indicators in which many cities flag a spike."""

    @user_required()
    @blp.arguments(EarlyWarningQueryArgsSchema(), location="query")
    @blp.response(200, EarlyWarningsSchema, headers=CACHE_HEADERS)
    @blp.alt_response(200, **CSV_RESPONSE)
    @documented
    def get(self, args: dict[str, Any]) -> Response:
        """Indicators where at least k cities flag a spike in the period: counts, never names.

        ``spike_round_released`` is false for a period without a released spike round: no
        signals there means nothing is known. Counts that are suppressed, or withheld because
        at most one city or all but one flag a spike, are listed with the reason. CSV: a row
        per signal and per withheld count; a period without either is one row without an
        indicator.
        """
        dump = EarlyWarningsSchema().dump
        return respond(hub_trends.early_warnings_answer(reader(), args, dump))


@blp.route("/summary")
class Summary(MethodView):
    """What changed in the latest released period."""

    @user_required()
    @blp.arguments(SummaryQueryArgsSchema(), location="query")
    @blp.response(200, SummarySchema, headers=CACHE_HEADERS)
    @documented
    def get(self, args: dict[str, Any]) -> Response:
        """For the latest period with a released total: the largest rises and falls against a
        year earlier (at most ``limit`` each, largest first), the anomalies and the early
        warnings, from the same series and early-warning answers; nothing per city.
        """
        return respond(trend_summary.summary_answer(reader(), args, SummarySchema().dump))
