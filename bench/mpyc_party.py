"""One MPyC party of the secure column sum; run three: ``-M3 -I0`` .. ``-I2``.

Usage: ``python -m bench.mpyc_party -M3 -I<i> --no-log INPUT.npy OUTPUT.npy REPEATS``.
Party i loads its own rows (an int64 cities x cells matrix) from INPUT.npy, secret-shares
them (Shamir, MPyC secure integer array), every party sums all parties' rows column-wise
on the shares, and the 10,000 totals are opened to every party. After start-up this runs
REPEATS times in the same processes (warm, like the CrypTen party pool), each timed from
a barrier through loading the rows to the opened totals; party 0 writes the last totals to
OUTPUT.npy and the per-run seconds, one per line, to OUTPUT.npy's ``.times`` sibling.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from mpyc.runtime import mpc

BITS = 32  # 342 cities x values < 5,000 sum to < 2**21


async def secure_sum(source: str) -> np.ndarray:
    """Input own rows, sum every party's rows on the shares and open the column sums."""
    secint = mpc.SecInt(BITS)
    own = np.load(source)
    inputs = mpc.input(secint.array(own))  # one secure array per party
    total = mpc.np_sum(mpc.np_vstack(inputs), axis=0)
    return np.asarray(await mpc.output(total), dtype=np.int64)


async def main(source: str, target: str, repeats: int) -> None:
    """Start once, run the sum ``repeats`` times, record each run's seconds."""
    await mpc.start()
    times = []
    for run in range(repeats):
        await mpc.barrier(f"run {run}")
        started = time.perf_counter()
        opened = await secure_sum(source)
        times.append(time.perf_counter() - started)
    if mpc.pid == 0:
        np.save(target, opened)
        Path(target + ".times").write_text("".join(f"{t}\n" for t in times))
    await mpc.shutdown()


if __name__ == "__main__":
    mpc.run(main(sys.argv[-3], sys.argv[-2], int(sys.argv[-1])))
