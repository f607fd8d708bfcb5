"""Role tests: nobody but a city itself obtains its value or its position, by any route.

Five cities report online-driven riots; Breda (GM0758) dominates one week with 7919 riots
(791.9 per 10,000 residents), alone in the top bucket and the only city flagging a spike.
The hub holds what rounds release for that, plus two wrong rows a faulty release could
leave behind: the dominated total with its value kept beside the suppression reason, and a
"released" total of a single city. A national partner, VNG, an admin and every other
municipality try every trend endpoint with every filter, in JSON and CSV, valid and
invalid; then Breda's node position endpoint. No answer, header or log line may carry
Breda's figures, and no distribution may place it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging

import pytest
from sqlalchemy import delete

from factories import Series, add_release, put_node_data
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import Release, Round

BREDA = "GM0758"
OTHERS = ("GM0363", "GM0599", "GM0344", "GM0518")  # Amsterdam, Rotterdam, Utrecht, Den Haag
INDICATOR = "riot_online_weekly"  # edges 0.1, 0.5, 1, 2: five buckets
DOMINATED, SINGLE, NORMAL = dt.date(2025, 3, 3), dt.date(2025, 3, 10), dt.date(2025, 3, 17)
BREDA_COUNTS = {DOMINATED: 7919, SINGLE: 7919, NORMAL: 3}
BREDA_RIOTS = Series("riot", BREDA_COUNTS, online_driven=True)
"""Breda's own weekly counts of online-driven riots."""
POPULATION = 100_000
OTHER_COUNTS = 3 + 4 + 2 + 5
SECRETS = ("7919", "791.9", "7933", "793.3", "1583.8", "1586.6")
"""Breda's count and rate, the dominated total and rate, and those per city (five)."""
STAMP = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
WEEKS = (None, DOMINATED, SINGLE, NORMAL)


def store(session, period, cell, value, reason=None, cohort=5) -> None:
    """One release cell of INDICATOR and its round."""
    add_release(session, INDICATOR, period, cell, value, reason, cohort=cohort,
                round_id=f"p-{period}-{cell}", at=STAMP)  # fmt: skip


def put_hub_releases(url: str) -> None:
    """What the rounds released for the five cities, with two wrong rows among them."""
    with session_scope(url) as session:
        session.execute(delete(Release))
        session.execute(delete(Round))
        store(session, DOMINATED, "total", 7919.0 + OTHER_COUNTS, "dominance")  # value kept: wrong
        store(session, SINGLE, "total", 7919.0, cohort=1)  # a single city "released": wrong
        store(session, NORMAL, "total", 3.0 + OTHER_COUNTS)
        for period, counts, cohort in ((DOMINATED, [4, 0, 0, 0, 1], 5),
                                       (SINGLE, [0, 0, 0, 0, 1], 1),
                                       (NORMAL, [2, 2, 1, 0, 0], 5)):  # fmt: skip
            for index, count in enumerate(counts):
                store(session, period, f"bucket:{index}", float(count), cohort=cohort)
        store(session, DOMINATED, "spikes", 1.0)


@pytest.fixture(scope="module")
def world(hub_and_node_databases, start_federation):
    """The hub with the five cities' releases; Breda's node with its own data."""
    put_hub_releases(hub_and_node_databases.hub_url)
    put_node_data(hub_and_node_databases.node_url, BREDA_RIOTS, population=POPULATION)
    with start_federation() as federation:
        yield federation


def outsiders(world) -> dict[str, dict[str, str]]:
    """Every user who is not Breda's own: partner, VNG, admin, each other municipality."""
    users = {role: world.user(role) for role in ("national_partner", "vng", "admin")}
    users |= {town: world.user("municipality", town) for town in OTHERS}
    return users


def ranges() -> list[dict[str, str]]:
    """Every from/to combination over the weeks (and none), valid or reversed."""
    combos = []
    for start, end in itertools.product(WEEKS, WEEKS):
        query = {"from": start.isoformat()} if start else {}
        combos.append(query | ({"to": end.isoformat()} if end else {}))
    return combos


def hub_requests() -> list[tuple[str, dict[str, object]]]:
    """Every trend endpoint with every filter combination, in JSON and CSV, and bad ones."""
    base = f"/api/v1/indicators/{INDICATOR}"
    requests: list[tuple[str, dict[str, object]]] = [("/api/v1/indicators", {})]
    for query, fmt in itertools.product(ranges(), ("json", "csv")):
        requests.append((f"{base}/distribution", query | {"format": fmt}))
        for window, size, page in ((1, 1, 1), (1, 1, 3), (4, 100, 1)):
            series = {"format": fmt, "window": window, "page_size": size, "page": page}
            requests.append((f"{base}/series", query | series))
    kinds = (("week", "month"), ("json", "csv"))
    for week, k, period, fmt in itertools.product(WEEKS, (0, 1, 2, 5), *kinds):
        query = {"k": k, "period": period, "format": fmt}
        query |= {"period_start": week.isoformat()} if week else {}
        requests.append(("/api/v1/early-warnings", query))
    for k, limit, period in itertools.product((0, 1, 3), (1, 5), ("week", "month")):
        requests.append(("/api/v1/summary", {"k": k, "limit": limit, "period": period}))
    requests += [
        (f"{base}/series", {"from": "2025-03-32"}),
        (f"{base}/series", {"window": -1, "page": 0}),
        ("/api/v1/indicators/riot_online_weekly_gm0758/series", {}),
        ("/api/v1/indicators/polarisation_radicalisation_weekly/distribution", {}),
        ("/api/v1/early-warnings", {"period_start": "GM0758"}),
    ]
    return requests


def shown(response) -> str:
    """Everything a caller sees of a response: status, headers and body."""
    return f"{response.status} {dict(response.headers)} {response.get_data(as_text=True)}"


def test_the_hub_never_serves_a_city_value_or_position_to_anyone(world, reveals, caplog):
    caplog.set_level(logging.DEBUG)
    users = outsiders(world) | {"Breda's own staff": world.user("municipality", BREDA)}
    requests = hub_requests()
    for (name, headers), (path, query) in itertools.product(users.items(), requests):
        response = world.hub.get(path, query_string=query, headers=headers)
        assert response.status_code < 500, (name, path, query)
        text = shown(response)
        assert not reveals(text, SECRETS), (name, path, query, text)
        assert BREDA not in text and "Breda" not in text, (name, path, query)
        etag = response.headers.get("ETag")
        if etag and name == "vng":  # a 304 is empty (once is enough: answers are role-blind)
            again = world.hub.get(
                path, query_string=query, headers={**headers, "If-None-Match": etag}
            )
            assert again.status_code == 304 and again.data == b""
    assert not reveals(caplog.text, SECRETS)


def test_the_dominated_and_single_city_weeks_are_served_only_as_suppressed(world):
    headers = world.user("national_partner")
    base = f"/api/v1/indicators/{INDICATOR}"
    points = world.hub.get(f"{base}/series", headers=headers).get_json()["points"]
    assert [(p["value"], p["suppressed_reason"]) for p in points] == [
        (None, "dominance"), (None, "min_contributors"), (3.0 + OTHER_COUNTS, None)]  # fmt: skip
    periods = world.hub.get(f"{base}/distribution", headers=headers).get_json()["periods"]
    assert [(p["counts"], p["suppressed_reason"], p["quartiles"]) for p in periods] == [
        (None, "concentrated", None), (None, "min_contributors", None),
        ([2, 2, 1, 0, 0], None, periods[2]["quartiles"])]  # fmt: skip
    csv_text = world.hub.get(f"{base}/distribution", query_string={"format": "csv"},
                             headers=headers).get_data(as_text=True)  # fmt: skip
    first = csv_text.splitlines()[1].split(",")
    assert first[:6] == [DOMINATED.isoformat(), "", "", "", "", ""]
    # One of five cities flags a spike: that city would learn that no other did, so the
    # count is not served, not even to someone asking for k = 1.
    warnings = world.hub.get("/api/v1/early-warnings", query_string={"k": 1},
                             headers=headers).get_json()  # fmt: skip
    assert warnings["signals"] == []


def position_requests() -> list[tuple[str, dict[str, str]]]:
    """The position endpoint for every indicator kind and every range, valid or not."""
    codes = (INDICATOR, "youth_safety_weekly", "polarisation_radicalisation_weekly", "nope")
    requests = [(f"/api/v1/position/{c}", q) for c, q in itertools.product(codes, ranges())]
    return requests + [(f"/api/v1/position/{INDICATOR}", {"from": "2025-99-01"})]


def answers(world, users: dict[str, dict[str, str]]) -> list[tuple[int, str]]:
    """Status and body of every position request by every user."""
    results = []
    for headers, (path, query) in itertools.product(users.values(), position_requests()):
        response = world.node.get(path, query_string=query, headers=headers)
        results.append((response.status_code, response.get_data(as_text=True)))
    return results


def test_only_breda_sees_its_position_and_the_refusal_does_not_depend_on_data(
    world, reveals, caplog
):
    caplog.set_level(logging.DEBUG)
    users = outsiders(world)
    refused = answers(world, users)
    assert {status for status, _ in refused} == {403}
    assert len({body for _, body in refused}) == 1
    assert not reveals(" ".join(body for _, body in refused), SECRETS)
    assert world.outbound.requests == []  # nothing is even fetched for them
    other_data = Series("riot", {NORMAL: 1}, online_driven=True)  # the very same refusals
    put_node_data(world.databases.node_url, other_data, population=POPULATION)
    try:
        assert answers(world, users) == refused
    finally:
        put_node_data(world.databases.node_url, BREDA_RIOTS, population=POPULATION)
    own = world.node.get(f"/api/v1/position/{INDICATOR}", headers=world.user("municipality", BREDA))
    assert own.status_code == 200
    assert reveals(own.get_data(as_text=True), ["791.9"])  # the detector works: Breda sees it
    assert [p["own_bucket"] for p in own.get_json()["points"]] == [4, 4, 1]
    # NORMAL: counts [2, 2, 1, 0, 0], median 0.1 + 0.5 / 2 * 0.4 = 0.2 < 0.3 <= Q3 0.45
    assert [p["quartile"] for p in own.get_json()["points"]] == [None, None, 3]
    assert not reveals(caplog.text, SECRETS)
    for request in world.outbound.requests:
        assert request.content == b"" and not reveals(str(request.url), SECRETS)
