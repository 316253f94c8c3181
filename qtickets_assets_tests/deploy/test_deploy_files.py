"""The deployment files agree with each other, with the package and with the public contract.

No Docker engine is needed: the files are parsed and cross-checked, which catches the usual
breakages (a renamed module, a moved config, a port changed in one place only, a leaked password).
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from qtickets_assets_tests.deploy.files import (
    COMPOSE,
    DEPLOY,
    ROOT,
    VAR_REF,
    build_of,
    dockerfile_cmd,
    dockerfile_env,
    dockerfile_instructions,
    load_yaml,
    resolve,
    setup_superset_module,
)

LOCATION = "qtickets_assets"
MODULE = "qtickets_assets.definitions"
# The contract's environment variables (docs/contract.md, "How it is driven").
CONTRACT_ENV = ("QTICKETS_BASE_URL", "QTICKETS_TOKEN", "CLICKHOUSE_URL", "CLICKHOUSE_DATABASE",
                "QTICKETS_MAX_CONCURRENCY")  # fmt: skip
CONTRACT_FILE = ROOT / "docs" / "contract.md"
PLACEHOLDER = "change-me"
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET", re.IGNORECASE)
SUPERSET_DIR = ROOT / "dashboards" / "superset"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def command_args(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def option(args: list[str], *names: str) -> str:
    for i, arg in enumerate(args):
        if arg in names:
            return args[i + 1]
    raise AssertionError(f"none of {names} in {args}")


def builds(compose: dict[str, Any]) -> list[tuple[Path, Path]]:
    """Every distinct (context, Dockerfile) the compose file builds."""
    return sorted({build_of(s) for s in services(compose).values() if "build" in s})


def deploy_text_files() -> list[Path]:
    built = builds(load_yaml(COMPOSE))
    return sorted(
        {
            *(dockerfile for _, dockerfile in built),
            *(context / ".dockerignore" for context, _ in built),
            *(p for p in DEPLOY.rglob("*") if p.is_file()),
        }
    )


# --- files exist ---------------------------------------------------------------------------------


def test_compose_build_contexts_and_dockerfiles_exist(compose: dict[str, Any]) -> None:
    built = builds(compose)
    assert {dockerfile for _, dockerfile in built} == {ROOT / "Dockerfile", SUPERSET_DIR / "Dockerfile"}
    for context, dockerfile in built:
        assert context.is_dir(), context
        assert dockerfile.is_file(), dockerfile


def test_compose_bind_mounts_exist(compose: dict[str, Any]) -> None:
    named = set(compose.get("volumes") or {})
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source in named:
                continue
            assert source.startswith("."), f"{name}: {volume} is neither a named volume nor relative"
            assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"


def copy_sources(dockerfile: Path) -> list[str]:
    sources = []
    for keyword, rest in dockerfile_instructions(dockerfile):
        if keyword == "COPY":
            *names, _destination = [a for a in rest.split() if not a.startswith("--")]
            sources += names
    return sources


def test_dockerfile_copy_sources_exist_and_are_not_dockerignored(compose: dict[str, Any]) -> None:
    for context, dockerfile in builds(compose):
        ignored = {
            line.strip()
            for line in (context / ".dockerignore").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        }
        sources = copy_sources(dockerfile)
        assert sources, dockerfile
        for source in sources:
            assert (context / source).exists(), f"{dockerfile}: COPY {source}: missing"
            assert source not in ignored, f"{dockerfile}: COPY {source}: excluded by .dockerignore"


def test_dockerfiles_base_user_and_no_baked_secret(compose: dict[str, Any]) -> None:
    for _, dockerfile in builds(compose):
        instructions = list(dockerfile_instructions(dockerfile))
        froms = [rest for keyword, rest in instructions if keyword == "FROM"]
        assert froms and all(f.startswith("python:3.11-slim") for f in froms), dockerfile
        users = [rest for keyword, rest in instructions if keyword == "USER"]
        assert users and users[-1] not in {"root", "0"}, f"{dockerfile}: the image must not run as root"
        assert not [
            rest for keyword, rest in instructions if keyword in {"ENV", "ARG"} and SECRET_NAME.search(rest)
        ], dockerfile


def dagster_image_runs() -> str:
    return " ".join(
        rest for keyword, rest in dockerfile_instructions(ROOT / "Dockerfile") if keyword == "RUN"
    )


def test_dagster_image_installs_the_project_with_its_constraints() -> None:
    runs = dagster_image_runs()
    assert "pip install -c constraints.txt '.[deploy]'" in runs


def test_dagster_image_has_the_time_zones_arrow_reads_local_days_in() -> None:
    runs = dagster_image_runs()
    assert "apt-get install -y --no-install-recommends tzdata " in runs
    assert "apt-get install -y --no-install-recommends tzdata-legacy" in runs


# --- Python modules and the location name --------------------------------------------------------


def test_every_module_named_is_importable(compose: dict[str, Any]) -> None:
    modules = {option(dockerfile_cmd(ROOT / "Dockerfile"), "-m", "--module-name")}
    for service in services(compose).values():
        args = command_args(service)
        if "-m" in args or "--module-name" in args:
            modules.add(option(args, "-m", "--module-name"))
    for entry in load_yaml(ROOT / "workspace.yaml")["load_from"]:
        modules.add(entry["python_module"]["module_name"])
    assert modules == {MODULE}
    assert importlib.util.find_spec(MODULE) is not None


def test_location_name_is_the_same_everywhere(compose: dict[str, Any]) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["dg"]["project"]["code_location_name"] == LOCATION
    names = [
        load_yaml(ROOT / "workspace.yaml")["load_from"][0]["python_module"]["location_name"],
        load_yaml(DEPLOY / "workspace.yaml")["load_from"][0]["grpc_server"]["location_name"],
        option(dockerfile_cmd(ROOT / "Dockerfile"), "--location-name"),
        option(command_args(services(compose)["code"]), "--location-name"),
    ]
    assert names == [LOCATION] * 4


def test_code_server_address_agrees_between_compose_and_workspace(compose: dict[str, Any]) -> None:
    entries = load_yaml(DEPLOY / "workspace.yaml")["load_from"]
    assert len(entries) == 1
    grpc = entries[0]["grpc_server"]
    args = command_args(services(compose)["code"])
    assert grpc["host"] in services(compose), "workspace host must be a compose service name"
    assert int(option(args, "-p", "--port")) == int(grpc["port"])
    assert option(args, "-h", "--host") == "0.0.0.0", "the server must listen beyond its own loopback"
    for name in ("webserver", "daemon"):
        assert (
            option(command_args(services(compose)[name]), "-w", "--workspace")
            == "/opt/dagster/workspace.yaml"
        )
        mounts = services(compose)[name]["volumes"]
        assert "./workspace.yaml:/opt/dagster/workspace.yaml:ro" in mounts
        assert "./dagster.yaml:/opt/dagster/dagster_home/dagster.yaml:ro" in mounts


def test_code_image_cmd_matches_compose_command(compose: dict[str, Any]) -> None:
    assert dockerfile_cmd(ROOT / "Dockerfile") == command_args(services(compose)["code"])


# --- images and environment ----------------------------------------------------------------------


def test_clickhouse_image_is_at_least_24_8(compose: dict[str, Any]) -> None:
    image = services(compose)["clickhouse"]["image"]
    name, _, tag = image.partition(":")
    assert name == "clickhouse/clickhouse-server"
    match = re.match(r"(\d+)\.(\d+)", tag)
    assert match, f"pin a version, not {tag!r}"
    assert (int(match[1]), int(match[2])) >= (24, 8)


def test_contract_env_vars_reach_the_code_location(compose: dict[str, Any]) -> None:
    named = set(re.findall(r"\| `([A-Z][A-Z0-9_]+)` \|", CONTRACT_FILE.read_text(encoding="utf-8")))
    assert named == set(CONTRACT_ENV)
    env = services(compose)["code"]["environment"]
    missing = [name for name in CONTRACT_ENV if name not in env]
    assert not missing
    assert env["CLICKHOUSE_URL"].startswith("http://etl_writer:${CLICKHOUSE_ETL_PASSWORD")
    assert env["CLICKHOUSE_URL"].endswith("@clickhouse:8123")


def test_every_qtickets_variable_of_the_readme_reaches_the_code_location(compose: dict[str, Any]) -> None:
    """Sensors and assets run in the code service: a variable the README's configuration table
    lists but the compose file does not pass (the alert hook once) would silently do nothing."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(QTICKETS_[A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert "QTICKETS_ALERT_WEBHOOK_URL" in listed
    assert sorted(listed - set(services(compose)["code"]["environment"])) == []


def test_every_compose_variable_is_in_env_example() -> None:
    example = dict(
        line.split("=", 1)
        for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    referenced = {m["name"]: m["rest"] for m in VAR_REF.finditer(COMPOSE.read_text(encoding="utf-8"))}
    missing = [name for name in referenced if name not in example]
    assert not missing, f"add to deploy/.env.example: {missing}"
    for name, value in example.items():
        if SECRET_NAME.search(name):
            assert value == PLACEHOLDER, f"{name} in .env.example must be {PLACEHOLDER!r}"


# --- instance configuration ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [ROOT / "dagster.yaml", DEPLOY / "dagster.yaml"], ids=["local", "deploy"])
def test_dagster_yaml_is_valid_instance_config(path: Path, tmp_path: Path) -> None:
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster._serdes.config_class import class_from_code_pointer, convert_dagster_submodule_name

    (tmp_path / "dagster.yaml").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["telemetry"] == {"enabled": False}
    assert config["run_retries"]["enabled"] is True
    for key in ("run_coordinator", "run_launcher", "compute_logs"):
        if key in config:
            entry = config[key]
            # Dagster maps the documented `dagster.core.*` spelling to its private modules.
            module = convert_dagster_submodule_name(entry["module"], "private")
            klass = class_from_code_pointer(module, entry["class"])
            result = validate_config(klass.config_type(), entry.get("config") or {})
            assert result.success, f"{path.name} {key}: {[e.message for e in result.errors]}"


def test_deploy_instance_uses_postgres_from_env_and_limits_api_runs() -> None:
    config = load_yaml(DEPLOY / "dagster.yaml")
    db = config["storage"]["postgres"]["postgres_db"]
    assert all(isinstance(v, dict) and v["env"].startswith("DAGSTER_POSTGRES_") for v in db.values())
    coordinator = config["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    assert {"key": "qtickets/api", "limit": 1} in config["concurrency"]["runs"]["tag_concurrency_limits"]
    # UI materializations carry no job tag: the API assets' pool holds them to one step at a time.
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_launcher"]["class"] in {"DefaultRunLauncher", "DockerRunLauncher"}


def test_root_workspace_loads_the_definitions_module() -> None:
    (entry,) = load_yaml(ROOT / "workspace.yaml")["load_from"]
    assert entry["python_module"]["module_name"] == MODULE


# --- no credentials in deploy files --------------------------------------------------------------

_ASSIGNMENT = re.compile(r"(?P<key>\w*(?:PASSWORD|TOKEN|SECRET)\w*)\s*[:=]\s*(?P<value>\S*)", re.I)
_URL_CREDENTIALS = re.compile(r"://[^/\s:@]+:(?P<password>[^@\s]+)@")


def literal_secret_problems(text: str) -> list[str]:
    """Values of secret-named keys and URL passwords that are not ${VAR}/$VAR/{env:…}/change-me."""
    text = VAR_REF.sub("${VAR}", text)  # a reference's own text (`:?message`) is not a value
    problems = []
    for match in _ASSIGNMENT.finditer(text):
        value = match["value"].strip("\"'")
        if value and value != PLACEHOLDER and not value.startswith(("$", "{env:", "{")):
            problems.append(f"{match['key']}={value[:3]}…")
    for match in _URL_CREDENTIALS.finditer(text):
        if not match["password"].startswith("$"):
            problems.append(f"URL password {match['password'][:3]}…")
    return problems


def test_literal_secret_detector_catches_a_planted_password() -> None:
    assert literal_secret_problems("POSTGRES_PASSWORD: " + "hunter2") != []
    assert literal_secret_problems("DB_PASSWORD_2=" + "hunter2") != []
    assert literal_secret_problems("url: http://etl_writer:" + "hunter2" + "@clickhouse:8123") != []
    assert literal_secret_problems("POSTGRES_PASSWORD: ${DAGSTER_POSTGRES_PASSWORD:?set it}") == []
    assert (
        literal_secret_problems("QTICKETS_TOKEN=change-me\npassword: {env: DAGSTER_POSTGRES_PASSWORD}") == []
    )


@pytest.mark.parametrize("path", deploy_text_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_literal_password_in_deploy_files(path: Path) -> None:
    assert literal_secret_problems(path.read_text(encoding="utf-8")) == []


def test_the_project_needs_nothing_outside_its_repository() -> None:
    """A clone stands on its own: no link or path reaches beside the checkout (copies live in docs/)."""
    outside = re.compile(r"\.\./shared|\.\./\.\./")
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    tracked = [ROOT / name for name in listed.stdout.splitlines() if (ROOT / name).is_file()]
    offenders = [
        str(path.relative_to(ROOT)) for path in tracked if outside.search(path.read_text(errors="ignore"))
    ]
    assert not offenders


# --- Superset ------------------------------------------------------------------------------------

SUPERSET_PIN = re.compile(r"^apache[-_.]superset==", re.I | re.M)  # a pin, however the name is spelt
SUPERSET_SECRETS = ("CLICKHOUSE_READER_PASSWORD", "SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD")


@pytest.fixture(scope="module")
def setup_superset() -> ModuleType:
    return setup_superset_module()


@pytest.fixture(scope="module")
def superset_image(compose: dict[str, Any]) -> tuple[Path, Path]:
    return build_of(services(compose)["superset"])


def test_superset_service_reads_the_clickhouse_service_as_the_read_only_user(
    compose: dict[str, Any], setup_superset: ModuleType
) -> None:
    service = services(compose)["superset"]
    assert service["depends_on"] == {"clickhouse": {"condition": "service_healthy"}}
    env = service["environment"]
    server = urlsplit(env["CLICKHOUSE_URL"])
    assert (server.scheme, server.hostname, server.port) == ("http", "clickhouse", 8123)
    assert server.username is None and server.password is None, "the reader's password comes on its own"
    assert any(str(port).endswith(":8123") for port in services(compose)["clickhouse"]["ports"])
    # Each secret is required from deploy/.env under its own name: never a literal, never a default.
    for name in SUPERSET_SECRETS:
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", env[name]), env[name]
    values = {name: f"test-{name}" for name in SUPERSET_SECRETS}
    resolved = {key: resolve(str(value), values) for key, value in env.items()}
    # What the image's set-up script writes into Superset's metadata from that environment.
    assert setup_superset.mart_uri(resolved) == (
        "clickhousedb://datalens_reader:test-CLICKHOUSE_READER_PASSWORD@clickhouse:8123/qtickets"
        "?interface=http"
    )


def test_the_superset_reader_is_the_read_only_user_of_the_rbac_module(setup_superset: ModuleType) -> None:
    roles = (ROOT / "clickhouse" / "rbac" / "roles.sql").read_text(encoding="utf-8")
    sql = " ".join(line for line in roles.splitlines() if not line.lstrip().startswith("--"))
    reader = setup_superset.READER
    statements = [" ".join(s.split()) for s in sql.split(";") if re.search(rf"\b{reader}\b", s)]
    users = [s for s in statements if s.startswith(("CREATE USER", "ALTER USER"))]
    assert len(users) == 2 and all(s.endswith("SETTINGS readonly = 2") for s in users), users
    grants = [s for s in statements if s.startswith("GRANT")]
    assert grants == [f"GRANT SELECT ON {{database}}.* TO {reader}"]
    database = load_yaml(next((SUPERSET_DIR / "bundle" / "databases").glob("*.yaml")))
    assert database["sqlalchemy_uri"].startswith(f"clickhousedb://{reader}@")


def test_superset_image_installs_the_pins_of_make_superset(superset_image: tuple[Path, Path]) -> None:
    context, dockerfile = superset_image
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    superset_dir = re.search(r"^SUPERSET_DIR := (\S+)$", makefile, re.M)
    assert superset_dir and context == (ROOT / superset_dir[1]).resolve() == SUPERSET_DIR
    assert (
        "pip install --quiet -c $(SUPERSET_DIR)/constraints.txt -r $(SUPERSET_DIR)/requirements.txt"
        in makefile
    )
    runs = [rest for keyword, rest in dockerfile_instructions(dockerfile) if keyword == "RUN"]
    assert "pip install -c constraints.txt -r requirements.txt" in runs
    assert {"constraints.txt", "requirements.txt"} <= set(copy_sources(dockerfile))
    # One source of pins: no other tracked file pins Superset.
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    pinning = sorted(
        name for name in listed.stdout.splitlines()
        if (ROOT / name).is_file() and SUPERSET_PIN.search((ROOT / name).read_text(errors="ignore"))
        and not name.startswith(("qtickets_assets_tests/", "docs/", "README"))
    )  # fmt: skip
    assert pinning == ["dashboards/superset/constraints.txt", "dashboards/superset/requirements.txt"]


def test_superset_image_copies_the_bundle_and_imports_it_on_every_start(
    compose: dict[str, Any], superset_image: tuple[Path, Path], setup_superset: ModuleType
) -> None:
    context, dockerfile = superset_image
    instructions = list(dockerfile_instructions(dockerfile))
    copies = [rest.split() for keyword, rest in instructions if keyword == "COPY"]
    assert ["bundle", "./bundle"] in copies
    assert ["superset_config.py", "setup_superset.py", "./"] in copies
    # The script finds the bundle beside itself, as it does in the repository.
    assert context / "bundle" == setup_superset.BUNDLE
    assert (context / "bundle" / "metadata.yaml").is_file()
    shell, flag, script = dockerfile_cmd(dockerfile)
    assert (shell, flag) == ("sh", "-c")
    set_up, _, serve = script.partition(" && exec ")
    assert set_up == "python setup_superset.py"
    assert serve.startswith("gunicorn --bind 0.0.0.0:8088 ")
    workdir = [rest for keyword, rest in instructions if keyword == "WORKDIR"][-1]
    env = dockerfile_env(dockerfile)
    assert env["SUPERSET_CONFIG_PATH"] == f"{workdir}/superset_config.py"
    service = services(compose)["superset"]
    # Superset's metadata (SQLite under QTICKETS_SUPERSET_HOME) outlives the container.
    assert service["volumes"] == [f"superset-data:{env['QTICKETS_SUPERSET_HOME']}"]
    assert "superset-data" in compose["volumes"]
    assert service["ports"] == ["127.0.0.1:${SUPERSET_PORT:-8088}:8088"]
    assert "http://127.0.0.1:8088/health" in " ".join(service["healthcheck"]["test"])


@pytest.mark.parametrize("config", [ROOT / "dagster.yaml", DEPLOY / "dagster.yaml"])
def test_a_run_whose_process_died_cannot_hold_the_one_run_queue_for_good(config) -> None:
    """The default run launcher cannot tell a dead run worker: a run left STARTED when `make dev`
    stopped mid-run held its slot (one run at a time here, one API run in a deployment) until a
    limit marks it failed."""
    settings = load_yaml(config)
    assert settings["run_monitoring"]["enabled"] is True
    assert settings["run_monitoring"]["max_runtime_seconds"] == 3600


def test_dagster_image_gives_matplotlib_a_folder_its_user_can_write() -> None:
    """The user has no home: matplotlib warned and built its font cache anew in every run process
    that drew the views' charts (~1 s each)."""
    envs = " ".join(
        rest for keyword, rest in dockerfile_instructions(ROOT / "Dockerfile") if keyword == "ENV"
    )
    assert "MPLCONFIGDIR=/opt/dagster/matplotlib" in envs
    runs = dagster_image_runs()
    assert 'chown -R dagster:dagster "$DAGSTER_HOME" /opt/dagster/compute_logs "$MPLCONFIGDIR"' in runs
    assert 'python -c "import matplotlib.font_manager"' in runs
