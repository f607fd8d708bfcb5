"""Reading an ingest file: its type, size and encoding, then CSV or JSON to raw rows.

Structural problems (a missing or unknown column, a row of the wrong length, a record that is
not an object) are collected as :class:`RowProblem`; a file that cannot be read at all raises
:class:`IngestError`. Validation, the privacy guard and loading are
:mod:`samenbeeld.platform.ingest`'s. Messages name lines, records and fields, never values.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samenbeeld.platform.errors import InvalidInputError
from samenbeeld.platform.ingest_schemas import ALL_FIELDS
from samenbeeld.platform.privacy import find_personal_data

MAX_FILE_BYTES = 50 * 1024 * 1024
SUFFIXES = (".csv", ".json")
SAFE_FIELD_NAME = re.compile(r"[A-Za-z0-9_. /-]{1,80}")


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


@dataclass(frozen=True)
class RawRow:
    """One parsed row before validation."""

    line: int
    unit: str
    values: dict[str, Any]

    def problem(self, name: str, reason: str) -> RowProblem:
        """A problem with field name of this row."""
        return RowProblem(self.line, field_label(name), reason, self.unit)


def field_label(name: str) -> str:
    """The field name for a message, withheld when it could itself be personal data."""
    if SAFE_FIELD_NAME.fullmatch(name) and not find_personal_data(name):
        return name
    return "(name withheld)"


def read_upload(path: Path) -> bytes:
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


def decode_upload(data: bytes) -> str:
    """UTF-8 text (a byte order mark is allowed)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError.file("not valid UTF-8 text; save the file as UTF-8", line) from exc


def parse_upload(suffix: str, text: str) -> tuple[list[RawRow], list[RowProblem]]:
    """Rows and structural problems of a CSV or JSON text."""
    raws, problems = parse_csv(text) if suffix == ".csv" else parse_json(text)
    if not raws and not problems:
        raise IngestError.file("the file has no data rows")
    return raws, problems


def parse_csv(text: str) -> tuple[list[RawRow], list[RowProblem]]:
    """Rows of a CSV text with a header; blank lines and empty cells are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    raws: list[RawRow] = []
    problems: list[RowProblem] = []
    try:
        for line, cells in numbered_rows(reader):
            cells = [cell.strip() for cell in cells]
            if header is None:
                header = cells
                problems += header_problems(header)
            elif len(cells) != len(header):
                reason = f"has {len(cells)} values but the header has {len(header)} columns"
                problems.append(RowProblem(line, "", reason))
            else:
                values = {name: cell for name, cell in zip(header, cells, strict=True) if cell}
                raws.append(RawRow(line, "line", values))
    except csv.Error as exc:
        raise IngestError.file(f"malformed CSV: {exc}", reader.line_num) from exc
    return raws, problems


def numbered_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV rows with the physical line each starts on."""
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if any(cell.strip() for cell in cells):
            yield line, cells


def header_problems(header: list[str]) -> list[RowProblem]:
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


def parse_json(text: str) -> tuple[list[RawRow], list[RowProblem]]:
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
