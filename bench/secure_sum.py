"""Secure sum of C cities x 10,000 cells on a pool of long-lived CrypTen parties.

Compute parties are services: they import torch and CrypTen and join their gloo session
once (``party_pool_start_s``, measured and reported, not part of a job) and then run job
after job. Each timed job goes from share bytes on disk to the decoded result: every city's
three upload payloads (one vector, two ChaCha20 seeds) lie on disk; each party reads and
expands its own payloads into its cities x cells share matrix, the parties sum inside MPC,
reveal and decode exactly, and the pool reads and compares the three outputs. The plaintext
job is the same sum over the plaintext matrix loaded from disk with NumPy.

``validity_check_342x100_s`` is the one-hot histogram program (validity x(x-1)=0 and a row
sum of 1 per city, inside MPC, with triples from the dealer) on 342 cities x 100 buckets.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from samenbeeld.federation.mpc import sharing
from samenbeeld.federation.mpc.counts import CountParams
from samenbeeld.federation.mpc.jobs import JobInput
from samenbeeld.federation.mpc.pool import PartyPool

CELLS = 10_000
REPEATS = 5
ROUND = "bench-round"
SEED = 4
BUCKETS = 100
TIMEOUT = 300.0


def run() -> list[dict[str, Any]]:
    """Time pool start, the secure sums, the plaintext job, the validity check, upload sizes."""
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-mpc-") as name:
        folder = Path(name)
        inputs = {cities: write_inputs(folder / f"c{cities}", cities) for cities in (40, 342)}
        one_hot = write_one_hot(folder / "onehot", 342)
        with PartyPool(folder / "pool", timeout=TIMEOUT) as pool:
            assert pool.startup is not None
            figures.append(
                {"name": "party_pool_start_s", "value": pool.startup.total_s, "unit": "s"}
            )
            for cities, (plain, payloads) in inputs.items():
                secure = [time_secure_sum(pool, payloads, plain) for _ in range(REPEATS)]
                figures.append(_figure(f"secure_sum_{cities}x10000_s", secure, "s"))
            checks = [time_validity(pool, *one_hot) for _ in range(REPEATS)]
        plaintext = [time_plaintext(inputs[342][0]) for _ in range(REPEATS)]
    figures.append(_figure("plaintext_sum_342x10000_s", plaintext, "s"))
    ratio = statistics.median(secure) / statistics.median(plaintext)
    figures.append({"name": "secure_vs_plaintext_ratio", "value": ratio, "unit": "x"})
    figures.append(_figure("validity_check_342x100_s", checks, "s"))
    sizes = sharing.upload_sizes(CELLS)
    for key in ("upload_ratio_uncompressed", "upload_ratio_compressed"):
        figures.append({"name": key, "value": float(sizes[key]), "unit": "x"})
    return figures


def _figure(name: str, samples: list[float], unit: str) -> dict[str, Any]:
    """A results entry with the median as its value."""
    return {"name": name, "value": statistics.median(samples), "unit": unit, "samples": samples}


def write_payloads(folder: Path, rows: np.ndarray, precision_bits: int) -> list[JobInput]:
    """Share every row as a node does and write its three upload payloads; one input a party."""
    folder.mkdir(parents=True)
    files: list[list[Path]] = [[], [], []]
    for city, row in enumerate(rows):
        vector = sharing.encode_vector(row, precision_bits)
        shares = sharing.split(vector, round_id=ROUND, precision_bits=precision_bits)
        for party in range(3):
            path = folder / f"city{city}-party{party}.bin"
            path.write_bytes(sharing.encode_payload(shares, party))
            files[party].append(path)
    return [JobInput(payloads=tuple(paths), round_id=ROUND) for paths in files]


def write_inputs(folder: Path, cities: int) -> tuple[Path, list[JobInput]]:
    """The plaintext matrix on disk and every city's payloads; (plain path, job inputs)."""
    rng = np.random.default_rng(SEED)
    plain = rng.integers(0, 5_000, size=(cities, CELLS)).astype(np.float64)
    payloads = write_payloads(folder, plain, sharing.PRECISION_BITS)
    np.save(folder / "plain.npy", plain)
    return folder / "plain.npy", payloads


def write_one_hot(folder: Path, cities: int) -> tuple[np.ndarray, list[JobInput]]:
    """One-hot bucket vectors (integer-encoded) for every city; (bucket counts, inputs)."""
    rng = np.random.default_rng(SEED)
    rows = np.eye(BUCKETS)[rng.integers(0, BUCKETS, size=cities)]
    return rows.sum(axis=0), write_payloads(folder, rows, 0)


def time_secure_sum(pool: PartyPool, payloads: list[JobInput], plain: Path) -> float:
    """Seconds from payload files to the decoded sum; checks the sum is exact."""
    start = time.perf_counter()
    result = pool.run("sum", payloads)
    elapsed = time.perf_counter() - start
    if not np.array_equal(result.output, np.load(plain).sum(axis=0)):
        raise AssertionError("secure sum differs from the plaintext sum")
    return elapsed


def time_validity(pool: PartyPool, counts: np.ndarray, payloads: list[JobInput]) -> float:
    """Seconds for the one-hot histogram with its validity checks; checks the counts."""
    start = time.perf_counter()
    result = pool.run("histogram", payloads, CountParams(min_contributors=5))
    elapsed = time.perf_counter() - start
    if not np.array_equal(result.output.values, counts):  # type: ignore[union-attr]
        raise AssertionError("secure histogram differs from the plaintext counts")
    return elapsed


def time_plaintext(plain: Path) -> float:
    """Seconds to load the plaintext matrix from disk and sum it with NumPy."""
    start = time.perf_counter()
    np.load(plain).sum(axis=0)
    return time.perf_counter() - start
