"""Take turns on an embedded ClickHouse directory across processes with an exclusive `flock`.

chDB refuses a directory another process has open ("Cannot lock file .../status"), and Dagster runs
steps and runs in separate processes. So before opening a directory every process takes an
exclusive lock on `<dir>.lock` and waits for it, which turns a crash into a short queue.
Threads of one process share the lock (and chDB's single embedded engine), counted by reference.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qtickets_assets.lib.clickhouse.errors import ClickHouseConfigError

DEFAULT_LOCK_TIMEOUT = 600.0
_POLL_SECONDS = 0.1

_guard = threading.Lock()
_held: dict[Path, tuple[int, int]] = {}  # lock file -> (fd, holders in this process)


def lock_timeout_from_env() -> float:
    """Seconds to wait for a busy directory: `CLICKHOUSE_LOCK_TIMEOUT`, default 10 minutes."""
    raw = os.environ.get("CLICKHOUSE_LOCK_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ClickHouseConfigError(
            f"CLICKHOUSE_LOCK_TIMEOUT must be a number of seconds, got {raw!r}"
        ) from None
    if value < 0:
        raise ClickHouseConfigError(f"CLICKHOUSE_LOCK_TIMEOUT must not be negative, got {raw!r}")
    return value


def busy_message(data_dir: Path, waited: float | None = None) -> str:
    waited_text = f" (waited {waited:g} s)" if waited is not None else ""
    return (
        f"the embedded ClickHouse directory {data_dir} is in use{waited_text}: another process "
        "(a Dagster run, `make demo`, a notebook?) has it open; wait for it or stop it"
    )


def status_file_locked(data_dir: Path) -> bool:
    """Whether another process holds ClickHouse's own lock on `<dir>/status` (chDB opened without ours).

    Only meaningful after opening failed: while this process has the directory open, the probe
    would see its own engine's lock.
    """
    status = data_dir / "status"
    if not status.exists():
        return False
    fd = os.open(status, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing the descriptor releases the probe's lock, if it got one
    return False


def _flock_with_timeout(lock_path: Path, data_dir: Path, timeout: float) -> int:
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise ClickHouseConfigError(busy_message(data_dir, timeout)) from None
            time.sleep(_POLL_SECONDS)


def _release(lock_path: Path) -> None:
    with _guard:
        fd, holders = _held[lock_path]
        if holders > 1:
            _held[lock_path] = (fd, holders - 1)
            return
        del _held[lock_path]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def directory_lock(data_dir: Path, timeout: float) -> Iterator[Path]:
    """Hold `<data_dir>.lock` exclusively (shared by threads of this process); yields the lock path."""
    lock_path = data_dir.with_name(data_dir.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    # The guard is held while waiting: one process holds one chDB directory at a time anyway,
    # and a second thread of this process must join the first holder, not race it for the file.
    with _guard:
        if lock_path in _held:
            fd, holders = _held[lock_path]
            _held[lock_path] = (fd, holders + 1)
        else:
            _held[lock_path] = (_flock_with_timeout(lock_path, data_dir, timeout), 1)
    try:
        yield lock_path
    finally:
        _release(lock_path)
