"""The secure sum of 342 cities x 10,000 cells with MPyC (three party processes).

A reference engine, measured on its own: each MPyC party holds a third of the cities (114
rows of the plaintext matrix) in its own .npy file; MPyC's three ``bench.mpyc_party``
processes start once and then run the sum REPEATS times (with gmpy2 installed, MPyC's fast
path); each run is timed inside the parties from loading the rows, through Shamir-sharing
them as an MPyC secure integer array (``SecInt(32)``) and the column sum over all 342 rows,
to the opened 10,000 totals. The cold figure (starting the processes included, one run) is
reported too. It is a plain sum with no range or dominance checks, so it is not comparable
with the product's checked sum (bench.round_national); CrypTen's own warm plain sum, which
the product never runs, is no longer measured beside it.
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

CITIES = 342
CELLS = 10_000
PARTIES = 3
REPEATS = 5
SEED = 4
TIMEOUT = 300


def run() -> list[dict[str, Any]]:
    """Time MPyC's secure sum of 342 x 10,000, cold and warm."""
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-mpyc-") as name:
        folder = Path(name)
        plain, parts = write_inputs(folder / "mpyc")
        cold, mpyc = time_mpyc_sums(parts, folder / "mpyc-out.npy", plain)
    return [
        {"name": f"mpyc_sum_{CITIES}x10000_cold_s", "value": cold, "unit": "s"},
        _figure(f"mpyc_sum_{CITIES}x10000_s", mpyc, "s"),
    ]


def _figure(name: str, samples: list[float], unit: str) -> dict[str, Any]:
    """A results entry with the median as its value."""
    return {"name": name, "value": statistics.median(samples), "unit": unit, "samples": samples}


def write_inputs(folder: Path) -> tuple[Path, list[Path]]:
    """The plaintext matrix and one row block per party."""
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


def _run_mpyc(parts: list[Path], output: Path, repeats: int) -> float:
    """Start three MPyC parties for ``repeats`` sums; wall-clock seconds until all exit."""
    addresses = [arg for port in _free_ports(PARTIES) for arg in ("-P", f"localhost:{port}")]
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.mpyc_party", *addresses, "-I", str(party)]
            + ["--no-log", str(path), str(output), str(repeats)],
            stdout=subprocess.DEVNULL,
        )
        for party, path in enumerate(parts)
    ]
    codes = [p.wait(timeout=TIMEOUT) for p in processes]
    elapsed = time.perf_counter() - start
    if any(codes):
        raise RuntimeError(f"MPyC party exit codes {codes}")
    return elapsed


def time_mpyc_sums(parts: list[Path], output: Path, plain: Path) -> tuple[float, list[float]]:
    """A cold run (processes started for one sum), then REPEATS warm runs; checks the sums."""
    expected = np.load(plain).sum(axis=0)
    cold = _run_mpyc(parts, output, 1)
    if not np.array_equal(np.load(output), expected):
        raise AssertionError("MPyC sum differs from the plaintext sum")
    output.unlink()
    _run_mpyc(parts, output, REPEATS)
    if not np.array_equal(np.load(output), expected):
        raise AssertionError("MPyC sum differs from the plaintext sum")
    warm = [float(line) for line in Path(f"{output}.times").read_text().split()]
    return cold, warm
