"""``/api/v1/templates``: the pilot template registry (sjablonen) at the hub.

People use user tokens: municipality users propose, edit their own drafts, submit and fork;
vng and admin users also publish, send back and deprecate; national partners read. Reading
also accepts a node's service token (a node fetches the version it adopts), which sees
published and deprecated versions only; a node records its adoption with its own token.

The shipped templates are seeded on the first request to this blueprint, in a transaction
of their own (:func:`seed_builtins`): a migration holds schema only, and a new release's
built-in versions arrive without a data migration; versions the hub already holds, and the
states VNG gave them, are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import marshmallow as ma
from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api import db
from samenbeeld.api.auth import current_identity, token_required
from samenbeeld.api.db import get_session
from samenbeeld.api.users import current_user, user_or_node_required, user_required
from samenbeeld.federation.hub import templates as hub_templates
from samenbeeld.platform import templates as rules
from samenbeeld.platform.models.hub import TemplateAdoption, TemplateVersion
from samenbeeld.platform.template_schemas import (
    SLUG_PATTERN,
    VERSION_PATTERN,
    TemplateDocumentSchema,
)
from samenbeeld.platform.users import User

SEEDED = "samenbeeld.templates_seeded"
_seed_lock = threading.Lock()

blp = Blueprint(
    "templates",
    __name__,
    url_prefix="/api/v1/templates",
    description="Pilot templates (sjablonen): versions, workflow, forks and adoptions.",
)


@blp.before_request
def seed_builtins() -> None:
    """Insert the shipped template versions the hub lacks, once per app."""
    if current_app.extensions.get(SEEDED):
        return
    with _seed_lock:
        if not current_app.extensions.get(SEEDED):
            factory = current_app.extensions[db.EXTENSION].sessionmaker()
            with factory.begin() as session:
                hub_templates.seed_builtin_templates(session)
            current_app.extensions[SEEDED] = True


def viewer() -> User | None:
    """The user behind this request, or None for a node's service token
    (``@user_or_node_required``)."""
    user: User | None = g.get("user")
    return user


class UtcDateTime(ma.fields.DateTime):
    """A timestamp in ISO 8601 with its offset; SQLite's naive ones are UTC."""

    def _serialize(self, value: dt.datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        """The aware value's ISO form."""
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class TemplateQueryArgsSchema(ma.Schema):
    """Filter the list by a state some visible version is in."""

    state = ma.fields.String(validate=ma.validate.OneOf(rules.STATES))


class VersionQueryArgsSchema(ma.Schema):
    """Ask for one version instead of the latest published one."""

    version = ma.fields.String(validate=ma.validate.Regexp(VERSION_PATTERN))


class TemplateCreateSchema(ma.Schema):
    """A new template: its slug, first version and document."""

    slug = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(3, 48), ma.validate.Regexp(SLUG_PATTERN)],
        metadata={"example": "breda-digikamer"},
    )
    version = ma.fields.String(load_default="1.0.0", validate=ma.validate.Regexp(VERSION_PATTERN))
    document = ma.fields.Nested(TemplateDocumentSchema, required=True)


class VersionCreateSchema(ma.Schema):
    """A new version of a template (default version: the next minor one)."""

    version = ma.fields.String(load_default=None, validate=ma.validate.Regexp(VERSION_PATTERN))
    document = ma.fields.Nested(TemplateDocumentSchema, required=True)


class DraftUpdateSchema(ma.Schema):
    """The new document of a draft."""

    document = ma.fields.Nested(TemplateDocumentSchema, required=True)


class ForkSchema(ma.Schema):
    """The slug of the fork, and which published version to copy (default: the latest)."""

    slug = ma.fields.String(
        required=True, validate=[ma.validate.Length(3, 48), ma.validate.Regexp(SLUG_PATTERN)]
    )
    version = ma.fields.String(load_default=None, validate=ma.validate.Regexp(VERSION_PATTERN))


class AdoptionRequestSchema(ma.Schema):
    """The published version a node adopted."""

    version = ma.fields.String(required=True, validate=ma.validate.Regexp(VERSION_PATTERN))


class ForkedFromSchema(ma.Schema):
    """The version a template was forked from."""

    slug = ma.fields.String()
    version = ma.fields.String()


class VersionSummarySchema(ma.Schema):
    """One version in a template's history."""

    slug = ma.fields.String(attribute="template_slug")
    version = ma.fields.String()
    state = ma.fields.String(metadata={"enum": list(rules.STATES)})
    title = ma.fields.Function(lambda row: json.loads(row.document)["title"])
    owner_municipality = ma.fields.Function(
        lambda row: row.template.owner_municipality,
        metadata={"description": "null: curated by VNG"},
    )
    forked_from = ma.fields.Function(
        lambda row: hub_templates.forked_from(row.template), allow_none=True
    )
    indicators = ma.fields.Function(lambda row: row.indicators.split(","))
    author_role = ma.fields.String()
    author_municipality = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    published_at = UtcDateTime(allow_none=True)
    deprecated_at = UtcDateTime(allow_none=True)


class TemplateVersionSchema(VersionSummarySchema):
    """One version with its document."""

    document = ma.fields.Function(lambda row: json.loads(row.document))


class VersionStateSchema(ma.Schema):
    """A version and its state."""

    version = ma.fields.String()
    state = ma.fields.String()


class TemplateSummarySchema(ma.Schema):
    """A template as the caller sees it."""

    slug = ma.fields.String()
    title = ma.fields.String()
    owner_municipality = ma.fields.String(allow_none=True)
    forked_from = ma.fields.Nested(ForkedFromSchema, allow_none=True)
    latest_published = ma.fields.String(allow_none=True)
    versions = ma.fields.List(ma.fields.Nested(VersionStateSchema))


class AdoptionSchema(ma.Schema):
    """That a municipality adopted a template version."""

    municipality = ma.fields.String(metadata={"example": "GM0758"})
    template = ma.fields.String(attribute="template_slug")
    version = ma.fields.String()
    adopted_at = UtcDateTime()


@blp.route("")
class Templates(MethodView):
    """The registry."""

    @user_or_node_required
    @blp.arguments(TemplateQueryArgsSchema, location="query")
    @blp.response(200, TemplateSummarySchema(many=True))
    def get(self, args: dict[str, Any]) -> list[hub_templates.TemplateSummary]:
        """Every template the caller may see, optionally only those with a version in state."""
        return hub_templates.list_templates(get_session(), viewer(), args.get("state"))

    @user_required()
    @blp.arguments(TemplateCreateSchema)
    @blp.response(201, TemplateVersionSchema)
    def post(self, body: dict[str, Any]) -> TemplateVersion:
        """Propose a template: its first version, as a draft (municipality, vng, admin)."""
        return hub_templates.create_template(
            get_session(), current_user(), body["slug"], body["document"], body["version"]
        )


@blp.route("/adoptions")
class Adoptions(MethodView):
    """Adoptions of every template."""

    @user_or_node_required
    @blp.response(200, AdoptionSchema(many=True))
    def get(self) -> Any:
        """Which municipality adopted which version when, for every member to see."""
        return hub_templates.list_adoptions(get_session())


@blp.route("/<slug>")
class TemplateBySlug(MethodView):
    """One template."""

    @user_or_node_required
    @blp.arguments(VersionQueryArgsSchema, location="query")
    @blp.response(200, TemplateVersionSchema)
    def get(self, args: dict[str, Any], slug: str) -> TemplateVersion:
        """The latest published version, or the version asked for."""
        return hub_templates.get_version(get_session(), viewer(), slug, args.get("version"))


@blp.route("/<slug>/versions")
class Versions(MethodView):
    """A template's version history."""

    @user_or_node_required
    @blp.response(200, VersionSummarySchema(many=True))
    def get(self, slug: str) -> list[TemplateVersion]:
        """Every version the caller may see, oldest first; none is ever removed."""
        return hub_templates.list_versions(get_session(), viewer(), slug)

    @user_required()
    @blp.arguments(VersionCreateSchema)
    @blp.response(201, TemplateVersionSchema)
    def post(self, body: dict[str, Any], slug: str) -> TemplateVersion:
        """A new draft version (a published version never changes; this is how it does)."""
        return hub_templates.create_version(
            get_session(), current_user(), slug, body["document"], body["version"]
        )


@blp.route("/<slug>/versions/<version>")
class VersionResource(MethodView):
    """One version."""

    @user_or_node_required
    @blp.response(200, TemplateVersionSchema)
    def get(self, slug: str, version: str) -> TemplateVersion:
        """The version, when the caller may see it."""
        return hub_templates.get_version(get_session(), viewer(), slug, version)

    @user_required()
    @blp.arguments(DraftUpdateSchema)
    @blp.response(200, TemplateVersionSchema)
    def put(self, body: dict[str, Any], slug: str, version: str) -> TemplateVersion:
        """Replace a draft's document; 409 once the version left draft."""
        return hub_templates.update_draft(
            get_session(), current_user(), slug, version, body["document"]
        )


@blp.route("/<slug>/versions/<version>/<any(submit, reject, publish, deprecate):action>")
class Transition(MethodView):
    """A step in the workflow: submit, reject (back to draft), publish, deprecate."""

    @user_required()
    @blp.response(200, TemplateVersionSchema)
    def post(self, slug: str, version: str, action: str) -> TemplateVersion:
        """Move the version along; 403 for a step the user may not take, 409 from a wrong state."""
        return hub_templates.transition(get_session(), current_user(), slug, version, action)


@blp.route("/<slug>/fork")
class Fork(MethodView):
    """Forks."""

    @user_required()
    @blp.arguments(ForkSchema)
    @blp.response(201, TemplateVersionSchema)
    def post(self, body: dict[str, Any], slug: str) -> TemplateVersion:
        """Copy a published version into a new template of the user's own, as a draft."""
        return hub_templates.fork_template(
            get_session(), current_user(), slug, body["slug"], body["version"]
        )


@blp.route("/<slug>/adoptions")
class TemplateAdoptions(MethodView):
    """One template's adoptions."""

    @user_or_node_required
    @blp.response(200, AdoptionSchema(many=True))
    def get(self, slug: str) -> Any:
        """Which municipality adopted which version of this template, and when."""
        return hub_templates.list_adoptions(get_session(), slug)

    @token_required("node")
    @blp.arguments(AdoptionRequestSchema)
    @blp.response(201, AdoptionSchema)
    def post(self, body: dict[str, Any], slug: str) -> TemplateAdoption:
        """A node records that its municipality adopted a published version (idempotent)."""
        municipality = current_identity().member
        return hub_templates.record_adoption(get_session(), municipality, slug, body["version"])
