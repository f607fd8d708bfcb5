"""`samenbeeld db upgrade|check|downgrade` on every role, through the real CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from samenbeeld.api.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Invoke the CLI with a data dir of its own and no ambient configuration."""
    for name in ("SAMENBEELD_CONFIG", "SAMENBEELD_DATABASE_URL", "SAMENBEELD_MUNICIPALITY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAMENBEELD_DATA_DIR", str(tmp_path))

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.mark.parametrize(
    ("role", "extra", "filename"),
    [
        ("node", ["--municipality", "GM0758"], "node-gm0758.sqlite3"),
        ("party", ["--index", "1"], "party-1.sqlite3"),
        ("hub", [], "hub.sqlite3"),
    ],
)
def test_upgrade_check_downgrade(run, tmp_path, role, extra, filename):
    result = run("db", "check", "--role", role, *extra)
    assert result.exit_code == 2 and "not at head" in result.output
    result = run("db", "upgrade", "--role", role, *extra)
    assert result.exit_code == 0, result.output
    assert (tmp_path / filename).is_file()
    result = run("db", "check", "--role", role, *extra)
    assert result.exit_code == 0 and "matches the models" in result.output
    result = run("db", "downgrade", "--role", role, *extra, "--revision", "base")
    assert result.exit_code == 0 and "at base" in result.output


def test_node_without_municipality_is_a_clear_error(run):
    result = run("db", "upgrade", "--role", "node")
    assert result.exit_code == 2
    assert "SAMENBEELD_MUNICIPALITY" in result.output


def test_database_url_from_environment_wins(run, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    monkeypatch.setenv("SAMENBEELD_DATABASE_URL", url)
    assert run("db", "upgrade", "--role", "hub").exit_code == 0
    assert (tmp_path / "elsewhere.sqlite3").is_file()
    assert not (tmp_path / "hub.sqlite3").exists()
