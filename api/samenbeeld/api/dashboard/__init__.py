"""The dashboard: one page at ``/dashboard/``, served by the hub and by every node.

The page is static HTML, CSS and JavaScript with uPlot (vendored under ``static/vendor``,
no CDN, no build step). It reads the JSON APIs with the user's token, which the browser
takes from the URL fragment (``#token=...``, never sent to a server) or a sign-in form and
keeps in ``sessionStorage``. The hub's page shows the trends, the early warnings and the
template catalog; a node's page shows its own municipality's line against the released
band. A plain Flask blueprint, outside the OpenAPI document: it is a page, not a resource.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, render_template
from flask_smorest import Api

from samenbeeld.api.config import current_settings
from samenbeeld.platform.catalog import load_catalog
from samenbeeld.platform.errors import NotFoundError
from samenbeeld.platform.registry import load_registry
from samenbeeld.platform.settings import BaseSettings, NodeSettings

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

bp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/dashboard",
    static_folder="static",
    template_folder="templates",
)


def register(api: Api) -> None:
    """Serve the dashboard on api's app (Api.register_blueprint would document the page)."""
    app: Flask = api._app  # flask-smorest keeps the app it was given here, and nowhere public
    app.register_blueprint(bp)


@bp.get("/")
def page() -> Response:
    """The dashboard page of this service (hub: federation view; node: own position)."""
    settings = current_settings()
    html = render_template("dashboard/index.html", **page_context(settings))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def page_context(settings: BaseSettings) -> dict[str, Any]:
    """What the template needs: the role and, on a node, its municipality and catalog."""
    role = settings.role
    if not isinstance(settings, NodeSettings):
        return {"role": role, "config": {"role": role}}
    code = settings.municipality
    indicators = [
        {
            "code": i.code,
            "title": i.title,
            "title_nl": i.title_nl,
            "period": i.period,
            "measure": i.measure,
            "per_10000_residents": i.per_10000_residents,
        }
        for i in load_catalog().indicators
        if i.buckets
    ]
    config = {
        "role": role,
        "municipality": code,
        "municipality_name": municipality_name(code),
        "indicators": indicators,
    }
    return {"role": role, "config": config}


def municipality_name(code: str) -> str:
    """The municipality's name from the registry (its code when it is not listed)."""
    try:
        return load_registry().get(code).name
    except NotFoundError:
        return code
