"""Scan a CSV, JSON, YAML or plain-text file for personal data: line, field and category.

For privacy officers (``samenbeeld privacy scan FILE``). Every string is checked with
:func:`~samenbeeld.platform.privacy.find_personal_data`, keys and column names included;
a finding names where it is and what it looks like, never the value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from samenbeeld.platform.errors import InvalidInputError
from samenbeeld.platform.privacy import find_personal_data


@dataclass(frozen=True)
class Finding:
    """One string that looks like personal data: where it is and its category."""

    line: int
    field: str
    category: str

    def __str__(self) -> str:
        """'line N, field F: category' (without the field for plain text)."""
        where = f"line {self.line}, field {self.field}" if self.field else f"line {self.line}"
        return f"{where}: {self.category}"


def scan_file(path: Path) -> list[Finding]:
    """Every finding in the file, in line order; InvalidInputError when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {path.name}: {exc}") from exc
    suffix = path.suffix.lower()
    if suffix == ".csv":
        strings = _csv_strings(text)
    elif suffix in (".json", ".yaml", ".yml"):
        strings = _document_strings(text, path.name)
    else:
        strings = ((number, "", line) for number, line in enumerate(text.splitlines(), 1))
    return [
        Finding(line, field, _category(reason))
        for line, field, value in strings
        if (reason := find_personal_data(value))
    ]


def _category(reason: str) -> str:
    """'looks like a phone number; ...' -> 'phone number'."""
    category = reason.split(";")[0].removeprefix("looks like ")
    return category.removeprefix("an ").removeprefix("a ")


def _csv_strings(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, column, cell) for the header and every cell; columns named by the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not header:
            header = cells
            yield from ((line, f"(column {i})", name) for i, name in enumerate(cells, 1))
            continue
        names = header + [f"(column {i})" for i in range(len(header) + 1, len(cells) + 1)]
        yield from ((line, name, cell) for name, cell in zip(names, cells, strict=False))


def _document_strings(text: str, name: str) -> Iterator[tuple[int, str, str]]:
    """(line, path, string) for every key and scalar of a JSON or YAML document."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{name} is not valid JSON or YAML: {exc}") from exc
    return _node_strings(root, "") if root is not None else iter(())


def _node_strings(node: yaml.Node, path: str) -> Iterator[tuple[int, str, str]]:
    """Strings under a composed YAML node, with 1-based lines and dotted field paths."""
    if isinstance(node, yaml.ScalarNode):
        yield node.start_mark.line + 1, path or "(value)", str(node.value)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _node_strings(item, f"{path}[{index}]")
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            label = f"{path}.{key.value}" if path else str(key.value)
            yield key.start_mark.line + 1, path or "(key)", str(key.value)
            yield from _node_strings(value, label)
