"""The minimum versions of pyproject.toml stay tested: ``tasks.py test --oldest`` pins every
requirement at its floor, and the GitHub workflow runs it."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement

import tasks

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before Python 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_requirement_is_pinned_at_its_declared_minimum() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(line) for line in project["dependencies"] + project["optional-dependencies"]["test"]]
    expected = []
    for requirement in requirements:
        floors = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        assert len(floors) == 1, f"{requirement} must declare one minimum version with >="
        expected.append(f"{requirement.name}=={floors[0]}")
    assert tasks.minimum_versions() == expected
    for pin, requirement in zip(tasks.minimum_versions(), requirements):  # the floor itself is admitted
        assert requirement.specifier.contains(pin.split("==")[1]), (pin, str(requirement))


def test_the_workflow_runs_the_oldest_versions() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8"))
    commands = {job: " ".join(step.get("run", "") for step in spec["steps"]) for job, spec in workflow["jobs"].items()}
    assert any("tasks.py test --oldest" in command for command in commands.values()), commands
    assert any("tasks.py test" in command and "--oldest" not in command for command in commands.values()), commands
