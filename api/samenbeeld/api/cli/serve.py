"""`samenbeeld <role> serve`: one role's API under waitress until SIGTERM or Ctrl-C."""

from __future__ import annotations

import gc
import logging
import signal
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.exc import DBAPIError

from samenbeeld.platform import migrate, privacy
from samenbeeld.platform.errors import ConfigurationError
from samenbeeld.platform.settings import BaseSettings, NodeSettings, PartySettings

if TYPE_CHECKING:
    from flask import Flask

THREADS = 8
# The hub listens where NodeSettings.hub_url points by default; party i on 8701 + i.
DEFAULT_PORTS = {"hub": 8700, "party": 8701, "node": 8710}
logger = logging.getLogger("samenbeeld.api.serve")

host_option = click.option("--host", default="127.0.0.1", show_default=True)
port_option = click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="TCP port (default: hub 8700, party 8701+i, node 8710).",
)


def default_port(settings: BaseSettings) -> int:
    """The role's port when --port is not given."""
    offset = settings.index if isinstance(settings, PartySettings) else 0
    return DEFAULT_PORTS[settings.role] + offset


def serve(settings: BaseSettings, host: str, port: int | None) -> None:
    """Refuse an unmigrated database, then serve the role's app until SIGTERM or SIGINT."""
    from samenbeeld.api import db
    from samenbeeld.api.app import create_app

    require_head(settings)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(settings.role, settings)
    if settings.role == "hub":  # it checks template text: load deduce now, not in a request
        privacy.warm_up()
    port = port or default_port(settings)
    server = _create_server(app, settings.role, host, port)
    # What start-up made (modules, the app) lives as long as the process: keep it out of
    # the garbage collector's full passes, which otherwise walk it on every one of them.
    gc.collect()
    gc.freeze()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    logger.info("samenbeeld %s listening on http://%s:%s", settings.role, host, port)
    try:
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        db.dispose(app)
    logger.info("samenbeeld %s stopped", settings.role)


def _create_server(app: Flask, role: str, host: str, port: int) -> Any:
    """A bound waitress server for app (threads, one process)."""
    import waitress

    limit = app.config["MAX_CONTENT_LENGTH"]
    try:
        return waitress.create_server(
            app,
            host=host,
            port=port,
            threads=THREADS,
            ident=f"samenbeeld-{role}",
            # waitress spools a body before the app sees it: cap that spool, but above the
            # app's own limit, so an oversized upload still gets the app's problem+json 413.
            max_request_body_size=2 * limit if limit else 2**30,
        )
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM stops the server the way Ctrl-C does."""
    raise KeyboardInterrupt


def require_head(settings: BaseSettings) -> None:
    """ConfigurationError unless the role database is migrated to head."""
    role, url = settings.role, settings.effective_database_url
    try:
        current = migrate.current_revision(role, url)
    except DBAPIError as exc:
        raise ConfigurationError(
            f"the {role} database does not answer ({type(exc).__name__})"
        ) from None
    if current != migrate.head_revision(role):
        raise ConfigurationError(
            f"the {role} database is not at head ({current or 'never migrated'}); "
            f"run first: samenbeeld db upgrade {upgrade_arguments(settings)}"
        )


def upgrade_arguments(settings: BaseSettings) -> str:
    """The `db upgrade` options that select this role's database."""
    if isinstance(settings, NodeSettings):
        return f"--role node --municipality {settings.municipality}"
    if isinstance(settings, PartySettings):
        return f"--role party --index {settings.index}"
    return f"--role {settings.role}"
