"""What differential privacy costs a round: ``dp_round_overhead_ratio`` (goal at most 1.1).

One weekly sums round of the 12-city demo with every one of its indicators under a Gaussian
release policy, divided by the same round with every indicator exact. Two demo federations
(the same seed, so the same data) run side by side, each on its own copy of the catalog:
one with every indicator ``exact``, one with every weekly sums indicator Gaussian (epsilon
0.5, delta 1e-6, ``protects: incident`` where the measure counts incidents, else the city).
Their weekly DAG runs (``dag.test()``, the demo's path from trigger to stored release:
open, twelve contributions, quorum, the hub's budget charge, the MPC with each party's
noise share, publish) alternate in blocks of three weeks, so both see the same machine; a
block's first run also pays for the child process's Airflow import and is not timed. The
ratio is the median DP week over the median exact week (six weeks each).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml
from bench.demo_week import time_weeks

from samenbeeld.api.ops import demo_run
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.platform.catalog import CATALOG_DIR_ENV, CONTENT_DIR, INCIDENT_MEASURES
from samenbeeld.platform.truth import load_truth

CITIES, SEED, BLOCK, BLOCKS = 12, 7, 3, 3
WEEKS = BLOCK * BLOCKS
GAUSSIAN = {
    "mechanism": "gaussian",
    "epsilon_per_release": 0.5,
    "delta": 1e-6,
    "yearly_epsilon": 10.0,
    "counts": "exact",
}


def write_catalog(folder: Path, noisy: bool) -> Path:
    """A copy of the shipped catalog: every indicator exact, or every one Gaussian."""
    shutil.copytree(CONTENT_DIR, folder)
    for path in folder.glob("*.yaml"):
        document = yaml.safe_load(path.read_text())
        for indicator in document["indicators"]:
            protects = "incident" if indicator["measure"] in INCIDENT_MEASURES else "city"
            indicator["release"] = {**GAUSSIAN, "protects": protects} if noisy else "exact"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


@contextmanager
def catalog_of(folder: Path) -> Iterator[None]:
    """CATALOG_DIR_ENV set to ``folder`` while services start (they inherit it)."""
    before = os.environ.get(CATALOG_DIR_ENV)
    os.environ[CATALOG_DIR_ENV] = str(folder)
    try:
        yield
    finally:
        if before is None:
            del os.environ[CATALOG_DIR_ENV]
        else:
            os.environ[CATALOG_DIR_ENV] = before


def start(root: Path, noisy: bool) -> tuple[Cluster, list[str], Path]:
    """A started demo federation on its own catalog, every node opted in."""
    catalog = write_catalog(root / "catalog", noisy)
    with catalog_of(catalog):
        demo, cluster = demo_run.build(root / "federation", CITIES, WEEKS, SEED, postgres=False)
        cluster.start()
        try:
            with httpx.Client(timeout=600) as client:
                demo_run.opt_in(client, cluster, demo_run.weekly_indicators())
        except BaseException:
            cluster.stop()
            raise
    return cluster, load_truth(demo.truth_path)["week_starts"], catalog


def run() -> list[dict[str, Any]]:
    """Alternate blocks of weekly rounds of the exact and the DP federation; the ratio."""
    seconds: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="samenbeeld-bench-dp-") as name:
        clusters = {}
        try:
            for noisy in (False, True):
                clusters[noisy] = start(Path(name) / ("dp" if noisy else "exact"), noisy)
            for block in range(BLOCKS):
                for noisy, (cluster, weeks, catalog) in clusters.items():
                    chunk = weeks[block * BLOCK : (block + 1) * BLOCK]
                    with catalog_of(catalog):
                        marks = time_weeks(cluster, chunk)
                    seconds[noisy] += [b - a for a, b in zip(marks, marks[1:], strict=False)]
        finally:
            for cluster, _, _ in clusters.values():
                cluster.stop()
    exact, noisy = (statistics.median(seconds[flag]) for flag in (False, True))
    return [
        {"name": "dp_round_exact_week_s", "value": exact, "unit": "s", "samples": seconds[False]},
        {"name": "dp_round_noisy_week_s", "value": noisy, "unit": "s", "samples": seconds[True]},
        {"name": "dp_round_overhead_ratio", "value": noisy / exact, "unit": "ratio"},
    ]
