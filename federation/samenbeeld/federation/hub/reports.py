"""A round's signed party reports, the verdict, and the release.

A party's report counts only for the attempt it names, and only its first report per
attempt is kept. A release is stored when all three reports of the current attempt are
present, each signature verifies against that party's registered key and binds the round,
the attempt and the SHA-256 of the result, and the three results are identical; then one
:class:`Release` row per cell is written (:func:`release_rows`: the value or the reason, the
cohort size, the rules and the noise the parties signed, the attempt) and the round is
``released``. Differing results fail the attempt; nothing is released. So does a result
whose noise policies (mechanism, epsilon, delta per indicator) are not the ones the hub's
catalog charged the yearly budgets for, and a release that would repeat a stored cell (never
a 500). A failed attempt's reports keep their digests, reasons and rules, not their values
(:func:`rounds.fail_round`).

A round runs one program, which fixes its cells (:func:`cell_labels`): ``checked_sum`` has
``cells_per_indicator`` cells per indicator ("total" when one), ``histogram`` one cell per
catalog bucket of each indicator ("bucket:0" .. "bucket:n", n the number of edges) and
``spike_count`` one cell per indicator ("spikes"). A report whose length does not fit them
is refused.

Every function takes the caller's Session; the caller owns the transaction.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import jwt
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from samenbeeld.federation.hub.rounds import PARTIES, _now, fail_round, get_round, spec
from samenbeeld.federation.protocol import AppliedRules, PartyResult, sha256_hex
from samenbeeld.platform.catalog import default_catalog
from samenbeeld.platform.errors import ConflictError, InvalidInputError, PermissionDeniedError
from samenbeeld.platform.keys import KeySet
from samenbeeld.platform.models.hub import Release, Round, RoundReport


def verify_signature(
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
    verify_signature(keys, party, signature, round_id, attempt, digest)
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
    result = PartyResult.from_document(json.loads(reports[0].result))
    if _signed_policies(result.rules) != _charged_policies(row):
        fail_round(session, round_id, "the parties' noise policies are not the hub's catalog's")
        return row
    try:
        with session.begin_nested():
            now = _now()
            rows = [cell | {"released_at": now} for cell in release_rows(row, result)]
            session.execute(insert(Release), rows)
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


def _signed_policies(rules: AppliedRules) -> dict[str, tuple[Any, ...]]:
    """The noise policy per indicator that the parties signed they applied."""
    return {code: (n.mechanism, n.epsilon, n.delta) for code, n in rules.noise.items()}


def _charged_policies(row: Round) -> dict[str, tuple[Any, ...]]:
    """The noise policy per indicator that the hub's catalog gives the round (and that
    :func:`budget.charge_round` charged the budgets for)."""
    return {
        code: (policy.mechanism, policy.epsilon_per_release, policy.delta)
        for code, policy in spec(row).noise_policies(default_catalog()).items()
    }


def release_rows(row: Round, result: PartyResult) -> list[dict[str, Any]]:
    """The Release rows of a signed result (but their time), one per cell, version 1 (a
    released batch is never overwritten): what the hub stores and what ``verify-release``
    checks it against.

    A cell of an indicator the parties noised carries that noise's mechanism, epsilon, delta
    and, when released, its standard deviation; every other cell is exact.
    """
    rules = result.rules
    exact = {"mechanism": "exact", "epsilon": None, "delta": None, "noise_sd": None}
    rows = []
    for (indicator, cell), value, reason in zip(
        cell_labels(row), result.values, result.reasons, strict=True
    ):
        noise = rules.noise.get(indicator)
        privacy = exact if noise is None else asdict(noise)
        if reason and noise is not None:
            privacy = {**privacy, "noise_sd": None}
        rows.append(
            dict(
                round_id=row.id,
                indicator=indicator,
                period_start=row.period_start,
                cell=cell,
                value=None if reason else value,
                suppressed_reason=reason or None,
                version=1,
                cohort_size=int(result.contributors),
                min_contributors=rules.min_contributors,
                dominance=rules.dominance,
                attempt=row.attempt,
                **privacy,
            )
        )
    return rows


def releases(session: Session, round_id: str) -> list[Release]:
    """The released cells of a round, in cell order."""
    get_round(session, round_id)
    return list(
        session.scalars(select(Release).where(Release.round_id == round_id).order_by(Release.id))
    )
