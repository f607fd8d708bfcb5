"""The compute-party runtime: three real OS processes on loopback sum shares exactly."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc import runtime as party
from samenbeeld.federation.mpc.runtime import PartyFailedError, run_secure_sum, run_secure_sum_timed
from samenbeeld.platform.errors import SamenbeeldError

TIMEOUT = 180.0  # generous: CI runs the Airflow tests beside these on two cores


def test_shares_in_the_test_reconstruct_the_ring_elements(share_files):
    """The test's own sharing is right before any process is started."""
    plain = np.array([[-3, 0, 2**40], [7, -(2**40), 1]])
    s0, s1, s2 = (np.load(path) for path in share_files(plain, seed=1))
    with np.errstate(over="ignore"):
        assert np.array_equal(s0 + s1 + s2, crypten_compat.encode_ring(plain))


def test_party_failed_error_names_the_party_and_its_stderr():
    error = PartyFailedError(2, "exited with code 1", "Traceback\nboom")
    assert isinstance(error, SamenbeeldError)
    assert error.party == 2
    assert "compute party 2 failed: exited with code 1" in str(error)
    assert "boom" in str(error)


def test_run_secure_sum_wants_three_share_files(tmp_path):
    with pytest.raises(ValueError, match="expected 3 share files"):
        run_secure_sum([tmp_path / "a.npy"], tmp_path, TIMEOUT)


@pytest.mark.slow
def test_secure_sum_of_many_cities_with_large_and_negative_values_is_exact(tmp_path, share_files):
    """40 cities x 10000 cells, values in +-2**40: the decoded sum equals numpy's exactly."""
    rng = np.random.default_rng(2)
    plain = rng.integers(-(2**40), 2**40, size=(40, 10_000), endpoint=True)
    plain[0, :3] = [2**40, -(2**40), 0]
    result = run_secure_sum_timed(share_files(plain), tmp_path / "run", TIMEOUT)
    assert result.values.dtype == np.float64
    assert np.array_equal(result.values, plain.sum(axis=0).astype(np.float64))
    assert result.timings.total_s >= result.timings.compute_s > 0
    assert len(result.timings.parties) == 3


@pytest.mark.slow
@pytest.mark.parametrize(
    "plain",
    [
        np.array([[1.5, -2.25, 0.0], [3.0, 4.0, -1e6], [0.25, 0.0, 1e6 + 0.5]]),
        np.zeros((4, 7)),
    ],
    ids=["few-cities-fractions", "zeros"],
)
def test_secure_sum_of_small_matrices_is_exact(tmp_path, plain, share_files):
    """Fractions that fit 16 bits and all-zero input come back exactly."""
    result = run_secure_sum(share_files(plain), tmp_path / "run", TIMEOUT)
    assert np.array_equal(result, plain.sum(axis=0))


@pytest.mark.slow
def test_all_three_parties_write_the_same_result(tmp_path, share_files):
    plain = np.arange(-6, 6).reshape(3, 4)
    run_secure_sum(share_files(plain), tmp_path / "run", TIMEOUT)
    results = [np.load(tmp_path / "run" / f"party{rank}.npy") for rank in range(3)]
    assert all(np.array_equal(results[0], other) for other in results[1:])


@pytest.mark.slow
def test_a_party_without_its_shares_file_fails_the_sum_quickly(tmp_path, share_files):
    """Rank 2's file is missing: the supervisor names party 2 and kills the others."""
    files = share_files(np.ones((3, 5)))
    files[2].unlink()
    started = time.monotonic()
    with pytest.raises(PartyFailedError, match="compute party 2 failed") as caught:
        run_secure_sum(files, tmp_path / "run", TIMEOUT)
    assert time.monotonic() - started < TIMEOUT / 2
    assert caught.value.party == 2
    assert "shares2.npy" in caught.value.stderr_tail


def replace_party(monkeypatch: pytest.MonkeyPatch, rank: int, code: str) -> None:
    """Make the supervisor start ``python -c code`` instead of party ``rank``."""
    original = party._party_command

    def command(party_rank: int, *args: object) -> list[str]:
        if party_rank == rank:
            return [sys.executable, "-c", code]
        return original(party_rank, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(party, "_party_command", command)


@pytest.mark.slow
def test_a_killed_party_fails_the_sum_at_once(tmp_path, monkeypatch, share_files):
    """Party 1 dies of SIGKILL: the supervisor names it and kills the other two."""
    replace_party(monkeypatch, 1, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    started = time.monotonic()
    with pytest.raises(PartyFailedError, match="exited with code -9") as caught:
        run_secure_sum(share_files(np.ones((3, 5))), tmp_path / "run", TIMEOUT)
    assert time.monotonic() - started < TIMEOUT / 2
    assert caught.value.party == 1


@pytest.mark.slow
def test_a_hanging_party_fails_the_sum_at_the_deadline(tmp_path, monkeypatch, share_files):
    """Party 1 sleeps instead of joining: everything is killed when the timeout passes."""
    replace_party(monkeypatch, 1, "import time; time.sleep(600)")
    started = time.monotonic()
    with pytest.raises(PartyFailedError, match="did not finish within 5 s|exited with code"):
        run_secure_sum(share_files(np.ones((3, 5))), tmp_path / "run", 5.0)
    assert time.monotonic() - started < 15


@pytest.mark.slow
def test_a_party_that_never_shows_up_makes_the_others_fail_with_a_clear_error(
    tmp_path, share_files
):
    """Two of three parties started by hand give up after their own --timeout."""
    files = share_files(np.ones((3, 5)))
    port = party.find_free_port()
    commands = [
        party._party_command(rank, port, files[rank], tmp_path / f"o{rank}.npy", 3.0)
        for rank in (0, 1)
    ]
    processes = [
        subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for command in commands
    ]
    outcomes = [process.communicate(timeout=40) for process in processes]
    assert [process.returncode for process in processes] == [1, 1]
    for rank, (_, stderr) in enumerate(outcomes):
        assert f"party {rank}: rendezvous at tcp://127.0.0.1:{port} failed within 3 s" in stderr
