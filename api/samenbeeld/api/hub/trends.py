"""The trend API: catalog, released series, released distributions, early warnings.

Only released aggregates are served (the latest ``version`` of every cell), and three
guards hold even when a stored release is wrong: a cell with a suppression reason is served
without its value; a cell whose cohort is below the hub's ``min_contributors`` is served
suppressed; a histogram with one bucket holding all counted cities, or all but one, is
served suppressed as ``concentrated`` (:mod:`samenbeeld.platform.trends`).

Every GET carries a strong ``ETag`` derived from the release generation (the number of
release rows and their highest id, which grows with every new release or correction) and
the query, ``Cache-Control: private, max-age=60``, and answers 304 to a matching
``If-None-Match``. The generation is one small query, read at most once a second per
process (Flask setting ``TREND_VERSION_TTL_S``: a new release shows at most a second late).
Computed series and distributions are kept per (scope, generation) in the app, rendered
bodies per ETag, so a repeated request touches no database.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import ColumnElement, func, select

from samenbeeld.api import users
from samenbeeld.api.auth import bearer_token, token_required
from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.errors import PROBLEM_JSON, ProblemSchema
from samenbeeld.api.users import user_required
from samenbeeld.platform import trends
from samenbeeld.platform.catalog import Catalog, Indicator, load_catalog
from samenbeeld.platform.errors import NotFoundError
from samenbeeld.platform.models.hub import Release
from samenbeeld.platform.settings import HubSettings
from samenbeeld.platform.users import UserTokenVerifier

CACHE_EXTENSION = "samenbeeld.trends"
CACHE_CONTROL = "private, max-age=60"
CACHE_ENTRIES = 1024
VERSION_TTL = "TREND_VERSION_TTL_S"
"""Flask setting: how long a scope's data version is trusted before it is read again."""
CSV = "text/csv"
View = TypeVar("View", bound=Callable[..., Any])

blp = Blueprint("trends", __name__, url_prefix="/api/v1", description="Cross-city trends.")


def reader_required() -> Callable[[View], View]:
    """A user token of any role, or a node's service token (nodes fetch distributions)."""

    def decorate(view: View) -> View:
        as_user, as_node = user_required()(view), token_required("node")(view)

        @functools.wraps(as_user)  # keeps the view's API doc and the user roles it records
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            verifier: UserTokenVerifier = current_app.extensions[users.EXTENSION]
            issuer = verifier.issuer_of(bearer_token())  # service tokens have none
            return (as_user if issuer is not None else as_node)(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


@functools.cache
def catalog() -> Catalog:
    """The shipped indicator catalog (static for the life of the process)."""
    return load_catalog()


def indicator_of(code: str, *, histogram: bool = False) -> Indicator:
    """The catalog indicator, 404 when unknown (or, with histogram, without buckets)."""
    indicator = catalog().get(code)
    if histogram and indicator.buckets is None:
        raise NotFoundError(f"indicator {code!r} has no distribution (no buckets)")
    return indicator


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


class RangeQueryArgsSchema(ma.Schema):
    """A period range (inclusive) and an output format."""

    start = ma.fields.Date(data_key="from", load_default=None, metadata={"example": "2026-01-05"})
    end = ma.fields.Date(data_key="to", load_default=None, metadata={"example": "2026-03-30"})
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]))

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        """from must not lie after to."""
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ma.ValidationError("'from' must not be after 'to'", "from")


class SeriesQueryArgsSchema(RangeQueryArgsSchema):
    """Range, moving-average window and page."""

    window = ma.fields.Integer(load_default=4, validate=ma.validate.Range(1, 104))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 1_000_000))
    page_size = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, 1000))


class SeriesPointSchema(ma.Schema):
    """One period of a series; value and mean are null when suppressed."""

    period_start = ma.fields.Date(required=True)
    value = ma.fields.Float(required=True, allow_none=True)
    suppressed_reason = ma.fields.String(required=True, allow_none=True)
    version = ma.fields.Integer(required=True)
    cohort_size = ma.fields.Integer(required=True)
    mean_per_city = ma.fields.Float(required=True, allow_none=True)
    moving_average = ma.fields.Float(required=True, allow_none=True)
    yoy_change = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "relative change, 0.25 = +25%"}
    )
    anomaly = ma.fields.Boolean(required=True)


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


class QuartilesSchema(ma.Schema):
    """Grouped-data quartiles (figures interpolated within their bucket)."""

    q1 = ma.fields.Float(required=True)
    median = ma.fields.Float(required=True)
    q3 = ma.fields.Float(required=True)


class DistributionPeriodSchema(ma.Schema):
    """One period's histogram; counts and quartiles are null when withheld."""

    period_start = ma.fields.Date(required=True)
    counts = ma.fields.List(ma.fields.Integer(), required=True, allow_none=True)
    suppressed_reason = ma.fields.String(required=True, allow_none=True)
    cohort_size = ma.fields.Integer(required=True)
    version = ma.fields.Integer(required=True)
    quartiles = ma.fields.Nested(QuartilesSchema, required=True, allow_none=True)
    quartile_buckets = ma.fields.List(ma.fields.Integer(), required=True, allow_none=True)


class DistributionSchema(ma.Schema):
    """An indicator's released distributions over a range."""

    indicator = ma.fields.String(required=True)
    edges = ma.fields.List(ma.fields.Float(), required=True)
    periods = ma.fields.List(ma.fields.Nested(DistributionPeriodSchema), required=True)


class EarlyWarningQueryArgsSchema(ma.Schema):
    """Which period, how many cities make a signal, weekly or monthly indicators."""

    period_start = ma.fields.Date(
        load_default=None, metadata={"description": "default: latest period with spike releases"}
    )
    k = ma.fields.Integer(load_default=3, validate=ma.validate.Range(1, 10_000))
    period = ma.fields.String(load_default="week", validate=ma.validate.OneOf(["week", "month"]))


class SignalSchema(ma.Schema):
    """An indicator for which at least k cities flag a spike (a count, never names)."""

    indicator = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    title_nl = ma.fields.String(required=True)
    cities = ma.fields.Integer(required=True)


class EarlyWarningsSchema(ma.Schema):
    """Early-warning signals of one period."""

    period_start = ma.fields.Date(required=True, allow_none=True)
    k = ma.fields.Integer(required=True)
    signals = ma.fields.List(ma.fields.Nested(SignalSchema), required=True)


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


# -- data and caching -------------------------------------------------------------------


class TrendCache:
    """A small thread-safe LRU of computed results and rendered bodies, per app."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Any:
        """The cached item, or None."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: tuple[str, ...], item: Any) -> Any:
        """Keep item under key (dropping the least recently used) and return it."""
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return item


def cache() -> TrendCache:
    """This app's trend cache."""
    found: TrendCache | None = current_app.extensions.get(CACHE_EXTENSION)
    if found is None:
        found = current_app.extensions.setdefault(CACHE_EXTENSION, TrendCache())
    return found


def release_generation() -> str:
    """Number of release rows and their highest id, as read at most ``TREND_VERSION_TTL_S``
    ago (else read now). Releases and corrections only ever add rows, so this changes with
    every one of them; it is served at most that long (default 1 s) late.
    """
    known: tuple[str, float] | None = cache().get(("generation",))
    now = time.monotonic()
    if known is not None and now - known[1] < current_app.config[VERSION_TTL]:
        return known[0]
    query = select(func.count(Release.id), func.max(Release.id))
    count, highest = get_session().execute(query).one()
    generation = f"{count}-{highest or 0}"
    cache().put(("generation",), (generation, now))
    return generation


CELL_COLUMNS = (
    Release.period_start,
    Release.cell,
    Release.value,
    Release.suppressed_reason,
    Release.version,
    Release.cohort_size,
)


def load_cells(where: ColumnElement[bool]) -> list[trends.Cell]:
    """The servable latest cells (guards applied) that where selects, in period order."""
    rows = get_session().execute(select(*CELL_COLUMNS).where(where)).all()
    minimum = current_settings(HubSettings).min_contributors
    latest = trends.latest_versions([trends.Cell(*row) for row in rows])
    return [trends.servable(c, minimum) for c in latest]


def etag_of(*parts: object) -> str:
    """A strong ETag from the parts (data version, indicator, normalised query)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def not_modified(etag: str) -> Response | None:
    """A 304 when the request's If-None-Match holds etag, else None."""
    if not request.if_none_match.contains(etag):
        return None
    return finish(Response(status=304), etag)


Body = tuple[bytes, str, dict[str, str]]
"""A rendered body: bytes, media type, extra headers."""


def finish(body: Body | Response, etag: str) -> Response:
    """The response with its caching headers."""
    response = body if isinstance(body, Response) else Response(body[0], mimetype=body[1])
    if not isinstance(body, Response):
        response.headers.update(body[2])
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def serve(
    scope: tuple[str, ...],
    query: tuple[str, ...],
    compute: Callable[[], Any],
    render: Callable[[Any], Body],
) -> Response:
    """304, or the rendered answer to query: results cached per scope and release generation.

    The generation (:func:`release_generation`) is read at most once a second; the computed
    result (per scope and generation) and the rendered body (per ETag) come from the cache
    when they can, so a repeated request touches no database. A release that lands while a
    result is computed may be in it already: it is then newer than its key, never older.
    """
    version = release_generation()
    etag = etag_of(scope, version, query)
    if (hit := not_modified(etag)) is not None:
        return hit
    body: Body | None = cache().get(("body", etag))
    if body is None:
        key = ("result", *scope, version)
        result = cache().get(key)
        if result is None:
            result = cache().put(key, compute())
        body = cache().put(("body", etag), render(result))
    return finish(body, etag)


def computed(
    where: Callable[[], ColumnElement[bool]], compute: Callable[[list[trends.Cell]], Any]
) -> Callable[[], Any]:
    """A ``serve`` computation over the servable latest cells that ``where()`` selects
    (built only when the cache misses: building a SQL expression costs a millisecond)."""

    def run() -> Any:
        return compute(load_cells(where()))

    return run


def as_json(schema: ma.Schema, data: Any, headers: dict[str, str] | None = None) -> Body:
    """A JSON body dumped with schema."""
    text = json.dumps(schema.dump(data), separators=(",", ":"), allow_nan=False)
    return text.encode(), "application/json", headers or {}


def as_csv(
    header: Sequence[str], rows: Sequence[Sequence[object]], headers: dict[str, str] | None = None
) -> Body:
    """A CSV body with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return out.getvalue().encode(), CSV, headers or {}


def _csv_cell(value: object) -> object:
    """None is empty, booleans are true/false, dates ISO, the rest as is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def within(points: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    """The points whose period lies in the query's from..to."""
    start, end = args["start"], args["end"]
    return [
        p
        for p in points
        if (start is None or p.period_start >= start) and (end is None or p.period_start <= end)
    ]


# -- series ------------------------------------------------------------------------------

TOTALS = Release.cell == "total"
BUCKETS = Release.cell.like("bucket:%")
SPIKES = Release.cell == "spikes"
SERIES_COLUMNS = tuple(SeriesPointSchema().fields)


@blp.route("/indicators")
class Indicators(MethodView):
    """The indicator catalog."""

    @user_required()
    @blp.response(200, CatalogSchema, headers=CACHE_HEADERS)
    @documented
    def get(self) -> Response:
        """Every indicator: code, titles, description, period, measure, buckets."""
        etag = etag_of("catalog", catalog())
        items = {"items": catalog().indicators}
        return not_modified(etag) or finish(as_json(CatalogSchema(), items), etag)


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
        then paginated. CSV has the same columns; a suppressed value is empty.
        """
        indicator = indicator_of(code)
        window = args["window"]
        return serve(
            ("series", code, str(window)),
            tuple(str(args[k]) for k in ("start", "end", "page", "page_size", "format")),
            computed(
                lambda: (Release.indicator == code) & TOTALS,
                lambda cells: trends.series_points(cells, indicator.period, window),
            ),
            lambda points: render_series(indicator, points, args),
        )


def render_series(
    indicator: Indicator, points: Sequence[trends.SeriesPoint], args: dict[str, Any]
) -> Body:
    """One page of the points in range, as JSON or CSV."""
    chosen = within(points, args)
    page, size = args["page"], args["page_size"]
    shown = chosen[(page - 1) * size : page * size]
    pagination = {"page": page, "page_size": size, "total": len(chosen)}
    pagination["pages"] = math.ceil(len(chosen) / size)
    headers = {"X-Pagination": json.dumps(pagination)}
    if args["format"] == "csv":
        rows = [[getattr(p, column) for column in SERIES_COLUMNS] for p in shown]
        return as_csv(SERIES_COLUMNS, rows, headers)
    body = {"indicator": indicator.code, "period": indicator.period, "window": args["window"]}
    body |= {"points": shown, "pagination": pagination}
    return as_json(SeriesSchema(), body, headers)


# -- distribution ------------------------------------------------------------------------


@blp.route("/indicators/<code>/distribution")
class Distribution(MethodView):
    """An indicator's released histograms."""

    @reader_required()
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
        indicator = indicator_of(code, histogram=True)
        assert indicator.buckets is not None
        bounds = trends.bucket_bounds(indicator.buckets, *trends.figure_range(indicator))
        minimum = current_settings(HubSettings).min_contributors
        return serve(
            ("distribution", code),
            tuple(str(args[k]) for k in ("start", "end", "format")),
            computed(
                lambda: (Release.indicator == code) & BUCKETS,
                lambda cells: trends.distributions(cells, bounds, minimum),
            ),
            lambda periods: render_distribution(indicator, periods, args),
        )


def render_distribution(
    indicator: Indicator, periods: Sequence[trends.DistributionPeriod], args: dict[str, Any]
) -> Body:
    """The periods in range as JSON or CSV (one column per bucket)."""
    chosen = [_period_row(p) for p in within(periods, args)]
    if args["format"] == "json":
        edges = list(indicator.buckets or ())
        body = {"indicator": indicator.code, "edges": edges, "periods": chosen}
        return as_json(DistributionSchema(), body)
    buckets = [f"bucket_{i}" for i in range(len(indicator.buckets or ()) + 1)]
    header = ["period_start", *buckets, "suppressed_reason", "cohort_size", "version"]
    header += ["q1", "median", "q3", "q1_bucket", "median_bucket", "q3_bucket"]
    return as_csv(header, [_csv_row(row, len(buckets)) for row in chosen])


def _period_row(period: trends.DistributionPeriod) -> dict[str, Any]:
    """A period as the schema has it (quartile buckets beside the figures)."""
    band = period.quartiles
    row = {k: getattr(period, k) for k in ("period_start", "suppressed_reason", "cohort_size")}
    row |= {"version": period.version, "quartiles": band}
    row["counts"] = None if period.counts is None else list(period.counts)
    row["quartile_buckets"] = None if band is None else list(band.buckets)
    return row


def _csv_row(row: dict[str, Any], buckets: int) -> list[object]:
    """A distribution period as a CSV row."""
    band, where = row["quartiles"], row["quartile_buckets"] or [None] * 3
    counts = row["counts"] or [None] * buckets
    figures = [None] * 3 if band is None else [band.q1, band.median, band.q3]
    meta = [row["suppressed_reason"], row["cohort_size"], row["version"]]
    return [row["period_start"], *counts, *meta, *figures, *where]


# -- early warnings ----------------------------------------------------------------------


@blp.route("/early-warnings")
class EarlyWarnings(MethodView):
    """Indicators in which many cities flag a spike."""

    @user_required()
    @blp.arguments(EarlyWarningQueryArgsSchema(), location="query")
    @blp.response(200, EarlyWarningsSchema, headers=CACHE_HEADERS)
    @documented
    def get(self, args: dict[str, Any]) -> Response:
        """Indicators where at least k cities flag a spike in the period: counts, never names."""
        codes = [i.code for i in catalog().indicators if i.period == args["period"]]
        scope = ("early-warnings", *(str(args[k]) for k in ("period", "period_start", "k")))
        return serve(
            scope,
            (),
            lambda: early_warnings(Release.indicator.in_(codes) & SPIKES, **args),
            lambda found: as_json(EarlyWarningsSchema(), found),
        )


def early_warnings(
    spikes: ColumnElement[bool], period_start: dt.date | None, k: int, period: str
) -> dict[str, Any]:
    """The released spike counts of the period (default: the latest) that reach k."""
    indicators = {i.code: i for i in catalog().indicators if i.period == period}
    session = get_session()
    if period_start is None:
        period_start = session.scalar(select(func.max(Release.period_start)).where(spikes))
    query = select(Release.indicator, *CELL_COLUMNS).where(
        spikes, Release.period_start == period_start
    )
    latest: dict[str, trends.Cell] = {}
    for row in session.execute(query).all():
        code, found = row.indicator, trends.Cell(*row[1:])
        if code not in latest or found.version > latest[code].version:
            latest[code] = found
    minimum = current_settings(HubSettings).min_contributors
    signals: list[dict[str, Any]] = []
    for code, indicator in indicators.items():
        count = trends.spike_count(latest[code], minimum) if code in latest else None
        if count is not None and count >= k:
            signals.append({"indicator": code, "title": indicator.title,
                            "title_nl": indicator.title_nl, "cities": count})  # fmt: skip
    signals.sort(key=lambda signal: -int(signal["cities"]))
    return {"period_start": period_start, "k": k, "signals": signals}
