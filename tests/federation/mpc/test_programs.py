"""Aggregation programs: the checked sum run by three real party processes on loopback."""

from __future__ import annotations

import math

import numpy as np
import pytest

from samenbeeld.federation.mpc import compat as crypten_compat
from samenbeeld.federation.mpc import dp
from samenbeeld.federation.mpc.counts import CountParams
from samenbeeld.federation.mpc.programs import (
    CheckedSumParams,
    CheckedSumResult,
    load_result,
    save_result,
)
from samenbeeld.federation.protocol import (
    DOMINANCE,
    MIN_CONTRIBUTORS,
    AppliedNoise,
    AppliedRules,
)
from samenbeeld.platform.errors import InvalidInputError

MAX = 100.0
TIMEOUT = 180.0  # generous: CI runs the Airflow tests beside these on two cores


def reference(plain: np.ndarray, params: CheckedSumParams) -> CheckedSumResult:
    """The checked sum computed in plaintext: what the parties must reveal."""
    valid = np.all((plain >= 0) & (plain <= params.max_value), axis=1)
    kept = plain[valid]
    cells = plain.shape[1]
    if kept.shape[0] < params.min_contributors:
        reasons = np.full(cells, MIN_CONTRIBUTORS)
        values = np.full(cells, np.nan)
    else:
        totals = kept.sum(axis=0).astype(np.float64)
        dominated = kept.max(axis=0) > params.dominance * totals
        reasons = np.where(dominated, DOMINANCE, "")
        values = np.where(dominated, np.nan, totals)
    return CheckedSumResult(values, reasons, np.flatnonzero(~valid), int(valid.sum()))


def assert_no_suppressed_number(result: CheckedSumResult) -> None:
    """Every suppressed cell is NaN with a reason; every released cell is a finite number."""
    suppressed = result.reasons != ""
    assert np.all(np.isnan(result.values[suppressed]))
    assert np.all(np.isfinite(result.values[~suppressed]))
    assert set(result.released()) == set(np.flatnonzero(~suppressed).tolist())


def test_params_refuse_values_the_mpc_arithmetic_is_not_exact_for():
    for bad in ({"max_value": 0}, {"max_value": 2.0**30}, {"max_value": 1, "dominance": 1.5}):
        with pytest.raises(InvalidInputError):
            CheckedSumParams(**bad)
    with pytest.raises(InvalidInputError, match="max_value"):
        CheckedSumParams.from_json('{"min_contributors": 3}')
    params = CheckedSumParams(50.0, 3, 0.5)
    assert CheckedSumParams.from_json(params.to_json()) == params


def test_results_round_trip_through_npz_without_pickles(tmp_path):
    result = CheckedSumResult(
        np.array([1.0, np.nan]), np.array(["", DOMINANCE]), np.array([2], dtype=np.int64), 6
    )
    save_result(result, tmp_path / "r.npz")
    loaded = load_result(tmp_path / "r.npz")
    assert np.array_equal(loaded.values, result.values, equal_nan=True)
    assert loaded.reasons.tolist() == ["", DOMINANCE]
    assert loaded.invalid_cities.tolist() == [2] and loaded.contributors == 6
    assert loaded.released() == {0: 1.0}


@pytest.mark.slow
def test_checked_sum_excludes_invalid_cities_and_suppresses_dominated_cells(
    tmp_path, run_session, share_files
):
    """8 cities x 20 cells of integers: released sums are exact (integers are exact in the ring).

    City 2 has a negative cell, city 5 one above the maximum (and a huge one): both are
    named and excluded. Cell 3 is dominated by city 0; cell 4 sits exactly at 60 % and is
    released (the rule is strictly greater).
    """
    rng = np.random.default_rng(7)
    plain = rng.integers(0, int(MAX), size=(8, 20), endpoint=True).astype(np.float64)
    plain[2, 0] = -1.0
    plain[5, 1], plain[5, 9] = MAX + 1, 1e9
    plain[:, 3] = [100, 1, 0, 1, 1, 5, 1, 1]
    plain[:, 4] = [60, 10, 7, 10, 10, 50, 5, 5]
    params = CheckedSumParams(MAX)
    session = run_session("checked_sum", params, share_files(plain), tmp_path / "run", TIMEOUT)
    result, timings = session.result, session
    expected = reference(plain, params)
    assert result.invalid_cities.tolist() == [2, 5]
    assert result.contributors == 6
    assert result.reasons.tolist() == expected.reasons.tolist()
    assert result.reasons[3] == DOMINANCE and result.reasons[4] == ""
    assert np.array_equal(result.values, expected.values, equal_nan=True)
    assert result.values[4] == 100.0
    assert_no_suppressed_number(result)
    assert timings.seconds >= timings.timings[0].compute_s > 0


@pytest.mark.slow
def test_checked_sum_with_too_few_valid_cities_suppresses_every_cell(
    tmp_path, run_session, share_files
):
    """6 cities, 2 out of range: 4 valid < k = 5, so nothing but the validity bits is revealed."""
    rng = np.random.default_rng(8)
    plain = rng.integers(0, int(MAX), size=(6, 20), endpoint=True).astype(np.float64)
    plain[1, 5], plain[4, 0] = -3.5, MAX + 0.25
    params = CheckedSumParams(MAX, min_contributors=5)
    result = run_session(
        "checked_sum", params, share_files(plain), tmp_path / "run", TIMEOUT
    ).result
    assert result.invalid_cities.tolist() == [1, 4]
    assert result.contributors == 4
    assert result.reasons.tolist() == [MIN_CONTRIBUTORS] * 20
    assert np.all(np.isnan(result.values)) and result.released() == {}
    results = [load_result(tmp_path / "run" / f"party{rank}.npz") for rank in range(3)]
    assert all(np.isnan(other.values).all() for other in results)


def test_the_rules_a_party_signs_name_each_noisy_indicator_and_its_released_noise():
    noise = [[0, 2, "gaussian", 1.0, 1e-6, None], [2, 1, "laplace", 0.5, None, None],
             [3, 1, "gaussian", 1.0, 1e-6, None], [4, 1, "gaussian", 1.0, 1e-6, 1.0]]  # fmt: skip
    params = CheckedSumParams(MAX, min_contributors=6, dominance=0.5, noise=noise)
    rules = params.applied(["a", "a", "b", "c", "d"], ["", DOMINANCE, "", DOMINANCE, ""])
    one_cell = dp.NoisePolicy("gaussian", 1.0, 1e-6).released_sd([MAX])
    incident = dp.NoisePolicy("gaussian", 1.0, 1e-6, 1.0).released_sd([MAX])
    assert rules == AppliedRules(6, 0.5, {
        "a": AppliedNoise("gaussian", 1.0, 1e-6, one_cell),  # one of its two cells released
        "b": AppliedNoise("laplace", 0.5, None, dp.NoisePolicy("laplace", 0.5).released_sd([MAX])),
        "c": AppliedNoise("gaussian", 1.0, 1e-6, None),  # nothing of it released
        "d": AppliedNoise("gaussian", 1.0, 1e-6, incident),  # protects one incident
    })  # fmt: skip
    assert incident < one_cell
    assert CountParams(7).applied(["a"], [""]) == AppliedRules(7)  # counts: no dominance, no noise


def test_times_exactly_multiplies_every_share_without_truncation():
    """A public integer factor scales each additive share: no encoding, no truncation."""
    import torch

    from samenbeeld.federation.mpc.programs import times_exactly

    crypten = crypten_compat.import_crypten()
    crypten.init()
    try:
        shares = torch.tensor([[3 << 16, -(7 << 16)], [1, 2**40]])
        tensor = crypten.mpc.MPCTensor.from_shares(shares, precision=16)
        scaled = times_exactly(tensor, torch.tensor([[5], [0]]))
        assert torch.equal(scaled.share, shares * torch.tensor([[5], [0]]))
        assert scaled.encoder.scale == tensor.encoder.scale == 2**16
        assert torch.equal(tensor.share, shares)  # the input is left alone
    finally:
        crypten.uninit()


@pytest.mark.slow
def test_each_cell_is_checked_against_its_own_bound(tmp_path, run_session, share_files):
    """Bounds [10, 1000, 10]: 500 is valid in cell 1 only; a city with 50 in cell 0 is out."""
    plain = np.full((6, 3), 2.0)
    plain[:, 1] = 500.0
    plain[4, 0] = 50.0  # above cell 0's bound of 10, below cell 1's
    params = CheckedSumParams([10.0, 1000.0, 10.0], dominance=1.0)
    result = run_session(
        "checked_sum", params, share_files(plain), tmp_path / "run", TIMEOUT
    ).result
    assert result.invalid_cities.tolist() == [4]
    assert result.values.tolist() == [10.0, 2500.0, 10.0]


def test_bounds_must_fit_the_cells_and_the_ring():
    with pytest.raises(InvalidInputError, match="max_value"):
        CheckedSumParams([10.0, 0.0])
    with pytest.raises(InvalidInputError, match="2 bounds for 3 cells"):
        CheckedSumParams([10.0, 20.0]).bound_for(3)
    assert CheckedSumParams.from_json('{"max_value": [1, 2]}').bounds() == [1.0, 2.0]


@pytest.mark.slow
def test_noisy_groups_carry_noise_of_the_stated_scale_and_the_other_cells_stay_exact(
    tmp_path, run_session, share_files
):
    """Two noisy indicators (Gaussian, 200 cells each) beside exact cells, real parties:
    one protecting a whole city (calibrated to the cells' bound), one protecting one incident
    (a unit of 3: calibrated to that, whatever the bound).

    Each noisy cell's error divided by the stated standard deviation (``released_sd``, what
    the hub records) is a standard normal if the parties add what is stated, so the sum of
    the 400 squares is chi-square with 400 degrees of freedom. Bounds at 5.3 standard
    deviations of its Wilson-Hilferty normal approximation: a false failure about once in
    10 million runs. Half the stated noise (or none) or 1.5x of it fails by far.
    """
    rng = np.random.default_rng(11)
    plain = rng.integers(0, 20, size=(8, 410), endpoint=True).astype(np.float64)
    noise = [[0, 200, "gaussian", 1.0, 1e-6, None], [205, 200, "gaussian", 2.0, 1e-6, 3.0]]
    params = CheckedSumParams(MAX, noise=noise)
    session = run_session("checked_sum", params, share_files(plain), tmp_path / "run", TIMEOUT)
    result, exact = session.result, plain.sum(axis=0)
    assert (result.reasons == "").all()
    errors = result.values - exact
    noisy = np.r_[0:200, 205:405]
    assert np.array_equal(np.delete(result.values, noisy), np.delete(exact, noisy))
    sds = np.empty(410)
    for first, cells, mechanism, epsilon, delta, unit in noise:
        sd = dp.NoisePolicy(mechanism, epsilon, delta, unit).released_sd([MAX] * cells)
        sds[first : first + cells] = sd
    city_level = dp.NoisePolicy("gaussian", 2.0, 1e-6).released_sd([MAX] * 200)
    assert sds[0] > city_level > sds[205] > 0  # more epsilon, less noise; an incident, less
    squares = float(np.sum((errors[noisy] / sds[noisy]) ** 2))
    n = len(noisy)
    shift, spread = 1 - 2 / (9 * n), math.sqrt(2 / (9 * n))
    low, high = (n * (shift + k * spread) ** 3 for k in (-5.3, 5.3))
    assert low < squares < high, (low, squares, high)
