"""Compute-party runtime: one CrypTen party per OS process, and a supervisor for three.

A party loads its additive share matrix (int64 ring elements, cities x cells, all cities
in one tensor), joins the gloo rendezvous, computes the column sum over cities inside MPC
and reveals only that sum, decoded exactly with :func:`crypten_compat.decode_ring`.

CrypTen 0.4.1 calls ``torch.distributed.init_process_group`` and ``new_group`` without a
timeout, so a party that never shows up would keep the others waiting for torch's default
(30 minutes for gloo). :func:`crypten_compat.distributed_timeout` supplies one while
``crypten.init()`` runs; it covers the rendezvous and every later collective on CrypTen's groups.

The supervisor (:func:`run_secure_sum`) never hangs: it polls the three processes under
an overall deadline and kills every process group as soon as one party fails.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from samenbeeld.federation import crypten_compat
from samenbeeld.platform.errors import SamenbeeldError

Popen = subprocess.Popen[bytes]
WORLD_SIZE = 3
STDERR_TAIL_LINES = 15
_POLL_SECONDS = 0.02
R = TypeVar("R")


class PartyFailedError(SamenbeeldError):
    """A compute party exited non-zero, timed out, or disagreed with the others."""

    def __init__(self, party: int, reason: str, stderr_tail: str = "") -> None:
        self.party = party
        self.reason = reason
        self.stderr_tail = stderr_tail
        detail = (
            f"\n--- party {party} stderr (last lines) ---\n{stderr_tail}" if stderr_tail else ""
        )
        super().__init__(f"compute party {party} failed: {reason}{detail}")


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


def join_parties(crypten: Any, rank: int, addr: str, port: int, timeout: float) -> None:
    """Rendezvous with the other parties via ``crypten.init()``, failing after ``timeout``."""
    import torch.distributed as dist

    configure_environment(rank, WORLD_SIZE, addr, port)
    try:
        with crypten_compat.distributed_timeout(timeout):
            crypten.init()
    except dist.DistError as error:
        message = f"party {rank}: rendezvous at tcp://{addr}:{port} failed within {timeout:g} s"
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
    marks = [time.perf_counter()]
    shares = load_shares(shares_path)
    marks.append(time.perf_counter())
    crypten = crypten_compat.import_crypten()
    marks.append(time.perf_counter())
    join_parties(crypten, rank, addr, port, timeout)
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


def find_free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a free TCP port (it may be taken again before rank 0 binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _party_command(rank: int, port: int, shares: Path, out: Path, timeout: float) -> list[str]:
    """The command line that starts party ``rank``."""
    return [
        sys.executable,
        "-m",
        "samenbeeld.federation.party_main",
        *("--rank", str(rank), "--world-size", str(WORLD_SIZE)),
        *("--master-addr", "127.0.0.1", "--master-port", str(port)),
        *("--shares", str(shares), "--out", str(out), "--timeout", str(timeout)),
    ]


def _start_parties(
    share_files: list[Path],
    workdir: Path,
    timeout: float,
    processes: list[Popen],
    extra_args: Sequence[str] = (),
    suffix: str = ".npy",
) -> None:
    """Start the three parties into ``processes``, each in its own process group."""
    port = find_free_port()
    for rank, shares in enumerate(share_files):
        out = workdir / f"party{rank}{suffix}"
        command = [*_party_command(rank, port, shares, out, timeout), *extra_args]
        with (
            open(workdir / f"party{rank}.stdout", "wb") as stdout,
            open(workdir / f"party{rank}.stderr", "wb") as stderr,
        ):
            processes.append(
                subprocess.Popen(command, stdout=stdout, stderr=stderr, start_new_session=True)
            )


def _stderr_tail(workdir: Path, rank: int) -> str:
    """The last lines a party wrote to stderr."""
    path = workdir / f"party{rank}.stderr"
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    return "\n".join(lines[-STDERR_TAIL_LINES:])


def _kill_all(processes: list[Popen]) -> None:
    """Kill every party's process group that is still running, and reap it."""
    for process in processes:
        if process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    for process in processes:
        process.wait()


def _wait_for_parties(processes: list[Popen], workdir: Path, timeout: float) -> None:
    """Wait until all parties exit 0; raise as soon as one fails or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        codes = [process.poll() for process in processes]
        failed = [rank for rank, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            reason = f"exited with code {codes[failed[0]]}"
            raise PartyFailedError(failed[0], reason, _stderr_tail(workdir, failed[0]))
        if all(code == 0 for code in codes):
            return
        if time.monotonic() > deadline:
            late = codes.index(None)
            reason = f"did not finish within {timeout:g} s"
            raise PartyFailedError(late, reason, _stderr_tail(workdir, late))
        time.sleep(_POLL_SECONDS)


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
) -> float:
    """Run the three parties to completion (outputs ``party<rank><suffix>``); returns seconds."""
    if len(share_files) != WORLD_SIZE:
        raise ValueError(f"expected {WORLD_SIZE} share files, got {len(share_files)}")
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    processes: list[Popen] = []
    try:
        files = [Path(f) for f in share_files]
        _start_parties(files, workdir, timeout, processes, extra_args, suffix)
        _wait_for_parties(processes, workdir, timeout)
    finally:
        _kill_all(processes)
    return time.perf_counter() - started


def run_secure_sum_timed(share_files: list[Path], workdir: Path, timeout: float) -> SecureSumResult:
    """Run the three parties on their share files; return the sum and its timings."""
    workdir = Path(workdir)
    total = run_parties(share_files, workdir, timeout)
    values, parties = _collect(workdir)
    compute = parties[0].compute_s
    return SecureSumResult(values, SumTimings(total, total - compute, compute, parties))


def run_secure_sum(share_files: list[Path], workdir: Path, timeout: float) -> np.ndarray:
    """Securely sum the shared matrices over cities; returns the decoded column sum."""
    return run_secure_sum_timed(share_files, workdir, timeout).values
