"""The municipality registry file loads, and invalid files are refused clearly."""

from __future__ import annotations

import dataclasses

import pytest

from samenbeeld.platform.errors import DefinitionError, NotFoundError
from samenbeeld.platform.registry import DEFAULT_PATH, Municipality, load_registry

GOOD_ENTRY = "  - {code: GM0758, name: Breda, group: G40, population: 187000}\n"


def _write(tmp_path, *entries: str, extra: str = ""):
    """A registry file with the given entry lines."""
    path = tmp_path / "municipalities.yaml"
    path.write_text(extra + "municipalities:\n" + "".join(entries), encoding="utf-8")
    return path


def test_shipped_registry_loads_with_g4_and_g40():
    registry = load_registry()
    assert registry.path == str(DEFAULT_PATH)
    assert {m.code for m in registry.in_group("G4")} == {"GM0363", "GM0599", "GM0518", "GM0344"}
    assert len(registry.in_group("G40")) >= 40
    assert len(registry) == len(registry.members)


def test_shipped_registry_has_known_codes():
    registry = load_registry()
    assert registry.get("GM0758").name == "Breda"
    assert registry.get("GM0363").name == "Amsterdam"
    assert registry.get("GM1883").name == "Sittard-Geleen"
    assert len({m.code for m in registry.members}) == len(registry.members)


def test_members_are_an_ordered_tuple_of_frozen_dataclasses():
    registry = load_registry()
    assert isinstance(registry.members, tuple)
    assert registry.members[0].code == "GM0363"
    assert all(isinstance(m, Municipality) for m in registry.members)
    with pytest.raises(dataclasses.FrozenInstanceError):
        registry.members[0].name = "Mokum"  # type: ignore[misc]


def test_unknown_code_raises_not_found():
    with pytest.raises(NotFoundError, match="GM9999"):
        load_registry().get("GM9999")


def test_small_valid_file_loads(tmp_path):
    registry = load_registry(_write(tmp_path, GOOD_ENTRY))
    assert registry.members == (Municipality("GM0758", "Breda", "G40", 187000),)


@pytest.mark.parametrize(
    ("entry", "field", "reason"),
    [
        ("  - {code: GM758, name: X, group: G40, population: 1}\n", "code", "match"),
        ("  - {code: GM0001, group: G40, population: 1}\n", "name", "required"),
        ("  - {code: GM0001, name: '  ', group: G40, population: 1}\n", "name", "empty"),
        ("  - {code: GM0001, name: X, group: G5, population: 1}\n", "group", "one of"),
        ("  - {code: GM0001, name: X, group: G4, population: -5}\n", "population", "greater"),
        ("  - {code: GM0001, name: X, group: G4, population: '12'}\n", "population", "integer"),
        ("  - {code: GM0001, name: X, group: G4, population: 1, mayor: Y}\n", "mayor", "Unknown"),
    ],
)
def test_invalid_entry_names_file_field_and_reason(tmp_path, entry, field, reason):
    path = _write(tmp_path, GOOD_ENTRY, entry)
    with pytest.raises(DefinitionError) as info:
        load_registry(path)
    message = str(info.value)
    assert str(path) in message
    assert f"municipalities.1.{field}" in message
    assert reason in message


def test_duplicate_code_is_an_error(tmp_path):
    path = _write(tmp_path, GOOD_ENTRY, GOOD_ENTRY.replace("Breda", "Breda bis"))
    with pytest.raises(DefinitionError, match=r"municipalities\.1\.code: duplicate code GM0758"):
        load_registry(path)


def test_unknown_top_level_field_is_an_error(tmp_path):
    path = _write(tmp_path, GOOD_ENTRY, extra="colour: orange\n")
    with pytest.raises(DefinitionError, match="colour"):
        load_registry(path)


@pytest.mark.parametrize("text", ["- just a list\n", "municipalities: [\n", ""])
def test_malformed_document_is_an_error(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError, match=str(path)):
        load_registry(path)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(DefinitionError, match="does not exist"):
        load_registry(tmp_path / "absent.yaml")
