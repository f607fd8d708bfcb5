"""Render the Helm chart offline: Helm's own library (helm-python-sdk), no helm binary.

``render(case)`` composes values the way ``helm install -f A -f B --set k=v`` does (files
in order, deep-merged, then ``--set``) and returns every rendered object, hooks included.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / "helm"
CHART = HELM / "samenbeeld"
ROLES = ("node", "party", "hub")
KUBE_VERSION = "1.33.0"
"""The Kubernetes version every manifest is validated against (kubernetes-validate ships it)."""


@dataclass(frozen=True)
class Case:
    """One way to render the chart: values files and --set expressions, as helm takes them."""

    name: str
    values_files: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    release: str = "samenbeeld-test"
    namespace: str = "samenbeeld"
    chart: str = "helm/samenbeeld"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def role(self) -> str:
        """The role these values select."""
        return str(values_for(self)["role"])


DEFAULT_CASES = (
    Case("node-default", sets=("role=node", "node.municipality=GM0758")),
    Case("party-default", sets=("role=party",)),
    Case("hub-default", sets=("role=hub",)),
)
PRODUCTION_CASES = tuple(
    Case(f"{role}-production", values_files=(f"helm/{role}/values-production.example.yaml",))
    for role in ROLES
)
CASES = DEFAULT_CASES + PRODUCTION_CASES


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of user values: maps merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def values_for(case: Case) -> dict[str, Any]:
    """The user values of case: its files in order, then its --set expressions."""
    values: dict[str, Any] = {}
    for name in case.values_files:
        values = merge(values, yaml.safe_load((ROOT / name).read_text()) or {})
    for expression in case.sets:
        values = merge(values, helm.parse_set_string(expression))
    return merge(values, case.extra)


def effective_values(case: Case) -> dict[str, Any]:
    """The values a release of case uses: the chart's defaults under the user values."""
    with helm.Chart.load(ROOT / case.chart) as chart:
        return chart.merge_values(values_for(case))


@functools.cache
def _render(case: Case) -> tuple[tuple[str, str], ...]:
    """Template path and text of every rendered template (cached per case)."""
    with helm.Chart.load(ROOT / case.chart) as chart:
        rendered = chart.render(
            values_for(case), name=case.release, namespace=case.namespace, is_install=True
        )
    return tuple(sorted(rendered.items()))


def render(case: Case) -> list[dict[str, Any]]:
    """Every Kubernetes object the case renders (hooks included, NOTES.txt left out)."""
    objects = []
    for path, text in _render(case):
        if not path.endswith((".yaml", ".yml")):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


def render_text(case: Case) -> str:
    """All rendered text of case, NOTES.txt included."""
    return "\n".join(text for _path, text in _render(case))


def of_kind(objects: list[dict[str, Any]], *kinds: str) -> list[dict[str, Any]]:
    """The objects of the given kinds."""
    return [obj for obj in objects if obj["kind"] in kinds]


def pod_specs(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod spec) of every object that runs pods."""
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield obj, obj["spec"]["template"]["spec"]
        elif obj["kind"] == "CronJob":
            yield obj, obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
