"""``samenbeeld demo run``: the main job. A whole federation on loopback, one round a week.

1. synthetic data for N cities (``demo init``), SQLite files by default or, with
   ``--postgres``, one PostgreSQL database per service on the local server;
2. hub, three compute parties and N nodes started as separate processes;
3. every node opts in to the weekly indicators the truth file can verify;
4. one round per week of the demo period, driven by the weekly rounds DAG with
   ``dag.test()`` (open, contribute, quorum, compute, publish);
5. a table of the released totals beside a verification column computed independently
   from the plaintext truth file, then where to look next.

Ctrl-C (or any error) stops every process the demo started.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from tqdm import tqdm

from samenbeeld.api import dag_test, driver
from samenbeeld.api.cluster import Cluster
from samenbeeld.api.orchestration import Federation, indicator_set
from samenbeeld.platform.catalog import Indicator, load_catalog
from samenbeeld.platform.demo import DemoFederation, init_federation
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.truth import ExpectedCell, expected_cells, load_truth, verifiable

WEEKLY_DAG = "samenbeeld_weekly_rounds"
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
    """Synthetic nodes and a prepared (not yet started) cluster around them."""
    urls: dict[str, str] = {}
    if postgres:
        from samenbeeld.platform.demo import pick_cities
        from samenbeeld.platform.registry import load_registry

        codes = [m.code for m in pick_cities(load_registry(), cities)]
        urls = postgres_urls(["hub", "party-0", "party-1", "party-2", *codes])
    node_urls = urls.get if postgres else None
    demo = init_federation(data_dir, cities, weeks, seed, progress=True, node_urls=node_urls)  # type: ignore[arg-type]
    cluster = Cluster(data_dir, [code for code, _, _ in demo.cities], database_urls=urls)
    cluster.prepare()
    return demo, cluster


def opt_in(client: httpx.Client, cluster: Cluster, indicators: Sequence[str]) -> None:
    """Every node opts in to the round's indicators through its own API and token."""
    for node in cluster.nodes():
        signer = cluster.signer(node.name)
        for code in indicators:
            headers = signer.headers(audience_for("node", node.name))
            client.put(f"{node.url}/api/v1/opt-ins/{code}", headers=headers).raise_for_status()


def run_weeks(
    client: httpx.Client, cluster: Cluster, weeks: list[dt.date]
) -> list[driver.RoundOutcome]:
    """One weekly-rounds DAG run per week (``dag.test()``), with a progress bar."""
    federation = Federation(
        cluster.hub.url,
        str(cluster.hub.settings.effective_key_file),
        {node.name: node.url for node in cluster.nodes()},
    )
    env = dag_test.airflow_environment(cluster.data_dir / "airflow", federation)
    log = cluster.data_dir / "logs" / "airflow.log"
    dag_test.migrate(env, log)
    with tqdm(total=len(weeks), desc="weekly DAG runs", unit="round") as bar:
        dag_test.run_periods(
            WEEKLY_DAG, [w.isoformat() for w in weeks], env, log, lambda _run: bar.update()
        )
    signer = cluster.signer("hub")
    outcomes = []
    for monday in weeks:
        round_id = indicator_set("week").round_id(monday)
        state = driver.get_round(client, cluster.hub.url, signer, round_id)
        cells = driver.releases(client, cluster.hub.url, signer, round_id)
        outcomes.append(driver.RoundOutcome(state, cells, {}))
    return outcomes


def verdict(outcome: driver.RoundOutcome, expected: list[ExpectedCell]) -> tuple[int, int, int]:
    """(released, suppressed, mismatches) of a round; mismatches against the plaintext
    expectation of the cells the truth file can verify."""
    by_name = {release["indicator"]: release for release in outcome.releases}
    suppressed = sum(1 for release in outcome.releases if release["suppressed_reason"])
    wrong = 0
    for cell in expected:
        release = by_name.get(cell.indicator)
        if release is None:
            wrong += 1
            continue
        reason = release["suppressed_reason"] or ""
        wrong += reason != cell.reason or (not reason and release["value"] != cell.total)
    return len(outcome.releases) - suppressed, suppressed, wrong


def report(
    demo: DemoFederation, indicators: list[Indicator], weeks: list[dt.date],
    outcomes: list[driver.RoundOutcome], settings: tuple[int, float],
) -> tuple[str, int]:  # fmt: skip
    """The per-week summary and the last week's cells beside the truth; and the mismatches."""
    truth = load_truth(demo.truth_path)
    codes = [code for code, _, _ in demo.cities]
    lines = [f"{'week':<12}{'state':<10}{'released':>9}{'suppressed':>11}{'matches truth':>15}"]
    last: list[ExpectedCell] = []
    mismatches = 0
    for monday, outcome in zip(weeks, outcomes, strict=True):
        last = expected_cells(truth, codes, indicators, monday, *settings)
        released, suppressed, wrong = verdict(outcome, last)
        mismatches += wrong
        check = "yes" if wrong == 0 else f"NO ({wrong})"
        lines.append(
            f"{monday.isoformat():<12}{outcome.round['state']:<10}{released:>9}{suppressed:>11}{check:>15}"
        )
    lines += ["", f"week of {weeks[-1].isoformat()}, all {len(codes)} cities:"]
    lines.append(f"{'indicator':<38}{'released':>12}  {'plaintext truth (verification only)':<36}")
    expected = {cell.indicator: cell for cell in last}
    for release in outcomes[-1].releases:
        value = release["value"]
        shown = (
            f"{value:.0f}" if value is not None else f"suppressed: {release['suppressed_reason']}"
        )
        cell = expected.get(release["indicator"])
        if cell is None:
            truth_shown = "(not in the truth file)"
        else:
            truth_shown = f"{cell.total:.0f}" + (f" (rules: {cell.reason})" if cell.reason else "")
        lines.append(f"{release['indicator']:<38}{shown:>12}  {truth_shown:<36}")
    return "\n".join(lines), mismatches


def run_demo(
    data_dir: Path,
    cities: int,
    weeks: int,
    seed: int,
    postgres: bool,
    echo: Echo,
    rounds: int | None = None,
) -> bool:
    """The whole demo; True when every released cell matched the truth file."""
    demo, cluster = build(Path(data_dir), cities, weeks, seed, postgres)
    catalog = load_catalog()
    indicators = [i for i in catalog.indicators if verifiable(i)]
    mondays = [dt.date.fromisoformat(w) for w in load_truth(demo.truth_path)["week_starts"]]
    mondays = mondays[-rounds:] if rounds else mondays
    with tqdm(total=len(cluster.services), desc="starting services", unit="process") as bar:
        cluster.start(on_ready=lambda _name: bar.update())
    try:
        with httpx.Client(timeout=600) as client:
            opt_in(client, cluster, indicator_set("week", catalog).indicators)
            outcomes = run_weeks(client, cluster, mondays)
    finally:
        cluster.stop()
    table, mismatches = report(demo, indicators, mondays, outcomes, (5, 0.6))
    echo(table)
    echo(next_steps(cluster, demo))
    return mismatches == 0 and all(o.round["state"] == "released" for o in outcomes)


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
