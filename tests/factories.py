"""Test data made in one place: weeks, and a node's own weekly counts in its real tables.

Importable from every test module (pytest puts ``tests/`` on the path through its root
``conftest.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete

from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.node import District, WeeklyCount

DISTRICT = "WK075801"
"""A real wijk of Breda (GM0758)."""


def week(start: dt.date, n: int) -> dt.date:
    """The Monday ``n`` weeks after ``start``."""
    return start + dt.timedelta(weeks=n)


@dataclass(frozen=True)
class Series:
    """A node's weekly police counts of one category, online-driven or not."""

    category: str
    counts: Mapping[dt.date, int]
    online_driven: bool = False


def put_node_data(url: str, *series: Series, population: int = 100_000) -> None:
    """Replace a node's data with one district (DISTRICT) and the weekly counts of series."""
    with session_scope(url) as session:
        session.execute(delete(WeeklyCount))
        session.execute(delete(District))
        session.add(District(code=DISTRICT, population=population))
        session.flush()
        for one in series:
            for week_start, count in one.counts.items():
                session.add(
                    WeeklyCount(
                        week_start=week_start,
                        district_code=DISTRICT,
                        category=one.category,
                        online_driven=one.online_driven,
                        source_type="police",
                        count=count,
                    )
                )
