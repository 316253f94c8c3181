"""Sensors: launch the sales run only when the API has something new, raise an alert on failure,
and keep the dashboard following its upstreams. The first two start STOPPED: turn them on in the
UI (Automation) or with `dagster sensor start NAME`."""

import json
import logging
import os
from datetime import UTC, datetime, timedelta

import dagster as dg
import httpx

from qtickets_assets.defs.automation.jobs import sales_job
from qtickets_assets.defs.common import VIEWS
from qtickets_assets.lib.qtickets.client import OrderMarker
from qtickets_assets.lib.qtickets.resource import QticketsResource

ALERT_WEBHOOK_ENV = "QTICKETS_ALERT_WEBHOOK_URL"
alert_log = logging.getLogger("qtickets_assets.alerts")


# When the server ignores `orderBy`, the newest update time is unknown and a change of an old
# order cannot be seen cheaply: then a run is requested for a new order id, or at this interval.
BLIND_INTERVAL = timedelta(minutes=10)


@dg.sensor(
    job=sales_job,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Every 2 minutes asks the API (1-2 cheap requests) for its newest order id and update time, "
        "and runs sales_job only when either moved. Use either this sensor or the "
        "sales_every_10_minutes schedule, not both: they run the same job."
    ),
)
def new_orders_sensor(context: dg.SensorEvaluationContext, qtickets: QticketsResource) -> dg.SensorResult:
    """Asks the API (1-2 requests) for its newest order id and update time; runs sales on change."""
    with qtickets.client() as client:
        marker = client.latest_order_marker()
    request, cursor = decide(context.cursor, marker, datetime.now(UTC))
    if not request:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"no new or updated order since {cursor}"), cursor=cursor
        )
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=cursor)], cursor=cursor)


def decide(previous_cursor: str | None, marker: OrderMarker, now: datetime) -> tuple[bool, str]:
    """(request a run?, the new cursor) from the last cursor and what the API says now."""
    previous = json.loads(previous_cursor) if previous_cursor else {}
    state = {
        "max_id": marker.max_id,
        "max_updated_at": marker.max_updated_at and marker.max_updated_at.isoformat(),
    }
    # No order at all is a known state too (nothing to load), not an unknown update time.
    known = marker.max_updated_at is not None or marker.max_id is None
    last_request = previous.get("requested_at")
    if known:
        request = not previous or {key: previous.get(key) for key in state} != state
    else:
        request = (
            previous.get("max_id") != marker.max_id
            or last_request is None
            or now - datetime.fromisoformat(last_request) >= BLIND_INTERVAL
        )
    # The request time makes every run key unique, also when the visible state did not change.
    state["requested_at"] = now.isoformat() if request else last_request
    return request, json.dumps(state)


@dg.run_failure_sensor(
    name="run_failure_alert",
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "One ALERT line per failed run, naming the failed step and its cause; POSTed as "
        '{"text": line} to QTICKETS_ALERT_WEBHOOK_URL when that is set.'
    ),
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    """One clear alert line per failed run, and a POST to QTICKETS_ALERT_WEBHOOK_URL when it is set."""
    line = alert_line(context.dagster_run.job_name, context.dagster_run.run_id, failure_causes(context))
    alert_log.error(line)
    context.log.error(line)
    webhook = os.environ.get(ALERT_WEBHOOK_ENV)
    if webhook:
        # Not the Qtickets API: the client for that stays read-only. This is the team's chat hook.
        httpx.post(webhook, json={"text": line}, timeout=10.0).raise_for_status()


def failure_causes(context: dg.RunFailureSensorContext) -> str:
    """What made the run fail, step by step: our own errors' message (a `dg.Failure`'s description),
    else the exception's first line; the run's own message when no step failed (a launch error)."""
    causes = []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        user = data.user_failure_data
        text = user.description if user and user.description else data.error.message if data.error else ""
        causes.append(f"{event.step_key}: {text.strip().splitlines()[0] if text.strip() else 'no message'}")
    return "; ".join(causes) or (context.failure_event.message or "no message")


def alert_line(job_name: str, run_id: str, cause: str) -> str:
    reason = " ".join(cause.split())
    return f"ALERT qtickets-assets: run {run_id} of {job_name} failed: {reason}"


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
