"""The public release register, the parties' signed reports and the privacy budgets over
HTTP on both backends: rounds released through three signed reports (``register_hub``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from factories import BANDED, EXACT, NOISY, REGISTERED, RELEASED_VALUES, bearer, user_token
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.federation.hub.register import CSV_COLUMNS
from samenbeeld.federation.hub.rounds import open_round
from samenbeeld.federation.protocol import sha256_hex
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.users import USER_ROLES

PATHS = ("/api/v1/releases", "/api/v1/releases/reg-w1/reports", "/api/v1/budgets")


@pytest.fixture(scope="module")
def hub(register_hub):
    """The real hub app on the register hub's database."""
    app = create_app("hub", register_hub.settings)
    yield app.test_client()
    db.dispose(app)


def get(hub, register_hub, path: str, role: str = "national_partner", **query: object):
    """GET path with a user token of role (a municipality's user is Breda's)."""
    token = user_token(register_hub.hub_key, role, "GM0758", subject=f"test-{role}")
    return hub.get(path, query_string=query, headers=bearer(token))


def keys_of(data: Any) -> Iterator[str]:
    """Every key of every object in a JSON document."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from keys_of(value)
    elif isinstance(data, list):
        for item in data:
            yield from keys_of(item)


def test_every_user_role_reads_the_register_reports_and_budgets(hub, register_hub):
    for role in USER_ROLES:
        for path in PATHS:
            assert get(hub, register_hub, path, role).status_code == 200, (role, path)


def test_no_token_or_a_nodes_service_token_reads_nothing(hub, register_hub):
    for path in PATHS:
        assert hub.get(path).status_code == 401, path
        service = register_hub.node_signer.headers(audience_for("hub", "hub"))
        refused = hub.get(path, headers=service)
        assert refused.status_code == 401, path
        assert refused.mimetype == "application/problem+json"


def test_every_released_round_is_listed_with_where_its_figures_came_from(hub, register_hub):
    body = get(hub, register_hub, "/api/v1/releases").get_json()
    entries = {entry["round_id"]: entry for entry in body["items"]}
    assert set(entries) == set(REGISTERED)
    times = [entry["released_at"] for entry in body["items"]]
    assert times == sorted(times, reverse=True)  # newest first
    second = entries["reg-w2"]
    digest = REGISTERED["reg-w2"][4].sha256()
    assert second == {
        "round_id": "reg-w2", "period_start": "2025-01-13", "period": "week",
        "program": "checked_sum", "version": 1, "indicators": [NOISY, EXACT], "cohort_size": 7,
        "rules": {"min_contributors": 5, "dominance": 0.6}, "attempt": 2,
        "privacy": [
            {"indicator": NOISY, "mechanism": "gaussian", "epsilon": 1.0, "delta": 1e-6,
             "noise_sd": 53.25,
             "budget": {"year": 2025, "yearly_epsilon": 3.0, "spent": 3.0, "left": 0.0}},
            {"indicator": EXACT, "mechanism": "exact", "epsilon": None, "delta": None,
             "noise_sd": None, "budget": None},
        ],
        "reports": [{"party": party, "sha256": digest} for party in range(3)],
        "released_at": second["released_at"],
    }  # fmt: skip
    # reg-w1 was charged first: spent 1 of 3 then; reg-w2's failed attempt was charged too
    assert entries["reg-w1"]["privacy"][0]["budget"] == {
        "year": 2025, "yearly_epsilon": 3.0, "spent": 1.0, "left": 2.0
    }  # fmt: skip
    histogram = entries["reg-h1"]
    assert (histogram["program"], histogram["rules"]) == (
        "histogram", {"min_contributors": 5, "dominance": None}
    )  # fmt: skip
    assert histogram["privacy"][0]["mechanism"] == "exact"


def test_nothing_released_and_nothing_per_city_is_in_the_register(hub, register_hub, reveals):
    as_json = get(hub, register_hub, "/api/v1/releases")
    as_csv = get(hub, register_hub, "/api/v1/releases", format="csv")
    assert "value" not in set(keys_of(as_json.get_json()))
    for text in (as_json.get_data(as_text=True), as_csv.get_data(as_text=True)):
        assert not reveals(text, RELEASED_VALUES)
        assert "GM" not in text and "value" not in text


def test_the_register_is_paginated_like_the_series(hub, register_hub):
    first = get(hub, register_hub, "/api/v1/releases", page_size=3)
    pagination = {"page": 1, "page_size": 3, "total": 4, "pages": 2}
    assert first.get_json()["pagination"] == pagination
    assert json.loads(first.headers["X-Pagination"]) == pagination
    second = get(hub, register_hub, "/api/v1/releases", page_size=3, page=2).get_json()
    ids = [entry["round_id"] for entry in first.get_json()["items"] + second["items"]]
    assert len(ids) == 4 and set(ids) == set(REGISTERED)
    again = hub.get(
        "/api/v1/releases?page_size=3",
        headers={**bearer(user_token(register_hub.hub_key, "vng", subject="etag")),
                 "If-None-Match": first.headers["ETag"]},
    )  # fmt: skip
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"indicator": BANDED}, {"reg-h1"}),
        ({"indicator": EXACT}, {"reg-w1", "reg-w2", "reg-old"}),
        ({"year": 2024}, {"reg-old"}),
        ({"from": "2025-01-07"}, {"reg-w2"}),
        ({"to": "2025-01-06", "year": 2025}, {"reg-w1", "reg-h1"}),
        ({"indicator": NOISY, "year": 2024}, set()),
    ],
)
def test_the_register_filters_by_indicator_and_period(hub, register_hub, query, expected):
    body = get(hub, register_hub, "/api/v1/releases", **query).get_json()
    assert {entry["round_id"] for entry in body["items"]} == expected


def test_bad_filters_are_clear_errors(hub, register_hub):
    unknown = get(hub, register_hub, "/api/v1/releases", indicator="no_such_thing")
    assert unknown.status_code == 404
    assert "no indicator 'no_such_thing'" in unknown.get_json()["detail"]
    for query in ({"year": 99}, {"from": "2025-02-01", "to": "2025-01-01"}, {"format": "xml"}):
        assert get(hub, register_hub, "/api/v1/releases", **query).status_code == 422, query


def test_the_register_as_csv_has_a_row_per_round_and_indicator(hub, register_hub):
    response = get(hub, register_hub, "/api/v1/releases", format="csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == CSV_COLUMNS
    found = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert sorted((row["round_id"], row["indicator"]) for row in found) == sorted(
        (round_id, code) for round_id, spec in REGISTERED.items() for code in spec[0]
    )
    noisy = next(row for row in found if (row["round_id"], row["indicator"]) == ("reg-w2", NOISY))
    digest = REGISTERED["reg-w2"][4].sha256()
    assert {key: noisy[key] for key in CSV_COLUMNS[:-1]} == {
        "round_id": "reg-w2", "period_start": "2025-01-13", "period": "week",
        "program": "checked_sum", "version": "1", "indicator": NOISY, "cohort_size": "7",
        "min_contributors": "5", "dominance": "0.6", "mechanism": "gaussian", "epsilon": "1.0",
        "delta": "1e-06", "noise_sd": "53.25", "budget_year": "2025", "yearly_epsilon": "3.0",
        "budget_spent": "3.0", "budget_left": "0.0", "attempt": "2", "party_0_sha256": digest,
        "party_1_sha256": digest, "party_2_sha256": digest,
    }  # fmt: skip
    assert json.loads(response.headers["X-Pagination"])["total"] == 4


def test_the_signed_reports_of_a_release_verify_with_the_parties_keys(hub, register_hub):
    reports = get(hub, register_hub, "/api/v1/releases/reg-w2/reports").get_json()
    assert [(r["party"], r["attempt"]) for r in reports] == [(0, 2), (1, 2), (2, 2)]
    for report, key in zip(reports, register_hub.party_keys, strict=True):
        assert report["sha256"] == sha256_hex(report["result"])
        assert report["result"] == REGISTERED["reg-w2"][4].canonical()
        claims = jwt.decode(report["signature"], key.public_key(), algorithms=["EdDSA"])
        assert claims == {"round_id": "reg-w2", "attempt": 2, "result_sha256": report["sha256"]}


def test_a_round_without_a_release_has_no_reports_to_show(hub, register_hub):
    with session_scope(register_hub.settings.database_url) as session:
        open_round(session, "reg-open", [EXACT], dt.date(2025, 3, 3))
    for round_id in ("reg-open", "no-such-round"):
        response = get(hub, register_hub, f"/api/v1/releases/{round_id}/reports")
        assert response.status_code == 404, round_id


def test_the_budgets_say_what_is_spent_left_and_how_many_releases_that_allows(hub, register_hub):
    body = get(hub, register_hub, "/api/v1/budgets", year=2025).get_json()
    assert body == {"year": 2025, "indicators": [
        {"indicator": NOISY, "mechanism": "gaussian", "epsilon_per_release": 1.0, "delta": 1e-6,
         "yearly_epsilon": 3.0, "spent": 3.0, "left": 0.0, "releases_left": 0},
    ]}  # fmt: skip
    untouched = get(hub, register_hub, "/api/v1/budgets", year=2024).get_json()["indicators"]
    assert (untouched[0]["spent"], untouched[0]["releases_left"]) == (0.0, 3)
    this_year = dt.datetime.now(dt.UTC).year
    assert get(hub, register_hub, "/api/v1/budgets").get_json()["year"] == this_year
    assert get(hub, register_hub, "/api/v1/budgets", year=0).status_code == 422
