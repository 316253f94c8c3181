"""Opt-in (`make superset-test`): the deploy/ Superset image's start, run without Docker.

What Docker would do is done by hand: the build context (dashboards/superset less its
.dockerignore) is copied to a directory standing for the image's WORKDIR, .venv-superset (the same
pins) stands for the image's `pip install`, and the image's CMD runs there with the image's ENV and
the compose service's environment. Two changes, both for want of Docker's network: gunicorn binds a
free loopback port instead of 0.0.0.0:8088, and CLICKHOUSE_URL names a closed local port (no
ClickHouse server runs here, so the charts get no data; the import must not need the server, which
may still lack the reader until the rbac step runs). A second start with new passwords stands for
a restart after a rotation in deploy/.env.

Needs .venv-superset (`make superset` installs it). Set QTICKETS_SUPERSET_TEST=1.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from qtickets_assets_tests.deploy.files import (
    COMPOSE,
    ROOT,
    build_of,
    dockerfile_cmd,
    dockerfile_env,
    dockerfile_instructions,
    load_yaml,
    resolve,
)
from qtickets_assets_tests.superset.service import free_port, wait_until_healthy

SUPERSET_BIN = ROOT / ".venv-superset" / "bin"
CHARTS = 16
IMAGE_BIND = "0.0.0.0:8088"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("QTICKETS_SUPERSET_TEST") != "1", reason="opt-in: make superset-test"),
]


def image_workdir(tmp: Path) -> tuple[Path, str]:
    """A copy of the Superset image's build context, as its COPY instructions lay it out, and the
    image's WORKDIR it stands for."""
    service = load_yaml(COMPOSE)["services"]["superset"]
    context, dockerfile = build_of(service)
    ignored = [line.strip().removeprefix("**/")
               for line in (context / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]  # fmt: skip
    workdir = tmp / "image"
    workdir.mkdir()
    for keyword, rest in dockerfile_instructions(dockerfile):
        if keyword == "COPY":
            *sources, destination = rest.split()
            for source in sources:
                target = workdir / destination / (Path(source).name if destination.endswith("/") else "")
                if (context / source).is_dir():
                    shutil.copytree(context / source, target, ignore=shutil.ignore_patterns(*ignored))
                else:
                    shutil.copy2(context / source, target)
    (image_dir,) = [rest for keyword, rest in dockerfile_instructions(dockerfile) if keyword == "WORKDIR"]
    return workdir, image_dir


def container_env(
    workdir: Path, image_dir: str, home: Path, secrets_env: dict[str, str], port: int
) -> dict[str, str]:
    """The image's ENV and the compose service's environment, the image's paths under `workdir`."""
    service = load_yaml(COMPOSE)["services"]["superset"]
    _, dockerfile = build_of(service)
    image_env = dockerfile_env(dockerfile)
    env = {key: value.replace(image_dir, str(workdir)) for key, value in image_env.items()}
    env["QTICKETS_SUPERSET_HOME"] = str(home)
    env.update({key: resolve(str(value), secrets_env) for key, value in service["environment"].items()})
    env["CLICKHOUSE_URL"] = f"http://127.0.0.1:{port}"  # closed: no ClickHouse server runs here
    env["PATH"] = f"{SUPERSET_BIN}{os.pathsep}{os.environ['PATH']}"  # `python`, `gunicorn`: the same pins
    env["HOME"] = str(home)
    return env


@contextmanager
def started(workdir: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """The image's CMD, run in `workdir`; yields Superset's URL once it answers /health."""
    _, dockerfile = build_of(load_yaml(COMPOSE)["services"]["superset"])
    command = dockerfile_cmd(dockerfile)
    port = free_port()
    assert IMAGE_BIND in command[-1]
    command[-1] = command[-1].replace(IMAGE_BIND, f"127.0.0.1:{port}")
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def api(url: str, path: str, token: str = "", body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def log_in(url: str, password: str) -> str:
    body = {"username": "admin", "password": password, "provider": "db", "refresh": False}
    return str(api(url, "/api/v1/security/login", body=body)["access_token"])


def metadata(home: Path) -> dict[str, Any]:
    with closing(sqlite3.connect(home / "superset.db")) as db:
        return {
            "databases": db.execute("SELECT database_name, sqlalchemy_uri FROM dbs").fetchall(),
            "dashboards": db.execute("SELECT slug FROM dashboards").fetchall(),
            "charts": db.execute("SELECT count(*) FROM slices").fetchone()[0],
            "datasets": db.execute("SELECT count(*) FROM tables").fetchone()[0],
        }


def test_the_image_imports_the_bundle_as_the_reader_and_serves_it_again_after_a_restart(
    tmp_path: Path,
) -> None:
    if not (SUPERSET_BIN / "gunicorn").exists():
        pytest.fail(".venv-superset is missing: run `make superset` (it installs it)")
    workdir, image_dir = image_workdir(tmp_path)
    home = tmp_path / "superset-data"
    home.mkdir()
    closed_port = free_port()
    log = tmp_path / "container.log"
    expected = {
        "databases": [("Qtickets mart",
                       f"clickhousedb://datalens_reader:XXXXXXXXXX@127.0.0.1:{closed_port}/qtickets?interface=http")],
        "dashboards": [("qtickets-sales",)],
        "charts": CHARTS,
        "datasets": 6,
    }  # fmt: skip
    secret_key = secrets.token_hex(24)  # kept across the restart, as deploy/README.md asks
    used = []
    for start in ("first start", "restart after a rotation"):
        values = {
            "CLICKHOUSE_READER_PASSWORD": f"reader-{secrets.token_hex(8)}",
            "SUPERSET_ADMIN_PASSWORD": f"admin-{secrets.token_hex(8)}",
            "SUPERSET_SECRET_KEY": secret_key,
        }
        used.append(values)
        env = container_env(workdir, image_dir, home, values, closed_port)
        with started(workdir, env, log) as url:
            token = log_in(url, values["SUPERSET_ADMIN_PASSWORD"])
            charts = api(url, "/api/v1/dashboard/qtickets-sales/charts", token)["result"]
            assert len(charts) == CHARTS, start
        assert metadata(home) == expected, start
    output = log.read_bytes()
    stored = (home / "superset.db").read_bytes()
    for values in used:
        for name in ("CLICKHOUSE_READER_PASSWORD", "SUPERSET_ADMIN_PASSWORD"):
            assert values[name].encode() not in output, f"{name} printed"
            assert values[name].encode() not in stored, f"{name} stored in clear"
    assert b"reading clickhousedb://datalens_reader@127.0.0.1:" in output
