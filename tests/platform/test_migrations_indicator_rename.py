"""hub_0006 and node_0005 rename youth_nuisance_online_online_weekly in stored rows, both ways."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import MetaData, Table, select

from samenbeeld.federation.hub.rounds import _set_key
from samenbeeld.platform import migrate
from samenbeeld.platform.db import make_engine

OLD, NEW = "youth_nuisance_online_online_weekly", "youth_nuisance_online_weekly"
OTHER = "riot_online_weekly"
STAMP = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
WEEK = dt.date(2026, 11, 23)


def insert(url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Insert rows into the tables as the database has them now (reflected, not the models)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            metadata = MetaData()
            for name, values in rows.items():
                connection.execute(Table(name, metadata, autoload_with=connection).insert(), values)
    finally:
        engine.dispose()


def read(url: str, table: str, *columns: str) -> list[tuple[Any, ...]]:
    """The rows of table's columns, sorted."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            reflected = Table(table, MetaData(), autoload_with=connection)
            query = select(*(reflected.c[name] for name in columns))
            return sorted(tuple(row) for row in connection.execute(query))
    finally:
        engine.dispose()


def assert_renames_both_ways(
    url: str,
    role: str,
    before: str,
    rename: str,
    rows: dict[str, list[dict[str, Any]]],
    state: Callable[[str], dict[str, list[tuple[Any, ...]]]],
    expected: Callable[[str], dict[str, list[tuple[Any, ...]]]],
) -> None:
    """Rows stored at revision before hold OLD; upgrading to rename makes them hold NEW and
    downgrading to before OLD again (state reads them; expected(code) is what it should read)."""
    migrate.upgrade(role, url, before)
    insert(url, rows)
    assert state(url) == expected(OLD)
    migrate.upgrade(role, url, rename)
    assert state(url) == expected(NEW)
    migrate.downgrade(role, url, before)
    assert state(url) == expected(OLD)


def hub_rows() -> dict[str, list[dict[str, Any]]]:
    """A histogram round over OTHER and OLD, a sums round without OLD, and a template."""
    names = f"{OTHER},{OLD}"
    common = {"state": "released", "opened_at": STAMP, "updated_at": STAMP, "period_start": WEEK,
              "attempt": 1, "failure": None}  # fmt: skip
    document = json.dumps({"indicators": [{"code": code} for code in names.split(",")]})
    return {
        "round": [
            {**common, "id": "r-hist", "indicators": names, "program": "histogram",
             "indicator_set": _set_key(names, "histogram"), "cells_per_indicator": 5},
            {**common, "id": "r-sums", "indicators": OTHER, "program": "checked_sum",
             "indicator_set": _set_key(OTHER), "cells_per_indicator": 1},
        ],  # fmt: skip
        "release": [
            {"round_id": "r-hist", "indicator": code, "period_start": WEEK, "cell": "bucket:0",
             "value": 2.0, "suppressed_reason": None, "version": 1, "cohort_size": 5,
             "released_at": STAMP}
            for code in names.split(",")
        ],  # fmt: skip
        "budget_spend": [{"indicator": OLD, "year": 2026, "round_id": "r-hist", "epsilon": 0.5}],
        "template": [{"slug": "digikamer", "owner_municipality": None, "forked_from_slug": None,
                      "forked_from_version": None, "created_at": STAMP, "updated_at": STAMP}],
        "template_version": [
            {"template_slug": "digikamer", "version": "1.0.0", "state": "published",
             "document": document, "indicators": names, "author_role": "vng",
             "author_municipality": None, "created_at": STAMP, "updated_at": STAMP,
             "published_at": STAMP, "deprecated_at": None},
        ],
    }  # fmt: skip


def hub_state(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The hub's stored indicator codes, table by table."""
    return {
        "round": read(url, "round", "id", "indicators", "indicator_set"),
        "release": read(url, "release", "indicator"),
        "budget_spend": read(url, "budget_spend", "indicator"),
        "template_version": [
            (indicators, [entry["code"] for entry in json.loads(document)["indicators"]])
            for indicators, document in read(url, "template_version", "indicators", "document")
        ],
    }


def expected_hub_state(code: str) -> dict[str, list[tuple[Any, ...]]]:
    """hub_state when the rows of hub_rows carry code."""
    names = f"{OTHER},{code}"
    return {
        "round": [
            ("r-hist", names, _set_key(names, "histogram")),
            ("r-sums", OTHER, _set_key(OTHER)),
        ],  # fmt: skip
        "release": sorted([(OTHER,), (code,)]),
        "budget_spend": [(code,)],
        "template_version": [(names, [OTHER, code])],
    }


def test_the_hub_migration_renames_every_stored_code_and_the_round_key(databases):
    url = databases.create()
    assert_renames_both_ways(
        url, "hub", "hub_0005", "hub_0006", hub_rows(), hub_state, expected_hub_state
    )


def node_rows() -> dict[str, list[dict[str, Any]]]:
    """A value, opt-ins, an audit entry and an adoption that carry OLD beside another code."""
    return {
        "indicator_value": [
            {
                "indicator": code,
                "period_start": WEEK,
                "value": 1.0,
                "rate": None,
                "bucket": None,
                "computed_at": STAMP,
            }
            for code in (OLD, OTHER)
        ],  # fmt: skip
        "node_opt_in": [{"indicator": code, "opted_in_at": STAMP} for code in (OLD, OTHER)],
        "node_audit_log": [
            {
                "round_id": "r-hist",
                "indicators": f"{OLD},{OTHER}",
                "party_index": 0,
                "sha256": "a" * 64,
                "byte_count": 10,
                "status_code": 201,
                "sent_at": STAMP,
            }
        ],  # fmt: skip
        "node_template_adoption": [
            {
                "template": "digikamer",
                "version": "1.0.0",
                "indicators": f"{OTHER},{OLD}",
                "adopted_at": STAMP,
            }
        ],  # fmt: skip
    }


def node_state(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The node's stored indicator codes, table by table."""
    return {
        "indicator_value": read(url, "indicator_value", "indicator"),
        "node_opt_in": read(url, "node_opt_in", "indicator"),
        "node_audit_log": read(url, "node_audit_log", "indicators"),
        "node_template_adoption": read(url, "node_template_adoption", "indicators"),
    }


def expected_node_state(code: str) -> dict[str, list[tuple[Any, ...]]]:
    """node_state when the rows of node_rows carry code."""
    return {
        "indicator_value": sorted([(code,), (OTHER,)]),
        "node_opt_in": sorted([(code,), (OTHER,)]),
        "node_audit_log": [(f"{code},{OTHER}",)],
        "node_template_adoption": [(f"{OTHER},{code}",)],
    }


def test_the_node_migration_renames_every_stored_code(databases):
    url = databases.create()
    assert_renames_both_ways(
        url, "node", "node_0004", "node_0005", node_rows(), node_state, expected_node_state
    )
