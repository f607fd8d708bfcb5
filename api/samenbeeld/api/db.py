"""The role database inside a Flask app: a lazy engine and a request-scoped Session.

Nothing connects when the app is created: the engine is made on the first
``get_session()``. The request owns the transaction: the session is committed after a
response below 400 (before it is sent, so a failing commit becomes a 500) and closed,
which rolls back anything uncommitted, when the app context ends.
"""

from __future__ import annotations

import threading

from flask import Flask, Response, current_app, g
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from samenbeeld.platform.db import make_engine, make_sessionmaker

EXTENSION = "samenbeeld.db"
_SESSION = "samenbeeld_session"
CONNECT_TIMEOUT_S = 5


class Database:
    """One app's engine and session factory, created on first use by any thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None

    def sessionmaker(self) -> sessionmaker[Session]:
        """The session factory, creating the engine the first time."""
        with self._lock:
            if self._factory is None:
                self._engine = make_engine(self.url, **_connect_args(self.url))
                self._factory = make_sessionmaker(self._engine)
            return self._factory

    def dispose(self) -> None:
        """Close the pool's connections; the next use makes a new engine."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = self._factory = None


def _connect_args(url: str) -> dict[str, object]:
    """A server that does not answer fails fast instead of hanging a request."""
    if make_url(url).get_backend_name() == "postgresql":
        return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}
    return {}


def init_app(app: Flask, url: str) -> None:
    """Attach the role database to app and the request-scope hooks."""
    app.extensions[EXTENSION] = Database(url)
    app.after_request(_commit_on_success)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """This request's Session; the request commits it or rolls it back."""
    if _SESSION not in g:
        factory = current_app.extensions[EXTENSION].sessionmaker()
        setattr(g, _SESSION, factory())
    session: Session = getattr(g, _SESSION)
    return session


def get_sessionmaker() -> sessionmaker[Session]:
    """The app's session factory, for work that must commit apart from the request."""
    factory: sessionmaker[Session] = current_app.extensions[EXTENSION].sessionmaker()
    return factory


def dispose(app: Flask) -> None:
    """Release app's database connections (server shutdown, test teardown)."""
    app.extensions[EXTENSION].dispose()


def _commit_on_success(response: Response) -> Response:
    """Commit the request's session when the response is not an error."""
    session: Session | None = g.get(_SESSION)
    if session is not None and response.status_code < 400:
        session.commit()
    return response


def _close_session(_exc: BaseException | None) -> None:
    """Close the session; whatever was not committed is rolled back."""
    session: Session | None = g.pop(_SESSION, None)
    if session is not None:
        session.close()
