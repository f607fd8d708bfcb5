"""The secure sum of 342 cities x 10,000 cells with MPyC (three party processes).

A side-by-side reference for bench.secure_sum (CrypTen). Each MPyC party holds a third
of the cities (114 rows of the same plaintext matrix) in its own .npy file; the clock
covers starting the three ``bench.mpyc_party`` processes, each loading its rows,
Shamir-sharing them as an MPyC secure integer array (``SecInt(32)``), the column sum over
all 342 rows on the shares, opening the 10,000 totals, and reading party 0's output
file. The CrypTen median is re-measured in the same run with bench.secure_sum, so the
ratio (CrypTen / MPyC) comes from one run.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench import secure_sum

CITIES = 342
CELLS = secure_sum.CELLS
PARTIES = 3
REPEATS = 5
SEED = secure_sum.SEED
TIMEOUT = 300


def run() -> list[dict[str, Any]]:
    """Time MPyC's and CrypTen's secure sum of 342 x 10,000 and their ratio."""
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-mpyc-") as name:
        folder = Path(name)
        plain, parts = write_inputs(folder / "mpyc")
        mpyc = [time_mpyc_sum(parts, folder / f"mpyc-out-{i}.npy", plain) for i in range(REPEATS)]
        plain_c, payloads = secure_sum.write_inputs(folder / "crypten", CITIES)
        crypten = [
            secure_sum.time_secure_sum(payloads, folder / f"crypten-w{i}", plain_c)
            for i in range(REPEATS)
        ]
    ratio = statistics.median(crypten) / statistics.median(mpyc)
    return [
        _figure(f"mpyc_sum_{CITIES}x10000_s", mpyc, "s"),
        _figure(f"crypten_sum_{CITIES}x10000_same_run_s", crypten, "s"),
        {"name": f"secure_sum_{CITIES}x10000_vs_mpyc_ratio", "value": ratio, "unit": "x"},
    ]


def _figure(name: str, samples: list[float], unit: str) -> dict[str, Any]:
    """A results entry with the median as its value."""
    return {"name": name, "value": statistics.median(samples), "unit": unit, "samples": samples}


def write_inputs(folder: Path) -> tuple[Path, list[Path]]:
    """The plaintext matrix (as in bench.secure_sum) and one row block per party."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    plain = rng.integers(0, 5_000, size=(CITIES, CELLS)).astype(np.int64)
    np.save(folder / "plain.npy", plain)
    parts = []
    for party, rows in enumerate(np.array_split(plain, PARTIES)):
        np.save(folder / f"party{party}.npy", rows)
        parts.append(folder / f"party{party}.npy")
    return folder / "plain.npy", parts


def _free_ports(count: int) -> list[int]:
    """Ports the OS reports free right now (a fresh set for each run)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def time_mpyc_sum(parts: list[Path], output: Path, plain: Path) -> float:
    """Seconds from the parties' .npy files to the opened sum; checks the sum is exact."""
    addresses = [arg for port in _free_ports(PARTIES) for arg in ("-P", f"localhost:{port}")]
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.mpyc_party", *addresses, "-I", str(party)]
            + ["--no-log", str(path), str(output)],
            stdout=subprocess.DEVNULL,
        )
        for party, path in enumerate(parts)
    ]
    codes = [p.wait(timeout=TIMEOUT) for p in processes]
    values = np.load(output)
    elapsed = time.perf_counter() - start
    if any(codes):
        raise RuntimeError(f"MPyC party exit codes {codes}")
    if not np.array_equal(values, np.load(plain).sum(axis=0)):
        raise AssertionError("MPyC sum differs from the plaintext sum")
    return elapsed
