"""`ClickHouseResource`: a client with migrations applied, for assets and checks that run SQL.

Within a Dagster run every step shares one client: opened by the first step that needs it (with the
migrations checked then), closed when the run's resources are torn down, whether the run succeeded
or not. An open embedded engine costs ~80 ms (open, migration check, close), and a full run's 6
steps, 7 table writes and 41 checks all use the mart. The embedded directory's lock is therefore held from the
first step that uses the mart to the end of the run.

The open clients live in one process-wide holder keyed by (url, database): chDB allows one
directory per process and our directory lock is shared by the process's threads, so a second open
of the same mart in one process must join the first, never open beside it. Outside a run (a
resource built by hand, as the tests and scripts do) each `open()` opens the mart and closes it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import PrivateAttr

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.errors import ClickHouseBusyError
from qtickets_assets.lib.clickhouse.migrations import apply_migrations

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


@contextmanager
def open_migrated(url: str, database: str) -> Iterator[Client]:
    """`open_client` plus `apply_migrations`: every user of the mart sees the current schema."""
    with open_client(url, database) as client:
        apply_migrations(client, database)
        yield client


@dataclass
class _SharedClient:
    """A mart's client for the runs (resource instances) that joined it; open once first asked for."""

    users: int = 0
    client: Client | None = None
    closing: ExitStack = field(default_factory=ExitStack)
    # Why the mart could not be opened, once it waited CLICKHOUSE_LOCK_TIMEOUT in vain: the run's
    # other steps fail with it at once instead of each waiting as long again.
    busy: str | None = None

    def close(self) -> None:
        self.client = None
        self.closing.close()  # closes the engine and releases `<dir>.lock`
        self.closing = ExitStack()


class RunClients:
    """The process's shared clients, by (url, database). Resources join at setup and leave at
    teardown; the client is opened on the first `client()` and closed when the last user leaves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: dict[tuple[str, str], _SharedClient] = {}

    def join(self, url: str, database: str) -> None:
        with self._lock:
            self._shared.setdefault((url, database), _SharedClient()).users += 1

    def leave(self, url: str, database: str) -> None:
        with self._lock:
            shared = self._shared.get((url, database))
            if shared is None:
                return
            shared.users -= 1
            if shared.users <= 0:
                del self._shared[(url, database)]
                shared.close()

    def client(self, url: str, database: str) -> Client | None:
        """The shared client, opened now if no step opened it yet; None when no run joined."""
        with self._lock:
            shared = self._shared.get((url, database))
            if shared is None or shared.users <= 0:
                return None
            if shared.busy is not None:
                raise ClickHouseBusyError(shared.busy)
            if shared.client is None:
                try:
                    shared.client = shared.closing.enter_context(open_migrated(url, database))
                except ClickHouseBusyError as busy:
                    shared.busy = str(busy)
                    raise
            return shared.client

    def discard(self, url: str, database: str) -> None:
        """Close a client that stopped answering; the next step that asks opens a fresh one."""
        with self._lock:
            shared = self._shared.get((url, database))
            if shared is not None:
                shared.close()


RUN_CLIENTS = RunClients()


def _answers(client: Client) -> bool:
    try:
        client.command("SELECT 1")
    except Exception:
        return False
    return True


DEFAULT_DATABASE = "qtickets"  # CLICKHOUSE_DATABASE unset (docs/contract.md)


class ClickHouseResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The mart, shared by a run's steps (see the module's docstring)."""

    url: str
    database: str = DEFAULT_DATABASE
    _in_run: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        RUN_CLIENTS.join(self.url, self.database)
        self._in_run = True

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._in_run:
            self._in_run = False
            RUN_CLIENTS.leave(self.url, self.database)

    @contextmanager
    def open(self) -> Iterator[Client]:
        """The run's shared client (left open), or outside a run one opened for the block."""
        shared = RUN_CLIENTS.client(self.url, self.database)
        if shared is None:
            with open_migrated(self.url, self.database) as client:
                yield client
            return
        try:
            yield shared
        except BaseException:
            # A failed step must not leave later steps a client that no longer answers (a lost
            # server connection): such a client is closed and the next user opens another.
            if not _answers(shared):
                RUN_CLIENTS.discard(self.url, self.database)
            raise
