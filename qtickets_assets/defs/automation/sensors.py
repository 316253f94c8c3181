"""Sensors: launch the sales run only when the API has something new, raise an alert on failure,
and keep the dashboard following its upstreams. The first two start STOPPED: turn them on in the
UI (Automation) or with `dagster sensor start NAME`."""

import json
import logging
import os

import dagster as dg
import httpx

from qtickets_assets.defs.automation.jobs import sales_job
from qtickets_assets.lib.qtickets.resource import QticketsResource

ALERT_WEBHOOK_ENV = "QTICKETS_ALERT_WEBHOOK_URL"
alert_log = logging.getLogger("qtickets_assets.alerts")


@dg.sensor(job=sales_job, minimum_interval_seconds=120, default_status=dg.DefaultSensorStatus.STOPPED)
def new_orders_sensor(context: dg.SensorEvaluationContext, qtickets: QticketsResource) -> dg.SensorResult:
    """Asks the API (a few requests) for its newest order id and update time; runs sales on change.

    When the server cannot say when orders last changed (it ignored the ordering), the marker's
    update time is unknown and every evaluation requests a run, like the schedule would.
    """
    with qtickets.client() as client:
        marker = client.latest_order_marker()
    cursor = json.dumps(
        {
            "max_id": marker.max_id,
            "max_updated_at": marker.max_updated_at and marker.max_updated_at.isoformat(),
        }
    )
    # No order at all is a known state too (nothing to load), not an unknown update time.
    known = marker.max_updated_at is not None or marker.max_id is None
    if cursor == context.cursor and known:
        return dg.SensorResult(skip_reason=dg.SkipReason(f"no new or updated order since {cursor}"))
    # With the update time unknown the cursor may not change, so no run key would dedupe the request.
    run_key = cursor if known else None
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=run_key)], cursor=cursor)


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
