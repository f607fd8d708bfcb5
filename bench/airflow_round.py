"""One weekly round through the real Airflow scheduler, with the demo federation.

The demo federation (12 nodes, 3 parties, the hub as processes) and the real Airflow stack
(api-server, scheduler, dag-processor, triggerer; LocalExecutor; a fresh PostgreSQL
metadata database, SQLite only without PostgreSQL) run; the clock runs from triggering the
weekly rounds DAG for a week (its sums round: ``conf.rounds``) to the hub storing that week's
release. Median of 3 weeks.

Before the clock runs: the nodes opt in to every weekly round's indicators, the monthly DAG
is paused, and the weekly DAG's own scheduled run (the latest interval, started as soon as
the DAG appears) is waited for. The weekly DAG runs one run at a time, so a scheduled run
whose rounds cannot reach quorum would hold every triggered run back.

Where the time goes: ``airflow_round_task_seconds`` is the sum of the durations of the tasks
on the run's critical path (open, the slowest contribution, quorum, compute) as Airflow
recorded them; the rest of ``airflow_round_12_nodes_s`` is scheduling latency (queueing,
task process start-up, polling).
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.exc import OperationalError

from samenbeeld.api.ops import airflow_stack, dag_test
from samenbeeld.api.ops import client as ops_client
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.api.ops.demo_run import opt_in, weekly_indicators
from samenbeeld.api.ops.orchestration import Federation, indicator_set
from samenbeeld.platform.demo import init_federation

CITIES, WEEKS, REPEATS = 12, 6, 3
WEEKLY, MONTHLY = "samenbeeld_weekly_rounds", "samenbeeld_monthly_rounds"
CRITICAL = ("open_round", "contribute", "quorum", "compute")


def metadata(home: Path) -> tuple[str, str | None]:
    """A fresh PostgreSQL metadata database (URL, name), else SQLite (URL, None)."""
    name = f"samenbeeld_airflow_bench_{uuid.uuid4().hex[:8]}"
    try:
        return airflow_stack.postgres_metadata_url(name), name
    except OperationalError:
        return f"sqlite:///{home / 'airflow.db'}", None


def wait_released(client: httpx.Client, cluster: Cluster, round_id: str, limit: float) -> float:
    """Poll the hub until the round is released; the moment (perf_counter)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        response = client.get(
            f"{cluster.hub.url}/api/v1/rounds/{round_id}",
            headers=cluster.signer("hub").headers(ops_client.HUB),
        )
        if response.status_code == 200 and response.json()["state"] == "released":
            return time.perf_counter()
        time.sleep(0.1)
    raise TimeoutError(f"round {round_id} not released within {limit:g} s")


def task_seconds(stack: airflow_stack.AirflowStack, run_id: str) -> float:
    """Seconds of the run's critical-path tasks (the slowest of each mapped task)."""
    slowest: dict[str, float] = {}
    for ti in stack.task_instances(WEEKLY, run_id):
        if ti["task_id"] in CRITICAL and ti.get("duration"):
            slowest[ti["task_id"]] = max(slowest.get(ti["task_id"], 0.0), float(ti["duration"]))
    return sum(slowest.values())


def one_round(
    stack: airflow_stack.AirflowStack, cluster: Cluster, monday: dt.date
) -> tuple[float, float]:
    """Trigger the week, wait for its release; (seconds, critical-path task seconds)."""
    logical = dt.datetime.combine(monday, dt.time(3), tzinfo=dt.UTC)
    round_id = indicator_set("week").round_id(monday)
    with httpx.Client(timeout=30) as client:
        started = time.perf_counter()
        conf = {"period_start": monday.isoformat(), "rounds": ["sums"]}
        run_id = stack.trigger(WEEKLY, logical, conf=conf)
        released = wait_released(client, cluster, round_id, 300)
    if stack.wait_for_run(WEEKLY, run_id, timeout=300) != "success":
        raise AssertionError(f"weekly run for {monday} failed")
    return released - started, task_seconds(stack, run_id)


def settle(stack: airflow_stack.AirflowStack) -> None:
    """Pause the monthly DAG and let the weekly DAG's scheduled run finish."""
    stack.wait_for_dag(MONTHLY, timeout=120)
    paused = stack.client.patch(f"/dags/{MONTHLY}", json={"is_paused": True})
    paused.raise_for_status()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        runs = stack.client.get(f"/dags/{WEEKLY}/dagRuns").json()["dag_runs"]
        if runs and all(run["state"] in ("success", "failed") for run in runs):
            return
        time.sleep(1)
    raise TimeoutError("the weekly DAG's scheduled run did not finish within 300 s")


def run() -> list[dict[str, Any]]:
    """Three weekly rounds through the real scheduler."""
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-airflow-") as name:
        folder = Path(name)
        demo = init_federation(folder / "federation", cities=CITIES, weeks=WEEKS, seed=3)
        cluster = Cluster(folder / "federation", [code for code, _, _ in demo.cities])
        cluster.prepare()
        cluster.start()
        url, database = metadata(folder)
        try:
            with httpx.Client(timeout=60) as client:
                opt_in(client, cluster, weekly_indicators())
            nodes = {node.name: node.url for node in cluster.nodes()}
            federation = Federation(
                cluster.hub.url, str(cluster.hub.settings.effective_key_file), nodes
            )
            env = dag_test.airflow_environment(folder / "unused", federation)
            extra = {
                k: v for k, v in env.items() if k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))
            }
            home = folder / "airflow"
            with airflow_stack.AirflowStack(
                home, dag_test.DAGS_FOLDER, metadata_url=url, extra_env=extra
            ) as stack:
                stack.wait_for_dag(WEEKLY, timeout=120)
                settle(stack)
                mondays = [dt.date.fromisoformat(w) for w in demo_weeks(folder)][:REPEATS]
                rounds = [one_round(stack, cluster, monday) for monday in mondays]
        finally:
            cluster.stop()
            if database:
                airflow_stack.drop_database(database)
    seconds = [total for total, _ in rounds]
    tasks = [work for _, work in rounds]
    overhead = [total - work for total, work in rounds]
    return [
        {
            "name": "airflow_round_12_nodes_s",
            "value": statistics.median(seconds),
            "unit": "s",
            "samples": seconds,
        },
        {
            "name": "airflow_round_task_seconds",
            "value": statistics.median(tasks),
            "unit": "s",
            "samples": tasks,
        },
        {
            "name": "airflow_round_scheduling_s",
            "value": statistics.median(overhead),
            "unit": "s",
            "samples": overhead,
        },
    ]


def demo_weeks(folder: Path) -> list[str]:
    """The demo's week starts (the last one is left to the scheduler's own first run)."""
    import json

    weeks: list[str] = json.loads((folder / "federation" / "truth.json").read_text())["week_starts"]
    return weeks[:-1]
