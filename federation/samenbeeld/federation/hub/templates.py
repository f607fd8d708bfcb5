"""The hub's template registry: built-ins seeded, versions through the workflow, adoptions.

The rules (who may, which transition, which version number) are the pure functions of
:mod:`samenbeeld.platform.templates`; this module applies them to the hub's rows. Every
version is a row that stays: editing changes a draft in place, a published version never
changes, and a change to it is a new version. A *viewer* is a :class:`User`, or None for a
node's service token, which sees published and deprecated versions only.

Errors: NotFoundError for a template or version the viewer cannot see, PermissionDeniedError
for one it sees but may not change, ConflictError for a step the state forbids,
InvalidInputError for a bad slug, version or document. Functions take a ``Session``; the
caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from samenbeeld.platform import templates as rules
from samenbeeld.platform.errors import ConflictError, NotFoundError
from samenbeeld.platform.models.hub import Template, TemplateAdoption, TemplateVersion
from samenbeeld.platform.users import User

IN_PROGRESS = ("draft", "in_review")


@dataclass(frozen=True)
class TemplateSummary:
    """A template as one viewer sees it: its visible versions and their states."""

    slug: str
    title: str
    owner_municipality: str | None
    forked_from: dict[str, str] | None
    latest_published: str | None
    versions: tuple[dict[str, str], ...]


def _now(now: dt.datetime | None) -> dt.datetime:
    """now, or the current UTC time."""
    return now or dt.datetime.now(dt.UTC)


def seed_builtin_templates(
    session: Session,
    builtins: Iterable[rules.TemplateVersion] | None = None,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Insert the shipped template versions the hub does not hold yet; how many were new.

    Idempotent and safe when two requests seed at once (``INSERT ... ON CONFLICT DO
    NOTHING``). A version the hub already holds is left as it is, so a built-in that VNG
    deprecated stays deprecated.
    """
    moment, inserted = _now(now), 0
    for builtin in rules.load_builtin_templates() if builtins is None else builtins:
        template = {"slug": builtin.slug, "created_at": moment, "updated_at": moment}
        _insert_if_new(session, Template, template, ["slug"])
        row = _version_values(builtin.slug, builtin.version, builtin.document, moment)
        published = moment if builtin.state in rules.PUBLIC_STATES else None
        deprecated = moment if builtin.state == "deprecated" else None
        row.update(state=builtin.state, author_role="vng", author_municipality=None)
        row.update(published_at=published, deprecated_at=deprecated)
        inserted += _insert_if_new(session, TemplateVersion, row, ["template_slug", "version"])
    return inserted


def _insert_if_new(
    session: Session, model: type[Any], values: Mapping[str, Any], keys: list[str]
) -> int:
    """INSERT ... ON CONFLICT DO NOTHING; 1 when the row was inserted, else 0."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    return len(session.execute(statement.returning(*model.__table__.primary_key)).all())


def _version_values(
    slug: str, version: str, document: Mapping[str, Any], moment: dt.datetime
) -> dict[str, Any]:
    """Column values of a new version row holding document."""
    return {
        "template_slug": slug,
        "version": version,
        "document": json.dumps(document, ensure_ascii=False, sort_keys=True),
        "indicators": ",".join(item["code"] for item in document["indicators"]),
        "created_at": moment,
        "updated_at": moment,
    }


def _template(session: Session, slug: str) -> Template:
    """The template named slug, or NotFoundError."""
    template = session.get(Template, slug)
    if template is None:
        raise NotFoundError(f"no template {slug!r}")
    return template


def _versions(session: Session, slug: str) -> list[TemplateVersion]:
    """Every version of a template, oldest (lowest version) first."""
    rows = session.scalars(select(TemplateVersion).where(TemplateVersion.template_slug == slug))
    return sorted(rows, key=lambda row: rules.parse_version(row.version))


def _visible(viewer: User | None, row: TemplateVersion) -> bool:
    """Whether viewer may see this version."""
    return rules.visible(viewer, row.state, row.template.owner_municipality)


def list_templates(
    session: Session, viewer: User | None, state: str | None = None
) -> list[TemplateSummary]:
    """Every template with a version viewer sees (in state, when given), by slug."""
    rows = session.scalars(select(TemplateVersion).order_by(TemplateVersion.template_slug))
    by_slug: dict[str, list[TemplateVersion]] = {}
    for row in rows:
        if _visible(viewer, row):
            by_slug.setdefault(row.template_slug, []).append(row)
    summaries = [_summary(versions) for versions in by_slug.values()]
    return [s for s in summaries if state is None or state in {v["state"] for v in s.versions}]


def _summary(rows: list[TemplateVersion]) -> TemplateSummary:
    """The summary of a template from its visible versions."""
    rows = sorted(rows, key=lambda row: rules.parse_version(row.version))
    template = rows[-1].template
    published = [row.version for row in rows if row.state == "published"]
    return TemplateSummary(
        slug=template.slug,
        title=json.loads(rows[-1].document)["title"],
        owner_municipality=template.owner_municipality,
        forked_from=forked_from(template),
        latest_published=rules.newest(published),
        versions=tuple({"version": row.version, "state": row.state} for row in rows),
    )


def forked_from(template: Template) -> dict[str, str] | None:
    """{"slug", "version"} of the version a template was forked from, or None."""
    if template.forked_from_slug is None or template.forked_from_version is None:
        return None
    return {"slug": template.forked_from_slug, "version": template.forked_from_version}


def get_version(
    session: Session, viewer: User | None, slug: str, version: str | None = None
) -> TemplateVersion:
    """A version viewer may see; without a version, the latest published one."""
    _template(session, slug)
    if version is None:
        published = [row for row in _versions(session, slug) if row.state == "published"]
        if not published:
            raise NotFoundError(f"template {slug!r} has no published version")
        return published[-1]
    row = session.get(TemplateVersion, (slug, version))
    if row is None or not _visible(viewer, row):
        raise NotFoundError(f"template {slug!r} has no version {version}")
    return row


def list_versions(session: Session, viewer: User | None, slug: str) -> list[TemplateVersion]:
    """The history of a template: every version viewer may see, oldest first."""
    _template(session, slug)
    rows = [row for row in _versions(session, slug) if _visible(viewer, row)]
    if not rows:
        raise NotFoundError(f"no template {slug!r}")
    return rows


def create_template(
    session: Session,
    user: User,
    slug: str,
    document: Mapping[str, Any],
    version: str = "1.0.0",
    *,
    forked_from: tuple[str, str] | None = None,
    now: dt.datetime | None = None,
) -> TemplateVersion:
    """Propose a new template: its first version, as a draft owned by user's side."""
    owner = user.municipality if user.role == "municipality" else None
    rules.check_may(user, "create", owner)
    rules.check_slug(slug)
    rules.parse_version(version)
    if session.get(Template, slug) is not None:
        raise ConflictError(f"template {slug!r} exists; propose a new version of it or fork it")
    moment = _now(now)
    source_slug, source_version = forked_from or (None, None)
    template = Template(
        slug=slug,
        owner_municipality=owner,
        forked_from_slug=source_slug,
        forked_from_version=source_version,
        created_at=moment,
        updated_at=moment,
    )
    session.add(template)
    return _add_draft(session, user, template, version, document, moment)


def _add_draft(
    session: Session,
    user: User,
    template: Template,
    version: str,
    document: Mapping[str, Any],
    moment: dt.datetime,
) -> TemplateVersion:
    """Add a draft version of template by user, holding the validated document."""
    values = _version_values(template.slug, version, rules.validate_document(document), moment)
    row = TemplateVersion(
        **values, state="draft", author_role=user.role, author_municipality=user.municipality
    )
    row.template = template
    session.add(row)
    session.flush()
    return row


def create_version(
    session: Session,
    user: User,
    slug: str,
    document: Mapping[str, Any],
    version: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> TemplateVersion:
    """A new draft version of a template (default: the next minor version)."""
    rows = list_versions(session, user, slug)  # NotFoundError unless user sees one
    template = rows[0].template
    rules.check_may(user, "create", template.owner_municipality)
    rows = _versions(session, slug)
    busy = [row for row in rows if row.state in IN_PROGRESS]
    if busy:
        raise ConflictError(
            f"version {busy[0].version} of {slug!r} is still {busy[0].state}; "
            "finish it before starting another"
        )
    existing = [row.version for row in rows]
    version = version or rules.next_version(existing)
    rules.check_new_version(existing, version)
    template.updated_at = _now(now)
    return _add_draft(session, user, template, version, document, template.updated_at)


def update_draft(
    session: Session,
    user: User,
    slug: str,
    version: str,
    document: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
) -> TemplateVersion:
    """Replace the document of a draft; a version past draft never changes."""
    row = get_version(session, user, slug, version)
    rules.check_may(user, "edit", row.template.owner_municipality)
    if row.state != "draft":
        raise ConflictError(
            f"version {version} of {slug!r} is {row.state} and can no longer change; "
            "propose a new version instead"
        )
    values = _version_values(slug, version, rules.validate_document(document), _now(now))
    row.document, row.indicators, row.updated_at = (
        values["document"],
        values["indicators"],
        values["updated_at"],
    )
    session.flush()
    return row


def transition(
    session: Session,
    user: User,
    slug: str,
    version: str,
    action: str,
    *,
    now: dt.datetime | None = None,
) -> TemplateVersion:
    """Move a version along the workflow (submit, reject, publish, deprecate)."""
    row = get_version(session, user, slug, version)
    rules.check_may(user, action, row.template.owner_municipality)
    state = rules.next_state(row.state, action)
    if state == "published":
        rules.validate_document(json.loads(row.document))  # the catalog may have changed
    moment = _now(now)
    row.state, row.updated_at = state, moment
    if state == "published":
        row.published_at = moment
    if state == "deprecated":
        row.deprecated_at = moment
    session.flush()
    return row


def fork_template(
    session: Session,
    user: User,
    slug: str,
    new_slug: str,
    version: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> TemplateVersion:
    """Copy a published version into a new template of user's own, as draft 1.0.0."""
    rules.check_may(user, "fork", None)
    source = get_version(session, user, slug, version)
    if source.state != "published":
        raise ConflictError(f"version {source.version} of {slug!r} is {source.state}; "
                            "only a published version can be forked")  # fmt: skip
    document = json.loads(source.document)
    origin = (slug, source.version)
    return create_template(session, user, new_slug, document, forked_from=origin, now=now)


def record_adoption(
    session: Session, municipality: str, slug: str, version: str, *, now: dt.datetime | None = None
) -> TemplateAdoption:
    """Record that municipality adopted a published version (again: the first record)."""
    row = get_version(session, None, slug, version)
    if row.state != "published":
        raise ConflictError(f"version {version} of {slug!r} is {row.state}; adopt a published one")
    existing = session.scalars(
        select(TemplateAdoption).where(
            TemplateAdoption.municipality == municipality,
            TemplateAdoption.template_slug == slug,
            TemplateAdoption.version == version,
        )
    ).first()
    if existing is not None:
        return existing
    adoption = TemplateAdoption(
        municipality=municipality, template_slug=slug, version=version, adopted_at=_now(now)
    )
    session.add(adoption)
    session.flush()
    return adoption


def list_adoptions(session: Session, slug: str | None = None) -> Sequence[TemplateAdoption]:
    """Adoptions of every template (or of slug), oldest first."""
    query = select(TemplateAdoption).order_by(TemplateAdoption.adopted_at, TemplateAdoption.id)
    if slug is not None:
        _template(session, slug)
        query = query.where(TemplateAdoption.template_slug == slug)
    return session.scalars(query).all()
