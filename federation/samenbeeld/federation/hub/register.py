"""The public release register: where every released figure came from, never the figure.

One entry per released round (:func:`register_entries`), newest first: the round id, the
period (start and kind), the program, the indicators, the version, the cohort size (a count,
never names), the rules the parties applied (minimum of contributors, dominance threshold),
per indicator the differential-privacy parameters (mechanism, epsilon, delta, noise SD;
``exact`` otherwise) and, for a noisy indicator, its budget year: the yearly budget, the
epsilon spent up to and including this release's charge, and what that left; the attempt,
the SHA-256 of each compute party's signed report of that attempt, and when it was stored.
No value, no suppression reason per cell and no city is in it. Releases stored before the
parties signed their rules have none (null).

The API serves it as JSON or as CSV (:func:`csv_rows`: one row per round and indicator),
paginated, cached and tagged like the trend answers (:func:`register_answer`); the CLI as a
table too; both read it with :func:`register_entries`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from itertools import accumulate
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from samenbeeld.federation.hub.rounds import PARTIES, aware, get_round
from samenbeeld.federation.hub.trend_cache import Answer, Body, Dump, as_csv, as_json
from samenbeeld.federation.hub.trends import Args, TrendReader, answer, paginate
from samenbeeld.platform.catalog import Catalog, default_catalog
from samenbeeld.platform.errors import NotFoundError
from samenbeeld.platform.models.hub import BudgetSpend, Release, Round, RoundReport

CSV_COLUMNS = (
    "round_id", "period_start", "period", "program", "version", "indicator", "cohort_size",
    "min_contributors", "dominance", "mechanism", "epsilon", "delta", "noise_sd",
    "budget_year", "yearly_epsilon", "budget_spent", "budget_left", "attempt",
    *(f"party_{index}_sha256" for index in range(PARTIES)), "released_at",
)  # fmt: skip
"""The register's CSV header: the JSON's fields, one row per round and indicator."""
Entry = dict[str, Any]


@dataclass(frozen=True)
class RegisterFilter:
    """Which releases to list: of one indicator, and periods starting in from..to or a year."""

    indicator: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    year: int | None = None

    def where(self, catalog: Catalog) -> list[ColumnElement[bool]]:
        """The conditions on release rows (NotFoundError for an indicator not in catalog)."""
        conditions = []
        if self.indicator is not None:
            catalog.get(self.indicator)
            conditions.append(Release.indicator == self.indicator)
        if self.start is not None:
            conditions.append(Release.period_start >= self.start)
        if self.end is not None:
            conditions.append(Release.period_start <= self.end)
        if self.year is not None:
            conditions.append(Release.period_start >= dt.date(self.year, 1, 1))
            conditions.append(Release.period_start <= dt.date(self.year, 12, 31))
        return conditions


def register_entries(session: Session, chosen: RegisterFilter, catalog: Catalog) -> list[Entry]:
    """The register's entries of the released rounds that ``chosen`` selects, newest first."""
    rounds = select(Release.round_id).where(*chosen.where(catalog))
    cells: dict[str, list[Release]] = defaultdict(list)
    for cell in session.scalars(
        select(Release).where(Release.round_id.in_(rounds)).order_by(Release.id)
    ):
        cells[cell.round_id].append(cell)
    programs = {
        row.id: row.program
        for row in session.execute(select(Round.id, Round.program).where(Round.id.in_(rounds)))
    }
    digests: dict[tuple[str, int], dict[int, str]] = defaultdict(dict)
    for report in session.scalars(select(RoundReport).where(RoundReport.round_id.in_(rounds))):
        digests[report.round_id, report.attempt][report.party_index] = report.result_sha256
    spent = _spent_after_each_charge(session)
    entries = [
        _entry(rows, programs[round_id], digests, spent, catalog)
        for round_id, rows in cells.items()
    ]
    entries.sort(key=lambda entry: (entry["released_at"], entry["round_id"]), reverse=True)
    return entries


def _spent_after_each_charge(session: Session) -> dict[tuple[str, int, str, int], float]:
    """Per charge (indicator, year, round, attempt): the year's epsilon spent up to and
    including it, in the order the charges were made."""
    charges = session.scalars(select(BudgetSpend).order_by(BudgetSpend.id)).all()
    by_year: dict[tuple[str, int], list[BudgetSpend]] = defaultdict(list)
    for charge in charges:
        by_year[charge.indicator, charge.year].append(charge)
    return {
        (charge.indicator, charge.year, charge.round_id, charge.attempt): total
        for rows in by_year.values()
        for charge, total in zip(rows, accumulate(row.epsilon for row in rows), strict=True)
    }


def _entry(
    rows: Sequence[Release],
    program: str,
    digests: dict[tuple[str, int], dict[int, str]],
    spent: dict[tuple[str, int, str, int], float],
    catalog: Catalog,
) -> Entry:
    """One released round's entry, from its release rows (cell order)."""
    first = rows[0]
    indicators = list(dict.fromkeys(row.indicator for row in rows))
    reports = digests.get((first.round_id, first.attempt or 0), {})
    return {
        "round_id": first.round_id,
        "period_start": first.period_start,
        "period": _period(catalog, indicators[0]),
        "program": program,
        "version": max(row.version for row in rows),
        "indicators": indicators,
        "cohort_size": first.cohort_size,
        "rules": {"min_contributors": first.min_contributors, "dominance": first.dominance},
        "privacy": [
            _privacy([row for row in rows if row.indicator == code], spent, catalog)
            for code in indicators
        ],
        "attempt": first.attempt,
        "reports": [{"party": party, "sha256": reports[party]} for party in sorted(reports)],
        "released_at": max(aware(row.released_at) for row in rows),
    }


def _period(catalog: Catalog, code: str) -> str | None:
    """The indicator's period kind (None when the catalog no longer has it)."""
    return catalog.get(code).period if code in catalog.codes else None


def _privacy(
    rows: Sequence[Release], spent: dict[tuple[str, int, str, int], float], catalog: Catalog
) -> Entry:
    """One indicator's DP parameters in a release and, when noisy, its budget year."""
    first = rows[0]
    sds = [row.noise_sd for row in rows if row.noise_sd is not None]
    found: Entry = {
        "indicator": first.indicator, "mechanism": first.mechanism, "epsilon": first.epsilon,
        "delta": first.delta, "noise_sd": sds[0] if sds else None, "budget": None,
    }  # fmt: skip
    if first.mechanism != "exact":
        year = first.period_start.year
        used = spent.get((first.indicator, year, first.round_id, first.attempt or 0))
        policy = catalog.get(first.indicator).release if first.indicator in catalog.codes else None
        yearly = policy.yearly_epsilon if policy is not None else None
        left = None if used is None or yearly is None else max(yearly - used, 0.0)
        found["budget"] = {"year": year, "yearly_epsilon": yearly, "spent": used, "left": left}
    return found


def csv_rows(entries: Sequence[Entry]) -> list[list[object]]:
    """The entries as CSV rows under :data:`CSV_COLUMNS`: one per round and indicator, the
    rules and the DP parameters beside it, a party's digest per column (empty when none)."""
    rows = []
    for entry in entries:
        digests = {report["party"]: report["sha256"] for report in entry["reports"]}
        for privacy in entry["privacy"]:
            budget = privacy["budget"] or {}
            rows.append(
                [
                    entry["round_id"], entry["period_start"], entry["period"], entry["program"],
                    entry["version"], privacy["indicator"], entry["cohort_size"],
                    entry["rules"]["min_contributors"], entry["rules"]["dominance"],
                    privacy["mechanism"], privacy["epsilon"], privacy["delta"],
                    privacy["noise_sd"], budget.get("year"), budget.get("yearly_epsilon"),
                    budget.get("spent"), budget.get("left"), entry["attempt"],
                    *(digests.get(party) for party in range(PARTIES)),
                    entry["released_at"].isoformat(),
                ]
            )  # fmt: skip
    return rows


def register_answer(reader: TrendReader, chosen: RegisterFilter, args: Args, dump: Dump) -> Answer:
    """One page of the register as JSON or CSV (``args``: page, page_size, format), cached
    and tagged like the trend answers: it changes only with a new release."""
    return answer(
        reader,
        ("releases", *(str(value) for value in astuple(chosen))),
        tuple(str(args[key]) for key in ("page", "page_size", "format")),
        lambda: register_entries(reader.session, chosen, default_catalog()),
        lambda entries: _render(entries, args, dump),
    )


def _render(entries: Sequence[Entry], args: Args, dump: Dump) -> Body:
    """The query's page of entries as JSON, or as CSV rows (the page counted in rounds)."""
    shown, pagination, headers = paginate(entries, args)
    if args["format"] == "csv":
        return as_csv(CSV_COLUMNS, csv_rows(shown), headers)
    return as_json(dump, {"items": shown, "pagination": pagination}, headers)


def signed_reports(session: Session, round_id: str) -> list[RoundReport]:
    """The parties' signed reports of the attempt a released round's release came from, in
    party order (NotFoundError when the round does not exist or is not released)."""
    row = get_round(session, round_id)
    if row.state != "released":
        raise NotFoundError(f"round {round_id} is not released")
    return list(
        session.scalars(
            select(RoundReport)
            .where(RoundReport.round_id == round_id, RoundReport.attempt == row.attempt)
            .order_by(RoundReport.party_index)
        )
    )
