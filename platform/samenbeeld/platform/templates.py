"""Pilot templates (sjablonen): the built-in loader, versions and the workflow rules.

A template is a versioned document that lets one municipality reuse another's pilot:
problem and goal, roles and partners, legal basis and privacy assessment, data
requirements, indicator definitions (catalog codes), the implementation checklist, evaluation
measures and lessons learned. Each ``content/templates/*.yaml`` file is one version of one
template: ``slug``, ``version`` (semantic, ``1.0.0``), ``state`` and the document's sections
(:mod:`samenbeeld.platform.template_schemas`).

The workflow of one version::

    draft --submit--> in_review --publish--> published --deprecate--> deprecated
      ^                   |
      +------reject-------+

Who may do what (:func:`may`) depends on the user's role and on who owns the template: a
municipality owns the templates it proposed or forked; the curators (roles ``vng`` and
``admin``) own the rest. A published version never changes; a change is a new version.
The rules are pure functions; the hub applies them to its rows
(:mod:`samenbeeld.federation.hub.templates`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from samenbeeld.platform.errors import (
    ConflictError,
    DefinitionError,
    InvalidInputError,
    PermissionDeniedError,
    format_errors,
)
from samenbeeld.platform.models.hub import TEMPLATE_STATES
from samenbeeld.platform.template_schemas import (
    SLUG_PATTERN,
    VERSION_PATTERN,
    TemplateDocumentSchema,
    TemplateFileSchema,
)
from samenbeeld.platform.users import User

CONTENT_DIR = Path(__file__).resolve().parent / "content" / "templates"
RESERVED_SLUGS = ("adoptions", "adopted")
"""Path words of the templates API that can never name a template."""
STATES = TEMPLATE_STATES
PUBLIC_STATES = ("published", "deprecated")
"""States every member sees; drafts and reviews only their owner and the curators."""
CURATORS = ("vng", "admin")
TRANSITIONS: dict[str, tuple[str, str]] = {
    "submit": ("draft", "in_review"),
    "reject": ("in_review", "draft"),
    "publish": ("in_review", "published"),
    "deprecate": ("published", "deprecated"),
}
"""Each transition: the state it leaves and the state it enters."""
ACTIONS = ("read_unpublished", "create", "edit", "fork", "adopt", *TRANSITIONS)


@dataclass(frozen=True)
class TemplateVersion:
    """One validated version of a template (a built-in, or a row's content)."""

    slug: str
    version: str
    state: str
    document: dict[str, Any]

    @property
    def indicators(self) -> tuple[str, ...]:
        """The catalog codes the template defines, in document order."""
        return tuple(item["code"] for item in self.document["indicators"])


def validate_document(document: object) -> dict[str, Any]:
    """The loaded document; InvalidInputError names every bad field."""
    if not isinstance(document, Mapping):
        raise InvalidInputError("document: must be a mapping of the template's sections")
    try:
        loaded: dict[str, Any] = TemplateDocumentSchema().load(document)
    except ValidationError as exc:
        raise InvalidInputError(f"document: {format_errors(exc.messages)}") from None
    return loaded


def check_slug(slug: str) -> str:
    """slug when it may name a template; InvalidInputError otherwise."""
    if not 3 <= len(slug) <= 48 or not _matches(SLUG_PATTERN, slug):
        raise InvalidInputError(
            "slug must be 3 to 48 lower-case letters, digits and single hyphens, "
            "starting with a letter"
        )
    if slug in RESERVED_SLUGS:
        raise InvalidInputError(f"slug {slug!r} is reserved")
    return slug


def parse_version(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) of a semantic version; InvalidInputError when malformed."""
    if not _matches(VERSION_PATTERN, version):
        raise InvalidInputError("version must be MAJOR.MINOR.PATCH, e.g. 1.0.0")
    major, minor, patch = (int(part) for part in version.split("."))
    return major, minor, patch


def _matches(pattern: str, value: str) -> bool:
    """Whether value matches pattern completely."""
    return re.fullmatch(pattern, value) is not None


def next_version(existing: Iterable[str]) -> str:
    """The next minor version after the newest of existing (1.0.0 when there is none)."""
    versions = [parse_version(version) for version in existing]
    if not versions:
        return "1.0.0"
    major, minor, _ = max(versions)
    return f"{major}.{minor + 1}.0"


def check_new_version(existing: Iterable[str], version: str) -> None:
    """ConflictError unless version is newer than every existing version."""
    latest = newest(existing)
    if latest is not None and parse_version(version) <= parse_version(latest):
        raise ConflictError(f"version {version} must be newer than {latest}")


def newest(versions: Iterable[str]) -> str | None:
    """The highest of versions by semantic order, or None."""
    return max(versions, key=parse_version, default=None)


def load_builtin_templates(directory: Path | None = None) -> tuple[TemplateVersion, ...]:
    """Every template file in directory (default: the shipped ones), validated."""
    folder = directory or CONTENT_DIR
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise DefinitionError(str(folder), "no *.yaml template files found")
    loaded: dict[tuple[str, str], Path] = {}
    templates = []
    for path in paths:
        template = load_template_file(path)
        key = (template.slug, template.version)
        if key in loaded:
            raise DefinitionError(
                str(path), f"version {key[1]} of {key[0]} is also in {loaded[key].name}"
            )
        loaded[key] = path
        templates.append(template)
    return tuple(templates)


def load_template_file(path: Path) -> TemplateVersion:
    """One template file; DefinitionError names the file, every bad field and the reason."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(str(path), f"not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise DefinitionError(
            str(path), "expected a mapping with slug, version, state and sections"
        )
    try:
        data: dict[str, Any] = TemplateFileSchema().load(raw)
    except ValidationError as exc:
        raise DefinitionError(str(path), exc.messages_dict) from exc
    if data["slug"] in RESERVED_SLUGS:
        raise DefinitionError(str(path), {"slug": [f"{data['slug']!r} is reserved"]})
    slug, version, state = data.pop("slug"), data.pop("version"), data.pop("state")
    return TemplateVersion(slug, version, state, data)


def owns(user: User, owner: str | None) -> bool:
    """Whether user speaks for the template's owner (a municipality, or None: the curators)."""
    if owner is None:
        return user.role in CURATORS
    return user.role == "municipality" and user.municipality == owner


def may(user: User, action: str, owner: str | None) -> bool:
    """Whether user may do action on a template owned by owner (None: curated by VNG)."""
    if action not in ACTIONS:
        raise InvalidInputError(f"unknown template action {action!r}")
    if action in ("create", "edit", "submit"):
        return owns(user, owner)
    if action == "read_unpublished":
        return owns(user, owner) or user.role in CURATORS
    if action == "fork":
        return user.role == "municipality" or user.role in CURATORS
    if action == "adopt":
        return user.role == "municipality"
    return user.role in CURATORS


def check_may(user: User, action: str, owner: str | None) -> None:
    """PermissionDeniedError, saying who may, unless user may do action."""
    if may(user, action, owner):
        return
    if user.role == "national_partner":
        raise PermissionDeniedError("national_partner users read published templates only")
    who = user.role + " user" + (f" of {user.municipality}" if user.municipality else "")
    raise PermissionDeniedError(f"a {who} may not {_VERBS[action]}; {_who_may(action, owner)}")


_VERBS = {
    "read_unpublished": "see unpublished versions of this template",
    "create": "create versions of this template",
    "edit": "edit drafts of this template",
    "submit": "submit versions of this template for review",
    "reject": "send template versions back to draft",
    "publish": "publish template versions",
    "deprecate": "deprecate template versions",
    "fork": "fork templates",
    "adopt": "adopt templates",
}


def _who_may(action: str, owner: str | None) -> str:
    """Who may do action on a template of owner, in words."""
    if action in ("create", "edit", "submit"):
        if owner is None:
            return "only vng and admin users may; fork it to make a version of your own"
        return f"only users of {owner} may"
    if action == "read_unpublished":
        return f"only users of {owner or 'vng'}, vng and admin may"
    if action == "adopt":
        return "only municipality users may, on their own node"
    return "only vng and admin users may"


def next_state(state: str, action: str) -> str:
    """The state a transition leads to; ConflictError when it does not start from state."""
    if action not in TRANSITIONS:
        raise InvalidInputError(f"unknown transition {action!r}; one of {', '.join(TRANSITIONS)}")
    source, target = TRANSITIONS[action]
    if state != source:
        raise ConflictError(f"cannot {action} a version that is {state}; only a {source} one")
    return target


def visible(user: User | None, state: str, owner: str | None) -> bool:
    """Whether a version in state is visible to user (None: a node's service token)."""
    if state in PUBLIC_STATES:
        return True
    return user is not None and may(user, "read_unpublished", owner)
