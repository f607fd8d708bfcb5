"""A party's own disclosure policy and its ledger of revealed cells (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from samenbeeld.federation.mpc.counts import CountParams
from samenbeeld.federation.mpc.programs import CheckedSumParams
from samenbeeld.federation.party import disclosure
from samenbeeld.federation.protocol import RoundSpec
from samenbeeld.platform.catalog import Catalog, ReleasePolicy, default_catalog
from samenbeeld.platform.errors import ConflictError, InvalidInputError
from samenbeeld.platform.settings import PartySettings

MONDAY = dt.date(2026, 3, 2)
SPEC = RoundSpec("checked_sum", MONDAY, ("riot_online_weekly", "high_impact_crime_weekly"))
SIX = ("GM0106", "GM0344", "GM0363", "GM0518", "GM0599", "GM0758")
TWELVE = (*SIX, "GM0014", "GM0034", "GM0153", "GM0200", "GM0202", "GM0268")
POLICY = disclosure.Policy.from_settings(PartySettings.load(environ={}))


def params(spec=SPEC, cohort=SIX, **asked):
    """The parameters the party computes with for this request."""
    return disclosure.program_params(POLICY, spec, cohort, asked)


def test_the_party_computes_with_its_own_bounds_and_at_least_its_own_rules():
    own = params()
    catalog = default_catalog()
    bounds = [catalog.get(code).max for code in SPEC.indicators]
    assert own == CheckedSumParams(max_value=bounds, min_contributors=5, dominance=0.6)
    stricter = params(min_contributors=6, dominance=0.5)
    assert (stricter.min_contributors, stricter.dominance) == (6, 0.5)
    histogram = params(RoundSpec("histogram", MONDAY, ("riot_online_weekly",)))
    assert histogram == CountParams(5, [5])


@pytest.mark.parametrize(
    ("spec", "cohort", "asked", "reason"),
    [
        (SPEC, ("GM0758",), {}, "a cohort of 1 is below the minimum of 5"),
        (SPEC, SIX, {"min_contributors": 1}, "below this party's minimum of 5"),
        (SPEC, SIX, {"dominance": 1.0}, "above this party's threshold of 0.6"),
        (SPEC, SIX, {"max_value": 1e9}, "not the hub's to set: max_value"),
        (SPEC, SIX, {"noise": "laplace"}, "not the hub's to set: noise"),
        (RoundSpec("checked_sum", MONDAY, ("no_such_indicator",)), SIX, {}, "not in the"),
        (RoundSpec("sum", MONDAY, SPEC.indicators), SIX, {}, "does not run program 'sum'"),
        (
            RoundSpec("checked_sum", MONDAY + dt.timedelta(days=4), SPEC.indicators),
            SIX,
            {},
            "first day of a week",
        ),
        (RoundSpec("checked_sum", dt.date(2999, 1, 7), SPEC.indicators), SIX, {}, "future"),
    ],  # fmt: skip
    ids=[
        "cohort-of-1",
        "min-1",
        "dominance-1",
        "bounds",
        "noise",
        "indicator",
        "program",
        "friday",
        "future",
    ],  # fmt: skip
)
def test_a_request_below_the_partys_policy_is_refused(spec, cohort, asked, reason):
    with pytest.raises(InvalidInputError, match=reason):
        disclosure.program_params(POLICY, spec, cohort, asked)


def test_a_party_refuses_period_kinds_and_programs_it_was_not_configured_for():
    settings = PartySettings.load(environ={}, period_kinds="month", programs="checked_sum")
    policy = disclosure.Policy.from_settings(settings)
    with pytest.raises(InvalidInputError, match="does not compute weekly indicators"):
        disclosure.program_params(policy, SPEC, SIX, {})
    counting = RoundSpec("spike_count", MONDAY, SPEC.indicators)
    with pytest.raises(InvalidInputError, match="does not run program 'spike_count'"):
        disclosure.program_params(policy, counting, SIX, {})


def record(session, round_id, cohort, spec=SPEC, **asked):
    """Record a reveal of spec with cohort, with the parameters the policy gives."""
    used = disclosure.program_params(POLICY, spec, cohort, asked)
    disclosure.record_reveal(session, spec, round_id, cohort, used)


def test_a_retry_of_a_round_must_use_its_first_cohort_and_rules(party_session):
    record(party_session, "week-a", SIX)
    record(party_session, "week-a", tuple(reversed(SIX)))  # the same cohort, in any order
    with pytest.raises(ConflictError, match="a retry must use the cohort and rules"):
        record(party_session, "week-a", SIX[1:] + ("GM0014",))
    with pytest.raises(ConflictError, match="a retry must use the cohort and rules"):
        record(party_session, "week-a", SIX, dominance=0.5)


def test_another_round_over_a_revealed_cell_needs_every_earlier_city_and_k_more(party_session):
    """Differencing two releases must never isolate a city: 6 then 5 of them is refused."""
    record(party_session, "week-a", SIX)
    overlapping = RoundSpec("checked_sum", MONDAY, ("riot_online_weekly",))
    for cohort in (SIX[1:], (*SIX[1:], "GM0014"), (*SIX, "GM0014")):
        with pytest.raises(ConflictError, match="riot_online_weekly of 2026-03-02 was revealed"):
            record(party_session, "week-b", cohort, spec=overlapping)
    record(party_session, "week-c", TWELVE, spec=overlapping)  # six more: a correction
    with pytest.raises(ConflictError):
        record(party_session, "week-d", (*TWELVE, "GM0307"), spec=overlapping)


def test_other_periods_and_programs_are_other_cells(party_session):
    record(party_session, "week-a", SIX)
    record(
        party_session,
        "week-b",
        SIX[1:],
        spec=RoundSpec("checked_sum", MONDAY - dt.timedelta(weeks=1), SPEC.indicators),
    )
    record(party_session, "week-c", SIX[1:], spec=RoundSpec("spike_count", MONDAY, SPEC.indicators))


def _with_policy(policy: ReleasePolicy) -> disclosure.Policy:
    """This party's policy over a catalog in which the spec's second indicator has ``policy``."""
    noisy = Catalog(
        tuple(
            dataclasses.replace(i, release=policy) if i.code == SPEC.indicators[1] else i
            for i in default_catalog().indicators
        )
    )
    return dataclasses.replace(POLICY, catalog=noisy)


def test_noise_comes_from_the_partys_own_release_policies():
    """An indicator under a noise policy in this party's catalog is a noisy cell group;
    ``protects: incident`` makes its unit one count instead of the indicator's max."""
    city = ReleasePolicy("gaussian", 0.5, 1e-6, 4.0)
    own = disclosure.program_params(_with_policy(city), SPEC, SIX, {})
    assert own.noise == [[1, 1, "gaussian", 0.5, 1e-6, None]]  # the second indicator's cell
    incident = dataclasses.replace(city, protects="incident")
    own = disclosure.program_params(_with_policy(incident), SPEC, SIX, {})
    assert own.noise == [[1, 1, "gaussian", 0.5, 1e-6, 1.0]]
    assert params().noise == []  # the shipped catalog's two indicators are exact
    shipped = RoundSpec("checked_sum", MONDAY, ("youth_safety_weekly",))
    assert params(shipped).noise == [[0, 1, "gaussian", 0.5, 1e-6, 1.0]]
