"""`samenbeeld hub releases` and `samenbeeld hub verify-release` through the real CLI, on the
register hub's database (both backends): what the API lists, and a release checked against
the parties' signed reports, with the registered keys or a folder of public keys."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from factories import NOISY, REGISTERED, RELEASED_VALUES, bearer, user_token
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.api.cli import main
from samenbeeld.federation.hub.register import CSV_COLUMNS
from samenbeeld.federation.hub.rounds import open_round
from samenbeeld.platform import keys
from samenbeeld.platform.db import session_scope


@pytest.fixture
def run(register_hub, tmp_path, monkeypatch):
    """Invoke the CLI on the register hub's database, with no ambient configuration."""
    monkeypatch.delenv("SAMENBEELD_CONFIG", raising=False)
    monkeypatch.setenv("SAMENBEELD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAMENBEELD_DATABASE_URL", register_hub.settings.database_url)

    def invoke(*args: str):
        return CliRunner().invoke(main, ["hub", *args], catch_exceptions=False)

    return invoke


@contextmanager
def tampered(register_hub, statement: str):
    """The hub's database with ``statement`` applied (an UPDATE), undone afterwards."""
    engine_url = register_hub.settings.database_url
    with session_scope(engine_url) as session:
        before = session.execute(text("SELECT * FROM release ORDER BY id")).all()
        reports = session.execute(text("SELECT id, result FROM round_report")).all()
        session.execute(text(statement))
    try:
        yield
    finally:
        with session_scope(engine_url) as session:
            for row in before:
                columns = {k: v for k, v in row._mapping.items() if k != "id"}
                assignments = ", ".join(f"{name} = :{name}" for name in columns)
                session.execute(
                    text(f"UPDATE release SET {assignments} WHERE id = :id"),
                    {**columns, "id": row.id},
                )  # fmt: skip
            for report in reports:
                session.execute(
                    text("UPDATE round_report SET result = :result WHERE id = :id"),
                    {"result": report.result, "id": report.id},
                )  # fmt: skip


def test_the_table_lists_every_released_round_and_its_provenance_never_a_value(
    run, register_hub, reveals
):
    result = run("releases")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "4 released round(s)"
    second = next(line for line in lines if line.startswith("reg-w2 "))
    digest = REGISTERED["reg-w2"][4].sha256()
    for part in ("2025-01-13 week", "checked_sum", "cohort 7", "min 5", "dominance 0.6",
                 "attempt 2", f"sha256 {digest[:16]} (3 parties)"):  # fmt: skip
        assert part in second, part
    noisy = lines[lines.index(second) + 1]
    assert noisy == (
        f"    {NOISY}: gaussian epsilon 1 delta 1e-06 noise sd 53.25; 2025 budget 3.0, "
        "spent 3.0, left 0.0"
    )
    assert lines[lines.index(second) + 2] == "    riot_online_weekly: exact"
    assert not reveals(result.output, RELEASED_VALUES)


def test_json_and_csv_are_what_the_api_serves(run, register_hub):
    app = create_app("hub", register_hub.settings)
    token = user_token(register_hub.hub_key, "admin", subject="cli-test")
    try:
        served = app.test_client().get(
            "/api/v1/releases?indicator=high_impact_crime_weekly", headers=bearer(token)
        )
    finally:
        db.dispose(app)
    listed = run("releases", "--indicator", "high_impact_crime_weekly", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == served.get_json()["items"]
    as_csv = run("releases", "--year", "2024", "--format", "csv")
    rows = list(csv.reader(io.StringIO(as_csv.output)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(row[0], row[5]) for row in rows[1:]] == [("reg-old", "riot_online_weekly")]


def test_a_release_the_parties_signed_verifies(run):
    result = run("verify-release", "reg-w2")
    assert result.exit_code == 0, result.output
    digest = REGISTERED["reg-w2"][4].sha256()
    assert result.output == (
        f"OK reg-w2 attempt 2: 2 cells are what compute parties 0, 1 and 2 signed "
        f"(result sha256 {digest})\n"
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [("value", "value + 1"), ("noise_sd", "2 * noise_sd"), ("epsilon", "0.5"),
     ("min_contributors", "3"), ("cohort_size", "8"), ("attempt", "1"),
     ("suppressed_reason", "'dominance'")],
)  # fmt: skip
def test_a_tampered_release_row_fails_naming_the_cell_and_the_field(
    run, register_hub, column, value
):
    update = f"UPDATE release SET {column} = {value} WHERE round_id = 'reg-w2' AND indicator = "
    with tampered(register_hub, update + f"'{NOISY}'"):
        result = run("verify-release", "reg-w2")
    assert result.exit_code == 1
    assert result.output == (
        f"FAILED: {NOISY} total of reg-w2: the stored {column} is not the signed one\n"
    )
    assert run("verify-release", "reg-w2").exit_code == 0  # restored


def test_a_tampered_signed_report_fails_naming_the_party(run, register_hub):
    forged = "UPDATE round_report SET result = replace(result, '4457.0', '4458.0') "
    with tampered(register_hub, forged + "WHERE round_id = 'reg-w2' AND party_index = 1"):
        result = run("verify-release", "reg-w2")
    assert result.exit_code == 1
    assert "compute party 1's stored digest is not the SHA-256 of its result" in result.output
    assert "4457" not in result.output and "4458" not in result.output


def test_keys_held_independently_verify_and_a_foreign_key_does_not(run, register_hub, tmp_path):
    folder = tmp_path / "public-keys"
    folder.mkdir()
    for index, key in enumerate(register_hub.party_keys):
        keys.write_public_key(folder / f"party-{index}.pub.pem", key.public_key())
    assert run("verify-release", "reg-w1", "--keys", str(folder)).exit_code == 0
    (folder / "party-2.pub.pem").unlink()
    keys.write_public_key(folder / "party-2.pub.pem", keys.generate_private_key().public_key())
    result = run("verify-release", "reg-w1", "--keys", str(folder))
    assert result.exit_code == 1
    assert "FAILED: compute party 2: report signature is not compute party 2's" in result.output
    (folder / "party-2.pub.pem").unlink()
    missing = run("verify-release", "reg-w1", "--keys", str(folder))
    assert missing.exit_code == 2 and "party-2.pub.pem does not exist" in missing.output


def test_a_round_without_a_release_is_a_clear_error(run, register_hub):
    with session_scope(register_hub.settings.database_url) as session:
        open_round(session, "reg-open", ["drugs_weekly"], dt.date(2025, 3, 3))
    for round_id, reason in (("no-such-round", "does not exist"), ("reg-open", "not released")):
        result = run("verify-release", round_id)
        assert result.exit_code == 2 and reason in result.output, result.output
