"""The hub's round bookkeeping: open a round, attempts, failures, recovery after a restart.

States: ``open`` → ``computing`` → ``released``, or ``failed`` (with a reason); a failed
round can be computed again, as a new *attempt*. A round is opened only for catalog
indicators and a period start that is the first day of their period and not in the future,
and never over a cell (program, indicator, period) of another round. The reports, the
verdict and the release are :mod:`samenbeeld.federation.hub.reports`. A released round is
never released again: corrections are a new round (a new version).

Every function takes the caller's Session; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from samenbeeld.federation.mpc.sharing import MAX_CELLS
from samenbeeld.federation.protocol import (
    RoundSpec,
    bucket_cells,
    canonical_json,
    check_program,
    check_round_id,
    sha256_hex,
)
from samenbeeld.platform.catalog import default_catalog
from samenbeeld.platform.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from samenbeeld.platform.models.hub import (
    Contribution,
    Round,
    RoundReport,
)

INDICATOR_NAME = re.compile(r"^[a-z0-9_]{1,64}$")
MAX_INDICATOR_LIST = 2000
"""The width of ``round.indicators``."""
MAX_ATTEMPT = 2**31 - 1
"""A round's attempt counter is a 32-bit column; no round is retried anywhere near this often."""
MAX_COHORT = 10_000
"""The most cities in one round: a compute request's cohort, a party report's contributors."""
PARTIES = 3


def _now() -> dt.datetime:
    """The current time, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def open_round(
    session: Session,
    round_id: str,
    indicators: Sequence[str],
    period_start: dt.date,
    cells_per_indicator: int = 1,
    program: str = "checked_sum",
) -> Round:
    """Open a round of ``program`` for ``indicators`` over the period starting then.

    A ``checked_sum`` vector has ``cells_per_indicator`` cells per indicator, indicator by
    indicator (1: one total each); the other programs' cells follow from the program (see
    the module docstring), so they take ``cells_per_indicator`` 1. The indicators must be in
    the catalog and ``period_start`` the first day of their period, not in the future
    (InvalidInputError); no cell of the round may be a cell of another round (the same
    program, indicator and period start), whatever that round's state (ConflictError): a
    second round over a cell could only be computed with another cohort.
    """
    check_round_id(round_id)
    if not indicators or len(set(indicators)) != len(indicators):
        raise InvalidInputError("a round needs one or more distinct indicators")
    if not all(INDICATOR_NAME.match(name) for name in indicators):
        raise InvalidInputError("indicator names are 1-64 lower-case letters, digits or '_'")
    if len(",".join(indicators)) > MAX_INDICATOR_LIST:
        raise InvalidInputError(
            f"the indicator list is longer than {MAX_INDICATOR_LIST} characters"
        )
    if not 1 <= cells_per_indicator or len(indicators) * cells_per_indicator > MAX_CELLS:
        raise InvalidInputError(f"a round has 1 to {MAX_CELLS} cells in all")
    default_catalog().round_indicators(indicators, period_start)
    _check_program(program, indicators, cells_per_indicator)
    if session.get(Round, round_id) is not None:
        raise ConflictError(f"round {round_id} exists already")
    names = ",".join(indicators)
    key = _set_key(names, program)
    _refuse_overlap(session, program, indicators, period_start)
    now = _now()
    row = Round(
        id=round_id,
        indicator_set=key,
        indicators=names,
        program=program,
        period_start=period_start,
        state="open",
        cells_per_indicator=cells_per_indicator,
        attempt=0,
        opened_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _check_program(program: str, indicators: Sequence[str], cells_per_indicator: int) -> None:
    """A known program; only sums take several cells; histogram indicators have buckets."""
    check_program(program)
    if program != "checked_sum" and cells_per_indicator != 1:
        raise InvalidInputError("cells_per_indicator applies to checked_sum rounds only")
    if program == "histogram":
        catalog = default_catalog()
        if sum(bucket_cells(catalog, name) for name in indicators) > MAX_CELLS:
            raise InvalidInputError(f"a round has 1 to {MAX_CELLS} cells in all")


def _refuse_overlap(
    session: Session, program: str, indicators: Sequence[str], period_start: dt.date
) -> None:
    """ConflictError when a round of program and period already covers one of indicators."""
    others = session.scalars(
        select(Round).where(Round.program == program, Round.period_start == period_start)
    )
    for other in others:
        shared = sorted(set(other.indicators.split(",")) & set(indicators))
        if shared:
            raise ConflictError(
                f"round {other.id} covers {', '.join(shared[:3])} of this period already"
            )


def _set_key(names: str, program: str = "checked_sum") -> str:
    """A fixed-size key of program and indicator list (a batch is released at most once).

    Sums keep the key of the bare list, as before rounds named a program.
    """
    text = names if program == "checked_sum" else f"{program}:{names}"
    return sha256_hex(text)[:32]


def get_round(session: Session, round_id: str) -> Round:
    """The round, or NotFoundError."""
    row = session.get(Round, round_id)
    if row is None:
        raise NotFoundError(f"round {round_id} does not exist")
    return row


def spec(row: Round) -> RoundSpec:
    """What the round computes, as nodes and parties are told."""
    return RoundSpec(
        row.program, row.period_start, tuple(row.indicators.split(",")), row.cells_per_indicator
    )


def start_attempt(
    session: Session, round_id: str, cohort: Sequence[str], driver: str = ""
) -> Round:
    """Move an open or failed round to ``computing`` as a new attempt with ``cohort``.

    ``driver`` is the boot id of the hub process that drives the attempt (see
    :func:`fail_orphaned_attempts`).
    """
    row = get_round(session, round_id)
    if row.state not in ("open", "failed"):
        raise ConflictError(f"round {round_id} is {row.state}; only open or failed rounds compute")
    row.attempt += 1
    row.state, row.failure, row.updated_at = "computing", None, _now()
    row.driver = driver
    session.query(Contribution).filter(Contribution.round_id == round_id).delete()
    now = _now()
    for code in cohort:
        for party in range(PARTIES):
            session.add(
                Contribution(
                    round_id=round_id, municipality=code, party_index=party, received_at=now
                )
            )
    session.flush()
    return row


def reclaim_interrupted(session: Session, round_id: str, max_age: dt.timedelta) -> Round:
    """Fail an attempt left ``computing`` longer than ``max_age`` (its driver stopped).

    A hub that dies mid-attempt leaves the round ``computing``; this marks the attempt
    failed, so computing the round again starts a new attempt. A younger attempt is left
    alone: it may still be running.
    """
    row = get_round(session, round_id)
    if row.state == "computing" and _now() - aware(row.updated_at) > max_age:
        fail_round(session, round_id, "attempt interrupted (no verdict in time)")
    return row


def fail_orphaned_attempts(session: Session, boot_id: str) -> list[str]:
    """Fail every attempt left ``computing`` by another hub process; their round ids.

    A hub calls this when it starts, before it serves: the attempts it was driving when it
    died have no driver any more, and failing them lets an operator compute the rounds again
    at once instead of waiting for the stale rule. (One hub process per database.)
    """
    orphaned = session.scalars(
        select(Round).where(Round.state == "computing", Round.driver != boot_id)
    ).all()
    for row in orphaned:
        fail_round(session, row.id, "attempt interrupted: the hub restarted")
    return [row.id for row in orphaned]


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def note_refusal(session: Session, round_id: str, reason: str) -> None:
    """Record why the round was refused before an attempt (its state does not change)."""
    row = get_round(session, round_id)
    row.failure, row.updated_at = reason[:200], _now()
    session.flush()


def fail_round(session: Session, round_id: str, reason: str) -> None:
    """Mark the current attempt failed (a round already released stays released).

    The attempt's reports keep their digests, signatures, reasons and rules, not their
    values: values are stored only with a release (:func:`redacted`).
    """
    row = get_round(session, round_id)
    if row.state == "released":
        return
    row.state, row.failure, row.updated_at = "failed", reason[:200], _now()
    for report in session.scalars(select(RoundReport).where(RoundReport.round_id == round_id)):
        report.result = redacted(report.result)
    session.flush()


def redacted(result: str) -> str:
    """A stored result without its values: what is suppressed and why, and the rules the
    party applied (which tell why parties disagreed)."""
    document = json.loads(result)
    return canonical_json({key: document[key] for key in ("reasons", "rules") if key in document})


def cohort_size(session: Session, round_id: str) -> int:
    """How many municipalities the current attempt counted (a count, never names)."""
    count = session.scalar(
        select(func.count(func.distinct(Contribution.municipality))).where(
            Contribution.round_id == round_id
        )
    )
    return int(count or 0)
