"""`samenbeeld demo ...`: a synthetic G40 federation on the embedded default."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def demo() -> None:
    """Synthetic federation for demonstrations and tests."""


@demo.command()
@click.option("--cities", default=12, show_default=True, type=click.IntRange(1, 48))
@click.option("--weeks", default=52, show_default=True, type=click.IntRange(1, 520))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--data-dir", default="var/demo", show_default=True, type=click.Path(file_okay=False))
def init(cities: int, weeks: int, seed: int, data_dir: str) -> None:
    """Create N node databases with synthetic weekly data and a plaintext truth file."""
    from samenbeeld.platform.demo import init_federation

    result = init_federation(Path(data_dir), cities=cities, weeks=weeks, seed=seed, progress=True)
    click.echo(result.summary())


@demo.command()
@click.option("--cities", default=12, show_default=True, type=click.IntRange(5, 48))
@click.option("--weeks", default=52, show_default=True, type=click.IntRange(1, 520))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--data-dir", default="var/demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--postgres", is_flag=True, help="Every service's database on the local PostgreSQL.")
@click.option("--rounds", type=click.IntRange(1, 520), help="Only the last N weeks (default: all).")
@click.option(
    "--serve/--no-serve",
    default=None,
    help="Keep the services (and dashboards) up until Ctrl-C. Default: when run in a terminal.",
)
@click.pass_context
def run(
    ctx: click.Context, cities: int, weeks: int, seed: int, data_dir: str, postgres: bool,
    rounds: int | None, serve: bool | None,
) -> None:  # fmt: skip
    """The main job: a whole federation on loopback, one secure round per week, verified."""
    from samenbeeld.api.ops.demo_run import run_demo

    if not run_demo(Path(data_dir), cities, weeks, seed, postgres, click.echo, rounds, serve):
        click.echo("error: some released cells did not match the truth file", err=True)
        ctx.exit(1)
