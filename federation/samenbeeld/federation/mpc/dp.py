"""Distributed differential-privacy noise: every compute party adds its own share of noise.

Each party calls :func:`noise_share` and adds the result to its additive share of the
aggregate (the ring vector it hands to ``from_shares``), so the noise is summed inside MPC
and only ``aggregate + noise_0 + ... + noise_{n-1}`` is ever revealed. Noise lives in
CrypTen's int64 fixed-point ring: one count unit is ``2**precision_bits`` ring units, and
``sensitivity`` is given in count units (L2 for Gaussian, L1 for Laplace, over the whole
vector of cells).

Calibration is OpenDP's, not a hand formula: :func:`privacy_parameters_for` binary-searches
the scale of ``make_gaussian`` (zCDP, converted with ``make_zCDP_to_approxDP`` and
``make_fix_delta``) or ``make_laplace`` (pure DP) on an i64 vector domain against the
ring-scaled sensitivity, and the noise is drawn by those same OpenDP measurements (applied to
a zero vector, so the output is the sampler's noise alone; OpenDP samples exactly, from a
CSPRNG).

Guarantees (semi-honest parties; ``n`` = ``n_parties``):

* ``gaussian``: the target discrete Gaussian scale ``sigma`` meets (epsilon, delta) for the
  sensitivity. Each party adds an independent discrete Gaussian of scale
  ``sigma / sqrt(n - 1)``, so ANY ``n - 1`` parties' noise has variance ``sigma**2``. A single
  party knows its own noise, subtracts it, and still faces the sum of the other ``n - 1``:
  (epsilon, delta) holds against it. Two colluding parties of three face one share only
  (variance ``sigma**2 / 2``): a weaker guarantee, roughly ``sqrt(2) * epsilon``.
  A sum of discrete Gaussians is close to, not exactly, a discrete Gaussian: Kairouz, Liu &
  Steinke (2021, "The Distributed Discrete Gaussian Mechanism", sum-of-discrete-Gaussians
  theorem) bound its zCDP by that of variance ``(n-1) * party_scale**2`` plus an additive
  term ``tau * cells``, ``tau = 10 * sum_{k=1}^{n-2} exp(-2 pi^2 party_scale^2 k/(k+1))``.
  Party scales are in ring units (tens of thousands for any useful epsilon), so ``tau``
  underflows to 0; we refuse parameters where :func:`sum_slack` exceeds 1e-12. (Continuous
  Gaussians rounded per party were rejected: a sum of rounded Gaussians is not
  post-processing of one Gaussian.)
* ``laplace``: each party adds discrete Laplace noise at the FULL calibrated scale, so each
  party's noise alone gives epsilon-DP, and adding further independent noise is
  post-processing: the guarantee holds exactly against any ``n - 1`` parties. It costs
  ``n`` times the variance of a central release.
* The hub and the public (knowing no noise) face all ``n`` shares: at least as strong.
* All parties colluding know every noise share and learn the exact aggregate: no DP
  guarantee at all (input privacy already assumes non-colluding parties).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import opendp.prelude as dp

from samenbeeld.federation.mpc.compat import PRECISION_BITS
from samenbeeld.platform.errors import InvalidInputError

Mechanism = Literal["gaussian", "laplace"]
MAX_SLACK = 1e-12
MAX_PARTY_SCALE = float(1 << 52)
"""Keeps every noise value far below the ring's 2**63 bound."""


@dataclass(frozen=True)
class PrivacyParameters:
    """OpenDP-calibrated scales, in ring units (count units times ``2**precision_bits``)."""

    mechanism: Mechanism
    sensitivity_ring: int
    target_scale: float
    party_scale: float
    n_parties: int


def _space(mechanism: Mechanism) -> tuple[Any, Any]:
    """OpenDP's i64 vector domain with the metric the mechanism's sensitivity is in."""
    metric = dp.l2_distance(T="i64") if mechanism == "gaussian" else dp.l1_distance(T="i64")
    return dp.vector_domain(dp.atom_domain(T="i64")), metric


def _measurement(mechanism: Mechanism, scale: float, delta: float | None) -> Any:
    """OpenDP's measurement at ``scale``; with ``delta`` Gaussian is mapped to (eps, delta)."""
    # make_gaussian/make_laplace and the zCDP conversions are "contrib" in OpenDP 0.16:
    # vetted by OpenDP but not yet proof-reviewed. Enabled here, where they are needed.
    dp.enable_features("contrib")
    if mechanism == "laplace":
        return dp.m.make_laplace(*_space(mechanism), scale=scale)
    gaussian = dp.m.make_gaussian(*_space(mechanism), scale=scale)
    if delta is None:
        return gaussian
    return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(gaussian), delta)


@lru_cache(maxsize=256)
def _calibrate(mechanism: Mechanism, d_in: int, epsilon: float, delta: float | None) -> float:
    """The smallest scale whose OpenDP privacy map meets the target at ``d_in``."""
    if mechanism == "laplace":
        guess = d_in / epsilon
        d_out: Any = epsilon
    else:
        assert delta is not None
        guess = d_in * math.sqrt(2 * math.log(1.25 / delta)) / epsilon
        d_out = (epsilon, delta)
    return float(
        dp.binary_search_param(
            lambda scale: _measurement(mechanism, scale, delta),
            d_in=d_in,
            d_out=d_out,
            bounds=(guess / 10, guess * 10),
        )
    )


def _validate(
    epsilon: float, delta: float | None, mechanism: str, n_parties: int, sensitivity: float
) -> None:
    """Refuse parameters the calibration cannot honour."""
    if mechanism not in ("gaussian", "laplace"):
        raise InvalidInputError(f"mechanism must be 'gaussian' or 'laplace', not {mechanism!r}")
    if not (math.isfinite(epsilon) and 0 < epsilon <= 10):
        raise InvalidInputError(f"epsilon must be in (0, 10], not {epsilon!r}")
    if not (math.isfinite(sensitivity) and sensitivity > 0):
        raise InvalidInputError(f"sensitivity must be positive, not {sensitivity!r}")
    if n_parties < 2:
        raise InvalidInputError(f"n_parties must be at least 2, not {n_parties!r}")
    if mechanism == "gaussian" and (delta is None or not 0 < delta < 1):
        raise InvalidInputError(f"gaussian needs delta in (0, 1), not {delta!r}")
    if mechanism == "laplace" and delta is not None:
        raise InvalidInputError("laplace is pure DP: delta must be None")


def privacy_parameters_for(
    sensitivity: float,
    epsilon: float,
    delta: float | None = None,
    mechanism: Mechanism = "gaussian",
    n_parties: int = 3,
    precision_bits: int = PRECISION_BITS,
) -> PrivacyParameters:
    """Calibrate with OpenDP and split the scale over the parties (see module docstring)."""
    _validate(epsilon, delta, mechanism, n_parties, sensitivity)
    d_in = math.ceil(sensitivity * (1 << precision_bits))
    target = _calibrate(mechanism, d_in, epsilon, delta)
    party = target if mechanism == "laplace" else target / math.sqrt(n_parties - 1)
    if party > MAX_PARTY_SCALE:
        raise InvalidInputError(f"noise scale {party:.3g} ring units is too large for the ring")
    return PrivacyParameters(mechanism, d_in, target, party, n_parties)


def sum_slack(party_scale: float, summands: int, cells: int) -> float:
    """KLS21's additive zCDP slack for a sum of ``summands`` discrete Gaussians, per vector."""
    tau = 10 * sum(
        math.exp(-2 * math.pi**2 * party_scale**2 * k / (k + 1)) for k in range(1, summands)
    )
    return tau * cells


@dataclass(frozen=True)
class NoisePolicy:
    """One indicator's noise: mechanism, epsilon per release, delta (Gaussian only), and the
    unit it protects (None: a whole city, up to each cell's bound)."""

    mechanism: Mechanism
    epsilon: float
    delta: float | None = None
    unit: float | None = None
    """How far one protected unit (an incident) moves one cell; None: a city, its bounds."""

    def sensitivity(self, bounds: list[float]) -> float:
        """How far what the policy protects moves the cells, in count units: one incident
        moves one cell by ``unit``; one city moves each cell by at most its bound (L1 over
        the cells for Laplace, L2 for Gaussian)."""
        if self.unit is not None:
            return self.unit
        if self.mechanism == "laplace":
            return float(sum(bounds))
        return math.sqrt(sum(bound * bound for bound in bounds))

    def share(self, bounds: list[float], n_parties: int = 3) -> np.ndarray:
        """This party's noise for cells with these bounds (ring units)."""
        sensitivity = self.sensitivity(bounds)
        return noise_share(
            len(bounds), sensitivity, self.epsilon, self.delta, self.mechanism, n_parties
        )

    def released_sd(self, bounds: list[float], n_parties: int = 3) -> float:
        """The standard deviation of each released cell's total noise, in count units.

        The public faces every party's share: Gaussian ``n`` shares of variance
        ``party_scale**2``; Laplace ``n`` discrete Laplace shares of variance about
        ``2 * party_scale**2`` each (see the module docstring).
        """
        sensitivity = self.sensitivity(bounds)
        params = privacy_parameters_for(
            sensitivity, self.epsilon, self.delta, self.mechanism, n_parties
        )
        per_party = params.party_scale**2 * (2 if self.mechanism == "laplace" else 1)
        return math.sqrt(n_parties * per_party) / (1 << PRECISION_BITS)


def noise_share(
    cells: int,
    sensitivity: float,
    epsilon: float,
    delta: float | None = None,
    mechanism: Mechanism = "gaussian",
    n_parties: int = 3,
    precision_bits: int = PRECISION_BITS,
) -> np.ndarray:
    """This party's noise for ``cells`` values, as int64 ring elements to add to its share."""
    if cells < 1:
        raise InvalidInputError(f"cells must be at least 1, not {cells!r}")
    params = privacy_parameters_for(
        sensitivity, epsilon, delta, mechanism, n_parties, precision_bits
    )
    if mechanism == "gaussian" and sum_slack(params.party_scale, n_parties - 1, cells) > MAX_SLACK:
        raise InvalidInputError("noise scale too small for the sum-of-discrete-Gaussians bound")
    sampler = _measurement(mechanism, params.party_scale, None)
    return np.asarray(sampler([0] * cells), dtype=np.int64)
