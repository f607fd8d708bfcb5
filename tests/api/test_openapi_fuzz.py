"""Schemathesis against every role's OpenAPI document, over HTTP to real service processes.

A small federation (hub, three parties, five nodes with demo data) runs as
``samenbeeld <role> serve`` processes. For every operation of every role's spec,
schemathesis generates requests from the schemas and checks the answers: never a 5xx, and
status code, content type, headers and body as the spec documents them.

Each generated request carries a credential that lets it past authentication, chosen from
what the view requires (the ``service_roles`` / ``user_roles`` the auth decorators record):
a fresh service token of that role for the target's audience (service tokens are single
use), or a user token of an allowed role (for a node: a user of that node's municipality).
Authentication failures have their own tests; here the point is to reach the code behind.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from factories import user_token
from samenbeeld.api.app import create_app
from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.platform import keys
from samenbeeld.platform.demo import init_federation

pytestmark = pytest.mark.slow
CITIES, WEEKS = 5, 3
TARGETS = ("hub", "party-0", "GM_FIRST")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    demo = init_federation(folder, cities=CITIES, weeks=WEEKS, seed=5)
    with Cluster(folder, [code for code, _, _ in demo.cities]) as running:
        yield running


def _target(cluster: Cluster, name: str) -> str:
    return cluster.codes[0] if name == "GM_FIRST" else name


@pytest.fixture(scope="module", params=TARGETS)
def target(request, cluster):
    """(service name, its schema loaded over HTTP)."""
    name = _target(cluster, request.param)
    service = cluster.services[name]
    schema = schemathesis.openapi.from_url(f"{service.url}/api/v1/openapi.json")
    return name, schema


def _required_roles(name: str, cluster: Cluster, method: str, path: str) -> tuple[str, Any]:
    """("service"|"user"|"none", roles) for the view behind method and path."""
    app = _route_app(cluster, name)
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(path, method=method)
    view = app.view_functions[endpoint]
    function = getattr(getattr(view, "view_class", None), method.lower(), view)
    if hasattr(function, "service_roles"):
        return "service", function.service_roles
    if hasattr(function, "user_roles"):
        return "user", function.user_roles
    return "none", ()


_APPS: dict[str, Any] = {}


def _route_app(cluster: Cluster, name: str) -> Any:
    """An app of the service's role and settings, built once, only to look up routes."""
    if name not in _APPS:
        settings = cluster.services[name].settings
        _APPS[name] = create_app(settings.role, settings)
    return _APPS[name]


@cache
def _hub_key(path: str) -> keys.Ed25519PrivateKey:
    return keys.read_private_key(Path(path))


def credential(cluster: Cluster, name: str, method: str, path: str) -> str | None:
    """An Authorization header value that passes the view's authentication, if it has any."""
    kind, roles = _required_roles(name, cluster, method, path)
    audience = cluster.services[name].settings.audience
    if kind == "service":
        signer_name = {"hub": "hub", "party": "party-0", "node": cluster.codes[0]}[roles[0]]
        return f"Bearer {cluster.signer(signer_name).token(audience)}"
    if kind == "user":
        hub_key = _hub_key(str(cluster.hub.settings.effective_key_file))
        role = roles[0]
        town = cluster.services[name].settings.member if name.startswith("GM") else "GM0363"
        return f"Bearer {user_token(hub_key, role, town, subject='fuzz', ttl_seconds=600)}"
    return None


def test_every_operation_conforms_to_its_spec(cluster, target):
    name, schema = target
    failures: list[str] = []
    statuses: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            header = credential(cluster, name, case.method, case.formatted_path)
            if header:  # ours, not a generated one: auth failures have their own tests
                case.headers = {**(case.headers or {}), "Authorization": header}
            statuses.append(case.call_and_validate(checks=CHECKS, timeout=30).status_code)

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001  (collect them all)
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
    # The credentials let generated requests reach the code behind authentication.
    successes = sum(200 <= status < 300 for status in statuses)
    assert operations > 0 and successes >= operations, (operations, sorted(set(statuses)))
