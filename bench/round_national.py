"""A whole round at national scale: 342 contributions of 10,000 cells, over HTTP.

The hub and the three party services run as their own processes (``Cluster``; hub and
parties read a one-indicator catalog, ``bench_national``, through ``SAMENBEELD_CATALOG_DIR``;
no node services: a separate load process, :mod:`bench.round_load`, acts as 342 nodes with
real keys registered at the hub, real signed tokens and real share bytes). Timed, median of 3:
from opening the round at the hub, through the uploads and the hub's compute (three CrypTen
party processes and the dealer: range checks, minimum contributors, dominance, reveal), to
the stored release (``round_342_nodes_s``); the secure sum on the product path alone, from
the uploads the party services hold to the stored release (``secure_sum_342x10000_s``: the
hub's compute call), and its ratio to NumPy's plaintext column sum of the same matrix
(``secure_vs_plaintext_ratio``); and the upload endpoint's latency during it
(``upload_p99_ms``, over all 3 x 1,026 uploads). Each release is checked against the
plaintext sums the load process reports. The upload sizes relative to the plaintext
(``upload_ratio_*``) follow from the wire format.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from samenbeeld.api.ops import client as ops_client
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.federation.hub.members import register_member
from samenbeeld.federation.mpc import sharing
from samenbeeld.platform import keys
from samenbeeld.platform.catalog import CATALOG_DIR_ENV
from samenbeeld.platform.db import session_scope

# make bench uses the defaults; the variables are for a smaller trial run by hand.
NODES = int(os.environ.get("BENCH_NODES", "342"))
CELLS = int(os.environ.get("BENCH_CELLS", "10000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
TIMEOUT = 900.0
FIRST_CODE = 5001
INDICATOR = "bench_national"
CATALOG = f"""indicators:
  - code: {INDICATOR}
    title: National benchmark counts
    title_nl: Landelijke benchmarktellingen
    description: Random counts of the national benchmark, one cell per district.
    measure: count_sum
    period: week
    max: 10000
"""


def write_catalog(folder: Path) -> Path:
    """The benchmark's catalog folder (hub and parties check every round against it)."""
    folder.mkdir(parents=True)
    (folder / "bench.yaml").write_text(CATALOG)
    return folder


def register_load_nodes(cluster: Cluster, folder: Path) -> None:
    """Key pairs for NODES synthetic municipalities, registered at the hub."""
    folder.mkdir(parents=True)
    with session_scope(cluster.hub.settings.effective_database_url) as session:
        for number in range(FIRST_CODE, FIRST_CODE + NODES):
            code = f"GM{number:04d}"
            key = keys.generate_private_key()
            keys.write_private_key(folder / f"{code}.pem", key)
            register_member(session, "node", code, f"load node {code}", key.public_key())


@dataclass(frozen=True)
class Round:
    """One national round's seconds (all, the compute call, NumPy's sum) and upload latencies."""

    seconds: float
    compute_s: float
    plaintext_s: float
    latencies_ms: list[float]


def one_round(cluster: Cluster, folder: Path, run: int) -> Round:
    """One national round, timed; checks the release against the plaintext sums."""
    hub, signer = cluster.hub.url, cluster.signer("hub")
    round_id = f"national-{run}"
    parties = ",".join(cluster.services[f"party-{i}"].url for i in range(3))
    out = folder / f"load-{run}.json"
    monday = dt.date(2026, 1, 5) + dt.timedelta(weeks=run)
    with httpx.Client(timeout=TIMEOUT + 60) as client:
        started = time.perf_counter()
        ops_client.open_round(client, hub, signer, round_id, [INDICATOR], monday, CELLS)
        load = [
            sys.executable,
            "-m",
            "bench.round_load",
            round_id,
            str(folder / "loadkeys"),
            parties,
            str(out),
            *("--indicator", INDICATOR, "--period-start", monday.isoformat()),
        ]
        subprocess.run([*load, "--cells", str(CELLS)], check=True)
        computing = time.perf_counter()
        state = ops_client.compute(client, hub, signer, round_id, TIMEOUT)
        elapsed = time.perf_counter() - started
        compute_s = time.perf_counter() - computing
        released = ops_client.releases(client, hub, signer, round_id)
    report = json.loads(out.read_text())
    if state["state"] != "released" or report["refused"]:
        raise AssertionError(
            f"round {round_id}: {state['state']} ({state.get('failure')}), "
            f"refused {report['refused']}"
        )
    values = np.array([cell["value"] for cell in released], dtype=float)
    expected = np.array(report["sums"])
    if not np.array_equal(values, expected):
        wrong = np.flatnonzero(values != expected)
        raise AssertionError(
            f"{wrong.size} released sums differ from the plaintext sums "
            f"(first cells {wrong[:5].tolist()}: {values[wrong[:3]].tolist()} vs "
            f"{expected[wrong[:3]].tolist()})"
        )
    return Round(elapsed, compute_s, report["plaintext_sum_s"], report["latencies_ms"])


def run() -> list[dict[str, Any]]:
    """Three national rounds on one running hub and three parties."""
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-round-") as name:
        folder = Path(name)
        os.environ[CATALOG_DIR_ENV] = str(write_catalog(folder / "catalog"))
        cluster = Cluster(folder, [])
        cluster.prepare()
        register_load_nodes(cluster, folder / "loadkeys")
        cluster.start()
        try:
            rounds = [one_round(cluster, folder, run) for run in range(REPEATS)]
        finally:
            cluster.stop()
            del os.environ[CATALOG_DIR_ENV]
    seconds = [one.seconds for one in rounds]
    secure = [one.compute_s for one in rounds]
    plain = statistics.median(one.plaintext_s for one in rounds)
    latencies = [ms for one in rounds for ms in one.latencies_ms]
    sizes = sharing.upload_sizes(CELLS)
    return [
        _figure("round_342_nodes_s", seconds),
        _figure(f"secure_sum_{NODES}x{CELLS}_s", secure),
        {"name": f"plaintext_sum_{NODES}x{CELLS}_s", "value": plain, "unit": "s"},
        {
            "name": "secure_vs_plaintext_ratio",
            "value": statistics.median(secure) / plain,
            "unit": "x",
        },
        {"name": "upload_p50_ms", "value": float(np.percentile(latencies, 50)), "unit": "ms"},
        {"name": "upload_p99_ms", "value": float(np.percentile(latencies, 99)), "unit": "ms"},
        *(
            {"name": key, "value": float(sizes[key]), "unit": "x"}
            for key in ("upload_ratio_uncompressed", "upload_ratio_compressed")
        ),
    ]


def _figure(name: str, samples: list[float]) -> dict[str, Any]:
    """A results entry in seconds with the median as its value."""
    return {"name": name, "value": statistics.median(samples), "unit": "s", "samples": samples}
