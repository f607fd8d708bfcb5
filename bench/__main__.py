"""`python -m bench`: run every benchmark module and merge its figures into results.json.

A benchmark is a module in this package with ``run() -> list[dict]``; each dict is
``{"name", "value", "unit"}`` and may carry ``"samples"`` (every timing, in seconds)
for the printed table. Entries of results.json with the same name are replaced; others
are kept.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
from pathlib import Path
from typing import Any

BENCHMARKS = (
    "node_indicators",
    "mpyc_sum",
    "round_national",
    "demo_week",
    "dp_round",
    "airflow_round",
    "trend_api",
    "privacy_guard",
)
RETIRED = frozenset(
    {
        "party_pool_start_s",
        "secure_sum_40x10000_s",
        "validity_check_342x100_s",
        "crypten_sum_342x10000_same_run_s",
        "secure_sum_342x10000_vs_mpyc_ratio",
    }
)
"""Figures of the warm party pool, which no round ever used (removed with it): dropped from
results.json by the next run, not carried on as if they were still measured."""
RESULTS = Path(__file__).resolve().parent / "results.json"


def main(argv: list[str] | None = None) -> None:
    """Run the chosen benchmarks, print a table and update results.json."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), help="benchmark modules")
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON file to update")
    args = parser.parse_args(argv)
    figures: list[dict[str, Any]] = []
    for name in args.names:
        module = importlib.import_module(f"bench.{name}")
        figures.extend(module.run())
    print(table(figures))
    merge_results(args.results, [_public(f) for f in figures])


def _public(figure: dict[str, Any]) -> dict[str, Any]:
    """The figure as stored: name, value and unit only."""
    return {key: figure[key] for key in ("name", "value", "unit")}


def merge_results(path: Path, figures: list[dict[str, Any]]) -> None:
    """Replace same-name entries of the JSON list at path (kept in name order)."""
    existing = json.loads(path.read_text()) if path.exists() else []
    by_name = {entry["name"]: entry for entry in existing if entry["name"] not in RETIRED}
    by_name.update({figure["name"]: figure for figure in figures})
    merged = [by_name[name] for name in sorted(by_name)]
    path.write_text(json.dumps(merged, indent=2) + "\n")


def table(figures: list[dict[str, Any]]) -> str:
    """A plain-text table: name, median (the value), min and max of the samples."""
    lines = [f"{'benchmark':<36} {'median':>10} {'min':>10} {'max':>10}  unit"]
    for f in figures:
        samples = f.get("samples") or [f["value"]]
        low, high = min(samples), max(samples)
        median = statistics.median(samples)
        lines.append(f"{f['name']:<36} {median:>10.3f} {low:>10.3f} {high:>10.3f}  {f['unit']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
