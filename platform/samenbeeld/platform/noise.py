"""Reading figures that carry differential-privacy noise: the 95 % interval, defined once.

A released cell says how it was released (``mechanism``: ``exact``, ``gaussian`` or
``laplace``) and the standard deviation of its noise in the figure's own units (``noise_sd``,
recorded by the hub from the parties' calibration, :mod:`samenbeeld.federation.mpc.dp`).
The noise has mean 0 and every release draws it afresh, so the noise of different
releases is independent. The interval is ``value ± half-width``: the range in which the
exact figure lies for 95 % of releases.

* Gaussian: every compute party adds a discrete Gaussian share and a sum of Gaussians is
  Gaussian, so the half-width is ``1.959964 * sd`` (the standard normal's 97.5th
  percentile).
* Laplace: every one of the ``n`` = :data:`PARTIES` compute parties adds a discrete Laplace
  share at the full calibrated scale ``b``, so the noise is ``S = L_1 + ... + L_n`` with
  variance ``2 n b**2``: ``b = sd / sqrt(2 n)``. A Laplace(b) is the difference of two
  exponentials of mean ``b``, so ``S = G_1 - G_2`` with ``G_i ~ Gamma(n, b)``; for
  ``x >= 0`` its density is ``exp(-x/b) / (b 2**(2n-1) (n-1)!) * sum_k (2n-2-k)! / (k!
  (n-1-k)!) (2x/b)**k`` (k = 0..n-1), and integrating term by term gives
  ``P(|S| > t b) = exp(-t) / (4**(n-1) (n-1)!) * sum_k (2n-2-k)! / (n-1-k)! 2**k
  sum_{i<=k} t**i / i!``. The half-width is ``t b`` where that is 0.05 (bisection). For
  one share this is ``b ln 20`` (``P(|L| > t) = exp(-t/b)``); for three it is ``4.9686 b``
  = ``2.0284 sd``, narrower than one Laplace of the same sd (``2.1183 sd``, which would
  cover 95.75 %). The shares are integers in the fixed-point ring (2**-16 of a count unit),
  so the continuous distribution is exact to far below any noise worth reading.
* Combinations (a moving average, the difference of two figures, a deviation from a
  median): independent noise adds in variance, ``sd = sqrt(sum sd_i**2)`` (divided by
  ``m`` for a mean of ``m`` figures), read with the factor of the heaviest-tailed
  mechanism in it (Laplace if any, else Gaussian, else exact: no noise). A sum of more
  Laplace shares is closer to Gaussian (six shares: ``1.9957 sd``), so one release's
  Laplace factor is on the safe side for a combination; for Gaussian it is exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from samenbeeld.federation.mpc.sharing import PARTIES

EXACT = "exact"
GAUSSIAN = "gaussian"
LAPLACE = "laplace"
MECHANISMS = (EXACT, GAUSSIAN, LAPLACE)
OUTSIDE = 0.05
"""The chance that the noise is larger than the interval's half-width (a 95 % interval)."""
NORMAL_QUANTILE = 1.959964
"""The standard normal's 97.5th percentile."""


@dataclass(frozen=True)
class Interval:
    """The 95 % interval of a noisy figure."""

    low: float
    high: float


@dataclass(frozen=True)
class Noise:
    """The noise a figure carries: its mechanism and standard deviation (0 when exact)."""

    mechanism: str = EXACT
    sd: float = 0.0

    def half_width(self) -> float:
        """Half the width of the 95 % interval of this noise (see the module doc)."""
        if self.mechanism == GAUSSIAN:
            return NORMAL_QUANTILE * self.sd
        if self.mechanism == LAPLACE:
            return laplace_sum_quantile(PARTIES) * self.sd / math.sqrt(2 * PARTIES)
        return 0.0

    def interval(self, value: float | None) -> Interval | None:
        """value ± the half-width; None for a suppressed value or exact noise."""
        if value is None or self.mechanism == EXACT:
            return None
        width = self.half_width()
        return Interval(value - width, value + width)

    def covers(self, difference: float) -> bool:
        """Whether a difference of noisy figures is within this (their combined) noise."""
        return abs(difference) <= self.half_width()


def combined(noises: Iterable[Noise], count: int = 1) -> Noise:
    """The noise of the sum of independently noisy figures, divided by count."""
    listed = list(noises)
    sd = math.sqrt(sum(noise.sd**2 for noise in listed)) / count
    found = {noise.mechanism for noise in listed}
    mechanism = next((m for m in (LAPLACE, GAUSSIAN) if m in found), EXACT)
    return Noise(mechanism, sd)


@cache
def laplace_sum_quantile(shares: int) -> float:
    """The t with ``P(|L_1 + ... + L_shares| > t) = 0.05`` for Laplace(1) shares."""
    low, high = 0.0, 10.0 * shares + 10.0
    for _ in range(100):
        middle = (low + high) / 2
        low, high = (middle, high) if laplace_sum_tail(middle, shares) > OUTSIDE else (low, middle)
    return high


def laplace_sum_tail(t: float, shares: int) -> float:
    """``P(|S| > t)`` for S the sum of shares Laplace(1) variables, t >= 0 (module doc)."""
    n, f = shares, math.factorial
    terms = sum(
        f(2 * n - 2 - k) / f(n - 1 - k) * 2.0**k * sum(t**i / f(i) for i in range(k + 1))
        for k in range(n)
    )
    return math.exp(-t) * terms / (4.0 ** (n - 1) * f(n - 1))
