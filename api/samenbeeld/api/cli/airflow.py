"""`samenbeeld airflow up`: the real Airflow 3 stack in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import click


@click.group()
def airflow() -> None:
    """Airflow 3 on this machine (api-server, scheduler, dag-processor, triggerer)."""


@airflow.command()
@click.option("--home", default="var/airflow", show_default=True, type=click.Path(file_okay=False))
@click.option("--dags-folder", default="dags", show_default=True, type=click.Path(file_okay=False))
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--sqlite", is_flag=True, help="Metadata in <home>/airflow.db, not PostgreSQL.")
def up(home: str, dags_folder: str, port: int, sqlite: bool) -> None:
    """Migrate, start the four components, wait until healthy, run until Ctrl-C or SIGTERM.

    Foreground only: stopping this command stops every process it started. Metadata lives
    in the PostgreSQL database samenbeeld_airflow (SQLite when none answers or --sqlite).
    """
    from samenbeeld.api.ops.airflow_stack import AirflowStack

    home_path = Path(home).resolve()
    url = f"sqlite:///{home_path / 'airflow.db'}" if sqlite else None
    stack = AirflowStack(home_path, Path(dags_folder), port=port, metadata_url=url)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        click.echo(f"metadata: {_safe(stack.metadata_url)}; logs: {home_path / 'logs'}")
        stack.migrate()
        stack.start()
        stack.wait_healthy()
        pids = ", ".join(f"{name} {pid}" for name, pid in stack.pids().items())
        click.echo(f"Airflow UI and API at {stack.url} ({pids}); Ctrl-C stops it")
        stack.watch()
    except KeyboardInterrupt:
        click.echo("stopping Airflow")
    finally:
        stack.stop()
        signal.signal(signal.SIGTERM, previous)


def _safe(url: str) -> str:
    """The URL with any password masked."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM stops the stack the way Ctrl-C does."""
    raise KeyboardInterrupt
