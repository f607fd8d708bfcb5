"""A synthetic G40 federation: one SQLite node database per city, plus a truth file.

``init_federation`` picks the first N cities of :data:`DEMO_ORDER` (a fixed mix of sizes
that puts Breda and three of the G4 in the default twelve; after it come the remaining
registry members in file order), creates ``node-<code>.sqlite3`` under ``data_dir`` for
each, migrates it to head and fills it with the aggregates of
:mod:`samenbeeld.platform.synthetic`. Existing node files are deleted first, so a re-run
with the same seed produces identical databases.

Only weekly_count rows with a count above zero are stored (a missing row means zero).

``truth.json`` holds the plaintext per-city weekly totals and the wave schedule. It is a
verification file for tests and demonstrations: no service (node, party, hub) reads it,
and in a real federation it could not exist.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from tqdm import tqdm

from samenbeeld.platform import migrate
from samenbeeld.platform import vocabulary as v
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.errors import InvalidInputError
from samenbeeld.platform.models.node import District, Event, SentimentDaily, WeeklyCount
from samenbeeld.platform.registry import Municipality, Registry, load_registry
from samenbeeld.platform.settings import NodeSettings
from samenbeeld.platform.synthetic import (
    ANCHOR_WEEK,
    WAVE_CATEGORIES,
    CityData,
    generate_city,
    plan_wave,
    week_starts,
)

DEMO_ORDER = (
    "GM0758",  # Breda
    "GM0363",  # Amsterdam
    "GM0855",  # Tilburg
    "GM0599",  # Rotterdam
    "GM0772",  # Eindhoven
    "GM0106",  # Assen
    "GM0518",  # 's-Gravenhage
    "GM0014",  # Groningen
    "GM0193",  # Zwolle
    "GM0935",  # Maastricht
    "GM0080",  # Leeuwarden
    "GM0153",  # Enschede
)
"""The first demo cities, in order; the rest of the registry follows in file order."""
TRUTH_FILE = "truth.json"


@dataclasses.dataclass(frozen=True)
class DemoFederation:
    """What ``init_federation`` built."""

    data_dir: Path
    cities: list[tuple[str, str, str]]
    """(CBS code, name, database URL) per city."""
    truth_path: Path
    weeks: int = 0
    seed: int = 0

    def summary(self) -> str:
        """A few lines for the CLI: where the databases and the truth file are."""
        first, last = week_starts(self.weeks)[0], ANCHOR_WEEK
        lines = [
            f"demo federation: {len(self.cities)} cities, {self.weeks} weeks "
            f"({first} .. {last}), seed {self.seed}, in {self.data_dir}"
        ]
        lines += [f"  {code}  {name:<28} {url}" for code, name, url in self.cities]
        lines.append(f"  plaintext truth (verification only): {self.truth_path}")
        return "\n".join(lines)


def pick_cities(registry: Registry, count: int) -> list[Municipality]:
    """The first ``count`` cities of DEMO_ORDER, then of the rest of the registry."""
    rest = [m.code for m in registry.members if m.code not in DEMO_ORDER]
    return [registry.get(code) for code in (*DEMO_ORDER, *rest)[:count]]


def init_federation(
    data_dir: Path,
    cities: int,
    weeks: int,
    seed: int,
    progress: bool = False,
    node_urls: Callable[[str], str] | None = None,
) -> DemoFederation:
    """Create, migrate and fill one node database per city and write truth.json.

    ``node_urls`` maps a CBS code to an empty database's URL (PostgreSQL); by default each
    node is a fresh SQLite file under ``data_dir``.
    """
    if cities < 1 or weeks < 1:
        raise InvalidInputError("cities and weeks must be at least 1")
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    members = pick_cities(load_registry(), cities)
    rng = np.random.default_rng(seed)
    wave = plan_wave(rng, [m.code for m in members], weeks)
    starts = dict(wave)
    jobs = list(zip(members, rng.spawn(len(members)), strict=True))
    built, truth = [], []
    for city, city_rng in tqdm(jobs, disable=not progress, desc="demo cities", unit="city"):
        data = generate_city(city_rng, city, weeks, starts.get(city.code))
        url = node_urls(city.code) if node_urls else _create_node(data_dir, city.code)
        if node_urls:
            migrate.upgrade("node", url)
        write_city(url, data, weeks)
        built.append((city.code, city.name, url))
        truth.append(city_truth(city, data, weeks))
    truth_path = data_dir / TRUTH_FILE
    write_truth(truth_path, seed, weeks, truth, wave)
    return DemoFederation(data_dir, built, truth_path, weeks, seed)


def remove_sqlite_file(path: Path) -> None:
    """Delete an SQLite database file and its journal files, if there are any."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _create_node(data_dir: Path, code: str) -> str:
    """Delete any old node database for code, create a fresh one at head; its URL."""
    settings = NodeSettings(data_dir=data_dir, municipality=code)
    remove_sqlite_file(data_dir / settings.database_file)
    url = settings.effective_database_url
    migrate.upgrade("node", url)
    return url


def write_city(url: str, data: CityData, weeks: int) -> None:
    """Bulk-insert one city's districts, weekly counts, events and sentiment."""
    districts = [{"code": code, "population": people} for code, people in data.districts]
    with session_scope(url) as session:
        session.execute(insert(District), districts)
        session.execute(insert(WeeklyCount), weekly_rows(data, weeks))
        if data.events:
            session.execute(insert(Event), data.events)
        session.execute(insert(SentimentDaily), data.sentiment)


def weekly_rows(data: CityData, weeks: int) -> list[dict[str, object]]:
    """weekly_count rows for every non-zero cell of the counts array."""
    starts = week_starts(weeks)
    rows = []
    for w, d, c, o, s in np.argwhere(data.counts > 0):
        rows.append(
            {
                "week_start": starts[w],
                "district_code": data.districts[d][0],
                "category": v.CATEGORIES[c],
                "online_driven": bool(o),
                "source_type": v.SOURCE_TYPES[s],
                "count": int(data.counts[w, d, c, o, s]),
            }
        )
    return rows


def city_truth(city: Municipality, data: CityData, weeks: int) -> dict[str, object]:
    """Plaintext totals per week, category and online flag for one city."""
    totals = data.counts.sum(axis=(1, 4))  # (weeks, categories, online flag)
    per_week = {
        start.isoformat(): {
            category: {"offline": int(totals[w, c, 0]), "online": int(totals[w, c, 1])}
            for c, category in enumerate(v.CATEGORIES)
        }
        for w, start in enumerate(week_starts(weeks))
    }
    return {
        "code": city.code,
        "name": city.name,
        "population": city.population,
        "districts": len(data.districts),
        "weeks": per_week,
    }


def write_truth(
    path: Path, seed: int, weeks: int, cities: list[dict[str, object]], wave: list[tuple[str, int]]
) -> None:
    """Write truth.json deterministically (sorted keys, no paths or timestamps)."""
    starts = week_starts(weeks)
    document = {
        "note": "plaintext verification file for the synthetic demo; no service reads it",
        "seed": seed,
        "anchor_week": ANCHOR_WEEK.isoformat(),
        "week_starts": [s.isoformat() for s in starts],
        "cities": cities,
        "wave": {
            "categories": list(WAVE_CATEGORIES),
            "online_driven": True,
            "schedule": [
                {"order": i, "code": code, "start_week": starts[week].isoformat()}
                for i, (code, week) in enumerate(wave)
            ],
        },
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def local_totals(federation: DemoFederation) -> str:
    """Each city's own indicator totals, computed locally on its node database (not stored)."""
    from samenbeeld.platform.catalog import load_catalog
    from samenbeeld.platform.indicators import compute_indicators, totals_table

    catalog = load_catalog()
    sections = []
    for code, name, url in federation.cities:
        with session_scope(url) as session:
            results = compute_indicators(session, catalog)
        sections.append(f"{code} {name}\n{totals_table(results)}")
    return "\n\n".join(sections)
