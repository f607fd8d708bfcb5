"""`samenbeeld privacy scan FILE`: find personal data in a file, without printing it."""

from __future__ import annotations

from pathlib import Path

import click

from samenbeeld.platform.privacy.scan import scan_file


@click.group()
def privacy() -> None:
    """The privacy guard, for privacy officers."""


@privacy.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def scan(file: Path) -> None:
    """Print line, field and category of every string in FILE (CSV, JSON, YAML or text)
    that looks like personal data, never the value; exit 1 when anything is found."""
    findings = scan_file(file)
    for finding in findings:
        click.echo(str(finding))
    click.echo(f"{len(findings)} finding(s) in {file.name}", err=True)
    if findings:
        raise click.exceptions.Exit(1)
