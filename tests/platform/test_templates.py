"""Pilot templates: the built-ins validate, bad documents say why, the workflow rules table."""

from __future__ import annotations

import copy

import pytest
import yaml

from samenbeeld.platform import templates as rules
from samenbeeld.platform.catalog import load_catalog
from samenbeeld.platform.errors import (
    ConflictError,
    DefinitionError,
    InvalidInputError,
    PermissionDeniedError,
)
from samenbeeld.platform.template_schemas import CHECKLIST_TOPICS
from samenbeeld.platform.users import HUB_ISSUER, User

BUILTINS = (
    "digikamer",
    "event-safety-monitor",
    "exercise-programme",
    "online-phenomenon-exploration",
)
SECTIONS = (
    "problem_and_goal",
    "roles_and_partners",
    "legal_basis_and_privacy",
    "data_requirements",
    "indicators",
    "checklist",
    "evaluation_measures",
    "lessons_learned",
)


@pytest.fixture(scope="module")
def builtins():
    return {template.slug: template for template in rules.load_builtin_templates()}


def test_the_four_builtins_validate_and_are_published(builtins):
    assert sorted(builtins) == sorted(BUILTINS)
    codes = set(load_catalog().codes)
    for template in builtins.values():
        assert (template.version, template.state) == ("1.0.0", "published")
        assert all(section in template.document for section in SECTIONS)
        assert set(template.document["checklist"]) == set(CHECKLIST_TOPICS)
        assert template.indicators and set(template.indicators) <= codes
        assert template.document["glossary"], "Dutch domain words are explained"


def test_builtins_are_substantive(builtins):
    digikamer = builtins["digikamer"].document
    grounds = " ".join(g["ground"] for g in digikamer["legal_basis_and_privacy"]["legal_basis"])
    assert "Gemeentewet art. 172" in grounds
    assert digikamer["legal_basis_and_privacy"]["dpia"]["required"] is True
    assert "online_monitoring_signals_weekly" in builtins["digikamer"].indicators
    event = builtins["event-safety-monitor"].document
    assert "40,000" in event["summary"] and "23:00" in event["summary"]
    assert "peak_day_incidents_monthly" in builtins["event-safety-monitor"].indicators
    assert "synthetic" in builtins["exercise-programme"].document["summary"]
    exploration = builtins["online-phenomenon-exploration"].document
    assert exploration["legal_basis_and_privacy"]["personal_data"].startswith("None")


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def raw_digikamer():
    path = rules.CONTENT_DIR / "digikamer.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_a_bad_document_names_the_file_and_every_bad_field(tmp_path):
    data = raw_digikamer()
    data["version"] = "1.0"
    del data["checklist"]["technique"]
    data["indicators"][0]["code"] = "no_such_indicator"
    data["indicators"][2]["code"] = data["indicators"][1]["code"]
    data["roles_and_partners"][0]["organisation"] = "Municipality, call 0612345678"
    data["data_requirements"][2]["sources"] = ["police"]
    path = write(tmp_path, "broken.yaml", data)
    with pytest.raises(DefinitionError) as caught:
        rules.load_builtin_templates(tmp_path)
    message = str(caught.value)
    assert message.startswith(str(path))
    for expected in (
        "version: String does not match expected pattern",
        "checklist.technique: Missing data for required field",
        "indicators.0.code: not an indicator of the catalog",
        "indicators.2.code: named twice",
        "roles_and_partners.0.organisation: looks like a phone number",
        "data_requirements.2.sources: only weekly_count rows have a source type",
    ):
        assert expected in message
    assert "0612345678" not in message


def test_a_missing_section_and_an_unknown_field_are_refused(tmp_path):
    data = raw_digikamer()
    del data["lessons_learned"]
    data["notes"] = "free text"
    write(tmp_path, "t.yaml", data)
    with pytest.raises(DefinitionError, match="lessons_learned: Missing data") as caught:
        rules.load_builtin_templates(tmp_path)
    assert "notes: Unknown field" in str(caught.value)


def test_duplicate_versions_reserved_slugs_and_empty_folders_are_refused(tmp_path):
    with pytest.raises(DefinitionError, match="no \\*.yaml template files"):
        rules.load_builtin_templates(tmp_path)
    write(tmp_path, "a.yaml", raw_digikamer())
    write(tmp_path, "b.yaml", raw_digikamer())
    with pytest.raises(DefinitionError, match="version 1.0.0 of digikamer is also in a.yaml"):
        rules.load_builtin_templates(tmp_path)
    reserved = {**raw_digikamer(), "slug": "adoptions"}
    path = write(tmp_path, "b.yaml", reserved)
    with pytest.raises(DefinitionError, match="reserved"):
        rules.load_template_file(path)


def test_validate_document_refuses_what_the_api_must_refuse(builtins):
    document = copy.deepcopy(builtins["digikamer"].document)
    assert rules.validate_document(document) == document
    document["problem_and_goal"]["goal"] = "Ask mevrouw Jansen for the figures"
    with pytest.raises(InvalidInputError, match="problem_and_goal.goal: looks like a person"):
        rules.validate_document(document)
    with pytest.raises(InvalidInputError, match="must be a mapping"):
        rules.validate_document(["not", "a", "document"])


def test_versions_compare_semantically():
    assert rules.newest(["1.9.0", "1.10.0", "1.2.3"]) == "1.10.0"
    assert rules.next_version([]) == "1.0.0"
    assert rules.next_version(["1.0.0", "1.10.2"]) == "1.11.0"
    rules.check_new_version(["1.0.0", "1.9.0"], "1.10.0")
    with pytest.raises(ConflictError, match="must be newer than 1.9.0"):
        rules.check_new_version(["1.0.0", "1.9.0"], "1.9.0")
    for bad in ("1.0", "01.0.0", "1.0.0-rc1", "v1.0.0"):
        with pytest.raises(InvalidInputError):
            rules.parse_version(bad)
    rules.check_slug("breda-digikamer")
    for bad in ("Breda", "ab", "-digikamer", "digi--kamer", "adoptions", "a" * 49):
        with pytest.raises(InvalidInputError):
            rules.check_slug(bad)


def user(role: str, municipality: str | None = None) -> User:
    return User(f"{role}-{municipality}", role, municipality, HUB_ISSUER)


BREDA, TILBURG = user("municipality", "GM0758"), user("municipality", "GM0855")
VNG, ADMIN, PARTNER = user("vng"), user("admin"), user("national_partner")
USERS = {"breda": BREDA, "tilburg": TILBURG, "vng": VNG, "admin": ADMIN, "partner": PARTNER}

# Who may do what, on a template Breda owns ("GM0758") and on one VNG curates (None).
# Columns: breda, tilburg, vng, admin, national partner.
WHO_MAY = {
    ("create", "GM0758"): (1, 0, 0, 0, 0),
    ("create", None): (0, 0, 1, 1, 0),
    ("edit", "GM0758"): (1, 0, 0, 0, 0),
    ("edit", None): (0, 0, 1, 1, 0),
    ("submit", "GM0758"): (1, 0, 0, 0, 0),
    ("submit", None): (0, 0, 1, 1, 0),
    ("reject", "GM0758"): (0, 0, 1, 1, 0),
    ("publish", "GM0758"): (0, 0, 1, 1, 0),
    ("publish", None): (0, 0, 1, 1, 0),
    ("deprecate", "GM0758"): (0, 0, 1, 1, 0),
    ("deprecate", None): (0, 0, 1, 1, 0),
    ("fork", None): (1, 1, 1, 1, 0),
    ("adopt", None): (1, 1, 0, 0, 0),
    ("read_unpublished", "GM0758"): (1, 0, 1, 1, 0),
    ("read_unpublished", None): (0, 0, 1, 1, 0),
}


@pytest.mark.parametrize(("action", "owner"), list(WHO_MAY))
def test_who_may_do_what(action, owner):
    allowed = dict(zip(USERS, WHO_MAY[(action, owner)], strict=True))
    for name, someone in USERS.items():
        assert rules.may(someone, action, owner) is bool(allowed[name]), (name, action, owner)
        if allowed[name]:
            rules.check_may(someone, action, owner)
        else:
            with pytest.raises(PermissionDeniedError):
                rules.check_may(someone, action, owner)


def test_refusals_say_who_may():
    with pytest.raises(PermissionDeniedError, match="only vng and admin users may"):
        rules.check_may(BREDA, "publish", "GM0758")
    with pytest.raises(PermissionDeniedError, match="fork it"):
        rules.check_may(BREDA, "create", None)
    with pytest.raises(PermissionDeniedError, match="of GM0855 .* only users of GM0758 may"):
        rules.check_may(TILBURG, "edit", "GM0758")
    with pytest.raises(PermissionDeniedError, match="national_partner users read published"):
        rules.check_may(PARTNER, "create", None)
    with pytest.raises(InvalidInputError, match="unknown template action"):
        rules.may(VNG, "delete", None)


STEPS = {
    "draft": {"submit": "in_review"},
    "in_review": {"publish": "published", "reject": "draft"},
    "published": {"deprecate": "deprecated"},
    "deprecated": {},
}


@pytest.mark.parametrize("state", rules.STATES)
def test_the_state_machine(state):
    for action in rules.TRANSITIONS:
        if action in STEPS[state]:
            assert rules.next_state(state, action) == STEPS[state][action]
        else:
            with pytest.raises(ConflictError, match=f"cannot {action} a version that is {state}"):
                rules.next_state(state, action)


def test_drafts_are_visible_to_their_owner_and_the_curators_only():
    for state in ("draft", "in_review"):
        assert rules.visible(BREDA, state, "GM0758") and rules.visible(VNG, state, "GM0758")
        assert not rules.visible(TILBURG, state, "GM0758")
        assert not rules.visible(PARTNER, state, "GM0758")
        assert not rules.visible(None, state, None)  # a node's service token
    for state in rules.PUBLIC_STATES:
        assert all(rules.visible(u, state, "GM0758") for u in (*USERS.values(), None))
