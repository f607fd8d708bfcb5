"""The one runtime: three real party processes and the dealer, started with the commands
the services use, reveal exactly and fail fast, naming the member at fault."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc import runtime
from samenbeeld.federation.mpc.programs import CheckedSumParams
from samenbeeld.federation.mpc.supervisor import PartyFailedError, find_free_port
from samenbeeld.platform.errors import SamenbeeldError

TIMEOUT = 180.0  # generous: CI runs the Airflow tests beside these on two cores
PARAMS = CheckedSumParams(max_value=2.0**24, min_contributors=3, dominance=1.0)


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


def test_the_party_command_names_the_program_and_its_parameters(tmp_path):
    command = runtime.party_command(
        1, "histogram", '{"min_contributors": 5}', tmp_path / "s.npy", tmp_path / "o.npz",
        ("10.0.0.1", 29500), 30.0,
    )  # fmt: skip
    assert command[1:3] == ["-m", "samenbeeld.federation.mpc.party_main"]
    joined = " ".join(command)
    assert "--rank 1 --master-addr 10.0.0.1 --master-port 29500" in joined
    assert '--program histogram --params {"min_contributors": 5}' in joined


@pytest.mark.slow
@pytest.mark.parametrize(
    "plain",
    [
        np.array([[1.5, 2.25, 0.0], [3.0, 4.0, 1e6], [0.25, 0.0, 1e6 + 0.5]]),
        np.zeros((4, 7)),
        np.random.default_rng(2).integers(0, 2**24, size=(40, 2_000)).astype(np.float64),
    ],
    ids=["few-cities-fractions", "zeros", "40-cities-large"],
)
def test_a_session_reveals_exact_sums_and_all_parties_agree(
    tmp_path, plain, run_session, share_files
):
    """Fractions that fit 16 bits, all-zero input and values up to 2**24 come back exactly."""
    session = run_session("checked_sum", PARAMS, share_files(plain), tmp_path / "run", TIMEOUT)
    assert np.array_equal(session.result.values, plain.sum(axis=0))
    assert session.seconds >= session.timings[0].compute_s > 0
    assert len(session.timings) == 3


@pytest.mark.slow
def test_a_party_without_its_shares_file_fails_the_session_quickly(
    tmp_path, run_session, share_files
):
    """Rank 2's file is missing: the supervisor names party 2 and kills the others."""
    files = share_files(np.ones((3, 5)))
    files[2].unlink()
    started = time.monotonic()
    with pytest.raises(PartyFailedError, match="compute party 2 failed") as caught:
        run_session("checked_sum", PARAMS, files, tmp_path / "run", TIMEOUT)
    assert time.monotonic() - started < TIMEOUT / 2
    assert caught.value.party == 2
    assert "shares2.npy" in caught.value.stderr_tail


def replace_party(monkeypatch: pytest.MonkeyPatch, rank: int, code: str) -> None:
    """Make the supervisor start ``python -c code`` instead of party ``rank``."""
    original = runtime.party_command

    def command(party_rank: int, *args: object) -> list[str]:
        if party_rank == rank:
            return [sys.executable, "-c", code]
        return original(party_rank, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime, "party_command", command)


@pytest.mark.slow
def test_a_killed_party_fails_the_session_at_once(tmp_path, monkeypatch, run_session, share_files):
    """Party 1 dies of SIGKILL: the supervisor names it and kills the other two."""
    replace_party(monkeypatch, 1, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    started = time.monotonic()
    with pytest.raises(PartyFailedError, match="exited with code -9") as caught:
        run_session("checked_sum", PARAMS, share_files(np.ones((3, 5))), tmp_path / "r", TIMEOUT)
    assert time.monotonic() - started < TIMEOUT / 2
    assert caught.value.party == 1


@pytest.mark.slow
def test_a_hanging_party_fails_the_session_at_the_deadline(
    tmp_path, monkeypatch, run_session, share_files
):
    """Party 1 sleeps instead of joining: everything is killed when the timeout passes."""
    replace_party(monkeypatch, 1, "import time; time.sleep(600)")
    started = time.monotonic()
    with pytest.raises(PartyFailedError, match="did not finish within 5 s|exited with code"):
        run_session("checked_sum", PARAMS, share_files(np.ones((3, 5))), tmp_path / "r", 5.0)
    assert time.monotonic() - started < 15


@pytest.mark.slow
def test_a_party_that_never_shows_up_makes_the_others_fail_with_a_clear_error(
    tmp_path, share_files
):
    """Two of three parties started by hand give up after their own --timeout."""
    files = share_files(np.ones((3, 5)))
    master = ("127.0.0.1", find_free_port())
    commands = [
        runtime.party_command(
            rank,
            "checked_sum",
            PARAMS.to_json(),
            files[rank],
            tmp_path / f"o{rank}.npz",
            master,
            3.0,
        )  # fmt: skip
        for rank in (0, 1)
    ]
    processes = [
        subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for command in commands
    ]
    outcomes = [process.communicate(timeout=40) for process in processes]
    assert [process.returncode for process in processes] == [1, 1]
    for rank, (_, stderr) in enumerate(outcomes):
        assert (
            f"party {rank}: rendezvous at tcp://127.0.0.1:{master[1]} failed within 3 s" in stderr
        )
