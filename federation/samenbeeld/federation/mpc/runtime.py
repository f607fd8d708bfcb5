"""The one runtime of a session: one CrypTen party per OS process, plus the triple dealer.

Every session runs the same way, product and tests alike: each compute party service forks
one party process (:mod:`party_main`, via :mod:`warm_start`) on its own share matrix, the
hub forks the triple dealer (:mod:`dealer`), and :mod:`supervisor` watches them under a
deadline. This module holds what runs inside a party process (:func:`run_party_program`:
load the shares, join the rendezvous, run the program, leave) and the command lines and
environment the services start them with (:func:`party_command`, :func:`dealer_command`,
:func:`party_environment`), defined once.

CrypTen 0.4.1 calls ``torch.distributed.init_process_group`` and ``new_group`` without a
timeout, so a party that never shows up would keep the others waiting for torch's default
(30 minutes for gloo). :func:`compat.distributed_timeout` supplies one while
``crypten.init()`` runs; it covers the rendezvous and every later collective on CrypTen's
groups.

Multiplication triples come from CrypTen's TTP provider: the dealer joins the same
rendezvous as rank ``WORLD_SIZE`` and never receives shares. A party reads its provider from
``SAMENBEELD_MPC_PROVIDER`` (``ttp``, the default, or ``tfp``) and refuses to start with
CrypTen's trusted-first-party provider unless ``SAMENBEELD_MPC_DEV=1``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

import numpy as np

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc.supervisor import Member, first_line, kill_all, start_member
from samenbeeld.platform.errors import SamenbeeldError

WORLD_SIZE = 3
DEALER_RANK = WORLD_SIZE
"""CrypTen puts the TTP at rank ``world_size``: one past the last compute party."""
DEALER_NAME = f"triple dealer (rank {DEALER_RANK})"
PROVIDER_ENV = "SAMENBEELD_MPC_PROVIDER"
DEV_ENV = "SAMENBEELD_MPC_DEV"
PROVIDERS = ("ttp", "tfp")
RENDEZVOUS_SCHEME = "samenbeeld"
"""The rendezvous URL scheme whose store the dealer hosts (:func:`host_store`)."""
R = TypeVar("R")


class ProviderRefusedError(SamenbeeldError):
    """The party's triple provider is unknown, or is the dev-only TFP without the dev flag."""


class RendezvousError(SamenbeeldError):
    """A party could not reach the others within its timeout (one never showed up)."""


@dataclass(frozen=True)
class PartyTimings:
    """Seconds one party spent in each phase (measured inside the party process)."""

    load_s: float
    import_s: float
    rendezvous_s: float
    compute_s: float
    """Secure sum, reveal and decode."""
    shutdown_s: float


# --- party side ---------------------------------------------------------------------------


def configure_environment(rank: int, world_size: int, addr: str, port: int) -> None:
    """Set the variables CrypTen's DistributedCommunicator reads (upper-case names)."""
    os.environ.update(
        {
            "DISTRIBUTED_BACKEND": "gloo",
            "RENDEZVOUS": f"{RENDEZVOUS_SCHEME}://{addr}:{port}",
            "WORLD_SIZE": str(world_size),
            "RANK": str(rank),
        }
    )


def require_provider() -> str:
    """The provider from ``SAMENBEELD_MPC_PROVIDER``; TFP only with ``SAMENBEELD_MPC_DEV=1``."""
    provider = os.environ.get(PROVIDER_ENV, "ttp").strip().lower() or "ttp"
    if provider not in PROVIDERS:
        raise ProviderRefusedError(f"{PROVIDER_ENV}={provider!r}: expected one of {PROVIDERS}")
    if provider == "tfp" and os.environ.get(DEV_ENV) != "1":
        raise ProviderRefusedError(
            f"refusing to start with {PROVIDER_ENV}=tfp: CrypTen's trusted-first-party provider "
            f"lets party 0 generate every multiplication triple and is for development only; "
            f"use the TTP dealer ({PROVIDER_ENV}=ttp) or set {DEV_ENV}=1 on a dev machine"
        )
    return provider


_hosted_store: Any = None
"""The session's rendezvous store when this process hosts it (the dealer), else None."""


def host_store(addr: str, port: int, timeout: float) -> int:
    """Open the session's rendezvous store in this process; the port it listens on.

    The dealer does this before anything else (port 0: a port the OS picks, so no port is
    probed free and taken by another process before it is bound) and prints the port, which
    the hub then names in its compute requests. The store is up before any party starts, so
    no member is refused and left in the store client's back-off of up to a second.
    """
    import torch.distributed as dist

    global _hosted_store
    _hosted_store = dist.TCPStore(  # type: ignore[attr-defined]  # exported, not declared
        addr,
        port,
        WORLD_SIZE + 1,
        is_master=True,
        timeout=dt.timedelta(seconds=timeout),
        wait_for_workers=False,
    )
    return int(_hosted_store.port)


def _store_rendezvous(url: str, timeout: dt.timedelta, **_: Any) -> Iterator[tuple[Any, int, int]]:
    """torch's rendezvous handler for ``samenbeeld://addr:port``: the dealer's store.

    In the dealer, the store it hosts; in a party, a client of it. (torch's own ``tcp://``
    makes rank 0 the host, which the others may reach before it listens.)
    """
    import torch.distributed as dist

    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    rank, world_size = int(query["rank"][0]), int(query["world_size"][0])
    store = _hosted_store
    if store is None:
        assert parsed.hostname is not None and parsed.port is not None
        store = dist.TCPStore(  # type: ignore[attr-defined]  # exported, not declared
            parsed.hostname, parsed.port, world_size, False, timeout=timeout
        )
    yield store, rank, world_size
    raise RendezvousError("a session does not rendezvous twice")


def _register_rendezvous() -> None:
    """Make ``samenbeeld://`` known to torch (once per process)."""
    # torch.distributed.rendezvous is also the name of a function in torch.distributed
    handlers = importlib.import_module("torch.distributed.rendezvous")
    with suppress(RuntimeError):  # registered already
        handlers.register_rendezvous_handler(RENDEZVOUS_SCHEME, _store_rendezvous)


def join_parties(
    crypten: Any,
    rank: int,
    addr: str,
    port: int,
    timeout: float,
    provider: str = "ttp",
    *,
    world_size: int = WORLD_SIZE,
    name: str | None = None,
) -> None:
    """Rendezvous with the others (and the dealer for ``ttp``) via ``crypten.init()``.

    The dealer joins through here too, as rank ``world_size`` and ``name="dealer"``.
    """
    import torch.distributed as dist

    configure_environment(rank, world_size, addr, port)
    _register_rendezvous()
    crypten.cfg["mpc.provider"] = provider.upper()
    try:
        with crypten_compat.distributed_timeout(timeout):
            crypten.init()
    except dist.DistError as error:
        who = name or f"party {rank}"
        message = f"{who}: rendezvous at tcp://{addr}:{port} failed within {timeout:g} s"
        raise RendezvousError(f"{message}: {error}") from error


def load_shares(path: Path) -> np.ndarray:
    """Load one party's share matrix: int64 ring elements, cities x cells."""
    shares: np.ndarray = np.load(path, allow_pickle=False)
    if shares.dtype != np.int64 or shares.ndim != 2:
        raise ValueError(f"{path}: expected a 2-d int64 share matrix, got {shares.dtype}")
    return shares


def run_party_program(
    rank: int,
    addr: str,
    port: int,
    shares_path: Path,
    timeout: float,
    compute: Callable[[Any, np.ndarray], R],
) -> tuple[R, PartyTimings]:
    """Run one party of ``compute(crypten, shares)``; returns its result and phase timings."""
    provider = require_provider()
    marks = [time.perf_counter()]
    shares = load_shares(shares_path)
    marks.append(time.perf_counter())
    crypten = crypten_compat.import_crypten()
    marks.append(time.perf_counter())
    join_parties(crypten, rank, addr, port, timeout, provider)
    marks.append(time.perf_counter())
    try:
        result = compute(crypten, shares)
        marks.append(time.perf_counter())
    finally:
        crypten.uninit()
    marks.append(time.perf_counter())
    steps = [later - earlier for earlier, later in zip(marks, marks[1:], strict=False)]
    return result, PartyTimings(*steps)


def entry_point(who: str, world_size: int, work: Callable[[], Mapping[str, Any]]) -> int:
    """A session process's exit code around ``work``, which returns the process's report.

    2 for a world size other than :data:`WORLD_SIZE`; 1 with ``<who> failed: <error>`` on
    stderr when ``work`` raises; else 0, after printing the report (JSON) as the last line
    on stdout (:func:`read_timings` reads a party's).
    """
    if world_size != WORLD_SIZE:
        print(f"world size must be {WORLD_SIZE}, got {world_size}", file=sys.stderr)
        return 2
    try:
        report = work()
    except (OSError, ValueError, SamenbeeldError) as error:
        print(f"{who} failed: {error}", file=sys.stderr)
        return 1
    print(json.dumps(dict(report)), flush=True)
    return 0


# --- the session's commands: what the party services and the hub start -----------------------


def party_command(
    rank: int,
    program: str,
    params_json: str,
    shares: Path,
    out: Path,
    master: tuple[str, int],
    timeout: float,
) -> list[str]:
    """The one-shot process of compute party ``rank`` for one session of ``program``."""
    addr, port = master
    return [
        sys.executable,
        "-m",
        "samenbeeld.federation.mpc.party_main",
        *("--rank", str(rank), "--master-addr", addr, "--master-port", str(port)),
        *("--shares", str(shares), "--out", str(out), "--timeout", str(timeout)),
        *("--program", program, "--params", params_json),
    ]


def dealer_command(master: tuple[str, int], timeout: float) -> list[str]:
    """The triple dealer of one session (rank ``WORLD_SIZE``; it takes no shares at all)."""
    addr, port = master
    return [
        sys.executable,
        "-m",
        "samenbeeld.federation.mpc.dealer",
        *("--world-size", str(WORLD_SIZE), "--master-addr", addr),
        *("--master-port", str(port), "--timeout", str(timeout)),
    ]


def start_dealer(
    master: tuple[str, int], timeout: float, workdir: Path, env: Mapping[str, str] | None = None
) -> tuple[Member, int]:
    """Start the session's triple dealer; it and the rendezvous port it listens on.

    ``master``'s port 0 lets the dealer's OS pick the port. Returns once the dealer's store
    listens (its first stdout line), so the parties can be started with that port.
    PartyFailedError naming the dealer if it fails first.
    """
    member = start_member(
        DEALER_RANK, DEALER_NAME, dealer_command(master, timeout), workdir, "dealer", env
    )
    try:
        announced = first_line(member, workdir / "dealer.stdout", timeout)
        return member, int(json.loads(announced)["rendezvous_port"])
    except BaseException:
        kill_all([member])
        raise


def party_environment(provider: str = "ttp") -> dict[str, str]:
    """A party process's environment: the provider; the dev flag only for ``tfp``."""
    if provider not in PROVIDERS:
        raise ValueError(f"provider must be one of {PROVIDERS}, got {provider!r}")
    env = {key: value for key, value in os.environ.items() if key != DEV_ENV}
    env[PROVIDER_ENV] = provider
    if provider == "tfp":
        env[DEV_ENV] = "1"
    return env


def read_timings(stdout: Path) -> PartyTimings:
    """The timings line a party printed last on its stdout."""
    last = [line for line in stdout.read_text().splitlines() if line.strip()][-1]
    return PartyTimings(**json.loads(last))
