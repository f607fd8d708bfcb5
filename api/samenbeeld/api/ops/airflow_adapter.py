"""The one module of the package that imports Airflow: Connections and Variables to a
:class:`~samenbeeld.api.ops.orchestration.Federation`.

* Connection ``samenbeeld_hub``: the hub's base URL (``http://host:port``) with the
  operator's key file in its extra, ``{"key_file": "/run/secrets/hub.pem"}``;
* Variable ``samenbeeld_nodes``: JSON, CBS code -> node base URL.

Both come from Airflow's secrets backends (locally: ``AIRFLOW_CONN_SAMENBEELD_HUB`` and
``AIRFLOW_VAR_SAMENBEELD_NODES`` in the environment); DAG files never hold them.
"""

from __future__ import annotations

import json
import os

from airflow.sdk import BaseHook, Variable

from samenbeeld.api.ops.orchestration import Federation

HUB_CONNECTION = "samenbeeld_hub"
NODES_VARIABLE = "samenbeeld_nodes"


def federation() -> Federation:
    """The federation as configured in Airflow (read at task run time, never at parse time)."""
    connection = BaseHook.get_connection(HUB_CONNECTION)
    scheme = connection.schema or "http"
    hub_url = f"{scheme}://{connection.host}:{connection.port}"
    nodes = json.loads(Variable.get(NODES_VARIABLE, default="{}"))
    return Federation(hub_url, connection.extra_dejson["key_file"], nodes)


def test_runs(
    dags_folder: str, dag_id: str, periods: list[str], conf: dict[str, object] | None = None
) -> list[dict[str, str]]:
    """``dag.test()`` once per period start (a manual run with that ``period_start``).

    ``conf`` goes into every run's configuration beside ``period_start``.

    Each outcome is written to file descriptor 1 as soon as its run ends: Airflow wraps
    ``sys.stdout`` while it runs, which would hold the lines back until the process exits.
    """
    import datetime as dt

    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=dags_folder, safe_mode=False).get_dag(dag_id)
    if dag is None:
        raise SystemExit(f"no DAG {dag_id} in {dags_folder}")
    outcomes = []
    for period in periods:
        start = dt.datetime.fromisoformat(period).replace(hour=3, tzinfo=dt.UTC)
        run = dag.test(logical_date=start, run_conf={**(conf or {}), "period_start": period})
        outcomes.append({"period_start": period, "state": str(run.state)})
        os.write(1, f"SBDAG {json.dumps(outcomes[-1])}\n".encode())
    return outcomes


def main(argv: list[str] | None = None) -> None:
    """``python -m samenbeeld.api.ops.airflow_adapter DAGS DAG_ID [--conf JSON] PERIOD...``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    conf = json.loads(args[3]) if args[2:3] == ["--conf"] else None
    test_runs(args[0], args[1], args[4:] if conf is not None else args[2:], conf)


if __name__ == "__main__":
    main()
