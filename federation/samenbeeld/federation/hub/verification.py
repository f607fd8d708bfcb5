"""Check a stored release against the compute parties' signed reports (``verify-release``).

Anyone holding the three parties' public keys can confirm that a published figure is what
the parties computed. For a released round, :func:`verify_release` takes the reports of the
attempt it was released from and checks, in this order:

1. there are three, one per party, each a result document whose canonical JSON's SHA-256 is
   the stored digest, under a signature that verifies with that party's key and binds the
   round, the attempt and that digest (:func:`reports.verify_signature`, the check the hub
   made when the report arrived);
2. the three digests are equal;
3. every stored release row equals the row the signed result gives
   (:func:`reports.release_rows`): value, suppression reason, cohort size, mechanism,
   epsilon, delta, noise SD, rules and attempt, cell by cell.

The first difference raises :class:`VerificationFailedError` naming the party, or the cell
and the field (never a value).
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from samenbeeld.federation.hub.register import signed_reports
from samenbeeld.federation.hub.reports import release_rows, releases, verify_signature
from samenbeeld.federation.hub.rounds import PARTIES, get_round
from samenbeeld.federation.protocol import PartyResult
from samenbeeld.platform.errors import PermissionDeniedError, VerificationFailedError
from samenbeeld.platform.keys import KeySet
from samenbeeld.platform.models.hub import RoundReport


def verify_release(session: Session, keys: KeySet, round_id: str) -> str:
    """A one-line summary when ``round_id``'s release is what the parties signed; else
    VerificationFailedError (NotFoundError when the round is unknown or not released)."""
    reports = signed_reports(session, round_id)
    row = get_round(session, round_id)
    if [report.party_index for report in reports] != list(range(PARTIES)):
        raise VerificationFailedError(
            f"round {round_id} attempt {row.attempt} has no signed report of every party"
        )
    results = [_signed_result(keys, report) for report in reports]
    if len({result.sha256() for result in results}) != 1:
        raise VerificationFailedError(f"the parties signed different results for {round_id}")
    stored = releases(session, round_id)
    expected = release_rows(row, results[0])
    if len(stored) != len(expected):
        raise VerificationFailedError(
            f"round {round_id} has {len(stored)} release rows, the signed result "
            f"{len(expected)} cells"
        )
    for cell, signed in zip(stored, expected, strict=True):
        for name, value in signed.items():
            if getattr(cell, name) != value:
                raise VerificationFailedError(
                    f"{cell.indicator} {cell.cell} of {round_id}: the stored {name} is not "
                    "the signed one"
                )
    return (
        f"OK {round_id} attempt {row.attempt}: {len(stored)} cells are what compute parties "
        f"0, 1 and 2 signed (result sha256 {results[0].sha256()})"
    )


def _signed_result(keys: KeySet, report: RoundReport) -> PartyResult:
    """The report's result, once its digest and its signature check out."""
    party = report.party_index
    try:
        result = PartyResult.from_document(json.loads(report.result))
    except (ValueError, KeyError, TypeError):
        raise VerificationFailedError(
            f"compute party {party}'s stored report is not a result document"
        ) from None
    digest = result.sha256()
    if report.result_sha256 != digest:
        raise VerificationFailedError(
            f"compute party {party}'s stored digest is not the SHA-256 of its result"
        )
    try:
        verify_signature(keys, party, report.signature, report.round_id, report.attempt, digest)
    except PermissionDeniedError as error:
        raise VerificationFailedError(f"compute party {party}: {error}") from None
    return result
