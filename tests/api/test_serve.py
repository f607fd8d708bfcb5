"""`samenbeeld <role> serve`: a real process under waitress, and the refusal to serve an
unmigrated database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from samenbeeld.api.cli import main
from samenbeeld.platform import migrate

SAMENBEELD = Path(sys.executable).with_name("samenbeeld")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    """Status and body of GET url."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for_health(process: subprocess.Popen[str], base: str, timeout_s: float = 30) -> dict:
    """Poll /health until 200; fail if the process dies or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited with {process.returncode}"
        try:
            status, body = get(base + "/health")
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return json.loads(body)
    pytest.fail(f"no healthy server at {base} within {timeout_s} s")


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM the server and return its output (killed if it does not stop in 10 s)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return output


@pytest.fixture
def environment(tmp_path) -> dict[str, str]:
    """The process environment with this test's data dir and no ambient configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMENBEELD_")}
    env["SAMENBEELD_DATA_DIR"] = str(tmp_path)
    return env


@pytest.mark.slow
def test_hub_serves_until_sigterm(tmp_path, environment):
    migrate.upgrade("hub", f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    port = free_port()
    process = subprocess.Popen(
        [str(SAMENBEELD), "hub", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for_health(process, base) == {"status": "ok", "role": "hub", "database": "ok"}
        status, body = get(base + "/api/v1/openapi.json")
        assert status == 200 and json.loads(body)["openapi"] == "3.0.3"
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert f"samenbeeld hub listening on {base}" in output


@pytest.mark.slow
def test_a_service_serves_on_the_socket_its_supervisor_bound(tmp_path, environment):
    """--fd: the port is bound (port 0) and listening before the process starts, so no other
    process can take it in between; the service serves there and reports where."""
    migrate.upgrade("party", f"sqlite:///{tmp_path / 'party-2.sqlite3'}")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    command = [str(SAMENBEELD), "party", "serve", "--index", "2", "--fd", str(listener.fileno())]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        pass_fds=(listener.fileno(),),
    )  # fmt: skip
    listener.close()  # the process holds the socket now
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for_health(process, base)["index"] == 2
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert f"samenbeeld party listening on {base}" in output


@pytest.mark.parametrize(
    ("role", "options", "advice"),
    [
        ("node", ["--municipality", "GM0758"], "db upgrade --role node --municipality GM0758"),
        ("party", ["--index", "1"], "db upgrade --role party --index 1"),
        ("hub", [], "db upgrade --role hub"),
    ],
)
def test_serve_refuses_an_unmigrated_database(environment, role, options, advice):
    runner = CliRunner(env={k: None for k in os.environ if k.startswith("SAMENBEELD_")})
    runner.env["SAMENBEELD_DATA_DIR"] = environment["SAMENBEELD_DATA_DIR"]
    result = runner.invoke(main, [role, "serve", *options, "--port", str(free_port())])
    assert result.exit_code == 2
    assert "not at head" in result.output
    assert f"samenbeeld {advice}" in result.output
