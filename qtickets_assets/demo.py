"""The offline demo: the sandbox API, embedded ClickHouse and one full sync, or the web UI beside it.

`python -m qtickets_assets.demo run`  serves the sandbox, runs `dg launch --assets '*'` against it
                                      and prints the sales dashboard.
`python -m qtickets_assets.demo dev`  serves the sandbox and runs `dg dev` until Ctrl-C.

The sandbox always sets QTICKETS_BASE_URL/QTICKETS_TOKEN here (a demo must never reach a real
account); CLICKHOUSE_URL and CLICKHOUSE_DATABASE are kept when already set.
"""

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import dagster as dg
import pandas as pd

from qtickets_assets import home, report, settings
from qtickets_assets.lib import figures
from qtickets_assets.lib.clickhouse import chart_data, mart
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.url import parse_clickhouse_url
from qtickets_assets.sandbox.persisted import run_persisted_sandbox
from qtickets_assets.sandbox.testing import SandboxHandle

# The dashboard as printed: its columns under these titles.
DASHBOARD_HEADERS = figures.dashboard_headers()
# The last days' sales as printed.
DAILY_HEADERS = {
    "date_local": "day (local)",
    "tickets_paid": "paid",
    "revenue_paid": "revenue",
    "tickets_refunded": "refunded",
    "amount_refunded": "paid back",
}
DAYS_SHOWN = 7
DEV_PORT = 3000
# `make dev`'s webserver and daemon: warnings and errors only (a sensor's or the daemon's failure);
# their INFO (every tick, skip reasons, launches) is on the UI's Automation and Runs pages.
DEV_LOG_LEVEL = "warning"
# `make dev` stopped by SIGTERM or Ctrl-C: how long dg dev may take to stop its processes.
DEV_STOP_GRACE_SECONDS = 30
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
BIN = Path(sys.executable).parent


def demo_environment(sandbox: SandboxHandle, base: dict[str, str]) -> dict[str, str]:
    """The environment for `dg`: the sandbox API always, the user's ClickHouse settings if any."""
    env = dict(base)
    env["QTICKETS_BASE_URL"] = sandbox.base_url
    env["QTICKETS_TOKEN"] = sandbox.token
    env.setdefault("CLICKHOUSE_URL", settings.default_clickhouse_url())
    env.setdefault("CLICKHOUSE_DATABASE", settings.DEFAULT_DATABASE)
    env.setdefault("DAGSTER_HOME", str(settings.REPO_ROOT / ".data" / "dagster"))
    # Dagster's own selection parser passes a beta parameter to itself when `dg launch` reads
    # `--assets '*'` and warns about it on every run; nothing a user can act on.
    env.setdefault("PYTHONWARNINGS", "ignore:Parameter `include_sources`")
    # As if the venv were activated: `dg` checks it and starts its Python processes from PATH.
    env["VIRTUAL_ENV"] = sys.prefix
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    return env


def sandbox_state_path(clickhouse_url: str) -> Path:
    """Where the demo's sandbox world is kept: beside an embedded mart (`<dir>.sandbox.json`, so
    `make clean` resets both), else in the repository's data folder."""
    target = parse_clickhouse_url(clickhouse_url)
    if target.path is not None:
        return target.path.with_name(target.path.name + ".sandbox.json")
    return settings.REPO_ROOT / ".data" / "sandbox.json"


def demo_sandbox(base: Mapping[str, str]) -> AbstractContextManager[SandboxHandle]:
    """The demo's sandbox (served from threads of this process): the same world at every start for
    one mart, so incremental runs after a restart stay exact."""
    url = base.get("CLICKHOUSE_URL") or settings.default_clickhouse_url()
    token = "sandbox-" + secrets.token_urlsafe(18)
    return run_persisted_sandbox(sandbox_state_path(url), size="small", seed=7, token=token)


def run_demo() -> int:
    # The sandbox serves from threads of this process while `dg launch` runs as a child process.
    with demo_sandbox(os.environ) as sandbox:
        env = demo_environment(sandbox, dict(os.environ))
        home.prepare(Path(env["DAGSTER_HOME"]))
        print(f"sandbox API at {sandbox.base_url}; running dg launch --assets '*'", flush=True)
        launched_at = datetime.now(UTC)
        code = subprocess.call([str(BIN / "dg"), "launch", "--assets", "*"], cwd=settings.REPO_ROOT, env=env)
    if code != 0:
        print(f"demo: dg launch failed with exit code {code}", file=sys.stderr)
        return code
    print_dashboard(env["CLICKHOUSE_URL"], env["CLICKHOUSE_DATABASE"], sys.stdout)
    print(f"\n{check_summary(Path(env['DAGSTER_HOME']), launched_at)}")
    # Beside Dagster's home (.data/ by default), so a demo on another home writes its own.
    report_path = Path(env["DAGSTER_HOME"]).parent / "report.html"
    print_report_path(env["CLICKHOUSE_URL"], env["CLICKHOUSE_DATABASE"], report_path, sys.stdout)
    return 0


# A run copies its step's output to the console through `tail -F` (Dagster's compute logs), which
# polls every second and was stopped as the step ended: the last lines, a failed step's with its
# cause, reached the console in some runs only (dagster-io/dagster#23336). Dagster's own setting
# waits this long before stopping it: a run launched from the UI or a sensor ends ~1 s later.
TAIL_WAIT, TAIL_WAIT_SECONDS = "DAGSTER_COMPUTE_LOG_TAIL_WAIT_AFTER_FINISH", "1.2"


def run_dev(port: int = DEV_PORT) -> int:
    if (taken := port_in_use(port)) is not None:
        # dg dev would print one buried "address already in use" and go on with no web UI, its
        # daemon and code servers running until killed.
        print(f"error: port {port} is in use ({taken}); stop what serves it, or: make dev PORT=<another>")
        return 1
    with demo_sandbox(os.environ) as sandbox:
        env = demo_environment(sandbox, dict(os.environ))
        dagster_home = Path(env["DAGSTER_HOME"]).resolve()
        env["DAGSTER_HOME"] = str(dagster_home)
        env.setdefault(TAIL_WAIT, TAIL_WAIT_SECONDS)
        home.prepare(dagster_home)
        control = sandbox.base_url.removesuffix("/api/rest/v1") + "/_sandbox/advance"
        print(
            f"sandbox API at {sandbox.base_url} (the same world at every start, kept in "
            f"{sandbox_state_path(env['CLICKHOUSE_URL'])}; make clean starts a new one)\n"
            f"new sales, refunds and cancellations: curl -X POST {control} "
            """-d '{"new_orders": 20, "refunds": 3, "cancellations": 2, "scans": 10}'\n"""
            f"starting dg dev on http://127.0.0.1:{port} (Ctrl-C stops both); the console shows runs "
            "(their steps' lines, failures), alerts and warnings; sensor ticks are in the UI",
            flush=True,
        )
        return run_until_stopped(dev_command(port), cwd=dagster_home, env=env)


def port_in_use(port: int) -> str | None:
    """Why the web UI could not listen on 127.0.0.1:`port`, or None when it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the web server binds: a port whose last connections linger in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def dev_command(port: int) -> list[str]:
    """`dg dev` on workspace.yaml (the project's one code location, under the same name). Left to
    find the project itself, dg moves into the repository, where Dagster warns about our
    dagster.yaml (the template copied into DAGSTER_HOME); given the workspace, dg stays in
    DAGSTER_HOME, where that file is the one in use.

    The webserver and the daemon log at DEV_LOG_LEVEL: at INFO the daemon writes ~6 lines a minute
    while nothing happens (each tick of views_follow_upstreams, of every running sensor, the run
    queue), which buries what matters. Runs log to the console on their own (dagster.yaml's
    python_logs: our steps' lines and failures), and so do the code servers (the alert line)."""
    return [
        str(BIN / "dg"),
        "dev",
        "--port",
        str(port),
        "--log-level",
        DEV_LOG_LEVEL,
        "--workspace",
        str(settings.REPO_ROOT / "workspace.yaml"),
    ]


def run_until_stopped(command: list[str], *, cwd: Path, env: dict[str, str]) -> int:
    """`command` in its own process group, until it ends or this process gets SIGTERM or SIGINT.

    A signal is passed on to `dg dev` as Ctrl-C, and it stops its webserver, daemon and code
    servers; whatever of the group is still alive after DEV_STOP_GRACE_SECONDS is killed (a
    SIGTERM to this process alone would leave the whole tree running).

    The handlers are installed before `dg dev` starts: a started program inherits an ignored
    signal, and `make dev &` (a background job) ignores SIGINT, so `dg dev` would not stop on it
    and every stop would wait out the grace and kill; a handled signal is reset to its default."""
    stopping = threading.Event()
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: object) -> None:
        stopping.set()
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGINT)

    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
    try:
        child = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
        if stopping.is_set():  # stopped while it started
            child.send_signal(signal.SIGINT)
        while child.poll() is None and not stopping.wait(0.5):
            pass
        try:
            code = child.wait(timeout=DEV_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            code = 0
    finally:
        if child is not None:
            kill_group(child.pid)
            child.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0 if stopping.is_set() else code


def kill_group(group: int) -> None:
    """Every process still in `group` (the code servers of a `dg dev` that has exited, say)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def print_dashboard(url: str, database: str, out: IO[str]) -> None:
    """The dashboard, then every event's sales over the last local days (v_sales_daily)."""
    with open_client(url, database) as client:
        dashboard = mart.dashboard(client, database)
        sold_all_events = mart.tickets_sold_all_events(client, database)
        last = chart_data.local_today(client, database)
        first = last - timedelta(days=DAYS_SHOWN - 1)
        daily = mart.daily_sales(client, database, first, last)
    print(f"\nSales dashboard ({database}.v_sales_dashboard)\n", file=out)
    print(format_dashboard(dashboard, sold_all_events), file=out)
    print(
        f"\nThe last {DAYS_SHOWN} days, each event's days in its own time zone ({database}.v_sales_daily)\n",
        file=out,
    )
    print(figures.text_table(daily, DAILY_HEADERS), file=out)


def print_report_path(url: str, database: str, path: Path, out: IO[str]) -> None:
    """Writes the one-file HTML report (charts and the dashboard) to `path` and says where it is."""
    print(
        f"\nThe report, charts and the dashboard in one file: {report.write_report(url, database, path)}",
        file=out,
    )


def format_dashboard(dashboard: pd.DataFrame, sold_all_events: int) -> str:
    """An aligned table (numbers right-aligned, thousands separated) and its one-line summary."""
    summary = figures.dashboard_summary(dashboard, sold_all_events)
    return (
        f"{figures.text_table(figures.seats_unknown_as_missing(dashboard), DASHBOARD_HEADERS)}\n\n{summary}"
    )


def check_summary(dagster_home: Path, launched_at: datetime) -> str:
    """ "41 of 41 checks passed" for the demo's run, naming any that did not."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run_id = demo_run_id(instance, launched_at)
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
        ).records
    evaluations = [
        r.event_log_entry.dagster_event.asset_check_evaluation_data
        for r in records
        if r.event_log_entry.dagster_event
    ]
    failed = sorted(f"{e.asset_key.to_user_string()}.{e.check_name}" for e in evaluations if not e.passed)
    line = f"{len(evaluations) - len(failed)} of {len(evaluations)} checks passed"
    return f"{line}; failed: {', '.join(failed)}" if failed else line


def demo_run_id(instance: dg.DagsterInstance, launched_at: datetime) -> str:
    """The run `dg launch --assets '*'` made: the first run of every asset created since it was
    launched. Not the newest run: a `make dev` on the same home may launch more behind it (its
    views sensor follows the demo's writes, and the demo's dashboard waits for such a run)."""
    [first] = instance.get_run_records(
        filters=dg.RunsFilter(job_name="__ASSET_JOB", created_after=launched_at), limit=1, ascending=True
    )
    return first.dagster_run.run_id


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qtickets_assets.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=("run", "dev"))
    parser.add_argument("--port", type=int, default=DEV_PORT, help="the web UI's port (dev)")
    args = parser.parse_args(argv)
    return run_demo() if args.command == "run" else run_dev(args.port)


if __name__ == "__main__":
    sys.exit(main())
