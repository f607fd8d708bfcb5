"""`samenbeeld privacy scan`: every category found in CSV, JSON and YAML, no value printed."""

from __future__ import annotations

import csv
import json

import pytest
import yaml
from click.testing import CliRunner

from privacy_corpus import ONE_PER_CATEGORY
from samenbeeld.api.cli import main


def write(path, rows):
    """rows (one dict per record, field 'note') as CSV, JSON or YAML by path's suffix."""
    if path.suffix == ".csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, ["week", "note"])
            writer.writeheader()
            writer.writerows(rows)
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows, indent=2))
    else:
        path.write_text(yaml.safe_dump(rows, allow_unicode=True))
    return path


@pytest.mark.parametrize("suffix", [".csv", ".json", ".yaml"])
def test_scan_finds_every_category_and_never_prints_a_value(tmp_path, suffix):
    rows = [{"week": "2024-W03", "note": value} for value in ONE_PER_CATEGORY.values()]
    result = CliRunner().invoke(
        main, ["privacy", "scan", str(write(tmp_path / f"f{suffix}", rows))]
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(ONE_PER_CATEGORY)
    for category, line in zip(ONE_PER_CATEGORY, lines, strict=True):
        assert line.endswith(f": {category}") and "note" in line
    assert not any(value in result.output for value in ONE_PER_CATEGORY.values())


def test_scan_of_a_clean_file_exits_0_and_names_lines_of_plain_text(tmp_path):
    clean = write(tmp_path / "clean.yaml", [{"week": "2024-W03", "note": "Gemeente Breda"}])
    assert CliRunner().invoke(main, ["privacy", "scan", str(clean)]).exit_code == 0
    text = tmp_path / "notes.txt"
    text.write_text("Overlast in de wijk.\nBel 06-12345678.\n")
    result = CliRunner().invoke(main, ["privacy", "scan", str(text)])
    assert (result.exit_code, result.stdout) == (1, "line 2: phone number\n")
