"""The Dockerfile installs what `make venv` installs, in the same order; the Airflow values
take every credential from a Secret. (No container engine here: the build is not run.)"""

from __future__ import annotations

import ast
import re

import yaml
from helm_render import HELM, ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
AIRFLOW = yaml.safe_load((HELM / "airflow-values.yaml").read_text())


def makefile_pins() -> list[str]:
    """The quoted requirements the Makefile installs before the project, in order."""
    recipe = (ROOT / "Makefile").read_text()
    return re.findall(r'pip install --quiet (?:--no-deps )?"([^"]+)"', recipe)


def test_the_image_installs_torch_then_crypten_then_the_project_like_make() -> None:
    pins = makefile_pins()
    assert pins == ["torch==2.13.0", "crypten==0.4.1"]
    positions = [DOCKERFILE.index(f'"{pin}"') for pin in pins]
    positions.append(DOCKERFILE.index("[mpc]"))
    assert positions == sorted(positions)
    assert '--no-deps "crypten==0.4.1"' in DOCKERFILE
    assert 'pip install --quiet -e ".[mpc,airflow,dev]"' in (ROOT / "Makefile").read_text()


def test_the_image_copies_what_the_wheel_is_built_from() -> None:
    ignore = (ROOT / ".dockerignore").read_text().split()
    copied = {
        source.rstrip("/")
        for line in re.findall(r"^COPY (?!--)(.+)$", DOCKERFILE, re.M)
        for source in line.split()[:-1]
    }
    for path in ("pyproject.toml", "README.md", "platform", "federation", "api", "migrations"):
        assert path in copied, path
        assert f"!{path}" in ignore or f"!{path}/" in ignore, path


def test_the_services_run_as_a_numeric_non_root_user() -> None:
    service = DOCKERFILE[DOCKERFILE.index("AS service") : DOCKERFILE.index("AS airflow")]
    assert re.search(r"^USER 10001:10001$", service, re.M)
    assert 'ENTRYPOINT ["samenbeeld"]' in service


def test_airflow_image_values_and_project_agree_on_the_version() -> None:
    base = re.search(r"apache/airflow:(\d+\.\d+\.\d+)-python3\.11", DOCKERFILE)
    pyproject = (ROOT / "pyproject.toml").read_text()
    pinned = re.search(r'"apache-airflow==(\d+\.\d+)\.\*"', pyproject)
    assert base and pinned and base.group(1).startswith(pinned.group(1) + ".")
    assert AIRFLOW["airflowVersion"] == base.group(1)
    assert AIRFLOW["defaultAirflowTag"] not in ("", "latest")


def adapter_names() -> tuple[str, str]:
    """The Connection and Variable the DAGs read (without importing Airflow)."""
    source = (ROOT / "api/samenbeeld/api/ops/airflow_adapter.py").read_text()
    constants = {
        node.targets[0].id: node.value.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
    }
    return constants["HUB_CONNECTION"], constants["NODES_VARIABLE"]


def test_airflow_gets_our_connection_and_variable_from_a_secret() -> None:
    connection, variable = adapter_names()
    wanted = {f"AIRFLOW_CONN_{connection.upper()}", f"AIRFLOW_VAR_{variable.upper()}"}
    from_secrets = {item["envName"]: item for item in AIRFLOW["secret"]}
    assert wanted <= set(from_secrets)
    for name in wanted:
        assert from_secrets[name]["secretName"] and from_secrets[name]["secretKey"]
    assert "env" not in AIRFLOW and "extraSecrets" not in AIRFLOW


def test_airflow_credentials_are_existing_secrets() -> None:
    assert AIRFLOW["data"]["metadataSecretName"]
    assert "metadataConnection" not in AIRFLOW["data"]
    for key in ("fernetKeySecretName", "apiSecretKeySecretName", "jwtSecretName"):
        assert AIRFLOW[key], key
    for literal in ("fernetKey", "apiSecretKey", "jwtSecret", "webserverSecretKey"):
        assert literal not in AIRFLOW, literal
    assert AIRFLOW["createUserJob"]["enabled"] is False


def test_airflow_runs_local_tasks_with_dags_from_the_image() -> None:
    assert AIRFLOW["executor"] == "LocalExecutor"
    assert AIRFLOW["dags"]["gitSync"]["enabled"] is False
    assert AIRFLOW["dags"]["persistence"]["enabled"] is False
    assert "COPY --chown=airflow:0 dags/ /opt/airflow/dags/" in DOCKERFILE


def test_the_operator_key_reaches_airflow_with_mode_0600() -> None:
    scheduler = AIRFLOW["scheduler"]
    [init] = scheduler["extraInitContainers"]
    assert init["command"][:3] == ["install", "-m", "0600"]
    assert init["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert not init["image"].endswith(":latest")
    volumes = {volume["name"]: volume for volume in scheduler["extraVolumes"]}
    assert volumes["samenbeeld-keys"]["emptyDir"]["medium"] == "Memory"
    assert "secretName" in volumes["samenbeeld-key-secret"]["secret"]
