"""What a successful sales load brought the mart up to, in the terms of the API's cheap marker.

Each `fact_sales` materialization carries it as metadata (`loaded_marker`): the highest order id
and the newest order update time the mart holds after that load. `new_orders_sensor` compares the
API's marker with the newest materialization's, so a change whose run failed is asked for again
until a run loads it, and the sensor needs no chDB open to know.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import dagster as dg

from qtickets_assets.lib.clickhouse.mart import SalesWatermark
from qtickets_assets.lib.qtickets.list_reports import OrderMarker

LOADED_MARKER = "loaded_marker"
FACT_SALES = dg.AssetKey("fact_sales")


def loaded_marker(watermark: SalesWatermark | None, newest_read: OrderMarker) -> OrderMarker:
    """The mart after this load: what it held before (`watermark`, None for a full load) and the
    newest order this load read. An incremental load re-reads the newest update, so its time
    comes from the orders read, the stored one only when none was read."""
    if watermark is None:
        return newest_read
    max_id = max(watermark.max_order_id, newest_read.max_id or watermark.max_order_id)
    return OrderMarker(max_id, newest_read.max_updated_at or watermark.max_updated_at)


def marker_json(marker: OrderMarker) -> dict[str, Any]:
    """`marker` as JSON values: the metadata entry below and the sensor's cursor."""
    stamp = marker.max_updated_at.isoformat() if marker.max_updated_at else None
    return {"max_id": marker.max_id, "max_updated_at": stamp}


def marker_from_json(data: Mapping[str, Any]) -> OrderMarker:
    """`marker_json`'s reverse (keys it lacks read as None)."""
    stamp = data.get("max_updated_at")
    return OrderMarker(data.get("max_id"), datetime.fromisoformat(stamp) if stamp else None)


def marker_metadata(marker: OrderMarker) -> dict[str, dg.MetadataValue]:
    """The `fact_sales` output metadata entry for `marker`."""
    return {LOADED_MARKER: dg.MetadataValue.json(marker_json(marker))}


def marker_from_metadata(metadata: Mapping[str, Any]) -> OrderMarker | None:
    """The marker a materialization recorded; None when it recorded none (made before this existed)."""
    entry = metadata.get(LOADED_MARKER)
    if not isinstance(entry, dg.JsonMetadataValue) or not isinstance(entry.data, dict):
        return None
    return marker_from_json(entry.data)


def last_loaded_marker(instance: dg.DagsterInstance) -> OrderMarker | None:
    """The marker of the newest `fact_sales` materialization (a materialization is recorded only
    once the table was written); None when there is none yet."""
    event = instance.get_latest_materialization_event(FACT_SALES)
    materialization = event.asset_materialization if event else None
    return marker_from_metadata(materialization.metadata) if materialization else None
