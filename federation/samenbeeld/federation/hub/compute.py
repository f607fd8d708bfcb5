"""The hub drives one attempt of a round over HTTP: quorum, dealer, three parties, verdict.

1. Ask each party which municipalities uploaded their share (codes only); the cohort is
   the sorted intersection, so an upload that reached only one or two parties is never used.
2. Below the quorum (``min_contributors``) the attempt fails cleanly; nothing is computed.
   For a checked sum over indicators with a differential-privacy release policy, each one's
   yearly budget is charged first (:func:`charge_budget`); a round that would exceed one
   is refused (409) before anything starts.
3. Otherwise the round becomes ``computing`` as a new attempt, the hub starts the triple
   dealer (it deals triples, never sees shares) and asks the three parties, concurrently, to
   compute; each party posts its signed report to the hub's API before it answers.
4. The verdict is :func:`reports.verify_and_release` on the stored reports: identical and
   signed → released; anything else → failed, with the reason (names, never values).

The compute request carries the round's spec (program, period, indicators) and the hub's
rules (:func:`program_params`): the minimum of contributors and, for sums, the dominance
threshold. Each party checks both against its own policy and catalog and computes with its
own rules, which the hub's can only make stricter (:mod:`samenbeeld.federation.party.disclosure`):
the checked sum with each cell's catalog ``max``, or a count of cities (``histogram`` over
one one-hot segment per indicator, ``spike_count`` over 0/1 flags). Counts of
cities get no dominance rule: it guards a *sum* against one large contributor, while here
every valid city adds exactly 0 or 1 to a cell, so no city outweighs another. What a count
can still show, that all (or all but one) counted cities share a bucket or a spike flag, the
parties withhold themselves (``concentrated``, see :mod:`samenbeeld.federation.mpc.counts`),
and the serving side withholds again. Counts get no DP noise either: the release contract
is an exact number of cities, and a yearly ε ledger would cover the sums; noisy counts
would need their own budget.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from samenbeeld.federation.hub import budget, reports
from samenbeeld.federation.hub import rounds as hub_rounds
from samenbeeld.federation.mpc import runtime
from samenbeeld.federation.mpc.supervisor import PartyFailedError, kill_all, remove_leftovers
from samenbeeld.federation.protocol import RoundSpec
from samenbeeld.platform.catalog import default_catalog
from samenbeeld.platform.errors import DisclosureRefusedError
from samenbeeld.platform.models.hub import Round
from samenbeeld.platform.settings import HubSettings, audience_for
from samenbeeld.platform.tokens import Signer

STALE_MARGIN_S = 60.0
"""An attempt still ``computing`` this long after its timeout was interrupted."""
BOOT_ID = uuid.uuid4().hex
"""This hub process's id, recorded with every attempt it drives."""
logger = logging.getLogger(__name__)


def party_cohort(
    client: httpx.Client, signer: Signer, parties: Sequence[str], round_id: str
) -> list[str]:
    """Municipalities whose upload every party holds, sorted."""
    held: list[set[str]] = []
    for index, url in enumerate(parties):
        response = client.get(
            f"{url}/api/v1/rounds/{round_id}/shares",
            headers=signer.headers(audience_for("party", str(index))),
        )
        response.raise_for_status()
        held.append(set(response.json()["municipalities"]))
    return sorted(set.intersection(*held))


def program_params(row: Round, settings: HubSettings) -> dict[str, Any]:
    """The hub's rules for the round's program; each party applies its own if stricter."""
    if row.program == "checked_sum":
        return {
            "min_contributors": settings.min_contributors,
            "dominance": settings.dominance_threshold,
        }
    return {"min_contributors": settings.min_contributors}


def recover_after_restart(sessions: sessionmaker[Session], settings: HubSettings) -> list[str]:
    """At start: remove a killed hub's dealer folders, fail the attempts it was driving."""
    removed = remove_leftovers(settings.work_dir)
    with sessions.begin() as session:
        failed = hub_rounds.fail_orphaned_attempts(session, BOOT_ID)
    if removed or failed:
        logger.warning(
            "after a restart: removed %d work folder(s), failed the interrupted attempts of %s",
            removed,
            ", ".join(failed) or "no round",
        )
    return failed


def charge_budget(
    sessions: sessionmaker[Session], round_id: str, spec: RoundSpec, attempt: int
) -> None:
    """Charge every noisy indicator's yearly budget for ``attempt``, before any party is asked.

    Committed on its own, so an attempt that fails later keeps its charge (its noisy values
    may have been opened). DisclosureRefusedError (409) when a charge would exceed an
    indicator's budget: nothing is charged, no attempt starts, and the round records why.
    """
    try:
        with sessions.begin() as session:
            budget.charge_round(session, round_id, spec, attempt, default_catalog())
    except DisclosureRefusedError as refusal:
        with sessions.begin() as session:
            hub_rounds.note_refusal(session, round_id, f"refused: {refusal}")
        raise


def rendezvous(settings: HubSettings) -> tuple[str, int]:
    """Where the session's members meet: the dealer, which this hub starts, hosts the store
    at the configured address and port (the hub's address on the parties' private network),
    or by default on this host at a port its OS picks (every service on one host)."""
    return settings.mpc_master_addr, settings.mpc_master_port


def _ask_party(
    client: httpx.Client, signer: Signer, url: str, index: int, round_id: str, body: dict[str, Any]
) -> str:
    """POST compute to one party; '' on success, else the reason (no values)."""
    try:
        response = client.post(
            f"{url}/api/v1/rounds/{round_id}/compute",
            json=body,
            headers=signer.headers(audience_for("party", str(index))),
            timeout=float(body["timeout"]) + 30,
        )
    except httpx.HTTPError as error:
        return f"compute party {index} did not answer ({type(error).__name__})"
    if response.status_code != 200:
        return f"compute party {index} answered {response.status_code}{_detail(response)}"
    return ""


def _detail(response: httpx.Response) -> str:
    """': ' and a problem's detail (a party's refusal names rules, never values), or ''."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        return ""
    return f": {str(detail)[:120]}" if detail else ""


def compute_round(
    sessions: sessionmaker[Session],
    settings: HubSettings,
    client: httpx.Client,
    signer: Signer,
    round_id: str,
    *,
    timeout: float = 120.0,
) -> Round:
    """Run one attempt of ``round_id``; returns the round in its final state of the attempt."""
    with sessions.begin() as session:
        stale = dt.timedelta(seconds=timeout + STALE_MARGIN_S)
        row = hub_rounds.reclaim_interrupted(session, round_id, stale)
        state, attempt = row.state, row.attempt
        spec = hub_rounds.spec(row)
        params = program_params(row, settings)
    if state not in ("open", "failed"):
        with sessions.begin() as session:
            return hub_rounds.get_round(session, round_id)
    cohort = party_cohort(client, signer, settings.parties, round_id)
    if len(cohort) < settings.min_contributors:
        with sessions.begin() as session:
            reason = (
                f"quorum not reached: {len(cohort)} of {settings.min_contributors} contributors"
            )
            hub_rounds.fail_round(session, round_id, reason)
            return hub_rounds.get_round(session, round_id)
    charge_budget(sessions, round_id, spec, attempt + 1)
    with sessions.begin() as session:
        attempt = hub_rounds.start_attempt(session, round_id, cohort, BOOT_ID).attempt
    body = {
        "attempt": attempt, "cohort": cohort, "program": spec.program,
        "period_start": spec.period_start.isoformat(), "indicators": list(spec.indicators),
        "cells_per_indicator": spec.cells_per_indicator, "params": params, "timeout": timeout,
    }  # fmt: skip
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dealer-", dir=settings.work_dir) as folder:
        host, port = rendezvous(settings)
        try:
            dealer, port = runtime.start_dealer((host, port), timeout, Path(folder))
        except PartyFailedError as error:
            problems = [f"{error.name} {error.reason}"]
        else:
            try:
                body |= {"master_addr": host, "master_port": port}
                with ThreadPoolExecutor(max_workers=3) as pool:
                    asks = [
                        pool.submit(_ask_party, client, signer, url, index, round_id, body)
                        for index, url in enumerate(settings.parties)
                    ]
                    problems = [reason for future in asks if (reason := future.result())]
            finally:
                kill_all([dealer])
    with sessions.begin() as session:
        row = reports.verify_and_release(session, round_id)
        if row.state == "computing":
            hub_rounds.fail_round(session, round_id, "; ".join(problems) or "reports missing")
        return row
