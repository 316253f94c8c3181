"""A sales load as soon as an events load finds an event in another time zone than its stored
tickets' calendar days (it moved to a city in another zone, or its city's zone became known).

Until a sales load writes those days again, `v_sales_daily` and the views on it count that
event's tickets on the old zone's days while `v_sales` and the dashboard's "today" follow the new
one. The events step counts such events (`events_moved_zone` on `dim_events`); this sensor reads
that count from the instance (no API request, no chDB open) and runs `sales_job`, instead of the
mart waiting for the next scheduled sales load."""

import dagster as dg

from qtickets_assets.defs.automation.jobs import sales_job
from qtickets_assets.defs.automation.sensors import sales_in_flight
from qtickets_assets.defs.sales.marker import FACT_SALES

DIM_EVENTS = dg.AssetKey("dim_events")
EVENTS_MOVED_ZONE = "events_moved_zone"  # dim_events' metadata entry (defs/events/assets.py)


# RUNNING by default: it asks nothing of the API, and runs sales_job only after an events load
# (which the user or a schedule started) found a moved event, a rare edit.
@dg.asset_sensor(
    asset_key=DIM_EVENTS,
    job=sales_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Runs sales_job after an events load that found events in another time zone than their "
        "stored tickets' days (events_moved_zone on dim_events), so that their days in "
        "v_sales_daily follow the move within a minute, not at the next scheduled sales load. "
        "Reads the instance only. Running by default."
    ),
)
def moved_events_sensor(
    context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry
) -> dg.RunRequest | dg.SkipReason:
    return moved_events_request(context.instance, asset_event)


def moved_events_request(
    instance: dg.DagsterInstance, events_load: dg.EventLogEntry
) -> dg.RunRequest | dg.SkipReason:
    """A sales run for the moves `events_load` (a dim_events materialization) found, unless a sales
    load since then, or one queued or running, writes their days anyway."""
    moved = moved_count(events_load)
    if not moved:
        return dg.SkipReason(
            "the newest events load found no event in another time zone than its tickets' days"
        )
    sales = instance.get_latest_materialization_event(FACT_SALES)
    if sales is not None and sales.timestamp >= events_load.timestamp:
        return dg.SkipReason(f"fact_sales was loaded after the events load that found {moved} moved events")
    if sales_in_flight(instance):
        return dg.SkipReason(
            "a run that loads fact_sales is queued or running: it writes the moved events' days"
        )
    return dg.RunRequest(run_key=f"events-moved-{events_load.run_id}")


def moved_count(events_load: dg.EventLogEntry) -> int:
    """The `events_moved_zone` a dim_events materialization recorded (0 before it was recorded)."""
    materialization = events_load.asset_materialization
    entry = materialization.metadata.get(EVENTS_MOVED_ZONE) if materialization else None
    return (entry.value or 0) if isinstance(entry, dg.IntMetadataValue) else 0
