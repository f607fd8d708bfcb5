"""A long-lived compute party: import once, rendezvous once, then run jobs until told to stop.

``python -m samenbeeld.federation.mpc.party_worker --rank R --master-port P`` joins the gloo
rendezvous (with the triple dealer, for CrypTen's TTP provider), then reads one JSON request
per line on stdin and answers one line per request on stdout, prefixed with ``SBJ `` so that
anything else a library prints is ignored by the pool:

* request ``{"op": "job", "job": ID, "program": P, "params": JSON, "input": {...}, "out": F}``
  runs :func:`jobs.run_job` and answers ``{"job": ID, "ok": true, "timings": {...}}``;
* request ``{"op": "stop"}`` leaves the session (party 0 then tells the dealer to stop) and
  the process exits 0.

A job that fails answers ``{"job": ID, "ok": false, "error": ...}`` and the process exits 1:
the other parties may be waiting inside a collective, so the pool kills the whole session and
starts a new one for the next job. Errors carry names and reasons, never values.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc import jobs
from samenbeeld.federation.mpc.runtime import WORLD_SIZE, join_parties, require_provider
from samenbeeld.platform.errors import SamenbeeldError

PREFIX = "SBJ "


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the worker's command line."""
    parser = argparse.ArgumentParser(description="Run one long-lived compute party.")
    parser.add_argument("--rank", type=int, required=True, choices=range(WORLD_SIZE))
    parser.add_argument("--master-addr", default="127.0.0.1")
    parser.add_argument("--master-port", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=60.0, help="rendezvous seconds")
    return parser.parse_args(argv)


def emit(stream: IO[str], message: dict[str, Any]) -> None:
    """Write one protocol line."""
    stream.write(PREFIX + json.dumps(message) + "\n")
    stream.flush()


def run_job(crypten: Any, rank: int, request: dict[str, Any]) -> dict[str, float]:
    """Load this party's input, run the program, save the output; return phase seconds."""
    marks = [time.perf_counter()]
    compute = jobs.program_for(request["program"], request.get("params", "{}"))
    shares = jobs.load_input(jobs.JobInput.from_dict(request["input"]), rank)
    marks.append(time.perf_counter())
    result = compute(crypten, shares)
    marks.append(time.perf_counter())
    jobs.save_output(result, Path(request["out"]))
    marks.append(time.perf_counter())
    load_s, compute_s, save_s = (b - a for a, b in zip(marks, marks[1:], strict=False))
    return {"load_s": load_s, "compute_s": compute_s, "save_s": save_s}


def serve(crypten: Any, rank: int, requests: Iterable[str], out: IO[str]) -> int:
    """Answer job requests until ``stop`` or end of input; 1 after a failed job."""
    for line in requests:
        request = json.loads(line)
        if request.get("op") == "stop":
            return 0
        try:
            timings = run_job(crypten, rank, request)
        except (OSError, KeyError, ValueError, SamenbeeldError) as error:
            reason = f"{type(error).__name__}: {error}"
            emit(out, {"job": request.get("job"), "ok": False, "error": reason})
            return 1
        emit(out, {"job": request.get("job"), "ok": True, "timings": timings})
    return 0


def main(argv: list[str] | None = None) -> int:
    """Join the session, announce readiness with import and rendezvous seconds, serve jobs."""
    args = parse_args(argv)
    try:
        provider = require_provider()
        started = time.perf_counter()
        crypten = crypten_compat.import_crypten()
        imported = time.perf_counter()
        join_parties(crypten, args.rank, args.master_addr, args.master_port, args.timeout, provider)
    except (OSError, ValueError, SamenbeeldError) as error:
        print(f"party {args.rank} failed: {error}", file=sys.stderr)
        return 1
    joined = time.perf_counter()
    emit(
        sys.stdout,
        {"ready": True, "import_s": imported - started, "rendezvous_s": joined - imported},
    )
    code = serve(crypten, args.rank, sys.stdin, sys.stdout)
    if code == 0:
        crypten.uninit()
    return code


if __name__ == "__main__":
    sys.exit(main())
