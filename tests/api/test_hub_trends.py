"""The hub's trend API over HTTP on both backends: catalog, series, distribution, warnings.

Releases are inserted straight into the migrated hub database (the hub's own ``release``
table, with their ``round`` rows), as the rounds store them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass

import pytest
from sqlalchemy import delete

from factories import ReleaseNoise, add_release, bearer, new_hub, user_token, week
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.api.hub.trends import CACHE_EXTENSION, SeriesSchema
from samenbeeld.federation.hub.trend_cache import TrendCache
from samenbeeld.platform import keys
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import Release, Round
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.tokens import Signer
from samenbeeld.platform.users import USER_ROLES

GM = "GM0758"
SERIES_CSV_COLUMNS = ["period_start", "value", "suppressed_reason", "version", "cohort_size",
                      "mechanism", "noise_sd", "interval_low", "interval_high", "mean_per_city",
                      "moving_average", "moving_average_noise_sd", "yoy_change",
                      "yoy_within_noise", "anomaly"]  # fmt: skip
WEEK0 = dt.date(2024, 1, 1)
WEEKLY = "riot_online_weekly"
HISTOGRAM = "high_impact_crime_weekly"  # edges 0.5, 1, 2, 5, 10: six buckets


@dataclass
class Hub:
    """A test client of the real hub app, its database and the keys that sign tokens."""

    client: object
    url: str
    hub_key: keys.Ed25519PrivateKey
    node_signer: Signer

    def user(self, role: str = "national_partner", town: str = "GM0363") -> dict[str, str]:
        """Headers with a hub-signed user token of role."""
        return bearer(user_token(self.hub_key, role, town, subject=f"test-{role}"))

    def node(self) -> dict[str, str]:
        """Headers with a fresh service token of the node GM0758 for the hub."""
        return self.node_signer.headers(audience_for("hub", "hub"))

    def get(self, path: str, headers: dict[str, str] | None = None, **query: object):
        """GET as a national partner unless headers are given."""
        return self.client.get(path, query_string=query, headers=headers or self.user())

    def release(
        self, indicator, period, cell, value, reason=None, version=1, cohort=6, noise=None
    ) -> None:
        """Store one release cell (and its round) as the hub does, noisy with noise."""
        with session_scope(self.url) as session:
            add_release(session, indicator, period, cell, value, reason, version=version,
                        cohort=cohort, noise=noise)  # fmt: skip

    def histogram(self, indicator, period, counts, version=1, reasons=None) -> None:
        """Store one released histogram: a bucket:i cell per count."""
        cohort = sum(c or 0 for c in counts)
        for index, count in enumerate(counts):
            reason = (reasons or {}).get(index)
            self.release(indicator, period, f"bucket:{index}", count, reason, version, cohort)


@pytest.fixture(scope="module")
def hub_setup(databases, tmp_path_factory):
    """A migrated hub database, the hub's key file and a registered node key."""
    node_key = keys.generate_private_key()
    breda = ("node", GM, "Breda", node_key.public_key())
    settings, hub_key = new_hub(databases.create(), tmp_path_factory.mktemp("keys"), [breda])
    return settings, hub_key, Signer(node_key, role="node", member=GM)


@pytest.fixture
def hub(hub_setup):
    """A fresh hub app on an emptied release table."""
    settings, hub_key, node_signer = hub_setup
    with session_scope(settings.database_url) as session:
        session.execute(delete(Release))
        session.execute(delete(Round))
    app = create_app("hub", settings)
    yield Hub(app.test_client(), settings.database_url, hub_key, node_signer)
    db.dispose(app)


def series_data(hub: Hub) -> None:
    """54 weeks of totals 10 + w; week 3 corrected from 999 to 13; week 5 suppressed; 500 last."""
    for n in range(54):
        value = 500.0 if n == 53 else 10.0 + n
        if n == 5:
            hub.release(WEEKLY, week(WEEK0, n), "total", None, "dominance")
        elif n == 3:
            hub.release(WEEKLY, week(WEEK0, n), "total", 999.0, version=1)
            hub.release(WEEKLY, week(WEEK0, n), "total", value, version=2)
        else:
            hub.release(WEEKLY, week(WEEK0, n), "total", value)


def test_the_catalog_lists_every_indicator_for_every_role(hub):
    for role in USER_ROLES:
        response = hub.get("/api/v1/indicators", hub.user(role))
        assert response.status_code == 200, role
        items = {item["code"]: item for item in response.get_json()["items"]}
        assert items[HISTOGRAM]["buckets"] == [0.5, 1, 2, 5, 10]
        assert items[HISTOGRAM]["per_10000_residents"] is True
        assert items["polarisation_radicalisation_weekly"]["buckets"] is None
        assert items["event_visitors_monthly"]["period"] == "month"
        assert set(items[WEEKLY]) == {"code", "title", "title_nl", "description", "period",
                                      "measure", "per_10000_residents", "buckets"}  # fmt: skip


def test_every_endpoint_needs_a_user_token(hub):
    paths = ["/api/v1/indicators", f"/api/v1/indicators/{WEEKLY}/series",
             f"/api/v1/indicators/{HISTOGRAM}/distribution", "/api/v1/early-warnings",
             "/api/v1/summary"]  # fmt: skip
    for path in paths:
        response = hub.client.get(path)
        assert response.status_code == 401, path
        assert response.mimetype == "application/problem+json"
        assert hub.client.get(path, headers={"Authorization": "Bearer x.y.z"}).status_code == 401


def test_the_series_serves_the_latest_versions_with_trends(hub):
    series_data(hub)
    body = hub.get(f"/api/v1/indicators/{WEEKLY}/series", window=4).get_json()
    assert (body["indicator"], body["period"], body["window"]) == (WEEKLY, "week", 4)
    assert body["pagination"] == {"page": 1, "page_size": 100, "total": 54, "pages": 1}
    points = body["points"]
    assert [p["period_start"] for p in points] == [week(WEEK0, n).isoformat() for n in range(54)]
    assert points[3]["value"] == 13.0 and points[3]["version"] == 2
    assert points[5] == {"period_start": week(WEEK0, 5).isoformat(), "value": None,
                         "suppressed_reason": "dominance", "version": 1, "cohort_size": 6,
                         "mechanism": "exact", "noise_sd": None, "interval": None,
                         "mean_per_city": None, "moving_average": None,
                         "moving_average_noise_sd": None, "yoy_change": None,
                         "yoy_within_noise": None, "anomaly": False}  # fmt: skip
    exact = points[52]  # an exact series: no noise anywhere
    assert (exact["mechanism"], exact["noise_sd"], exact["interval"]) == ("exact", None, None)
    assert (exact["moving_average_noise_sd"], exact["yoy_within_noise"]) == (None, None)
    assert points[2]["moving_average"] is None  # three released values so far
    assert points[4]["moving_average"] == (11 + 12 + 13 + 14) / 4
    assert points[6]["moving_average"] == (12 + 13 + 14 + 16) / 4  # week 5 skipped
    assert points[4]["mean_per_city"] == 14 / 6
    assert points[52]["yoy_change"] == pytest.approx((62 - 10) / 10)
    assert points[53]["yoy_change"] == pytest.approx((500 - 11) / 11)
    assert points[51]["yoy_change"] is None  # nothing 52 weeks earlier
    assert [n for n, p in enumerate(points) if p["anomaly"]] == [53]


def test_the_series_is_computed_over_the_whole_history_then_cut_and_paginated(hub):
    series_data(hub)
    path = f"/api/v1/indicators/{WEEKLY}/series"
    cut = hub.get(
        path, **{"from": week(WEEK0, 51).isoformat(), "to": week(WEEK0, 53).isoformat()}
    ).get_json()
    assert [p["value"] for p in cut["points"]] == [61.0, 62.0, 500.0]
    assert cut["points"][0]["moving_average"] == (58 + 59 + 60 + 61) / 4
    assert cut["points"][1]["yoy_change"] == pytest.approx(5.2)
    page = hub.get(path, page=3, page_size=20)
    assert page.get_json()["pagination"] == {"page": 3, "page_size": 20, "total": 54, "pages": 3}
    assert [p["period_start"] for p in page.get_json()["points"]] == [
        week(WEEK0, n).isoformat() for n in range(40, 54)
    ]
    assert hub.get(path, page=4, page_size=20).get_json()["points"] == []


def test_the_series_as_csv_has_the_same_columns_and_empty_suppressed_values(hub):
    series_data(hub)
    response = hub.get(f"/api/v1/indicators/{WEEKLY}/series", format="csv", page_size=10)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == SERIES_CSV_COLUMNS
    assert len(rows) == 10
    assert rows[5]["value"] == "" and rows[5]["suppressed_reason"] == "dominance"
    assert rows[3]["value"] == "13.0" and rows[3]["version"] == "2"
    assert rows[4]["moving_average"] == "12.5" and rows[4]["anomaly"] == "false"


def noisy_data(hub: Hub) -> None:
    """53 weeks of a Gaussian-noisy total (sd 4): 40 + w % 3 (median 41), week 2 suppressed.
    Week 10 jumps to 60, beyond the noise of it and its median (19 > 1.96 * sqrt(2) * 4 =
    11.1); Hampel also flags week 20 at 48 and week 52 at 52, which the noise covers."""
    for n in range(53):
        value = {10: 60.0, 20: 48.0, 52: 52.0}.get(n, 40.0 + n % 3)
        if n == 2:
            hub.release(WEEKLY, week(WEEK0, n), "total", None, "dominance",
                        noise=ReleaseNoise(4.0))  # fmt: skip
        else:
            hub.release(WEEKLY, week(WEEK0, n), "total", value, noise=ReleaseNoise(4.0))


def test_a_noisy_series_says_what_it_is_and_reads_its_trends_through_the_noise(hub):
    noisy_data(hub)
    body = hub.get(f"/api/v1/indicators/{WEEKLY}/series", window=4).get_json()
    assert SeriesSchema().validate(body) == {}  # as the OpenAPI document describes it
    points = body["points"]
    first = points[0]
    assert (first["value"], first["mechanism"], first["noise_sd"]) == (40.0, "gaussian", 4.0)
    assert first["interval"] == pytest.approx({"low": 40 - 7.839856, "high": 40 + 7.839856})
    suppressed = points[2]
    assert (suppressed["value"], suppressed["interval"]) == (None, None)
    assert suppressed["suppressed_reason"] == "dominance"
    assert points[4]["moving_average_noise_sd"] == pytest.approx(2.0)  # sqrt(4 * 16) / 4
    assert points[1]["moving_average_noise_sd"] is None  # no average yet
    assert [n for n, p in enumerate(points) if p["anomaly"]] == [10]  # not 20: inside the noise
    assert points[52]["yoy_change"] == pytest.approx(0.3)  # 52 against 40
    assert points[52]["yoy_within_noise"] is False  # 12 > 1.96 * sqrt(32) = 11.09
    assert points[51]["yoy_within_noise"] is None  # nothing a year earlier


def test_a_noisy_series_as_csv_has_the_noise_columns(hub):
    noisy_data(hub)
    hub.release(WEEKLY, week(WEEK0, 53), "total", 41.0, noise=ReleaseNoise.laplace(3.0))
    response = hub.get(f"/api/v1/indicators/{WEEKLY}/series", format="csv", page_size=1000)
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == SERIES_CSV_COLUMNS
    assert (rows[0]["mechanism"], rows[0]["noise_sd"]) == ("gaussian", "4.0")
    assert float(rows[0]["interval_low"]) == pytest.approx(40 - 7.839856)
    assert float(rows[0]["interval_high"]) == pytest.approx(40 + 7.839856)
    assert rows[2]["value"] == rows[2]["interval_low"] == rows[2]["interval_high"] == ""
    assert rows[2]["mechanism"] == "gaussian"
    laplace = rows[53]  # three parties' Laplace shares: 2.0284 sd either side
    assert laplace["mechanism"] == "laplace"
    assert float(laplace["interval_high"]) == pytest.approx(41 + 2.0284 * 3.0, rel=1e-4)
    assert laplace["yoy_within_noise"] == "true"  # 41 - 41 = 0
    assert rows[10]["anomaly"] == "true" and rows[20]["anomaly"] == "false"


def test_etag_cache_headers_and_304(hub):
    series_data(hub)
    path = f"/api/v1/indicators/{WEEKLY}/series"
    first = hub.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, max-age=60"
    again = hub.client.get(path, headers={**hub.user("vng"), "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert hub.get(path, window=8).headers["ETag"] != etag  # another query, another tag
    hub.client.application.config["TREND_VERSION_TTL_S"] = 60.0
    hub.release(WEEKLY, week(WEEK0, 53), "total", 480.0, version=2)  # a correction
    stale = hub.client.get(path, headers={**hub.user(), "If-None-Match": etag})
    assert stale.status_code == 304  # the data version read a moment ago still holds
    hub.client.application.config["TREND_VERSION_TTL_S"] = 0.0  # its time is up
    changed = hub.client.get(path, headers={**hub.user(), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["points"][53]["value"] == 480.0
    for other in ("/api/v1/indicators", f"/api/v1/indicators/{HISTOGRAM}/distribution",
                  "/api/v1/early-warnings", "/api/v1/summary"):  # fmt: skip
        tag = hub.get(other).headers["ETag"]
        assert (
            hub.client.get(other, headers={**hub.user(), "If-None-Match": tag}).status_code == 304
        )


def test_errors_are_problems_with_clear_messages(hub):
    unknown = hub.get("/api/v1/indicators/no_such_thing/series")
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    assert "no_such_thing" in unknown.get_json()["detail"]
    no_buckets = hub.get("/api/v1/indicators/polarisation_radicalisation_weekly/distribution")
    assert no_buckets.status_code == 404
    assert "no distribution" in no_buckets.get_json()["detail"]
    series = f"/api/v1/indicators/{WEEKLY}/series"
    for query, field in (({"from": "2024-13-01"}, "from"), ({"to": "yesterday"}, "to"),
                         ({"page": 0}, "page"), ({"page_size": 5000}, "page_size"),
                         ({"window": 0}, "window"), ({"format": "xml"}, "format"),
                         ({"from": "2024-02-01", "to": "2024-01-01"}, "from")):  # fmt: skip
        response = hub.get(series, **query)
        assert response.status_code == 422, query
        assert field in response.get_json()["errors"]["query"], response.get_json()
    for query in ({"k": 0}, {"k": "many"}, {"period_start": "2024-02-30"}, {"period": "day"},
                  {"format": "xml"}):  # fmt: skip
        assert hub.get("/api/v1/early-warnings", **query).status_code == 422, query
    for query in ({"k": 0}, {"limit": 0}, {"limit": 51}, {"period": "day"}):
        assert hub.get("/api/v1/summary", **query).status_code == 422, query


def test_the_distribution_serves_counts_and_grouped_quartiles(hub):
    hub.histogram(HISTOGRAM, week(WEEK0, 0), [2, 3, 4, 1, 0, 0])
    hub.histogram(HISTOGRAM, week(WEEK0, 1), [2, 3, None, 1, 0, 0], reasons={2: "min_contributors"})
    hub.histogram(HISTOGRAM, week(WEEK0, 2), [0, 0, 6, 0, 0, 0])  # every city in one bucket
    hub.histogram(HISTOGRAM, week(WEEK0, 3), [1, 1, 1, 1, 1, 0])  # v1, corrected below
    hub.histogram(HISTOGRAM, week(WEEK0, 3), [0, 2, 2, 1, 1, 0], version=2)
    body = hub.get(f"/api/v1/indicators/{HISTOGRAM}/distribution").get_json()
    assert body["indicator"] == HISTOGRAM and body["edges"] == [0.5, 1, 2, 5, 10]
    first, suppressed, concentrated, corrected = body["periods"]
    assert first["counts"] == [2, 3, 4, 1, 0, 0] and first["cohort_size"] == 10
    # N = 10: Q1 at 2.5 in bucket 1 [0.5, 1): 0.5 + 0.5/3 * 0.5; median at 5: end of bucket 1;
    # Q3 at 7.5 in bucket 2 [1, 2): 1 + 2.5/4 * 1.
    assert first["quartiles"] == pytest.approx({"q1": 0.5 + 0.5 / 6, "median": 1.0, "q3": 1.625})
    assert first["quartile_buckets"] == [1, 1, 2]
    assert suppressed["counts"] is None and suppressed["quartiles"] is None
    assert suppressed["suppressed_reason"] == "min_contributors"
    assert concentrated["counts"] is None and concentrated["suppressed_reason"] == "concentrated"
    assert corrected["counts"] == [0, 2, 2, 1, 1, 0] and corrected["version"] == 2
    ranged = hub.get(f"/api/v1/indicators/{HISTOGRAM}/distribution", to=week(WEEK0, 0).isoformat())
    assert [p["period_start"] for p in ranged.get_json()["periods"]] == [week(WEEK0, 0).isoformat()]


def test_the_distribution_as_csv_has_a_column_per_bucket(hub):
    hub.histogram(HISTOGRAM, week(WEEK0, 0), [2, 3, 4, 1, 0, 0])
    hub.histogram(HISTOGRAM, week(WEEK0, 2), [0, 0, 6, 0, 0, 0])
    response = hub.get(f"/api/v1/indicators/{HISTOGRAM}/distribution", format="csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [rows[0][f"bucket_{i}"] for i in range(6)] == ["2", "3", "4", "1", "0", "0"]
    assert rows[0]["median"] == "1.0" and rows[0]["q3_bucket"] == "2"
    assert rows[1]["bucket_2"] == "" and rows[1]["suppressed_reason"] == "concentrated"


def test_nodes_may_read_distributions_with_their_service_token_but_nothing_else(hub):
    hub.histogram(HISTOGRAM, week(WEEK0, 0), [2, 3, 4, 1, 0, 0])
    path = f"/api/v1/indicators/{HISTOGRAM}/distribution"
    response = hub.get(path, hub.node())
    assert response.status_code == 200 and response.get_json()["periods"][0]["counts"]
    headers = hub.node()
    assert hub.get(path, headers).status_code == 200
    assert hub.get(path, headers).status_code == 401  # a service token is used once
    assert hub.get(f"/api/v1/indicators/{HISTOGRAM}/series", hub.node()).status_code == 401
    assert hub.get("/api/v1/early-warnings", hub.node()).status_code == 401


def test_early_warnings_count_cities_and_never_name_them(hub):
    latest, earlier = week(WEEK0, 10), week(WEEK0, 9)
    for indicator, value, reason in (
        ("riot_online_weekly", 4.0, None),
        ("demonstration_online_weekly", 3.0, None),
        ("youth_safety_weekly", 2.0, None),
        ("high_impact_crime_weekly", None, "min_contributors"),
        # 5 of a cohort of 6: the one city not flagging would learn every other's flag. The
        # parties suppress such a count; a stored one is still not served (serving guard).
        ("undermining_weekly", 5.0, None),
    ):
        hub.release(indicator, latest, "spikes", value, reason)
    hub.release("riot_online_weekly", earlier, "spikes", 6.0, cohort=12)
    hub.release("illegal_event_online_weekly", earlier, "spikes", 5.0, cohort=12)
    body = hub.get("/api/v1/early-warnings", k=3).get_json()
    assert body["period_start"] == latest.isoformat() and body["k"] == 3
    assert [(s["indicator"], s["cities"]) for s in body["signals"]] == [
        ("riot_online_weekly", 4), ("demonstration_online_weekly", 3)]  # fmt: skip
    assert set(body["signals"][0]) == {"indicator", "title", "title_nl", "cities"}
    assert body["spike_round_released"] is True
    assert [(w["indicator"], w["suppressed_reason"]) for w in body["withheld"]] == [
        ("high_impact_crime_weekly", "min_contributors"),
        ("undermining_weekly", "concentrated"),
    ]
    assert hub.get("/api/v1/early-warnings", k=5).get_json()["signals"] == []
    chosen = hub.get("/api/v1/early-warnings", period_start=earlier.isoformat()).get_json()
    assert [(s["indicator"], s["cities"]) for s in chosen["signals"]] == [
        ("riot_online_weekly", 6), ("illegal_event_online_weekly", 5)]  # fmt: skip
    monthly = hub.get("/api/v1/early-warnings", period="month").get_json()
    assert monthly == {"period_start": None, "k": 3, "spike_round_released": False,
                       "signals": [], "withheld": []}  # fmt: skip


def test_early_warnings_tell_no_round_from_no_signals_and_say_why_a_count_is_withheld(hub):
    quiet, unknown, withheld = week(WEEK0, 0), week(WEEK0, 1), week(WEEK0, 2)
    for period in (quiet, unknown, withheld):  # the sums round ran every week
        hub.release(WEEKLY, period, "total", 20.0)
    hub.release(WEEKLY, quiet, "spikes", 2.0)  # released, below k
    hub.release(WEEKLY, withheld, "spikes", None, "min_contributors", cohort=4)
    path = "/api/v1/early-warnings"
    answers = [
        hub.get(path, period_start=p.isoformat()).get_json() for p in (quiet, unknown, withheld)
    ]
    assert [(a["spike_round_released"], a["signals"]) for a in answers] == [
        (True, []), (False, []), (True, [])]  # fmt: skip
    assert [a["withheld"] for a in answers[:2]] == [[], []]
    assert set(answers[2]["withheld"][0]) == {"indicator", "title", "title_nl", "suppressed_reason"}
    assert [(w["indicator"], w["suppressed_reason"]) for w in answers[2]["withheld"]] == [
        (WEEKLY, "min_contributors")]  # fmt: skip
    table = {
        p: list(csv.DictReader(io.StringIO(
            hub.get(path, period_start=p.isoformat(), format="csv").get_data(as_text=True))))
        for p in (quiet, unknown, withheld)
    }  # fmt: skip
    assert list(table[quiet][0]) == [
        "period_start", "k", "spike_round_released", "indicator", "title", "title_nl", "cities",
        "suppressed_reason",
    ]  # fmt: skip
    assert [(r["spike_round_released"], r["indicator"]) for r in table[quiet]] == [("true", "")]
    assert [(r["spike_round_released"], r["indicator"]) for r in table[unknown]] == [("false", "")]
    assert [(r["indicator"], r["cities"], r["suppressed_reason"]) for r in table[withheld]] == [
        (WEEKLY, "", "min_contributors")]  # fmt: skip
    hub.release(WEEKLY, unknown, "spikes", 3.0)  # the spike round of that week, late
    hub.client.application.config["TREND_VERSION_TTL_S"] = 0.0
    late = hub.get(path, period_start=unknown.isoformat(), format="csv").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(late)))
    assert (row["spike_round_released"], row["indicator"], row["cities"]) == ("true", WEEKLY, "3")


SUMMARY = {  # indicator: (total a year before, total in the latest week)
    "riot_online_weekly": (10.0, 40.0),  # +300 %
    "demonstration_online_weekly": (10.0, 20.0),  # +100 %
    "youth_safety_weekly": (10.0, 15.0),  # +50 %
    "liveability_weekly": (100.0, 50.0),  # -50 %
    "drugs_weekly": (100.0, 90.0),  # -10 %
    "cybercrime_weekly": (10.0, 10.0),  # unchanged: neither list
    "confused_persons_weekly": (10.0, None),  # suppressed in the latest week: neither list
    "events_weekly": (None, 12.0),  # nothing a year before: no change
}


def summary_data(hub: Hub) -> dict[str, dt.date]:
    """A year-earlier and a latest week of totals (SUMMARY), an anomaly, a monthly total, a
    later week with only a suppressed total, and the latest week's spike counts."""
    earlier, latest = week(WEEK0, 0), week(WEEK0, 52)
    for code, (before, now) in SUMMARY.items():
        if before is not None:
            hub.release(code, earlier, "total", before)
        hub.release(code, latest, "total", now, None if now is not None else "dominance")
    for n, value in enumerate((10.0, 11.0, 10.0, 11.0, 10.0, 100.0)):  # a Hampel outlier last
        hub.release("undermining_weekly", week(WEEK0, 47 + n), "total", value)
    hub.release("high_impact_crime_monthly_total", dt.date(2025, 1, 1), "total", 500.0)
    hub.release("drugs_weekly", week(WEEK0, 53), "total", None, "min_contributors", cohort=3)
    hub.release("riot_online_weekly", latest, "spikes", 4.0)
    return {"earlier": earlier, "latest": latest}


def test_the_summary_lists_the_latest_week_s_largest_changes_anomalies_and_warnings(hub):
    weeks = summary_data(hub)
    body = hub.get("/api/v1/summary").get_json()
    assert (body["period"], body["period_start"]) == ("week", weeks["latest"].isoformat())
    rises = [(i["indicator"], i["yoy_change"]) for i in body["rises"]]
    assert rises == [("riot_online_weekly", 3.0), ("demonstration_online_weekly", 1.0),
                     ("youth_safety_weekly", 0.5)]  # fmt: skip
    falls = [(i["indicator"], i["yoy_change"]) for i in body["falls"]]
    assert falls == [("liveability_weekly", -0.5), ("drugs_weekly", pytest.approx(-0.1))]
    assert [i["indicator"] for i in body["anomalies"]] == ["undermining_weekly"]
    first = {k: v for k, v in body["rises"][0].items() if not k.startswith("title")}
    assert first == {"indicator": "riot_online_weekly", "value": 40.0, "yoy_change": 3.0,
                     "anomaly": False}  # fmt: skip
    warnings = body["early_warnings"]
    assert (warnings["period_start"], warnings["spike_round_released"]) == (
        weeks["latest"].isoformat(), True)  # fmt: skip
    assert [(s["indicator"], s["cities"]) for s in warnings["signals"]] == [
        ("riot_online_weekly", 4)
    ]
    for item in body["rises"] + body["falls"] + body["anomalies"]:  # the series' own figures
        series = hub.get(
            f"/api/v1/indicators/{item['indicator']}/series",
            **{"from": body["period_start"], "to": body["period_start"]},
        ).get_json()
        point = series["points"][0]
        assert (point["value"], point["yoy_change"], point["anomaly"]) == (
            item["value"], item["yoy_change"], item["anomaly"])  # fmt: skip
    two = hub.get("/api/v1/summary", limit=2).get_json()
    assert [i["indicator"] for i in two["rises"]] == [
        "riot_online_weekly",
        "demonstration_online_weekly",
    ]
    monthly = hub.get("/api/v1/summary", period="month").get_json()
    assert monthly["period_start"] == "2025-01-01" and monthly["rises"] == []
    assert monthly["early_warnings"]["spike_round_released"] is False


def test_the_summary_holds_nothing_per_city_and_is_empty_before_any_release(hub):
    empty = hub.get("/api/v1/summary").get_json()
    assert empty == {"period": "week", "period_start": None, "rises": [], "falls": [],
                     "anomalies": [], "early_warnings": {"period_start": None, "k": 3,
                     "spike_round_released": False, "signals": [], "withheld": []}}  # fmt: skip
    summary_data(hub)
    hub.client.application.config["TREND_VERSION_TTL_S"] = 0.0
    body = hub.get("/api/v1/summary", limit=50).get_json()
    assert set(body) == {"period", "period_start", "rises", "falls", "anomalies", "early_warnings"}
    for item in body["rises"] + body["falls"] + body["anomalies"]:
        assert set(item) == {"indicator", "title", "title_nl", "value", "yoy_change", "anomaly"}
    text = json.dumps(body)
    assert "GM" not in text and "cohort" not in text and "mean_per_city" not in text


def test_a_cached_response_follows_new_releases(hub):
    now = [0.0]
    hub.client.application.extensions[CACHE_EXTENSION] = TrendCache(clock=lambda: now[0])
    hub.client.application.config["TREND_VERSION_TTL_S"] = 0.2
    path = f"/api/v1/indicators/{HISTOGRAM}/distribution"
    assert hub.get(path).get_json()["periods"] == []
    hub.histogram(HISTOGRAM, week(WEEK0, 0), [2, 3, 4, 1, 0, 0])
    now[0] = 0.1
    assert hub.get(path).get_json()["periods"] == []  # the data version read a moment ago
    now[0] = 0.25  # the data version is read again after TREND_VERSION_TTL_S
    periods = hub.get(path).get_json()["periods"]
    assert len(periods) == 1 and math.isclose(periods[0]["quartiles"]["q3"], 1.625)
