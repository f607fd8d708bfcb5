"""Run the rounds DAGs with ``dag.test()`` in a child process, against running services.

Airflow reconfigures logging and reads its configuration when first imported, so the
package never imports it here: a child process (``python -m samenbeeld.api.ops.airflow_adapter``)
loads the DAG files and runs ``dag.test()`` once per period, with an environment that points
Airflow at its own metadata database (SQLite under ``home`` by default) and carries the
``samenbeeld_hub`` Connection and ``samenbeeld_nodes`` Variable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from samenbeeld.api.ops.orchestration import Federation

DAGS_FOLDER = Path(__file__).resolve().parents[4] / "dags"
PREFIX = "SBDAG "


def airflow_environment(
    home: Path, federation: Federation, metadata_url: str | None = None
) -> dict[str, str]:
    """Airflow's settings for a local run: its home, its database, our Connection/Variable."""
    hub = federation.hub_url.split("://", 1)[1]
    host, port = hub.rsplit(":", 1)
    connection = {
        "conn_type": "http", "host": host, "port": int(port),
        "schema": federation.hub_url.split("://", 1)[0],
        "extra": {"key_file": federation.hub_key_file},
    }  # fmt: skip
    home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url or f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW_CONN_SAMENBEELD_HUB": json.dumps(connection),
        "AIRFLOW_VAR_SAMENBEELD_NODES": json.dumps(dict(federation.nodes)),
    }


def _run(command: Sequence[str], env: Mapping[str, str], log: Path) -> str:
    """Run an Airflow command with ``env`` on top of ours; its stdout (log on failure)."""
    import os

    full = {**os.environ, **env}
    with open(log, "ab") as errors:
        done = subprocess.run(list(command), env=full, stdout=subprocess.PIPE, stderr=errors)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed (exit {done.returncode}); see {log}")
    return done.stdout.decode(errors="replace")


def migrate(env: Mapping[str, str], log: Path) -> None:
    """Create or upgrade Airflow's metadata database (``airflow db migrate``)."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    _run([airflow, "db", "migrate"], env, log)


def run_periods(
    dag_id: str,
    periods: Sequence[str],
    env: Mapping[str, str],
    log: Path,
    on_run: Callable[[dict[str, str]], None] | None = None,
    conf: Mapping[str, Any] | None = None,
) -> list[dict[str, str]]:
    """``dag.test()`` for each period start, in one child process; the runs' states.

    ``conf`` is added to every run's configuration (e.g. ``{"rounds": ["sums"]}``).
    """
    import os

    command = [sys.executable, "-m", "samenbeeld.api.ops.airflow_adapter", str(DAGS_FOLDER), dag_id]
    if conf:
        command += ["--conf", json.dumps(dict(conf))]
    outcomes = []
    full = {**os.environ, **env}
    with (
        open(log, "ab") as errors,
        subprocess.Popen(
            [*command, *periods], env=full, stdout=subprocess.PIPE, stderr=errors
        ) as child,
    ):
        assert child.stdout is not None
        for raw in child.stdout:
            line = raw.decode(errors="replace")
            if line.startswith(PREFIX):
                outcomes.append(json.loads(line[len(PREFIX) :]))
                if on_run is not None:
                    on_run(outcomes[-1])
        code = child.wait()
    if code != 0:
        raise RuntimeError(f"dag.test of {dag_id} failed (exit {code}); see {log}")
    return outcomes
