"""Start the MPC processes from a warm interpreter: fork, not a cold ``python -m``.

Every MPC session runs its three parties and its triple dealer as new processes, so that
nothing of one session lives on into the next. A cold ``python -m`` spends about 1.8 CPU
seconds importing torch and CrypTen before it does anything, four times per session. Here
those processes are forked from a *warm starter* instead: ``python -m
samenbeeld.federation.mpc.warm_start``, one per service process, started on first use, which
imports the entry modules, runs their ``warm()`` if they have one (a party calibrates its
catalog's differential-privacy noise), and then does nothing but fork on request. Each session still
gets new processes; they hold no state of an earlier session and none of the service's
memory (the warm starter is a new interpreter, not a fork of the service, so the service's
keys and database connections are not in it).

Protocol (one JSON object per line): the service writes ``{"module", "argv", "env", "cwd",
"stdout", "stderr"}`` to the starter's stdin; the starter answers ``{"started": pid}`` and,
when that child exits, ``{"exited": pid, "code": c}`` (negative: killed by signal ``-c``).
The child runs ``module.main(argv)`` in its own session (its pid is its process group) with
exactly ``env``, stdin from ``/dev/null`` and output appended to the two files. The starter
exits when its stdin closes, that is, when the service is gone; it is in the service's
process group, so killing that group kills it too.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

WARM_MODULES = frozenset(
    {"samenbeeld.federation.mpc.party_main", "samenbeeld.federation.mpc.dealer"}
)
"""The entry modules started warm; each has ``main(argv) -> int``."""
LOST = -1
"""The exit code reported for a child whose starter died before the child did."""


class WarmStartError(RuntimeError):
    """The warm starter could not be started or did not answer."""


# --- the service's side --------------------------------------------------------------------


class WarmProcess:
    """A child of the warm starter, seen through :class:`subprocess.Popen`'s interface."""

    stdin: IO[bytes] | None = None
    stdout: IO[bytes] | None = None

    def __init__(self, starter: Starter, pid: int) -> None:
        self._starter = starter
        self.pid = pid

    @property
    def returncode(self) -> int | None:
        """The exit code (negative: killed by that signal), or None while it runs."""
        return self._starter.exit_code(self.pid)

    def poll(self) -> int | None:
        """The exit code, or None while it runs."""
        return self._starter.exit_code(self.pid)

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit code; :class:`subprocess.TimeoutExpired` after ``timeout``."""
        code = self._starter.wait(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0.0)
        return code


class Starter:
    """A warm starter process and the service's side of its protocol.

    :func:`start` keeps one per service process; tests start their own.
    """

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.owner = os.getpid()
        self._request_lock = threading.Lock()
        self._changed = threading.Condition()
        self._started: list[int] = []
        self._codes: dict[int, int] = {}
        self._gone = False
        threading.Thread(target=self._read, name="warm-start-reader", daemon=True).start()

    @property
    def alive(self) -> bool:
        """Whether the starter still answers."""
        with self._changed:
            return not self._gone

    def start(
        self, module: str, argv: Sequence[str], env: Mapping[str, str], stdout: Path, stderr: Path
    ) -> WarmProcess:
        """Fork ``module.main(argv)`` (imported in the child unless the starter has it)."""
        request = {
            "module": module,
            "argv": list(argv),
            "env": dict(env),
            "cwd": os.getcwd(),
            "stdout": str(stdout),
            "stderr": str(stderr),
        }
        return WarmProcess(self, self._request(request))

    def _request(self, request: dict[str, Any]) -> int:
        """Send one start request; the child's pid."""
        assert self._process.stdin is not None
        with self._request_lock:
            try:
                self._process.stdin.write(json.dumps(request).encode() + b"\n")
                self._process.stdin.flush()
            except (BrokenPipeError, ValueError) as error:
                raise WarmStartError(f"the warm starter is gone: {error}") from None
            with self._changed:
                self._changed.wait_for(lambda: self._started or self._gone)
                if not self._started:
                    raise WarmStartError("the warm starter exited without starting the process")
                return self._started.pop()

    def close(self) -> None:
        """Close the starter's stdin: it exits; children still running go on."""
        assert self._process.stdin is not None
        with suppress(BrokenPipeError):
            self._process.stdin.close()
        self._process.wait()
        with self._changed:
            self._changed.wait_for(lambda: self._gone, timeout=5.0)

    def exit_code(self, pid: int) -> int | None:
        """The child's exit code, None while it runs; :data:`LOST` if the starter died."""
        with self._changed:
            return self._codes.get(pid, LOST if self._gone else None)

    def wait(self, pid: int, timeout: float | None) -> int | None:
        """Wait up to ``timeout`` for the child's exit code."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self._codes or self._gone, timeout)
        return self.exit_code(pid)

    def _read(self) -> None:
        """Record the starter's answers; at end of output, mark it gone."""
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            message = json.loads(raw)
            with self._changed:
                if "started" in message:
                    self._started.append(int(message["started"]))
                else:
                    self._codes[int(message["exited"])] = int(message["code"])
                self._changed.notify_all()
        self._process.stdout.close()
        with self._changed:
            self._gone = True
            self._changed.notify_all()
        self._process.wait()


_starter: Starter | None = None
_starter_lock = threading.Lock()


def _current_starter() -> Starter:
    """This process's warm starter, started (again) when there is none alive.

    A process forked after the starter was made gets its own: the pipes are the parent's.
    """
    global _starter
    with _starter_lock:
        if _starter is None or not _starter.alive or _starter.owner != os.getpid():
            _starter = Starter()
        return _starter


def warm_module(command: Sequence[str]) -> str | None:
    """The entry module when ``command`` is ``python -m <a warm module> ...``, else None."""
    if len(command) >= 3 and command[0] == sys.executable and command[1] == "-m":
        return command[2] if command[2] in WARM_MODULES else None
    return None


def start(
    module: str, argv: Sequence[str], env: Mapping[str, str], stdout: Path, stderr: Path
) -> WarmProcess:
    """Fork ``module.main(argv)`` from this process's warm starter (started on first use)."""
    return _current_starter().start(module, argv, env, stdout, stderr)


# --- the starter's side --------------------------------------------------------------------


def serve() -> int:
    """Import the entry modules and CrypTen, then fork one child per request until EOF."""
    from samenbeeld.federation.mpc import compat as crypten_compat

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the service; EOF ends us
    for name in sorted(WARM_MODULES):
        module = importlib.import_module(name)
        if hasattr(module, "warm"):
            module.warm()  # what each child would otherwise compute first, every time
    crypten_compat.import_crypten()  # the entry modules import it only when they run
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever an import prints must not get into the protocol
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    pending = b""
    while True:
        ready, _, _ = select.select([0, wake_r], [], [])
        if wake_r in ready:
            os.read(wake_r, 4096)
        _report_exits(answers)
        if 0 in ready:
            chunk = os.read(0, 1 << 16)
            if not chunk:
                return 0
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                pid = _fork(json.loads(line), (wake_r, wake_w, answers.fileno()))
                answers.write(json.dumps({"started": pid}) + "\n")


def _report_exits(answers: IO[str]) -> None:
    """Reap every exited child and report its exit code."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        answers.write(json.dumps({"exited": pid, "code": code}) + "\n")


def _fork(request: dict[str, Any], starter_fds: tuple[int, ...]) -> int:
    """Fork one child for ``request`` (closing the starter's own descriptors in it)."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd in starter_fds:
            os.close(fd)
        os.setsid()
        _reseed()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _redirect(0, os.devnull, os.O_RDONLY)
        _redirect(1, request["stdout"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        _redirect(2, request["stderr"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        sys.argv = [request["module"], *request["argv"]]
        code = int(importlib.import_module(request["module"]).main(request["argv"]))
    except SystemExit as done:
        code = 0 if done.code is None else done.code if isinstance(done.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)


def _reseed() -> None:
    """Fresh OS entropy for every generator a fork would otherwise share with its siblings.

    Python's ``random`` reseeds itself after a fork; torch's default generator does not,
    and CrypTen's TTP dealer draws the seeds it sends the parties from it: without this,
    every session's dealer would deal the same triples (the probe test checks all three).
    """
    import random

    import numpy as np
    import torch

    random.seed()
    np.random.seed()
    torch.seed()


def _redirect(fd: int, path: str, flags: int) -> None:
    """Point file descriptor ``fd`` at ``path``."""
    opened = os.open(path, flags, 0o600)
    os.dup2(opened, fd)
    os.close(opened)


if __name__ == "__main__":
    sys.exit(serve())
