"""The round protocol is defined once: hub, node and party accept exactly the same round ids."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from samenbeeld.federation.hub import rounds as hub_rounds
from samenbeeld.federation.node import rounds as node_service
from samenbeeld.federation.party import rounds as party_service
from samenbeeld.federation.protocol import (
    AppliedNoise,
    AppliedRules,
    PartyResult,
    check_round_id,
)
from samenbeeld.platform.errors import InvalidInputError
from samenbeeld.platform.settings import NodeSettings

REFUSED = ["-x", ".hidden", "weekly\n", "", "a" * 65, "week 1", "week/1", "wéék"]
ACCEPTED = ["weekly-2026-01-05", "a", "A.b_c-d", "9" * 64]
MONDAY = dt.date(2026, 1, 5)


@pytest.mark.parametrize("round_id", REFUSED)
def test_every_role_refuses_the_same_round_ids(round_id, hub_session, party_session, node_session):
    with pytest.raises(InvalidInputError, match="round id must be"):
        check_round_id(round_id)
    with pytest.raises(InvalidInputError, match="round id must be"):
        hub_rounds.open_round(hub_session, round_id, ["riot_online_weekly"], MONDAY)
    with pytest.raises(InvalidInputError, match="round id must be"):
        party_service.uploaded_municipalities(party_session, round_id)
    settings = NodeSettings.load(environ={}, municipality="GM0758")
    with pytest.raises(InvalidInputError, match="round id must be"):
        node_service.contribute(node_session, settings, None, None, round_id, ["x"], MONDAY)


@pytest.mark.parametrize("round_id", ACCEPTED)
def test_every_role_accepts_the_same_round_ids(round_id, hub_session, party_session):
    check_round_id(round_id)
    assert hub_rounds.open_round(hub_session, round_id, ["riot_online_weekly"], MONDAY)
    assert party_service.uploaded_municipalities(party_session, round_id) == []


def test_the_result_document_is_signed_over_one_canonical_form():
    noise = AppliedNoise("gaussian", 1.0, 1e-06, 2.5)
    rules = AppliedRules(5, 0.6, {"riot_online_weekly": noise})
    result = PartyResult.of([150.0, float("nan")], ["", "dominance"], ["GM0796"], 5, rules)
    assert result.values == [150.0, None]
    assert result.canonical() == (
        '{"contributors":5,"invalid":["GM0796"],"reasons":["","dominance"],'
        '"rules":{"dominance":0.6,"min_contributors":5,"noise":{"riot_online_weekly":'
        '{"delta":1e-06,"epsilon":1.0,"mechanism":"gaussian","noise_sd":2.5}}},'
        '"values":[150.0,null]}'
    )
    assert PartyResult.from_document(json.loads(result.canonical())) == result


def test_the_rules_a_party_applied_are_part_of_what_it_signs():
    """Parties with other effective rules sign other digests: the hub sees different results."""
    values, reasons = [150.0, 20.0], ["", ""]
    signed = PartyResult.of(values, reasons, [], 6, AppliedRules(5, 0.6)).sha256()
    assert PartyResult.of(values, reasons, [], 6, AppliedRules(6, 0.6)).sha256() != signed
    assert PartyResult.of(values, reasons, [], 6, AppliedRules(5, 0.5)).sha256() != signed
    noisy = AppliedRules(5, 0.6, {"x": AppliedNoise("laplace", 1.0, None, 3.0)})
    assert PartyResult.of(values, reasons, [], 6, noisy).sha256() != signed


def test_every_protocol_program_has_one_row_in_the_engines_registry():
    from samenbeeld.federation.mpc import registry
    from samenbeeld.federation.protocol import PROGRAMS

    assert tuple(registry.PROGRAMS) == PROGRAMS
    assert [registry.input_precision(name) for name in PROGRAMS] == [16, 0, 0]
