"""Load a CSV or JSON file of aggregate node records: every row or none, never personal data.

A file is read whole, every row is validated (schema, vocabulary, privacy guard, district
references, duplicates, conflicts with stored rows) and only a file without problems is
inserted, in bulk. Problems name the line (CSV) or record (JSON), the field and the reason,
never the value. A file is identified by its sha256, so loading it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from marshmallow.experimental.context import Context
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from samenbeeld.platform.ingest_files import (
    IngestError,
    RawRow,
    RowProblem,
    decode_upload,
    parse_upload,
    read_upload,
)
from samenbeeld.platform.ingest_schemas import KINDS
from samenbeeld.platform.models.node import (
    District,
    IngestBatch,
)
from samenbeeld.platform.privacy import find_personal_data, find_personal_data_in

CONFLICT = (
    "conflicts with a stored row with the same key; corrections are not silently "
    "overwritten, remove the stored row first"
)


@dataclass
class IngestReport:
    """What one ingest did: rows inserted and rows skipped (identical to stored) per kind."""

    sha256: str
    inserted: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    already_loaded: bool = False

    @property
    def total_inserted(self) -> int:
        """Rows inserted over all kinds."""
        return sum(self.inserted.values())

    def summary(self) -> str:
        """One line for the CLI."""
        if self.already_loaded:
            return f"file {self.sha256[:12]} was already loaded; 0 rows inserted"
        counts = ", ".join(f"{kind} {self.inserted.get(kind, 0)}" for kind in KINDS)
        text = f"loaded {self.total_inserted} rows ({counts})"
        skipped = sum(self.unchanged.values())
        return f"{text}; {skipped} rows identical to stored rows skipped" if skipped else text


@dataclass(frozen=True)
class ValidRow:
    """One row that passed its schema."""

    raw: RawRow
    kind: str
    data: dict[str, Any]

    @property
    def key(self) -> tuple[Any, ...]:
        """The natural key."""
        return tuple(self.data[name] for name in KINDS[self.kind].key)


def ingest_file(
    session: Session,
    path: str | Path,
    *,
    municipality: str | None = None,
    today: dt.date | None = None,
) -> IngestReport:
    """Validate and load one file; raise IngestError (loading nothing) on any bad row.

    With municipality (the node's CBS code), every district must be one of its wijken.
    """
    data = read_upload(Path(path))
    digest = hashlib.sha256(data).hexdigest()
    if session.scalar(select(IngestBatch.id).where(IngestBatch.sha256 == digest)) is not None:
        return IngestReport(digest, already_loaded=True)
    raws, problems = parse_upload(Path(path).suffix.lower(), decode_upload(data))
    with Context(_one_year_after(today or dt.date.today())):
        rows = [row for raw in raws if (row := _check_row(raw, problems))]
    problems += _duplicates(rows) + _district_problems(session, rows, municipality)
    new, unchanged = _against_stored(session, rows, problems)
    if problems:
        raise IngestError(problems)
    report = IngestReport(digest, _count(new), _count(unchanged))
    _insert(session, new, report)
    return report


def _one_year_after(day: dt.date) -> dt.date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _check_row(raw: RawRow, problems: list[RowProblem]) -> ValidRow | None:
    """The validated row, or None after adding its problems (privacy first)."""
    found = _privacy_problems(raw)
    flagged = {problem.field for problem in found}
    values = dict(raw.values)
    kind = values.pop("kind", None)
    spec = KINDS.get(kind) if isinstance(kind, str) else None
    if spec is None and "kind" not in flagged:
        missing = "missing; " if kind is None else ""
        found.append(raw.problem("kind", f"{missing}must be one of: {', '.join(KINDS)}"))
    try:
        data = spec.schema.load(values) if spec else None
    except ValidationError as exc:
        data = None
        messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
        found += [raw.problem(n, _reason(m, kind)) for n, m in messages.items() if n not in flagged]
    problems += found
    return ValidRow(raw, kind, data) if data is not None and not found else None


def _reason(messages: Any, kind: str) -> str:
    """One reason from marshmallow messages; 'Unknown field.' names the kind."""
    texts = messages if isinstance(messages, list) else [messages]
    unknown = f"unknown field for kind {kind}"
    return "; ".join(unknown if text == "Unknown field." else str(text) for text in texts)


def _privacy_problems(raw: RawRow) -> list[RowProblem]:
    """Every field whose name or (nested) string value looks like personal data."""
    problems = []
    for name, value in raw.values.items():
        if reason := find_personal_data(str(name)):
            problems.append(raw.problem(name, f"field name {reason}"))
        elif reason := find_personal_data_in(value):
            problems.append(raw.problem(name, reason))
    return problems


def _duplicates(rows: list[ValidRow]) -> list[RowProblem]:
    """Rows whose natural key repeats an earlier row of the file."""
    seen: dict[tuple[Any, ...], RawRow] = {}
    problems = []
    for row in rows:
        first = seen.setdefault((row.kind, *row.key), row.raw)
        if first is not row.raw:
            reason = f"duplicate of {first.unit} {first.line} (same {row.kind} key)"
            problems.append(row.raw.problem("/".join(KINDS[row.kind].key), reason))
    return problems


def _district_problems(
    session: Session, rows: list[ValidRow], municipality: str | None
) -> list[RowProblem]:
    """Districts that exist nowhere, or that belong to another municipality."""
    referenced = {row.data["district_code"] for row in rows if "district_code" in row.data}
    in_file = {row.data["code"] for row in rows if row.kind == "district"}
    stored = set(session.scalars(select(District.code).where(District.code.in_(referenced))))
    known_digits = session.scalar(select(District.code).limit(1))
    counts = Counter(row.data.get("district_code", row.data.get("code", ""))[2:6] for row in rows)
    expected = known_digits[2:6] if known_digits else (counts.most_common(1) or [("", 0)])[0][0]
    expected = municipality[2:6] if municipality else expected
    problems = []
    for row in rows:
        name = "code" if row.kind == "district" else "district_code"
        code = row.data.get(name)
        if code is None:
            continue
        if code[2:6] != expected:
            reason = "district of another municipality than the rest of the data"
            problems.append(row.raw.problem(name, reason))
        elif row.kind != "district" and code not in stored | in_file:
            reason = "unknown district: not in the database nor in a district row of this file"
            problems.append(row.raw.problem(name, reason))
    return problems


def _against_stored(
    session: Session, rows: list[ValidRow], problems: list[RowProblem]
) -> tuple[list[ValidRow], list[ValidRow]]:
    """Split rows into new and identical-to-stored; conflicting rows become problems."""
    new, unchanged = [], []
    for kind in KINDS:
        of_kind = [row for row in rows if row.kind == kind]
        stored = _stored(session, kind, of_kind)
        for row in of_kind:
            match = stored.get(row.key)
            if match is None:
                new.append(row)
            elif _same(row.data, match):
                unchanged.append(row)
            else:
                problems.append(row.raw.problem("/".join(KINDS[kind].key), CONFLICT))
    return new, unchanged


def _stored(session: Session, kind: str, rows: list[ValidRow]) -> dict[tuple[Any, ...], Any]:
    """Stored rows of kind in the key range of rows, by natural key."""
    if not rows:
        return {}
    spec = KINDS[kind]
    first = [row.key[0] for row in rows]
    column = getattr(spec.model, spec.key[0])
    found = session.scalars(select(spec.model).where(column.between(min(first), max(first))))
    return {tuple(getattr(obj, name) for name in spec.key): obj for obj in found}


def _same(data: dict[str, Any], stored: Any) -> bool:
    """True when every value of data equals the stored row's (floats nearly)."""
    return all(
        math.isclose(value, getattr(stored, name), rel_tol=1e-9, abs_tol=1e-12)
        if isinstance(value, float)
        else value == getattr(stored, name)
        for name, value in data.items()
    )


def _count(rows: list[ValidRow]) -> dict[str, int]:
    """Rows per kind."""
    return dict(Counter(row.kind for row in rows))


def _insert(session: Session, rows: list[ValidRow], report: IngestReport) -> None:
    """Bulk-insert new rows (districts first) and record the file; flush, never commit."""
    for kind, spec in KINDS.items():
        batch = [row.data for row in rows if row.kind == kind]
        if batch:
            session.execute(insert(spec.model), batch)
    kinds = sorted({row.kind for row in rows}) or ["none"]
    batch_row = {
        "sha256": report.sha256,
        "kind": kinds[0] if len(kinds) == 1 else "mixed",
        "rows": report.total_inserted,
        "loaded_at": dt.datetime.now(dt.UTC),
    }
    session.execute(insert(IngestBatch), [batch_row])
    session.flush()
