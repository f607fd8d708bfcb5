"""A node's own position as service functions: the hub behind an ``httpx.MockTransport``."""

from __future__ import annotations

import datetime as dt
import math

import httpx
import pytest

from samenbeeld.federation.node import position as node_position
from samenbeeld.platform import keys
from samenbeeld.platform.catalog import indicator_of
from samenbeeld.platform.errors import UpstreamFailedError
from samenbeeld.platform.indicators import IndicatorResult
from samenbeeld.platform.tokens import Signer

INDICATOR = "high_impact_crime_weekly"  # per 10,000 residents; edges 0.5, 1, 2, 5, 10
EDGES = [0.5, 1.0, 2.0, 5.0, 10.0]
WEEK0 = dt.date(2025, 3, 3)
HUB = "http://hub.test"


def distribution(*periods: dict) -> dict:
    """The hub's JSON answer with the given periods."""
    return {"indicator": INDICATOR, "edges": EDGES, "periods": list(periods)}


def period(counts: list[int] | None, reason: str | None = None) -> dict:
    """One released period of WEEK0 (quartiles as the hub computes them are not needed)."""
    released = {"period_start": WEEK0.isoformat(), "counts": counts, "suppressed_reason": reason}
    return released | {"cohort_size": 10, "version": 1, "quartiles": None, "quartile_buckets": None}


def fetch(answer: httpx.Response | Exception, seen: list[httpx.Request] | None = None):
    """fetch_distribution against a hub that gives answer (or raises it)."""

    def handle(request: httpx.Request) -> httpx.Response:
        (seen if seen is not None else []).append(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = httpx.Client(transport=httpx.MockTransport(handle))
    signer = Signer(keys.generate_private_key(), role="node", member="GM0758")
    return node_position.fetch_distribution(client, signer, HUB + "/", INDICATOR, WEEK0, None)


def test_only_the_range_goes_to_the_hub():
    seen: list[httpx.Request] = []
    released = fetch(httpx.Response(200, json=distribution(period([2, 3, 4, 1, 0, 0]))), seen)
    assert released[WEEK0]["counts"] == [2, 3, 4, 1, 0, 0] and released[WEEK0]["edges"] == EDGES
    (request,) = seen
    assert str(request.url).startswith(f"{HUB}/api/v1/indicators/{INDICATOR}/distribution?")
    assert dict(request.url.params) == {"format": "json", "from": WEEK0.isoformat()}
    assert request.headers["Authorization"].startswith("Bearer ")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx.ConnectError("refused"), "did not answer: ConnectError"),
        (httpx.Response(503), "answered 503"),
        (httpx.Response(200, json={"periods": "none"}), "not a distribution"),
        (httpx.Response(200, text="<html>"), "not a distribution"),
    ],
)
def test_a_hub_that_fails_is_unavailable(answer, reason):
    with pytest.raises(UpstreamFailedError, match=reason):
        fetch(answer)


def own(figure: float | None) -> IndicatorResult:
    """This node's result of WEEK0 with rate figure."""
    return IndicatorResult(INDICATOR, WEEK0, 0.0 if figure is None else figure * 10, figure, 3)


def test_the_figure_is_placed_in_the_released_histogram():
    indicator = indicator_of(INDICATOR, histogram=True)
    released = {**period([2, 3, 4, 1, 0, 0]), "edges": EDGES}
    point = node_position.position(indicator, own(3.7), released)
    # [2, 3, 4, 1, 0, 0]: band 0.5 + 0.5/6, 1.0, 1.625; grouped mean 1.225, variance 0.805625
    assert point["quartile"] == 4 and point["cohort_size"] == 10
    assert (point["band"].median, point["band"].q3) == pytest.approx((1.0, 1.625))
    assert point["z_score"] == pytest.approx((3.7 - 1.225) / math.sqrt(0.805625))


def test_nothing_is_placed_in_a_withheld_or_missing_period():
    indicator = indicator_of(INDICATOR, histogram=True)
    withheld = {**period(None, "min_contributors"), "edges": EDGES}
    point = node_position.position(indicator, own(3.7), withheld)
    assert point["suppressed_reason"] == "min_contributors" and point["band"] is None
    assert node_position.position(indicator, own(3.7), None)["cohort_size"] is None


def test_other_bucket_edges_mean_the_hub_is_not_to_be_trusted():
    indicator = indicator_of(INDICATOR, histogram=True)
    released = {**period([2, 3, 4, 1, 0, 0]), "edges": [0.5, 1.0, 2.0, 5.0, 20.0]}
    with pytest.raises(UpstreamFailedError, match="bucket edges differ"):
        node_position.position(indicator, own(3.7), released)
