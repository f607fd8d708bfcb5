"""Engines: a savepoint nests inside the caller's transaction on every backend."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from samenbeeld.platform import migrate
from samenbeeld.platform.db import make_engine
from samenbeeld.platform.models.node import SeenToken

LATER = dt.datetime(2026, 11, 23, 12, 5, tzinfo=dt.UTC)


def test_a_savepoint_before_any_write_is_undone_by_the_rollback(databases):
    url = databases.create()
    migrate.upgrade("node", url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            session.scalar(select(func.count()).select_from(SeenToken))  # a read, no write yet
            with session.begin_nested():
                session.add(SeenToken(jti="j", expires_at=LATER))
            session.rollback()
        with Session(engine) as check:
            assert check.scalar(select(func.count()).select_from(SeenToken)) == 0
    finally:
        engine.dispose()
