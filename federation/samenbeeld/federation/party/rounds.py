"""A compute party's round service: store uploads, close a round, run its MPC, report it.

No Flask here: functions take a ``Session`` (the caller owns the transaction), the party's
settings and an ``httpx.Client`` for the hub. Errors, by the status the API gives them::

    InvalidInputError   422  bad round id, malformed payload, payload of another round/party,
                             a spec or compute request this party's policy refuses
    ConflictError       409  duplicate upload, closed round, attempt already run, missing upload,
                             an upload of another spec, a cell its ledger refuses to reveal again
    UpstreamFailedError 502  the party process failed or timed out, or the hub refused the report

Messages name codes, sizes and reasons, never a share or a value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import numpy as np
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from samenbeeld.federation.mpc import runtime, sharing
from samenbeeld.federation.mpc.programs import CheckedSumResult, JsonParams, load_result
from samenbeeld.federation.mpc.registry import input_precision
from samenbeeld.federation.mpc.supervisor import (
    PartyFailedError,
    kill_all,
    start_member,
    wait_for_members,
)
from samenbeeld.federation.party import disclosure
from samenbeeld.federation.protocol import PartyResult, RoundSpec, check_round_id
from samenbeeld.platform.catalog import default_catalog
from samenbeeld.platform.errors import ConflictError, InvalidInputError, UpstreamFailedError
from samenbeeld.platform.keys import key_id, read_private_key
from samenbeeld.platform.models.party import PartyRound, ShareUpload
from samenbeeld.platform.settings import PartySettings, audience_for
from samenbeeld.platform.tokens import Signer

HUB_AUDIENCE = audience_for("hub", "hub")
_EXCEPTION_TYPE = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComputeJob:
    """What the hub asks one party to compute (the contract's compute request)."""

    round_id: str
    attempt: int
    cohort: tuple[str, ...]
    spec: RoundSpec
    params: JsonParams
    """The parameters this party computes with: its own policy's (:mod:`disclosure`)."""
    master_addr: str
    master_port: int
    timeout: float

    @property
    def program(self) -> str:
        """The spec's program."""
        return self.spec.program


def _now(now: dt.datetime | None) -> dt.datetime:
    """now, or the current UTC time."""
    return now or dt.datetime.now(dt.UTC)


def _require_open(session: Session, round_id: str) -> None:
    """ConflictError once the round was computed (closed) at this party."""
    if session.get(PartyRound, round_id) is not None:
        raise ConflictError(f"round {round_id} is closed")


def store_upload(
    session: Session,
    round_id: str,
    municipality: str,
    payload: bytes,
    spec: RoundSpec,
    settings: PartySettings,
    *,
    now: dt.datetime | None = None,
) -> ShareUpload:
    """Validate and store a municipality's share payload for round_id and its spec, once.

    The payload must be this party's share of this round, at the program's precision, with
    as many cells as the spec has in this party's catalog; every upload of a round must
    declare the same spec.
    """
    check_round_id(round_id)
    _require_open(session, round_id)
    policy = disclosure.Policy.from_settings(settings)
    disclosure.check_spec(policy, spec)
    header = sharing.check_payload(payload, sharing.ShareContext(round_id, settings.index))
    if header.precision_bits != input_precision(spec.program):
        raise InvalidInputError(
            f"a {spec.program} share is encoded at {input_precision(spec.program)} bits"
        )
    if header.cells != sum(spec.segments(policy.catalog)):
        raise InvalidInputError(
            f"the payload has {header.cells} cells, the round's spec another number"
        )
    if _stored(session, round_id, municipality):
        raise ConflictError(f"{municipality} already uploaded its share for {round_id}")
    declared = session.scalar(
        select(ShareUpload.spec).where(ShareUpload.round_id == round_id).limit(1)
    )
    if declared is not None and declared != spec.canonical():
        raise ConflictError(f"round {round_id} was uploaded to here with another spec")
    digest = hashlib.sha256(payload).hexdigest()
    upload = ShareUpload(
        round_id=round_id,
        municipality=municipality,
        payload=payload,
        sha256=digest,
        received_at=_now(now),
        spec=spec.canonical(),
    )
    try:
        with session.begin_nested():
            session.add(upload)
    except IntegrityError:
        raise ConflictError(f"{municipality} already uploaded its share for {round_id}") from None
    return upload


def _stored(session: Session, round_id: str, municipality: str) -> bool:
    """Whether municipality's share for round_id is stored already."""
    query = select(ShareUpload.id).where(
        ShareUpload.round_id == round_id, ShareUpload.municipality == municipality
    )
    return session.scalar(query) is not None


def uploaded_municipalities(session: Session, round_id: str) -> list[str]:
    """The codes of the municipalities that uploaded a share for round_id, sorted."""
    check_round_id(round_id)
    query = select(ShareUpload.municipality).where(ShareUpload.round_id == round_id)
    return sorted(session.scalars(query))


def compute_job(
    round_id: str, request: Mapping[str, Any], settings: PartySettings, today: dt.date | None = None
) -> ComputeJob:
    """The job of a compute request, with the parameters of this party's own policy.

    InvalidInputError (nothing starts) when the policy refuses the request: see
    :func:`disclosure.program_params`.
    """
    check_round_id(round_id)
    spec = RoundSpec(
        program=request["program"],
        period_start=request["period_start"],
        indicators=tuple(request["indicators"]),
        cells_per_indicator=request["cells_per_indicator"],
    )
    cohort = tuple(request["cohort"])
    policy = disclosure.Policy.from_settings(settings)
    params = disclosure.program_params(policy, spec, cohort, request["params"], today)
    return ComputeJob(
        round_id=round_id,
        attempt=request["attempt"],
        cohort=cohort,
        spec=spec,
        params=params,
        master_addr=request["master_addr"],
        master_port=request["master_port"],
        timeout=request["timeout"],
    )


def close_round(
    session: Session, round_id: str, attempt: int, *, now: dt.datetime | None = None
) -> None:
    """Close round_id for uploads and record attempt; an attempt runs at most once."""
    check_round_id(round_id)
    row = session.get(PartyRound, round_id, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    PartyRound(round_id=round_id, closed_at=_now(now), last_attempt=attempt)
                )
        except IntegrityError:
            raise ConflictError(f"round {round_id} is being computed already") from None
        return
    # One guarded UPDATE, not read-then-write: SQLite ignores FOR UPDATE, and two requests
    # for the same new attempt must not both pass.
    moved = session.execute(
        update(PartyRound)
        .where(PartyRound.round_id == round_id, PartyRound.last_attempt < attempt)
        .values(last_attempt=attempt)
        .execution_options(synchronize_session="fetch")
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"attempt {attempt} of round {round_id} was already run here")


def share_matrix(
    session: Session, round_id: str, cohort: Sequence[str], party: int, spec: RoundSpec
) -> np.ndarray:
    """This party's cities x cells share matrix, rows in cohort order.

    Every upload of the cohort must have been made for ``spec``: its precision and number of
    cells were checked against that spec when it arrived (:func:`store_upload`), so each
    payload is expanded here once, without decoding it twice.
    """
    query = select(ShareUpload).where(
        ShareUpload.round_id == round_id, ShareUpload.municipality.in_(cohort)
    )
    stored = list(session.scalars(query))
    uploads = {row.municipality: row.payload for row in stored}
    missing = [code for code in cohort if code not in uploads]
    if missing:
        raise ConflictError(f"no upload here for {', '.join(missing)} of the cohort")
    if any(row.spec != spec.canonical() for row in stored):
        raise ConflictError("the cohort's uploads were made for another round spec")
    context = sharing.ShareContext(round_id, party)
    return np.stack([sharing.expand_share(uploads[code], context) for code in cohort])


def prepare_round(session: Session, job: ComputeJob, party: int) -> np.ndarray:
    """Close the round, record the reveal in the ledger, build the share matrix.

    Commit before running: the round stays closed and the ledger keeps the cells even when
    the session fails. Raises (and the caller rolls back) before anything runs when an
    upload is missing or of another spec, or when the ledger refuses the cells.
    """
    close_round(session, job.round_id, job.attempt)
    matrix = share_matrix(session, job.round_id, job.cohort, party, job.spec)
    disclosure.record_reveal(session, job.spec, job.round_id, job.cohort, job.params)
    return matrix


def party_command(job: ComputeJob, party: int, shares: Path, out: Path) -> list[str]:
    """The one-shot party process of job: rank ``party`` of the job's program."""
    master = (job.master_addr, job.master_port)
    params = job.params.to_json()
    return runtime.party_command(party, job.program, params, shares, out, master, job.timeout)


def run_party_process(
    job: ComputeJob, party: int, matrix: np.ndarray, work_dir: Path
) -> CheckedSumResult:
    """Run this party's CrypTen process on matrix; killed (its whole group) at the deadline.

    The share matrix and the result live in a folder under ``work_dir`` that is removed
    when the attempt ends, succeeded or not (and at the next start after a kill).
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix=f"{job.round_id}-{job.attempt}-", dir=work_dir
    ) as folder:
        workdir = Path(folder)
        np.save(workdir / "shares.npy", matrix)
        out = workdir / "result.npz"
        command = party_command(job, party, workdir / "shares.npy", out)
        member = start_member(
            party, f"compute party {party}", command, workdir, "party", runtime.party_environment()
        )
        try:
            wait_for_members([member], job.timeout)
        except PartyFailedError as error:
            _log_failure(job, error.reason, member.stderr)
            raise UpstreamFailedError(
                f"the MPC of round {job.round_id} failed: {error.name} {error.reason}"
            ) from None
        finally:
            kill_all([member])
        _log_timings(job, runtime.read_timings(workdir / "party.stdout"))
        return load_result(out)


def _log_timings(job: ComputeJob, timings: runtime.PartyTimings) -> None:
    """Log the seconds the session spent in each phase (an operator's profile; no values)."""
    phases = ", ".join(f"{name} {seconds:.3f}" for name, seconds in asdict(timings).items())
    logger.info("round %s attempt %d: MPC phases (s): %s", job.round_id, job.attempt, phases)


def _log_failure(job: ComputeJob, reason: str, stderr: Path) -> None:
    """Log a failed run by reason and the exception type on stderr's last line, never text."""
    lines = [line for line in stderr.read_text(errors="replace").splitlines() if line.strip()]
    match = _EXCEPTION_TYPE.match(lines[-1]) if lines else None
    kind = match.group(1) if match else "no exception type"
    logger.warning(
        "round %s attempt %d: MPC failed: %s (stderr's last line: %s)",
        job.round_id,
        job.attempt,
        reason,
        kind,
    )


def result_document(result: CheckedSumResult, job: ComputeJob) -> PartyResult:
    """The protocol's result of what the session revealed (suppressed values are None), with
    the rules this party applied to it (its job's parameters)."""
    invalid = [job.cohort[int(index)] for index in result.invalid_cities]
    values, reasons = result.values.tolist(), result.reasons.tolist()
    rules = job.params.applied(job.spec.cell_indicators(default_catalog()), reasons)
    return PartyResult.of(values, reasons, invalid, result.contributors, rules)


def build_report(job: ComputeJob, result: PartyResult, settings: PartySettings) -> dict[str, Any]:
    """The signed report: attempt, result and an EdDSA JWS over the result's sha256."""
    private_key = read_private_key(settings.effective_key_file)
    claims = {"round_id": job.round_id, "attempt": job.attempt, "result_sha256": result.sha256()}
    kid = key_id(private_key.public_key())
    signature = jwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": kid})
    return {"attempt": job.attempt, "result": result.document(), "signature": signature}


def send_report(
    job: ComputeJob, report: Mapping[str, Any], settings: PartySettings, client: httpx.Client
) -> None:
    """POST the report to the hub with a fresh party token; UpstreamFailedError if refused."""
    signer = Signer(
        read_private_key(settings.effective_key_file), role="party", member=settings.member
    )
    url = f"{settings.hub_url.rstrip('/')}/api/v1/rounds/{job.round_id}/reports"
    try:
        response = client.post(url, json=dict(report), headers=signer.headers(HUB_AUDIENCE))
    except httpx.HTTPError as error:
        raise UpstreamFailedError(f"the hub could not be reached: {type(error).__name__}") from None
    if not response.is_success:
        raise UpstreamFailedError(f"the hub refused the report: HTTP {response.status_code}")


def compute_and_report(
    job: ComputeJob, matrix: np.ndarray, settings: PartySettings, client: httpx.Client
) -> str:
    """Run the MPC on matrix, report the signed result to the hub; its sha256."""
    outcome = run_party_process(job, settings.index, matrix, settings.work_dir)
    result = result_document(outcome, job)
    send_report(job, build_report(job, result, settings), settings, client)
    return result.sha256()
