"""Load a CSV or JSON file of aggregate node records: every row or none, never personal data.

A file is read whole, every row is validated (schema, vocabulary, privacy guard, district
references, duplicates, conflicts with stored rows) and only a file without problems is
inserted, in bulk. Problems name the line (CSV) or record (JSON), the field and the reason,
never the value. A file is identified by its sha256, so loading it again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from marshmallow.experimental.context import Context
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from samenbeeld.platform.errors import InvalidInputError
from samenbeeld.platform.ingest_schemas import ALL_FIELDS, KINDS
from samenbeeld.platform.models.node import (
    District,
    IngestBatch,
)
from samenbeeld.platform.privacy import find_personal_data, find_personal_data_in

MAX_FILE_BYTES = 50 * 1024 * 1024
SUFFIXES = (".csv", ".json")
SAFE_FIELD_NAME = re.compile(r"[A-Za-z0-9_. /-]{1,80}")
CONFLICT = (
    "conflicts with a stored row with the same key; corrections are not silently "
    "overwritten, remove the stored row first"
)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row, or with the file when line is 0; never the value."""

    line: int
    field: str
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        """'line N, field F: reason' ('record N, ...' for JSON; 'file: ...' for the file)."""
        if self.line == 0:
            return f"file: {self.reason}"
        if not self.field:
            return f"{self.unit} {self.line}: {self.reason}"
        return f"{self.unit} {self.line}, field {self.field}: {self.reason}"


class IngestError(InvalidInputError):
    """The file has problems; nothing from it was loaded."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.field))
        listed = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"nothing loaded, {len(self.problems)} problem(s):\n{listed}")

    @classmethod
    def file(cls, reason: str, line: int = 0) -> IngestError:
        """An error about the file as a whole (at a line when one is known)."""
        return cls([RowProblem(line, "", reason)])


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
class RawRow:
    """One parsed row before validation."""

    line: int
    unit: str
    values: dict[str, Any]

    def problem(self, name: str, reason: str) -> RowProblem:
        """A problem with field name of this row."""
        return RowProblem(self.line, field_label(name), reason, self.unit)


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


def field_label(name: str) -> str:
    """The field name for a message, withheld when it could itself be personal data."""
    if SAFE_FIELD_NAME.fullmatch(name) and not find_personal_data(name):
        return name
    return "(name withheld)"


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
    data = _read(Path(path))
    digest = hashlib.sha256(data).hexdigest()
    if session.scalar(select(IngestBatch.id).where(IngestBatch.sha256 == digest)) is not None:
        return IngestReport(digest, already_loaded=True)
    raws, problems = _parse(Path(path).suffix.lower(), _decode(data))
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


def _read(path: Path) -> bytes:
    """The file's bytes, after checking its type and size."""
    if path.suffix.lower() not in SUFFIXES:
        raise IngestError.file("unsupported file type; use a .csv or .json file")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise IngestError.file("the file is larger than 50 MB")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError.file(f"cannot read the file ({exc.strerror})") from exc
    if not data.strip():
        raise IngestError.file("the file is empty")
    return data


def _decode(data: bytes) -> str:
    """UTF-8 text (a byte order mark is allowed)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError.file("not valid UTF-8 text; save the file as UTF-8", line) from exc


def _parse(suffix: str, text: str) -> tuple[list[RawRow], list[RowProblem]]:
    """Rows and structural problems of a CSV or JSON text."""
    raws, problems = _parse_csv(text) if suffix == ".csv" else _parse_json(text)
    if not raws and not problems:
        raise IngestError.file("the file has no data rows")
    return raws, problems


def _parse_csv(text: str) -> tuple[list[RawRow], list[RowProblem]]:
    """Rows of a CSV text with a header; blank lines and empty cells are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    raws: list[RawRow] = []
    problems: list[RowProblem] = []
    try:
        for line, cells in _numbered(reader):
            cells = [cell.strip() for cell in cells]
            if header is None:
                header = cells
                problems += _header_problems(header)
            elif len(cells) != len(header):
                reason = f"has {len(cells)} values but the header has {len(header)} columns"
                problems.append(RowProblem(line, "", reason))
            else:
                values = {name: cell for name, cell in zip(header, cells, strict=True) if cell}
                raws.append(RawRow(line, "line", values))
    except csv.Error as exc:
        raise IngestError.file(f"malformed CSV: {exc}", reader.line_num) from exc
    return raws, problems


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV rows with the physical line each starts on."""
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if any(cell.strip() for cell in cells):
            yield line, cells


def _header_problems(header: list[str]) -> list[RowProblem]:
    """Unnamed, duplicate and unknown columns, and a missing kind column."""
    problems = [] if "kind" in header else [RowProblem(1, "kind", "the header needs a kind column")]
    for number, name in enumerate(header, 1):
        label = field_label(name) if name else f"(column {number})"
        if not name:
            problems.append(RowProblem(1, label, "column has no name"))
        elif header.index(name) != number - 1:
            problems.append(RowProblem(1, label, "duplicate column"))
        elif name not in ALL_FIELDS:
            problems.append(RowProblem(1, label, "unknown field (no kind has this column)"))
    return problems


def _parse_json(text: str) -> tuple[list[RawRow], list[RowProblem]]:
    """Records of a JSON list of objects, or of {"records": [...]}."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError.file(f"malformed JSON: {exc.msg}", exc.lineno) from exc
    except RecursionError as exc:
        raise IngestError.file("malformed JSON: nested too deeply") from exc
    if isinstance(document, dict) and set(document) == {"records"}:
        document = document["records"]
    if not isinstance(document, list):
        raise IngestError.file('JSON must be a list of objects or {"records": [...]}')
    raws: list[RawRow] = []
    problems: list[RowProblem] = []
    for number, record in enumerate(document, 1):
        if isinstance(record, dict):
            raws.append(RawRow(number, "record", record))
        else:
            problems.append(RowProblem(number, "", "must be an object", "record"))
    return raws, problems


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
