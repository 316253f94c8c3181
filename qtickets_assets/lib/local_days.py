"""A ticket's calendar days (`_local` columns) in its event's city zone, added to the crawled
columns on the blocks the writer inserts (`Calendar.with_local_dates`), vectorised per zone, with
the zone they are in (`local_zone`); `Calendar.moved` names the events stored in a zone they no
longer have.

ClickHouse cannot do this per row: with a zone column `toDate(toTimeZone(t, zone))` silently uses
one zone for the whole column."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from qtickets_assets.lib.clickhouse.ddl import table_schema, to_arrow_schema
from qtickets_assets.lib.qtickets.models import Event
from qtickets_assets.lib.qtickets.rules import DEFAULT_TIMEZONE, event_timezone

log = logging.getLogger(__name__)
LOCAL_COLUMNS = ("created_date_local", "paid_date_local", "refunded_date_local")
ZONE_COLUMN = "local_zone"  # the zone LOCAL_COLUMNS were computed in, stored with them
DERIVED_COLUMNS = (*LOCAL_COLUMNS, ZONE_COLUMN)  # added to the crawled columns by Calendar


@dataclass
class Calendar:
    """Each event's city zone: what a ticket's calendar days are read in. (Days before the show
    are not stored: a show can move, so v_sales derives them from its current start.)"""

    zones: dict[int, str] = field(default_factory=dict)  # event_id -> IANA zone

    @classmethod
    def of_events(cls, events: Iterable[Event]) -> Calendar:
        calendar = cls()
        calendar.add_events(events)
        return calendar

    def add_events(self, events: Iterable[Event]) -> None:
        for event in events:
            self.zones[event.id] = event_timezone(event)

    def missing_events(self, event_ids: Iterable[int]) -> set[int]:
        return set(event_ids) - self.zones.keys()

    def moved(self, stored: Iterable[tuple[int, str]]) -> dict[int, tuple[str, str]]:
        """{event_id: (stored zone, zone now)} of the events whose tickets were stored with their days
        in a zone this calendar no longer gives them (stored: (event_id, zone) pairs; an event the
        calendar does not know keeps its days)."""
        return {
            event_id: (zone, self.zones[event_id])
            for event_id, zone in stored
            if event_id in self.zones and zone != self.zones[event_id]
        }

    def with_local_dates(self, block: pa.Table) -> pa.Table:
        """`block` (crawled columns) with DERIVED_COLUMNS added, in the DDL's column order."""
        zones = self._zone_column(block.column("event_id"))
        local = {
            "created_date_local": local_dates(block.column("created_at"), zones),
            "paid_date_local": local_dates(block.column("paid_at"), zones),
            "refunded_date_local": local_dates(block.column("refunded_at"), zones),
        }
        for name, values in (*local.items(), (ZONE_COLUMN, zones)):
            block = block.append_column(name, values)
        schema = table_schema("fact_sales")
        return block.select(schema.column_names).cast(to_arrow_schema(schema))

    def _zone_column(self, event_ids: pa.ChunkedArray[Any]) -> pa.Array[Any]:
        """Each row's zone, looked up in Arrow: a block holds up to BLOCK_ROWS tickets."""
        known = pa.array(list(self.zones), pa.int64())
        position = pc.index_in(event_ids.combine_chunks().cast(pa.int64()), value_set=known)
        if position.null_count:
            unknown: list[int] = pc.unique(pc.filter(event_ids, pc.is_null(position))).to_pylist()  # type: ignore[assignment]
            log.warning(f"no time zone known for events {sorted(unknown)[:10]}; their days are Moscow days")
        zones = pa.array(list(self.zones.values()), pa.string()).take(position)
        return zones.fill_null(DEFAULT_TIMEZONE)


def local_dates(instants: pa.ChunkedArray[Any] | pa.Array[Any], zones: pa.Array[Any]) -> pa.Array[Any]:
    """The calendar day of each UTC instant in the zone of its row (NULL stays NULL)."""
    instants = instants.combine_chunks() if isinstance(instants, pa.ChunkedArray) else instants
    result = pa.nulls(len(instants), pa.date32())
    for zone in pc.unique(zones).to_pylist():
        mask = pc.equal(zones, pa.scalar(zone, pa.string()))
        # A zone-aware timestamp cast to a date takes the local day (Arrow's temporal semantics).
        in_zone = pc.filter(instants, mask).cast(pa.timestamp("s", tz=zone))
        result = pc.replace_with_mask(result, mask, pc.cast(in_zone, pa.date32()))
    return result
