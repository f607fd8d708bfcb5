"""Entry point of one compute party: ``python -m samenbeeld.federation.mpc.party_main``."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from contextlib import suppress
from pathlib import Path

from samenbeeld.federation.mpc import programs, registry
from samenbeeld.federation.mpc.runtime import (
    WORLD_SIZE,
    PartyTimings,
    entry_point,
    run_party_program,
)
from samenbeeld.federation.protocol import RoundSpec
from samenbeeld.platform.catalog import default_catalog
from samenbeeld.platform.errors import InvalidInputError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the party's command line."""
    parser = argparse.ArgumentParser(description="Run one compute party of a session.")
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--world-size", type=int, default=WORLD_SIZE)
    parser.add_argument("--master-addr", default="127.0.0.1")
    parser.add_argument("--master-port", type=int, required=True)
    parser.add_argument("--shares", type=Path, required=True, help="this party's int64 .npy")
    parser.add_argument("--out", type=Path, required=True, help="the result (.npz)")
    parser.add_argument("--timeout", type=float, default=60.0, help="rendezvous seconds")
    parser.add_argument("--program", choices=tuple(registry.PROGRAMS), required=True)
    parser.add_argument("--params", default="{}", help="the program's public JSON parameters")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the party, write its result to --out and its timings (JSON) to stdout."""
    args = parse_args(argv)
    return entry_point(
        f"party {args.rank}", args.world_size, lambda: dataclasses.asdict(_run(args))
    )


def warm() -> None:
    """Calibrate the noise of every noisy indicator of this party's catalog, as a session
    would (:class:`programs.CheckedSumParams`; OpenDP's binary search, about 0.4 s per
    distinct policy and sensitivity). Called once by the warm starter, so that every session
    forked from it finds the calibrations cached instead of paying for them each round."""
    catalog = default_catalog()
    for indicator in catalog.indicators:
        if indicator.release.exact:
            continue
        spec = RoundSpec("checked_sum", dt.date.today(), (indicator.code,))  # any period
        with suppress(InvalidInputError):  # a round over it meets the same error itself
            programs.CheckedSumParams(spec.cell_bounds(catalog), noise=spec.noise_groups(catalog))


def _run(args: argparse.Namespace) -> PartyTimings:
    """Run the chosen program and write its result to --out."""
    compute = registry.compute_for(args.program, args.params)
    where = (args.rank, args.master_addr, args.master_port, args.shares, args.timeout)
    result, timings = run_party_program(*where, compute)
    programs.save_result(result, args.out)
    return timings


if __name__ == "__main__":
    sys.exit(main())
