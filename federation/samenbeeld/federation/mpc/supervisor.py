"""Process helpers for the compute-party supervisor: start, watch, kill, report.

Every supervised process (three compute parties and, with CrypTen's TTP provider, the
triple dealer) runs in its own process group with stdout and stderr in files under the
run's work directory. The party and dealer entry modules are forked from a warm interpreter
(:mod:`warm_start`) rather than started cold; anything else is a plain subprocess.
:func:`wait_for_members` polls them under one deadline and raises
:class:`PartyFailedError` naming the one that failed first, so a run never hangs;
:func:`kill_all` then kills every group that is still alive.

When one member dies its peers die moments later of a lost connection, and which exit is
polled first is a race (more so for warm children, whose exits arrive through the
starter's pipe). So after the first failure :func:`likeliest_cause` waits briefly for the
others' exits and picks the cause: a member killed by a signal, else one whose stderr does
not end in a lost-peer error, else the lowest rank. The party pool does the same when a
member has exited (not when one is late or reports an error).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from samenbeeld.federation.mpc import warm_start
from samenbeeld.platform.errors import SamenbeeldError

STDERR_TAIL_LINES = 15
POLL_SECONDS = 0.02
READY_POLL_SECONDS = 0.005
SETTLE_SECONDS = 0.3
# How Gloo (through CrypTen) reports a peer that went away: the mark of a member that
# failed because another one did.
PEER_LOSS_MARKERS = ("Connection reset by peer", "Connection closed by peer", "Broken pipe")
PROCESSES_FILE = "processes.json"
"""Written into the work directory after a run: name, rank, pid and exit code of each member."""


class PartyFailedError(SamenbeeldError):
    """A compute party (or the triple dealer) exited non-zero, timed out, or disagreed."""

    def __init__(
        self, party: int, reason: str, stderr_tail: str = "", *, name: str | None = None
    ) -> None:
        self.party = party
        self.name = name or f"compute party {party}"
        self.reason = reason
        self.stderr_tail = stderr_tail
        detail = f"\n--- {self.name} stderr (last lines) ---\n{stderr_tail}" if stderr_tail else ""
        super().__init__(f"{self.name} failed: {reason}{detail}")


class Process(Protocol):
    """What the supervisor uses of a process: :class:`subprocess.Popen` or a warm fork."""

    @property
    def pid(self) -> int: ...
    @property
    def returncode(self) -> int | None: ...
    @property
    def stdin(self) -> IO[bytes] | None: ...
    @property
    def stdout(self) -> IO[bytes] | None: ...
    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...


@dataclass(frozen=True)
class Member:
    """One supervised process: its rank, the name errors use, and its stderr file."""

    rank: int
    name: str
    process: Process
    stderr: Path


def find_free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free now (another process may take it before it is bound: tests only
    use it for a port where nobody listens)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start_member(
    rank: int,
    name: str,
    command: Sequence[str],
    workdir: Path,
    stem: str,
    env: Mapping[str, str] | None = None,
) -> Member:
    """Start ``command`` in its own process group, output in ``<stem>.stdout/.stderr``.

    ``python -m`` of a warm entry module is forked from the warm interpreter instead.
    """
    stdout_path, stderr_path = workdir / f"{stem}.stdout", workdir / f"{stem}.stderr"
    module = warm_start.warm_module(command)
    if module is not None:
        stdout_path.write_bytes(b"")
        stderr_path.write_bytes(b"")
        environment = os.environ if env is None else env
        forked = warm_start.start(module, command[3:], environment, stdout_path, stderr_path)
        return Member(rank, name, forked, stderr_path)
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        process: Process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            env=None if env is None else dict(env),
        )
    return Member(rank, name, process, stderr_path)


def stderr_tail(path: Path) -> str:
    """The last lines a process wrote to its stderr file."""
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    return "\n".join(lines[-STDERR_TAIL_LINES:])


def kill_all(members: Sequence[Member]) -> None:
    """Kill every member's process group that is still running, and reap it."""
    for member in members:
        if member.process.poll() is None:
            try:
                os.killpg(member.process.pid, signal.SIGKILL)
            except ProcessLookupError:  # a warm fork killed before its setsid()
                with suppress(ProcessLookupError):
                    os.kill(member.process.pid, signal.SIGKILL)
    for member in members:
        member.process.wait()


def _fail(member: Member, reason: str) -> PartyFailedError:
    """The error that names ``member`` and carries its stderr tail."""
    return PartyFailedError(member.rank, reason, stderr_tail(member.stderr), name=member.name)


def first_line(member: Member, stdout: Path, timeout: float) -> str:
    """The first line ``member`` writes to its stdout file (what a starting process announces).

    PartyFailedError naming the member when it exits first or stays silent past ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        text = stdout.read_text(errors="replace") if stdout.exists() else ""
        if "\n" in text:
            return text.split("\n", 1)[0]
        code = member.process.poll()
        if code is not None:
            raise _fail(member, f"exited with code {code} before it was ready")
        if time.monotonic() > deadline:
            raise _fail(member, f"was not ready within {timeout:g} s")
        time.sleep(READY_POLL_SECONDS)


def wait_for_members(members: Sequence[Member], timeout: float) -> None:
    """Wait until every member exits 0; raise as soon as one fails or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        codes = [member.process.poll() for member in members]
        if any(code not in (None, 0) for code in codes):
            cause = likeliest_cause(members)
            assert cause is not None  # an exit code, once polled, stays
            raise _fail(cause[0], f"exited with code {cause[1]}")
        if all(code == 0 for code in codes):
            return
        if time.monotonic() > deadline:
            late = members[codes.index(None)]
            raise _fail(late, f"did not finish within {timeout:g} s")
        time.sleep(POLL_SECONDS)


def likeliest_cause(
    members: Sequence[Member], *, any_exit: bool = False, suspect: Member | None = None
) -> tuple[Member, int] | None:
    """After a failure: the member that most likely caused it, with its exit code.

    Waits :data:`SETTLE_SECONDS` for the other members' exits first. A member counts as
    failed when it exited non-zero, or at all with ``any_exit`` (a long-lived worker).
    Among the failed, a member killed by a signal comes first, then one whose stderr is not
    a lost-peer error, then ``suspect`` (the member the caller saw fail), then the lowest
    rank. ``None`` if no member has failed.
    """
    time.sleep(SETTLE_SECONDS)
    exited = [(member, member.process.poll()) for member in members]
    failed = [
        (member, code) for member, code in exited if code is not None and (any_exit or code != 0)
    ]

    def innocence(pair: tuple[Member, int]) -> tuple[bool, bool, bool]:
        member, code = pair
        tail = stderr_tail(member.stderr)
        lost_peer = any(marker in tail for marker in PEER_LOSS_MARKERS)
        return (code >= 0, lost_peer, member is not suspect)

    return min(failed, key=innocence, default=None)  # stable: lowest rank among equals


def write_manifest(members: Sequence[Member], workdir: Path) -> None:
    """Record name, rank, pid and exit code of every member in ``processes.json``."""
    rows = [
        {
            "name": member.name,
            "rank": member.rank,
            "pid": member.process.pid,
            "returncode": member.process.returncode,
        }
        for member in members
    ]
    (workdir / PROCESSES_FILE).write_text(json.dumps(rows, indent=2))


def remove_leftovers(work_dir: Path) -> int:
    """Remove the session folders a killed service left (shares, results, a dealer's files);
    how many there were.

    Called when a party service or the hub starts, before it takes requests: no session of
    it runs yet.
    """
    if not work_dir.is_dir():
        return 0
    folders = list(work_dir.iterdir())
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True) if folder.is_dir() else folder.unlink()
    return len(folders)
