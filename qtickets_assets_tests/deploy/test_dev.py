"""`make dev` (`python -m qtickets_assets.demo dev`): the web UI starts without Dagster's warning
about our dagster.yaml, its console stays quiet while nothing happens yet shows a failed run, and a
SIGTERM stops the whole process tree."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qtickets_assets import demo
from qtickets_assets.settings import REPO_ROOT
from qtickets_assets_tests.reliability.helpers import FAST_FAILING_RUN

SALES_JOB = {
    "repositoryLocationName": "qtickets_assets",
    "repositoryName": "__repository__",
    "jobName": "sales_job",
}
LAUNCH_RUN = """mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) { __typename ... on PythonError { message } }
}"""
SALES_RUNS = """{ runsOrError(filter: {pipelineName: "sales_job"}) {
  ... on Runs { results { runId status } }
} }"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


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


def test_dev_logs_the_webserver_and_daemon_at_warning_level() -> None:
    """At INFO an idle `make dev` wrote ~6 daemon lines a minute (every automation tick)."""
    command = demo.dev_command(3012)
    assert command[command.index("--log-level") + 1] == "warning"


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    answer = httpx.post(
        f"http://127.0.0.1:{port}/graphql", json={"query": query, "variables": variables or {}}, timeout=30
    )
    answer.raise_for_status()
    return answer.json()["data"]


def launch_failing_sales_run(port: int, log: Path) -> None:
    """sales_job while the sandbox answers every request with 503 (its fault route, from the URL
    `make dev` printed), as the UI's Launchpad launches it; then waits for it and its retry."""
    sandbox_api = log.read_text().split("sandbox API at ", 1)[1].split()[0]
    faults = sandbox_api.removesuffix("/api/rest/v1") + "/_sandbox/faults"
    httpx.post(faults, json={"fault_503": 1.0}, timeout=10).raise_for_status()
    params = {"selector": SALES_JOB, "runConfigData": FAST_FAILING_RUN}
    launched = graphql(port, LAUNCH_RUN, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    # A limit on waiting, not on speed: the run and its one retry (dagster.yaml) fail in seconds.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        statuses = [run["status"] for run in graphql(port, SALES_RUNS)["runsOrError"]["results"]]
        if len(statuses) == 2 and set(statuses) <= FINISHED:
            return
        time.sleep(2)
    pytest.fail(f"the failing sales run and its retry did not finish: {statuses}")


def wait_for_lines(log: Path, text: str, count: int) -> None:
    """Until the console shows `count` lines with `text`: the runs' statuses come from the UI, their
    lines from the console's file, and the one is not assumed to follow the other (a full suite saw
    one step failure line where two runs had finished; the assertions below list what arrived)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and log.read_text().count(text) < count:
        time.sleep(0.5)


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def handles_sigint(pid: int) -> bool:
    """Whether `pid` has a handler for SIGINT (Python's KeyboardInterrupt), from /proc: a process
    started with SIGINT ignored keeps ignoring it, and Python then installs none."""
    status = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return bool(int(status["SigCgt"], 16) & 1 << (signal.SIGINT - 1))


@pytest.mark.slow
def test_dev_is_quiet_shows_a_failed_run_and_sigterm_stops_every_process(tmp_path) -> None:
    """One `make dev` for three promises (starting it is the expensive part): no Dagster warning
    about our dagster.yaml and none of the daemon's or webserver's INFO lines; a failed run's
    cause still reaches the console; SIGTERM leaves no process behind."""
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
            preexec_fn=ignore_sigint,  # as `make dev &` starts it: a background job ignores SIGINT
        )  # fmt: skip
    try:
        wait_for_webserver(port, dev)
        launch_failing_sales_run(port, log)
        wait_for_lines(log, "fact_sales - STEP_FAILURE - ", 2)
        tree = descendants(dev.pid)
        commands = " ".join(Path(f"/proc/{pid}/cmdline").read_text() for pid in tree if alive(pid))
        assert all(name in commands for name in ("dg\0dev", "dagster_webserver", "dagster._daemon", "grpc"))
        (dg_dev,) = [pid for pid in tree if "dg\0dev" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert handles_sigint(dg_dev), "dg dev inherited an ignored SIGINT: it would not stop on Ctrl-C"
        dev.send_signal(signal.SIGTERM)
        dev.wait(timeout=120)
    finally:
        if dev.poll() is None:  # failed before SIGTERM: its tree is in a session of its own
            for pid in descendants(dev.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            dev.kill()
    survivors = [pid for pid in tree if alive(pid)]
    for pid in survivors:  # the test's own clean-up; the assertion below names them
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"{len(survivors)} of {len(tree)} processes survived SIGTERM"
    assert dev.returncode == 0
    output = log.read_text()
    assert "Found a dagster instance configuration value" not in output, output[-3000:]
    # Logged by the webserver at INFO before it serves, so present whenever INFO is printed.
    assert "Serving dagster-webserver" not in output, output[-3000:]
    assert " - dagster.daemon.AssetDaemon - INFO - " not in output, output[-3000:]
    # The run and its retry: each step failure's line, then (after a blank line) our cause under
    # Dagster's prefix.
    lines = [line for line in output.splitlines() if line.strip()]
    causes = [lines[i + 1] for i, line in enumerate(lines) if "fact_sales - STEP_FAILURE - " in line]
    runs = [line for line in lines if "RUN_FAILURE" in line or "STEP_FAILURE" in line or "RUN_START" in line]
    assert len(causes) == 2, "\n".join(runs) or output[-3000:]
    prefix = "dagster._core.definitions.events.Failure: the Qtickets API is unavailable: GET /"
    assert all(cause.startswith(prefix) for cause in causes), causes
