"""Fixtures of the federation tests: plaintext matrices shared into three party files, and
sessions run exactly as the services run them (no HTTP): three party processes and the
dealer from the runtime's own commands, under the supervisor."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc import programs, runtime
from samenbeeld.federation.mpc.programs import CheckedSumResult, JsonParams
from samenbeeld.federation.mpc.supervisor import (
    Member,
    PartyFailedError,
    kill_all,
    start_member,
    wait_for_members,
    write_manifest,
)

INT64 = np.iinfo(np.int64)
ShareFiles = Callable[..., list[Path]]


def share_matrix(plain: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Encode a plaintext matrix and split it into three additive int64 ring shares."""
    ring = crypten_compat.encode_ring(plain)
    s1, s2 = (
        rng.integers(INT64.min, INT64.max, ring.shape, dtype=np.int64, endpoint=True) for _ in "12"
    )
    with np.errstate(over="ignore"):
        return [ring - s1 - s2, s1, s2]


@pytest.fixture
def share_files(tmp_path: Path) -> ShareFiles:
    """``share_files(plain, name="in", seed=0)``: three share files under ``tmp_path/name``."""

    def write(plain: np.ndarray, name: str = "in", seed: int = 0) -> list[Path]:
        folder = tmp_path / name
        folder.mkdir(parents=True)
        paths = [folder / f"shares{rank}.npy" for rank in range(3)]
        for path, matrix in zip(
            paths, share_matrix(plain, np.random.default_rng(seed)), strict=True
        ):
            np.save(path, matrix)
        return paths

    return write


@dataclass(frozen=True)
class Session:
    """What a session revealed (all three parties agreed), its timings and wall-clock seconds."""

    result: CheckedSumResult
    timings: tuple[runtime.PartyTimings, ...]
    seconds: float


def run_session(
    program: str,
    params: JsonParams,
    share_files: Sequence[Path],
    workdir: Path,
    timeout: float,
) -> Session:
    """One session of ``program``: the services' party and dealer commands, one supervisor.

    Raises PartyFailedError naming the member that failed, or a party whose result differs.
    """
    if len(share_files) != runtime.WORLD_SIZE:
        raise ValueError(f"expected {runtime.WORLD_SIZE} share files, got {len(share_files)}")
    workdir.mkdir(parents=True, exist_ok=True)
    env = runtime.party_environment()
    members: list[Member] = []
    started = time.perf_counter()
    try:
        dealer, port = runtime.start_dealer(("127.0.0.1", 0), timeout, workdir, env)
        members.append(dealer)
        for rank, shares in enumerate(share_files):
            out = workdir / f"party{rank}.npz"
            command = runtime.party_command(
                rank, program, params.to_json(), Path(shares), out, ("127.0.0.1", port), timeout
            )
            name = f"compute party {rank}"
            members.append(start_member(rank, name, command, workdir, f"party{rank}", env))
        wait_for_members(members, timeout)
    finally:
        kill_all(members)
        write_manifest(members, workdir)
    seconds = time.perf_counter() - started
    results = [programs.load_result(workdir / f"party{rank}.npz") for rank in range(3)]
    for rank, other in enumerate(results[1:], start=1):
        if not programs.same_result(results[0], other):
            raise PartyFailedError(rank, "revealed a different result than party 0")
    timings = tuple(runtime.read_timings(workdir / f"party{rank}.stdout") for rank in range(3))
    return Session(results[0], timings, seconds)


@pytest.fixture(name="run_session")
def run_session_fixture() -> Callable[..., Session]:
    """``run_session(program, params, share_files, workdir, timeout)``."""
    return run_session
