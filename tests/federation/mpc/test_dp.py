"""Distributed DP noise: OpenDP calibration, per-party split, ring encoding, sampler match."""

from __future__ import annotations

import math

import numpy as np
import opendp.prelude as dp
import pytest

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc import dp as sbdp
from samenbeeld.platform.errors import InvalidInputError

EPS, DELTA = 1.0, 1e-6
SAMPLES = 20_000
SCALE = 1 << crypten_compat.PRECISION_BITS


def opendp_measurement(mechanism, scale, delta=None):
    """OpenDP's own measurement, built independently of the module under test."""
    dp.enable_features("contrib")  # make_gaussian/make_laplace are contrib in OpenDP 0.16
    if mechanism == "laplace":
        space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64")
        return dp.m.make_laplace(*space, scale=scale)
    space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l2_distance(T="i64")
    gaussian = dp.m.make_gaussian(*space, scale=scale)
    if delta is None:
        return gaussian
    return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(gaussian), delta)


def test_gaussian_target_scale_meets_opendp_privacy_map_and_is_tight():
    params = sbdp.privacy_parameters_for(2.0, EPS, DELTA, "gaussian")
    assert params.sensitivity_ring == 2 * SCALE
    eps, delta = opendp_measurement("gaussian", params.target_scale, DELTA).map(2 * SCALE)
    assert eps <= EPS and delta <= DELTA
    eps_tighter, _ = opendp_measurement("gaussian", params.target_scale * 0.99, DELTA).map(
        2 * SCALE
    )
    assert eps_tighter > EPS


def test_laplace_scale_meets_opendp_privacy_map_and_each_party_gets_full_scale():
    params = sbdp.privacy_parameters_for(1.0, 0.5, None, "laplace")
    assert params.party_scale == params.target_scale
    assert opendp_measurement("laplace", params.party_scale).map(SCALE) <= 0.5
    assert opendp_measurement("laplace", params.party_scale * 0.99).map(SCALE) > 0.5


@pytest.mark.parametrize("n_parties", [2, 3, 5])
def test_any_n_minus_one_parties_reach_the_target_variance(n_parties):
    params = sbdp.privacy_parameters_for(1.0, EPS, DELTA, "gaussian", n_parties=n_parties)
    assert math.isclose((n_parties - 1) * params.party_scale**2, params.target_scale**2)


def test_two_parties_noise_combined_has_the_target_variance_empirically():
    shares = [sbdp.noise_share(SAMPLES, 1.0, EPS, DELTA) for _ in range(2)]
    combined = (shares[0] + shares[1]).astype(np.float64)
    target = sbdp.privacy_parameters_for(1.0, EPS, DELTA).target_scale
    assert combined.var() == pytest.approx(target**2, rel=0.05)
    assert abs(combined.mean()) < 5 * target / math.sqrt(SAMPLES)


@pytest.mark.parametrize(("mechanism", "delta"), [("gaussian", DELTA), ("laplace", None)])
def test_noise_share_matches_opendp_sampler_at_the_same_scale(mechanism, delta):
    ours = sbdp.noise_share(SAMPLES, 1.0, EPS, delta, mechanism).astype(np.float64)
    scale = sbdp.privacy_parameters_for(1.0, EPS, delta, mechanism).party_scale
    theirs = np.asarray(opendp_measurement(mechanism, scale)([0] * SAMPLES), dtype=np.float64)
    expected_var = scale**2 if mechanism == "gaussian" else 2 * scale**2
    # Tolerances are about 5 standard errors at 20k samples (Laplace has heavier tails).
    quantiles = [0.1, 0.25, 0.5, 0.75, 0.9]
    np.testing.assert_allclose(
        np.quantile(ours, quantiles),
        np.quantile(theirs, quantiles),
        atol=0.1 * math.sqrt(expected_var),
    )
    assert ours.var() == pytest.approx(expected_var, rel=0.08)
    assert theirs.var() == pytest.approx(expected_var, rel=0.08)


def test_noise_is_int64_ring_elements_of_the_expected_magnitude_in_count_units():
    noise = sbdp.noise_share(SAMPLES, 1.0, EPS, DELTA)
    assert noise.dtype == np.int64 and noise.shape == (SAMPLES,)
    decoded = crypten_compat.decode_ring(noise)
    per_party = sbdp.privacy_parameters_for(1.0, EPS, DELTA).party_scale / SCALE
    assert 2.5 < per_party < 4.0  # OpenDP's sigma for eps=1, delta=1e-6 is ~4.53, split over 2
    assert decoded.std() == pytest.approx(per_party, rel=0.05)


def test_noisy_aggregate_decodes_near_the_true_values():
    values = np.array([120.0, 0.0, -3.5, 98765.25])
    ring = crypten_compat.encode_ring(values)
    with np.errstate(over="ignore"):
        for _ in range(3):
            ring = ring + sbdp.noise_share(len(values), 1.0, EPS, DELTA)
    decoded = crypten_compat.decode_ring(ring)
    target = sbdp.privacy_parameters_for(1.0, EPS, DELTA).target_scale / SCALE
    assert np.all(np.abs(decoded - values) < 6 * target * math.sqrt(1.5))


def test_sum_of_discrete_gaussians_slack_is_negligible_at_ring_scales():
    params = sbdp.privacy_parameters_for(1.0, 10.0, DELTA)
    assert sbdp.sum_slack(params.party_scale, 2, 1_000_000) == 0.0
    assert sbdp.sum_slack(0.5, 2, 1) > sbdp.MAX_SLACK


def test_noise_share_refuses_scales_too_small_for_the_sum_bound():
    with pytest.raises(InvalidInputError, match="sum-of-discrete-Gaussians"):
        sbdp.noise_share(1, 2.0**-16, 10.0, DELTA)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epsilon": 0.0}, "epsilon"),
        ({"epsilon": -1.0}, "epsilon"),
        ({"epsilon": math.nan}, "epsilon"),
        ({"sensitivity": 0.0}, "sensitivity"),
        ({"delta": None}, "delta"),
        ({"delta": 1.0}, "delta"),
        ({"mechanism": "laplace"}, "delta must be None"),
        ({"mechanism": "exponential"}, "mechanism"),
        ({"n_parties": 1}, "n_parties"),
        ({"cells": 0}, "cells"),
    ],
)
def test_invalid_parameters_are_refused(kwargs, match):
    arguments = {"cells": 3, "sensitivity": 1.0, "epsilon": EPS, "delta": DELTA} | kwargs
    with pytest.raises(InvalidInputError, match=match):
        sbdp.noise_share(**arguments)
