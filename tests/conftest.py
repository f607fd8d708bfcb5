"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is the server at SAMENBEELD_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Each test run creates its own
databases there and drops them at the end. When no server answers, the PostgreSQL
variants are skipped and the run ends with a loud warning; with
SAMENBEELD_REQUIRE_POSTGRES=1 (set by CI) they fail instead.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from samenbeeld.platform import migrate
from samenbeeld.platform.db import make_engine

ADMIN_URL = os.environ.get(
    "SAMENBEELD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")
_pg_unavailable: list[str] = []


class DatabaseFactory:
    """Creates empty databases on one backend and drops them all at the end."""

    def __init__(self, backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.backend = backend
        self._tmp = tmp_path_factory
        self._created: list[str] = []

    def create(self) -> str:
        """A URL of a new, empty database."""
        if self.backend == "sqlite":
            return f"sqlite:///{self._tmp.mktemp('db') / 'test.sqlite3'}"
        name = f"sb_test_{uuid.uuid4().hex[:12]}"
        _admin_execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every database this factory created."""
        if not self._created:
            return
        _admin_execute(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in self._created))


def _admin_engine() -> Engine:
    """An autocommit engine on the server's maintenance database, without a pool."""
    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _admin_execute(*statements: str) -> None:
    """Run statements on the maintenance database, closing everything afterwards."""
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _postgres_answers() -> str | None:
    """None when the PostgreSQL server answers, else the reason it does not."""
    try:
        _admin_execute("SELECT 1")
    except OperationalError as exc:
        return str(exc.orig).splitlines()[0]
    return None


def _require_postgres() -> None:
    """Skip (or, with SAMENBEELD_REQUIRE_POSTGRES=1 as in CI, fail) without PostgreSQL."""
    reason = _postgres_answers()
    if reason:
        if os.environ.get("SAMENBEELD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but does not answer: {reason}")
        _pg_unavailable.append(reason)
        pytest.skip(f"PostgreSQL does not answer at {ADMIN_URL}: {reason}")


@pytest.fixture(scope="session")
def postgres_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    """A factory of empty PostgreSQL databases, for tests that need PostgreSQL itself."""
    _require_postgres()
    factory = DatabaseFactory("postgresql", tmp_path_factory)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseFactory]:
    """A factory of empty databases on each backend."""
    if request.param == "postgresql":
        _require_postgres()
    factory = DatabaseFactory(request.param, tmp_path_factory)
    yield factory
    factory.drop_all()


def _migrated_url(databases: DatabaseFactory, role: str) -> str:
    """A new database of the role, migrated to head."""
    url = databases.create()
    migrate.upgrade(role, url)
    return url


@pytest.fixture(scope="session")
def node_url(databases: DatabaseFactory) -> str:
    """A node database at head, shared by the session (tests roll back)."""
    return _migrated_url(databases, "node")


@pytest.fixture(scope="session")
def hub_url(databases: DatabaseFactory) -> str:
    """A hub database at head, shared by the session (tests roll back)."""
    return _migrated_url(databases, "hub")


@pytest.fixture(scope="session")
def party_url(databases: DatabaseFactory) -> str:
    """A party database at head, shared by the session (tests roll back or use own rounds)."""
    return _migrated_url(databases, "party")


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    """An engine on url, disposed afterwards."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session whose commits land in a savepoint; everything is rolled back at the end."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def node_engine(node_url: str) -> Iterator[Engine]:
    """An engine on the shared node database."""
    with _engine(node_url) as engine:
        yield engine


@pytest.fixture
def node_session(node_engine: Engine) -> Iterator[Session]:
    """A node session rolled back after the test."""
    with _rolled_back_session(node_engine) as session:
        yield session


@pytest.fixture
def hub_engine(hub_url: str) -> Iterator[Engine]:
    """An engine on the shared hub database."""
    with _engine(hub_url) as engine:
        yield engine


@pytest.fixture
def hub_session(hub_engine: Engine) -> Iterator[Session]:
    """A hub session rolled back after the test."""
    with _rolled_back_session(hub_engine) as session:
        yield session


@pytest.fixture
def party_session(party_url: str) -> Iterator[Session]:
    """A session on the shared party database, rolled back after the test."""
    with _engine(party_url) as engine, _rolled_back_session(engine) as session:
        yield session


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when the PostgreSQL half of the suite did not run."""
    if _pg_unavailable:
        terminalreporter.section("POSTGRESQL TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            f"No PostgreSQL server answered ({_pg_unavailable[0]}); every database test "
            "ran on SQLite only. Start PostgreSQL or set SAMENBEELD_TEST_POSTGRES_URL.",
            red=True,
            bold=True,
        )


def mentions_number(text: str, number: str) -> bool:
    """Whether ``number`` stands in ``text`` as a number of its own.

    Not inside a longer number, an identifier or a hex digest (a SHA-256 often holds four
    digits in a row); ``7919`` also matches ``7919.0``.
    """
    pattern = rf"(?<![0-9A-Za-z_.]){re.escape(number)}(?:\.0+)?(?![0-9A-Za-z_])"
    return re.search(pattern, text) is not None


@pytest.fixture
def reveals() -> Callable[[str, Iterable[str]], bool]:
    """``reveals(text, numbers)``: whether any of the numbers stands in the text."""
    return lambda text, numbers: any(mentions_number(text, str(n)) for n in numbers)
