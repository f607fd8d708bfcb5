"""The hub's round bookkeeping: open, collect signed party reports, verify, release.

States: ``open`` → ``computing`` → ``released``, or ``failed`` (with a reason); a failed
round can be computed again, as a new *attempt*. A party's report counts only for the
attempt it names, and only its first report per attempt is kept. A release is stored when
all three reports of the current attempt are present, each signature verifies against that
party's registered key and binds the round, the attempt and the SHA-256 of the result,
and the three results are identical; then one :class:`Release` row per cell is written and
the round is ``released``. Differing results fail the attempt; nothing is released. A
released round is never released again: corrections are a new round (a new version).

A round runs one program (:data:`protocol.PROGRAMS`), which fixes its cells: ``checked_sum``
has ``cells_per_indicator`` cells per indicator ("total" when one), ``histogram`` one cell
per catalog bucket of each indicator ("bucket:0" .. "bucket:n", n the number of edges) and
``spike_count`` one cell per indicator ("spikes"). Histogram cells are derived from the
catalog when needed; a report whose length does not fit them is refused.

Every function takes the caller's Session; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

import jwt
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from samenbeeld.federation.mpc.sharing import MAX_CELLS
from samenbeeld.federation.protocol import (
    PartyResult,
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
    PermissionDeniedError,
)
from samenbeeld.platform.keys import KeySet
from samenbeeld.platform.models.hub import (
    Contribution,
    Release,
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
    if row.state == "computing" and _now() - _aware(row.updated_at) > max_age:
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


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def fail_round(session: Session, round_id: str, reason: str) -> None:
    """Mark the current attempt failed (a round already released stays released).

    The attempt's reports keep their digests, signatures and reasons, not their values:
    values are stored only with a release (:func:`redacted`).
    """
    row = get_round(session, round_id)
    if row.state == "released":
        return
    row.state, row.failure, row.updated_at = "failed", reason[:200], _now()
    for report in session.scalars(select(RoundReport).where(RoundReport.round_id == round_id)):
        report.result = redacted(report.result)
    session.flush()


def redacted(result: str) -> str:
    """A stored result without its values: the reasons only (what is suppressed, and why)."""
    document = json.loads(result)
    return canonical_json({"reasons": document.get("reasons", [])})


def _verify_signature(
    keys: KeySet, party: int, signature: str, round_id: str, attempt: int, digest: str
) -> None:
    """The signature is the party's own and binds round, attempt and result digest."""
    try:
        kid = jwt.get_unverified_header(signature).get("kid")
    except jwt.InvalidTokenError:
        raise PermissionDeniedError("report signature is malformed") from None
    key = keys.get(kid)
    if key is None or key.owner.role != "party" or key.owner.member != str(party):
        raise PermissionDeniedError(f"report signature is not compute party {party}'s")
    try:
        claims = jwt.decode(signature, key.public_key, algorithms=["EdDSA"])
    except jwt.InvalidTokenError:
        raise PermissionDeniedError("report signature does not verify") from None
    expected = {"round_id": round_id, "attempt": attempt, "result_sha256": digest}
    if any(claims.get(name) != value for name, value in expected.items()):
        raise PermissionDeniedError("report signature does not match the report")


def store_report(
    session: Session,
    keys: KeySet,
    round_id: str,
    party: int,
    attempt: int,
    result: PartyResult,
    signature: str,
) -> Round:
    """Keep a party's first signed report of the current attempt; release when all agree."""
    row = get_round(session, round_id)
    if row.state != "computing" or attempt != row.attempt:
        raise ConflictError(f"round {round_id} is not computing attempt {attempt}")
    text = result.canonical()
    digest = sha256_hex(text)
    _verify_signature(keys, party, signature, round_id, attempt, digest)
    if len(result.values) != cell_count(row) or len(result.reasons) != len(result.values):
        raise InvalidInputError("report has the wrong number of cells for this round")
    if _report(session, round_id, attempt, party) is not None:
        raise ConflictError(f"compute party {party} has reported attempt {attempt} already")
    session.add(
        RoundReport(
            round_id=round_id,
            attempt=attempt,
            party_index=party,
            result_sha256=digest,
            result=text,
            signature=signature,
            received_at=_now(),
        )
    )
    session.flush()
    return verify_and_release(session, round_id)


def _report(session: Session, round_id: str, attempt: int, party: int) -> RoundReport | None:
    """One party's report of one attempt, if any."""
    return session.scalar(
        select(RoundReport).where(
            RoundReport.round_id == round_id,
            RoundReport.attempt == attempt,
            RoundReport.party_index == party,
        )
    )


def verify_and_release(session: Session, round_id: str) -> Round:
    """With three reports of the current attempt: release if identical, else fail."""
    row = get_round(session, round_id)
    reports = session.scalars(
        select(RoundReport).where(
            RoundReport.round_id == round_id, RoundReport.attempt == row.attempt
        )
    ).all()
    if row.state != "computing" or len(reports) < PARTIES:
        return row
    if len({report.result_sha256 for report in reports}) != 1:
        fail_round(session, round_id, "compute parties reported different results")
        return row
    try:
        with session.begin_nested():
            _write_release(session, row, json.loads(reports[0].result))
    except IntegrityError:
        fail_round(session, round_id, "a cell of this round was released already")
        return row
    row.state, row.updated_at = "released", _now()
    session.flush()
    return row


def cell_count(row: Round) -> int:
    """How many cells the round's vector has."""
    return len(cell_labels(row))


def segments(row: Round) -> list[int]:
    """A histogram round's one-hot segment lengths, one per indicator, from the catalog."""
    return spec(row).segments(default_catalog())


def cell_labels(row: Round) -> list[tuple[str, str]]:
    """(indicator, cell) per cell in vector order.

    Sums: "total", or the index with several cells per indicator; histograms: "bucket:i";
    spike counts: "spikes".
    """
    names = row.indicators.split(",")
    if row.program == "histogram":
        return [
            (name, f"bucket:{index}")
            for name, length in zip(names, segments(row), strict=True)
            for index in range(length)
        ]
    if row.program == "spike_count":
        return [(name, "spikes") for name in names]
    per = row.cells_per_indicator
    cells = ["total"] if per == 1 else [str(index) for index in range(per)]
    return [(name, cell) for name in names for cell in cells]


def _write_release(session: Session, row: Round, result: dict[str, Any]) -> None:
    """One Release row per cell, version 1 (a released batch is never overwritten)."""
    now = _now()
    rows = []
    for (indicator, cell), value, reason in zip(
        cell_labels(row), result["values"], result["reasons"], strict=True
    ):
        rows.append(
            dict(
                round_id=row.id,
                indicator=indicator,
                period_start=row.period_start,
                cell=cell,
                value=None if reason else value,
                suppressed_reason=reason or None,
                version=1,
                cohort_size=int(result["contributors"]),
                released_at=now,
            )
        )
    session.execute(insert(Release), rows)


def releases(session: Session, round_id: str) -> list[Release]:
    """The released cells of a round, in cell order."""
    get_round(session, round_id)
    return list(
        session.scalars(select(Release).where(Release.round_id == round_id).order_by(Release.id))
    )


def cohort_size(session: Session, round_id: str) -> int:
    """How many municipalities the current attempt counted (a count, never names)."""
    count = session.scalar(
        select(func.count(func.distinct(Contribution.municipality))).where(
            Contribution.round_id == round_id
        )
    )
    return int(count or 0)
