"""Sensors: launch the sales run only when the API has something new, and keep the dashboard
following its upstreams (the failure alert is in alerts.py). The first starts STOPPED: turn it on
in the UI (Automation) or with `dagster sensor start NAME` (DAGSTER_HOME set as `make dev` sets it)."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import dagster as dg

from qtickets_assets.defs.automation.jobs import nightly_reconcile_job, sales_job
from qtickets_assets.defs.common import VIEWS
from qtickets_assets.defs.sales.marker import FACT_SALES, last_loaded_marker, marker_from_json, marker_json
from qtickets_assets.lib.qtickets.list_reports import OrderMarker
from qtickets_assets.lib.qtickets.resource import QticketsResource

# When the server ignores `orderBy`, the newest update time is unknown and a change of an old
# order cannot be seen cheaply: then a run is requested for a new order id, or at this interval.
BLIND_INTERVAL = timedelta(minutes=10)
# A change the API shows but no run has loaded yet (its run failed) is requested again this long
# after the last request: often enough to heal, not an alert every tick for a lasting fault.
AGAIN_INTERVAL = timedelta(minutes=10)
ASSET_JOB = "__ASSET_JOB"  # the job of a run materialized from the UI
# A sales_job run in one of these states will load what the API shows: no second one is requested.
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


class Decision(NamedTuple):
    request: bool
    cursor: str  # the state last requested, and when
    reason: str  # why nothing was requested (the tick's skip message)


@dg.sensor(
    job=sales_job,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Every 2 minutes asks the API (1-3 cheap requests) for its newest order id and update time, "
        "and runs sales_job while they are ahead of what the last successful fact_sales load "
        "recorded (a failed run's change is asked for again every 10 minutes). Use either this "
        "sensor or the sales_every_10_minutes schedule, not both: they run the same job."
    ),
)
def new_orders_sensor(context: dg.SensorEvaluationContext, qtickets: QticketsResource) -> dg.SensorResult:
    """Asks the API (1-3 requests) for its newest order id and update time; runs sales while the
    newest successful load is behind it."""
    with qtickets.probe_client() as client:
        marker = client.latest_order_marker()
    decision = decide(
        context.cursor,
        marker,
        last_loaded_marker(context.instance),
        datetime.now(UTC),
        sales_in_flight(context.instance),
    )
    if not decision.request:
        return dg.SensorResult(skip_reason=dg.SkipReason(decision.reason), cursor=decision.cursor)
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=decision.cursor)], cursor=decision.cursor)


def sales_in_flight(instance: dg.DagsterInstance) -> bool:
    """Whether a queued or running run will load fact_sales: a sales_job, the nightly rebuild, or
    fact_sales materialized from the UI (one run at a time: a second would only queue behind)."""
    for job in (sales_job.name, nightly_reconcile_job.name):
        if instance.get_run_ids(dg.RunsFilter(job_name=job, statuses=IN_FLIGHT), limit=1):
            return True
    # Asset runs (Materialize in the UI) of any selection: few are ever queued at once.
    asset_runs = instance.get_runs(dg.RunsFilter(job_name=ASSET_JOB, statuses=IN_FLIGHT))
    return any(FACT_SALES in (run.asset_selection or ()) for run in asset_runs)


def behind(loaded: OrderMarker | None, marker: OrderMarker) -> bool:
    """Whether the API shows an order id or update time the last successful load did not reach."""
    if loaded is None:
        return True
    newer_id = marker.max_id is not None and (loaded.max_id is None or marker.max_id > loaded.max_id)
    newer_update = marker.max_updated_at is not None and (
        loaded.max_updated_at is None or marker.max_updated_at > loaded.max_updated_at
    )
    return newer_id or newer_update


def decide(
    previous_cursor: str | None,
    marker: OrderMarker,
    loaded: OrderMarker | None,
    now: datetime,
    in_flight: bool = False,
) -> Decision:
    """Whether to request a run, from the API's marker now, the last successful load's marker
    (`loaded`, None before the first), the last request (`previous_cursor`) and whether a sales
    run is queued or running."""
    previous = json.loads(previous_cursor) if previous_cursor else {}
    state = marker_json(marker)
    last_request = previous.get("requested_at")
    since_request = now - datetime.fromisoformat(last_request) if last_request else None
    changed = {key: previous.get(key) for key in state} != state
    # The last request's run failed when what it asked for is still ahead of the last successful
    # load: its interval is waited out whatever changed since, or a lasting fault on an account
    # whose orders keep coming would cost a run (and an alert) every tick.
    failed = last_request is not None and behind(loaded, requested_marker(previous))
    # No order at all is a known state too (nothing to load), not an unknown update time.
    known = marker.max_updated_at is not None or marker.max_id is None
    if in_flight:
        request, reason = False, "a run that loads fact_sales is queued or running"
    elif known and not behind(loaded, marker):
        request, reason = False, f"no new or updated order since the last successful load: {state}"
    elif known:
        # Behind: a change not requested yet, or one whose run failed (asked for again in a while).
        request = not failed or since_request is None or since_request >= AGAIN_INTERVAL
        reason = not_loaded_reason(previous, state)
    else:
        request = (changed and not failed) or since_request is None or since_request >= BLIND_INTERVAL
        reason = f"no new order id since {state} (the server ignores orderBy: a run every 10 minutes)"
    # The request time makes every run key unique, also when the visible state did not change.
    cursor = {**state, "requested_at": now.isoformat()} if request else previous
    return Decision(request, json.dumps(cursor), reason)


def requested_marker(cursor: dict[str, Any]) -> OrderMarker:
    """The marker a cursor's request was made for."""
    return marker_from_json(cursor)


def not_loaded_reason(previous: dict[str, Any], state: dict[str, Any]) -> str:
    """The skip message while a requested change is not loaded: when it is asked for again."""
    last_request = previous.get("requested_at")
    if last_request is None:
        return f"the API shows {state}, which no successful load has reached"
    requested = datetime.fromisoformat(last_request)
    asked_for = {key: previous.get(key) for key in state}
    now_shows = "" if asked_for == state else f"; the API now shows {state}"
    return (
        f"the run requested at {requested.isoformat(timespec='seconds')} for {asked_for} has not "
        f"loaded it (see its run){now_shows}; asking again at "
        f"{(requested + AGAIN_INTERVAL).isoformat(timespec='seconds')}"
    )


# RUNNING by default: it only refreshes the views' previews after an upstream table changed
# (the views themselves are always live), and evaluates to nothing when nothing changed.
views_follow_upstreams = dg.AutomationConditionSensorDefinition(
    "views_follow_upstreams",
    target=dg.AssetSelection.groups(VIEWS),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description=(
        "Refreshes each view's row count and preview in the UI once one of its upstream tables was "
        "written (the views themselves are always live in ClickHouse). Running by default."
    ),
)
