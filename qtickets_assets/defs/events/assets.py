"""Events and their shows, from one crawl of GET /events (each page is heavy: seat maps ride along)."""

import dagster as dg
import pandas as pd

from qtickets_assets.defs.common import API_POOL, DIMENSIONS, failures_explained, table_asset
from qtickets_assets.lib import frames
from qtickets_assets.lib.qtickets.resource import QticketsResource


@dg.multi_asset(
    outs={
        "dim_events": dg.AssetOut(
            **table_asset(
                "dim_events",
                "replace",
                "One row per event the API returns, deleted ones flagged. City from the event's city "
                "object; starts_at/ends_at from its shows that are not deleted.",
            )
        ),
        "dim_shows": dg.AssetOut(
            **table_asset(
                "dim_shows", "replace", "One row per show of every event; the list inventory snapshots walk."
            )
        ),
    },
    group_name=DIMENSIONS,
    pool=API_POOL,
)
def dim_events_and_dim_shows(
    context: dg.AssetExecutionContext, qtickets: QticketsResource
) -> tuple[pd.DataFrame, pd.DataFrame]:
    with failures_explained(), qtickets.client() as client:
        events = [event for page in client.iter_event_pages() for event in page]
    deleted = sum(event.deleted_at is not None for event in events)
    context.log.info(f"read {len(events)} events ({deleted} deleted) from the Qtickets API")
    return frames.events_frame(events), frames.shows_frame(events)
