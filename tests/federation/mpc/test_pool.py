"""The long-lived party pool: one session runs many jobs; any failure ends it, never hangs."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from samenbeeld.federation.mpc import sharing
from samenbeeld.federation.mpc.jobs import JobInput
from samenbeeld.federation.mpc.pool import PartyPool
from samenbeeld.federation.mpc.programs import CheckedSumParams
from samenbeeld.federation.mpc.supervisor import PartyFailedError
from samenbeeld.platform.errors import InvalidInputError

pytestmark = pytest.mark.slow
ShareFiles = Callable[..., list[Path]]
TIMEOUT = 60.0


def matrix_inputs(files: list[Path]) -> list[JobInput]:
    """One matrix input per party."""
    return [JobInput(matrix=path) for path in files]


def payload_inputs(plain: np.ndarray, folder: Path, round_id: str) -> list[JobInput]:
    """Share every city's row as the node would and write its three upload payloads."""
    folder.mkdir(parents=True)
    files: list[list[Path]] = [[], [], []]
    for city, row in enumerate(plain):
        shares = sharing.split(sharing.encode_vector(row), round_id=round_id)
        for party in range(3):
            path = folder / f"city{city}-party{party}.bin"
            path.write_bytes(sharing.encode_payload(shares, party))
            files[party].append(path)
    return [JobInput(payloads=tuple(paths), round_id=round_id) for paths in files]


def pids(pool: PartyPool) -> list[int]:
    """The process ids of the pool's current session."""
    return [member.process.pid for member in pool._members]


def test_one_session_runs_many_jobs_exactly(tmp_path, share_files):
    """Three sums and a checked sum on the same four processes, each equal to plaintext."""
    rng = np.random.default_rng(3)
    with PartyPool(tmp_path / "pool", timeout=TIMEOUT) as pool:
        first = pids(pool)
        assert len(first) == 4 and len(set(first)) == 4  # three parties and the dealer
        for job in range(3):
            plain = rng.integers(-(2**40), 2**40, size=(6, 50))
            files = share_files(plain, f"job{job}", seed=job)
            result = pool.run("sum", matrix_inputs(files))
            assert np.array_equal(result.output, plain.sum(axis=0))
        plain = rng.integers(0, 10, size=(6, 4)).astype(float)
        checked = pool.run(
            "checked_sum",
            matrix_inputs(share_files(plain, "checked")),
            CheckedSumParams(max_value=10, min_contributors=5, dominance=1.0),
        )
        assert checked.output.released() == dict(enumerate(plain.sum(axis=0)))
        assert pids(pool) == first
    assert not pool.running


def test_parties_expand_the_uploaded_payloads_themselves(tmp_path):
    """Seed-compressed uploads on disk go straight to the parties; the sum is exact."""
    plain = np.random.default_rng(4).integers(0, 5_000, size=(12, 300)).astype(float)
    with PartyPool(tmp_path / "pool", timeout=TIMEOUT) as pool:
        result = pool.run("sum", payload_inputs(plain, tmp_path / "uploads", "round-7"))
    assert np.array_equal(result.output, plain.sum(axis=0))


def test_payloads_of_another_round_fail_the_job_and_the_next_job_gets_a_new_session(
    tmp_path, share_files
):
    """A party refuses payloads bound to another round; the pool restarts for the next job."""
    plain = np.ones((5, 8))
    wrong = payload_inputs(plain, tmp_path / "uploads", "round-1")
    wrong = [JobInput(payloads=i.payloads, round_id="round-2") for i in wrong]
    with PartyPool(tmp_path / "pool", timeout=TIMEOUT) as pool:
        before = pids(pool)
        started = time.monotonic()
        with pytest.raises(PartyFailedError, match="different round or party"):
            pool.run("sum", wrong)
        assert time.monotonic() - started < TIMEOUT / 2
        assert not pool.running
        result = pool.run("sum", matrix_inputs(share_files(plain)))
        assert np.array_equal(result.output, plain.sum(axis=0))
        assert set(pids(pool)).isdisjoint(before)


def test_an_unknown_program_is_refused_before_anything_is_sent(tmp_path):
    pool = PartyPool(tmp_path / "pool", timeout=TIMEOUT)
    with pytest.raises(InvalidInputError, match="program must be one of"):
        pool.run("median", matrix_inputs([tmp_path / "x.npy"] * 3))
    assert not pool.running  # nothing was started


def _kill_later(pid: int, seconds: float, sig: int = signal.SIGKILL) -> threading.Timer:
    """Send ``sig`` to ``pid`` after ``seconds``."""
    timer = threading.Timer(seconds, os.kill, args=(pid, sig))
    timer.start()
    return timer


def slow_checked_job(share_files: ShareFiles) -> list[JobInput]:
    """A checked sum that takes a second or more (comparisons over many cells)."""
    plain = np.random.default_rng(5).integers(0, 100, size=(40, 3_000)).astype(float)
    return matrix_inputs(share_files(plain))


@pytest.mark.parametrize("victim", [1, 3], ids=["party-1", "dealer"])
def test_a_member_killed_mid_job_fails_it_at_once_and_kills_the_rest(tmp_path, share_files, victim):
    params = CheckedSumParams(max_value=100)
    with PartyPool(tmp_path / "pool", timeout=TIMEOUT) as pool:
        processes = [member.process for member in pool._members]
        inputs = slow_checked_job(share_files)
        timer = _kill_later(processes[victim].pid, 0.3)
        started = time.monotonic()
        with pytest.raises(PartyFailedError) as caught:
            pool.run("checked_sum", inputs, params)
        timer.join()
        assert time.monotonic() - started < TIMEOUT / 2
        assert all(process.poll() is not None for process in processes)
    assert caught.value.party == victim, caught.value
    assert caught.value.reason == "exited with code -9"


def test_a_stalled_party_fails_the_job_at_the_deadline(tmp_path, share_files):
    """Party 2 is stopped (SIGSTOP): the others wait in a collective; the pool gives up."""
    pool = PartyPool(tmp_path / "pool", timeout=8.0)
    with pool:
        stalled = pool._members[2].process
        os.kill(stalled.pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(PartyFailedError, match="did not finish job 1 within 8 s"):
            pool.run("sum", matrix_inputs(share_files(np.ones((3, 4)))))
        assert time.monotonic() - started < 20
        assert stalled.poll() is not None
