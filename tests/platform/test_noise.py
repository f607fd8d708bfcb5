"""The 95 % interval of a noisy figure, against the noise's own distribution."""

from __future__ import annotations

import math

import numpy as np
import pytest

from samenbeeld.federation.mpc.dp import NoisePolicy
from samenbeeld.platform.noise import PARTIES, Interval, Noise, combined, laplace_sum_quantile

SAMPLES = 1_000_000
"""Numpy draws per coverage check (seeded): the coverage's own sd is 0.00022."""


def coverage(noise: Noise, draws: np.ndarray) -> float:
    """The share of draws within the noise's 95 % half-width."""
    return float(np.mean(np.abs(draws) <= noise.half_width()))


def test_a_gaussian_interval_is_the_value_plus_or_minus_1_96_sd():
    found = Noise("gaussian", 10.0).interval(100.0)
    assert found == Interval(pytest.approx(80.40036), pytest.approx(119.59964))
    draws = np.random.default_rng(1).normal(0.0, 10.0, SAMPLES)
    assert coverage(Noise("gaussian", 10.0), draws) == pytest.approx(0.95, abs=0.001)


def test_one_laplace_share_gives_the_textbook_b_ln_20():
    # P(|L| > t) = exp(-t / b): 0.05 at t = b ln 20.
    assert laplace_sum_quantile(1) == pytest.approx(math.log(20))


def test_a_laplace_interval_covers_95_percent_of_the_noise_the_parties_add():
    # Every party adds a Laplace share at the full scale b; sd = sqrt(2 * PARTIES) * b.
    sd, b = 6.0, 6.0 / math.sqrt(2 * PARTIES)
    draws = np.random.default_rng(2).laplace(0.0, b, (SAMPLES, PARTIES)).sum(axis=1)
    assert draws.std() == pytest.approx(sd, rel=0.005)
    laplace = Noise("laplace", sd)
    assert coverage(laplace, draws) == pytest.approx(0.95, abs=0.001)
    assert laplace.half_width() == pytest.approx(2.0284 * sd, rel=1e-4)
    one_share = b * math.sqrt(PARTIES) * math.log(20)  # one Laplace of the same sd: too wide
    assert np.mean(np.abs(draws) <= one_share) > 0.955
    assert coverage(Noise("gaussian", sd), draws) < 0.945  # 1.96 sd: too narrow


def test_the_interval_holds_for_the_noise_the_engine_really_draws():
    # The parties' own discrete Laplace shares (OpenDP, not seedable), summed as in MPC:
    # 20,000 cells, the coverage's sd is 0.0015; a false failure (4.5 sd) about 7e-6.
    policy, bounds = NoisePolicy("laplace", 1.0), [1.0] * 20_000
    noise = sum(policy.share(bounds, PARTIES) for _ in range(PARTIES)) / 2**16
    laplace = Noise("laplace", policy.released_sd(bounds, PARTIES))
    assert noise.std() == pytest.approx(laplace.sd, rel=0.03)
    assert coverage(laplace, noise) == pytest.approx(0.95, abs=0.007)


def test_exact_and_suppressed_figures_have_no_interval():
    assert Noise().interval(12.0) is None
    assert Noise("gaussian", 3.0).interval(None) is None
    assert Noise().half_width() == 0.0


def test_independent_noise_adds_in_variance_read_with_the_heaviest_tail():
    assert combined([Noise("gaussian", 3.0), Noise("gaussian", 4.0)]) == Noise("gaussian", 5.0)
    assert combined([Noise("gaussian", 3.0), Noise("gaussian", 4.0)], 2) == Noise("gaussian", 2.5)
    assert combined([Noise(), Noise("laplace", 2.0), Noise("gaussian", 0.0)]).mechanism == "laplace"
    assert combined([Noise(), Noise()]) == Noise()
    assert Noise("gaussian", 5.0).covers(-9.7) and not Noise("gaussian", 5.0).covers(9.9)
