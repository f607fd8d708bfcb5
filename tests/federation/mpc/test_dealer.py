"""The triple dealer: CrypTen's TTP provider as a fourth process, and the TFP dev guard."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from factories import PLAIN
from samenbeeld.federation.mpc import dealer, runtime
from samenbeeld.federation.mpc.programs import CheckedSumParams, load_result
from samenbeeld.federation.mpc.runtime import (
    DEALER_RANK,
    DEV_ENV,
    PROVIDER_ENV,
    ProviderRefusedError,
    require_provider,
)
from samenbeeld.federation.mpc.supervisor import PartyFailedError, find_free_port, kill_all

TIMEOUT = 180.0  # generous: CI runs the Airflow tests beside these on two cores
PARAMS = CheckedSumParams(max_value=100.0, min_contributors=5, dominance=0.6)


def test_provider_defaults_to_ttp(monkeypatch):
    monkeypatch.delenv(PROVIDER_ENV, raising=False)
    monkeypatch.delenv(DEV_ENV, raising=False)
    assert require_provider() == "ttp"


def test_tfp_needs_the_dev_flag(monkeypatch):
    monkeypatch.setenv(PROVIDER_ENV, "tfp")
    monkeypatch.delenv(DEV_ENV, raising=False)
    with pytest.raises(ProviderRefusedError, match="refusing to start with .*=tfp"):
        require_provider()
    monkeypatch.setenv(DEV_ENV, "1")
    assert require_provider() == "tfp"


def test_an_unknown_provider_is_refused(monkeypatch):
    monkeypatch.setenv(PROVIDER_ENV, "he")
    with pytest.raises(ProviderRefusedError, match="expected one of"):
        require_provider()


def test_the_party_environment_refuses_an_unknown_provider():
    with pytest.raises(ValueError, match="provider must be one of"):
        runtime.party_environment("tpp")


def test_the_dealer_has_no_shares_option(capsys):
    with pytest.raises(SystemExit):
        dealer.parse_args(["--master-port", "1", "--shares", "x.npy"])
    assert "unrecognized arguments: --shares" in capsys.readouterr().err


@pytest.mark.slow
def test_checked_sum_with_the_dealer_as_a_fourth_process(tmp_path, run_session, share_files):
    """Comparisons need triples: the dealer serves them and the result is the plaintext one."""
    workdir = tmp_path / "run"
    run_session("checked_sum", PARAMS, share_files(PLAIN), workdir, TIMEOUT)
    results = [load_result(workdir / f"party{rank}.npz") for rank in range(3)]
    expected = np.array([150.0, np.nan, 0.0, 15.5])
    for result in results:
        assert np.array_equal(result.values, expected, equal_nan=True)
        assert list(result.reasons) == ["", "dominance", "", ""]
        assert list(result.invalid_cities) == [5]
        assert result.contributors == 5
    rows = json.loads((workdir / "processes.json").read_text())
    pids = {row["rank"]: row["pid"] for row in rows}
    assert [row["returncode"] for row in rows] == [0, 0, 0, 0]
    assert pids[DEALER_RANK] not in {pids[0], pids[1], pids[2], os.getpid()}
    report = json.loads((workdir / "dealer.stdout").read_text().splitlines()[-1])
    assert report["pid"] == pids[DEALER_RANK]
    assert report["requests"] > 0


@pytest.mark.slow
def test_a_party_with_tfp_and_no_dev_flag_refuses_to_start(tmp_path, share_files):
    """No rendezvous is attempted: the party exits 1 at once, naming the dev flag."""
    files = share_files(PLAIN)
    master = ("127.0.0.1", find_free_port())
    command = runtime.party_command(
        0, "checked_sum", PARAMS.to_json(), files[0], tmp_path / "o.npz", master, 30
    )
    env = {key: value for key, value in os.environ.items() if key != DEV_ENV}
    env[PROVIDER_ENV] = "tfp"
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "party 0 failed: refusing to start with SAMENBEELD_MPC_PROVIDER=tfp" in done.stderr
    assert f"{DEV_ENV}=1" in done.stderr
    assert time.monotonic() - started < 15
    assert not (tmp_path / "o.npz").exists()


DYING_DEALER = """
import os, signal, sys
from samenbeeld.federation.mpc import dealer
def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)
dealer.answer = die
sys.exit(dealer.main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_dealer_killed_mid_run_fails_the_run_quickly(
    tmp_path, monkeypatch, run_session, share_files
):
    """The dealer dies on the first triple request: the supervisor names it and stops."""
    original = runtime.dealer_command

    def command(master: tuple[str, int], timeout: float) -> list[str]:
        return [sys.executable, "-c", DYING_DEALER, *original(master, timeout)[3:]]

    monkeypatch.setattr(runtime, "dealer_command", command)
    files = share_files(PLAIN)
    started = time.monotonic()
    with pytest.raises(PartyFailedError, match=r"triple dealer \(rank 3\) failed") as caught:
        run_session("checked_sum", PARAMS, files, tmp_path / "run", TIMEOUT)
    assert time.monotonic() - started < 15
    assert caught.value.party == DEALER_RANK
    assert "exited with code -9" in caught.value.reason


def test_each_dealer_hosts_its_session_store_on_a_port_its_os_picks(tmp_path):
    """No port is probed free first: two sessions starting at once get two ports."""
    started = []
    try:
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
            started.append(runtime.start_dealer(("127.0.0.1", 0), 30.0, tmp_path / name))
        ports = [port for _, port in started]
        assert len(set(ports)) == 2 and all(port > 0 for port in ports)
        for port in ports:  # the store listens before any party has started
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        kill_all([member for member, _ in started])


def test_a_dealer_whose_configured_port_is_taken_fails_at_once_naming_itself(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PartyFailedError) as failure:
            runtime.start_dealer(("127.0.0.1", port), 60.0, tmp_path)
    assert failure.value.name == runtime.DEALER_NAME
    assert failure.value.reason == "exited with code 1 before it was ready"
