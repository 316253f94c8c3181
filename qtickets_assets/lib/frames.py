"""Typed Qtickets records → the mart's rows, named and ordered like the DDL's columns.

Pure functions: no I/O, no Dagster. The small tables are pandas DataFrames, which the IO manager
turns into Arrow with the DDL's types; `fact_sales`, the large one, is built as Arrow in
`lib/tickets.py`.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.qtickets.models import Discount, Event, PromoCode
from qtickets_assets.lib.qtickets.rules import ShowInventory, event_dates, event_timezone, is_live

NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # an event the API gives no time at all


def events_frame(events: Iterable[Event]) -> pd.DataFrame:
    """`dim_events`: every event the API returns, deleted ones flagged; dates from its live shows."""
    rows = []
    for event in events:
        starts_at, ends_at = event_dates(event)
        rows.append(
            {
                "event_id": event.id,
                "event_name": event.name,
                "city_id": event.city.id if event.city else event.city_id or 0,
                "city_name": event.city.name if event.city else "",
                "city_timezone": event_timezone(event),
                "venue_name": event.place_name or "",  # an online event has no venue
                "venue_address": event.place_address or "",
                "starts_at": starts_at,
                "ends_at": ends_at,
                "is_active": int(event.is_active),
                "is_deleted": int(event.deleted_at is not None),
                # dim_events' version: the creation time when the API sends no update time.
                "updated_at": event.updated_at or event.created_at or NO_TIME,
            }
        )
    return _frame(rows, "dim_events")


def shows_frame(events: Iterable[Event]) -> pd.DataFrame:
    """`dim_shows`: every show with its event; a show of a deleted event counts as deleted."""
    rows = [
        {
            "show_id": show.id,
            "event_id": event.id,
            "starts_at": show.start_date,
            "ends_at": show.finish_date,
            "is_active": int(show.is_active),
            "is_deleted": int(not is_live(event, show)),
            "updated_at": show.updated_at,
        }
        for event in events
        for show in event.shows
    ]
    return _frame(rows, "dim_shows")


def inventory_frame(
    snapshot_at: datetime, shows: pd.DataFrame, inventory: dict[int, ShowInventory]
) -> pd.DataFrame:
    """`inventory_raw`: one row per live show counted in this snapshot, sold = total − left."""
    counted = shows[shows["show_id"].isin(list(inventory))]
    frame = counted[["event_id", "show_id", "starts_at"]].rename(columns={"starts_at": "show_starts_at"})
    frame.insert(0, "snapshot_at", snapshot_at)
    frame["tickets_total"] = frame["show_id"].map(lambda show_id: inventory[show_id].tickets_total)
    frame["tickets_left"] = frame["show_id"].map(lambda show_id: inventory[show_id].tickets_left)
    frame["tickets_sold"] = frame["tickets_total"] - frame["tickets_left"]
    return frame.reset_index(drop=True)


def discounts_frame(discounts: Iterable[Discount]) -> pd.DataFrame:
    """`dim_discounts`: every discount the API returns, deleted ones flagged."""
    rows = [
        {
            "discount_id": d.id,
            "name": d.name,
            "type": d.type or "",
            "is_active": int(d.is_active),
            "active_from": d.active_from,
            "active_to": d.active_to,
            "is_deleted": int(d.deleted_at is not None),
        }
        for d in discounts
    ]
    return _frame(rows, "dim_discounts")


def promo_codes_frame(promo_codes: Iterable[PromoCode]) -> pd.DataFrame:
    """`dim_promo_codes`: every promo code the API returns, deleted ones flagged."""
    rows = [
        {
            "promo_code_id": p.id,
            "code": p.code,
            "discount_id": p.discount_id,
            "is_active": int(p.is_active),
            "max_uses_count": p.max_uses_count,
            "active_from": p.active_from,
            "active_to": p.active_to,
            "is_deleted": int(p.deleted_at is not None),
        }
        for p in promo_codes
    ]
    return _frame(rows, "dim_promo_codes")


def _frame(rows: list[dict[str, Any]], table: str) -> pd.DataFrame:
    # Column order (and the columns of an empty frame) come from the DDL, the one list of columns.
    return pd.DataFrame(rows, columns=[column.name for column in table_schema(table).columns])
