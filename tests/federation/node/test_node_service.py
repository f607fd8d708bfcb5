"""node_service without Flask: the local vector, opt-ins, uploads and the node tables' checks."""

from __future__ import annotations

import datetime as dt

import httpx
import numpy as np
import pytest
from sqlalchemy.exc import IntegrityError

from samenbeeld.federation.node import rounds as node_service
from samenbeeld.platform import keys
from samenbeeld.platform.catalog import load_catalog
from samenbeeld.platform.errors import InvalidInputError, NotFoundError
from samenbeeld.platform.models.node import AuditEntry, District, OptIn, SentimentDaily, WeeklyCount
from samenbeeld.platform.settings import NodeSettings
from samenbeeld.platform.tokens import Signer

CATALOG = load_catalog()
MONDAY = dt.date(2026, 1, 5)
NOW = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)


def weekly(category: str, count: int, week: dt.date = MONDAY, online: bool = False) -> WeeklyCount:
    """One weekly_count row in district WK075801."""
    return WeeklyCount(week_start=week, district_code="WK075801", category=category,
                       online_driven=online, source_type="police", count=count)  # fmt: skip


@pytest.fixture
def session(node_session):
    """A rolled-back node session with one district and two weeks of counts."""
    node_session.add(District(code="WK075801", population=50_000))
    node_session.flush()
    node_session.add_all(
        [
            weekly("high_impact_crime", 12),
            weekly("high_impact_crime", 5, MONDAY + dt.timedelta(weeks=1)),
            weekly("riot", 3, online=True),
            SentimentDaily(
                day=MONDAY + dt.timedelta(days=2), topic="public_order", score=-0.5, volume=10
            ),  # fmt: skip
        ]
    )
    node_session.flush()
    return node_session


def test_local_vector_holds_the_periods_values_in_the_rounds_order(session):
    names = ["riot_online_weekly", "high_impact_crime_weekly", "demonstration_online_weekly"]
    vector = node_service.local_vector(session, CATALOG, names, MONDAY)
    assert vector.dtype == np.float64
    assert vector.tolist() == [3.0, 12.0, 0.0]
    later = node_service.local_vector(session, CATALOG, names, MONDAY + dt.timedelta(weeks=1))
    assert later.tolist() == [0.0, 5.0, 0.0]
    empty = node_service.local_vector(session, CATALOG, names, MONDAY + dt.timedelta(weeks=9))
    assert empty.tolist() == [0.0, 0.0, 0.0]
    sentiment = ["public_order_sentiment_weekly"]
    assert node_service.local_vector(session, CATALOG, sentiment, MONDAY).tolist() == [-0.5]


def test_local_vector_refuses_unknown_repeated_or_misaligned_indicators(session):
    with pytest.raises(InvalidInputError, match="not in the indicator catalog"):
        node_service.local_vector(session, CATALOG, ["no_such_indicator"], MONDAY)
    with pytest.raises(InvalidInputError, match="distinct"):
        node_service.local_vector(session, CATALOG, ["riot_online_weekly"] * 2, MONDAY)
    with pytest.raises(InvalidInputError, match="first day of a week"):
        node_service.local_vector(session, CATALOG, ["riot_online_weekly"], dt.date(2026, 1, 6))
    with pytest.raises(InvalidInputError, match="first day of a month"):
        node_service.local_vector(session, CATALOG, ["event_visitors_monthly"], MONDAY)


def test_opt_ins_go_on_and_off_for_catalog_indicators_only(session):
    node_service.set_opt_in(session, "riot_online_weekly", True)
    node_service.set_opt_in(session, "drugs_weekly", True)
    node_service.set_opt_in(session, "drugs_weekly", True)
    assert node_service.opted_in(session) == ["drugs_weekly", "riot_online_weekly"]
    assert node_service.set_opt_in(session, "drugs_weekly", False) is None
    assert node_service.opted_in(session) == ["riot_online_weekly"]
    with pytest.raises(NotFoundError):
        node_service.set_opt_in(session, "no_such_indicator", True)


def test_a_party_that_does_not_answer_is_reported_never_raised(session, tmp_path):
    key = keys.generate_private_key()
    keys.write_private_key(tmp_path / "node.pem", key)
    settings = NodeSettings.load(
        environ={}, municipality="GM0758", key_file=str(tmp_path / "node.pem")
    )

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    node_service.set_opt_in(session, "riot_online_weekly", True)
    with httpx.Client(transport=httpx.MockTransport(refuse)) as client:
        report = node_service.contribute(
            session, settings, Signer(key, role="node", member="GM0758"), client, "r-1",
            ["riot_online_weekly"], MONDAY,
        )  # fmt: skip
    assert (report.contributed, report.reason) == (False, "upload failed")
    assert [(p.outcome, p.status_code) for p in report.parties] == [("failed", None)] * 3
    assert [row.status_code for row in node_service.audit_log(session)] == [None] * 3
    with pytest.raises(InvalidInputError, match="round id must be"):
        node_service.contribute(session, settings, Signer(key, role="node", member="GM0758"),
                                client, "r 1; drop", ["riot_online_weekly"], MONDAY)  # fmt: skip


def test_round_seeds_are_per_round_and_per_party():
    one = node_service.round_seeds(b"k" * 32, "round-1")
    assert one == node_service.round_seeds(b"k" * 32, "round-1")
    assert len({*one, *node_service.round_seeds(b"k" * 32, "round-2")}) == 4
    assert one != node_service.round_seeds(b"j" * 32, "round-1")


def audit_row(**changes: object) -> AuditEntry:
    """A valid audit row, with changes."""
    values: dict[str, object] = {"round_id": "weekly-2026-01-05-a1", "party_index": 0,
                                 "indicators": "riot_online_weekly,drugs_weekly",
                                 "sha256": "ab" * 32, "byte_count": 52, "status_code": 201,
                                 "sent_at": NOW}  # fmt: skip
    return AuditEntry(**{**values, **changes})


@pytest.mark.parametrize(
    "row",
    [
        audit_row(indicators="Breda counted 12 riots"),
        audit_row(round_id="round with free text"),
        audit_row(sha256="zz" * 32),
        audit_row(sha256="ab" * 31),
        audit_row(party_index=3),
        audit_row(byte_count=-1),
        audit_row(status_code=42),
        OptIn(indicator="Riot Online", opted_in_at=NOW),
    ],
    ids=[
        "indicators",
        "round_id",
        "sha256-hex",
        "sha256-length",
        "party",
        "bytes",
        "status",
        "opt-in",
    ],
)
def test_node_tables_hold_codes_and_hashes_only(session, row):
    session.add(audit_row(status_code=None))
    session.flush()
    with session.begin_nested(), pytest.raises(IntegrityError):
        session.add(row)
        session.flush()
