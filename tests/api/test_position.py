"""A municipality's own position, computed on its node from the hub's released distribution.

In-process, the node's outbound client talks to the real hub app through a recording
``httpx.WSGITransport``, so the tests assert on exactly what the hub receives. One test runs
the hub and the node as real ``samenbeeld <role> serve`` processes (``Cluster``).
"""

from __future__ import annotations

import datetime as dt
import math

import httpx
import jwt
import pytest
from sqlalchemy import delete

from factories import Series, add_release, bearer, put_node_data, user_token, week
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.platform import keys
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import Release, Round

GM, OTHER_GM = "GM0758", "GM0363"
INDICATOR = "high_impact_crime_weekly"  # per 10,000 residents; edges 0.5, 1, 2, 5, 10
WEEK0 = dt.date(2025, 3, 3)
POPULATION = 100_000  # so the rate per 10,000 residents is the count / 10
OWN_COUNTS = (37, 8, 15, 5)
"""The node's weekly HIC counts: rates 3.7, 0.8, 1.5 and 0.5."""
OWN_DATA = Series("high_impact_crime", {week(WEEK0, n): c for n, c in enumerate(OWN_COUNTS)})
SECRETS = ("37", "3.7", "0.8", "15", "1.5")
STAMP = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def put_hub_releases(url: str) -> None:
    """Released histograms: week 0 and 1 released, week 2 suppressed, week 3 none."""
    histograms = {0: [2, 3, 4, 1, 0, 0], 1: [3, 3, 2, 1, 1, 0], 2: [2, 3, None, 1, 2, 0]}
    with session_scope(url) as session:
        session.execute(delete(Release))
        session.execute(delete(Round))
        for n, counts in histograms.items():
            monday = week(WEEK0, n)
            for index, count in enumerate(counts):
                reason = "min_contributors" if count is None else None
                add_release(session, INDICATOR, monday, f"bucket:{index}", count, reason,
                            cohort=10, round_id=f"hist-{monday}", at=STAMP)  # fmt: skip


def assert_expected_points(points: list[dict]) -> None:
    """The positions, computed by hand from OWN_COUNTS and the released histograms."""
    assert [p["period_start"] for p in points] == [week(WEEK0, n).isoformat() for n in range(4)]
    assert [p["own_figure"] for p in points] == pytest.approx([3.7, 0.8, 1.5, 0.5])
    assert [p["own_bucket"] for p in points] == [3, 1, 2, 1]
    first, second, suppressed, unreleased = points
    # [2, 3, 4, 1, 0, 0]: band 0.5 + 0.5/6, 1.0, 1.625; grouped mean 1.225, variance 0.805625
    assert first["band"] == pytest.approx({"q1": 0.5 + 0.5 / 6, "median": 1.0, "q3": 1.625})
    assert first["quartile"] == 4 and first["cohort_size"] == 10
    assert first["z_score"] == pytest.approx((3.7 - 1.225) / math.sqrt(0.805625))
    # [3, 3, 2, 1, 1, 0]: band 2.5/6, 0.5 + 2/6, 1.75; grouped mean 1.7, variance 4.5975
    assert second["band"] == pytest.approx({"q1": 2.5 / 6, "median": 0.5 + 2 / 6, "q3": 1.75})
    assert second["quartile"] == 2
    assert second["z_score"] == pytest.approx((0.8 - 1.7) / math.sqrt(4.5975))
    assert suppressed["suppressed_reason"] == "min_contributors"
    assert (suppressed["band"], suppressed["quartile"], suppressed["z_score"]) == (None,) * 3
    assert unreleased["cohort_size"] is None and unreleased["band"] is None


@pytest.fixture
def federation(hub_and_node_databases, start_federation):
    """The real node app whose hub is the real hub app (in process), data in both."""
    put_hub_releases(hub_and_node_databases.hub_url)
    put_node_data(hub_and_node_databases.node_url, OWN_DATA, population=POPULATION)
    with start_federation() as federation:
        yield federation


def test_the_own_position_per_period(federation):
    response = federation.node.get(f"/api/v1/position/{INDICATOR}", headers=federation.user())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["indicator"], body["municipality"]) == (INDICATOR, GM)
    assert_expected_points(body["points"])


def test_the_hub_receives_the_range_and_never_a_value(federation, reveals):
    query = {"from": week(WEEK0, 1).isoformat(), "to": week(WEEK0, 2).isoformat()}
    response = federation.node.get(
        f"/api/v1/position/{INDICATOR}", query_string=query, headers=federation.user()
    )
    assert [p["own_figure"] for p in response.get_json()["points"]] == pytest.approx([0.8, 1.5])
    (sent,) = federation.outbound.requests
    assert sent.method == "GET" and sent.content == b""
    assert sent.url.path == f"/api/v1/indicators/{INDICATOR}/distribution"
    assert dict(sent.url.params) == {**query, "format": "json"}
    token = sent.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"role", "sub", "aud", "iat", "exp", "jti", "municipality"}
    assert (claims["role"], claims["sub"]) == ("node", GM)
    headers = {k: v for k, v in sent.headers.items() if k.lower() != "authorization"}
    assert not reveals(f"{sent.url} {headers}", SECRETS)


def test_only_this_municipality_may_ask_and_the_hub_is_not_even_asked_otherwise(federation):
    path = f"/api/v1/position/{INDICATOR}"
    others = [federation.user("municipality", OTHER_GM), federation.user("national_partner"),
              federation.user("vng"), federation.user("admin")]  # fmt: skip
    for headers in others:
        response = federation.node.get(path, headers=headers)
        assert response.status_code == 403
        assert response.get_json()["detail"] == "only this municipality's own users may see this"
    assert federation.node.get(path).status_code == 401
    assert federation.outbound.requests == []


def test_unknown_indicators_and_indicators_without_buckets_are_404(federation):
    for code in ("no_such_indicator", "polarisation_radicalisation_weekly"):
        response = federation.node.get(f"/api/v1/position/{code}", headers=federation.user())
        assert response.status_code == 404, code
    bad = federation.node.get(
        f"/api/v1/position/{INDICATOR}", query_string={"from": "2025-02-30"},
        headers=federation.user(),
    )  # fmt: skip
    assert bad.status_code == 422


def test_a_hub_that_does_not_answer_is_a_502_without_values(federation, reveals):
    federation.outbound.down = True
    response = federation.node.get(f"/api/v1/position/{INDICATOR}", headers=federation.user())
    assert response.status_code == 502
    assert response.get_json()["detail"] == "the hub did not answer: ConnectError"
    assert not reveals(response.get_data(as_text=True), SECRETS)


@pytest.mark.slow
def test_the_position_through_real_hub_and_node_processes(databases, tmp_path):
    hub_url, node_url = databases.create(), databases.create()
    cluster = Cluster(tmp_path, [GM], database_urls={"hub": hub_url, GM: node_url})
    cluster.prepare()
    put_hub_releases(hub_url)
    put_node_data(node_url, OWN_DATA, population=POPULATION)
    hub_key = keys.read_private_key(cluster.hub.settings.effective_key_file)
    token = user_token(hub_key, "municipality", GM, subject="staff")
    (tmp_path / "logs").mkdir()  # start_service alone does not create it
    try:
        cluster.start_service("hub")
        cluster.start_service(GM)
        url = f"{cluster.services[GM].url}/api/v1/position/{INDICATOR}"
        with httpx.Client(timeout=30) as client:
            response = client.get(url, headers=bearer(token))
            assert response.status_code == 200, response.text
            assert_expected_points(response.json()["points"])
            partner = user_token(hub_key, "national_partner", subject="partner")
            refused = client.get(url, headers=bearer(partner))
            assert refused.status_code == 403
    finally:
        cluster.stop()
