"""`ClickHouseResource`: a client with migrations applied, for assets and checks that run SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import dagster as dg

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.migrations import apply_migrations

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


@contextmanager
def open_migrated(url: str, database: str) -> Iterator[Client]:
    """`open_client` plus `apply_migrations`: every user of the mart sees the current schema."""
    with open_client(url, database) as client:
        apply_migrations(client, database)
        yield client


class ClickHouseResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Open the mart only for as long as needed (an embedded directory is held while open)."""

    url: str
    database: str = "qtickets"

    @contextmanager
    def open(self) -> Iterator[Client]:
        with open_migrated(self.url, self.database) as client:
            yield client
