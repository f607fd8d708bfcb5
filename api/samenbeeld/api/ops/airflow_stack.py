"""The real Airflow 3 stack on this machine, for local use and tests, without importing Airflow.

``AirflowStack`` runs the ``airflow`` executable next to ``sys.executable``: ``db migrate``,
then api-server, scheduler, dag-processor and triggerer as four processes, each in its own
session and process group, logs under ``<home>/logs/<component>.log``. Metadata lives in its
own PostgreSQL database (``samenbeeld_airflow``, created when missing; never one of the
application's databases), or in ``<home>/airflow.db`` when no PostgreSQL answers.
Configuration is environment only (``environment()``); connections and variables for our
services reach the DAGs as ``AIRFLOW_CONN_*`` / ``AIRFLOW_VAR_*`` in ``extra_env``.

The REST calls (:mod:`samenbeeld.api.ops.airflow_api`) come with the stack. Everything raises
``AirflowStackError``, which names the component and its log file where one is to blame.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from samenbeeld.api.ops.airflow_api import POLL_SECONDS, AirflowApi, AirflowStackError
from samenbeeld.federation.mpc.supervisor import find_free_port

HOST = "127.0.0.1"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_DATABASE = "samenbeeld_airflow"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
HEALTH_KEYS = {"metadatabase": None, "scheduler": "scheduler"}
HEALTH_KEYS |= {"dag_processor": "dag-processor", "triggerer": "triggerer"}
STOP_SECONDS = 15.0
_NAME = re.compile(r"^[a-z0-9_]*airflow[a-z0-9_]*$")


def _admin_execute(admin_url: str, statement: str) -> None:
    """One statement on the server's maintenance database, in AUTOCOMMIT, no pool."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _checked(name: str) -> str:
    """The database name, refused unless it is plainly an Airflow metadata database."""
    if not _NAME.match(name):
        raise AirflowStackError(f"{name!r} is not an Airflow metadata database name")
    return name


def postgres_metadata_url(name: str = DEFAULT_DATABASE, admin_url: str = POSTGRES_ADMIN) -> str:
    """The URL of PostgreSQL database ``name`` (must contain ``airflow``), created if missing."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            query = text("SELECT 1 FROM pg_database WHERE datname = :name")
            if connection.execute(query, {"name": _checked(name)}).first() is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str, admin_url: str = POSTGRES_ADMIN) -> None:
    """Drop Airflow metadata database ``name`` (closing its connections) if it exists."""
    _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')


def default_metadata_url(home: Path) -> str:
    """``samenbeeld_airflow`` on the local PostgreSQL, else SQLite ``<home>/airflow.db``."""
    try:
        return postgres_metadata_url(DEFAULT_DATABASE)
    except OperationalError:
        return f"sqlite:///{Path(home).resolve() / 'airflow.db'}"


def _secret(home: Path) -> str:
    """The stack's API/JWT secret: generated once, kept in ``<home>/secret_key`` (0600)."""
    path = home / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


def session_members(sid: int) -> list[int]:
    """Live (not zombie) processes in session ``sid``: a component and all it started."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


class AirflowStack(AirflowApi):
    """api-server, scheduler, dag-processor and triggerer under ``home``, on ``port``."""

    def __init__(
        self,
        home: Path,
        dags_folder: Path,
        *,
        port: int | None = None,
        metadata_url: str | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.home = Path(home).resolve()
        self.home.mkdir(parents=True, exist_ok=True)
        self.dags_folder = Path(dags_folder).resolve()
        self.port = port or find_free_port()
        self.metadata_url = metadata_url or default_metadata_url(self.home)
        self.extra_env = dict(extra_env or {})
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._client: httpx.Client | None = None

    @property
    def url(self) -> str:
        """The api-server's base URL (the UI lives here too)."""
        return f"http://{HOST}:{self.port}"

    @property
    def executable(self) -> str:
        """The ``airflow`` script of this interpreter's environment."""
        return str(Path(sys.executable).parent / "airflow")

    def environment(self) -> dict[str, str]:
        """The inherited environment plus the stack's configuration, then ``extra_env``."""
        secret = _secret(self.home)
        env = dict(os.environ)
        env.update(
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags_folder),
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__PARALLELISM="8",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.url}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=self.metadata_url,
            AIRFLOW__API__BASE_URL=self.url,
            AIRFLOW__API__HOST=HOST,
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__API__SECRET_KEY=secret,
            AIRFLOW__API_AUTH__JWT_SECRET=secret,
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="10",
        )
        if self.metadata_url.startswith("postgresql+psycopg:"):
            # Airflow would derive ``postgresql+asyncpg``; psycopg 3 is async by itself.
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = self.metadata_url
        env.update(self.extra_env)
        return env

    def migrate(self) -> None:
        """``airflow db migrate`` on the metadata database (output in logs/migrate.log)."""
        log = self._log_path("migrate")
        with open(log, "ab") as handle:
            done = subprocess.run(
                [self.executable, "db", "migrate"],
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.environment(),
                check=False,
            )
        if done.returncode != 0:
            raise AirflowStackError(f"airflow db migrate failed ({done.returncode}); see {log}")

    def start(self) -> None:
        """Start the four components, each in its own session and process group."""
        env = self.environment()
        try:
            for component in COMPONENTS:
                command = [self.executable, component]
                if component == "api-server":
                    command += ["--host", HOST, "--port", str(self.port)]
                if component in ("scheduler", "triggerer"):
                    # The api-server reads task logs from <home>/logs itself; a log server
                    # would listen on a fixed port (8793/8794) on every interface.
                    command.append("--skip-serve-logs")
                with open(self._log_path(component), "ab") as log:
                    self.processes[component] = subprocess.Popen(
                        command,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        env=env,
                        start_new_session=True,
                    )
        except BaseException:
            self.stop()
            raise

    def _log_path(self, component: str) -> Path:
        """``<home>/logs/<component>.log`` (the folder created when missing)."""
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        return logs / f"{component}.log"

    def pids(self) -> dict[str, int]:
        """The process id (= process group and session id) of every started component."""
        return {name: process.pid for name, process in self.processes.items()}

    def check_running(self) -> None:
        """Raise, naming the component and its log, when a started component has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AirflowStackError(
                    f"airflow {name} exited with code {process.returncode}; "
                    f"see {self._log_path(name)}"
                )

    def health(self) -> dict[str, Any]:
        """``GET /api/v2/monitor/health`` (no token needed)."""
        with httpx.Client(timeout=5.0) as client:
            response = client.get(f"{self.url}/api/v2/monitor/health")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def wait_healthy(self, timeout: float = 90.0) -> None:
        """Until every component reports healthy; on failure stop everything and raise."""
        deadline = time.monotonic() + timeout
        unhealthy = list(HEALTH_KEYS)
        try:
            while time.monotonic() < deadline:
                self.check_running()
                with suppress(httpx.HTTPError, ValueError):
                    report = self.health()
                    unhealthy = [
                        key
                        for key in HEALTH_KEYS
                        if (report.get(key) or {}).get("status") != "healthy"
                    ]
                    if not unhealthy:
                        return
                time.sleep(POLL_SECONDS)
            blamed = [HEALTH_KEYS[key] or "api-server" for key in unhealthy]
            logs = ", ".join(str(self._log_path(name)) for name in blamed)
            raise AirflowStackError(
                f"{', '.join(unhealthy)} not healthy after {timeout:g} s; see {logs}"
            )
        except BaseException:
            self.stop()
            raise

    def watch(self) -> None:
        """Block while every component runs; raise naming the first one that exits."""
        while True:
            self.check_running()
            time.sleep(1.0)

    def stop(self) -> None:
        """Stop scheduler, dag-processor and triggerer, then the api-server; reap all.

        The api-server goes last so that running tasks can still report to its execution
        API. Each group gets SIGTERM, then after 15 s SIGKILL for everything left in its
        session (task processes run in process groups of their own).
        """
        if self._client is not None:
            self._client.close()
            self._client = None
        api = [p for name, p in self.processes.items() if name == "api-server"]
        _terminate([p for p in self.processes.values() if p not in api])
        _terminate(api)
        self.processes.clear()

    def __enter__(self) -> AirflowStack:
        self.migrate()
        self.start()
        self.wait_healthy()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _terminate(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group; after STOP_SECONDS SIGKILL what is left of each session."""
    for process in processes:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        for pid in session_members(process.pid):
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        process.wait()
