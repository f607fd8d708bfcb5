"""Compute-party runtime: one CrypTen party per OS process, and a supervisor for three.

A party loads its additive share matrix (int64 ring elements, cities x cells, all cities
in one tensor), joins the gloo rendezvous, computes the column sum over cities inside MPC
and reveals only that sum, decoded exactly with :func:`crypten_compat.decode_ring`.

CrypTen 0.4.1 calls ``torch.distributed.init_process_group`` and ``new_group`` without a
timeout, so a party that never shows up would keep the others waiting for torch's default
(30 minutes for gloo). :func:`crypten_compat.distributed_timeout` supplies one while
``crypten.init()`` runs; it covers the rendezvous and every later collective on CrypTen's groups.

Multiplication triples come from CrypTen's TTP provider by default: a fourth process,
the triple dealer (:mod:`samenbeeld.federation.mpc.dealer`, rank ``WORLD_SIZE``), joins the same
rendezvous and never receives shares. The party reads its provider from
``SAMENBEELD_MPC_PROVIDER`` (``ttp``, the default, or ``tfp``) and refuses to start with
CrypTen's trusted-first-party provider unless ``SAMENBEELD_MPC_DEV=1``; the supervisor sets
both for its parties.

The supervisor (:func:`run_secure_sum`) never hangs: it polls the three parties and the
dealer under an overall deadline and kills every process group as soon as one fails.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc.supervisor import (
    Member,
    kill_all,
    start_member,
    wait_for_members,
    write_manifest,
)
from samenbeeld.federation.mpc.supervisor import PartyFailedError as PartyFailedError  # re-export
from samenbeeld.federation.mpc.supervisor import find_free_port as find_free_port  # re-export
from samenbeeld.platform.errors import SamenbeeldError

WORLD_SIZE = 3
DEALER_RANK = WORLD_SIZE
"""CrypTen puts the TTP at rank ``world_size``: one past the last compute party."""
DEALER_NAME = f"triple dealer (rank {DEALER_RANK})"
PROVIDER_ENV = "SAMENBEELD_MPC_PROVIDER"
DEV_ENV = "SAMENBEELD_MPC_DEV"
PROVIDERS = ("ttp", "tfp")
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


@dataclass(frozen=True)
class SumTimings:
    """Wall-clock seconds of one secure sum, seen by the supervisor and by rank 0."""

    total_s: float
    startup_s: float
    """Everything but rank 0's compute: process start, imports, rendezvous, shutdown."""
    compute_s: float
    """Rank 0's secure sum plus reveal and decode."""
    parties: tuple[PartyTimings, ...]


@dataclass(frozen=True)
class SecureSumResult:
    """The decoded column sum and how long it took."""

    values: np.ndarray
    timings: SumTimings


# --- party side ---------------------------------------------------------------------------


def configure_environment(rank: int, world_size: int, addr: str, port: int) -> None:
    """Set the variables CrypTen's DistributedCommunicator reads (upper-case names)."""
    os.environ.update(
        {
            "DISTRIBUTED_BACKEND": "gloo",
            "RENDEZVOUS": f"tcp://{addr}:{port}",
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


def secure_column_sum(crypten: Any, shares: np.ndarray) -> np.ndarray:
    """Sum the shared matrix over cities inside MPC and reveal only the decoded sum."""
    import torch

    matrix = crypten.mpc.MPCTensor.from_shares(
        torch.from_numpy(shares), precision=crypten_compat.PRECISION_BITS
    )
    return crypten_compat.decode_ring(matrix.sum(dim=0).reveal())


def run_party(
    rank: int, addr: str, port: int, shares_path: Path, timeout: float
) -> tuple[np.ndarray, PartyTimings]:
    """Run one party of the secure sum; returns the decoded sum and the phase timings."""
    return run_party_program(rank, addr, port, shares_path, timeout, secure_column_sum)


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


# --- supervisor side ----------------------------------------------------------------------


def _party_command(rank: int, port: int, shares: Path, out: Path, timeout: float) -> list[str]:
    """The command line that starts party ``rank``."""
    return [
        sys.executable,
        "-m",
        "samenbeeld.federation.mpc.party_main",
        *("--rank", str(rank), "--world-size", str(WORLD_SIZE)),
        *("--master-addr", "127.0.0.1", "--master-port", str(port)),
        *("--shares", str(shares), "--out", str(out), "--timeout", str(timeout)),
    ]


def _dealer_command(port: int, timeout: float) -> list[str]:
    """The command line that starts the triple dealer (it takes no shares at all)."""
    return [
        sys.executable,
        "-m",
        "samenbeeld.federation.mpc.dealer",
        *("--world-size", str(WORLD_SIZE), "--master-addr", "127.0.0.1"),
        *("--master-port", str(port), "--timeout", str(timeout)),
    ]


def _party_environment(provider: str) -> dict[str, str]:
    """The parties' environment: the provider, and the dev flag only for ``tfp``."""
    if provider not in PROVIDERS:
        raise ValueError(f"provider must be one of {PROVIDERS}, got {provider!r}")
    env = {key: value for key, value in os.environ.items() if key != DEV_ENV}
    env[PROVIDER_ENV] = provider
    if provider == "tfp":
        env[DEV_ENV] = "1"
    return env


def _start_parties(
    share_files: list[Path],
    workdir: Path,
    timeout: float,
    members: list[Member],
    extra_args: Sequence[str] = (),
    suffix: str = ".npy",
    provider: str = "ttp",
) -> None:
    """Start the parties (and the dealer for ``ttp``) into ``members``, one group each."""
    env = _party_environment(provider)
    port = find_free_port()
    for rank, shares in enumerate(share_files):
        out = workdir / f"party{rank}{suffix}"
        command = [*_party_command(rank, port, shares, out, timeout), *extra_args]
        members.append(
            start_member(rank, f"compute party {rank}", command, workdir, f"party{rank}", env)
        )
    if provider == "ttp":
        command = _dealer_command(port, timeout)
        members.append(start_member(DEALER_RANK, DEALER_NAME, command, workdir, "dealer", env))


def _last_line(path: Path) -> str:
    """The last non-empty line of a text file (a party's timings line)."""
    return [line for line in path.read_text().splitlines() if line.strip()][-1]


def _collect(workdir: Path) -> tuple[np.ndarray, tuple[PartyTimings, ...]]:
    """Load the three results, check that they are identical, read each party's timings."""
    results = [np.load(workdir / f"party{rank}.npy") for rank in range(WORLD_SIZE)]
    for rank, result in enumerate(results[1:], start=1):
        if not np.array_equal(result, results[0]):
            raise PartyFailedError(rank, "revealed a different result than party 0")
    return results[0], read_timings(workdir)


def read_timings(workdir: Path) -> tuple[PartyTimings, ...]:
    """Read the timings line each party printed last on its stdout."""
    return tuple(
        PartyTimings(**json.loads(_last_line(workdir / f"party{rank}.stdout")))
        for rank in range(WORLD_SIZE)
    )


def run_parties(
    share_files: list[Path],
    workdir: Path,
    timeout: float,
    extra_args: Sequence[str] = (),
    suffix: str = ".npy",
    provider: str = "ttp",
) -> float:
    """Run the three parties (outputs ``party<rank><suffix>``) and, for ``ttp``, the dealer.

    Returns the wall-clock seconds. ``processes.json`` in ``workdir`` records every
    process's pid and exit code afterwards.
    """
    if len(share_files) != WORLD_SIZE:
        raise ValueError(f"expected {WORLD_SIZE} share files, got {len(share_files)}")
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    members: list[Member] = []
    try:
        files = [Path(f) for f in share_files]
        _start_parties(files, workdir, timeout, members, extra_args, suffix, provider)
        wait_for_members(members, timeout)
    finally:
        kill_all(members)
        write_manifest(members, workdir)
    return time.perf_counter() - started


def run_secure_sum_timed(
    share_files: list[Path], workdir: Path, timeout: float, provider: str = "ttp"
) -> SecureSumResult:
    """Run the three parties on their share files; return the sum and its timings."""
    workdir = Path(workdir)
    total = run_parties(share_files, workdir, timeout, provider=provider)
    values, parties = _collect(workdir)
    compute = parties[0].compute_s
    return SecureSumResult(values, SumTimings(total, total - compute, compute, parties))


def run_secure_sum(
    share_files: list[Path], workdir: Path, timeout: float, provider: str = "ttp"
) -> np.ndarray:
    """Securely sum the shared matrices over cities; returns the decoded column sum."""
    return run_secure_sum_timed(share_files, workdir, timeout, provider).values
