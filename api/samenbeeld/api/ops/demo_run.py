"""``samenbeeld demo run``: the main job. A whole federation on loopback, one round a week.

1. synthetic data for N cities (``demo init``), SQLite files by default or, with
   ``--postgres``, one PostgreSQL database per service on the local server;
2. hub, three compute parties and N nodes started as separate processes;
3. every node opts in to the indicators of the weekly rounds;
4. the sums round of every week of the demo period and, in its last :data:`FULL_WEEKS`
   weeks, also the distribution and spike rounds, driven by the weekly rounds DAG with
   ``dag.test()`` (open, contribute, quorum, compute, publish), so the dashboard's G40 band
   and early-warning panel have weeks of history;
5. per week, the released and suppressed cells of each round and whether every cell (totals,
   bucket counts, spike counts) matches what the rules demand of the plaintext truth file;
   the last week's cells beside their plaintext figures; then where to look next;
6. the dashboards' URLs (the hub's, and one node's own view), each with a user token;
   run from a terminal, the services keep running for them until Ctrl-C.

Ctrl-C (or any error) stops every process the demo started.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from tqdm import tqdm

from samenbeeld.api.ops import client as ops_client
from samenbeeld.api.ops import dag_test
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.api.ops.orchestration import Federation, IndicatorSet, round_sets
from samenbeeld.platform.catalog import Indicator, load_catalog
from samenbeeld.platform.demo import DemoFederation, init_federation, remove_sqlite_file
from samenbeeld.platform.keys import key_id, read_private_key
from samenbeeld.platform.noise import EXACT, Noise
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.truth import (
    NOISE_Z,
    ExpectedCell,
    agrees,
    expected_cells,
    load_truth,
    verifiable,
)
from samenbeeld.platform.users import issue_user_token

WEEKLY_DAG = "samenbeeld_weekly_rounds"
SUMS_ONLY = {"rounds": ["sums"]}
"""A DAG run's configuration for the sums round alone (the weeks before the last FULL_WEEKS)."""
FULL_WEEKS = 12
"""The last weeks whose DAG runs make all three rounds: the early-warning panel's eight weeks
and a quarter of G40 band. Every week would triple a week's time, for all 52 weeks several
minutes more (README, What the demo shows, has the figures)."""
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
Echo = Callable[[str], None]


def postgres_urls(names: list[str], admin_url: str = POSTGRES_ADMIN) -> dict[str, str]:
    """A fresh database ``samenbeeld_demo_<name>`` per service; their URLs."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    urls = {}
    with engine.connect() as connection:
        for name in names:
            database = f"samenbeeld_demo_{name.lower().replace('-', '_')}"
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{database}"'))
            url = make_url(admin_url).set(database=database)
            urls[name] = url.render_as_string(hide_password=False)
    engine.dispose()
    return urls


def build(
    data_dir: Path, cities: int, weeks: int, seed: int, postgres: bool
) -> tuple[DemoFederation, Cluster]:
    """Synthetic nodes and a prepared (not yet started) cluster around them.

    Every database starts empty, so a run never finds an earlier run's rounds (a released
    round is never computed again: its old release would be reported against new data).
    """
    urls: dict[str, str] = {}
    if postgres:
        from samenbeeld.platform.demo import pick_cities
        from samenbeeld.platform.registry import load_registry

        codes = [m.code for m in pick_cities(load_registry(), cities)]
        urls = postgres_urls(["hub", "party-0", "party-1", "party-2", *codes])
    node_urls = urls.get if postgres else None
    demo = init_federation(data_dir, cities, weeks, seed, progress=True, node_urls=node_urls)  # type: ignore[arg-type]
    cluster = Cluster(data_dir, [code for code, _, _ in demo.cities], database_urls=urls)
    if not postgres:  # PostgreSQL's databases were dropped and created above
        for service in cluster.services.values():
            if service.settings.role != "node":  # the nodes' files are new already
                remove_sqlite_file(data_dir / service.settings.database_file)
    cluster.prepare()
    return demo, cluster


def opt_in(client: httpx.Client, cluster: Cluster, indicators: Sequence[str]) -> None:
    """Every node opts in to the round's indicators through its own API and token."""
    for node in cluster.nodes():
        signer = cluster.signer(node.name)
        for code in indicators:
            headers = signer.headers(audience_for("node", node.name))
            client.put(f"{node.url}/api/v1/opt-ins/{code}", headers=headers).raise_for_status()


def weekly_indicators() -> list[str]:
    """Every indicator of the weekly rounds (sums, distribution, spikes), once each."""
    names = [name for one in round_sets("week").values() for name in one.indicators]
    return list(dict.fromkeys(names))


def airflow_for(cluster: Cluster) -> tuple[dict[str, str], Path]:
    """The environment (migrated) and log file of ``dag.test()`` runs against the cluster."""
    federation = Federation(
        cluster.hub.url,
        str(cluster.hub.settings.effective_key_file),
        {node.name: node.url for node in cluster.nodes()},
    )
    env = dag_test.airflow_environment(cluster.data_dir / "airflow", federation)
    log = cluster.data_dir / "logs" / "airflow.log"
    dag_test.migrate(env, log)
    return env, log


def split_weeks(weeks: list[dt.date]) -> tuple[list[dt.date], list[dt.date]]:
    """The weeks that run the sums round only, and the last FULL_WEEKS, which run all three."""
    split = max(0, len(weeks) - FULL_WEEKS)
    return weeks[:split], weeks[split:]


def schedule(weeks: list[dt.date]) -> list[tuple[dt.date, IndicatorSet]]:
    """Every round the demo runs, week by week: sums, and distribution and spikes at the end."""
    sums_only, full = split_weeks(weeks)
    sets = round_sets("week")
    rounds = [(monday, sets["sums"]) for monday in sums_only]
    return rounds + [(monday, one) for monday in full for one in sets.values()]


def run_weeks(
    client: httpx.Client, cluster: Cluster, weeks: list[dt.date]
) -> list[tuple[dt.date, IndicatorSet, ops_client.RoundOutcome]]:
    """Weekly-rounds DAG runs (``dag.test()``) as the schedule has them; each round's outcome."""
    env, log = airflow_for(cluster)
    with tqdm(total=len(weeks), desc="weekly DAG runs", unit="week") as bar:
        for chosen, conf in zip(split_weeks(weeks), (SUMS_ONLY, None), strict=True):
            if chosen:
                periods = [monday.isoformat() for monday in chosen]
                dag_test.run_periods(WEEKLY_DAG, periods, env, log, lambda _: bar.update(), conf)
    return [
        (monday, one, fetch(client, cluster, one.round_id(monday)))
        for monday, one in schedule(weeks)
    ]


def fetch(client: httpx.Client, cluster: Cluster, round_id: str) -> ops_client.RoundOutcome:
    """The round's state and released cells at the hub."""
    signer = cluster.signer("hub")
    state = ops_client.get_round(client, cluster.hub.url, signer, round_id)
    cells = ops_client.releases(client, cluster.hub.url, signer, round_id)
    return ops_client.RoundOutcome(state, cells, {})


def verdict(outcome: ops_client.RoundOutcome, expected: list[ExpectedCell]) -> tuple[int, int, int]:
    """(released, suppressed, mismatches) of a round; mismatches against the plaintext
    expectation of the cells the truth file can verify."""
    by_cell = {(release["indicator"], release["cell"]): release for release in outcome.releases}
    suppressed = sum(1 for release in outcome.releases if release["suppressed_reason"])
    wrong = 0
    for cell in expected:
        release = by_cell.get((cell.indicator, cell.cell))
        wrong += release is None or not agrees(cell, release)
    return len(outcome.releases) - suppressed, suppressed, wrong


Expect = Callable[[dt.date, IndicatorSet], list[ExpectedCell]]
"""What the rules demand of the plaintext truth for a round of a week."""


def report(
    demo: DemoFederation,
    indicators: list[Indicator],
    rounds: list[tuple[dt.date, IndicatorSet, ops_client.RoundOutcome]],
    settings: tuple[int, float],
) -> tuple[str, int]:
    """The per-week summary, the last week's cells beside the truth; and the mismatches."""
    truth = load_truth(demo.truth_path)
    codes = [code for code, _, _ in demo.cities]

    def expect(monday: dt.date, chosen: IndicatorSet) -> list[ExpectedCell]:
        verified = [i for i in indicators if i.code in chosen.indicators]
        return expected_cells(truth, codes, verified, monday, *settings, program=chosen.program)

    lines, mismatches = week_lines(rounds, expect)
    last = rounds[-1][0]
    lines += ["", f"week of {last.isoformat()}, all {len(codes)} cities:"]
    for monday, chosen, outcome in rounds:
        if monday == last:
            lines += ["", *SECTIONS[chosen.kind](outcome, expect(monday, chosen))]
    return "\n".join(lines), mismatches


def week_lines(
    rounds: list[tuple[dt.date, IndicatorSet, ops_client.RoundOutcome]], expect: Expect
) -> tuple[list[str], int]:
    """One line per week: each round's released/suppressed cells ("-" for a round the week did
    not run, its state for one not released) and whether every verifiable cell matched the
    truth; and the mismatches."""
    kinds = list(dict.fromkeys(chosen.kind for _, chosen, _ in rounds))
    lines = [
        f"{'week':<12}" + "".join(f"{kind:>16}" for kind in kinds) + f"{'matches truth':>15}",
        f"{'':<12}" + "".join(f"{'released/supp.':>16}" for _ in kinds),
    ]
    mismatches = 0
    for monday, week in itertools.groupby(rounds, key=lambda one: one[0]):
        shown, wrong = dict.fromkeys(kinds, "-"), 0
        for _, chosen, outcome in week:
            released, suppressed, bad = verdict(outcome, expect(monday, chosen))
            wrong += bad
            state = outcome.round["state"]
            shown[chosen.kind] = f"{released}/{suppressed}" if state == "released" else state
        mismatches += wrong
        check = "yes" if wrong == 0 else f"NO ({wrong})"
        cells = "".join(f"{shown[kind]:>16}" for kind in kinds)
        lines.append(f"{monday.isoformat():<12}{cells}{check:>15}")
    return lines, mismatches


def _shown(release: dict[str, Any]) -> str:
    """A released value (a noisy one with its 95 % margin), or why it is suppressed."""
    value = release["value"]
    if value is None:
        return f"suppressed: {release['suppressed_reason']}"
    if release.get("mechanism", EXACT) != EXACT:
        margin = Noise(release["mechanism"], release["noise_sd"]).half_width()
        return f"{value:.0f} ± {margin:.0f}"
    return f"{value:.0f}"


def sums_section(outcome: ops_client.RoundOutcome, expected: list[ExpectedCell]) -> list[str]:
    """Released totals beside the plaintext truth."""
    lines = [f"{'sums':<38}{'released':>12}  {'plaintext truth (verification only)':<36}"]
    if any(release.get("mechanism", EXACT) != EXACT for release in outcome.releases):
        lines.insert(0, NOISY_NOTE)
    by_name = {cell.indicator: cell for cell in expected}
    for release in outcome.releases:
        cell = by_name.get(release["indicator"])
        if cell is None:
            truth_shown = "(not in the truth file)"
        else:
            truth_shown = f"{cell.total:.0f}" + (f" (rules: {cell.reason})" if cell.reason else "")
        lines.append(f"{release['indicator']:<38}{_shown(release):>12}  {truth_shown:<36}")
    return lines


def distribution_section(
    outcome: ops_client.RoundOutcome, expected: list[ExpectedCell]
) -> list[str]:
    """Cities per bucket, per indicator, beside the plaintext truth."""
    lines = [f"{'distribution: cities per bucket':<38}{'released':>20}  {'plaintext truth':<20}"]
    counts: dict[str, list[str]] = {}
    for release in outcome.releases:
        counts.setdefault(release["indicator"], []).append(_shown(release))
    truth: dict[str, list[str]] = {}
    for cell in expected:
        truth.setdefault(cell.indicator, []).append(f"{cell.total:.0f}")
    for name, shown in counts.items():
        truth_shown = " ".join(truth[name]) if name in truth else "(not in the truth file)"
        lines.append(f"{name:<38}{_buckets_shown(shown):>20}  {truth_shown:<20}")
    return lines


def _buckets_shown(shown: list[str]) -> str:
    """A row's buckets; a suppression that every bucket shares (a withheld row), once."""
    if len(set(shown)) == 1 and shown[0].startswith("suppressed"):
        return shown[0]
    return " ".join(shown)


def spikes_section(outcome: ops_client.RoundOutcome, expected: list[ExpectedCell]) -> list[str]:
    """Cities flagging a spike, per indicator, beside the plaintext truth."""
    lines = [f"{'spikes: cities flagging one':<38}{'released':>12}  {'plaintext truth':<20}"]
    by_name = {cell.indicator: cell for cell in expected}
    for release in outcome.releases:
        cell = by_name.get(release["indicator"])
        truth_shown = f"{cell.total:.0f}" if cell else "(not in the truth file)"
        alarm = "  <- early warning" if (release["value"] or 0) >= EARLY_WARNING else ""
        lines.append(f"{release['indicator']:<38}{_shown(release):>12}  {truth_shown:<20}{alarm}")
    return lines


NOISY_NOTE = (
    "a value 'v ± m' carries differential-privacy noise (m: its 95 % margin); it matches the\n"
    f"truth when within {NOISE_Z} noise standard deviations of it (a correct release is\n"
    "outside with probability 1e-7); every other value must equal the truth exactly"
)
EARLY_WARNING = 3
"""Cities flagging a spike in one category that the demo points out."""
SECTIONS = {"sums": sums_section, "distribution": distribution_section, "spikes": spikes_section}


def run_demo(
    data_dir: Path,
    cities: int,
    weeks: int,
    seed: int,
    postgres: bool,
    echo: Echo,
    rounds: int | None = None,
    serve: bool | None = None,
) -> bool:
    """The whole demo; True when every released cell matched the truth file.

    Ends with the dashboards' URLs; with ``serve`` (default: when stdin is a terminal) the
    services keep running for them until Ctrl-C.
    """
    demo, cluster = build(Path(data_dir), cities, weeks, seed, postgres)
    catalog = load_catalog()
    indicators = [i for i in catalog.indicators if verifiable(i)]
    mondays = [dt.date.fromisoformat(w) for w in load_truth(demo.truth_path)["week_starts"]]
    mondays = mondays[-rounds:] if rounds else mondays
    with tqdm(total=len(cluster.services), desc="starting services", unit="process") as bar:
        cluster.start(on_ready=lambda _name: bar.update())
    try:
        with httpx.Client(timeout=600) as client:
            opt_in(client, cluster, weekly_indicators())
            outcomes = run_weeks(client, cluster, mondays)
        table, mismatches = report(demo, indicators, outcomes, (5, 0.6))
        echo(table)
        echo(next_steps(cluster, demo))
        serving = sys.stdin.isatty() if serve is None else serve
        echo(dashboard_urls(cluster, serving))
        if serving:
            serve_until_interrupted()
    finally:
        cluster.stop()
    return mismatches == 0 and all(o.round["state"] == "released" for _, _, o in outcomes)


def dashboard_urls(cluster: Cluster, serving: bool) -> str:
    """The dashboards, each with a user token in the URL fragment (never sent to a server)."""
    key = read_private_key(cluster.hub.settings.effective_key_file)
    kid = key_id(key.public_key())
    partner = issue_user_token(key, kid, subject="demo-national-partner", role="national_partner")
    node = cluster.nodes()[0]
    staff = issue_user_token(
        key, kid, subject=f"demo-{node.name}", role="municipality", municipality=node.name
    )
    state = (
        "the services keep running for them until Ctrl-C"
        if serving
        else "the services stopped with the demo; run make demo in a terminal to keep them up"
    )
    return "\n".join(
        [
            "",
            f"dashboards ({state}):",
            f"  own position of {node.name}, its staff on its own node:",
            f"    {node.url}/dashboard/#token={staff}",
            "  hub dashboard, as a national partner:",
            f"    {cluster.hub.url}/dashboard/#token={partner}",
        ]
    )


def serve_until_interrupted() -> None:
    """Keep every service running, for the dashboards, until Ctrl-C (or SIGTERM).

    Both signals end the wait as KeyboardInterrupt, so the caller stops the services (they
    run in sessions of their own and would outlive an abrupt exit).
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if it came in ignored
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


def next_steps(cluster: Cluster, demo: DemoFederation) -> str:
    """Where to look next."""
    return "\n".join(
        [
            "",
            "where to look next:",
            f"  service logs:         {cluster.data_dir / 'logs'}",
            f"  plaintext truth:      {demo.truth_path} (verification only; no service reads it)",
            f"  hub database:         {cluster.hub.settings.effective_database_url}",
            "  run a service:        .venv/bin/samenbeeld hub serve  (see README, Services)",
            "  tests:                make test",
        ]
    )
