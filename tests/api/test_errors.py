"""Every error leaves every service as one RFC 7807 problem+json shape."""

from __future__ import annotations

import logging

import marshmallow as ma
import pytest
from flask import abort, request
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api import app as app_module
from samenbeeld.api.app import create_app
from samenbeeld.platform import errors
from samenbeeld.platform.settings import HubSettings

PROBLEM_JSON = "application/problem+json"
SECRET = "GM0758 counted 1234"
URN = "urn:samenbeeld:problem:"

RAISED = {
    "authentication": (errors.AuthenticationError, 401, "Authentication"),
    "permission": (errors.PermissionDeniedError, 403, "Permission denied"),
    "not-found": (errors.NotFoundError, 404, "Not found"),
    "conflict": (errors.ConflictError, 409, "Conflict"),
    "disclosure-refused": (errors.DisclosureRefusedError, 409, "Disclosure refused"),
    "invalid-input": (errors.InvalidInputError, 422, "Invalid input"),
    "configuration": (errors.ConfigurationError, 422, "Invalid input"),
    "upstream-failed": (errors.UpstreamFailedError, 502, "Upstream failed"),
    "bad-request": (errors.SamenbeeldError, 400, "Bad request"),
}

blp = Blueprint("throwaway", __name__)


class EchoSchema(ma.Schema):
    """A body with one integer."""

    count = ma.fields.Integer(required=True)


@blp.route("/raise/<name>")
def raise_error(name: str) -> None:
    """Raise the Samenbeeld error called name."""
    raise RAISED[name][0](f"{name} happened")


@blp.route("/crash")
def crash() -> None:
    """An unexpected exception whose text holds a value."""
    raise ValueError(SECRET)


@blp.route("/abort500")
def abort_500() -> None:
    """An explicit 500 with a description that must not leave the service."""
    abort(500, SECRET)


@blp.route("/echo")
class Echo(MethodView):
    """Validates its body with webargs."""

    @blp.arguments(EchoSchema)
    @blp.response(200, EchoSchema)
    def post(self, body: dict[str, int]) -> dict[str, int]:
        """Return the body."""
        return body


@blp.route("/upload", methods=["POST"])
def upload() -> dict[str, int]:
    """Reads the raw body."""
    return {"size": len(request.get_data())}


@pytest.fixture
def client(monkeypatch):
    """A hub app with the throwaway blueprint plugged in like any hub blueprint."""
    monkeypatch.setitem(app_module.REGISTER_BY_ROLE, "hub", lambda api: api.register_blueprint(blp))
    settings = HubSettings.load(environ={}, database_url="sqlite://")
    config = {"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "MAX_CONTENT_LENGTH": 1024}
    return create_app("hub", settings, testing_config=config).test_client()


def assert_problem(response, status: int, title: str, type_uri: str = "about:blank") -> dict:
    """The response is a problem of status; returns its body."""
    assert response.status_code == status
    assert response.content_type == PROBLEM_JSON
    body = response.get_json()
    assert {k: body[k] for k in ("type", "title", "status")} == {
        "type": type_uri,
        "title": title,
        "status": status,
    }
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize("name", list(RAISED))
def test_samenbeeld_errors_map_to_their_status(client, name):
    _, status, title = RAISED[name]
    type_uri = URN + title.lower().replace(" ", "-")
    body = assert_problem(client.get(f"/raise/{name}"), status, title, type_uri)
    assert body["detail"] == f"{name} happened"


def test_http_errors_are_problems(client):
    assert_problem(client.get("/no/such/page"), 404, "Not Found")
    response = client.delete("/health")
    assert_problem(response, 405, "Method Not Allowed")
    assert "GET" in response.headers["Allow"]


def test_validation_errors_list_the_fields(client):
    response = client.post("/echo", json={"count": "many", "extra": 1})
    body = assert_problem(response, 422, "Invalid input", URN + "invalid-input")
    assert body["errors"] == {
        "json": {"count": ["Not a valid integer."], "extra": ["Unknown field."]}
    }
    assert client.post("/echo", json={"count": 3}).get_json() == {"count": 3}


@pytest.mark.parametrize("path", ["/upload", "/echo", "/health"])
def test_a_body_over_the_limit_is_413(client, path):
    assert client.post(path, data=b"x" * 1024).status_code != 413
    body = assert_problem(client.post(path, data=b"x" * 1025), 413, "Request Entity Too Large")
    assert "errors" not in body


def test_the_default_limit_is_16_mib():
    app = create_app("hub", HubSettings.load(environ={}, database_url="sqlite://"))
    response = app.test_client().post("/health", data=b"x" * (16 * 1024 * 1024 + 1))
    assert_problem(response, 413, "Request Entity Too Large")


@pytest.mark.parametrize("path", ["/crash", "/abort500"])
def test_a_500_hides_the_exception(client, caplog, path):
    with caplog.at_level(logging.ERROR):
        response = client.get(path)
    assert response.content_type == PROBLEM_JSON
    assert response.get_json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "internal error",
    }
    assert SECRET not in caplog.text
    if path == "/crash":
        (record,) = caplog.records
        assert record.levelno == logging.ERROR and record.exc_info is None
        assert "builtins.ValueError" in record.getMessage()
