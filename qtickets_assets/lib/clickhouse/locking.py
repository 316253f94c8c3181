"""Take turns on an embedded ClickHouse directory across processes (`filelock.FileLock`).

chDB refuses a directory another process has open ("Cannot lock file .../status"), and Dagster
runs each run in a process of its own. So before opening a directory every process takes an
exclusive lock on `<dir>.lock` and waits for it, which turns a crash into a short queue. Threads
of one process share the lock (and chDB's single embedded engine): one reentrant lock object per
path, shared across threads. A process that opened the directory with chDB directly, without our
lock, is waited for too (`retry_while_busy`), within the same timeout.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from qtickets_assets.lib.clickhouse.errors import ClickHouseBusyError, ClickHouseConfigError

DEFAULT_LOCK_TIMEOUT = 600.0
POLL_SECONDS = 0.1
# A directory held without our lock is not opened while its own lock shows the holder (each refused
# attempt costs an engine start, and chDB prints its refusal on stderr); an attempt refused all the
# same is tried again after these pauses (doubling up to the last).
FIRST_RETRY_SECONDS, LONGEST_RETRY_SECONDS = 0.25, 5.0
# How often a wait looks at that lock (a cheap flock probe, nothing printed).
WATCH_SECONDS = 0.25
log = logging.getLogger(__name__)
T = TypeVar("T")


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

    Not meaningful while this process has the directory open: the probe would see its own
    engine's lock (`held_by_another_process` rules that out).
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


def held_by_another_process(data_dir: Path) -> bool:
    """Whether a process other than this one holds `<dir>/status` (chDB opened without our lock).

    Only when no other thread of this process is inside our directory lock: that thread's engine
    holds the status file too, and this process then opens the directory by joining it."""
    return _file_lock(data_dir).lock_counter <= 1 and status_file_locked(data_dir)


def _file_lock(data_dir: Path) -> FileLock:
    lock_path = data_dir.with_name(data_dir.name + ".lock")
    # One instance per path (is_singleton) whose holds are shared by threads (thread_local=False):
    # a second thread of this process joins the first holder instead of queueing behind it.
    return FileLock(lock_path, thread_local=False, is_singleton=True, poll_interval=POLL_SECONDS)


@contextmanager
def directory_lock(data_dir: Path, timeout: float) -> Iterator[Path]:
    """Hold `<data_dir>.lock` exclusively (shared by threads of this process); yields the lock path."""
    lock_path = data_dir.with_name(data_dir.name + ".lock")
    lock = _file_lock(data_dir)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except Timeout:  # said once, so that a wait is never taken for a hang
            log.warning(f"{busy_message(data_dir)}; waiting up to {timeout:g} s (CLICKHOUSE_LOCK_TIMEOUT)")
            lock.acquire(timeout=timeout)
    except Timeout:
        raise ClickHouseBusyError(busy_message(data_dir, timeout)) from None
    except OSError as exc:  # permission denied, a read-only file system, a folder in its place
        raise ClickHouseConfigError(
            f"cannot create the lock {lock_path} of the embedded ClickHouse directory {data_dir}: "
            f"{exc.strerror or exc}; fix the owner or permissions of its folder, or point CLICKHOUSE_URL "
            "elsewhere"
        ) from None
    try:
        yield lock_path
    finally:
        lock.release()


def retry_while_busy(data_dir: Path, open_directory: Callable[[], T], deadline: float, waited: float) -> T:
    """`open_directory()` once no other process holds the directory without our lock (a notebook or
    SQL client using chDB directly: `held_by_another_process`), until the monotonic `deadline`;
    then the busy message naming the whole wait (`waited` seconds in all). The holder is watched
    through the directory's own lock, so chDB is not started (nor prints its refusal) while it
    stays; an attempt refused all the same is tried again after pauses that double."""
    pause, next_attempt, warned = FIRST_RETRY_SECONDS, 0.0, False
    while True:
        if time.monotonic() >= next_attempt and not held_by_another_process(data_dir):
            try:
                return open_directory()
            except ClickHouseBusyError:
                next_attempt = time.monotonic() + pause
                pause = min(pause * 2, LONGEST_RETRY_SECONDS)
        if time.monotonic() >= deadline:
            raise ClickHouseBusyError(busy_message(data_dir, waited)) from None
        if not warned:
            log.warning(f"{busy_message(data_dir)}; waiting up to {waited:g} s (CLICKHOUSE_LOCK_TIMEOUT)")
            warned = True
        _sleep_until(deadline, WATCH_SECONDS)


def _sleep_until(deadline: float, seconds: float) -> None:
    """`seconds`, or until the monotonic `deadline` if that comes first."""
    time.sleep(max(0.0, min(seconds, deadline - time.monotonic())))
