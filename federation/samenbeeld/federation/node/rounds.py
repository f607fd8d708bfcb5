"""A node's side of a round: opt-ins, its local vector, the share uploads and their audit log.

The node contributes to a round only when it opted in to every indicator of the round.
It then computes its vector locally for the round's program (:func:`round_vector`): its
values (``checked_sum``, fixed point), one one-hot segment per indicator marking its bucket
(``histogram``), or one 0/1 spike flag per indicator (``spike_count``), the last two as
integers (precision 0, as :mod:`samenbeeld.federation.mpc.counts` checks them). It encodes
and splits it (:mod:`samenbeeld.federation.mpc.sharing`) and PUTs payload i to compute
party i with a fresh node token. Every attempt leaves one ``node_audit_log`` row per party:
round, indicator names, party index, SHA-256 and size of the bytes sent, and the status code
(NULL when the party did not answer). Neither values nor shares are stored, logged or raised.

The two seeds of a round are derived from the node's private key and the round id
(:func:`round_seeds`), so a retry after a failed upload sends the same bytes and parties
that already hold them answer 409 (reported as ``duplicate``). A retry whose party-0
payload differs from one a party already accepted (the data changed in between) is
refused: mixing shares of two splits would corrupt the sum. The price is that whoever
holds the node's key and party 0's share of a round can recover the node's vector.

Functions take a ``Session``; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import httpx
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from samenbeeld.federation.mpc import sharing
from samenbeeld.federation.mpc.registry import input_precision
from samenbeeld.federation.protocol import RoundSpec, check_program, check_round_id
from samenbeeld.platform.catalog import Catalog, default_catalog
from samenbeeld.platform.errors import InvalidInputError
from samenbeeld.platform.indicators import (
    bucket_of,
    compute_indicators,
    spike_flag,
    spike_history,
)
from samenbeeld.platform.keys import read_private_key
from samenbeeld.platform.models.node import AuditEntry, OptIn
from samenbeeld.platform.settings import NodeSettings, audience_for
from samenbeeld.platform.tokens import Signer

SHARES_PATH = "/api/v1/rounds/{round_id}/shares"
OCTET_STREAM = "application/octet-stream"
NOT_OPTED_IN = "not opted in"
UPLOAD_FAILED = "upload failed"
DATA_CHANGED = "data changed since an earlier accepted upload"
NO_BUCKET = "no bucket: a rate needs the districts' population"
KEPT = (201, 409)
"""Status codes after which a party holds this node's share of the round."""
_SEED_LABEL = b"samenbeeld-round-seed-v1"
Outcome = Literal["accepted", "duplicate", "failed"]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartyUpload:
    """How one compute party answered one upload."""

    party: int
    outcome: Outcome
    status_code: int | None
    sha256: str


@dataclass(frozen=True)
class ContributionReport:
    """Whether the node contributed to a round and, per party, what happened."""

    round_id: str
    contributed: bool
    reason: str | None = None
    parties: tuple[PartyUpload, ...] = ()


def set_opt_in(
    session: Session, indicator: str, on: bool, *, catalog: Catalog | None = None
) -> OptIn | None:
    """Opt in to (or out of) a catalog indicator; NotFoundError for an unknown one."""
    (catalog or default_catalog()).get(indicator)
    row = session.get(OptIn, indicator)
    if on and row is None:
        row = OptIn(indicator=indicator, opted_in_at=dt.datetime.now(dt.UTC))
        session.add(row)
    elif not on and row is not None:
        session.delete(row)
        row = None
    session.flush()
    return row


def list_opt_ins(session: Session) -> list[OptIn]:
    """The indicators this node opted in to, by name."""
    return list(session.scalars(select(OptIn).order_by(OptIn.indicator)))


def opted_in(session: Session) -> list[str]:
    """The names of the indicators this node opted in to, sorted."""
    return [row.indicator for row in list_opt_ins(session)]


def local_vector(
    session: Session, catalog: Catalog, indicators: Sequence[str], period_start: dt.date
) -> np.ndarray:
    """The node's own value of each indicator for the period, as float64 (missing: 0.0)."""
    chosen = _check_indicators(catalog, indicators, period_start)
    values = {
        result.indicator: result.value
        for result in compute_indicators(session, chosen)
        if result.period_start == period_start
    }
    return np.array([values.get(code, 0.0) for code in indicators], dtype=np.float64)


def local_buckets(
    session: Session, catalog: Catalog, indicators: Sequence[str], period_start: dt.date
) -> np.ndarray | None:
    """One one-hot segment per indicator (its buckets + 1 cells) marking the node's bucket.

    A period without data is bucketed as the value 0, as a sum round counts it; None when
    a normalised indicator has no rate (no district population), so no bucket.
    """
    chosen = _check_indicators(catalog, indicators, period_start)
    found = {
        result.indicator: result
        for result in compute_indicators(session, chosen)
        if result.period_start == period_start
    }
    segments = []
    for indicator in chosen.indicators:
        if indicator.buckets is None:
            raise InvalidInputError(f"indicator {indicator.code} has no buckets")
        result = found.get(indicator.code)
        bucket = result.bucket if result else bucket_of(indicator.buckets, 0.0)
        if bucket is None:
            return None
        segment = np.zeros(len(indicator.buckets) + 1, dtype=np.int64)
        segment[bucket] = 1
        segments.append(segment)
    return np.concatenate(segments)


def local_spike_flags(
    session: Session, catalog: Catalog, indicators: Sequence[str], period_start: dt.date
) -> np.ndarray:
    """One 0/1 flag per indicator: is the period a spike against the node's own history."""
    chosen = _check_indicators(catalog, indicators, period_start)
    results = compute_indicators(session, chosen)
    current = {r.indicator: r.value for r in results if r.period_start == period_start}
    flags = [
        spike_flag(spike_history(results, indicator, period_start), current.get(code, 0.0))
        for code, indicator in zip(indicators, chosen.indicators, strict=True)
    ]
    return np.array(flags, dtype=np.int64)


def round_vector(
    session: Session,
    catalog: Catalog,
    program: str,
    indicators: Sequence[str],
    period_start: dt.date,
) -> np.ndarray | None:
    """The node's vector for a round of ``program`` (None: it has no bucket to give)."""
    if program == "histogram":
        return local_buckets(session, catalog, indicators, period_start)
    if program == "spike_count":
        return local_spike_flags(session, catalog, indicators, period_start)
    check_program(program)
    return local_vector(session, catalog, indicators, period_start)


def _check_indicators(
    catalog: Catalog, indicators: Sequence[str], period_start: dt.date
) -> Catalog:
    """The sub-catalog of a round's indicators (see :meth:`Catalog.round_indicators`)."""
    return catalog.round_indicators(indicators, period_start)


def round_seeds(secret: bytes, round_id: str) -> tuple[bytes, bytes]:
    """The round's two share seeds: HMAC-SHA256 of the node's secret over round and party."""

    def seed(party: int) -> bytes:
        message = _SEED_LABEL + f"|{round_id}|{party}".encode()
        return hmac.new(secret, message, hashlib.sha256).digest()

    return seed(1), seed(2)


def contribute(
    session: Session,
    settings: NodeSettings,
    signer: Signer,
    client: httpx.Client,
    round_id: str,
    indicators: Sequence[str],
    period_start: dt.date,
    *,
    program: str = "checked_sum",
    catalog: Catalog | None = None,
) -> ContributionReport:
    """Upload this node's shares of a round to the three parties, auditing every attempt."""
    check_round_id(round_id)
    if not set(indicators) <= set(opted_in(session)):
        return ContributionReport(round_id, False, NOT_OPTED_IN)
    chosen = catalog or default_catalog()
    vector = round_vector(session, chosen, program, indicators, period_start)
    if vector is None:
        return ContributionReport(round_id, False, NO_BUCKET)
    payloads = _payloads(settings, round_id, vector, input_precision(program))
    if _conflicts_with_earlier(session, round_id, payloads[0]):
        return ContributionReport(round_id, False, DATA_CHANGED)
    spec = RoundSpec(program, period_start, tuple(indicators))
    uploads = tuple(
        _upload(session, settings, signer, client, round_id, spec, party, payload)
        for party, payload in enumerate(payloads)
    )
    done = all(upload.outcome != "failed" for upload in uploads)
    return ContributionReport(round_id, done, None if done else UPLOAD_FAILED, uploads)


def _payloads(
    settings: NodeSettings, round_id: str, vector: np.ndarray, precision_bits: int
) -> list[bytes]:
    """The three wire payloads of the vector's shares for the round, at ``precision_bits``."""
    secret = read_private_key(settings.effective_key_file).private_bytes_raw()
    ring = sharing.encode_vector(vector, precision_bits)
    seeds = round_seeds(secret, round_id)
    shares = sharing.split(ring, seeds, round_id=round_id, precision_bits=precision_bits)
    return [sharing.encode_payload(shares, party) for party in range(sharing.PARTIES)]


def _conflicts_with_earlier(session: Session, round_id: str, payload0: bytes) -> bool:
    """True when party 0 already holds a different payload of this round from this node."""
    kept = session.scalars(
        select(AuditEntry.sha256).where(
            AuditEntry.round_id == round_id,
            AuditEntry.party_index == 0,
            AuditEntry.status_code.in_(KEPT),
        )
    ).all()
    return any(sha != _sha256(payload0) for sha in kept)


def _upload(
    session: Session,
    settings: NodeSettings,
    signer: Signer,
    client: httpx.Client,
    round_id: str,
    spec: RoundSpec,
    party: int,
    payload: bytes,
) -> PartyUpload:
    """PUT one payload, declaring its round spec, to one party and write its audit row.

    Errors become 'failed'.
    """
    url = settings.parties[party] + SHARES_PATH.format(round_id=round_id)
    headers = {**signer.headers(audience_for("party", str(party))), "Content-Type": OCTET_STREAM}
    sent_at = dt.datetime.now(dt.UTC)
    query = spec.to_query()
    try:
        response = client.put(url, content=payload, headers=headers, params=query)
        status: int | None = response.status_code
    except httpx.HTTPError as error:
        logger.warning(
            "round %s: party %d did not answer (%s)", round_id, party, type(error).__name__
        )
        status = None
    digest = _sha256(payload)
    session.add(
        AuditEntry(
            round_id=round_id,
            indicators=",".join(spec.indicators),
            party_index=party,
            sha256=digest,
            byte_count=len(payload),
            status_code=status,
            sent_at=sent_at,
        )
    )
    session.flush()
    return PartyUpload(party, _outcome(status), status, digest)


def _outcome(status: int | None) -> Outcome:
    """accepted (201), duplicate (409) or failed (anything else, or no answer)."""
    if status == 201:
        return "accepted"
    return "duplicate" if status == 409 else "failed"


def _sha256(payload: bytes) -> str:
    """Hex SHA-256 of payload."""
    return hashlib.sha256(payload).hexdigest()


def audit_log(session: Session, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
    """Audit rows, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.sent_at.desc(), AuditEntry.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))
