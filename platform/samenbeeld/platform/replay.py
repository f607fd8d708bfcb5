"""Replay stores: remember every accepted token id (jti) until its token expires."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

from sqlalchemy import Insert, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from samenbeeld.platform.errors import ConfigurationError, InvalidInputError
from samenbeeld.platform.models.mixins import SeenTokenMixin


class ReplayStore(Protocol):
    """Where a verifier records the token ids it has accepted."""

    def remember(
        self, jti: str, expires_at: dt.datetime, *, now: dt.datetime | None = None
    ) -> bool:
        """Record jti until expires_at; False when it is already recorded.

        Entries that expired by now are forgotten first.
        """
        ...


def _utc(moment: dt.datetime | None) -> dt.datetime:
    """moment (or the current time) in UTC; naive datetimes are refused."""
    if moment is None:
        return dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise InvalidInputError("naive datetime; pass an aware one")
    return moment.astimezone(dt.UTC)


class MemoryReplayStore:
    """A replay store in this process's memory, for tests and single-process services."""

    def __init__(self) -> None:
        self._seen: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def remember(
        self, jti: str, expires_at: dt.datetime, *, now: dt.datetime | None = None
    ) -> bool:
        """Record jti until expires_at; False when it is already recorded."""
        moment = _utc(now)
        with self._lock:
            self._seen = {seen: until for seen, until in self._seen.items() if until > moment}
            if jti in self._seen:
                return False
            self._seen[jti] = _utc(expires_at)
            return True

    def __len__(self) -> int:
        return len(self._seen)


class SqlReplayStore:
    """A replay store in a role's ``<role>_seen_token`` table, inside the caller's Session.

    The row is inserted with ``INSERT ... ON CONFLICT DO NOTHING``, so two requests that
    carry the same token cannot both pass, even in concurrent transactions. The caller
    owns the transaction, and rolling it back forgets the token id again: a verifier at
    the HTTP edge uses :class:`CommittingReplayStore`, not a request's Session.
    """

    def __init__(self, session: Session, model: type[SeenTokenMixin]) -> None:
        self._session = session
        self._model = model
        self._dialect = session.get_bind().dialect.name
        if self._dialect not in ("postgresql", "sqlite"):
            raise ConfigurationError(f"no replay store for the {self._dialect} dialect")

    def remember(
        self, jti: str, expires_at: dt.datetime, *, now: dt.datetime | None = None
    ) -> bool:
        """Record jti until expires_at; False when it is already recorded."""
        model = self._model
        self._session.execute(delete(model).where(model.expires_at <= _utc(now)))
        statement = self._insert_if_new().values(jti=jti, expires_at=_utc(expires_at))
        return self._session.execute(statement.returning(model.jti)).first() is not None

    def _insert_if_new(self) -> Insert:
        """INSERT ... ON CONFLICT (jti) DO NOTHING in this session's dialect."""
        if self._dialect == "postgresql":
            return postgresql.insert(self._model).on_conflict_do_nothing(index_elements=["jti"])
        return sqlite.insert(self._model).on_conflict_do_nothing(index_elements=["jti"])


class CommittingReplayStore:
    """An SQL replay store that commits each id at once, in a transaction of its own.

    A request's transaction may still roll back after its token was accepted (a 409, a
    failed commit); a token id recorded there would be forgotten and the token accepted
    once more. Here ``remember`` opens a short session from ``sessions``, records the id
    with :class:`SqlReplayStore` and commits before it returns.
    """

    def __init__(self, sessions: sessionmaker[Session], model: type[SeenTokenMixin]) -> None:
        self._sessions = sessions
        self._model = model

    def remember(
        self, jti: str, expires_at: dt.datetime, *, now: dt.datetime | None = None
    ) -> bool:
        """Record jti until expires_at and commit; False when it is already recorded."""
        with self._sessions.begin() as session:
            return SqlReplayStore(session, self._model).remember(jti, expires_at, now=now)
