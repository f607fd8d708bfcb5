"""The warm starter forks the MPC processes: fresh randomness, own session, exact exit codes.

A probe module, written for each test, runs in the forked children in place of a party:
it reports what a party would depend on (its generators, session, environment, directory).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from samenbeeld.federation.mpc import dp, party_main, runtime, warm_start
from samenbeeld.federation.mpc.programs import MAX_VALUE_LIMIT
from samenbeeld.federation.mpc.supervisor import find_free_port, kill_all, start_member
from samenbeeld.federation.mpc.warm_start import LOST, Starter
from samenbeeld.platform.catalog import Catalog, ReleasePolicy, default_catalog

PROBE = """
import json, os, random, sys, time
import numpy as np
import torch
from samenbeeld.federation.mpc import dp

def main(argv):
    if argv == ["fail"]:
        raise RuntimeError("the probe failed on purpose")
    if argv == ["hang"]:
        time.sleep(120)
    if argv == ["exit-none"]:
        sys.exit()
    print(json.dumps({
        "torch": torch.randint(0, 2**62, (4,)).tolist(),
        "numpy": np.random.randint(0, 2**62, 4).tolist(),
        "random": random.getrandbits(62),
        "pid": os.getpid(),
        "sid": os.getsid(0),
        "ppid": os.getppid(),
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "argv": sys.argv,
        "calibrations": dp._calibrate.cache_info().currsize,
    }))
    return int(argv[0]) if argv and argv[0].isdigit() else 0
"""


@pytest.fixture
def starter(tmp_path, monkeypatch):
    """A warm starter of its own that can import the probe module from ``tmp_path``."""
    (tmp_path / "warm_probe.py").write_text(PROBE)
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    started = Starter()
    yield started
    started.close()


def probe(starter: Starter, folder: Path, *argv: str, env: dict[str, str] | None = None):
    """Start the probe; its process handle and its two output files."""
    folder.mkdir(parents=True, exist_ok=True)
    out, err = folder / "out", folder / "err"
    environment = {"PATH": os.environ["PATH"]} if env is None else env
    return starter.start("warm_probe", argv, environment, out, err), out, err


def report(starter: Starter, folder: Path, *argv: str, **kwargs) -> dict:
    """Run the probe to its end and read what it printed."""
    process, out, err = probe(starter, folder, *argv, **kwargs)
    assert process.wait(60) == 0, err.read_text()
    return json.loads(out.read_text())


def test_forked_children_draw_fresh_randomness_from_every_generator(starter, tmp_path):
    first, second = (report(starter, tmp_path / name) for name in ("a", "b"))
    for generator in ("torch", "numpy", "random"):
        assert first[generator] != second[generator], generator
    assert first["ppid"] == second["ppid"] != os.getpid()  # both forked by the starter


def test_a_child_gets_its_own_session_environment_directory_and_argv(starter, tmp_path):
    monkey_cwd = tmp_path / "here"
    monkey_cwd.mkdir()
    env = {"PATH": os.environ["PATH"], "SAMENBEELD_MPC_PROVIDER": "ttp"}
    previous = os.getcwd()
    os.chdir(monkey_cwd)
    try:
        shown = report(starter, tmp_path / "run", "0", env=env)
    finally:
        os.chdir(previous)
    assert shown["sid"] == shown["pid"]  # its own session and process group
    assert shown["env"] == env
    assert shown["cwd"] == str(monkey_cwd)
    assert shown["argv"] == ["warm_probe", "0"]


def test_a_child_finds_the_noise_of_the_party_catalog_calibrated(starter, tmp_path):
    """The starter ran ``party_main.warm()``: each child inherits OpenDP's calibration of the
    shipped catalog's noisy indicator instead of spending about 0.4 s on it per session."""
    assert report(starter, tmp_path / "run")["calibrations"] >= 1


def test_warming_skips_an_indicator_whose_round_would_be_refused(monkeypatch):
    """A noisy indicator whose bound the MPC refuses (a round over it fails with that error
    itself) must not stop the starter from warming the others, or from starting at all."""
    noisy = ReleasePolicy("gaussian", 0.5, 1e-6, 10.0, protects="incident")
    catalog = default_catalog()
    too_large = next(i for i in catalog.indicators if i.max > MAX_VALUE_LIMIT)
    changed = Catalog(
        tuple(
            dataclasses.replace(i, release=noisy) if i.code == too_large.code else i
            for i in catalog.indicators
        )
    )
    monkeypatch.setattr(party_main, "default_catalog", lambda: changed)
    dp._calibrate.cache_clear()
    party_main.warm()
    assert dp._calibrate.cache_info().currsize >= 1  # youth_safety_weekly's still calibrated


def test_exit_codes_are_the_childs_own(starter, tmp_path):
    assert probe(starter, tmp_path / "seven", "7")[0].wait(60) == 7
    assert probe(starter, tmp_path / "none", "exit-none")[0].wait(60) == 0
    failed, _, err = probe(starter, tmp_path / "fail", "fail")
    assert failed.wait(60) == 1
    assert "RuntimeError: the probe failed on purpose" in err.read_text()
    hanging, _, _ = probe(starter, tmp_path / "hang", "hang")
    with pytest.raises(subprocess.TimeoutExpired):
        hanging.wait(0.2)
    assert hanging.poll() is None
    os.killpg(hanging.pid, signal.SIGKILL)
    assert hanging.wait(60) == -signal.SIGKILL


def test_ctrl_c_is_for_the_service_not_its_starter(starter, tmp_path):
    before = report(starter, tmp_path / "before")  # warm, past its start-up
    os.kill(starter._process.pid, signal.SIGINT)
    assert report(starter, tmp_path / "after")["ppid"] == before["ppid"]
    assert starter.alive


def test_a_dead_starters_children_are_lost_and_the_next_start_gets_a_new_one(
    starter, tmp_path, monkeypatch
):
    hanging, _, _ = probe(starter, tmp_path / "hang", "hang")
    starter._process.kill()
    deadline = time.monotonic() + 30
    while starter.alive and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert hanging.wait(1) == LOST  # the supervisor then kills its group, as here
    finally:
        os.killpg(hanging.pid, signal.SIGKILL)
    monkeypatch.setattr(warm_start, "_starter", starter)
    helped = warm_start.start(
        "samenbeeld.federation.mpc.dealer", ["--help"], {}, tmp_path / "o", tmp_path / "e"
    )
    assert helped.wait(60) == 0  # argparse's --help, from a new starter
    assert "--master-port" in (tmp_path / "o").read_text()
    assert warm_start._current_starter() is not starter


def test_the_supervisor_forks_the_mpc_entry_points_warm_and_kills_them(tmp_path):
    command = runtime.dealer_command(("127.0.0.1", find_free_port()), 60.0)  # nobody joins
    assert warm_start.warm_module(command) == "samenbeeld.federation.mpc.dealer"
    dealer = start_member(3, "triple dealer", command, tmp_path, "dealer", os.environ)
    try:
        assert _parent_of(dealer.process.pid) == warm_start._current_starter()._process.pid
    finally:
        kill_all([dealer])
    assert dealer.process.returncode == -signal.SIGKILL
    cold = start_member(0, "cold", [sys.executable, "-c", "import time; time.sleep(60)"],
                        tmp_path, "cold")  # fmt: skip
    try:
        assert warm_start.warm_module(["python", "-c", "pass"]) is None
        assert _parent_of(cold.process.pid) == os.getpid()
    finally:
        kill_all([cold])


def _parent_of(pid: int) -> int:
    """The parent pid of a running process."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
