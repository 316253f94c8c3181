"""The analysts' views. Each is defined in `clickhouse/views/` and always live; its asset follows
its upstream tables (eagerly, see automation/sensors.py) and refreshes what the UI shows of it: the
row count, a preview of its first rows and its headline figures."""

# No `from __future__ import annotations`: Dagster reads the step's `context` annotation as a class,
# so the annotations naming pandas or the client (imported only for mypy) are quoted.
from collections.abc import Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING

import dagster as dg

from qtickets_assets.defs.common import OWNERS, VIEWS, StepEvent
from qtickets_assets.defs.quality.checks import check_specs, evaluate, raise_first
from qtickets_assets.defs.views.catalog import VIEW_LIST, View
from qtickets_assets.lib import charts, failures
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.io_manager import column_schema_metadata
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource

if TYPE_CHECKING:
    import pandas as pd
    from clickhouse_connect.driver.client import Client

PREVIEW_ROWS = 10


def preview_markdown(view: View, rows: "pd.DataFrame") -> str:
    from qtickets_assets.lib import figures  # with pandas, only in a run (see defs/common.py)

    return figures.text_table(rows, view.preview, tablefmt="pipe") if len(rows) else "_no rows yet_"


def view_spec(view: View) -> dg.AssetSpec:
    return dg.AssetSpec(
        view.name,
        deps=view.deps,
        description=view.description,
        metadata=column_schema_metadata(view.name),
        owners=OWNERS,
        kinds={"clickhouse", "sql"},
        code_version="1",
        group_name=VIEWS,
        automation_condition=dg.AutomationCondition.eager(),
        # Not materialized when a blocking check of a view it reads failed in this step.
        skippable=True,
    )


def refreshed(
    view: View, client: "Client", database: str, drawing: Future[list[charts.Chart]]
) -> dg.MaterializeResult[None]:
    """What the UI shows of `view`: its row count, a preview of its first rows, headline figures, charts."""
    rows = mart.view_rows(client, database, view.name, view.order_by, PREVIEW_ROWS, view.computed)
    return dg.MaterializeResult(
        asset_key=view.name,
        metadata={
            # Counted apart: count() OVER () beside the preview's ORDER BY ... LIMIT would hold the
            # whole view in memory (where ORDER BY ... LIMIT keeps only its first rows) to save one pass.
            "dagster/row_count": mart.row_count(client, database, view.name),
            "dagster/table_name": f"{database}.{view.name}",
            **view.headline(client, database),
            "preview": dg.MetadataValue.md(preview_markdown(view, rows)),
            **{k: dg.MetadataValue.md(md) for k, md in charts.metadata(drawing.result()).items()},
        },
    )


# One step for every view: a step costs Dagster ~15-20 ms and an open of the mart ~70 ms, and a view
# is a few queries. Subsettable, so each view (or one of its checks) can still be run alone.
@dg.multi_asset(
    name="views",
    specs=[view_spec(view) for view in VIEW_LIST],
    check_specs=check_specs(*(view.name for view in VIEW_LIST)),
    can_subset=True,
)
def views(context: dg.AssetExecutionContext, clickhouse: ClickHouseResource) -> Iterator[StepEvent]:
    selected = [view for view in VIEW_LIST if dg.AssetKey(view.name) in context.selected_asset_keys]
    for view in selected:
        charts.prepare(view.name)  # matplotlib loads in the background while the mart opens
    events: list[StepEvent] = []
    errors: list[Exception] = []
    held_back: set[str] = set()
    with failures.explained(), clickhouse.open() as client:
        database = clickhouse.database
        # Every selected view's charts are drawn while the queries below run.
        drawings = charts.start_drawings(client, database, [view.name for view in selected])
        # VIEW_LIST lists a view after the views it reads: a view is refreshed and checked after them.
        for view in VIEW_LIST:
            if held_back.intersection(view.deps):
                # As Dagster skips the steps downstream of a failed blocking check.
                if view in selected:
                    context.log.warning(
                        f"{view.name} not refreshed: a blocking check of a view it reads failed"
                    )
                held_back.add(view.name)
                continue
            if view in selected:
                events.append(refreshed(view, client, database, drawings[view.name]))
            checked = evaluate(context, view.name, client, database)
            events += checked.results
            errors += checked.errors
            # Only a view refreshed here holds back the others: checks run alone hold back nothing.
            if view in selected and checked.holds_back_downstream:
                held_back.add(view.name)
    yield from events
    raise_first(errors)
