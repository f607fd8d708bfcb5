"""Interactive API docs: Swagger UI from the installed wheel, no CDN, for every role."""

from __future__ import annotations

import re

import pytest

from factories import EXTERNAL, role_client


@pytest.fixture(params=["node", "party", "hub"])
def client(request, tmp_path):
    with role_client(request.param, tmp_path) as client:
        yield client


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not EXTERNAL.search(html), "the docs page must not load anything from elsewhere"
    assets = re.findall(r"""(?:src|href)="(/api/v1/docs/[^"]+)""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        with client.get(asset) as response:
            assert response.status_code == 200, asset
            assert len(response.data) > 100
    assert '"/api/v1/openapi.json"' in html


def test_spec_declares_bearer_authentication(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
