"""Reading the deployment files as Docker and Compose would: Dockerfile instructions, a compose
service's build context, and `${VAR}` references resolved against given values. Shared by the deploy
file tests and the opt-in test that runs the Superset image's command without Docker."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yaml"
VAR_REF = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?P<rest>[^}]*)\}")


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dockerfile_instructions(path: Path) -> Iterator[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#") and not logical:
            continue
        logical += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            if logical.strip():
                keyword, _, rest = logical.strip().partition(" ")
                yield keyword.upper(), rest.strip()
            logical = ""


def dockerfile_cmd(path: Path) -> list[str]:
    cmds = [json.loads(rest) for keyword, rest in dockerfile_instructions(path) if keyword == "CMD"]
    assert cmds, f"{path} has no CMD"
    return list(cmds[-1])


def dockerfile_env(path: Path) -> dict[str, str]:
    """The image's environment from its `ENV key=value ...` instructions."""
    env = {}
    for keyword, rest in dockerfile_instructions(path):
        if keyword == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(rest))
    return env


def build_of(service: dict[str, Any]) -> tuple[Path, Path]:
    """(context directory, Dockerfile) of a compose service that is built from the repository."""
    context = (DEPLOY / service["build"]["context"]).resolve()
    return context, context / service["build"].get("dockerfile", "Dockerfile")


def resolve(value: str, values: Mapping[str, str]) -> str:
    """A compose value with its `${NAME}`, `${NAME:-default}` and `${NAME:?message}` filled in."""

    def one(match: re.Match[str]) -> str:
        name, rest = match["name"], match["rest"]
        if values.get(name):
            return values[name]
        if rest.startswith(":-"):
            return rest[2:]
        raise AssertionError(f"{name} is required ({rest.removeprefix(':?')})")

    return VAR_REF.sub(one, value)


def setup_superset_module() -> ModuleType:
    """dashboards/superset/setup_superset.py (what `make superset` and the Superset image run at
    start), imported without Superset: it needs Superset only once its `main` runs."""
    path = ROOT / "dashboards" / "superset" / "setup_superset.py"
    spec = importlib.util.spec_from_file_location("setup_superset", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
