"""The secure sum of 342 cities x 10,000 cells with MPyC (three party processes).

A side-by-side reference for bench.secure_sum (CrypTen). Each MPyC party holds a third
of the cities (114 rows of the same plaintext matrix) in its own .npy file. Like the
CrypTen party pool, MPyC's three ``bench.mpyc_party`` processes start once and then run the
sum REPEATS times (with gmpy2 installed, MPyC's fast path); each run is timed inside the
parties from loading the rows, through Shamir-sharing them as an MPyC secure integer array
(``SecInt(32)``) and the column sum over all 342 rows, to the opened 10,000 totals. The
cold figure (starting the processes included, one run) is reported too. The CrypTen median
is re-measured in the same ``make bench`` run with bench.secure_sum on a warm pool, so the
ratio (CrypTen / MPyC, warm against warm) comes from one run.
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

from samenbeeld.federation.mpc.pool import PartyPool

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
        cold, mpyc = time_mpyc_sums(parts, folder / "mpyc-out.npy", plain)
        plain_c, payloads = secure_sum.write_inputs(folder / "crypten", CITIES)
        with PartyPool(folder / "pool", timeout=TIMEOUT) as pool:
            crypten = [secure_sum.time_secure_sum(pool, payloads, plain_c) for _ in range(REPEATS)]
    ratio = statistics.median(crypten) / statistics.median(mpyc)
    return [
        {"name": f"mpyc_sum_{CITIES}x10000_cold_s", "value": cold, "unit": "s"},
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
