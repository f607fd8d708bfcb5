"""Differential privacy on the real round path: indicators under Gaussian release policies.

Six cities, the hub (on PostgreSQL) and three parties as processes, all reading a catalog in
which ``youth_safety_weekly`` is released with Gaussian noise (epsilon 1 per release, a
yearly budget of 2), ``liveability_weekly`` too with a budget of one release, and
``high_impact_crime_weekly`` stays exact. Two weeks release; the third is refused by the hub
before any attempt starts, because its charge would exceed the budget; of three rounds over
the one-release indicator computed at once, one is released. The release register traces
the two releases to the parties' signed reports, and ``verify-release`` checks them (the
tests run in file order: each builds on the one before).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx
import jwt
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from factories import bearer, catalog_in_use, user_token, write_catalog
from samenbeeld.api.cli import main
from samenbeeld.api.ops import client as ops_client
from samenbeeld.api.ops import dag_test, demo_run
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.federation.mpc.dp import NoisePolicy
from samenbeeld.federation.protocol import PartyResult, sha256_hex
from samenbeeld.platform.catalog import CATALOG_DIR_ENV
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.demo import init_federation
from samenbeeld.platform.keys import read_private_key, write_public_key
from samenbeeld.platform.models.hub import BudgetSpend, Release, Round, RoundReport
from samenbeeld.platform.truth import expected_cells, load_truth

pytestmark = pytest.mark.slow
CITIES, WEEKS = 6, 4
NOISY, EXACT = "youth_safety_weekly", "high_impact_crime_weekly"
ONCE = "liveability_weekly"
"""Noisy with a yearly budget of one release."""
POLICY = {
    "mechanism": "gaussian",
    "epsilon_per_release": 1.0,
    "delta": 1e-6,
    "yearly_epsilon": 2.0,
    "counts": "exact",
}


@pytest.fixture(scope="module")
def dp_federation(tmp_path_factory, postgres_databases):
    """The cluster, its hub on PostgreSQL, on a catalog where NOISY and ONCE have Gaussian
    policies; every node opted in to the weekly indicators."""
    folder = tmp_path_factory.mktemp("dp-federation")
    policies = {NOISY: POLICY, ONCE: {**POLICY, "yearly_epsilon": 1.0}}
    with catalog_in_use(write_catalog(folder, policies)) as catalog:
        # every service started here reads this catalog
        demo = init_federation(folder, cities=CITIES, weeks=WEEKS, seed=5)
        codes = [code for code, _, _ in demo.cities]
        cluster = Cluster(folder, codes, database_urls={"hub": postgres_databases.create()})
        cluster.prepare()
        cluster.start()
    try:
        with httpx.Client(timeout=300) as client:
            demo_run.opt_in(client, cluster, demo_run.weekly_indicators())
            yield cluster, client, catalog, codes, load_truth(demo.truth_path)
    finally:
        cluster.stop()


def run(cluster, client, round_id: str, monday: dt.date) -> ops_client.RoundOutcome:
    """One round of both indicators through the ops client."""
    nodes = {node.name: node.url for node in cluster.nodes()}
    return ops_client.run_round(
        client, cluster.hub.url, cluster.signer("hub"), nodes, round_id, [NOISY, EXACT], monday,
        120.0,
    )  # fmt: skip


def test_noise_on_the_noisy_indicator_exact_values_beside_it_and_the_budget_refuses_a_third(
    dp_federation,
):
    cluster, client, catalog, codes, truth = dp_federation
    mondays = [dt.date.fromisoformat(week) for week in truth["week_starts"][:3]]
    chosen = [catalog.get(NOISY), catalog.get(EXACT)]
    noise_sd = NoisePolicy("gaussian", 1.0, 1e-6).released_sd([catalog.get(NOISY).max])
    for number, monday in enumerate(mondays[:2]):
        outcome = run(cluster, client, f"dp-w{number}", monday)
        assert outcome.round["state"] == "released", outcome.round
        expected = {
            cell.indicator: cell for cell in expected_cells(truth, codes, chosen, monday, 5, 0.6)
        }
        noisy, exact = outcome.releases
        assert (noisy["mechanism"], noisy["epsilon"], noisy["delta"]) == ("gaussian", 1.0, 1e-6)
        assert noisy["noise_sd"] == pytest.approx(noise_sd)
        # 6 standard deviations: a false failure about twice in a billion rounds
        assert abs(noisy["value"] - expected[NOISY].total) < 6 * noise_sd
        assert noisy["value"] != expected[NOISY].total
        assert (exact["mechanism"], exact["noise_sd"]) == ("exact", None)
        assert exact["value"] == expected[EXACT].total
    with session_scope(cluster.hub.settings.effective_database_url) as session:
        charged = session.scalars(
            select(BudgetSpend.round_id)
            .where(BudgetSpend.indicator == NOISY)
            .order_by(BudgetSpend.id)
        ).all()
    assert charged == ["dp-w0", "dp-w1"]  # the noisy indicator only, once per attempt

    with pytest.raises(ops_client.RoundRefusedError) as refusal:
        run(cluster, client, "dp-w2", mondays[2])
    year = mondays[2].year
    message = f"privacy budget of {NOISY} for {year} exhausted: 0 of 2 left, a release costs 1"
    assert message in str(refusal.value)
    with session_scope(cluster.hub.settings.effective_database_url) as session:
        third = session.get(Round, "dp-w2")
        assert (third.state, third.attempt) == ("open", 0)  # no attempt was started
        assert third.failure.startswith("refused: privacy budget")
        assert not session.scalars(select(RoundReport).where(RoundReport.round_id == "dp-w2")).all()


def test_the_register_shows_what_the_parties_signed_and_verify_release_checks_it(
    dp_federation, tmp_path, monkeypatch
):
    """The two releases above, as the register, the reports and the budget view serve them,
    and ``samenbeeld hub verify-release`` on them: fine as released, failing once a stored
    value or a stored report was changed in the hub's database."""
    cluster, client, catalog, _, _ = dp_federation
    hub, url = cluster.hub, cluster.hub.settings.effective_database_url
    hub_key = read_private_key(hub.settings.effective_key_file)
    partner = bearer(user_token(hub_key, "national_partner", subject="dp-register"))
    entries = client.get(f"{hub.url}/api/v1/releases", headers=partner).json()["items"]
    assert [entry["round_id"] for entry in entries] == ["dp-w1", "dp-w0"]  # newest first
    with session_scope(url) as session:
        stored = {(r.round_id, r.attempt, r.party_index): r.result
                  for r in session.scalars(select(RoundReport))}  # fmt: skip
    noise_sd = NoisePolicy("gaussian", 1.0, 1e-6).released_sd([catalog.get(NOISY).max])
    for entry, spent in zip(entries, (2.0, 1.0), strict=True):
        texts = [stored[entry["round_id"], entry["attempt"], party] for party in range(3)]
        assert entry["reports"] == [
            {"party": party, "sha256": sha256_hex(text)} for party, text in enumerate(texts)
        ]
        rules = PartyResult.from_document(json.loads(texts[0])).rules
        assert entry["rules"] == {"min_contributors": 5, "dominance": 0.6}
        assert (rules.min_contributors, rules.dominance) == (5, 0.6)
        signed = rules.noise[NOISY]
        assert signed.noise_sd == pytest.approx(noise_sd)
        noisy, exact = entry["privacy"]
        assert noisy == {
            "indicator": NOISY, "mechanism": signed.mechanism, "epsilon": signed.epsilon,
            "delta": signed.delta, "noise_sd": signed.noise_sd,
            "budget": {"year": int(entry["period_start"][:4]), "yearly_epsilon": 2.0,
                       "spent": spent, "left": 2.0 - spent},
        }  # fmt: skip
        assert (exact["mechanism"], EXACT in rules.noise) == ("exact", False)
    reports = client.get(f"{hub.url}/api/v1/releases/dp-w0/reports", headers=partner).json()
    for report in reports:
        party = cluster.services[f"party-{report['party']}"].settings
        public = read_private_key(party.effective_key_file).public_key()
        claims = jwt.decode(report["signature"], public, algorithms=["EdDSA"])
        assert claims["result_sha256"] == report["sha256"] == sha256_hex(report["result"])
    year = int(entries[0]["period_start"][:4])
    budgets = client.get(f"{hub.url}/api/v1/budgets?year={year}", headers=partner).json()
    shown = [
        (b["indicator"], b["spent"], b["left"], b["releases_left"]) for b in budgets["indicators"]
    ]
    assert shown == [(NOISY, 2.0, 0.0, 0), (ONCE, 0.0, 1.0, 1)]

    monkeypatch.delenv("SAMENBEELD_CONFIG", raising=False)
    monkeypatch.setenv("SAMENBEELD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAMENBEELD_DATABASE_URL", url)
    keys_folder = tmp_path / "party-keys"
    keys_folder.mkdir()
    for index in range(3):
        party = cluster.services[f"party-{index}"].settings
        public = read_private_key(party.effective_key_file).public_key()
        write_public_key(keys_folder / f"party-{index}.pub.pem", public)

    def verify(*options: str):
        return CliRunner().invoke(main, ["hub", "verify-release", *options], catch_exceptions=False)

    for options in (["dp-w0"], ["dp-w1", "--keys", str(keys_folder)]):
        checked = verify(*options)
        assert checked.exit_code == 0, checked.output
        assert checked.output.startswith(f"OK {options[0]} attempt 1: 2 cells are what")
    cell = (Release.round_id == "dp-w0") & (Release.indicator == EXACT)
    with session_scope(url) as session:
        session.execute(update(Release).where(cell).values(value=Release.value + 1))
    refused = verify("dp-w0")
    assert (refused.exit_code, refused.output) == (
        1, f"FAILED: {EXACT} total of dp-w0: the stored value is not the signed one\n"
    )  # fmt: skip
    with session_scope(url) as session:
        session.execute(update(Release).where(cell).values(value=Release.value - 1))
        report = session.scalars(
            select(RoundReport).where(RoundReport.round_id == "dp-w1", RoundReport.party_index == 0)
        ).one()
        report_id, original = report.id, report.result
        document = json.loads(original)
        document["contributors"] -= 1
        report.result = json.dumps(document)
    refused = verify("dp-w1", "--keys", str(keys_folder))
    assert refused.exit_code == 1
    assert "FAILED: compute party 0's stored digest is not the SHA-256" in refused.output
    with session_scope(url) as session:
        restored = update(RoundReport).where(RoundReport.id == report_id)
        session.execute(restored.values(result=original))
    assert verify("dp-w1").exit_code == 0


def test_the_weekly_dag_skips_a_round_the_budget_refuses_and_does_not_retry_it(dp_federation):
    """The fourth week's sums round includes the noisy indicator, whose yearly budget the
    test above spent: the compute task is skipped at once (no retry) and nothing published."""
    cluster, _, _, _, truth = dp_federation
    monday = truth["week_starts"][3]
    env, log = demo_run.airflow_for(cluster)
    env = {
        **env,
        CATALOG_DIR_ENV: os.environ.get(CATALOG_DIR_ENV) or str(cluster.data_dir / "catalog"),
    }
    runs = dag_test.run_periods(demo_run.WEEKLY_DAG, [monday], env, log, conf=demo_run.SUMS_ONLY)
    assert [run["state"] for run in runs] == ["success"]  # a refusal is not a failure
    database = sqlite3.connect(cluster.data_dir / "airflow" / "airflow.db")
    with closing(database):
        tries = dict(
            database.execute(
                "SELECT task_id, state || ':' || try_number FROM task_instance "
                "WHERE task_id IN ('compute', 'publish')"
            ).fetchall()
        )
    assert tries == {"compute": "skipped:1", "publish": "skipped:0"}
    round_id = f"weekly-{monday}"
    with session_scope(cluster.hub.settings.effective_database_url) as session:
        refused = session.get(Round, round_id)
        assert (refused.state, refused.attempt) == ("open", 0)
        assert refused.failure.startswith(f"refused: privacy budget of {NOISY}")


def test_concurrent_rounds_that_together_exceed_the_budget_release_only_what_it_allows(
    dp_federation,
):
    """Three rounds over ONCE (a yearly budget of one release), of three weeks of one year,
    opened and contributed to, then computed at the same moment against the hub on
    PostgreSQL: one is released, the others are refused before any attempt, and the ledger
    holds one release's epsilon. (That the advisory lock is what serialises the charges is
    shown deterministically in tests/federation/hub/test_budget.py.)"""
    cluster, client, _, _, truth = dp_federation
    # the fourth week's weekly round, which the DAG test opened, covers ONCE already
    mondays = [dt.date.fromisoformat(week) for week in truth["week_starts"][:3]]
    assert len({monday.year for monday in mondays}) == 1
    hub, signer = cluster.hub.url, cluster.signer("hub")
    nodes = {node.name: node.url for node in cluster.nodes()}
    round_ids = [f"once-{number}" for number in range(len(mondays))]
    for round_id, monday in zip(round_ids, mondays, strict=True):
        ops_client.open_round(client, hub, signer, round_id, [ONCE], monday)
        ops_client.request_contributions(client, signer, nodes, round_id, [ONCE], monday)
    start = threading.Barrier(len(round_ids))

    def compute(round_id: str) -> str:
        with httpx.Client(timeout=300) as own_client:  # one connection pool per thread
            start.wait()
            try:
                return str(ops_client.compute(own_client, hub, signer, round_id, 120.0)["state"])
            except ops_client.RoundRefusedError:
                return "refused"

    with ThreadPoolExecutor(max_workers=len(round_ids)) as pool:
        outcomes = dict(zip(round_ids, pool.map(compute, round_ids), strict=True))
    assert sorted(outcomes.values()) == ["refused"] * (len(round_ids) - 1) + ["released"]
    with session_scope(cluster.hub.settings.effective_database_url) as session:
        spent = session.scalars(select(BudgetSpend).where(BudgetSpend.indicator == ONCE)).all()
        states = {row.id: (row.state, row.attempt) for row in session.scalars(select(Round))}
    assert [(row.round_id, row.epsilon) for row in spent] == [
        (next(r for r, state in outcomes.items() if state == "released"), 1.0)
    ]
    for round_id, outcome in outcomes.items():
        assert states[round_id] == (("released", 1) if outcome == "released" else ("open", 0))
