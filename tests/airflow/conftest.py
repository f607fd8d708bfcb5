"""The real Airflow 3 stack for tests: ``start_stack(dags_folder, extra_env)``.

A test module that needs Airflow starts one stack for the whole module:

    @pytest.fixture(scope="module")
    def stack(start_stack):
        with start_stack(DAGS_FOLDER, {"AIRFLOW_VAR_HUB_URL": hub_url}) as stack:
            yield stack

``start_stack`` migrates a fresh, uniquely named PostgreSQL metadata database
(``samenbeeld_airflow_test_<hex>`` on SAMENBEELD_TEST_POSTGRES_URL's server), starts
api-server, scheduler, dag-processor and triggerer (LocalExecutor), waits until all are
healthy, and on exit stops every process and drops the database. When no PostgreSQL
answers it uses SQLite under the stack's home, unless SAMENBEELD_REQUIRE_POSTGRES=1, which
fails instead. Component logs: ``<home>/logs/<component>.log`` (home under pytest's tmp).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from samenbeeld.api.ops.airflow_stack import (
    POSTGRES_ADMIN,
    AirflowStack,
    drop_database,
    postgres_metadata_url,
)

ADMIN_URL = os.environ.get("SAMENBEELD_TEST_POSTGRES_URL", POSTGRES_ADMIN)
StartStack = Callable[..., AbstractContextManager[AirflowStack]]


def _metadata_database(home: Path) -> tuple[str, str | None]:
    """A fresh PostgreSQL metadata database (URL, name), else SQLite (URL, None)."""
    name = f"samenbeeld_airflow_test_{uuid.uuid4().hex[:12]}"
    try:
        return postgres_metadata_url(name, ADMIN_URL), name
    except OperationalError as exc:
        if os.environ.get("SAMENBEELD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but does not answer: {exc.orig}")
        return f"sqlite:///{home / 'airflow.db'}", None


@contextmanager
def start_stack(
    tmp_path_factory: pytest.TempPathFactory,
    dags_folder: Path,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[AirflowStack]:
    """A migrated, healthy stack on a fresh metadata database; stopped and dropped after."""
    home = tmp_path_factory.mktemp("airflow")
    url, name = _metadata_database(home)
    stack = AirflowStack(home, dags_folder, metadata_url=url, extra_env=extra_env)
    try:
        with stack:
            yield stack
    finally:
        if name is not None:
            drop_database(name, ADMIN_URL)


@pytest.fixture(scope="session", name="start_stack")
def start_stack_fixture(tmp_path_factory: pytest.TempPathFactory) -> StartStack:
    """``start_stack(dags_folder, extra_env=None)``: a context manager around a real stack."""
    return partial(start_stack, tmp_path_factory)
