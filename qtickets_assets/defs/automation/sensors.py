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
from qtickets_assets.lib.qtickets.client import OrderMarker
from qtickets_assets.lib.qtickets.resource import QticketsResource

ALERT_WEBHOOK_ENV = "QTICKETS_ALERT_WEBHOOK_URL"
alert_log = logging.getLogger("qtickets_assets.alerts")


# When the server ignores `orderBy`, the newest update time is unknown and a change of an old
# order cannot be seen cheaply: then a run is requested for a new order id, or at this interval.
BLIND_INTERVAL = timedelta(minutes=10)


@dg.sensor(job=sales_job, minimum_interval_seconds=120, default_status=dg.DefaultSensorStatus.STOPPED)
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


@dg.run_failure_sensor(name="run_failure_alert", default_status=dg.DefaultSensorStatus.STOPPED)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    """One clear alert line per failed run, and a POST to QTICKETS_ALERT_WEBHOOK_URL when it is set."""
    line = alert_line(context.dagster_run.job_name, context.dagster_run.run_id, context.failure_event.message)
    alert_log.error(line)
    context.log.error(line)
    webhook = os.environ.get(ALERT_WEBHOOK_ENV)
    if webhook:
        # Not the Qtickets API: the client for that stays read-only. This is the team's chat hook.
        httpx.post(webhook, json={"text": line}, timeout=10.0).raise_for_status()


def alert_line(job_name: str, run_id: str, message: str | None) -> str:
    reason = " ".join((message or "no message").split())
    return f"ALERT qtickets-assets: run {run_id} of {job_name} failed: {reason}"


# RUNNING by default: it only refreshes the dashboard's preview after an upstream table changed
# (the view itself is always live), and evaluates to nothing when nothing changed.
dashboard_follows_upstreams = dg.AutomationConditionSensorDefinition(
    "dashboard_follows_upstreams",
    target=dg.AssetSelection.assets("v_sales_dashboard"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
)
