"""create_app: configuration layers, settings on the app, no database touched at creation."""

from __future__ import annotations

import pytest
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import create_engine, text

from samenbeeld.api import app as app_module
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.api.config import current_settings
from samenbeeld.platform.errors import ConfigurationError, ConflictError
from samenbeeld.platform.settings import HubSettings, NodeSettings, PartySettings

UNREACHABLE = "postgresql+psycopg://samenbeeld:s3cret@127.0.0.1:1/nowhere"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No ambient Samenbeeld configuration; the data dir is tmp_path."""
    for name in ("CONFIG", "DATABASE_URL", "MUNICIPALITY", "INDEX"):
        monkeypatch.delenv(f"SAMENBEELD_{name}", raising=False)
    monkeypatch.setenv("SAMENBEELD_DATA_DIR", str(tmp_path / "data"))


def test_creating_an_app_touches_no_database(clean_env, tmp_path):
    app = create_app("hub", HubSettings.load(database_url=UNREACHABLE))
    assert app.test_client().get("/api/v1/openapi.json").status_code == 200
    default = create_app("hub")
    assert default.test_client().get("/api/v1/openapi.json").status_code == 200
    assert not (tmp_path / "data").exists()


def test_configuration_layers(clean_env):
    app = create_app("hub", HubSettings.load())
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert app.config["API_TITLE"] == "Samenbeeld hub API"
    overridden = create_app(
        "hub", HubSettings.load(), testing_config={"MAX_CONTENT_LENGTH": 10, "API_TITLE": "t"}
    )
    assert overridden.config["MAX_CONTENT_LENGTH"] == 10
    assert overridden.config["API_TITLE"] == "t"


def test_settings_come_from_the_environment_unless_given(clean_env, monkeypatch):
    monkeypatch.setenv("SAMENBEELD_MUNICIPALITY", "GM0758")
    monkeypatch.setenv("SAMENBEELD_DATABASE_URL", UNREACHABLE)
    with create_app("node").app_context():
        assert current_settings(NodeSettings).municipality == "GM0758"
        assert current_settings().database_url == UNREACHABLE
    given = NodeSettings.load(environ={}, municipality="GM0363")
    with create_app("node", given).app_context():
        assert current_settings(NodeSettings) is given
        with pytest.raises(ConfigurationError, match="node app, not a party app"):
            current_settings(PartySettings)


def test_role_and_settings_must_match(clean_env):
    with pytest.raises(ConfigurationError, match="unknown role"):
        create_app("dealer")
    with pytest.raises(ConfigurationError, match="hub settings given for a party app"):
        create_app("party", HubSettings.load())


@pytest.mark.parametrize("role", ["node", "party", "hub"])
def test_every_role_serves_its_openapi_document(clean_env, monkeypatch, role):
    monkeypatch.setenv("SAMENBEELD_MUNICIPALITY", "GM0758")
    document = create_app(role).test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.0.3"
    assert document["info"]["title"] == f"Samenbeeld {role} API"
    assert "/health" in document["paths"]


items = Blueprint("items", __name__)


@items.route("/items/<int(signed=True):value>")
class Item(MethodView):
    """Writes a row, then succeeds or fails: the request decides commit or rollback."""

    @items.response(201)
    def post(self, value: int) -> None:
        """Insert value; a negative one raises after the insert."""
        db.get_session().execute(text("INSERT INTO item (value) VALUES (:v)"), {"v": value})
        if value < 0:
            raise ConflictError("negative")


def test_a_request_commits_on_success_and_rolls_back_on_error(clean_env, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'items.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE item (value INTEGER)"))
    monkeypatch.setitem(
        app_module.REGISTER_BY_ROLE, "hub", lambda api: api.register_blueprint(items)
    )
    app = create_app("hub", HubSettings.load(database_url=url))
    client = app.test_client()
    assert client.post("/items/1").status_code == 201
    assert client.post("/items/-1").status_code == 409
    db.dispose(app)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM item")).scalars().all() == [1]
    engine.dispose()
