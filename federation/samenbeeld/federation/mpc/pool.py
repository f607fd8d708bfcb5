"""A pool of long-lived compute parties: start once, run many jobs, never hang.

Starting a CrypTen party costs about 1.6 s of CPU (importing torch and CrypTen) plus the
rendezvous, while a secure sum of 342 cities x 10,000 cells takes a few hundredths of a
second. :class:`PartyPool` therefore starts three :mod:`party_worker` processes (and the
triple dealer, for CrypTen's TTP provider) once and sends them jobs over their stdin::

    with PartyPool(workdir) as pool:
        result = pool.run("sum", [JobInput(matrix=p) for p in share_files])

Every job's three outputs must be identical or the job fails. Any failure (a party exits,
reports an error, or misses the deadline; the dealer exits) kills every process of the
session and raises :class:`PartyFailedError` naming the member; the next :meth:`run` starts
a fresh session. So a pool never hangs and never reuses a session in an unknown state.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from samenbeeld.federation.mpc import jobs
from samenbeeld.federation.mpc.party_worker import PREFIX
from samenbeeld.federation.mpc.programs import CheckedSumResult, JsonParams
from samenbeeld.federation.mpc.runtime import (
    DEALER_NAME,
    DEALER_RANK,
    WORLD_SIZE,
    _dealer_command,
    _party_environment,
)
from samenbeeld.federation.mpc.supervisor import (
    Member,
    PartyFailedError,
    find_free_port,
    kill_all,
    likeliest_cause,
    start_member,
    stderr_tail,
    write_manifest,
)

STOP_SECONDS = 10.0
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class PoolStartup:
    """How long the session took to come up, and each party's import and rendezvous."""

    total_s: float
    import_s: tuple[float, ...]
    rendezvous_s: tuple[float, ...]


@dataclass(frozen=True)
class JobResult:
    """What the parties revealed (identical at all three) and how long the job took."""

    output: np.ndarray | CheckedSumResult
    total_s: float
    """Seen by the pool: from sending the job to having read and compared all outputs."""
    parties: tuple[dict[str, float], ...]
    """Each party's own load_s, compute_s and save_s."""


class PartyPool:
    """Three long-lived compute parties (plus the dealer for ``ttp``); see the module doc."""

    def __init__(self, workdir: Path, *, timeout: float = 60.0, provider: str = "ttp") -> None:
        self.workdir = Path(workdir)
        self.timeout = timeout
        self.provider = provider
        self.startup: PoolStartup | None = None
        self._members: list[Member] = []
        self._readers: list[threading.Thread] = []
        self._lines: queue.Queue[tuple[int, str | None]] = queue.Queue()
        self._job_ids = itertools.count(1)
        self._sessions = itertools.count(1)

    def __enter__(self) -> PartyPool:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """Whether a session is up (every member still alive)."""
        return bool(self._members) and all(m.process.poll() is None for m in self._members)

    def start(self) -> PoolStartup:
        """Start a session and wait until every party has joined it."""
        if self._members:
            self.close()
        started = time.perf_counter()
        folder = self.workdir / f"session{next(self._sessions)}"
        folder.mkdir(parents=True, exist_ok=True)
        self._lines = queue.Queue()
        try:
            self._spawn(folder)
            ready = self._await(lambda message: bool(message.get("ready")), "join the session")
        except PartyFailedError:
            self._kill()
            raise
        self.startup = PoolStartup(
            time.perf_counter() - started,
            tuple(ready[rank]["import_s"] for rank in range(WORLD_SIZE)),
            tuple(ready[rank]["rendezvous_s"] for rank in range(WORLD_SIZE)),
        )
        return self.startup

    def _spawn(self, folder: Path) -> None:
        """Start the three workers (piped) and the dealer, each in its own process group."""
        env = _party_environment(self.provider)
        port = find_free_port()
        for rank in range(WORLD_SIZE):
            command = [
                sys.executable,
                "-m",
                "samenbeeld.federation.mpc.party_worker",
                *("--rank", str(rank), "--master-port", str(port)),
                *("--timeout", str(self.timeout)),
            ]
            member = start_member(
                rank, f"compute party {rank}", command, folder, f"party{rank}", env, piped=True
            )
            self._members.append(member)
            reader = threading.Thread(target=_forward, args=(member, self._lines), daemon=True)
            reader.start()
            self._readers.append(reader)
        if self.provider == "ttp":
            dealer = start_member(
                DEALER_RANK, DEALER_NAME, _dealer_command(port, self.timeout), folder, "dealer", env
            )
            self._members.append(dealer)

    def _await(self, wanted: Any, doing: str) -> dict[int, dict[str, Any]]:
        """Collect one wanted message from every party; raise on any failure or deadline."""
        deadline = time.monotonic() + self.timeout
        answers: dict[int, dict[str, Any]] = {}
        while len(answers) < WORLD_SIZE:
            self._check_alive()
            try:
                rank, line = self._lines.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if time.monotonic() > deadline:
                    late = next(m for m in self._members if m.rank not in answers)
                    raise self._failure(
                        late, f"did not {doing} within {self.timeout:g} s"
                    ) from None
                continue
            if line is None:
                raise self._failure(self._members[rank], "closed its output", wait=True)
            message = json.loads(line)
            if message.get("ok") is False:
                raise self._failure(self._members[rank], f"job failed: {message.get('error')}")
            if wanted(message):
                answers[rank] = message
        return answers

    def _check_alive(self) -> None:
        """Raise for the first member (party or dealer) that has exited."""
        for member in self._members:
            code = member.process.poll()
            if code is not None:
                raise self._failure(member, f"exited with code {code}")

    def _failure(self, member: Member, reason: str, *, wait: bool = False) -> PartyFailedError:
        """Kill the session and build the error naming the member that most likely failed.

        If ``member`` exited, that is whichever exited member looks most like the cause (see
        :func:`likeliest_cause`): a dying member takes its peers down with it. A member that
        is late, reported an error or disagreed is named itself.
        """
        if wait:
            with suppress(subprocess.TimeoutExpired):
                reason = f"exited with code {member.process.wait(timeout=1.0)}"
        if member.process.poll() is not None:
            cause = likeliest_cause(self._members, any_exit=True, suspect=member)
            assert cause is not None  # member itself has exited
            member, reason = cause[0], f"exited with code {cause[1]}"
        self._kill()
        return PartyFailedError(member.rank, reason, stderr_tail(member.stderr), name=member.name)

    def run(
        self, program: str, inputs: Sequence[jobs.JobInput], params: JsonParams | None = None
    ) -> JobResult:
        """Run one job on the session (starting one if needed); all three must agree."""
        if len(inputs) != WORLD_SIZE:
            raise ValueError(f"expected {WORLD_SIZE} job inputs, got {len(inputs)}")
        jobs.program_for(program, jobs.params_json(params))  # refuse bad names before sending
        if not self.running:
            self.start()
        job = next(self._job_ids)
        started = time.perf_counter()
        outs = [self.workdir / f"job{job}-party{r}{jobs.output_suffix(program)}" for r in range(3)]
        for member, job_input, out in zip(self._members, inputs, outs, strict=False):
            self._send(member, job, program, params, job_input, out)
        answers = self._await(lambda message: message.get("job") == job, f"finish job {job}")
        output = self._agreed([jobs.load_output(out) for out in outs])
        timings = tuple(answers[rank]["timings"] for rank in range(WORLD_SIZE))
        return JobResult(output, time.perf_counter() - started, timings)

    def _send(
        self,
        member: Member,
        job: int,
        program: str,
        params: JsonParams | None,
        job_input: jobs.JobInput,
        out: Path,
    ) -> None:
        """Write one job line to a worker's stdin."""
        request = {
            "op": "job",
            "job": job,
            "program": program,
            "params": jobs.params_json(params),
            "input": job_input.to_dict(),
            "out": str(out),
        }
        self._write(member, request)

    def _write(self, member: Member, request: dict[str, Any]) -> None:
        """Send a request line; a closed pipe means the worker died."""
        assert member.process.stdin is not None
        try:
            member.process.stdin.write((json.dumps(request) + "\n").encode())
            member.process.stdin.flush()
        except (BrokenPipeError, ValueError) as error:
            raise self._failure(member, f"could not take a request: {error}", wait=True) from None

    def _agreed(
        self, outputs: list[np.ndarray | CheckedSumResult]
    ) -> np.ndarray | CheckedSumResult:
        """The common output; a party that revealed something else fails the job."""
        for rank, other in enumerate(outputs[1:], start=1):
            if not jobs.same_output(outputs[0], other):
                raise self._failure(self._members[rank], "revealed a different result than party 0")
        return outputs[0]

    def close(self) -> None:
        """Ask every party to stop, wait briefly, then kill whatever is left."""
        for member in self._members[:WORLD_SIZE]:
            if member.process.poll() is None and member.process.stdin is not None:
                try:
                    member.process.stdin.write(b'{"op": "stop"}\n')
                    member.process.stdin.close()
                except BrokenPipeError:
                    pass  # it is exiting already; the wait below sees it
        deadline = time.monotonic() + STOP_SECONDS
        while self._members and time.monotonic() < deadline:
            if all(m.process.poll() is not None for m in self._members):
                break
            time.sleep(POLL_SECONDS)
        self._kill()

    def _kill(self) -> None:
        """Kill every member's process group, record the manifest, forget the session."""
        if not self._members:
            return
        kill_all(self._members)
        write_manifest(self._members, self._members[0].stderr.parent)
        for reader in self._readers:
            reader.join(timeout=STOP_SECONDS)  # the pipes reach end of file once killed
        for member in self._members:
            for stream in (member.process.stdin, member.process.stdout):
                if stream is not None:
                    with suppress(BrokenPipeError):
                        stream.close()
        self._members, self._readers = [], []


def _forward(member: Member, lines: queue.Queue[tuple[int, str | None]]) -> None:
    """Put one worker's protocol lines on its session's queue; ``None`` at end of output."""
    assert member.process.stdout is not None
    for raw in member.process.stdout:
        line = raw.decode(errors="replace")
        if line.startswith(PREFIX):
            lines.put((member.rank, line[len(PREFIX) :]))
    lines.put((member.rank, None))
