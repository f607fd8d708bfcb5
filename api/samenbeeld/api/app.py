"""The application factory: one Flask app per service role (node, party, hub).

``create_app(role)`` layers configuration as flaskr does: defaults (config.DEFAULTS),
then what follows from the role settings, then the test configuration. Every role
serves ``GET /health``, its OpenAPI document at ``/api/v1/openapi.json`` and interactive
docs (Swagger UI, bundled, works offline) at ``/api/v1/docs/``; a role's own blueprints
come from its package's ``register(api)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from flask import Flask, Response, request
from flask_smorest import Api
from flask_swagger_ui import get_swaggerui_blueprint
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from samenbeeld.api import auth, common, config, db, errors, hub, node, party, users
from samenbeeld.api.hub.keys import RegistryKeySource
from samenbeeld.platform.errors import ConfigurationError
from samenbeeld.platform.settings import SETTINGS_BY_ROLE, BaseSettings, HubSettings

REGISTER_BY_ROLE: dict[str, Callable[[Api], None]] = {
    "node": node.register,
    "party": party.register,
    "hub": hub.register,
}


class ServiceFlask(Flask):
    """Flask whose log of an unhandled exception names its type, never its text."""

    def log_exception(
        self,
        exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None],
    ) -> None:
        """Log by type and location only (the text might hold a value)."""
        if exc_info[1] is not None:
            errors.log_internal_error(exc_info[1])


class ServiceApi(Api):  # type: ignore[misc]  # flask-smorest ships no type hints
    """flask-smorest's Api with our problem+json handler and schema for HTTP errors."""

    ERROR_SCHEMA = errors.ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        """Every HTTP error (404, 405, 413, 422, 500 ...) as a problem response."""
        return errors.handle_error(error)

    def _register_responses(self) -> None:
        """Document the error responses as application/problem+json, which they are."""
        self.DEFAULT_RESPONSE_CONTENT_TYPE = errors.PROBLEM_JSON
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE  # success responses stay application/json


def create_app(
    role: str,
    settings: BaseSettings | None = None,
    *,
    testing_config: Mapping[str, Any] | None = None,
    key_source: auth.KeySource | None = None,
) -> Flask:
    """The Flask app of role; settings default to the role's settings from the environment."""
    if role not in REGISTER_BY_ROLE:
        raise ConfigurationError(f"unknown role {role!r}; choose node, party or hub")
    if settings is None:
        settings = SETTINGS_BY_ROLE[role].load()
    if settings.role != role:
        raise ConfigurationError(f"{settings.role} settings given for a {role} app")
    app = ServiceFlask(__name__)
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_mapping(config.role_config(settings))
    app.config.from_mapping(testing_config or {})
    config.init_app(app, settings)
    db.init_app(app, settings.effective_database_url)
    errors.init_app(app)
    auth.init_app(app, key_source or default_key_source(settings))
    users.init_app(app, settings)
    app.before_request(_refuse_oversized_body)
    api = ServiceApi(app)
    api.spec.components.security_scheme("bearerAuth", config.BEARER_SCHEME)
    common.register(api)
    REGISTER_BY_ROLE[role](api)
    app.register_blueprint(_docs_blueprint(settings))
    return app


def _docs_blueprint(settings: BaseSettings) -> Any:
    """Swagger UI at /api/v1/docs/, served from the wheel's own files (no CDN)."""
    return get_swaggerui_blueprint(
        config.DOCS_PATH,
        f"{config.DEFAULTS['OPENAPI_URL_PREFIX']}/{config.DEFAULTS['OPENAPI_JSON_PATH']}",
        config={"app_name": f"Samenbeeld {settings.role} API", "persistAuthorization": True},
        blueprint_name="api_docs",
    )


def default_key_source(settings: BaseSettings) -> auth.KeySource:
    """The hub verifies against its member registry; nodes and parties fetch its JWKS."""
    if isinstance(settings, HubSettings):
        return RegistryKeySource()
    hub_url = getattr(settings, "hub_url", "")
    return auth.JwksKeySource(f"{hub_url.rstrip('/')}/api/v1/jwks")


def _refuse_oversized_body() -> None:
    """413 for a declared body over MAX_CONTENT_LENGTH, whether or not a view reads it."""
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
