"""The chart renders, lints and validates for every role, and keeps its security properties."""

from __future__ import annotations

import re

import helm_python as helm
import kubernetes_validate
import pytest
from helm_render import (
    CHART,
    HELM,
    KUBE_VERSION,
    ROLES,
    Case,
    effective_values,
    of_kind,
    pod_specs,
    render,
    render_text,
    values_for,
)

from samenbeeld.federation.hub.compute import rendezvous
from samenbeeld.platform.settings import HubSettings

WARNING = 2  # helm lint severities: 1 info, 2 warning, 3 error


def test_lint_finds_no_warning(case: Case) -> None:
    report = helm.lint(
        CHART,
        values_for(case),
        strict=True,
        namespace=case.namespace,
        kube_version=f"v{KUBE_VERSION}",
    )
    problems = [m for m in report["messages"] if m["severity"] >= WARNING]
    assert report["errors"] == [] and problems == []


def test_every_manifest_matches_the_kubernetes_schema(case: Case) -> None:
    objects = render(case)
    assert {"ConfigMap", "Deployment", "Service", "NetworkPolicy", "Job"} <= {
        obj["kind"] for obj in objects
    }
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_the_schema_check_is_strict() -> None:
    deployment = of_kind(render(Case("hub", sets=("role=hub",))), "Deployment")[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSION, strict=True)


def test_every_container_has_limits_and_a_locked_down_security_context(case: Case) -> None:
    specs = list(pod_specs(render(case)))
    assert {workload["kind"] for workload, _ in specs} == {"Deployment", "Job"}
    for _workload, spec in specs:
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"] + spec.get("initContainers", []):
            limits = container["resources"]["limits"]
            assert limits["cpu"] and limits["memory"], container["name"]
            assert container["resources"]["requests"]["memory"], container["name"]
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, container["name"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["capabilities"]["drop"] == ["ALL"], container["name"]
            assert "add" not in context["capabilities"], container["name"]


def test_every_service_container_has_probes_on_health(case: Case) -> None:
    deployments = of_kind(render(case), "Deployment", "StatefulSet")
    assert len(deployments) == 1
    for deployment in deployments:
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for probe in ("livenessProbe", "readinessProbe"):
                assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}


def test_the_service_runs_its_role_and_migrations_run_first(case: Case) -> None:
    objects = render(case)
    container = of_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][:2] == [case.role, "serve"]
    job = of_kind(objects, "Job")[0]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "db", "upgrade", "--role", case.role,
    ]  # fmt: skip


def test_a_default_deny_policy_covers_the_namespace(case: Case) -> None:
    policies = of_kind(render(case), "NetworkPolicy")
    deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert len(deny) == 1
    assert deny[0]["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert not deny[0]["spec"].get("ingress") and not deny[0]["spec"].get("egress")


def test_every_policy_rule_names_its_peers_and_ports(case: Case) -> None:
    for policy in of_kind(render(case), "NetworkPolicy"):
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
        rules = [(r, "from") for r in policy["spec"].get("ingress") or []]
        rules += [(r, "to") for r in policy["spec"].get("egress") or []]
        for rule, peers in rules:
            assert rule.get(peers) and rule.get("ports"), policy["metadata"]["name"]


def service_policy(case: Case) -> dict:
    """The role's own NetworkPolicy (the one that selects its service pods)."""
    for policy in of_kind(render(case), "NetworkPolicy"):
        labels = policy["spec"]["podSelector"].get("matchLabels", {})
        if labels.get("app.kubernetes.io/component") == case.role:
            return policy["spec"]
    raise AssertionError("no policy for the service pods")


def ports(rules: list[dict]) -> set[tuple[object, object]]:
    """(port, endPort) of every rule."""
    return {(p["port"], p.get("endPort")) for rule in rules for p in rule["ports"]}


MPC = {(29500, None), (29501, 29999)}


def test_a_node_reaches_only_the_hub_and_the_parties_uploads() -> None:
    case = Case("node", values_files=("helm/node/values-production.example.yaml",))
    values, policy = effective_values(case), service_policy(case)
    assert ports(policy["ingress"]) == {("http", None)}
    targets = [rule["to"] for rule in policy["egress"]]
    network = values["networkPolicy"]
    expected = [network[name]["to"] for name in ("dns", "database", "hub", "parties")]
    assert targets == expected
    assert ports(policy["egress"]) == {(53, None), (5432, None), (443, None)}


def test_parties_take_uploads_and_talk_to_each_other_only_on_mpc_ports() -> None:
    case = Case("party", values_files=("helm/party/values-production.example.yaml",))
    values, policy = effective_values(case), service_policy(case)
    ingress = {str(rule["from"]): ports([rule]) for rule in policy["ingress"]}
    assert ingress == {
        str(values["networkPolicy"]["ingressFrom"]): {("http", None)},
        str(values["mpc"]["peers"]): MPC,
    }
    to_peers = [rule for rule in policy["egress"] if rule["to"] == values["mpc"]["peers"]]
    assert len(to_peers) == 1 and ports(to_peers) == MPC
    assert not any(
        rule["to"] == values["networkPolicy"]["parties"]["to"] for rule in policy["egress"]
    )


def test_the_hub_runs_the_dealer_on_the_mpc_ports() -> None:
    case = Case("hub", values_files=("helm/hub/values-production.example.yaml",))
    values, policy = effective_values(case), service_policy(case)
    peers = values["mpc"]["peers"]
    assert [ports([r]) for r in policy["ingress"] if r["from"] == peers] == [MPC]
    assert [ports([r]) for r in policy["egress"] if r["to"] == peers] == [MPC]


def test_the_hub_names_party_0_as_the_mpc_rendezvous() -> None:
    case = Case("hub", values_files=("helm/hub/values-production.example.yaml",))
    values = effective_values(case)
    data = of_kind(render(case), "ConfigMap")[0]["data"]
    assert data["SAMENBEELD_MPC_MASTER_ADDR"] == values["hub"]["mpcMasterAddr"]
    assert data["SAMENBEELD_MPC_MASTER_PORT"] == str(values["mpc"]["port"])
    settings = HubSettings.load(environ=data)
    assert rendezvous(settings) == (values["hub"]["mpcMasterAddr"], values["mpc"]["port"])


@pytest.mark.parametrize("role", ["party", "hub"])
def test_gloo_listens_inside_the_policy_port_range(role: str) -> None:
    case = Case(role, values_files=(f"helm/{role}/values-production.example.yaml",))
    spec = of_kind(render(case), "Deployment")[0]["spec"]["template"]["spec"]
    sysctls = {s["name"]: s["value"] for s in spec["securityContext"]["sysctls"]}
    assert sysctls == {"net.ipv4.ip_local_port_range": "29501 29999"}


def test_no_rule_opens_mpc_ports_for_a_node() -> None:
    case = Case("node", values_files=("helm/node/values-production.example.yaml",))
    assert not ports(service_policy(case)["ingress"] + service_policy(case)["egress"]) & MPC


def test_only_the_hub_is_reachable_by_users(production: Case) -> None:
    ingress = of_kind(render(production), "Ingress")[0]
    annotation = values_for(production)["ingress"].get(
        "sourceRangeAnnotation", "nginx.ingress.kubernetes.io/whitelist-source-range"
    )
    restricted = (ingress["metadata"].get("annotations") or {}).get(annotation)
    assert bool(restricted) == (production.role != "hub")


@pytest.mark.parametrize("role", ["node", "party"])
def test_a_node_or_party_ingress_needs_source_ranges(role: str) -> None:
    sets = (f"role={role}", "node.municipality=GM0758", "ingress.enabled=true")
    case = Case(f"{role}-open", sets=(*sets, "ingress.host=x.example.org"))
    with pytest.raises(helm.HelmRenderError, match="only the hub is reachable by users"):
        render(case)


def test_no_secret_and_no_key_material_is_rendered(case: Case) -> None:
    objects = render(case)
    assert of_kind(objects, "Secret") == []
    text = render_text(case)
    assert "-----BEGIN" not in text
    assert not re.search(r"postgres\w*(\+\w+)?://[^\s\"'@/]+:[^\s\"'@/]+@", text)
    for config_map in of_kind(objects, "ConfigMap"):
        for name in config_map["data"]:
            assert not re.search(r"PASSWORD|SECRET|DATABASE_URL|TOKEN", name), name


def test_keys_and_database_urls_come_from_existing_secrets(case: Case) -> None:
    spec = of_kind(render(case), "Deployment")[0]["spec"]["template"]["spec"]
    secret_volumes = [v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v]
    env = {e["name"]: e for e in spec["containers"][0]["env"]}
    database = env["SAMENBEELD_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    secrets = values_for(case).get("secrets", {})
    assert secret_volumes == [secrets.get("key", {}).get("name") or "samenbeeld-test-key"]
    assert database["name"] == secrets.get("database", {}).get("name", "samenbeeld-test-database")


def test_no_values_file_holds_secret_material() -> None:
    files = [CHART / "values.yaml", HELM / "airflow-values.yaml"]
    files += [HELM / role / "values-production.example.yaml" for role in ROLES]
    for path in files:
        text = path.read_text()
        assert "-----BEGIN" not in text, path
        assert not re.search(r"://[^\s\"'@/]+:[^\s\"'@/]+@", text), path
        assert not re.search(r"(?im)^\s*(password|pass|fernetKey|apiSecretKey|jwtSecret):", text)


def test_image_tags_name_a_release(case: Case) -> None:
    for _workload, spec in pod_specs(render(case)):
        for container in spec["containers"] + spec.get("initContainers", []):
            image = container["image"]
            name, _, tag = image.rpartition(":")
            assert "@sha256:" in image or (name and "/" not in tag and tag not in ("", "latest"))


@pytest.mark.parametrize(
    ("sets", "error", "message"),
    [
        ((), helm.HelmValuesError, "role"),
        (("role=node",), helm.HelmRenderError, "node.municipality"),
        (("role=node", "node.municipality=Breda"), helm.HelmValuesError, "municipality"),
        (("role=hub", "image.tag=latest"), helm.HelmValuesError, "tag"),
        (("role=party", "party.index=3"), helm.HelmValuesError, "index"),
    ],
)
def test_the_chart_refuses_incomplete_values(sets, error, message) -> None:
    with pytest.raises(error, match=message):
        render(Case("refused", sets=sets))
