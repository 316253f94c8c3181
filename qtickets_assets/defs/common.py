"""What every mart asset shares: owners, kinds, the DDL's column schema, the write mode, and how
our own errors reach the run page."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import dagster as dg

from qtickets_assets.lib.clickhouse.io_manager import column_schema_metadata

# The webserver, the daemon, a code server and every sensor tick load these definitions, and none
# of them runs an asset: pandas, chDB (clickhouse-connect) and matplotlib are imported only where a
# run uses them (inside steps, the IO manager's writes, lib/ functions), never by `defs/` at import
# (test_definitions_load_light).
if TYPE_CHECKING:
    from qtickets_assets.lib.clickhouse.writers import WriteMode

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


# What an asset step yields: its outputs (stored by the IO manager as they are yielded), then the
# results of its checks (defs/quality/checks.py).
StepEvent = dg.Output[Any] | dg.MaterializeResult[None] | dg.AssetCheckResult


def first_ten(items: Sequence[str], more: str) -> str:
    """A warning's list: the first ten `items` joined with "; ", then how many `more` there are."""
    rest = f"; and {len(items) - 10} more {more}" if len(items) > 10 else ""
    return "; ".join(items[:10]) + rest


def selected_outputs(
    context: dg.AssetExecutionContext,
    build: Mapping[str, Callable[[], Any]],
    metadata: Mapping[str, Callable[[], Mapping[str, Any]]] | None = None,
) -> Iterator[dg.Output[Any]]:
    """The outputs of a subsettable step that its run selected, each built (and its `metadata`
    read) only when selected."""
    for name, make in build.items():
        if dg.AssetKey(name) in context.selected_asset_keys:
            metadata_of = (metadata or {}).get(name)
            yield dg.Output(make(), output_name=name, metadata=dict(metadata_of()) if metadata_of else None)


def table_metadata(table: str, write_mode: WriteMode) -> dict[str, Any]:
    """Definition metadata: the column schema from the DDL and how the IO manager writes the table."""
    return {**column_schema_metadata(table), "write_mode": write_mode}


class AssetArgs(TypedDict):
    """The keyword arguments `table_asset` fills in, typed so that `dg.AssetOut(**...)` type-checks."""

    description: str
    metadata: dict[str, Any]
    owners: list[str]
    kinds: set[str]
    code_version: str
    is_required: bool


def table_asset(table: str, write_mode: WriteMode, description: str, *, kind: str = "python") -> AssetArgs:
    """What `dg.AssetOut` needs for a mart table written by the IO manager."""
    return AssetArgs(
        description=description,
        metadata=table_metadata(table, write_mode),
        owners=OWNERS,
        kinds={"clickhouse", kind},
        code_version="1",
        # Dagster counts an asset's output as selected when only one of its checks is (run alone
        # from the UI); the step then writes nothing, which a required output would not allow.
        is_required=False,
    )
