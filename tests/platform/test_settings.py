"""Settings: defaults, TOML, environment, overrides, in that order; bad values refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from samenbeeld.platform.errors import ConfigurationError
from samenbeeld.platform.settings import HubSettings, NodeSettings, PartySettings


def test_node_defaults_to_an_sqlite_file_per_municipality(tmp_path):
    settings = NodeSettings.load(environ={}, data_dir=tmp_path, municipality="GM0758")
    expected = (tmp_path / "node-gm0758.sqlite3").resolve()
    assert settings.effective_database_url == f"sqlite:///{expected}"


def test_party_and_hub_get_their_own_files(tmp_path):
    party = PartySettings.load(environ={}, data_dir=tmp_path, index=2)
    hub = HubSettings.load(environ={}, data_dir=tmp_path)
    assert party.effective_database_url.endswith("party-2.sqlite3")
    assert hub.effective_database_url.endswith("hub.sqlite3")


def test_toml_then_environment_then_overrides(tmp_path):
    config = tmp_path / "samenbeeld.toml"
    config.write_text(
        'data_dir = "/srv/sb"\nlog_level = "DEBUG"\n'
        '[node]\nmunicipality = "GM0363"\ndatabase_url = "postgresql+psycopg://db/node"\n'
        "[hub]\nmin_contributors = 9\n"
    )
    environ = {"SAMENBEELD_MUNICIPALITY": "GM0599"}
    node = NodeSettings.load(config, environ=environ)
    assert (node.municipality, node.data_dir, node.log_level) == (
        "GM0599",
        Path("/srv/sb"),
        "DEBUG",
    )
    assert node.effective_database_url == "postgresql+psycopg://db/node"
    assert (
        NodeSettings.load(config, environ=environ, municipality="GM0758").municipality == "GM0758"
    )
    assert HubSettings.load(config, environ={}).min_contributors == 9


def test_config_file_named_by_environment(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[party]\nindex = 1\n")
    assert PartySettings.load(environ={"SAMENBEELD_CONFIG": str(config)}).index == 1


@pytest.mark.parametrize(
    ("cls", "environ", "reason"),
    [
        (NodeSettings, {}, "municipality"),
        (NodeSettings, {"SAMENBEELD_MUNICIPALITY": "Breda"}, "CBS code"),
        (PartySettings, {"SAMENBEELD_INDEX": "3"}, "0, 1 or 2"),
        (PartySettings, {"SAMENBEELD_INDEX": "one"}, "not a valid int"),
        (HubSettings, {"SAMENBEELD_MIN_CONTRIBUTORS": "1"}, "at least 2"),
        (HubSettings, {"SAMENBEELD_DOMINANCE_THRESHOLD": "1.5"}, "(0, 1]"),
    ],
)
def test_bad_values_are_refused_with_the_reason(cls, environ, reason):
    with pytest.raises(ConfigurationError, match=reason.replace("(", r"\(").replace("]", r"\]")):
        cls.load(environ=environ)


def test_bad_toml_and_unknown_keys_are_refused(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("data_dir = ")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        HubSettings.load(broken, environ={})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[hub]\ncolour = 'blue'\n")
    with pytest.raises(ConfigurationError, match="unknown setting.*colour"):
        HubSettings.load(unknown, environ={})
    with pytest.raises(ConfigurationError, match="does not exist"):
        HubSettings.load(tmp_path / "missing.toml", environ={})
