"""Drive rounds over the services' HTTP APIs, as the hub's operator (or Airflow) does.

Every call carries a fresh hub token for its audience. ``run_round`` is one round end to
end: open it at the hub, ask every node to contribute (concurrently; a node that is down
or refuses is recorded, not fatal), then ask the hub to compute, and return the outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from samenbeeld.api.errors import DISCLOSURE_REFUSED
from samenbeeld.platform.errors import SamenbeeldError
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.tokens import Signer

HUB = audience_for("hub", "hub")
CONTRIBUTE_WORKERS = 8


@dataclass(frozen=True)
class RoundOutcome:
    """What became of one round: its state, the released cells, who contributed."""

    round: dict[str, Any]
    releases: list[dict[str, Any]]
    contributions: dict[str, str]
    """Per municipality: ``contributed``, ``already contributed`` (every party held the same
    upload already), ``not opted in``, or why the node failed."""


def _check(response: httpx.Response, allowed: Sequence[int] = (200, 201)) -> dict[str, Any]:
    """The JSON body of an expected answer; raise with the problem detail otherwise."""
    if response.status_code not in allowed:
        detail = response.json().get("detail", "") if response.content else ""
        raise httpx.HTTPStatusError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{detail}",
            request=response.request,
            response=response,
        )
    body: dict[str, Any] = response.json()
    return body


def open_round(
    client: httpx.Client, hub: str, signer: Signer, round_id: str, indicators: Sequence[str],
    period_start: dt.date, cells_per_indicator: int = 1, program: str = "checked_sum",
) -> dict[str, Any]:  # fmt: skip
    """Open the round at the hub (an existing round with this id is fine: idempotent)."""
    body = {
        "id": round_id,
        "indicators": list(indicators),
        "period_start": period_start.isoformat(),
        "cells_per_indicator": cells_per_indicator,
        "program": program,
    }
    response = client.post(f"{hub}/api/v1/rounds", json=body, headers=signer.headers(HUB))
    if response.status_code == 409:
        existing = client.get(f"{hub}/api/v1/rounds/{round_id}", headers=signer.headers(HUB))
        if existing.status_code == 200:
            return _check(existing)
    return _check(response)


def get_round(client: httpx.Client, hub: str, signer: Signer, round_id: str) -> dict[str, Any]:
    """The round's state at the hub."""
    return _check(client.get(f"{hub}/api/v1/rounds/{round_id}", headers=signer.headers(HUB)))


def cohort(client: httpx.Client, hub: str, signer: Signer, round_id: str) -> dict[str, Any]:
    """How many contributions every party holds, and the quorum (counts only)."""
    response = client.get(f"{hub}/api/v1/rounds/{round_id}/cohort", headers=signer.headers(HUB))
    return _check(response)


def _contribute(
    client: httpx.Client, signer: Signer, code: str, url: str, round_id: str, body: dict[str, Any]
) -> str:
    """Ask one node to contribute; a short outcome, never the node's values."""
    headers = signer.headers(audience_for("node", code))
    try:
        response = client.post(
            f"{url}/api/v1/rounds/{round_id}/contribute", json=body, headers=headers
        )
    except httpx.HTTPError as error:
        return f"unreachable ({type(error).__name__})"
    if response.status_code != 200:
        return f"failed ({response.status_code})"
    answer = response.json()
    if not answer.get("contributed"):
        return str(answer.get("reason", "declined"))
    outcomes = {party.get("outcome") for party in answer.get("parties", [])}
    return "already contributed" if outcomes == {"duplicate"} else "contributed"


def request_contributions(
    client: httpx.Client, signer: Signer, nodes: Mapping[str, str], round_id: str,
    indicators: Sequence[str], period_start: dt.date, program: str = "checked_sum",
) -> dict[str, str]:  # fmt: skip
    """Ask every node (code → base URL) to contribute, concurrently; outcome per code."""
    body = {
        "indicators": list(indicators),
        "period_start": period_start.isoformat(),
        "program": program,
    }
    with ThreadPoolExecutor(max_workers=CONTRIBUTE_WORKERS) as pool:
        futures = {
            code: pool.submit(_contribute, client, signer, code, url, round_id, body)
            for code, url in nodes.items()
        }
        return {code: future.result() for code, future in futures.items()}


class RoundRefusedError(SamenbeeldError):
    """The hub refused to compute the round (a disclosure rule, not a fault)."""


def compute(
    client: httpx.Client, hub: str, signer: Signer, round_id: str, timeout: float = 120.0
) -> dict[str, Any]:
    """Ask the hub to run an attempt; the round's state afterwards.

    RoundRefusedError when the hub refuses the round before any attempt (a privacy budget
    that the release would exceed): a retry would be refused too.
    """
    body: dict[str, Any] = {"timeout": timeout}
    response = client.post(
        f"{hub}/api/v1/rounds/{round_id}/compute", json=body, headers=signer.headers(HUB),
        timeout=timeout + 60,
    )  # fmt: skip
    if response.status_code == 409 and response.json().get("type") == DISCLOSURE_REFUSED:
        raise RoundRefusedError(f"round {round_id} refused: {response.json().get('detail')}")
    return _check(response)


def releases(client: httpx.Client, hub: str, signer: Signer, round_id: str) -> list[dict[str, Any]]:
    """The released cells of a round."""
    response = client.get(f"{hub}/api/v1/rounds/{round_id}/releases", headers=signer.headers(HUB))
    if response.status_code != 200:
        _check(response)
    body: list[dict[str, Any]] = response.json()
    return body


def run_round(
    client: httpx.Client, hub: str, signer: Signer, nodes: Mapping[str, str], round_id: str,
    indicators: Sequence[str], period_start: dt.date, timeout: float = 120.0,
    program: str = "checked_sum",
) -> RoundOutcome:  # fmt: skip
    """Open, collect contributions, compute; the outcome (released or failed)."""
    open_round(client, hub, signer, round_id, indicators, period_start, program=program)
    outcomes = request_contributions(
        client, signer, nodes, round_id, indicators, period_start, program
    )
    state = compute(client, hub, signer, round_id, timeout)
    return RoundOutcome(state, releases(client, hub, signer, round_id), outcomes)
