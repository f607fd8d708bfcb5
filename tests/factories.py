"""Test data and helpers made in one place: weeks, a node's own weekly counts, a hub with
its key and members, released cells (exact or noisy), rounds released through three signed
reports, user tokens, party report signatures and the rules a party signs, a catalog with
release policies of a test's choosing, six cities' plaintext rows, a role's app on default
settings, and what a page must not load.

Importable from every test module (pytest puts ``tests/`` on the path through its root
``conftest.py``)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jwt
import numpy as np
import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.federation.hub import budget, reports
from samenbeeld.federation.hub import rounds as hub_rounds
from samenbeeld.federation.hub.members import member_keys, register_member
from samenbeeld.federation.protocol import AppliedNoise, AppliedRules, PartyResult
from samenbeeld.platform import keys, migrate
from samenbeeld.platform.catalog import CATALOG_DIR_ENV, CONTENT_DIR, Catalog, default_catalog
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.models.hub import Release, Round
from samenbeeld.platform.models.node import District, WeeklyCount
from samenbeeld.platform.settings import SETTINGS_BY_ROLE, HubSettings
from samenbeeld.platform.users import issue_user_token

DISTRICT = "WK075801"
"""A real wijk of Breda (GM0758)."""
RELEASED_AT = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
"""When add_release's rounds opened and released, unless a test says otherwise."""
PLAIN = np.array(
    [
        [10.0, 1.0, 0.0, 5.0],
        [20.0, 2.0, 0.0, 1.5],
        [30.0, 3.0, 0.0, 2.0],
        [40.0, 4.0, 0.0, 3.0],
        [50.0, 90.0, 0.0, 4.0],
        [-1.0, 5.0, 0.0, 5.0],
    ]
)
"""Six cities, the last invalid (-1): cell 1 is dominated (90 of 100), the others released."""
SUM_RULES = AppliedRules(min_contributors=5, dominance=0.6)
"""The rules a party signs for an exact sums round on default settings."""
NOISY, EXACT, BANDED = "youth_safety_weekly", "riot_online_weekly", "high_impact_crime_weekly"
"""The register's indicators (``register_hub``): NOISY under NOISY_POLICY, the others exact."""
NOISY_POLICY = {"mechanism": "gaussian", "epsilon_per_release": 1.0, "delta": 1e-6,
                "yearly_epsilon": 3.0, "counts": "exact"}  # fmt: skip
NOISY_SUMS = AppliedRules(5, 0.6, {NOISY: AppliedNoise("gaussian", 1.0, 1e-6, 53.25)})
"""What the parties sign they applied to a sums round over NOISY and EXACT."""
REGISTERED = {
    "reg-w1": ([NOISY, EXACT], dt.date(2025, 1, 6), "checked_sum", 0,
               PartyResult([4111.0, 5237.0], ["", ""], [], 6, NOISY_SUMS)),
    "reg-h1": ([BANDED], dt.date(2025, 1, 6), "histogram", 0,
               PartyResult([1.0, 2.0, 1.0, 1.0, 0.0, 1.0], [""] * 6, [], 6, AppliedRules(5))),
    "reg-w2": ([NOISY, EXACT], dt.date(2025, 1, 13), "checked_sum", 1,
               PartyResult([4457.0, None], ["", "dominance"], [], 7, NOISY_SUMS)),
    "reg-old": ([EXACT], dt.date(2024, 12, 30), "checked_sum", 0,
                PartyResult([6343.0], [""], [], 6, AppliedRules(5, 0.6))),
}  # fmt: skip
"""Released rounds: indicators, period, program, failed attempts before the release, result."""
RELEASED_VALUES = (4111, 5237, 4457, 6343)
"""REGISTERED's released sums, which the register must never show."""
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)
"""A src or href that loads from another host (with or without a scheme)."""


def week(start: dt.date, n: int) -> dt.date:
    """The Monday ``n`` weeks after ``start``."""
    return start + dt.timedelta(weeks=n)


@dataclass(frozen=True)
class Series:
    """A node's weekly police counts of one category, online-driven or not."""

    category: str
    counts: Mapping[dt.date, int]
    online_driven: bool = False


def put_node_data(url: str, *series: Series, population: int = 100_000) -> None:
    """Replace a node's data with one district (DISTRICT) and the weekly counts of series."""
    with session_scope(url) as session:
        session.execute(delete(WeeklyCount))
        session.execute(delete(District))
        session.add(District(code=DISTRICT, population=population))
        session.flush()
        for one in series:
            for week_start, count in one.counts.items():
                session.add(
                    WeeklyCount(
                        week_start=week_start,
                        district_code=DISTRICT,
                        category=one.category,
                        online_driven=one.online_driven,
                        source_type="police",
                        count=count,
                    )
                )


def new_hub(
    url: str,
    folder: Path,
    members: Iterable[tuple[str, str, str, keys.Ed25519PublicKey]] = (),
) -> tuple[HubSettings, keys.Ed25519PrivateKey]:
    """A hub on the empty database at url, migrated, with a new key in folder/hub.pem and
    members registered as (kind, member, name, public key); its settings and key."""
    migrate.upgrade("hub", url)
    hub_key = keys.generate_private_key()
    keys.write_private_key(folder / "hub.pem", hub_key)
    with session_scope(url) as session:
        for kind, member, name, public_key in members:
            register_member(session, kind, member, name, public_key)
    settings = HubSettings.load(environ={}, database_url=url, key_file=str(folder / "hub.pem"))
    return settings, hub_key


def add_release(
    session: Session,
    indicator: str,
    period: dt.date,
    cell: str,
    value: float | None,
    reason: str | None = None,
    *,
    version: int = 1,
    cohort: int = 6,
    round_id: str | None = None,
    at: dt.datetime = RELEASED_AT,
    noise: ReleaseNoise | None = None,
) -> None:
    """Store one released cell and, unless it is there already, its released round; with
    noise, a differentially private release (mechanism, epsilon, delta, noise sd)."""
    round_id = round_id or f"t-{indicator[:30]}-{period}-{cell}-v{version}"
    if session.get(Round, round_id) is None:
        session.add(Round(id=round_id, indicator_set=round_id, period_start=period,
                          state="released", opened_at=at, updated_at=at))  # fmt: skip
        session.flush()
    dp = {} if noise is None else asdict(noise)
    session.add(Release(round_id=round_id, indicator=indicator, period_start=period, cell=cell,
                        value=value, suppressed_reason=reason, version=version,
                        cohort_size=cohort, released_at=at, **dp))  # fmt: skip
    session.flush()


@dataclass(frozen=True)
class ReleaseNoise:
    """What a noisy release row records beside its value (see add_release)."""

    noise_sd: float
    mechanism: str = "gaussian"
    epsilon: float = 1.0
    delta: float | None = 1e-6

    @classmethod
    def laplace(cls, noise_sd: float, epsilon: float = 1.0) -> ReleaseNoise:
        """A Laplace release's record (pure differential privacy: no delta)."""
        return cls(noise_sd, "laplace", epsilon, None)


def release_round(
    session: Session,
    party_keys: Sequence[keys.Ed25519PrivateKey],
    round_id: str,
    indicators: Sequence[str],
    monday: dt.date,
    result: PartyResult,
    *,
    program: str = "checked_sum",
    failed_attempts: int = 0,
) -> None:
    """A round released as the hub releases one: opened, each attempt charged to the noisy
    indicators' budgets (the first ``failed_attempts`` fail), and the last attempt's three
    reports of ``result`` signed with ``party_keys`` (the parties registered at the hub)."""
    row = hub_rounds.open_round(session, round_id, indicators, monday, program=program)
    for attempt in range(1, failed_attempts + 2):
        budget.charge_round(session, round_id, hub_rounds.spec(row), attempt, default_catalog())
        hub_rounds.start_attempt(session, round_id, [])
        if attempt <= failed_attempts:
            hub_rounds.fail_round(session, round_id, "a fault")
    registered = member_keys(session)
    for party, key in enumerate(party_keys):
        signature = report_signature(key, round_id, row.attempt, result)
        reports.store_report(session, registered, round_id, party, row.attempt, result, signature)
    assert row.state == "released", row.failure


def write_catalog(folder: Path, policies: Mapping[str, Mapping[str, Any]]) -> Path:
    """A copy of the shipped catalog in ``folder/catalog`` where the indicators named in
    ``policies`` have those release policies."""
    directory = folder / "catalog"
    shutil.copytree(CONTENT_DIR, directory)
    for path in directory.glob("*.yaml"):
        document = yaml.safe_load(path.read_text())
        for indicator in document["indicators"]:
            if indicator["code"] in policies:
                indicator["release"] = dict(policies[indicator["code"]])
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return directory


@contextmanager
def catalog_in_use(directory: Path) -> Iterator[Catalog]:
    """This process reads the catalog in ``directory`` (``default_catalog``) until exit;
    processes started meanwhile inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CATALOG_DIR_ENV, str(directory))
        default_catalog.cache_clear()
        try:
            yield default_catalog()
        finally:
            default_catalog.cache_clear()


def user_token(
    hub_key: keys.Ed25519PrivateKey,
    role: str,
    town: str | None = None,
    *,
    subject: str,
    **options: Any,
) -> str:
    """A user token the hub signed with hub_key; only a municipality's user has a town."""
    return issue_user_token(
        hub_key,
        keys.key_id(hub_key.public_key()),
        subject=subject,
        role=role,
        municipality=town if role == "municipality" else None,
        **options,
    )


def bearer(token: str) -> dict[str, str]:
    """Headers that carry token."""
    return {"Authorization": f"Bearer {token}"}


def user_headers(hub_key: keys.Ed25519PrivateKey, who: str) -> dict[str, str]:
    """Headers with a user token for who: a CBS code (that municipality's user) or a role."""
    role, town = ("municipality", who) if who.startswith("GM") else (who, None)
    return bearer(user_token(hub_key, role, town, subject=f"staff-{who}"))


def report_signature(
    key: keys.Ed25519PrivateKey,
    round_id: str,
    attempt: int,
    result: PartyResult,
    kid: str | None = None,
) -> str:
    """A party's signature over the result of an attempt, under kid (default: key's own)."""
    claims = {"round_id": round_id, "attempt": attempt, "result_sha256": result.sha256()}
    kid = kid or keys.key_id(key.public_key())
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


@contextmanager
def role_client(role: str, data_dir: Path) -> Iterator[FlaskClient]:
    """A test client of role's app on default settings in data_dir (a node is Breda's)."""
    overrides = {"municipality": "GM0758"} if role == "node" else {}
    settings = SETTINGS_BY_ROLE[role].load(environ={}, data_dir=data_dir, **overrides)
    app = create_app(role, settings)
    try:
        yield app.test_client()
    finally:
        db.dispose(app)
