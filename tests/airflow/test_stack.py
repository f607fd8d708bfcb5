"""The real Airflow 3 stack: four processes, a tiny DAG run by the LocalExecutor, backfill, stop."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from samenbeeld.api.ops.airflow_stack import COMPONENTS, AirflowStack, session_members

pytestmark = pytest.mark.slow
UTC = dt.UTC

TINY_DAG = '''
"""Two tasks: one returns a word from the run's conf, the other writes it to a file."""

import datetime as dt
from pathlib import Path

from airflow.sdk import Variable, dag, get_current_context, task


@dag(schedule="@weekly", start_date=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc), catchup=False)
def tiny():
    @task
    def word() -> str:
        return get_current_context()["params"].get("word", "hallo")

    @task
    def write(text: str) -> None:
        run_id = get_current_context()["run_id"]
        out = Path(Variable.get("tiny_output")) / (run_id.replace(":", "_") + ".txt")
        out.write_text(text)

    write(word())


tiny()
'''


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the DAG writes its files (handed over as AIRFLOW_VAR_TINY_OUTPUT)."""
    return tmp_path_factory.mktemp("out")


@pytest.fixture(scope="module")
def stack(
    start_stack, tmp_path_factory: pytest.TempPathFactory, output: Path
) -> Iterator[AirflowStack]:
    """One stack for the module, with the tiny DAG in its DAGs folder."""
    dags = tmp_path_factory.mktemp("dags")
    (dags / "tiny.py").write_text(textwrap.dedent(TINY_DAG))
    with start_stack(dags, {"AIRFLOW_VAR_TINY_OUTPUT": str(output)}) as stack:
        stack.wait_for_dag("tiny", timeout=60)
        yield stack


def test_components_are_separate_healthy_processes(stack: AirflowStack) -> None:
    pids = stack.pids()
    assert sorted(pids) == sorted(COMPONENTS)
    assert len(set(pids.values())) == 4
    assert all(os.getpgid(pid) == pid for pid in pids.values())
    health = stack.health()
    assert {health[k]["status"] for k in ("metadatabase", "scheduler", "triggerer")} == {"healthy"}
    assert health["dag_processor"]["status"] == "healthy"


def test_triggered_run_writes_the_file(stack: AirflowStack, output: Path) -> None:
    logical_date = dt.datetime(2026, 3, 2, tzinfo=UTC)
    run_id = stack.trigger("tiny", logical_date, conf={"word": "samenbeeld"})
    assert stack.wait_for_run("tiny", run_id, timeout=60) == "success"
    states = {ti["task_id"]: ti["state"] for ti in stack.task_instances("tiny", run_id)}
    assert states == {"word": "success", "write": "success"}
    assert stack.dag_run("tiny", run_id)["logical_date"].startswith("2026-03-02")
    assert (output / (run_id.replace(":", "_") + ".txt")).read_text() == "samenbeeld"


def test_rest_api_needs_a_valid_token_when_one_is_sent(stack: AirflowStack) -> None:
    forged = httpx.get(f"{stack.url}/api/v2/dags", headers={"Authorization": "Bearer forged"})
    assert forged.status_code in (401, 403)
    assert stack.client.get("/dags").status_code == 200


def test_backfill_creates_one_run_per_week(stack: AirflowStack) -> None:
    start, end = dt.datetime(2026, 1, 5, tzinfo=UTC), dt.datetime(2026, 1, 19, tzinfo=UTC)
    runs = stack.backfill("tiny", start, end)
    assert [r["logical_date"][:10] for r in runs] == ["2026-01-11", "2026-01-18"]
    assert {r["run_type"] for r in runs} == {"backfill"}
    states = [stack.wait_for_run("tiny", r["dag_run_id"], timeout=60) for r in runs]
    assert states == ["success", "success"]


def test_the_stack_module_does_not_import_airflow() -> None:
    code = "import sys, samenbeeld.api.ops.airflow_stack; print('airflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_stop_leaves_no_process_behind(stack: AirflowStack) -> None:
    """Runs last in the module: the fixture's own stop is then a no-op."""
    pids = stack.pids()
    stack.stop()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(map(_group_alive, pids.values())):
        time.sleep(0.1)
    assert not any(map(_group_alive, pids.values()))
    assert all(session_members(pid) == [] for pid in pids.values())
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{stack.url}/api/v2/monitor/health")


def _group_alive(pgid: int) -> bool:
    """Whether any process (a zombie too) is still in the process group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
