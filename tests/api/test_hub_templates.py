"""The hub's template registry over HTTP, with real user tokens per role, on both backends."""

from __future__ import annotations

import copy
import uuid

import pytest

from factories import new_hub, user_headers
from privacy_corpus import ONE_PER_CATEGORY
from samenbeeld.api import db
from samenbeeld.api.app import create_app
from samenbeeld.federation.hub import templates as hub_templates
from samenbeeld.platform import keys
from samenbeeld.platform import templates as rules
from samenbeeld.platform.tokens import Signer

BREDA, TILBURG = "GM0758", "GM0855"
HUB_AUD = "samenbeeld:hub:hub"
BASE = "/api/v1/templates"


@pytest.fixture(scope="module")
def hub_setup(databases, tmp_path_factory):
    """A migrated hub database, the hub's key file, and Breda's node registered."""
    node_key = keys.generate_private_key()
    breda = ("node", BREDA, "Breda", node_key.public_key())
    settings, hub_key = new_hub(databases.create(), tmp_path_factory.mktemp("keys"), [breda])
    return settings, hub_key, node_key


class Hub:
    """A test client of the real hub app that sends requests as a given user."""

    def __init__(self, client, hub_key, node_key):
        self.client = client
        self.hub_key = hub_key
        self.node = Signer(node_key, role="node", member=BREDA)

    def call(self, method: str, path: str, who: str | None, **kwargs):
        """Send a request as who ('node' for Breda's node token, None for no token)."""
        if who == "node":
            headers = self.node.headers(HUB_AUD)
        else:
            headers = user_headers(self.hub_key, who) if who else {}
        return getattr(self.client, method)(BASE + path, headers=headers, **kwargs)

    def ok(self, method: str, path: str, who: str | None, status: int = 200, **kwargs):
        """The JSON of a request that must answer status."""
        response = self.call(method, path, who, **kwargs)
        assert response.status_code == status, response.get_json()
        return response.get_json()


@pytest.fixture
def hub(hub_setup):
    settings, hub_key, node_key = hub_setup
    app = create_app("hub", settings)
    yield Hub(app.test_client(), hub_key, node_key)
    db.dispose(app)


@pytest.fixture(scope="module")
def document():
    """A valid document: DigiKamer's, as a municipality would start from it."""
    (digikamer,) = [t for t in rules.load_builtin_templates() if t.slug == "digikamer"]
    return copy.deepcopy(digikamer.document)


def new_slug() -> str:
    return f"pilot-{uuid.uuid4().hex[:8]}"


def status(hub, method, path, who, **kwargs) -> int:
    return hub.call(method, path, who, **kwargs).status_code


def test_the_builtins_are_seeded_on_first_use_and_readable_by_everyone(hub):
    listed = hub.ok("get", "", "national_partner")
    by_slug = {t["slug"]: t for t in listed}
    for template in rules.load_builtin_templates():
        assert by_slug[template.slug]["latest_published"] == "1.0.0"
        assert by_slug[template.slug]["owner_municipality"] is None
        got = hub.ok("get", f"/{template.slug}", "national_partner")
        assert got["state"] == "published" and got["indicators"] == list(template.indicators)
        assert got["document"]["checklist"] == template.document["checklist"]
    assert hub.ok("get", "/digikamer/versions/1.0.0", "node")["version"] == "1.0.0"
    assert status(hub, "get", "", None) == 401


def test_seeding_is_idempotent_and_keeps_the_state_vng_gave(hub_session):
    builtins = rules.load_builtin_templates()
    assert hub_templates.seed_builtin_templates(hub_session, builtins) in (0, len(builtins))
    assert hub_templates.seed_builtin_templates(hub_session, builtins) == 0
    row = hub_templates.get_version(hub_session, None, "digikamer", "1.0.0")
    row.state = "deprecated"
    assert hub_templates.seed_builtin_templates(hub_session, builtins) == 0
    assert hub_templates.get_version(hub_session, None, "digikamer", "1.0.0").state == "deprecated"


def test_a_municipality_proposes_but_only_vng_publishes_and_deprecates(hub, document):
    slug = new_slug()
    draft = hub.ok("post", "", BREDA, 201, json={"slug": slug, "document": document})
    assert (draft["state"], draft["owner_municipality"], draft["version"]) == (
        "draft",
        BREDA,
        "1.0.0",
    )
    assert (draft["author_role"], draft["author_municipality"]) == ("municipality", BREDA)
    version = f"/{slug}/versions/1.0.0"
    assert status(hub, "post", f"{version}/submit", TILBURG) == 404  # not visible to Tilburg
    assert status(hub, "post", f"{version}/publish", BREDA) == 403  # not yet in review either
    assert hub.ok("post", f"{version}/submit", BREDA)["state"] == "in_review"
    refused = hub.call("post", f"{version}/publish", BREDA)
    assert refused.status_code == 403 and "only vng and admin" in refused.get_json()["detail"]
    assert hub.ok("post", f"{version}/reject", "vng")["state"] == "draft"
    hub.ok("post", f"{version}/submit", BREDA)
    published = hub.ok("post", f"{version}/publish", "vng")
    assert published["state"] == "published" and published["published_at"]
    assert status(hub, "post", f"{version}/publish", "vng") == 409  # already published
    assert status(hub, "post", f"{version}/deprecate", BREDA) == 403
    assert status(hub, "post", f"{version}/deprecate", "national_partner") == 403
    assert hub.ok("post", f"{version}/deprecate", "admin")["state"] == "deprecated"


def test_a_national_partner_reads_only_published_versions(hub, document):
    body = {"slug": new_slug(), "document": document}
    refused = hub.call("post", "", "national_partner", json=body)
    assert refused.status_code == 403 and "read published" in refused.get_json()["detail"]
    assert status(hub, "post", "", "vng", json=body) == 201
    draft = f"/{body['slug']}/versions/1.0.0"
    assert status(hub, "get", draft, "national_partner") == 404
    assert status(hub, "get", draft, TILBURG) == 404
    assert status(hub, "get", draft, "node") == 404
    assert hub.ok("get", draft, "admin")["state"] == "draft"
    assert body["slug"] not in {t["slug"] for t in hub.ok("get", "", "national_partner")}
    assert body["slug"] in {t["slug"] for t in hub.ok("get", "?state=draft", "vng")}
    assert status(hub, "post", f"{draft}/submit", "national_partner") == 404


def publish(hub, slug, version, owner):
    hub.ok("post", f"/{slug}/versions/{version}/submit", owner)
    return hub.ok("post", f"/{slug}/versions/{version}/publish", "vng")


def test_a_published_version_is_immutable_a_change_is_a_new_version(hub, document):
    slug = new_slug()
    hub.ok("post", "", BREDA, 201, json={"slug": slug, "document": document})
    edited = copy.deepcopy(document)
    edited["summary"] = "Breda's own wording of the DigiKamer."
    updated = hub.ok("put", f"/{slug}/versions/1.0.0", BREDA, json={"document": edited})
    assert updated["document"]["summary"] == edited["summary"]
    assert status(hub, "put", f"/{slug}/versions/1.0.0", "vng", json={"document": edited}) == 403
    publish(hub, slug, "1.0.0", BREDA)
    changed = copy.deepcopy(edited)
    changed["indicators"] = changed["indicators"][:2]
    refused = hub.call("put", f"/{slug}/versions/1.0.0", BREDA, json={"document": changed})
    assert refused.status_code == 409 and "new version" in refused.get_json()["detail"]

    new = hub.ok("post", f"/{slug}/versions", BREDA, 201, json={"document": changed})
    assert (new["version"], new["state"]) == ("1.1.0", "draft")
    again = hub.call("post", f"/{slug}/versions", BREDA, json={"document": changed})
    assert again.status_code == 409 and "still draft" in again.get_json()["detail"]
    assert status(hub, "put", f"/{slug}/versions/1.1.0", TILBURG, json={"document": changed}) == 404
    history = hub.ok("get", f"/{slug}/versions", BREDA)
    assert [(v["version"], v["state"]) for v in history] == [
        ("1.0.0", "published"),
        ("1.1.0", "draft"),
    ]
    public = hub.ok("get", f"/{slug}/versions", "national_partner")
    assert [v["version"] for v in public] == ["1.0.0"]
    assert hub.ok("get", f"/{slug}", TILBURG)["version"] == "1.0.0"

    publish(hub, slug, "1.1.0", BREDA)
    assert hub.ok("get", f"/{slug}", TILBURG)["indicators"] == [
        i["code"] for i in changed["indicators"]
    ]
    first = hub.ok("get", f"/{slug}?version=1.0.0", TILBURG)
    assert first["document"]["summary"] == edited["summary"]
    assert first["indicators"] == [i["code"] for i in document["indicators"]]
    newer = {"document": changed, "version": "1.0.5"}
    refused = hub.call("post", f"/{slug}/versions", BREDA, json=newer)
    assert refused.status_code == 409 and "newer than 1.1.0" in refused.get_json()["detail"]


def test_municipalities_fork_vng_templates_instead_of_changing_them(hub, document):
    refused = hub.call("post", "/digikamer/versions", TILBURG, json={"document": document})
    assert refused.status_code == 403 and "fork it" in refused.get_json()["detail"]
    slug = f"tilburg-{new_slug()}"
    fork = hub.ok("post", "/digikamer/fork", TILBURG, 201, json={"slug": slug})
    assert fork["forked_from"] == {"slug": "digikamer", "version": "1.0.0"}
    assert (fork["owner_municipality"], fork["state"], fork["version"]) == (
        TILBURG,
        "draft",
        "1.0.0",
    )
    digikamer = hub.ok("get", "/digikamer", TILBURG)
    assert fork["document"] == digikamer["document"]
    assert status(hub, "get", f"/{slug}/versions/1.0.0", BREDA) == 404  # Tilburg's draft
    assert status(hub, "post", f"/{slug}/fork", BREDA, json={"slug": new_slug()}) == 404
    own = hub.call("post", f"/{slug}/fork", TILBURG, json={"slug": new_slug(), "version": "1.0.0"})
    assert own.status_code == 409 and "only a published version" in own.get_json()["detail"]
    assert (
        status(hub, "post", "/digikamer/fork", "national_partner", json={"slug": new_slug()}) == 403
    )
    assert status(hub, "post", "/digikamer/fork", TILBURG, json={"slug": slug}) == 409  # taken


def test_invalid_documents_and_slugs_are_refused(hub, document):
    bad = copy.deepcopy(document)
    bad["indicators"][0]["code"] = "no_such_indicator"
    del bad["lessons_learned"]
    response = hub.call("post", "", BREDA, json={"slug": new_slug(), "document": bad})
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]["document"]
    assert errors["indicators"]["0"]["code"] == ["not an indicator of the catalog"]
    assert "lessons_learned" in errors
    for slug in ("adoptions", "Breda"):
        assert status(hub, "post", "", BREDA, json={"slug": slug, "document": document}) == 422
    assert status(hub, "post", "", BREDA, json={"slug": "digikamer", "document": document}) == 409


@pytest.mark.parametrize(("category", "value"), ONE_PER_CATEGORY.items())
def test_personal_data_in_lessons_learned_is_refused_and_nothing_stored(
    hub, document, category, value
):
    bad = copy.deepcopy(document)
    bad["lessons_learned"] = ["Vroeg beginnen hielp.", f"Afspraken liepen via {value} voortaan."]
    slug = new_slug()
    response = hub.call("post", "", BREDA, json={"slug": slug, "document": bad})
    assert response.status_code == 422
    (reason,) = response.get_json()["errors"]["json"]["document"]["lessons_learned"]["1"]
    assert category in reason and value not in response.get_data(as_text=True)
    assert status(hub, "get", f"/{slug}", BREDA) == 404


def test_adoptions_are_recorded_by_nodes_and_visible_to_every_member(hub, document):
    recorded = hub.ok("post", "/digikamer/adoptions", "node", 201, json={"version": "1.0.0"})
    assert (recorded["municipality"], recorded["template"], recorded["version"]) == (
        BREDA,
        "digikamer",
        "1.0.0",
    )
    again = hub.ok("post", "/digikamer/adoptions", "node", 201, json={"version": "1.0.0"})
    assert again == recorded
    for who in (TILBURG, "national_partner", "vng", "node"):
        everything = hub.ok("get", "/adoptions", who)
        assert [a for a in everything if a["template"] == "digikamer"] == [recorded]
        assert hub.ok("get", "/digikamer/adoptions", who) == [recorded]
    assert status(hub, "post", "/digikamer/adoptions", BREDA, json={"version": "1.0.0"}) == 401

    slug = new_slug()
    hub.ok("post", "", "vng", 201, json={"slug": slug, "document": document})
    draft = hub.call("post", f"/{slug}/adoptions", "node", json={"version": "1.0.0"})
    assert draft.status_code == 404
    publish(hub, slug, "1.0.0", "vng")
    hub.ok("post", f"/{slug}/versions/1.0.0/deprecate", "vng")
    deprecated = hub.call("post", f"/{slug}/adoptions", "node", json={"version": "1.0.0"})
    assert deprecated.status_code == 409 and "deprecated" in deprecated.get_json()["detail"]
    assert hub.ok("get", f"/{slug}/adoptions", TILBURG) == []
