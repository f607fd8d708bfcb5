"""POST /api/v1/rounds/<id>/compute: three real party apps run a checked sum and report it.

The hub is an ``httpx.MockTransport`` put in each app's ``samenbeeld.http`` extension; it
records the reports. The triple dealer is a real process started by the test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import httpx
import jwt
import numpy as np
import pytest

from factories import PLAIN, SUM_RULES
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.api.auth import StaticKeySource
from samenbeeld.api.outbound import EXTENSION as HTTP_EXTENSION
from samenbeeld.federation.mpc import runtime, sharing
from samenbeeld.federation.mpc.programs import CheckedSumResult
from samenbeeld.federation.mpc.supervisor import find_free_port
from samenbeeld.federation.party import rounds as party_service
from samenbeeld.federation.protocol import RoundSpec
from samenbeeld.platform import migrate
from samenbeeld.platform.keys import (
    KeyOwner,
    KeySet,
    RegisteredKey,
    generate_private_key,
    key_id,
    write_private_key,
)
from samenbeeld.platform.settings import PartySettings, audience_for
from samenbeeld.platform.tokens import Signer

CITIES = ("GM0758", "GM0363", "GM0599", "GM0344", "GM0518", "GM0796")
EXPECTED = {
    "values": [150.0, None, 0.0, 15.5],
    "reasons": ["", "dominance", "", ""],
    "invalid": ["GM0796"],
    "contributors": 5,
    "rules": SUM_RULES.document(),  # the party's own minimum and dominance; no noise
}
PARAMS = {"min_contributors": 5, "dominance": 0.6}
SPEC = RoundSpec(
    "checked_sum",
    dt.date(2026, 1, 5),
    ("riot_online_weekly", "liveability_weekly", "drugs_weekly", "cybercrime_weekly"),
)
"""Four weekly indicators released exact, each cell's valid range [0, 10000] in the shipped
catalog."""
HISTOGRAM = RoundSpec("histogram", SPEC.period_start, ("riot_online_weekly",))
"""One indicator with four bucket edges: five one-hot cells."""
HUB = "http://hub.test"
OWNERS = [KeyOwner("hub", "hub")]
OWNERS += [KeyOwner("party", str(i)) for i in range(3)]
OWNERS += [KeyOwner("node", code) for code in CITIES]
PRIVATE = {(o.role, o.member): generate_private_key() for o in OWNERS}
PUBLIC = {who: key.public_key() for who, key in PRIVATE.items()}
KEYS = KeySet(
    RegisteredKey(key_id(PUBLIC[o.role, o.member]), PUBLIC[o.role, o.member], o) for o in OWNERS
)


class Hub:
    """A fake hub: records every report it receives and answers with a fixed status."""

    def __init__(self, status: int = 201) -> None:
        self.status = status
        self.reports: list[tuple[httpx.Request, dict]] = []
        self._lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Record the report; answer status."""
        with self._lock:
            self.reports.append((request, json.loads(request.content)))
        return httpx.Response(self.status, json={})


@pytest.fixture
def make_party(databases, tmp_path):
    """``make_party(index, hub)``: a party app on a fresh migrated database, hub mocked."""
    apps, clients = [], []

    def make(index: int, hub: Hub):
        url = databases.create()
        migrate.upgrade("party", url)
        key_file = tmp_path / f"party-{index}-{uuid.uuid4().hex[:6]}.pem"
        write_private_key(key_file, PRIVATE["party", str(index)])
        settings = PartySettings.load(
            environ={}, index=index, database_url=url, key_file=str(key_file), hub_url=HUB
        )
        app = create_app("party", settings, key_source=StaticKeySource(KEYS))
        clients.append(httpx.Client(transport=httpx.MockTransport(hub.handle)))
        app.extensions[HTTP_EXTENSION] = clients[-1]
        apps.append(app)
        return app

    yield make
    for app in apps:
        db.dispose(app)
    for client in clients:
        client.close()


def upload(
    app, round_id: str, code: str, row, precision_bits: int = 16, spec: RoundSpec = SPEC
) -> httpx.Response:
    """City code splits row and PUTs its share for app's party index to app, for spec."""
    index = app.extensions["samenbeeld"].index
    ring = sharing.encode_vector(row, precision_bits)
    shares = sharing.split(ring, round_id=round_id, precision_bits=precision_bits)
    signer = Signer(PRIVATE["node", code], role="node", member=code)
    return app.test_client().put(
        f"/api/v1/rounds/{round_id}/shares",
        data=sharing.encode_payload(shares, index),
        headers=signer.headers(audience_for("party", str(index))),
        query_string=spec.to_query(),
    )


def upload_all(apps, round_id: str, cities=CITIES) -> None:
    """Every city in cities uploads its row of PLAIN to every app (the same split)."""
    for code, row in zip(cities, PLAIN, strict=False):
        shares = sharing.split(sharing.encode_vector(row), round_id=round_id)
        for index, app in enumerate(apps):
            signer = Signer(PRIVATE["node", code], role="node", member=code)
            response = app.test_client().put(
                f"/api/v1/rounds/{round_id}/shares",
                data=sharing.encode_payload(shares, index),
                headers=signer.headers(audience_for("party", str(index))),
                query_string=SPEC.to_query(),
            )
            assert response.status_code == 201, response.get_json()


def compute(app, round_id: str, spec: RoundSpec = SPEC, **overrides):
    """POST the hub's compute request for spec to app (party index from its settings)."""
    index = app.extensions["samenbeeld"].index
    body = {
        "attempt": 1,
        "cohort": list(CITIES),
        "program": spec.program,
        "period_start": spec.period_start.isoformat(),
        "indicators": list(spec.indicators),
        "params": PARAMS,
        "master_addr": "127.0.0.1",
        "master_port": 1,
        "timeout": 60.0,
        **overrides,
    }
    headers = Signer(PRIVATE["hub", "hub"], role="hub", member="hub").headers(
        audience_for("party", str(index))
    )
    return app.test_client().post(f"/api/v1/rounds/{round_id}/compute", json=body, headers=headers)


def verify_report(index: int, round_id: str, request: httpx.Request, report: dict) -> None:
    """The report is the contract's: party token for the hub, signature over the result."""
    assert str(request.url) == f"{HUB}/api/v1/rounds/{round_id}/reports"
    token = request.headers["Authorization"].removeprefix("Bearer ")
    public = PUBLIC["party", str(index)]
    claims = jwt.decode(token, public, algorithms=["EdDSA"], audience="samenbeeld:hub:hub")
    assert (claims["role"], claims["sub"]) == ("party", str(index))
    assert jwt.get_unverified_header(report["signature"])["kid"] == key_id(public)
    signed = jwt.decode(report["signature"], public, algorithms=["EdDSA"])
    canonical = json.dumps(report["result"], sort_keys=True, separators=(",", ":"))
    assert signed == {
        "round_id": round_id,
        "attempt": report["attempt"],
        "result_sha256": hashlib.sha256(canonical.encode()).hexdigest(),
    }


@pytest.fixture
def dealer():
    """``dealer(port, timeout)`` starts the triple dealer; its group is killed afterwards."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(port: int, timeout: float) -> subprocess.Popen[bytes]:
        env = runtime.party_environment("ttp")
        command = runtime.dealer_command(("127.0.0.1", port), timeout)
        processes.append(
            subprocess.Popen(
                command,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        return processes[-1]

    yield start
    for process in processes:
        if process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.slow
def test_three_parties_compute_the_checked_sum_and_report_it_signed(make_party, dealer):
    hub = Hub()
    apps = [make_party(index, hub) for index in range(3)]
    round_id = f"weekly-{uuid.uuid4().hex[:8]}"
    upload_all(apps, round_id)
    port = find_free_port()
    triple_dealer = dealer(port, 120.0)
    with ThreadPoolExecutor(3) as pool:
        futures = [
            pool.submit(compute, app, round_id, master_port=port, timeout=120.0) for app in apps
        ]
        responses = [future.result() for future in futures]
    assert triple_dealer.wait(timeout=30) == 0, "the dealer served the parties, then stopped"
    assert [r.status_code for r in responses] == [200, 200, 200], [r.get_json() for r in responses]
    assert len(hub.reports) == 3
    by_party = {}
    for request, report in hub.reports:
        index = int(
            jwt.decode(request.headers["Authorization"][7:], options={"verify_signature": False})[
                "sub"
            ]
        )
        verify_report(index, round_id, request, report)
        by_party[index] = report
    assert sorted(by_party) == [0, 1, 2]
    assert all(report["result"] == EXPECTED for report in by_party.values())
    assert all(report["attempt"] == 1 for report in by_party.values())
    digest = hashlib.sha256(
        json.dumps(EXPECTED, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert [r.get_json() for r in responses] == [{"report_sha256": digest}] * 3


def fake_result(*_args, **_kwargs) -> CheckedSumResult:
    """What the parties would reveal for PLAIN, without running any MPC."""
    return CheckedSumResult(
        np.array([150.0, np.nan, 0.0, 15.5]),
        np.array(["", "dominance", "", ""]),
        np.array([5]),
        5,
    )


def never_run(*_args):
    """Stands in for the party process where none may start."""
    raise AssertionError("the MPC must not run")


@pytest.fixture
def one_party(make_party):
    """Party 2 with all six cities' uploads in a round of its own, and its fake hub."""
    hub = Hub()
    app = make_party(2, hub)
    round_id = f"weekly-{uuid.uuid4().hex[:8]}"
    for code, row in zip(CITIES, PLAIN, strict=True):
        assert upload(app, round_id, code, row).status_code == 201
    return app, hub, round_id


def test_a_round_is_reported_signed_and_closed_for_uploads(one_party, monkeypatch):
    monkeypatch.setattr(party_service, "run_party_process", fake_result)
    app, hub, round_id = one_party
    response = compute(app, round_id)
    assert response.status_code == 200, response.get_json()
    ((request, report),) = hub.reports
    verify_report(2, round_id, request, report)
    assert report == {"attempt": 1, "result": EXPECTED, "signature": report["signature"]}
    late = upload(app, round_id, "GM0363", PLAIN[0])
    assert late.status_code == 409
    assert late.get_json()["detail"] == f"round {round_id} is closed"


def test_an_attempt_runs_once(one_party, monkeypatch):
    monkeypatch.setattr(party_service, "run_party_process", fake_result)
    app, hub, round_id = one_party
    assert compute(app, round_id).status_code == 200
    again = compute(app, round_id)
    assert again.status_code == 409
    assert again.get_json()["detail"] == f"attempt 1 of round {round_id} was already run here"
    assert compute(app, round_id, attempt=2).status_code == 200
    assert [report["attempt"] for _, report in hub.reports] == [1, 2]


def test_a_cohort_city_without_an_upload_is_409_and_nothing_runs(make_party, monkeypatch):
    monkeypatch.setattr(party_service, "start_member", never_run)
    hub = Hub()
    app = make_party(0, hub)
    round_id = f"weekly-{uuid.uuid4().hex[:8]}"
    for code, row in zip(CITIES[:5], PLAIN, strict=False):
        assert upload(app, round_id, code, row).status_code == 201
    response = compute(app, round_id)
    assert response.status_code == 409
    assert response.get_json()["detail"] == "no upload here for GM0796 of the cohort"
    assert hub.reports == []
    assert upload(app, round_id, "GM0796", PLAIN[5]).status_code == 201, "round still open"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"program": "sum"}, "program"),
        ({"cohort": ["GM0758", "GM0758"]}, "cohort"),
        ({"cohort": ["Breda"]}, "cohort"),
        ({"master_addr": "--rank"}, "master_addr"),
        ({"timeout": 0}, "timeout"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_compute_request_is_422(one_party, monkeypatch, change, field):
    monkeypatch.setattr(party_service, "start_member", never_run)
    app, hub, round_id = one_party
    response = compute(app, round_id, **change)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert hub.reports == []


def test_bad_params_are_422_and_only_the_hub_may_ask(one_party, monkeypatch):
    monkeypatch.setattr(party_service, "start_member", never_run)
    app, hub, round_id = one_party
    bad = compute(app, round_id, params={"min_contributors": "5"})
    assert bad.status_code == 422
    assert "below this party's minimum" in bad.get_json()["detail"]
    signer = Signer(PRIVATE["node", "GM0758"], role="node", member="GM0758")
    url = f"/api/v1/rounds/{round_id}/compute"
    as_node = app.test_client().post(
        url, json={}, headers=signer.headers(audience_for("party", "2"))
    )
    assert as_node.status_code == 403
    assert app.test_client().post(url, json={}).status_code == 401


def test_a_report_the_hub_refuses_is_502(one_party, monkeypatch):
    monkeypatch.setattr(party_service, "run_party_process", fake_result)
    app, hub, round_id = one_party
    hub.status = 409
    response = compute(app, round_id)
    assert response.status_code == 502
    assert response.get_json()["detail"] == "the hub refused the report: HTTP 409"


@pytest.mark.slow
def test_an_mpc_without_the_other_parties_times_out_as_502(one_party, caplog):
    app, hub, round_id = one_party
    started = time.monotonic()
    response = compute(app, round_id, master_port=find_free_port(), timeout=4.0)
    elapsed = time.monotonic() - started
    assert response.status_code == 502
    assert response.content_type == "application/problem+json"
    detail = response.get_json()["detail"]
    assert (
        detail == f"the MPC of round {round_id} failed: compute party 2 did not finish within 4 s"
    )
    assert elapsed < 4.0 + 5.0
    assert hub.reports == []
    assert upload(app, round_id, "GM0758", PLAIN[0]).status_code == 409, "the round stays closed"
    (logged,) = [r.getMessage() for r in caplog.records if "MPC failed" in r.getMessage()]
    assert "did not finish within 4 s" in logged


CRASH = "import sys; sys.stderr.write('details\\n'); raise KeyError('GM0758 counted 1234')"


def test_a_crashing_party_is_502_and_its_stderr_logged_by_exception_type(
    one_party, monkeypatch, caplog
):
    monkeypatch.setattr(party_service, "party_command", lambda *_: [sys.executable, "-c", CRASH])
    app, hub, round_id = one_party
    response = compute(app, round_id)
    assert response.status_code == 502
    detail = response.get_json()["detail"]
    assert detail == f"the MPC of round {round_id} failed: compute party 2 exited with code 1"
    assert hub.reports == []
    (logged,) = [r.getMessage() for r in caplog.records if "MPC failed" in r.getMessage()]
    assert logged.endswith("(stderr's last line: KeyError)")
    assert "1234" not in caplog.text and "details" not in caplog.text


def test_a_counting_round_runs_its_program_on_integer_uploads_only(make_party, monkeypatch):
    """A one-hot round: fixed-point uploads are refused (422); integer ones run histogram
    with the segments of this party's own catalog."""
    seen = []

    def capture(job, party, matrix, work_dir):
        seen.append((job.program, job.params.to_json(), matrix.shape))
        return fake_result()

    monkeypatch.setattr(party_service, "run_party_process", capture)
    app = make_party(2, Hub())
    round_id = f"weekly-i-{uuid.uuid4().hex[:8]}"
    one_hot = [0, 1, 0, 0, 0]
    fixed = upload(app, round_id, CITIES[0], one_hot, spec=HISTOGRAM)
    assert fixed.status_code == 422
    assert fixed.get_json()["detail"] == "a histogram share is encoded at 0 bits"
    for code in CITIES:
        assert upload(app, round_id, code, one_hot, 0, HISTOGRAM).status_code == 201
    params = {"min_contributors": 5}
    assert compute(app, round_id, HISTOGRAM, params=params).status_code == 200
    expected = json.dumps({"min_contributors": 5, "segments": [5]})
    assert seen == [("histogram", expected, (len(CITIES), 5))]
    asked = compute(app, round_id, HISTOGRAM, attempt=2, params={"segments": [2, 3]})
    assert asked.status_code == 422  # segments follow from this party's catalog
    assert asked.get_json()["detail"].startswith("not the hub's to set: segments")
