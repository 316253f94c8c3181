"""What every mart asset shares: owners, kinds, the DDL's column schema, the write mode, and how
our own errors reach the run page."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

import dagster as dg

from qtickets_assets.lib.clickhouse.errors import ClickHouseError
from qtickets_assets.lib.clickhouse.io_manager import column_schema_metadata
from qtickets_assets.lib.clickhouse.writers import WriteMode
from qtickets_assets.lib.qtickets.errors import QticketsError

OWNERS = ["team:analytics-engineering"]
# Asset groups are the mart's layers, so the lineage reads left to right: what describes events,
# shows and discounts; what counts sales and seats; the views analysts open.
DIMENSIONS, FACTS, VIEWS = "dimensions", "facts", "views"
# Runs that call the Qtickets API carry this tag; a deployment limits runs per tag so that requests
# across runs stay within QTICKETS_MAX_CONCURRENCY (see deploy/dagster.yaml).
API_TAGS = {"qtickets/api": "true"}
# The steps that call the API, whatever job runs them (a UI materialization runs the implicit asset
# job, which carries no tag): deploy/dagster.yaml runs one step of this pool at a time.
API_POOL = "qtickets_api"


def table_metadata(table: str, write_mode: WriteMode) -> dict[str, Any]:
    """Definition metadata: the column schema from the DDL and how the IO manager writes the table."""
    return {**column_schema_metadata(table), "write_mode": write_mode}


class AssetArgs(TypedDict):
    """The keyword arguments `table_asset` fills in, typed so that `@dg.asset(**...)` type-checks."""

    description: str
    metadata: dict[str, Any]
    owners: list[str]
    kinds: set[str]
    code_version: str


def table_asset(table: str, write_mode: WriteMode, description: str, *, kind: str = "python") -> AssetArgs:
    """What `@dg.asset` or `dg.AssetOut` needs for a mart table written by the IO manager."""
    return AssetArgs(
        description=description,
        metadata=table_metadata(table, write_mode),
        owners=OWNERS,
        kinds={"clickhouse", kind},
        code_version="1",
    )


@contextmanager
def failures_explained() -> Iterator[None]:
    """Our own errors carry one clear message naming the problem ("the Qtickets API is unavailable:
    GET /events failed 7 times ..."). Raised as a `dg.Failure` with that message as its description,
    it is what the run page and the failure alert lead with, instead of Dagster's generic "Error
    occurred while executing op" and a stack (which stays below, as the cause)."""
    try:
        yield
    except (QticketsError, ClickHouseError) as error:
        raise dg.Failure(description=str(error)) from error
