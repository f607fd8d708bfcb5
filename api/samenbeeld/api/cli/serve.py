"""`samenbeeld <role> serve`: one role's API under waitress until SIGTERM or Ctrl-C."""

from __future__ import annotations

import gc
import logging
import signal
import socket
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.exc import DBAPIError

from samenbeeld.platform import migrate, privacy
from samenbeeld.platform.errors import ConfigurationError
from samenbeeld.platform.settings import BaseSettings, HubSettings, NodeSettings, PartySettings

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session, sessionmaker

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
fd_option = click.option(
    "--fd",
    type=click.IntRange(0),
    help="Serve on this inherited, already listening socket instead of binding "
    "--host/--port (what a supervisor that bound the port passes on).",
)


def default_port(settings: BaseSettings) -> int:
    """The role's port when --port is not given."""
    offset = settings.index if isinstance(settings, PartySettings) else 0
    return DEFAULT_PORTS[settings.role] + offset


def serve(settings: BaseSettings, host: str, port: int | None, fd: int | None = None) -> None:
    """Refuse an unmigrated database, then serve the role's app until SIGTERM or SIGINT."""
    from samenbeeld.api import db
    from samenbeeld.api.app import create_app

    require_head(settings)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(settings.role, settings)
    recover(settings, app.extensions[db.EXTENSION].sessionmaker())
    if settings.role == "hub":  # it checks template text: load deduce now, not in a request
        privacy.warm_up_in_background()
    port = port or default_port(settings)
    server = _create_server(app, settings.role, host, port, fd)
    # What start-up made (modules, the app) lives as long as the process: keep it out of
    # the garbage collector's full passes, which otherwise walk it on every one of them.
    gc.collect()
    gc.freeze()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    host, port = server.effective_host, server.effective_port
    logger.info("samenbeeld %s listening on http://%s:%s", settings.role, host, port)
    try:
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        db.dispose(app)
    logger.info("samenbeeld %s stopped", settings.role)


def recover(settings: BaseSettings, sessions: sessionmaker[Session]) -> None:
    """Before serving, clear what a killed predecessor left: a party's work folders (shares,
    results); the hub's dealer folders and the attempts it was driving (failed at once)."""
    from samenbeeld.federation.hub import compute as hub_compute
    from samenbeeld.federation.mpc.supervisor import remove_leftovers

    if isinstance(settings, PartySettings):
        remove_leftovers(settings.work_dir)
    elif isinstance(settings, HubSettings):
        hub_compute.recover_after_restart(sessions, settings)


def _create_server(app: Flask, role: str, host: str, port: int, fd: int | None = None) -> Any:
    """A bound waitress server for app (threads, one process), or one on socket ``fd``."""
    import waitress

    limit = app.config["MAX_CONTENT_LENGTH"]
    where: dict[str, Any] = {"host": host, "port": port}
    if fd is not None:
        where = {"sockets": [socket.socket(fileno=fd)]}
    try:
        return waitress.create_server(
            app,
            **where,
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
