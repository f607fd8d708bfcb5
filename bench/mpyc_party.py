"""One MPyC party of the secure column sum; run three: ``-M3 -I0`` .. ``-I2``.

Usage: ``python -m bench.mpyc_party -M3 -I<i> --no-log INPUT.npy OUTPUT.npy``.
Party i loads its own rows (an int64 cities x cells matrix) from INPUT.npy, secret-shares
them (Shamir, MPyC secure integer array), every party sums all parties' rows column-wise
on the shares, and the 10,000 totals are opened to every party; party 0 writes them
to OUTPUT.npy.
"""

from __future__ import annotations

import sys

import numpy as np
from mpyc.runtime import mpc

BITS = 32  # 342 cities x values < 5,000 sum to < 2**21


async def main(source: str, target: str) -> None:
    """Input own rows, sum every party's rows on the shares and open the column sums."""
    secint = mpc.SecInt(BITS)
    own = np.load(source)
    await mpc.start()
    inputs = mpc.input(secint.array(own))  # one secure array per party
    stacked = mpc.np_vstack(inputs)
    total = mpc.np_sum(stacked, axis=0)
    opened = await mpc.output(total)
    if mpc.pid == 0:
        np.save(target, np.asarray(opened, dtype=np.int64))
    await mpc.shutdown()


if __name__ == "__main__":
    mpc.run(main(sys.argv[-2], sys.argv[-1]))
