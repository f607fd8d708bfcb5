"""The rounds DAGs: they import cleanly, and run rounds against the real services.

DAG parsing and ``dag.test()`` run in child processes (Airflow configures itself and its
logging when first imported); the scheduler tests use the real stack (LocalExecutor, its own
PostgreSQL metadata database) from ``start_stack``, against a real federation of services.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import psutil
import pytest

from samenbeeld.api.ops import client as ops_client
from samenbeeld.api.ops import dag_test
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.api.ops.demo_run import opt_in
from samenbeeld.api.ops.orchestration import Federation, round_sets
from samenbeeld.platform.catalog import load_catalog
from samenbeeld.platform.demo import init_federation
from samenbeeld.platform.truth import agrees, expected_cells, load_truth, verifiable

CITIES, WEEKS = 6, 15
WEEKLY = "samenbeeld_weekly_rounds"
SUMS_ONLY = {"rounds": ["sums"]}
"""The real scheduler's runs make the sums round only (the ``rounds`` param), to keep CI
under its time limit: twelve backfilled weeks of all three rounds would triple their time.
``dag.test`` runs all three rounds of the same DAG against the truth."""
PARSE = """
import json, sys, time
started = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "heavy": sorted(m for m in ("torch", "crypten", "numpy.linalg") if m in sys.modules),
    "dags": {
        d.dag_id: {
            "owner": d.default_args.get("owner"),
            "retries": d.default_args.get("retries"),
            "tags": sorted(d.tags),
            "tasks": sorted(t.task_id for t in d.tasks),
            "rounds": d.params["rounds"],
        }
        for d in bag.dags.values()
    },
}))
"""


def test_the_dags_import_without_errors_or_heavy_work(tmp_path):
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", PARSE, str(dag_test.DAGS_FOLDER)],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["errors"] == {}
    assert report["heavy"] == []  # torch and CrypTen load inside tasks only
    assert set(report["dags"]) == {WEEKLY, "samenbeeld_monthly_rounds"}
    for dag in report["dags"].values():
        assert dag["owner"] == "samenbeeld" and dag["retries"] >= 1 and "samenbeeld" in dag["tags"]
        assert {"open_round", "contribute", "quorum", "compute", "publish"} <= set(dag["tasks"])
        assert dag["rounds"] == ["sums", "distribution", "spikes"]  # every run: all three


def imports_airflow(path) -> bool:
    """Whether a module imports the ``airflow`` package (by its import statements)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "airflow" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "airflow":
            return True
    return False


def test_no_package_module_but_the_adapter_imports_airflow():
    """Only dags/ and samenbeeld.api.ops.airflow_adapter may import Airflow."""
    top = dag_test.DAGS_FOLDER.parent
    importers = sorted(
        str(path.relative_to(top))
        for root in ("platform", "federation", "api")
        for path in (top / root / "samenbeeld").rglob("*.py")
        if imports_airflow(path)
    )
    assert importers == ["api/samenbeeld/api/ops/airflow_adapter.py"]


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    """Six cities with 15 weeks of data, the services running, every node opted in."""
    folder = tmp_path_factory.mktemp("federation")
    demo = init_federation(folder, cities=CITIES, weeks=WEEKS, seed=5)
    cluster = Cluster(folder, [code for code, _, _ in demo.cities])
    cluster.prepare()
    cluster.start()
    try:
        names = {name for one in round_sets("week").values() for name in one.indicators}
        with httpx.Client(timeout=60) as client:
            opt_in(client, cluster, sorted(names))
        yield cluster, load_truth(demo.truth_path)
    finally:
        cluster.stop()


def operator(cluster: Cluster) -> Federation:
    """The federation as the Airflow Connection and Variable describe it."""
    nodes = {node.name: node.url for node in cluster.nodes()}
    return Federation(cluster.hub.url, str(cluster.hub.settings.effective_key_file), nodes)


def assert_released_as_truth(
    cluster: Cluster, truth, monday: dt.date, kinds=("sums", "distribution", "spikes")
) -> None:
    """The week's rounds are released once, every verifiable cell as the rules demand; the
    rounds of other kinds were never opened."""
    codes = list(cluster.codes)
    verified = [i for i in load_catalog().indicators if verifiable(i)]
    hub, signer = cluster.hub.url, cluster.signer("hub")
    with httpx.Client(timeout=60) as client:
        for kind, chosen in round_sets("week").items():
            round_id = chosen.round_id(monday)
            if kind not in kinds:
                response = client.get(
                    f"{hub}/api/v1/rounds/{round_id}", headers=signer.headers(ops_client.HUB)
                )
                assert response.status_code == 404, round_id
                continue
            state = ops_client.get_round(client, hub, signer, round_id)
            cells = ops_client.releases(client, hub, signer, round_id)
            assert state["state"] == "released" and state["program"] == chosen.program, state
            assert {cell["indicator"] for cell in cells} == set(chosen.indicators)
            by_cell = {(cell["indicator"], cell["cell"]): cell for cell in cells}
            assert len(by_cell) == len(cells)
            indicators = [i for i in verified if i.code in chosen.indicators]
            expected = expected_cells(
                truth, codes, indicators, monday, 5, 0.6, program=chosen.program
            )
            assert expected
            for cell in expected:
                release = by_cell[cell.indicator, cell.cell]
                assert agrees(cell, release), (cell, release)


@pytest.mark.slow
def test_dag_test_runs_a_weekly_round_against_the_real_services(federation, tmp_path):
    cluster, truth = federation
    monday = dt.date.fromisoformat(truth["week_starts"][0])
    env = dag_test.airflow_environment(tmp_path / "airflow", operator(cluster))
    dag_test.migrate(env, tmp_path / "airflow.log")
    runs = dag_test.run_periods(WEEKLY, [monday.isoformat()], env, tmp_path / "airflow.log")
    assert runs == [{"period_start": monday.isoformat(), "state": "success"}]
    assert_released_as_truth(cluster, truth, monday)


def airflow_env(cluster: Cluster) -> dict[str, str]:
    """The Connection and Variable the real stack's tasks read."""
    env = dag_test.airflow_environment(cluster.data_dir / "unused-home", operator(cluster))
    return {
        key: value
        for key, value in env.items()
        if key.startswith("AIRFLOW_CONN_") or key.startswith("AIRFLOW_VAR_")
    }


@pytest.fixture(scope="module")
def stack(start_stack, federation):
    """The real Airflow stack with our DAGs, pointed at the running federation."""
    cluster, _ = federation
    with start_stack(dag_test.DAGS_FOLDER, airflow_env(cluster)) as running:
        running.wait_for_dag(WEEKLY, timeout=120)
        yield running


@pytest.mark.slow
def test_the_real_scheduler_runs_a_triggered_round_to_success(stack, federation):
    cluster, truth = federation
    monday = dt.date.fromisoformat(truth["week_starts"][1])
    logical = dt.datetime.combine(monday, dt.time(3), tzinfo=dt.UTC)
    conf = {"period_start": monday.isoformat(), **SUMS_ONLY}
    run_id = stack.trigger(WEEKLY, logical, conf=conf)
    assert stack.wait_for_run(WEEKLY, run_id, timeout=240) == "success"
    assert_released_as_truth(cluster, truth, monday, kinds=("sums",))


def kill_compute_client_once(stack, cluster: Cluster, hub_port: int, killed: list[int]) -> None:
    """When a round computes, SIGKILL the ``compute`` task's process waiting on the hub.

    The backfill runs several DAG runs at once, so another run's task may be talking to
    the hub at that moment: the process is the one Airflow records as the running
    ``compute`` task instance's, and it must hold a connection to the hub.
    """
    running = {"task_id": "compute", "state": "running", "limit": 100}
    with httpx.Client(base_url=stack.client.base_url, headers=stack.client.headers) as api:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            response = api.get(f"/dags/{WEEKLY}/dagRuns/~/taskInstances", params=running)
            for ti in response.json().get("task_instances", []):
                if ti.get("pid") and waits_on(ti["pid"], hub_port) and compute_is_running(cluster):
                    os.kill(ti["pid"], signal.SIGKILL)
                    killed.append(ti["pid"])
                    return
            time.sleep(0.05)


def waits_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` has an open connection to ``port``."""
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(conn.raddr and conn.raddr.port == port for conn in connections)


def compute_is_running(cluster: Cluster) -> bool:
    """Whether some round is in its computing state right now."""
    from samenbeeld.platform.db import session_scope
    from samenbeeld.platform.models.hub import Round

    with session_scope(cluster.hub.settings.effective_database_url) as session:
        return session.query(Round).filter(Round.state == "computing").count() > 0


def backfill_runs(stack, count: int, timeout: float = 60.0) -> list[dict]:
    """The DAG's backfill runs, once ``count`` of them are listed (created in batches)."""
    deadline = time.monotonic() + timeout
    while True:
        params = {"run_type": "backfill", "order_by": "logical_date", "limit": 100}
        runs = stack.client.get(f"/dags/{WEEKLY}/dagRuns", params=params).json()["dag_runs"]
        if len(runs) >= count or time.monotonic() > deadline:
            return list(runs)
        time.sleep(0.5)


@pytest.mark.slow
def test_a_backfill_of_12_weeks_releases_each_week_once_even_when_compute_is_killed(
    stack, federation
):
    cluster, truth = federation
    mondays = [dt.date.fromisoformat(week) for week in truth["week_starts"][2:14]]
    start = dt.datetime.combine(mondays[0], dt.time(3), tzinfo=dt.UTC)
    end = dt.datetime.combine(mondays[-1], dt.time(3), tzinfo=dt.UTC)
    killed: list[int] = []
    killer = threading.Thread(
        target=kill_compute_client_once, args=(stack, cluster, cluster.hub.port, killed)
    )
    killer.start()
    stack.backfill(WEEKLY, start, end, conf=SUMS_ONLY)
    runs = backfill_runs(stack, 12)
    assert [run["logical_date"][:10] for run in runs] == [m.isoformat() for m in mondays]
    states = [stack.wait_for_run(WEEKLY, run["dag_run_id"], timeout=600) for run in runs]
    killer.join()
    assert states == ["success"] * 12
    assert len(killed) == 1  # one compute task died mid-round and was retried
    tries = [
        ti
        for run in runs
        for ti in stack.task_instances(WEEKLY, run["dag_run_id"])
        if ti["task_id"] == "compute"
    ]
    assert max(ti["try_number"] for ti in tries) >= 2
    for monday in mondays:
        assert_released_as_truth(cluster, truth, monday, kinds=("sums",))
