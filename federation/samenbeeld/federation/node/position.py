"""A municipality's own position: its own figure placed in the hub's released distribution.

The node computes its own figure per period from its own tables
(:func:`samenbeeld.platform.indicators.compute_indicators`), fetches the released
distribution from the hub with its service token (a GET naming only the indicator and the
range asked for), and places the figure in it: the quartile (1 to 4) against the
grouped-data quartiles, and an approximate z-score from the histogram's grouped mean and
standard deviation (bucket midpoints; see :mod:`samenbeeld.platform.trends`). The figure
never leaves the node. A hub that does not answer, or answers anything but a distribution
with this node's bucket edges, is a :class:`UpstreamFailedError`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import marshmallow as ma
from sqlalchemy.orm import Session

from samenbeeld.platform import trends
from samenbeeld.platform.catalog import Catalog, Indicator, indicator_of
from samenbeeld.platform.errors import UpstreamFailedError
from samenbeeld.platform.indicators import IndicatorResult, compute_indicators
from samenbeeld.platform.settings import NodeSettings, audience_for
from samenbeeld.platform.tokens import Signer
from samenbeeld.platform.trend_schemas import DistributionSchema

DISTRIBUTION_PATH = "/api/v1/indicators/{code}/distribution"
Released = dict[dt.date, dict[str, Any]]
"""The hub's released distribution periods by start, each with the edges beside it."""


def own_position(
    session: Session,
    settings: NodeSettings,
    signer: Signer,
    client: httpx.Client,
    code: str,
    start: dt.date | None,
    end: dt.date | None,
) -> dict[str, Any]:
    """Own figure, bucket, quartile, z-score and band per period with own data in the range."""
    indicator = indicator_of(code, histogram=True)
    released = fetch_distribution(client, signer, settings.hub_url, code, start, end)
    own = own_results(session, indicator, start, end)
    points = [position(indicator, result, released.get(result.period_start)) for result in own]
    return {"indicator": code, "municipality": settings.municipality, "points": points}


def fetch_distribution(
    client: httpx.Client,
    signer: Signer,
    hub_url: str,
    code: str,
    start: dt.date | None,
    end: dt.date | None,
) -> Released:
    """The hub's released distribution periods by start; only the range goes out."""
    params = {"format": "json"}
    params |= {k: v.isoformat() for k, v in (("from", start), ("to", end)) if v is not None}
    url = hub_url.rstrip("/") + DISTRIBUTION_PATH.format(code=code)
    headers = signer.headers(audience_for("hub", "hub"))
    try:
        response = client.get(url, params=params, headers=headers)
    except httpx.HTTPError as error:
        raise UpstreamFailedError(f"the hub did not answer: {type(error).__name__}") from None
    if response.status_code != 200:
        raise UpstreamFailedError(f"the hub answered {response.status_code}")
    try:
        body = DistributionSchema().load(response.json())
    except (ValueError, ma.ValidationError):
        raise UpstreamFailedError("the hub's answer is not a distribution") from None
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
        raise UpstreamFailedError("the hub's bucket edges differ from this node's catalog")
    bounds = trends.bucket_bounds(released["edges"], *trends.figure_range(indicator))
    band = trends.quartiles(counts, bounds)
    if band is not None:
        point["band"] = band
        point["quartile"] = trends.quartile_of(figure, band)
    point["z_score"] = trends.z_score(figure, counts, bounds)
    return point
