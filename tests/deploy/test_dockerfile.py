"""deploy/Dockerfile, read by a real Dockerfile parser (dockerfile-parse): the base image, the non-root user,
torch pinned exactly as pyproject.toml pins it and taken from PyTorch's CPU index, the project installed, the
Dagster libraries released with the pinned dagster, the port and the command. No docker daemon is needed (and
none is run): what the image does when built is outside these tests."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
GRPC_PORT = 4000


def instructions(name: str) -> list[str]:
    parser = DockerfileParser(path=str(DOCKERFILE), cache_content=True)
    return [item["value"] for item in parser.structure if item["instruction"] == name]


def run_commands() -> list[list[str]]:
    """Every RUN split into its shell commands (on && and ;), each as its words."""
    commands = []
    for value in instructions("RUN"):
        for command in re.split(r"&&|;", value):
            words = shlex.split(command)
            if words:
                commands.append(words)
    return commands


def pip_installs() -> list[list[str]]:
    return [words[2:] for words in run_commands() if words[:2] == ["pip", "install"]]


def project_pin(name: str) -> str:
    """The exact version pyproject.toml pins `name` to (`name==X`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == name:
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"pyproject pins {name} with {spec}, not =="
            return spec.version
    raise AssertionError(f"{name} is not a dependency in pyproject.toml")


def grpc_module() -> str:
    (entry,) = yaml.safe_load((ROOT / "workspace.yaml").read_text())["load_from"]
    return entry["python_module"]["module_name"]


def test_slim_python_311_base_matching_requires_python():
    parser = DockerfileParser(path=str(DOCKERFILE), cache_content=True)
    assert not parser.is_multistage
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", parser.baseimage), parser.baseimage
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert "3.11" in SpecifierSet(requires)


def test_runs_as_a_numeric_non_root_user_created_in_the_image():
    users = instructions("USER")
    assert users, "no USER: the container would run as root"
    user, _, group = users[-1].partition(":")
    assert user.isdigit() and int(user) != 0, users[-1]
    assert not group or (group.isdigit() and int(group) != 0), users[-1]
    (useradd,) = [words for words in run_commands() if words[0] == "useradd"]
    assert useradd[useradd.index("--uid") + 1] == user
    # nothing runs as root after the switch, and the command comes after it
    parser = DockerfileParser(path=str(DOCKERFILE), cache_content=True)
    order = [item["instruction"] for item in parser.structure if item["instruction"] != "COMMENT"]
    last_user = len(order) - 1 - order[::-1].index("USER")
    assert "RUN" not in order[last_user:] and order.index("CMD") > last_user


def test_torch_pinned_as_the_project_pins_it_from_the_cpu_index():
    pin = project_pin("torch")
    torch_installs = [args for args in pip_installs() if any(a.startswith("torch") for a in args)]
    assert torch_installs == [["--index-url", CPU_INDEX, f"torch=={pin}"]]
    # the Makefile installs through pyproject; should it ever name torch, it must be the same pin
    for found in re.findall(r"torch==([\w.+]+)", (ROOT / "Makefile").read_text()):
        assert found == pin
    # torch comes before the project, so that `pip install <project>` finds it satisfied (2.x.y+cpu)
    order = [i for i, args in enumerate(pip_installs()) if any(a.startswith("torch") for a in args)]
    project = [i for i, args in enumerate(pip_installs()) if "/tmp/sacnn-src" in args]
    assert order and project and order[0] < project[0]


def test_the_project_is_copied_and_installed_not_editable():
    copies = [shlex.split(value) for value in instructions("COPY")]
    copied = {source for words in copies for source in words[:-1]}
    assert {"pyproject.toml", "README.md", "sacnn_dagster"} <= copied  # README: pyproject's `readme`
    for source in copied:
        assert (ROOT / source).exists(), source
    (install,) = [args for args in pip_installs() if "/tmp/sacnn-src" in args]
    assert "-e" not in install and "--editable" not in install


def test_dagster_libraries_are_the_ones_released_with_the_pinned_dagster():
    dagster = project_pin("dagster")
    major, minor, patch = (int(part) for part in dagster.split("."))
    # Dagster's libraries are versioned 0.(minor + 16).patch alongside dagster 1.minor.patch (1.13.27: 0.29.27)
    library = f"0.{minor + 16}.{patch}"
    assert major == 1
    (install,) = [args for args in pip_installs() if "/tmp/sacnn-src" in args]
    pins = dict(arg.split("==") for arg in install if "==" in arg)
    assert pins == {
        "dagster-postgres": library,
        "dagster-k8s": library,
        "dagster-aws": library,
        "dagster-cloud": dagster,
    }


def test_serves_the_code_location_over_grpc_on_the_exposed_port():
    assert instructions("EXPOSE") == [str(GRPC_PORT)]
    # the command is a CMD in exec form: the K8sRunLauncher replaces it with its own `args` for run pods,
    # which an ENTRYPOINT would prefix
    assert instructions("ENTRYPOINT") == []
    (cmd,) = instructions("CMD")
    assert json.loads(cmd) == ["dagster", "api", "grpc", "-m", grpc_module(), "-h", "0.0.0.0", "-p", str(GRPC_PORT)]


def test_no_secret_or_location_setting_is_baked_into_the_image():
    from sacnn_dagster.io.credentials import ENV_VARS

    baked = " ".join(instructions("ENV") + instructions("ARG"))
    for name in [*ENV_VARS.values(), "SACNN_ALERT_WEBHOOK", "SACNN_REGIONS", "SACNN_REGION", "SACNN_STORAGE"]:
        assert name not in baked


@pytest.mark.parametrize("kept_out", [".venv", ".git", ".dagster_home", "sacnn-output", "demo-region"])
def test_dockerignore_keeps_the_virtualenv_and_outputs_out(kept_out):
    patterns = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()[:1] not in ("", "#")
    ]
    assert kept_out in patterns
    for needed in ("pyproject.toml", "README.md", "sacnn_dagster"):
        assert needed not in patterns
