"""The runbook's commands are the ones the tests render: every `helm` line in a code block of
helm/README.md is parsed, and its chart rendered and linted with its own values and sets."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import click
import helm_python as helm
import kubernetes_validate
import pytest
import yaml
from helm_render import HELM, KUBE_VERSION, ROLES, ROOT, Case, render, values_for

from samenbeeld.api.cli import main

RUNBOOK = HELM / "README.md"
WITH_VALUE = {"-f", "--values", "--set", "--set-string", "-n", "--namespace", "--version"}
SWITCHES = {"--install", "--create-namespace", "--strict", "--wait", "--atomic"}
AIRFLOW_CHART = "apache-airflow/airflow"


@dataclass(frozen=True)
class HelmCommand:
    """One `helm` command line of the runbook."""

    line: str
    verb: str
    release: str
    chart: str
    values_files: tuple[str, ...]
    sets: tuple[str, ...]
    namespace: str
    version: str


def code_lines() -> list[str]:
    """Every line of the runbook's fenced code blocks, continuation lines joined."""
    fence = r"^[ \t]*```[a-z]*\n(.*?)^[ \t]*```"
    blocks = re.findall(fence, RUNBOOK.read_text(), re.M | re.S)
    return [line.strip() for block in blocks for line in block.replace("\\\n", " ").splitlines()]


def parse(line: str) -> HelmCommand:
    """The parts of a `helm install|upgrade|template|lint` line."""
    args = shlex.split(line)[1:]
    verb, positional, options = args[0], [], {"f": [], "set": [], "n": "", "version": ""}
    words = iter(args[1:])
    for word in words:
        if word in WITH_VALUE:
            value = next(words)
            key = {"--values": "f", "-f": "f", "--set-string": "set", "--namespace": "n"}.get(
                word, word.lstrip("-")
            )
            options[key] = [*options[key], value] if isinstance(options[key], list) else value
        elif word.startswith("-"):
            assert word in SWITCHES, f"unknown flag {word}: {line}"
        else:
            positional.append(word)
    release, chart = ("", positional[0]) if verb == "lint" else tuple(positional)
    return HelmCommand(
        line, verb, release, chart, tuple(options["f"]), tuple(options["set"]),
        options["n"], options["version"],
    )  # fmt: skip


def helm_commands() -> list[HelmCommand]:
    """The runbook's helm commands that name a chart (not `helm repo ...`)."""
    lines = [line for line in code_lines() if line.startswith("helm ")]
    return [
        parse(line)
        for line in lines
        if line.split()[1] in ("install", "upgrade", "template", "lint")
    ]  # noqa: E501


COMMANDS = helm_commands()
OURS = [command for command in COMMANDS if command.chart == "helm/samenbeeld"]


def as_case(command: HelmCommand) -> Case:
    """The test case that renders command exactly as helm would."""
    return Case(
        command.line, command.values_files, command.sets,
        release=command.release or "lint", namespace=command.namespace or "default",
    )  # fmt: skip


def test_the_runbook_installs_every_role_and_airflow() -> None:
    installs = [c for c in OURS if c.verb == "upgrade" and "--install" in c.line]
    assert sorted(values_for(as_case(c))["role"] for c in installs) == sorted(ROLES)
    assert {f"helm/{role}/values-production.example.yaml" for role in ROLES} <= {
        name for c in installs for name in c.values_files
    }
    assert [c.chart for c in COMMANDS if c.chart != "helm/samenbeeld"] == [AIRFLOW_CHART]


@pytest.mark.parametrize("command", OURS, ids=[c.line[:90] for c in OURS])
def test_every_runbook_command_renders_lints_and_validates(command: HelmCommand) -> None:
    for name in command.values_files:
        assert (ROOT / name).is_file(), name
    case = as_case(command)
    objects = render(case)
    assert {"Deployment", "NetworkPolicy"} <= {obj["kind"] for obj in objects}
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
    if command.release:
        assert all(obj["metadata"]["name"].startswith(command.release) for obj in objects)
    report = helm.lint(
        ROOT / command.chart, values_for(case), strict=True, kube_version=f"v{KUBE_VERSION}"
    )
    assert report["errors"] == []


def test_the_airflow_command_pins_the_official_chart_and_uses_our_values() -> None:
    [command] = [c for c in COMMANDS if c.chart == AIRFLOW_CHART]
    assert re.fullmatch(r"\d+\.\d+\.\d+", command.version)
    assert command.values_files == ("helm/airflow-values.yaml",)
    assert isinstance(yaml.safe_load((ROOT / command.values_files[0]).read_text()), dict)


def samenbeeld_invocations() -> list[tuple[str, list[str]]]:
    """(line, words after `samenbeeld`) of every samenbeeld command in the runbook's code."""
    found = []
    for line in code_lines():
        words = line.replace("$(", " ").replace(")", " ").split()
        for index, word in enumerate(words):
            if (
                word == "samenbeeld"
                and index + 1 < len(words)
                and words[index + 1] in main.commands
            ):
                found.append((line, words[index + 1 :]))
    return found


def test_every_samenbeeld_command_in_the_runbook_exists() -> None:
    invocations = samenbeeld_invocations()
    assert {" ".join(words[:2]) for _line, words in invocations} >= {
        "keys create", "keys token", "hub register",
    }  # fmt: skip
    for line, words in invocations:
        group = main.commands[words[0]]
        assert isinstance(group, click.Group) and words[1] in group.commands, line
        command = group.commands[words[1]]
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for word in words[2:]:
            if word in ("<", "|", ";", "&&", ">"):
                break
            assert not word.startswith("--") or word in known, f"{word} in {line}"


def test_the_top_level_readme_links_the_runbook() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "](helm/README.md)" in readme
    assert re.search(r"(?is)image build.{0,80}not tested", readme)
