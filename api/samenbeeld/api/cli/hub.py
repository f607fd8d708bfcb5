"""`samenbeeld hub ...`: the federation coordinator's service, its release register, and
the check of a release against the parties' signed reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import click

from samenbeeld.api.cli.keys import load_public_pem, public_path
from samenbeeld.api.cli.serve import fd_option, host_option, port_option, require_head, serve
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.errors import InvalidInputError, VerificationFailedError
from samenbeeld.platform.keys import KeyOwner, KeySet, RegisteredKey, key_id
from samenbeeld.platform.settings import HubSettings


@click.group()
def hub() -> None:
    """Run the hub."""


@hub.command("serve")
@host_option
@port_option
@fd_option
@click.pass_context
def serve_hub(ctx: click.Context, host: str, port: int | None, fd: int | None) -> None:
    """Serve the hub API (the database must be at head: samenbeeld db upgrade --role hub)."""
    serve(HubSettings.load(ctx.obj["config"]), host, port, fd)


@hub.command("register")
@click.option("--role", "kind", type=click.Choice(["node", "party"]), required=True)
@click.option("--member", required=True, help="CBS code of a node (GM0758), index of a party.")
@click.option("--name", required=True, help="Display name, e.g. Breda.")
@click.option(
    "--public-key",
    type=click.File("rb"),
    required=True,
    help="The member's public key (PEM; '-' reads standard input).",
)
@click.pass_context
def register(ctx: click.Context, kind: str, member: str, name: str, public_key: BinaryIO) -> None:
    """Add a member to the hub's registry, or replace its key (rotation)."""
    from samenbeeld.federation.hub.members import register_member

    settings = HubSettings.load(ctx.obj["config"])
    key = load_public_pem(public_key.read())
    require_head(settings)
    with session_scope(settings.effective_database_url) as session:
        row = register_member(session, kind, member, name, key)
        code, kid = row.code, json.loads(row.public_key or "{}").get("kid")
    click.echo(f"registered {code} ({name}) with key {kid}")


@hub.command("releases")
@click.option("--indicator", help="Only rounds that released this indicator.")
@click.option("--year", type=click.IntRange(1900, 9999), help="Only periods starting then.")
@click.option(
    "--format", "shape", type=click.Choice(["table", "json", "csv"]), default="table",
    show_default=True, help="json and csv as the API's GET /api/v1/releases gives them.",
)  # fmt: skip
@click.pass_context
def releases(ctx: click.Context, indicator: str | None, year: int | None, shape: str) -> None:
    """List the release register from the hub's database, newest first (no values)."""
    from samenbeeld.api.hub.releases import RegisterEntrySchema
    from samenbeeld.federation.hub import register
    from samenbeeld.federation.hub.trend_cache import as_csv
    from samenbeeld.platform.catalog import default_catalog

    settings = HubSettings.load(ctx.obj["config"])
    require_head(settings)
    chosen = register.RegisterFilter(indicator=indicator, year=year)
    with session_scope(settings.effective_database_url) as session:
        entries = register.register_entries(session, chosen, default_catalog())
    if shape == "json":
        click.echo(json.dumps(RegisterEntrySchema(many=True).dump(entries), indent=2))
    elif shape == "csv":
        body = as_csv(register.CSV_COLUMNS, register.csv_rows(entries))
        click.echo(body.content.decode(), nl=False)
    else:
        click.echo(register_table(entries))


def register_table(entries: Sequence[dict[str, Any]]) -> str:
    """The register for a terminal: a line per round, an indented line per indicator."""
    lines = [f"{len(entries)} released round(s)"]
    for entry in entries:
        digests = sorted({report["sha256"][:16] for report in entry["reports"]})
        digest = " / ".join(digests) or "none"
        rules = entry["rules"]
        lines.append(
            f"{entry['round_id']}  {entry['period_start']} {entry['period'] or ''}  "
            f"{entry['program']}  v{entry['version']}  cohort {entry['cohort_size']}  "
            f"min {rules['min_contributors']}  dominance {rules['dominance']}  "
            f"attempt {entry['attempt']}  sha256 {digest} ({len(entry['reports'])} parties)  "
            f"{entry['released_at']:%Y-%m-%d %H:%M}"
        )
        lines.extend(f"    {_privacy_text(privacy)}" for privacy in entry["privacy"])
    return "\n".join(lines)


def _privacy_text(privacy: dict[str, Any]) -> str:
    """An indicator's DP parameters and budget year, on one line."""
    if privacy["mechanism"] == "exact":
        return f"{privacy['indicator']}: exact"
    text = (
        f"{privacy['indicator']}: {privacy['mechanism']} epsilon {privacy['epsilon']:g} "
        f"delta {privacy['delta']} noise sd {privacy['noise_sd']}"
    )
    budget = privacy["budget"]
    return text + (
        f"; {budget['year']} budget {budget['yearly_epsilon']}, spent {budget['spent']}, "
        f"left {budget['left']}"
    )


@hub.command("verify-release")
@click.argument("round_id", metavar="ROUND")
@click.option(
    "--keys", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder with the parties' public keys (party-0.pub.pem .. party-2.pub.pem) to "
    "check with, instead of the keys registered at the hub.",
)  # fmt: skip
@click.pass_context
def verify_release(ctx: click.Context, round_id: str, folder: Path | None) -> None:
    """Check ROUND's stored release against the three parties' signed reports: exit 0 with
    a summary, 1 naming the party, or the cell and the field, that differs."""
    from samenbeeld.federation.hub import verification
    from samenbeeld.federation.hub.members import member_keys

    settings = HubSettings.load(ctx.obj["config"])
    require_head(settings)
    with session_scope(settings.effective_database_url) as session:
        keys = member_keys(session) if folder is None else party_keys(folder)
        try:
            summary = verification.verify_release(session, keys, round_id)
        except VerificationFailedError as failure:
            click.echo(f"FAILED: {failure}", err=True)
            ctx.exit(1)
    click.echo(summary)


def party_keys(folder: Path) -> KeySet:
    """The three parties' public keys from ``party-<i>.pub.pem`` files (as ``samenbeeld keys
    create`` names the public half of a party's ``party-<i>.pem``)."""
    found = []
    for index in range(3):
        path = public_path(folder / f"party-{index}.pem")
        if not path.is_file():
            raise InvalidInputError(f"{path} does not exist")
        try:
            key = load_public_pem(path.read_bytes())
        except InvalidInputError as error:
            raise InvalidInputError(f"{path}: {error}") from None
        found.append(RegisteredKey(key_id(key), key, KeyOwner("party", str(index))))
    return KeySet(found)
