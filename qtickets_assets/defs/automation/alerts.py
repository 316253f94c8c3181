"""The failure alert: one clear line per failed run, on the console and, when
QTICKETS_ALERT_WEBHOOK_URL is set, POSTed to the team's chat. It starts STOPPED: turn it on in the UI
(Automation) or with `dagster sensor start run_failure_alert`."""

import logging
import os
import time

import dagster as dg
import httpx

ALERT_WEBHOOK_ENV = "QTICKETS_ALERT_WEBHOOK_URL"
ALERT_RETRY_SECONDS = 2.0  # waits of 2 s, then 4 s: three tries of 5 s each end within a tick
# For a deployment that ships its Python logs (configure a handler for it). Unconfigured, as in the
# code server that runs the sensor, it prints nothing: Python's last-resort handler would print each
# alert a second time, bare, beside the console line of `context.log` (also the tick's log).
alert_log = logging.getLogger("qtickets_assets.alerts")
alert_log.addHandler(logging.NullHandler())


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
        post_alert(webhook, line)


def post_alert(webhook: str, line: str, tries: int = 3) -> None:
    """POST the line to the team's chat hook (not the Qtickets API: that client stays read-only),
    a few tries within the tick: Dagster moves past a failed run even when this sensor fails, so a
    hook's passing 502 must not lose the alert. The hook's URL is a credential: never in an error."""
    last = ""
    for attempt in range(tries):
        if attempt:
            time.sleep(ALERT_RETRY_SECONDS * attempt)
        try:
            response = httpx.post(webhook, json={"text": line}, timeout=5.0)
        except httpx.HTTPError as exc:
            last = type(exc).__name__
            continue
        if response.is_success:
            return
        last = f"HTTP {response.status_code}"
    raise RuntimeError(f"the alert was not delivered to {ALERT_WEBHOOK_ENV} in {tries} tries (last: {last})")


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
