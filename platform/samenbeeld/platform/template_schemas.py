"""The marshmallow schema of a pilot template document: every section required.

Sections: problem and goal, roles and partners, legal basis and privacy assessment (with
the DPIA points), data requirements (the aggregate node tables they come from), indicator
definitions (catalog codes, each named once), the implementation checklist (goal, concept,
cooperation, vulnerabilities, preconditions, data, technique), evaluation measures, lessons
learned, and a glossary of the Dutch domain words used. No string may look like personal
data: a template is shared with every member, and names roles, never people.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from samenbeeld.platform import vocabulary as v
from samenbeeld.platform.catalog import CODE_PATTERN, StrictBoolean, shipped_catalog
from samenbeeld.platform.models.hub import TEMPLATE_STATES
from samenbeeld.platform.privacy import find_personal_data

SLUG_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
VERSION_PATTERN = r"^(?:0|[1-9]\d{0,3})\.(?:0|[1-9]\d{0,3})\.(?:0|[1-9]\d{0,3})$"
"""Semantic version MAJOR.MINOR.PATCH, each part 0 to 9999, no leading zeros."""
CHECKLIST_TOPICS = (
    "goal",
    "concept",
    "cooperation",
    "vulnerabilities",
    "preconditions",
    "data",
    "technique",
)
NODE_TABLES = ("weekly_count", "event", "sentiment_daily", "district")
LEVELS = ("municipality", "district")
PERIODS = ("day", "week", "month", "year")


def _text(maximum: int = 4000) -> fields.String:
    """A required, non-empty text."""
    return fields.String(required=True, validate=validate.Length(1, maximum))


def _texts() -> fields.List[str]:
    """A required, non-empty list of texts."""
    return fields.List(_text(), required=True, validate=validate.Length(min=1))


def _items(schema: type[Schema]) -> fields.List[Any]:
    """A required, non-empty list of nested items."""
    return fields.List(fields.Nested(schema), required=True, validate=validate.Length(min=1))


class ProblemAndGoalSchema(Schema):
    """Why the pilot exists and what it must achieve."""

    problem = _text()
    goal = _text()
    out_of_scope = _texts()


class RoleSchema(Schema):
    """One role in the pilot and who fills it."""

    role = _text(200)
    organisation = _text(200)
    responsibilities = _texts()


class LegalGroundSchema(Schema):
    """One legal ground the pilot rests on."""

    ground = _text(300)
    explanation = _text()


class DpiaSchema(Schema):
    """Whether a DPIA (data protection impact assessment) is needed, and its points."""

    required = StrictBoolean(required=True)
    points = _texts()


class LegalBasisAndPrivacySchema(Schema):
    """Legal basis and privacy assessment."""

    legal_basis = _items(LegalGroundSchema)
    personal_data = _text()
    dpia = fields.Nested(DpiaSchema, required=True)
    safeguards = _texts()


class DataRequirementSchema(Schema):
    """Aggregate data the pilot needs, as the node table that holds it."""

    name = _text(200)
    node_table = fields.String(required=True, validate=validate.OneOf(NODE_TABLES))
    sources = fields.List(
        fields.String(validate=validate.OneOf(v.SOURCE_TYPES)), validate=validate.Length(min=1)
    )
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    provided_by = _text(300)
    description = _text()

    @validates_schema
    def _sources_only_for_counts(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Source types exist only on weekly counts."""
        if "sources" in data and data.get("node_table") != "weekly_count":
            raise ValidationError({"sources": ["only weekly_count rows have a source type"]})


class IndicatorUseSchema(Schema):
    """A catalog indicator the pilot follows, and why."""

    code = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN))
    purpose = _text()


class ChecklistSchema(Schema):
    """The implementation checklist: one list of points per topic."""

    goal = _texts()
    concept = _texts()
    cooperation = _texts()
    vulnerabilities = _texts()
    preconditions = _texts()
    data = _texts()
    technique = _texts()


class EvaluationMeasureSchema(Schema):
    """How the pilot is judged."""

    measure = _text(300)
    method = _text()
    target = _text()


class GlossaryEntrySchema(Schema):
    """A Dutch domain word, explained."""

    term = _text(100)
    meaning = _text()


class TemplateDocumentSchema(Schema):
    """The content of one template version (what the hub stores as JSON)."""

    title = _text(200)
    title_nl = _text(200)
    summary = _text()
    problem_and_goal = fields.Nested(ProblemAndGoalSchema, required=True)
    roles_and_partners = _items(RoleSchema)
    legal_basis_and_privacy = fields.Nested(LegalBasisAndPrivacySchema, required=True)
    data_requirements = _items(DataRequirementSchema)
    indicators = _items(IndicatorUseSchema)
    checklist = fields.Nested(ChecklistSchema, required=True)
    evaluation_measures = _items(EvaluationMeasureSchema)
    lessons_learned = _texts()
    glossary = fields.List(fields.Nested(GlossaryEntrySchema), load_default=list)

    @validates_schema(skip_on_field_errors=False)
    def _indicators_in_catalog(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Every indicator is a catalog code, named once."""
        known, seen = set(shipped_catalog().codes), set()
        errors: dict[int, dict[str, list[str]]] = {}
        for index, item in enumerate(data.get("indicators") or []):
            code = item.get("code") if isinstance(item, Mapping) else None
            if code is None:
                continue  # the item's own errors say why
            if code not in known:
                errors[index] = {"code": ["not an indicator of the catalog"]}
            elif code in seen:
                errors[index] = {"code": ["named twice"]}
            seen.add(code)
        if errors:
            raise ValidationError({"indicators": errors})

    @validates_schema(skip_on_field_errors=False)
    def _no_personal_data(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Templates are shared with every member: roles and organisations, never people."""
        errors = _personal_data(data)
        if errors:
            raise ValidationError(errors)


class TemplateFileSchema(TemplateDocumentSchema):
    """A template version on disk: its slug, version and state, then the document."""

    slug = fields.String(
        required=True, validate=[validate.Length(3, 48), validate.Regexp(SLUG_PATTERN)]
    )
    version = fields.String(required=True, validate=validate.Regexp(VERSION_PATTERN))
    state = fields.String(required=True, validate=validate.OneOf(TEMPLATE_STATES))


def _personal_data(value: object) -> Any:
    """Marshmallow-shaped errors for every string that looks like personal data."""
    if isinstance(value, str):
        reason = find_personal_data(value)
        return [f"{reason.split(';')[0]}; templates name roles, never people"] if reason else None
    items: Iterable[tuple[Any, object]] = ()
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    found = {key: _personal_data(item) for key, item in items}
    return {key: errors for key, errors in found.items() if errors} or None
