"""Airflow 3's v2 REST API, as the stack's operator and its tests use it.

A bearer token comes from the simple auth manager in all-admins mode (``GET /auth/token``,
no credentials). :class:`AirflowApi` is the REST half of
:class:`samenbeeld.api.ops.airflow_stack.AirflowStack`: it needs the stack's ``url`` and its
``check_running()``, which names the component that died while a wait was polling.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from samenbeeld.platform.errors import SamenbeeldError

POLL_SECONDS = 0.5
T = TypeVar("T")


class AirflowStackError(SamenbeeldError):
    """The Airflow stack did not start, stopped, or did not do what was asked in time."""


class AirflowApi:
    """The REST calls; the stack sets ``url`` and ``check_running``."""

    _client: httpx.Client | None = None

    @property
    def url(self) -> str:
        raise NotImplementedError

    def check_running(self) -> None:
        raise NotImplementedError

    @property
    def client(self) -> httpx.Client:
        """An httpx client on ``/api/v2`` with a bearer token (all-admins simple auth)."""
        if self._client is None:
            response = httpx.get(f"{self.url}/auth/token", timeout=10.0)
            response.raise_for_status()
            token = response.json()["access_token"]
            self._client = httpx.Client(
                base_url=f"{self.url}/api/v2",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30.0,
            )
        return self._client

    def _poll(self, what: str, timeout: float, probe: Callable[[], T | None]) -> T:
        """Call ``probe()`` until it returns something not None; raise after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_running()
            result = probe()
            if result is not None:
                return result
            time.sleep(POLL_SECONDS)
        raise AirflowStackError(f"{what} not done after {timeout:g} s")

    def wait_for_dag(self, dag_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """The DAG once the dag-processor has parsed it and the API lists it."""

        def probe() -> dict[str, Any] | None:
            response = self.client.get(f"/dags/{dag_id}")
            return response.json() if response.status_code == 200 else None

        try:
            return self._poll(f"DAG {dag_id} parsing", timeout, probe)
        except AirflowStackError as exc:
            errors = self.client.get("/importErrors").json().get("import_errors", [])
            details = "; ".join(f"{e['filename']}: {e['stack_trace'][-300:]}" for e in errors)
            raise AirflowStackError(f"{exc}; import errors: {details or 'none'}") from None

    def trigger(
        self,
        dag_id: str,
        logical_date: dt.datetime | None = None,
        conf: Mapping[str, Any] | None = None,
    ) -> str:
        """Create a manual run (``logical_date`` must be timezone-aware); its run id."""
        body = {
            "logical_date": logical_date.isoformat() if logical_date else None,
            "conf": dict(conf or {}),
        }
        response = self.client.post(f"/dags/{dag_id}/dagRuns", json=body)
        _raise_for(response, f"trigger {dag_id}")
        return str(response.json()["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """The run as the API shows it (``state``, ``logical_date``, ``conf`` ...)."""
        response = self.client.get(f"/dags/{dag_id}/dagRuns/{run_id}")
        _raise_for(response, f"run {dag_id}/{run_id}")
        return dict(response.json())

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 120.0) -> str:
        """The run's final state, ``success`` or ``failed``."""

        def probe() -> str | None:
            state = self.dag_run(dag_id, run_id)["state"]
            return str(state) if state in ("success", "failed") else None

        return self._poll(f"run {dag_id}/{run_id}", timeout, probe)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """The run's task instances (``task_id``, ``state``, ``try_number`` ...)."""
        response = self.client.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        _raise_for(response, f"task instances of {dag_id}/{run_id}")
        return list(response.json()["task_instances"])

    def backfill(
        self,
        dag_id: str,
        start: dt.datetime,
        end: dt.datetime,
        *,
        reprocess_behavior: str = "none",
        max_active_runs: int = 10,
        conf: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """A backfill over [start, end] (``POST /backfills``); the backfill runs in that range.

        Airflow creates the runs at once (queued; the scheduler runs them). The API does not
        link runs to a backfill, so this answers the ``backfill`` runs with logical dates in
        the range, oldest first. ``reprocess_behavior``: ``none``, ``failed``, ``completed``.
        """
        body = {
            "dag_id": dag_id,
            "from_date": start.isoformat(),
            "to_date": end.isoformat(),
            "reprocess_behavior": reprocess_behavior,
            "max_active_runs": max_active_runs,
            "dag_run_conf": dict(conf or {}),
        }
        _raise_for(self.client.post("/backfills", json=body), f"backfill {dag_id}")
        params: dict[str, str | int] = {
            "run_type": "backfill",
            "logical_date_gte": start.isoformat(),
            "logical_date_lte": end.isoformat(),
            "order_by": "logical_date",
            "limit": 100,
        }
        response = self.client.get(f"/dags/{dag_id}/dagRuns", params=params)
        _raise_for(response, f"backfill runs of {dag_id}")
        return list(response.json()["dag_runs"])


def _raise_for(response: httpx.Response, what: str) -> None:
    """AirflowStackError with the API's detail unless the response is a success."""
    if response.is_success:
        return
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    raise AirflowStackError(f"{what}: HTTP {response.status_code}: {detail}")
