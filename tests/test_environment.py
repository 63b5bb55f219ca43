"""pyproject.toml and environment.yml must describe the same environment; README's quick start
must give the two commands a learner needs."""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before Python 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"torch": "pytorch", "build": "python-build"}  # PyPI name -> conda-forge name, where they differ
ONLY_IN_ENVIRONMENT = {"python", "pip"}
EDITABLE_INSTALL = "-e .[test]"
CI_TORCH = "2.13.0"  # the PyTorch that CI installs (.ci/run)


def load_pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def load_environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def split_conda_spec(spec: str) -> tuple[str, SpecifierSet]:
    """``"pytorch>=2.1,<3"`` -> ``("pytorch", SpecifierSet(">=2.1,<3"))``."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", spec)
    assert match is not None, f"cannot read the conda spec {spec!r}"
    return canonicalize_name(match[1]), SpecifierSet(match[2].replace(" ", ""))


def environment_parts(environment: dict) -> tuple[dict[str, SpecifierSet], dict[str, SpecifierSet], list[str]]:
    """The conda packages, the pip packages and the other pip lines (such as ``-e .``)."""
    conda, pip, pip_other = {}, {}, []
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            for line in entry["pip"]:
                if line.startswith("-"):
                    pip_other.append(line)
                else:
                    requirement = Requirement(line)
                    pip[canonicalize_name(requirement.name)] = requirement.specifier
        else:
            name, specifier = split_conda_spec(entry)
            conda[name] = specifier
    return conda, pip, pip_other


def pyproject_requirements(pyproject: dict) -> dict[str, SpecifierSet]:
    """Runtime dependencies and the ``test`` extra, by canonical PyPI name."""
    lines = pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["test"]
    requirements = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r.specifier for r in requirements}


def disagreements(pyproject: dict, environment: dict) -> list[str]:
    """Every way in which the two files describe different packages or versions."""
    problems = []
    wanted = pyproject_requirements(pyproject)
    conda, pip, _ = environment_parts(environment)
    for name, specifier in wanted.items():
        conda_name = CONDA_NAMES.get(name, name)
        if conda_name in conda and name in pip:
            problems.append(f"{name} is in both the conda and the pip list of environment.yml")
        found = conda.get(conda_name, pip.get(name))
        if found is None:
            problems.append(f"{name}{specifier} from pyproject.toml is missing from environment.yml")
        elif found != specifier:
            problems.append(f"{name}: pyproject.toml asks for {specifier!s}, environment.yml for {found!s}")
    pypi_names = {conda_name: name for name, conda_name in CONDA_NAMES.items()}
    for conda_name in conda.keys() - ONLY_IN_ENVIRONMENT:
        if pypi_names.get(conda_name, conda_name) not in wanted:
            problems.append(f"{conda_name} in environment.yml's conda list is missing from pyproject.toml")
    for name in pip.keys() - wanted.keys():
        problems.append(f"{name} in environment.yml's pip list is missing from pyproject.toml")
    return problems


def test_pyproject_and_environment_list_the_same_packages():
    assert disagreements(load_pyproject(), load_environment()) == []


def test_a_disagreement_is_reported():
    pyproject, environment = load_pyproject(), load_environment()
    changed = copy.deepcopy(environment)
    conda_list = changed["dependencies"]
    conda_list[conda_list.index("numpy>=1.24")] = "numpy>=2.0"
    conda_list.remove("pytest>=7.4")
    conda_list.insert(0, "scipy>=1.10")
    problems = disagreements(pyproject, changed)
    assert "numpy: pyproject.toml asks for >=1.24, environment.yml for >=2.0" in problems
    assert "pytest>=7.4 from pyproject.toml is missing from environment.yml" in problems
    assert "scipy in environment.yml's conda list is missing from pyproject.toml" in problems
    assert len(problems) == 3


def test_python_version_matches_requires_python():
    conda, _, _ = environment_parts(load_environment())
    requires_python = SpecifierSet(load_pyproject()["project"]["requires-python"])
    assert conda["python"] == requires_python
    assert f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}" in requires_python


def test_environment_uses_conda_forge_and_installs_the_package_editable():
    environment = load_environment()
    assert environment["channels"] == ["conda-forge"]
    assert environment["name"] == load_pyproject()["project"]["name"]
    _, _, pip_other = environment_parts(environment)
    assert pip_other == [EDITABLE_INSTALL]


def test_torch_specifier_admits_the_ci_version():
    versions = {CI_TORCH, *re.findall(r"torch==([0-9][0-9A-Za-z.+]*)", (ROOT / ".ci" / "run").read_text())}
    torch_specifier = pyproject_requirements(load_pyproject())["torch"]
    pytorch_specifier = environment_parts(load_environment())[0]["pytorch"]
    for version in versions:
        assert version in torch_specifier, (version, str(torch_specifier))
        assert version in pytorch_specifier, (version, str(pytorch_specifier))


def markdown_section(text: str, title: str) -> str | None:
    """The body of the first heading that starts with ``title`` (any level, any case), up to
    the next heading of the same or a higher level; headings inside code blocks do not count."""
    lines = text.splitlines()
    in_code, level, start = False, None, None
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        heading = None if in_code else re.match(r"(#{1,6})\s+(.*)", line)
        if heading is None:
            continue
        if level is None and heading[2].strip().lower().startswith(title.lower()):
            level, start = len(heading[1]), i + 1
        elif level is not None and len(heading[1]) <= level:
            return "\n".join(lines[start:i])
    return None if start is None else "\n".join(lines[start:])


def test_markdown_section():
    text = "# Course\n## Quick start\n```bash\n# a comment\npython3 tasks.py lab\n```\n### Detail\nmore\n## Next\nother"
    assert markdown_section(text, "quick start") == "```bash\n# a comment\npython3 tasks.py lab\n```\n### Detail\nmore"
    assert markdown_section(text, "Missing") is None


@pytest.mark.parametrize("command", ["python3 tasks.py lab", "python3 tasks.py test"])
def test_readme_quick_start_gives_the_commands(command):
    readme = ROOT / "README.md"
    assert readme.exists(), "README.md is missing"
    quick_start = markdown_section(readme.read_text(encoding="utf-8"), "Quick start")
    assert quick_start is not None, "README.md has no 'Quick start' section"
    assert command in quick_start
