"""Opening ClickHouse: processes take turns on an embedded directory, and errors are one clear line."""

from __future__ import annotations

import http.server
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qtickets_assets.lib.clickhouse import connection
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.errors import ClickHouseConfigError, ClickHouseUnreachableError
from qtickets_assets.lib.clickhouse.locking import directory_lock
from qtickets_assets_tests.clickhouse.conftest import DATABASE

# Holds the directory the way a Dagster run would (our lock), or the way a notebook might (chDB
# directly, no lock), until told to stop on stdin or after `hold` seconds.
HOLDER = """
import sys, time, clickhouse_connect
from qtickets_assets.lib.clickhouse.connection import open_client
url, mode, hold = sys.argv[1], sys.argv[2], float(sys.argv[3])
if mode == "locked":
    ctx = open_client(url, "qtickets")
    ctx.__enter__()
else:
    raw = clickhouse_connect.get_client(dsn=url)  # kept referenced: collecting it would close it
print("ready", flush=True)
time.sleep(hold)
print("letting go", flush=True)  # before: its lock goes while the directory closes
if mode == "locked":
    ctx.__exit__(None, None, None)
else:
    raw.close()
"""


@contextmanager
def holder(url: str, mode: str, hold: float = 60.0) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, mode, str(hold)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield process
    finally:
        process.kill()
        process.wait()


def has_let_go(process: subprocess.Popen[str]) -> bool:
    """Whether the holder had begun to close the directory (its line is already in the pipe)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 0)
    return bool(ready) and process.stdout.readline().strip() == "letting go"


def test_directory_held_by_another_run_gives_clear_message_after_timeout(chdb_url: str, caplog) -> None:
    """...and says once, as it starts waiting, that it waits (a wait on a run or `make sql` was silent)."""
    directory = chdb_url.removeprefix("chdb://")
    with holder(chdb_url, "locked"):
        started = time.monotonic()
        with (
            pytest.raises(ClickHouseConfigError) as caught,
            open_client(chdb_url, DATABASE, lock_timeout=0.5),
        ):
            pass
        assert 0.5 <= time.monotonic() - started < 5
    assert str(caught.value) == (
        f"the embedded ClickHouse directory {directory} is in use (waited 0.5 s): another process "
        "(a Dagster run, `make demo`, a notebook?) has it open; wait for it or stop it"
    )
    waits = [r.getMessage() for r in caplog.records if "waiting up to 0.5 s" in r.getMessage()]
    assert len(waits) == 1 and waits[0].startswith(f"the embedded ClickHouse directory {directory} is in use")


def test_directory_opened_without_the_lock_is_named_too(chdb_url: str) -> None:
    with (
        holder(chdb_url, "unlocked"),
        pytest.raises(ClickHouseConfigError) as caught,
        open_client(chdb_url, DATABASE, lock_timeout=0.5),
    ):
        pass
    assert str(caught.value) == (
        f"the embedded ClickHouse directory {chdb_url.removeprefix('chdb://')} is in use (waited 0.5 s): "
        "another process (a Dagster run, `make demo`, a notebook?) has it open; wait for it or stop it"
    )


def test_a_directory_opened_without_the_lock_is_waited_for(chdb_url: str) -> None:
    """A SQL client or notebook that opened the directory with chDB directly (no project lock):
    opening waits until it lets go, as it waits for the lock, instead of failing at once."""
    with (
        holder(chdb_url, "unlocked", hold=3) as process,
        open_client(chdb_url, DATABASE, lock_timeout=120) as client,
    ):
        assert has_let_go(process), "opened while the other process still held it"
        assert client.command("SELECT 40 + 2") == 42


def test_waiting_for_a_plain_chdb_client_prints_no_refusal_of_chdb(chdb_url: str, capfd) -> None:
    """chDB prints "Cannot lock file …/status" on stderr at every refused open: a run waiting for a
    notebook filled `make dev`'s console with it (~125 lines in 10 minutes). The wait watches the
    directory's own lock instead and opens it once free; our one line says what it waits for."""
    with holder(chdb_url, "unlocked", hold=4), open_client(chdb_url, DATABASE, lock_timeout=120) as client:
        assert client.command("SELECT 40 + 2") == 42
    printed = capfd.readouterr().err
    assert "Cannot lock file" not in printed


def test_processes_take_turns_instead_of_failing(chdb_url: str) -> None:
    with holder(chdb_url, "locked", hold=1.5):
        started = time.monotonic()
        with open_client(chdb_url, DATABASE, lock_timeout=30) as client:
            waited = time.monotonic() - started
            assert client.command("SELECT 40 + 2") == 42
    assert 0.5 < waited < 30


def test_closing_frees_the_directory_and_creates_dir_and_database(tmp_path: Path) -> None:
    url = f"chdb://{tmp_path}/deep/new/dir"
    with open_client(url, "mart_x") as client:
        assert client.command("SELECT count() FROM system.databases WHERE name = 'mart_x'") == 1
    assert (tmp_path / "deep/new/dir").is_dir() and (tmp_path / "deep/new/dir.lock").exists()
    # Another process can now open it at once.
    check = "from qtickets_assets.lib.clickhouse.connection import open_client\n" + (
        f"with open_client({url!r}, 'mart_x', lock_timeout=0) as c: print(c.command('SELECT 7'))"
    )
    assert subprocess.run([sys.executable, "-c", check], capture_output=True, text=True).stdout == "7\n"


def test_unreachable_server_is_one_line_without_password() -> None:
    with (
        pytest.raises(ClickHouseUnreachableError) as caught,
        open_client("http://etl:hunter2@127.0.0.1:9", DATABASE),
    ):
        pass
    message = str(caught.value)
    assert message.startswith("cannot reach ClickHouse server http://etl@127.0.0.1:9 (Connection refused)")
    assert "hunter2" not in message and "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_https_to_a_port_that_does_not_serve_it_is_a_tls_error_not_an_outage() -> None:
    """https:// to a plain-HTTP port (or a certificate no CA vouches for) read "cannot reach ...
    check the host and port ... and that the server is running", and the run was retried."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with (
            pytest.raises(ClickHouseConfigError) as caught,
            open_client(f"https://etl:hunter2@127.0.0.1:{server.server_port}", DATABASE),
        ):
            pass
    finally:
        server.shutdown()
        server.server_close()
    assert not isinstance(caught.value, ClickHouseUnreachableError)  # no retry can fix it
    message = str(caught.value)
    assert message.startswith(
        f"the TLS handshake with ClickHouse server https://etl@127.0.0.1:{server.server_port}"
    )
    assert "?ca_cert=/path/to/ca.pem" in message and "hunter2" not in message


def test_bad_database_name_is_refused_before_connecting(chdb_url: str) -> None:
    refused = pytest.raises(
        ClickHouseConfigError, match=r"^CLICKHOUSE_DATABASE 'mart; DROP' is not a valid ClickHouse name"
    )
    with refused, open_client(chdb_url, "mart; DROP"):
        pass


def test_lock_timeout_env_must_be_a_number(chdb_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKHOUSE_LOCK_TIMEOUT", "ten minutes")
    refused = pytest.raises(ClickHouseConfigError, match=r"CLICKHOUSE_LOCK_TIMEOUT must be a number")
    with refused, open_client(chdb_url, DATABASE):
        pass


def test_threads_of_one_process_share_the_directory_lock(tmp_path: Path) -> None:
    """A second thread joins the holder instead of waiting for it (one engine per process), and
    the lock is free for other processes once the last holder is done."""
    data_dir = tmp_path / "ch"
    entered = threading.Event()
    with directory_lock(data_dir, timeout=5):

        def second_holder() -> None:
            with directory_lock(data_dir, timeout=0.5):  # would time out if it queued behind us
                entered.set()

        worker = threading.Thread(target=second_holder)
        worker.start()
        worker.join()
        assert entered.is_set()
    probe = "from filelock import FileLock; import sys; FileLock(sys.argv[1]).acquire(timeout=1)"
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "ch.lock")], check=False, timeout=30)
    assert done.returncode == 0, "the lock was still held after both threads released it"


def test_a_lock_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    """A folder where the directory's lock cannot be made (no permission, a read-only file
    system, here a folder in its place) gave a bare PermissionError or IsADirectoryError traceback."""
    (tmp_path / "ch.lock").mkdir()
    with pytest.raises(ClickHouseConfigError) as caught, open_client(f"chdb://{tmp_path / 'ch'}", DATABASE):
        pass
    assert str(caught.value).startswith(f"cannot create the lock {tmp_path / 'ch.lock'} of the embedded")
    assert "Is a directory" in str(caught.value)


def test_a_mart_directory_this_user_cannot_write_is_named(tmp_path: Path, monkeypatch) -> None:
    """chDB said only "Error initializing EmbeddedServer: . (BAD_ARGUMENTS)" for a directory it
    could not write (root writes anywhere, so the refusal is played here as a non-root user met it)."""
    import clickhouse_connect

    def refused(**kwargs):
        raise RuntimeError("Code: 36. DB::Exception: Error initializing EmbeddedServer: . (BAD_ARGUMENTS)")

    monkeypatch.setattr(clickhouse_connect, "get_client", refused)
    monkeypatch.setattr(connection.os, "access", lambda path, mode: Path(path) != tmp_path / "ch")
    (tmp_path / "ch").mkdir()
    with pytest.raises(ClickHouseConfigError) as caught, open_client(f"chdb://{tmp_path / 'ch'}", DATABASE):
        pass
    assert f"{tmp_path / 'ch'} is not writable by this user" in str(caught.value)


def test_a_private_ca_that_is_not_there_is_named(tmp_path: Path) -> None:
    """A mistyped ca_cert path read as "cannot reach … check that the server is running", retried."""
    missing = tmp_path / "corp-ca.pem"
    with (
        pytest.raises(ClickHouseConfigError) as caught,
        open_client(f"https://etl:hunter2@127.0.0.1:9?ca_cert={missing}", DATABASE),
    ):
        pass
    assert not isinstance(caught.value, ClickHouseUnreachableError)
    assert str(caught.value) == f"CLICKHOUSE_URL's ca_cert {missing} is not a file this user can read"
