"""A misbehaving hub, with its own real key, against unmodified party services and nodes.

The hub is trusted to coordinate, never with a city's figure. Here it tries what a careless
or curious operator could: computing a round with a cohort of one, lower rules, indicators
or programs outside the catalog, and a second round over a released cell without one city
(differencing). Every party refuses on its own policy and ledger, before any session
starts, and nothing the hub receives or stores carries a value. Last, the hub is killed
mid-attempt and restarted: the round can be computed again at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from samenbeeld.api.ops import client as ops_client
from samenbeeld.platform.catalog import default_catalog
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import RoundReport
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.truth import city_value

pytestmark = pytest.mark.slow
NAMES = ["riot_online_weekly", "youth_safety_weekly"]


def monday_of(truth, number: int) -> dt.date:
    """The demo's n-th week start."""
    return dt.date.fromisoformat(truth["week_starts"][number])


def ask_parties(cluster, client, round_id: str, cohort, **change) -> list[httpx.Response]:
    """POST the same compute request to every party, signed with the hub's real key."""
    body = {
        "attempt": 1, "cohort": list(cohort), "program": "checked_sum",
        "period_start": change.pop("period_start").isoformat(), "indicators": NAMES,
        "params": {}, "master_port": 1, "timeout": 5.0, **change,
    }  # fmt: skip
    signer = cluster.signer("hub")
    answers = []
    for index in range(3):
        url = f"{cluster.services[f'party-{index}'].url}/api/v1/rounds/{round_id}/compute"
        headers = signer.headers(audience_for("party", str(index)))
        answers.append(client.post(url, json=body, headers=headers, timeout=60))
    return answers


def stored_reports(cluster) -> int:
    """How many party reports the hub's database holds."""
    with session_scope(cluster.hub.settings.effective_database_url) as session:
        return int(session.scalar(select(func.count()).select_from(RoundReport)) or 0)


def test_every_party_refuses_a_hub_that_asks_for_less_and_the_hub_learns_nothing(
    federation, reveals
):
    cluster, truth, _, codes, recorder = federation
    monday = monday_of(truth, 0)
    hub, signer = cluster.hub.url, cluster.signer("hub")
    nodes = {s.name: s.url for s in cluster.nodes()}
    honest = ops_client.run_round(recorder.client, hub, signer, nodes, "honest-w0", NAMES, monday)
    assert honest.round["state"] == "released", honest.round
    # The hub has the nodes contribute to a round it never opened (nodes follow the hub).
    outcomes = ops_client.request_contributions(
        recorder.client, signer, nodes, "rogue-w0", NAMES, monday
    )
    assert set(outcomes.values()) == {"contributed"}
    reports_before = stored_reports(cluster)
    attempts = {
        "a cohort of one": ({"cohort": codes[:1]}, 422, "a cohort of 1 is below the minimum"),
        "min_contributors 1": (
            {"params": {"min_contributors": 1}}, 422, "below this party's minimum of 5"),
        "dominance 1.0": ({"params": {"dominance": 1.0}}, 422, "above this party's threshold"),
        "its own bounds": ({"params": {"max_value": 1e7}}, 422, "not the hub's to set"),
        "an unknown indicator": ({"indicators": ["no_such_indicator"]}, 422, "not in the"),
        "an unknown program": ({"program": "sum"}, 422, None),
        "the cohort without one city": ({"cohort": codes[1:]}, 409, "was revealed in round"),
    }  # fmt: skip
    for name, (change, status, reason) in attempts.items():
        cohort = change.pop("cohort", codes)
        answers = ask_parties(cluster, recorder.client, "rogue-w0", cohort,
                              period_start=monday, **change)  # fmt: skip
        assert [a.status_code for a in answers] == [status] * 3, (name, answers[0].text)
        if reason:
            assert all(reason in a.json()["detail"] for a in answers), name
    assert stored_reports(cluster) == reports_before, "no party computed or reported anything"
    catalog = default_catalog()
    own = {
        f"{city_value(truth, code, catalog.get(name), monday):g}"
        for code in codes
        for name in NAMES
    }
    distinctive = [value for value in own if len(value) >= 3]  # "5" would match any detail
    for text in recorder.bodies[-3 * len(attempts) :]:
        assert set(json.loads(text)) <= {"type", "title", "status", "detail", "errors"}
        assert not reveals(text, distinctive), text[:500]


def test_a_second_round_over_a_released_cell_is_refused_at_open(federation):
    cluster, truth, _, _, recorder = federation
    monday = monday_of(truth, 0)  # released by the test above
    hub, signer = cluster.hub.url, cluster.signer("hub")
    body = {"id": "overlap-w0", "indicators": NAMES[:1], "period_start": monday.isoformat()}
    url = f"{hub}/api/v1/rounds"
    response = recorder.client.post(url, json=body, headers=signer.headers(ops_client.HUB))
    assert response.status_code == 409
    assert "covers riot_online_weekly of this period already" in response.json()["detail"]


def test_a_hub_killed_mid_attempt_recovers_at_start_and_recomputes_at_once(federation):
    """SIGKILL the hub while its dealer runs; the restarted hub fails that attempt when it
    starts (not after the stale rule's timeout + 60 s) and removes the dealer's folder."""
    cluster, truth, _, codes, recorder = federation
    monday = monday_of(truth, 0) + dt.timedelta(weeks=-1)
    hub, signer = cluster.hub.url, cluster.signer("hub")
    nodes = {s.name: s.url for s in cluster.nodes()}
    ops_client.open_round(recorder.client, hub, signer, "restart-w", NAMES, monday)
    ops_client.request_contributions(recorder.client, signer, nodes, "restart-w", NAMES, monday)
    work = cluster.hub.settings.work_dir
    killed: list[bool] = []

    def kill_when_the_dealer_runs() -> None:
        for _ in range(3000):
            if list(work.glob("dealer-*")):
                os.killpg(cluster.hub.process.pid, signal.SIGKILL)
                killed.append(True)
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_when_the_dealer_runs)
    killer.start()
    with pytest.raises(httpx.HTTPError), httpx.Client(timeout=300) as client:
        ops_client.compute(client, hub, signer, "restart-w", timeout=120.0)
    killer.join()
    assert killed and list(work.glob("dealer-*")), "the killed hub left its dealer folder"
    restarted = time.monotonic()
    cluster.start_service("hub")
    state = ops_client.get_round(recorder.client, hub, signer, "restart-w")
    assert state["state"] == "failed", state
    assert state["failure"] == "attempt interrupted: the hub restarted"
    assert list(work.iterdir()) == []
    again = ops_client.compute(recorder.client, hub, signer, "restart-w", timeout=120.0)
    assert again["state"] == "released" and again["attempt"] == 2, again
    assert time.monotonic() - restarted < 120.0 + 60.0
