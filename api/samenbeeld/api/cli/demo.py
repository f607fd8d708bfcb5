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
@click.option("--cities", default=12, show_default=True, type=click.IntRange(1, 48))
@click.option("--weeks", default=52, show_default=True, type=click.IntRange(1, 520))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--data-dir", default="var/demo", show_default=True, type=click.Path(file_okay=False))
def run(cities: int, weeks: int, seed: int, data_dir: str) -> None:
    """The main job: init the demo federation, then compute each city's local indicators."""
    from samenbeeld.platform.demo import init_federation, local_totals

    result = init_federation(Path(data_dir), cities=cities, weeks=weeks, seed=seed, progress=True)
    click.echo(result.summary())
    click.echo(local_totals(result))
