"""One weekly round of the 12-city demo, trigger to stored release, as ``make demo`` runs it.

The demo's own path: synthetic data for 12 cities, the hub, three parties and 12 nodes as
processes on loopback, every node opted in, and the weekly rounds DAG run with
``dag.test()`` for one week after another (the sums round, as the demo runs every week
but the last). A week's time runs from one DAG run's end to the next one's: open, twelve
contributions, quorum, the MPC, publish. The first week also pays for the child process's
Airflow import and is left out; ``demo_week_s`` is the median of the next five.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from samenbeeld.api.ops import dag_test, demo_run
from samenbeeld.platform.truth import load_truth

CITIES = 12
WEEKS = 6
SEED = 7


def run() -> list[dict[str, Any]]:
    """Time five weekly DAG runs of the demo federation (after a first, warming one)."""
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-demo-") as name:
        demo, cluster = demo_run.build(Path(name), CITIES, WEEKS, SEED, postgres=False)
        weeks = load_truth(demo.truth_path)["week_starts"]
        cluster.start()
        try:
            with httpx.Client(timeout=600) as client:
                demo_run.opt_in(client, cluster, demo_run.weekly_indicators())
            marks = time_weeks(cluster, weeks)
        finally:
            cluster.stop()
    seconds = [later - earlier for earlier, later in zip(marks, marks[1:], strict=False)]
    return [
        {
            "name": "demo_week_s",
            "value": statistics.median(seconds),
            "unit": "s",
            "samples": seconds,
        }
    ]


def time_weeks(cluster: Any, weeks: list[str]) -> list[float]:
    """The moment each weekly DAG run ended; raises unless every round was released."""
    env, log = demo_run.airflow_for(cluster)
    marks: list[float] = []
    runs = dag_test.run_periods(
        demo_run.WEEKLY_DAG, weeks, env, log, lambda _: marks.append(time.perf_counter()),
        demo_run.SUMS_ONLY,
    )  # fmt: skip
    failed = [run for run in runs if run.get("state") != "success"]
    if failed:
        raise AssertionError(f"weekly DAG runs did not succeed: {failed}")
    return marks
