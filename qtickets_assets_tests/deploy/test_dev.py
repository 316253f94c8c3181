"""`make dev` (`python -m qtickets_assets.demo dev`): the web UI starts without Dagster's warning
about our dagster.yaml, and a SIGTERM stops the whole process tree."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qtickets_assets.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(root: int) -> set[int]:
    """Every living process below `root`, from /proc (parent ids)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for_webserver(port: int, dev: subprocess.Popen[bytes]) -> None:
    # A limit on waiting for start-up, not an assertion on speed: a healthy start takes seconds.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and dev.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"dg dev never served on port {port} (exit code {dev.poll()})")


@pytest.mark.slow
def test_dev_starts_without_the_dagster_yaml_warning_and_sigterm_stops_every_process(tmp_path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "CLICKHOUSE_URL": f"chdb://{tmp_path / 'ch'}",
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    log = tmp_path / "dev.log"  # a file, not a pipe: a surviving child would hold a pipe open
    with log.open("w") as out:
        dev = subprocess.Popen(
            [sys.executable, "-m", "qtickets_assets.demo", "dev", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        wait_for_webserver(port, dev)
        tree = descendants(dev.pid)
        commands = " ".join(Path(f"/proc/{pid}/cmdline").read_text() for pid in tree if alive(pid))
        assert all(name in commands for name in ("dg\0dev", "dagster_webserver", "dagster._daemon", "grpc"))
        dev.send_signal(signal.SIGTERM)
        dev.wait(timeout=120)
    finally:
        if dev.poll() is None:
            dev.kill()
    survivors = [pid for pid in tree if alive(pid)]
    for pid in survivors:  # the test's own clean-up; the assertion below names them
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"{len(survivors)} of {len(tree)} processes survived SIGTERM"
    assert dev.returncode == 0
    output = log.read_text()
    assert "Found a dagster instance configuration value" not in output, output[-3000:]
