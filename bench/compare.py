"""`python -m bench.compare REV NAME... [--runs N]`: before and after, in one run, one machine.

Runs ``python -m bench NAME`` on commit ``REV`` (checked out in a temporary git worktree) and
on this checkout, alternately, ``--runs`` times each, with this virtual environment; each
side's source roots come first on ``PYTHONPATH``, so each runs its own product code, DAGs
and benchmark. Prints every figure's median over the runs (each run's value is itself the
benchmark's median) for both sides and their ratio. ``results.json`` is never written: the
runs write to temporary files.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = ("platform", "federation", "api")


def run_once(tree: Path, names: list[str], results: Path) -> dict[str, float]:
    """One ``python -m bench NAMES`` in ``tree``; its figures by name."""
    results.unlink(missing_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(tree / root) for root in SOURCE_ROOTS)
    command = [sys.executable, "-m", "bench", *names, "--results", str(results)]
    subprocess.run(command, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    return {entry["name"]: entry["value"] for entry in json.loads(results.read_text())}


def main(argv: list[str] | None = None) -> None:
    """Alternate the two trees, then print the medians side by side."""
    parser = argparse.ArgumentParser(prog="python -m bench.compare")
    parser.add_argument("rev", help="the commit to compare this checkout with")
    parser.add_argument("names", nargs="+", help="benchmark modules (as in python -m bench)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="samenbeeld-compare-") as name:
        before = Path(name) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(before), args.rev],
            cwd=HERE, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        try:
            for _ in range(args.runs):
                for side, tree in (("before", before), ("after", HERE)):
                    figures = run_once(tree, args.names, Path(name) / f"{side}.json")
                    for figure, value in figures.items():
                        values[figure][side].append(value)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=HERE)
    print(f"{'figure':<36} {args.rev[:10]:>12} {'this tree':>12} {'after/before':>13}")
    for figure, sides in sorted(values.items()):
        old, new = (statistics.median(sides[side]) for side in ("before", "after"))
        ratio = new / old if old else float("nan")
        print(f"{figure:<36} {old:>12.3f} {new:>12.3f} {ratio:>13.2f}")
        print(f"{'':<36} runs: {sides['before']} / {sides['after']}")


if __name__ == "__main__":
    main()
