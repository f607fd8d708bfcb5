"""Secure sum of C cities x 10,000 cells across three CrypTen party processes.

Timed from share bytes on disk to the decoded result: every city's three payloads
(one vector, two seeds) lie on disk; the clock covers expanding each party's payloads
into its cities x cells share matrix and the three-process MPC run (start, rendezvous,
sum, reveal, exact decode). The plaintext job is the same sum over the plaintext matrix
loaded from disk with NumPy. Upload ratios come from the wire format.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from samenbeeld.federation import sharing
from samenbeeld.federation.party import run_secure_sum_timed

CELLS = 10_000
REPEATS = 5
ROUND = "bench-round"
SEED = 4


def run() -> list[dict[str, Any]]:
    """Time the secure sum for 40 and 342 cities, the plaintext job and upload sizes."""
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-mpc-") as folder:
        for cities in (40, 342):
            plain, payloads = write_inputs(Path(folder) / f"c{cities}", cities)
            secure = [
                time_secure_sum(payloads, Path(folder) / f"w{cities}-{i}", plain)
                for i in range(REPEATS)
            ]
            figures.append(_figure(f"secure_sum_{cities}x10000_s", secure, "s"))
        plaintext = [time_plaintext(plain) for _ in range(REPEATS)]
    figures.append(_figure("plaintext_sum_342x10000_s", plaintext, "s"))
    ratio = statistics.median(secure) / statistics.median(plaintext)
    figures.append({"name": "secure_vs_plaintext_ratio", "value": ratio, "unit": "x"})
    sizes = sharing.upload_sizes(CELLS)
    for name in ("upload_ratio_uncompressed", "upload_ratio_compressed"):
        figures.append({"name": name, "value": float(sizes[name]), "unit": "x"})
    return figures


def _figure(name: str, samples: list[float], unit: str) -> dict[str, Any]:
    """A results entry with the median as its value."""
    return {"name": name, "value": statistics.median(samples), "unit": unit, "samples": samples}


def write_inputs(folder: Path, cities: int) -> tuple[Path, list[list[Path]]]:
    """Plaintext matrix and per-city, per-party payload files; (plain path, payloads)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    plain = rng.integers(0, 5_000, size=(cities, CELLS)).astype(np.float64)
    np.save(folder / "plain.npy", plain)
    payloads: list[list[Path]] = [[], [], []]
    for city, row in enumerate(plain):
        shares = sharing.split(sharing.encode_vector(row), round_id=ROUND)
        for party in range(3):
            path = folder / f"city{city}-party{party}.bin"
            path.write_bytes(sharing.encode_payload(shares, party))
            payloads[party].append(path)
    return folder / "plain.npy", payloads


def time_secure_sum(payloads: list[list[Path]], workdir: Path, plain: Path) -> float:
    """Seconds from payload files to the decoded sum; checks the sum is exact."""
    workdir.mkdir(parents=True)
    start = time.perf_counter()
    share_files = []
    for party, files in enumerate(payloads):
        context = sharing.ShareContext(ROUND, party)
        matrix = np.stack([sharing.expand_share(p.read_bytes(), context) for p in files])
        np.save(workdir / f"party{party}.npy", matrix)
        share_files.append(workdir / f"party{party}.npy")
    result = run_secure_sum_timed(share_files, workdir, timeout=120)
    elapsed = time.perf_counter() - start
    if not np.array_equal(result.values, np.load(plain).sum(axis=0)):
        raise AssertionError("secure sum differs from the plaintext sum")
    return elapsed


def time_plaintext(plain: Path) -> float:
    """Seconds to load the plaintext matrix from disk and sum it with NumPy."""
    start = time.perf_counter()
    np.load(plain).sum(axis=0)
    return time.perf_counter() - start
