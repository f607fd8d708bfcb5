"""Replay stores: in memory, and in each role's database on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from samenbeeld.platform import migrate
from samenbeeld.platform.db import make_engine, make_sessionmaker
from samenbeeld.platform.errors import AuthenticationError, InvalidInputError
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey, generate_private_key
from samenbeeld.platform.models import hub, node, party
from samenbeeld.platform.replay import CommittingReplayStore, MemoryReplayStore, SqlReplayStore
from samenbeeld.platform.tokens import TokenVerifier, issue_token

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
MODELS = {"node": node.SeenToken, "party": party.SeenToken, "hub": hub.SeenToken}


@pytest.fixture(scope="session")
def party_url(databases) -> str:
    """A party database at head of this module's own, so its seen-token table holds only
    this module's ids; the conftest's party_session opens on it."""
    url = databases.create()
    migrate.upgrade("party", url)
    return url


class ReplayStoreContract:
    """What every replay store does; subclasses provide the store fixture."""

    def test_an_id_is_accepted_once(self, store):
        assert store.remember("jti-1", NOW + 300 * SECOND, now=NOW) is True
        assert store.remember("jti-1", NOW + 300 * SECOND, now=NOW + SECOND) is False
        assert store.remember("jti-2", NOW + 300 * SECOND, now=NOW + SECOND) is True

    def test_an_id_is_forgotten_when_it_expires(self, store):
        store.remember("jti-1", NOW + 10 * SECOND, now=NOW)
        assert store.remember("jti-1", NOW + 300 * SECOND, now=NOW + 9 * SECOND) is False
        assert store.remember("jti-1", NOW + 300 * SECOND, now=NOW + 10 * SECOND) is True

    def test_time_zones_are_compared_as_instants(self, store):
        amsterdam = dt.timezone(dt.timedelta(hours=1))
        store.remember("jti-1", (NOW + 10 * SECOND).astimezone(amsterdam), now=NOW)
        later = (NOW + 9 * SECOND).astimezone(amsterdam)
        assert store.remember("jti-1", NOW + 300 * SECOND, now=later) is False
        assert store.remember("jti-1", NOW + 300 * SECOND, now=NOW + 10 * SECOND) is True

    def test_naive_datetimes_are_refused(self, store):
        with pytest.raises(InvalidInputError, match="naive"):
            store.remember("jti-1", dt.datetime(2026, 11, 23, 12, 5), now=NOW)


class TestMemoryReplayStore(ReplayStoreContract):
    """The in-memory store."""

    @pytest.fixture
    def store(self) -> MemoryReplayStore:
        """An empty in-memory store."""
        return MemoryReplayStore()


class TestSqlReplayStore(ReplayStoreContract):
    """The SQL store, in each role's database, on each backend."""

    @pytest.fixture(params=sorted(MODELS))
    def role(self, request) -> str:
        """node, party or hub."""
        return str(request.param)

    @pytest.fixture
    def session(self, request, databases, role) -> Session:
        """A rolled-back session on the role's database."""
        return request.getfixturevalue(f"{role}_session")

    @pytest.fixture
    def store(self, session, role) -> SqlReplayStore:
        """A store on the role's seen-token table."""
        return SqlReplayStore(session, MODELS[role])

    def test_ids_are_rows_of_the_roles_table(self, store, session, role):
        store.remember("jti-1", NOW + 10 * SECOND, now=NOW)
        store.remember("jti-2", NOW + 20 * SECOND, now=NOW)
        store.remember("jti-3", NOW + 30 * SECOND, now=NOW + 15 * SECOND)
        model = MODELS[role]
        assert session.scalars(select(model.jti).order_by(model.jti)).all() == ["jti-2", "jti-3"]

    def test_a_verifier_with_the_sql_store_refuses_a_replay(self, store):
        private = generate_private_key()
        entry = RegisteredKey("k1", private.public_key(), KeyOwner("node", "GM0758"))
        verifier = TokenVerifier(KeySet([entry]), "hub", store)
        token = issue_token(private, "k1", role="node", member="GM0758", audience="hub", now=NOW)
        assert verifier.verify(token, now=NOW).member == "GM0758"
        with pytest.raises(AuthenticationError, match="already been used"):
            verifier.verify(token, now=NOW + SECOND)


class TestCommittingReplayStore(ReplayStoreContract):
    """The SQL store that commits each id in a transaction of its own, on each backend."""

    @pytest.fixture
    def sessions(self, fresh_node) -> sessionmaker[Session]:
        """Sessions on a node database of this test's own (the store commits)."""
        return make_sessionmaker(fresh_node)

    @pytest.fixture
    def store(self, sessions) -> CommittingReplayStore:
        """A committing store on the node's seen-token table."""
        return CommittingReplayStore(sessions, node.SeenToken)

    def test_an_id_outlives_a_rolled_back_transaction_around_it(self, store, sessions):
        with sessions() as request:
            request.execute(select(func.count()).select_from(node.SeenToken))
            assert store.remember("jti-1", NOW + 300 * SECOND, now=NOW) is True
            request.rollback()
        assert store.remember("jti-1", NOW + 300 * SECOND, now=NOW + SECOND) is False
        with sessions() as check:
            assert check.scalars(select(node.SeenToken.jti)).all() == ["jti-1"]


@pytest.fixture
def fresh_node(databases) -> Iterator[Engine]:
    """An engine on a node database of its own, for a test that must commit."""
    url = databases.create()
    migrate.upgrade("node", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_concurrent_transactions_cannot_both_accept_an_id(fresh_node):
    outcome: list[bool] = []

    def second() -> None:
        with Session(fresh_node) as session, session.begin():
            outcome.append(SqlReplayStore(session, node.SeenToken).remember("j", NOW, now=NOW))

    with Session(fresh_node) as first, first.begin():
        assert SqlReplayStore(first, node.SeenToken).remember("j", NOW + SECOND, now=NOW)
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive(), "the second transaction must wait for the first"
    thread.join(timeout=10.0)
    assert outcome == [False]
    with Session(fresh_node) as check:
        assert check.scalar(select(func.count()).select_from(node.SeenToken)) == 1
