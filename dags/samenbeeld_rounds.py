"""Samenbeeld's rounds, one DAG per schedule group (weekly, monthly) from the catalog.

A run is one round over the group's indicators (``samenbeeld.api.orchestration``): open
the round -> ask every node to contribute (dynamic task mapping over the nodes; a node that
cannot be reached fails only its own mapped task) -> wait for the quorum (a sensor that
reschedules itself) -> compute (the hub runs the MPC) -> publish. Every task is
idempotent and keyed by the data interval, so retries and backfills never count or release
twice. Service URLs and the operator's key come from the ``samenbeeld_hub`` Connection and
the ``samenbeeld_nodes`` Variable, read when a task runs.
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

from samenbeeld.api.orchestration import IndicatorSet, indicator_set

SCHEDULES = {"week": "0 3 * * 1", "month": "0 3 1 * *"}
"""Data intervals from Monday 03:00 to Monday 03:00 (the run starts when the week has
ended), and from the 1st to the 1st of the next month."""
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


def round_tasks(indicator_set: IndicatorSet) -> None:
    """The chain of one indicator set's round."""

    @task
    def open_round(
        params: dict | None = None, data_interval_start: dt.datetime | None = None
    ) -> str:
        from samenbeeld.api import airflow_adapter, orchestration

        start = period_start(params, data_interval_start)
        return orchestration.open_round(airflow_adapter.federation(), indicator_set, start)

    @task(retries=1)
    def nodes(round_id: str) -> list[str]:
        from samenbeeld.api import airflow_adapter

        return sorted(airflow_adapter.federation().nodes)

    @task(retries=2)
    def contribute(
        code: str, params: dict | None = None, data_interval_start: dt.datetime | None = None
    ) -> str:
        from samenbeeld.api import airflow_adapter, orchestration

        start = period_start(params, data_interval_start)
        return orchestration.contribute(airflow_adapter.federation(), indicator_set, start, code)

    @task.sensor(
        poke_interval=5, timeout=3600, mode="reschedule", trigger_rule=TriggerRule.ALL_DONE
    )
    def quorum(round_id: str) -> PokeReturnValue:
        from samenbeeld.api import airflow_adapter, orchestration

        size, needed = orchestration.cohort(airflow_adapter.federation(), round_id)
        return PokeReturnValue(is_done=size >= needed, xcom_value=size)

    @task
    def compute(round_id: str) -> str:
        from samenbeeld.api import airflow_adapter, orchestration

        federation = airflow_adapter.federation()
        return orchestration.compute(federation, round_id)

    @task
    def publish(round_id: str) -> dict[str, int]:
        from samenbeeld.api import airflow_adapter, orchestration

        return orchestration.publish(airflow_adapter.federation(), round_id)

    opened = open_round()
    contributed = contribute.expand(code=nodes(opened))
    ready = quorum(opened)
    contributed >> ready
    computed = compute(opened)
    ready >> computed
    computed >> publish(opened)


def build(period: str) -> None:
    """One DAG for a schedule group."""

    @dag(
        dag_id=f"samenbeeld_{period}ly_rounds",
        schedule=CronDataIntervalTimetable(SCHEDULES[period], timezone="UTC"),
        params={"period_start": Param(None, type=["null", "string"], format="date")},
        start_date=dt.datetime(2025, 1, 6, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["samenbeeld", "mpc", period],
        doc_md=__doc__,
    )
    def rounds() -> None:
        round_tasks(indicator_set(period))

    rounds()


for _period in SCHEDULES:
    build(_period)
