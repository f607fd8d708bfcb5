"""The municipality registry: G4 and G40 members from ``content/municipalities.yaml``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from samenbeeld.platform.errors import DefinitionError, NotFoundError

DEFAULT_PATH = Path(__file__).parent / "content" / "municipalities.yaml"
GROUPS = ("G4", "G40")


@dataclasses.dataclass(frozen=True)
class Municipality:
    """One member: CBS code, name, group and approximate population (demo scaling only)."""

    code: str
    name: str
    group: str
    population: int


@dataclasses.dataclass(frozen=True)
class Registry:
    """The members in file order, looked up by CBS code."""

    members: tuple[Municipality, ...]
    path: str = ""

    def get(self, code: str) -> Municipality:
        """The member with this CBS code, or NotFoundError."""
        for member in self.members:
            if member.code == code:
                return member
        raise NotFoundError(f"municipality {code!r} is not in the registry")

    def in_group(self, group: str) -> tuple[Municipality, ...]:
        """Members of one group (G4 or G40), in file order."""
        return tuple(m for m in self.members if m.group == group)

    def __len__(self) -> int:
        """Number of members."""
        return len(self.members)


class MunicipalitySchema(Schema):
    """One entry of the registry file."""

    code = fields.String(required=True, validate=validate.Regexp(r"^GM\d{4}$"))
    name = fields.String(required=True)
    group = fields.String(required=True, validate=validate.OneOf(GROUPS))
    population = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))

    @validates("name")
    def _name_not_blank(self, value: str, **_kwargs: Any) -> None:
        """A name must contain more than whitespace."""
        if not value.strip():
            raise ValidationError("must not be empty")

    @post_load
    def _make(self, data: dict[str, Any], **_kwargs: Any) -> Municipality:
        """Build the frozen dataclass."""
        return Municipality(**data)


class RegistrySchema(Schema):
    """The whole registry file."""

    note = fields.String()
    municipalities = fields.List(
        fields.Nested(MunicipalitySchema), required=True, validate=validate.Length(min=1)
    )


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and validate the registry; any problem raises DefinitionError."""
    path = Path(path) if path is not None else DEFAULT_PATH
    document = _read_yaml(path)
    try:
        data = RegistrySchema().load(document)
    except ValidationError as exc:
        raise DefinitionError(str(path), exc.messages_dict) from exc
    members = tuple(data["municipalities"])
    _check_unique(path, members)
    return Registry(members=members, path=str(path))


def _read_yaml(path: Path) -> dict[str, Any]:
    """The parsed YAML document, or DefinitionError when unreadable or not a mapping."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DefinitionError(str(path), "file does not exist") from exc
    except yaml.YAMLError as exc:
        raise DefinitionError(str(path), f"not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise DefinitionError(str(path), "top level must be a mapping with 'municipalities'")
    return document


def _check_unique(path: Path, members: tuple[Municipality, ...]) -> None:
    """Raise DefinitionError naming the entry that repeats an earlier code."""
    seen: dict[str, int] = {}
    for index, member in enumerate(members):
        if member.code in seen:
            reason = f"duplicate code {member.code} (also entry {seen[member.code]})"
            raise DefinitionError(str(path), {"municipalities": {index: {"code": [reason]}}})
        seen[member.code] = index
