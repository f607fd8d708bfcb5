"""Samenbeeld's rounds, one DAG per schedule group (weekly, monthly) from the catalog.

A run makes the period's three rounds (``samenbeeld.api.ops.orchestration.round_sets``): the
sums, the distribution (one-hot buckets) and the spike count; the ``rounds`` param may
choose fewer. Each task is mapped over the rounds: open every round -> ask every node to
contribute (all nodes at once; the task fails, naming them, when some node cannot be reached,
and its retry asks again, which the nodes that did contribute answer as already done) ->
wait for each round's quorum (a sensor that reschedules itself, run whatever the
contributions' outcome) -> compute (the hub runs the MPC, one round at a time; a round the
hub refuses, e.g. for a spent privacy budget, is skipped, not retried) -> publish.
Every task is idempotent and keyed by the data interval, so retries and backfills never
count or release twice. Service URLs and the operator's key come from the
``samenbeeld_hub`` Connection and the ``samenbeeld_nodes`` Variable, read when a task runs.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import (
    CronDataIntervalTimetable,
    Param,
    PokeReturnValue,
    TriggerRule,
    dag,
    task,
)
from airflow.sdk.exceptions import AirflowSkipException

SCHEDULES = {"week": "0 3 * * 1", "month": "0 3 1 * *"}
"""Data intervals from Monday 03:00 to Monday 03:00 (the run starts when the week has
ended), and from the 1st to the 1st of the next month."""
ROUND_KINDS = ["sums", "distribution", "spikes"]
DEFAULT_ARGS = {
    "owner": "samenbeeld",
    "retries": 3,
    "retry_delay": dt.timedelta(seconds=10),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=10),
}


def period_start(params: dict | None, data_interval_start: dt.datetime | None) -> dt.date:
    """The run's ``period_start`` param when given (manual runs), else its data interval."""
    if params and params.get("period_start"):
        return dt.date.fromisoformat(params["period_start"])
    assert data_interval_start is not None
    return data_interval_start.date()


def round_tasks(period: str) -> None:
    """The period's rounds, each task mapped over them."""

    @task(retries=0)
    def kinds(params: dict | None = None) -> list[str]:
        from samenbeeld.api.ops import orchestration

        return orchestration.round_kinds(period, (params or {}).get("rounds"))

    @task
    def open_round(
        kind: str, params: dict | None = None, data_interval_start: dt.datetime | None = None
    ) -> str:
        from samenbeeld.api.ops import airflow_adapter, orchestration

        start = period_start(params, data_interval_start)
        chosen = orchestration.round_sets(period)[kind]
        return orchestration.open_round(airflow_adapter.federation(), chosen, start)

    @task(retries=2)
    def contribute(
        kind: str, params: dict | None = None, data_interval_start: dt.datetime | None = None
    ) -> dict[str, str]:
        from samenbeeld.api.ops import airflow_adapter, orchestration

        start = period_start(params, data_interval_start)
        chosen = orchestration.round_sets(period)[kind]
        return orchestration.contribute(airflow_adapter.federation(), chosen, start)

    @task.sensor(
        poke_interval=5, timeout=3600, mode="reschedule", trigger_rule=TriggerRule.ALL_DONE
    )
    def quorum(round_id: str) -> PokeReturnValue:
        from samenbeeld.api.ops import airflow_adapter, orchestration

        size, needed = orchestration.cohort(airflow_adapter.federation(), round_id)
        return PokeReturnValue(is_done=size >= needed, xcom_value=size)

    @task(max_active_tis_per_dagrun=1)
    def compute(round_id: str) -> str:
        from samenbeeld.api.ops import airflow_adapter, orchestration
        from samenbeeld.api.ops.client import RoundRefusedError

        federation = airflow_adapter.federation()
        try:
            return orchestration.compute(federation, round_id)
        except RoundRefusedError as refusal:  # a rule, not a fault: no retry, no publish
            raise AirflowSkipException(str(refusal)) from None

    @task
    def publish(round_id: str) -> dict[str, int]:
        from samenbeeld.api.ops import airflow_adapter, orchestration

        return orchestration.publish(airflow_adapter.federation(), round_id)

    chosen = kinds()
    opened = open_round.expand(kind=chosen)
    contributed = contribute.expand(kind=chosen)
    opened >> contributed
    ready = quorum.expand(round_id=opened)
    contributed >> ready
    computed = compute.expand(round_id=opened)
    ready >> computed
    computed >> publish.expand(round_id=opened)


def build(period: str) -> None:
    """One DAG for a schedule group."""

    @dag(
        dag_id=f"samenbeeld_{period}ly_rounds",
        schedule=CronDataIntervalTimetable(SCHEDULES[period], timezone="UTC"),
        params={
            "period_start": Param(None, type=["null", "string"], format="date"),
            "rounds": Param(
                ROUND_KINDS, type="array", items={"type": "string", "enum": ROUND_KINDS}
            ),
        },
        start_date=dt.datetime(2025, 1, 6, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["samenbeeld", "mpc", period],
        doc_md=__doc__,
    )
    def rounds() -> None:
        round_tasks(period)

    rounds()


for _period in SCHEDULES:
    build(_period)
