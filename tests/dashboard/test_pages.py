"""The dashboard page and its assets, served by the hub and by a node (no browser needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from factories import EXTERNAL, role_client
from samenbeeld.api import dashboard
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.api.ops.demo_run import dashboard_urls
from samenbeeld.platform import keys
from samenbeeld.platform.users import UserTokenVerifier

ASSET = re.compile(r"""(?:src|href)="(/dashboard/static/[^"]+)""")


@pytest.fixture(params=["hub", "node"])
def client(request, tmp_path):
    with role_client(request.param, tmp_path) as client:
        yield client


def test_page_and_every_asset_are_served_from_the_package(client):
    page = client.get("/dashboard/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not EXTERNAL.search(html), "the page must load nothing from elsewhere (offline)"
    assets = ASSET.findall(html)
    assert any(a.endswith("vendor/uplot/uPlot.iife.min.js") for a in assets)
    for asset in assets:
        with client.get(asset) as response:
            assert response.status_code == 200, asset
            assert len(response.data) > 100, asset


def test_page_is_locked_down_and_never_cached(client):
    page = client.get("/dashboard/")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_page_is_not_part_of_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert not [path for path in spec["paths"] if "dashboard" in path]


def test_node_page_names_its_municipality_and_offers_banded_indicators(tmp_path):
    with role_client("node", tmp_path) as client:
        html = client.get("/dashboard/").get_data(as_text=True)
    assert 'data-role="node"' in html
    assert '"municipality_name": "Breda"' in html
    assert '"high_impact_crime_weekly"' in html
    assert '"polarisation_radicalisation_weekly"' not in html  # no buckets, so no band


def test_vendored_chart_library_keeps_its_licence_and_version():
    assert dashboard.bp.static_folder is not None
    vendor = Path(dashboard.bp.static_folder) / "vendor" / "uplot"
    assert "MIT License" in (vendor / "LICENSE").read_text(encoding="utf-8")
    bundle = (vendor / "uPlot.iife.min.js").read_text(encoding="utf-8")
    assert bundle.startswith("/*! https://github.com/leeoniya/uPlot (v1.6.32) */")


def test_demo_ends_with_dashboard_urls_whose_tokens_the_hub_accepts(tmp_path):
    cluster = Cluster(tmp_path, ["GM0758"])
    cluster.close()  # never started: only its settings and URLs are used
    key_file = cluster.hub.settings.effective_key_file
    key_file.parent.mkdir(parents=True)
    keys.write_private_key(key_file, keys.generate_private_key())
    public = keys.read_private_key(key_file).public_key()
    text = dashboard_urls(cluster, serving=False)
    hub_line = text.splitlines()[-1].strip()
    assert hub_line.startswith(f"{cluster.hub.url}/dashboard/#token=")
    verifier = UserTokenVerifier(lambda: {keys.key_id(public): public})
    partner = verifier.verify(hub_line.partition("#token=")[2])
    assert (partner.role, partner.municipality) == ("national_partner", None)
    node_line = next(line for line in text.splitlines() if cluster.nodes()[0].url in line)
    staff = verifier.verify(node_line.strip().partition("#token=")[2])
    assert (staff.role, staff.municipality) == ("municipality", "GM0758")
