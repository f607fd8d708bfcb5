"""Flask configuration defaults and the role settings every request can read."""

from __future__ import annotations

from typing import Any, TypeVar, overload

from flask import Flask, current_app

from samenbeeld.platform.errors import ConfigurationError
from samenbeeld.platform.settings import BaseSettings

EXTENSION = "samenbeeld"
MiB = 1024 * 1024
DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 16 * MiB,
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    # The trend API reads a data version at most this often per scope (hub/trends.py).
    "TREND_VERSION_TTL_S": 1.0,
}
DOCS_PATH = "/api/v1/docs"
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def role_config(settings: BaseSettings) -> dict[str, Any]:
    """The Flask configuration that follows from the role settings.

    A new API_SPEC_OPTIONS per app: flask-smorest writes into that dict.
    """
    return {"API_TITLE": f"Samenbeeld {settings.role} API", "API_SPEC_OPTIONS": spec_options()}


def spec_options() -> dict[str, Any]:
    """OpenAPI document options: the description and the bearer authentication."""
    return {
        "info": {
            "description": "Samenbeeld: federated safety indicators of Dutch municipalities. "
            "Send `Authorization: Bearer <token>`: a user token (`samenbeeld token create`) "
            "or, between services, a service token."
        },
        "security": [{"bearerAuth": []}],
    }


def init_app(app: Flask, settings: BaseSettings) -> None:
    """Keep the role settings on the app, for current_settings()."""
    app.extensions[EXTENSION] = settings


@overload
def current_settings() -> BaseSettings: ...
@overload
def current_settings(kind: type[SettingsT]) -> SettingsT: ...
def current_settings(kind: type[BaseSettings] = BaseSettings) -> BaseSettings:
    """The settings of the app handling this request, checked to be of kind."""
    settings: BaseSettings = current_app.extensions[EXTENSION]
    if not isinstance(settings, kind):
        raise ConfigurationError(f"this is a {settings.role} app, not a {kind.role or 'base'} app")
    return settings
