"""`samenbeeld node ingest` loads a file into a fresh node database or reports why not."""

from __future__ import annotations

from click.testing import CliRunner

from samenbeeld.api.cli import main

GOOD = "kind,code,population\ndistrict,WK075801,12000\ndistrict,WK075802,8000\n"
BAD = "kind,code,population\ndistrict,WK075803,-1\n"


def test_node_ingest_loads_a_file_and_reports_a_bad_one(tmp_path):
    env = {
        "SAMENBEELD_DATA_DIR": str(tmp_path),
        "SAMENBEELD_MUNICIPALITY": "GM0758",
        "SAMENBEELD_DATABASE_URL": None,
        "SAMENBEELD_CONFIG": None,
    }
    runner = CliRunner(env=env)
    upgraded = runner.invoke(main, ["db", "upgrade", "--role", "node"])
    assert upgraded.exit_code == 0, upgraded.output
    (tmp_path / "good.csv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.csv").write_text(BAD, encoding="utf-8")

    loaded = runner.invoke(main, ["node", "ingest", str(tmp_path / "good.csv")])
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 2 rows (district 2" in loaded.output
    again = runner.invoke(main, ["node", "ingest", str(tmp_path / "good.csv")])
    assert "already loaded; 0 rows inserted" in again.output

    refused = runner.invoke(main, ["node", "ingest", str(tmp_path / "bad.csv")])
    assert refused.exit_code == 2
    assert "error: nothing loaded" in refused.output
    assert "line 2, field population: must be between 0 and 1000000" in refused.output
