"""DP noise added inside MPC before the reveal, and the budget gate in front of it."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from samenbeeld.federation.hub import budget
from samenbeeld.federation.mpc.jobs import JobInput
from samenbeeld.federation.mpc.pool import PartyPool
from samenbeeld.federation.mpc.programs import CheckedSumParams
from samenbeeld.federation.mpc.release import BudgetKey, run_checked_release
from samenbeeld.platform.errors import DisclosureRefusedError, InvalidInputError
from samenbeeld.platform.models.hub import Round

TIMEOUT = 180.0  # generous: CI runs the Airflow tests beside these on two cores
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
CITIES, CELLS, MAX = 6, 400, 10.0


def inputs(share_files, plain: np.ndarray, name: str = "in") -> list[JobInput]:
    """One matrix input per party for ``plain``."""
    return [JobInput(matrix=path) for path in share_files(plain, name)]


def plain_matrix() -> np.ndarray:
    """Cities x cells within [0, MAX] that no cell's single city dominates."""
    return np.random.default_rng(8).integers(1, 4, size=(CITIES, CELLS)).astype(float)


@pytest.mark.slow
@pytest.mark.parametrize("noise", ["laplace", "gaussian"])
def test_noise_is_added_inside_mpc_with_the_calibrated_spread(tmp_path, share_files, noise):
    """Released sums differ from the exact sums by noise of the variance OpenDP calibrated."""
    plain = plain_matrix()
    delta = 1e-6 if noise == "gaussian" else None
    params = CheckedSumParams(max_value=MAX, noise=noise, epsilon=8.0, delta=delta, dominance=1)
    with PartyPool(tmp_path / "pool", timeout=TIMEOUT) as pool:
        result = pool.run("checked_sum", inputs(share_files, plain), params)
    released = result.output.values
    assert not np.isnan(released).any()
    errors = released - plain.sum(axis=0)
    assert np.count_nonzero(errors) > CELLS * 0.9  # noise reached (almost) every cell
    expected = expected_variance(params)
    assert 0.6 * expected < float(np.var(errors)) < 1.6 * expected
    assert abs(float(np.mean(errors))) < 4 * math.sqrt(expected / CELLS)


def expected_variance(params: CheckedSumParams) -> float:
    """Variance of the summed noise per cell, in count units, from the parties' scale."""
    from samenbeeld.federation.mpc import dp

    mechanism = "laplace" if params.noise == "laplace" else "gaussian"
    spread = CELLS if mechanism == "laplace" else math.sqrt(CELLS)
    calibrated = dp.privacy_parameters_for(MAX * spread, params.epsilon, params.delta, mechanism, 3)
    per_party = calibrated.party_scale / 2**16
    single = 2 * per_party**2 if mechanism == "laplace" else per_party**2
    return 3 * single


def test_noise_parameters_are_checked_before_anything_runs():
    with pytest.raises(InvalidInputError, match="noise must be"):
        CheckedSumParams(max_value=MAX, noise="uniform", epsilon=1.0)
    with pytest.raises(InvalidInputError, match="epsilon"):
        CheckedSumParams(max_value=MAX, noise="laplace", epsilon=0.0)
    with pytest.raises(InvalidInputError, match="delta"):
        CheckedSumParams(max_value=MAX, noise="gaussian", epsilon=1.0)


def add_round(session: Session, round_id: str) -> str:
    """A hub Round row for the budget ledger to refer to."""
    session.add(
        Round(
            id=round_id,
            indicator_set=f"set-{round_id}",
            period_start=dt.date(2026, 1, 5),
            state="computing",
            opened_at=NOW,
            updated_at=NOW,
        )
    )
    session.flush()
    return round_id


@pytest.mark.slow
def test_an_over_budget_release_is_refused_before_any_party_runs(
    tmp_path, share_files, hub_session
):
    """The first noisy release spends 0.6 of 1.0; the second is refused and never computed."""
    sessions = sessionmaker(bind=hub_session.connection(), join_transaction_mode="create_savepoint")
    plain = plain_matrix()
    params = CheckedSumParams(max_value=MAX, noise="laplace", epsilon=0.6, dominance=1)
    first = BudgetKey("riot_online_weekly", 2026, add_round(hub_session, "r1"), 1.0)
    pool = PartyPool(tmp_path / "pool", timeout=TIMEOUT)
    try:
        released = run_checked_release(sessions, pool, first, inputs(share_files, plain), params)
        assert released.output.contributors == CITIES
        pool.close()
        second = BudgetKey("riot_online_weekly", 2026, add_round(hub_session, "r2"), 1.0)
        with pytest.raises(DisclosureRefusedError, match="budget .* exhausted"):
            run_checked_release(sessions, pool, second, inputs(share_files, plain, "2"), params)
        assert not pool.running
        assert not list((tmp_path / "pool").glob("job2-*"))  # no second job was ever sent
    finally:
        pool.close()
    assert budget.spent(hub_session, "riot_online_weekly", 2026) == pytest.approx(0.6)
