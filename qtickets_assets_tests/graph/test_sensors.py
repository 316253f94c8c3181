"""The sensors: `new_orders_sensor` against a sandbox, and `run_failure_alert` on a failed run."""

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import dagster as dg
import pytest
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.storage.dagster_run import DagsterRun

from qtickets_assets.defs.automation import alerts, sensors
from qtickets_assets.defs.automation.alerts import run_failure_alert
from qtickets_assets.defs.automation.sensors import new_orders_sensor
from qtickets_assets.defs.sales.marker import loaded_marker, marker_json
from qtickets_assets.lib.clickhouse.mart import SalesWatermark
from qtickets_assets.lib.qtickets.list_reports import OrderMarker
from qtickets_assets.lib.qtickets.resource import QticketsResource
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.graph.mart import materialize_all

MAX_REQUESTS_PER_EVALUATION = 3


def evaluate(
    sandbox: SandboxHandle,
    cursor: str | None,
    instance: dg.DagsterInstance | None = None,
    loaded: str | None = None,
) -> tuple[dg.SensorResult, int]:
    """One evaluation of new_orders_sensor (on `instance`, else one without any run, where the
    request of cursor `loaded`, if given, reads as loaded by a successful run), and how many API
    requests it made."""
    sandbox.reset_stats()
    with contextlib.ExitStack() as stack:
        if loaded is not None:
            marker = sensors.requested_marker(json.loads(loaded))
            stack.enter_context(mock.patch.object(sensors, "last_loaded_marker", lambda _: marker))
        instance = instance or stack.enter_context(dg.DagsterInstance.ephemeral())
        context = dg.build_sensor_context(
            cursor=cursor,
            instance=instance,
            resources={"qtickets": QticketsResource(base_url=sandbox.base_url, token=sandbox.token)},
        )
        result = new_orders_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result, sandbox.stats()["total_requests"]


def requested(result: dg.SensorResult) -> bool:
    assert bool(result.run_requests) != bool(result.skip_reason), result
    return bool(result.run_requests)


def test_new_orders_sensor_runs_sales_only_when_orders_change():
    with run_sandbox(size="small", seed=4) as sandbox:
        first, requests = evaluate(sandbox, None)
        assert requested(first) and len(first.run_requests) == 1
        assert first.cursor is not None
        marker = json.loads(first.cursor)
        assert marker["max_id"] == max(order.id for order in sandbox.world.orders)
        assert marker["max_updated_at"] is not None
        assert first.run_requests[0].run_key == first.cursor, "a run key dedupes a repeated request"
        assert 1 <= requests <= MAX_REQUESTS_PER_EVALUATION

        quiet, requests = evaluate(sandbox, first.cursor)
        assert not requested(quiet)
        assert "has not loaded it (see its run); asking again at " in quiet.skip_reason.skip_message
        assert requests <= MAX_REQUESTS_PER_EVALUATION

        sandbox.advance(new_orders=5)
        after_new, requests = evaluate(sandbox, first.cursor, loaded=first.cursor)
        assert requested(after_new)
        assert json.loads(after_new.cursor)["max_id"] > marker["max_id"]
        assert after_new.run_requests[0].run_key == after_new.cursor != first.cursor
        assert requests <= MAX_REQUESTS_PER_EVALUATION

        # A refund changes no id, only an update time: still new work for the sales run. Update
        # times have whole seconds, so let the clock leave the second of the new orders first.
        newest = datetime.fromisoformat(json.loads(after_new.cursor)["max_updated_at"]).timestamp()
        while time.time() < newest + 1:
            time.sleep(0.05)
        sandbox.advance(refunds=2)
        after_refund, requests = evaluate(sandbox, after_new.cursor, loaded=after_new.cursor)
        assert requested(after_refund)
        assert json.loads(after_refund.cursor)["max_id"] == json.loads(after_new.cursor)["max_id"]
        assert requests <= MAX_REQUESTS_PER_EVALUATION

        settled, _ = evaluate(sandbox, after_refund.cursor, loaded=after_refund.cursor)
        assert not requested(settled)


def test_new_orders_sensor_without_ordering_runs_on_new_ids_or_every_ten_minutes():
    """With orderBy ignored an old order's update cannot be seen cheaply: a run is requested for
    a new order id, or when the last request is ten minutes old, never on every evaluation."""
    with run_sandbox(size="small", seed=4, ignore_filters=True) as sandbox:
        first, requests = evaluate(sandbox, None)
        assert requested(first) and requests <= MAX_REQUESTS_PER_EVALUATION
        marker = json.loads(first.cursor)
        assert (marker["max_id"], marker["max_updated_at"]) == (max(o.id for o in sandbox.world.orders), None)

        quiet, _ = evaluate(sandbox, first.cursor)
        assert not requested(quiet)

        sandbox.advance(new_orders=1)
        while_failing, _ = evaluate(sandbox, quiet.cursor)  # the first request's run failed
        assert not requested(while_failing)
        after_new, _ = evaluate(sandbox, quiet.cursor, loaded=first.cursor)
        assert requested(after_new) and after_new.run_requests[0].run_key != first.run_requests[0].run_key

        stale = {**json.loads(quiet.cursor), "max_id": json.loads(after_new.cursor)["max_id"]}
        stale["requested_at"] = (datetime.now(UTC) - timedelta(minutes=11)).isoformat()
        overdue, _ = evaluate(sandbox, json.dumps(stale))
        assert requested(overdue)


class Webhook:
    """A local chat hook: records the body of every POST it accepts; answers 502 to the first
    `failing` ones (a chat service having a bad moment)."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.failing = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.failing > 0:
                    hook.failing -= 1
                    self.send_response(502)
                else:
                    hook.posts.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/SECRET-HOOK-KEY"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    thread = threading.Thread(target=hook.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def failed_inventory_run(tmp_path_factory) -> Iterator[tuple[dg.DagsterInstance, dg.ExecuteInProcessResult]]:
    """The project's inventory job, run with a token the API refuses."""
    url = f"chdb://{tmp_path_factory.mktemp('alert') / 'ch'}"
    with dg.DagsterInstance.ephemeral() as instance, run_sandbox(size="small", seed=4) as sandbox:
        result = materialize_all(
            sandbox.base_url, "not-the-token", url, job_name="inventory_job", instance=instance
        )
        assert not result.success
        yield instance, result


def failure_context(failed_inventory_run) -> dg.RunFailureSensorContext:
    instance, result = failed_inventory_run
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()


def expected_line(context: dg.RunFailureSensorContext) -> str:
    run = context.dagster_run
    return f"ALERT qtickets-assets: run {run.run_id} of inventory_job failed: "


def test_run_failure_alert_logs_one_line_with_the_cause(monkeypatch, caplog, failed_inventory_run):
    monkeypatch.delenv(alerts.ALERT_WEBHOOK_ENV, raising=False)
    context = failure_context(failed_inventory_run)
    with caplog.at_level("ERROR", logger="qtickets_assets.alerts"):
        run_failure_alert(context)
    [record] = [r for r in caplog.records if r.name == "qtickets_assets.alerts"]
    line = record.getMessage()
    assert line.startswith(expected_line(context))
    # Each failed step with its own cause (the events and the discounts both asked the API).
    assert "dim_events_and_dim_shows: the Qtickets API refused the token (HTTP 403 on GET /events)" in line
    assert "dim_discounts_and_dim_promo_codes: the Qtickets API refused the token" in line
    assert "check QTICKETS_TOKEN" in line and "not-the-token" not in line
    assert "\n" not in line, "one line per alert"


def test_the_run_page_leads_with_our_own_message(failed_inventory_run):
    """The failed step's error is a dg.Failure whose description is our message, not Dagster's
    "Error occurred while executing op ..." with our text buried in its cause."""
    _, result = failed_inventory_run
    [failure] = [
        e for e in result.all_events if e.is_step_failure and e.step_key == "dim_events_and_dim_shows"
    ]
    assert failure.step_failure_data.user_failure_data.description.startswith(
        "the Qtickets API refused the token (HTTP 403 on GET /events)"
    )
    assert failure.step_failure_data.error.cls_name == "Failure"


# As the code server evaluates the alert sensor: Python's logging not configured by anyone.
ALERT_WITHOUT_LOGGING_CONFIGURED = """
from qtickets_assets.defs.automation import alerts
alerts.alert_log.error("ALERT qtickets-assets: run 1 of sales_job failed: fact_sales: unavailable")
"""


def test_the_alert_logger_prints_no_second_copy_of_the_line():
    """`make dev`'s console printed every alert twice: bare (Python's last-resort handler) and as
    the sensor's own log line; the console keeps the latter only."""
    done = subprocess.run(
        [sys.executable, "-c", ALERT_WITHOUT_LOGGING_CONFIGURED], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "ALERT" not in done.stderr + done.stdout


def test_run_failure_alert_posts_the_line_to_the_webhook(monkeypatch, caplog, webhook, failed_inventory_run):
    monkeypatch.setenv(alerts.ALERT_WEBHOOK_ENV, webhook.url)
    context = failure_context(failed_inventory_run)
    with caplog.at_level("ERROR", logger="qtickets_assets.alerts"):
        run_failure_alert(context)
    [record] = [r for r in caplog.records if r.name == "qtickets_assets.alerts"]
    assert webhook.posts == [{"text": record.getMessage()}]
    assert record.getMessage().startswith(expected_line(context))


def test_a_hooks_passing_502_does_not_lose_the_alert(monkeypatch, webhook, failed_inventory_run):
    """Dagster moves past a failed run even when this sensor fails: the POST is tried again."""
    monkeypatch.setenv(alerts.ALERT_WEBHOOK_ENV, webhook.url)
    monkeypatch.setattr(alerts, "ALERT_RETRY_SECONDS", 0.01)
    webhook.failing = 2
    run_failure_alert(failure_context(failed_inventory_run))
    assert [post["text"].startswith("ALERT qtickets-assets: run ") for post in webhook.posts] == [True]


def test_a_hook_that_keeps_failing_fails_the_tick_without_showing_its_url(
    monkeypatch, webhook, failed_inventory_run
):
    monkeypatch.setenv(alerts.ALERT_WEBHOOK_ENV, webhook.url)
    monkeypatch.setattr(alerts, "ALERT_RETRY_SECONDS", 0.01)
    webhook.failing = 3
    with pytest.raises(RuntimeError) as err:
        run_failure_alert(failure_context(failed_inventory_run))
    assert str(err.value) == (
        "the alert was not delivered to QTICKETS_ALERT_WEBHOOK_URL in 3 tries (last: HTTP 502)"
    )
    assert err.value.__cause__ is None and err.value.__context__ is None
    assert webhook.posts == []


def test_the_sensors_probe_gives_up_within_a_tick_whatever_the_runs_retry_budget():
    """Dagster abandons a sensor evaluation after 60 s, and the abandoned one would go on retrying
    behind the next ticks: the probe retries once, not the run's six times."""
    with run_sandbox(size="small", seed=4) as sandbox:
        sandbox.set_faults(fault_503=1.0)
        started = time.monotonic()
        with pytest.raises(
            Exception, match=r"GET /orders failed 2 times \(retries exhausted\); last: HTTP 503"
        ):
            evaluate(sandbox, None)
        assert time.monotonic() - started < 20


def test_a_change_whose_run_failed_says_when_it_is_asked_for_again():
    """The tick after a failed run named the request's time to the microsecond and "asking again
    later"; it now says when."""
    api = OrderMarker(max_id=1603002, max_updated_at=datetime(2026, 12, 5, 18, 4, 23, tzinfo=UTC))
    loaded = OrderMarker(max_id=1602990, max_updated_at=datetime(2026, 12, 5, 17, 6, 8, tzinfo=UTC))
    requested_at = datetime(2026, 12, 5, 18, 5, 50, 243728, tzinfo=UTC)
    cursor = json.dumps({**marker_json(api), "requested_at": requested_at.isoformat()})
    decision = sensors.decide(cursor, api, loaded, requested_at + timedelta(minutes=4))
    assert not decision.request
    assert decision.reason == (
        "the run requested at 2026-12-05T18:05:50+00:00 for {'max_id': 1603002, 'max_updated_at': "
        "'2026-12-05T18:04:23+00:00'} has not loaded it (see its run); asking again at "
        "2026-12-05T18:15:50+00:00"
    )
    assert sensors.decide(cursor, api, loaded, requested_at + timedelta(minutes=10)).request


def test_new_orders_sensor_skips_an_account_without_orders():
    """No order at all is a known state: one run for the first look, then skips (not a run every
    two minutes as for an unknown update time)."""
    with run_sandbox(size="small", seed=4) as sandbox:
        sandbox.world.orders.clear()
        first, _ = evaluate(sandbox, None)
        assert requested(first)
        assert json.loads(first.cursor)["max_id"] is json.loads(first.cursor)["max_updated_at"] is None
        assert first.run_requests[0].run_key == first.cursor
        again, requests = evaluate(sandbox, first.cursor)
        assert not requested(again)
        assert requests <= MAX_REQUESTS_PER_EVALUATION


def aged(cursor: str, minutes: int) -> str:
    """`cursor` as a later tick sees it: its request made `minutes` ago."""
    state = json.loads(cursor)
    state["requested_at"] = (
        datetime.fromisoformat(state["requested_at"]) - timedelta(minutes=minutes)
    ).isoformat()
    return json.dumps(state)


def test_new_orders_sensor_asks_again_after_a_failed_run_until_one_loads_the_change(tmp_path):
    """The sensor compares the API with the newest successful fact_sales load, not with what it
    last requested: a change whose run failed is requested again (every 10 minutes) until a run
    loads it, then the ticks are quiet."""
    url = f"chdb://{tmp_path / 'ch'}"
    with dg.DagsterInstance.ephemeral() as instance, run_sandbox(size="small", seed=4) as sandbox:
        first, _ = evaluate(sandbox, None, instance)
        assert requested(first)
        assert materialize_all(sandbox.base_url, sandbox.token, url, instance=instance).success
        loaded = json.loads(first.cursor)
        quiet, _ = evaluate(sandbox, aged(first.cursor, 60), instance)
        assert not requested(quiet)
        assert quiet.skip_reason.skip_message.startswith("no new or updated order since")

        sandbox.advance(new_orders=5, refunds=1)
        change, _ = evaluate(sandbox, quiet.cursor, instance)
        assert requested(change)
        assert (
            json.loads(change.cursor)["max_id"] == max(o.id for o in sandbox.world.orders) > loaded["max_id"]
        )
        # Its run fails (the API refuses the token): nothing is loaded.
        failed = materialize_all(
            sandbox.base_url, "not-the-token", url, job_name="sales_job", instance=instance
        )
        assert not failed.success

        cursor = change.cursor
        at_once, _ = evaluate(sandbox, cursor, instance)
        assert not requested(at_once), "not on every tick: a lasting fault would alert every 2 minutes"
        for _ in range(2):  # still behind at every later tick, also after another failed request
            later, _ = evaluate(sandbox, aged(cursor, 11), instance)
            assert requested(later)
            assert later.run_requests[0].run_key != cursor
            cursor = later.cursor

        assert materialize_all(
            sandbox.base_url, sandbox.token, url, job_name="sales_job", instance=instance
        ).success
        settled, _ = evaluate(sandbox, aged(cursor, 11), instance)
        assert not requested(settled)
        assert "since the last successful load" in settled.skip_reason.skip_message


def test_a_lasting_fault_costs_one_run_per_interval_while_orders_keep_coming():
    """Every tick of a lasting fault saw a new order and asked for a run at once: a failed run
    (and its alert, twice with the run's retry) every 2 minutes instead of every 10."""
    loaded = OrderMarker(max_id=100, max_updated_at=datetime(2026, 12, 5, 18, 0, tzinfo=UTC))
    start = datetime(2026, 12, 5, 18, 10, tzinfo=UTC)
    cursor, requested = None, []
    for tick in range(10):  # 20 minutes of ticks; one new order before each; every run fails
        now = start + timedelta(minutes=2 * tick)
        api = OrderMarker(max_id=101 + tick, max_updated_at=now - timedelta(seconds=30))
        decision = sensors.decide(cursor, api, loaded, now)
        cursor = decision.cursor
        if decision.request:
            requested.append(2 * tick)
        else:
            assert "has not loaded it (see its run); the API now shows {'max_id': " in decision.reason
    assert requested == [0, 10]
    # Once a run loads what was asked for, the next change is asked for at once.
    loaded = sensors.requested_marker(json.loads(cursor))
    now = start + timedelta(minutes=22)
    api = OrderMarker(max_id=200, max_updated_at=now)
    assert sensors.decide(cursor, api, loaded, now).request


@pytest.mark.parametrize(
    ("job_name", "assets", "loads_sales"),
    [
        ("sales_job", None, True),
        ("nightly_reconcile_job", None, True),
        ("__ASSET_JOB", frozenset({dg.AssetKey("fact_sales")}), True),  # Materialize in the UI
        ("inventory_job", None, False),
        ("__ASSET_JOB", frozenset({dg.AssetKey("dim_events")}), False),
    ],
)
def test_a_run_that_will_load_the_sales_counts_as_in_flight(job_name, assets, loads_sales):
    """The nightly rebuild or a UI materialization of fact_sales running did not count: the sensor
    queued a sales_job behind it, a redundant run in the one run slot."""
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_run(
            DagsterRun(job_name=job_name, asset_selection=assets, status=dg.DagsterRunStatus.STARTED)
        )
        for _ in range(60):  # queued behind it: newer in-flight runs that load no sales
            instance.add_run(DagsterRun(job_name="inventory_job", status=dg.DagsterRunStatus.STARTING))
        assert sensors.sales_in_flight(instance) is loads_sales


def test_new_orders_sensor_asks_for_no_second_run_while_a_sales_run_is_queued():
    """A queued sales_job will load what the API shows (one run at a time): the tick skips, even
    before any load, instead of queueing a second run behind it."""
    with dg.DagsterInstance.ephemeral() as instance, run_sandbox(size="small", seed=4) as sandbox:
        location = RegisteredCodeLocationOrigin("qtickets_assets")  # a queued run names its origin
        origin = RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), "sales_job")
        queued = DagsterRun(job_name="sales_job", status=dg.DagsterRunStatus.QUEUED, remote_job_origin=origin)
        instance.add_run(queued)
        result, _ = evaluate(sandbox, None, instance)
        assert not requested(result)
        assert result.skip_reason.skip_message == "a run that loads fact_sales is queued or running"


def test_a_load_of_updated_older_orders_only_keeps_the_newest_id_and_the_sensor_quiet():
    """An incremental load that read no new order, only older ones updated (a refund), records the
    newest id the mart holds, not the highest it read: else the API's newest id stays "ahead" and
    the sensor asks for a run every 10 minutes for ever."""
    before = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    refund = before + timedelta(minutes=7)
    stored = SalesWatermark(max_order_id=1603002, max_updated_at=before)
    loaded = loaded_marker(stored, OrderMarker(max_id=1600050, max_updated_at=refund))
    assert loaded == OrderMarker(max_id=1603002, max_updated_at=refund)
    api = OrderMarker(max_id=1603002, max_updated_at=refund)
    assert not sensors.decide(None, api, loaded, refund + timedelta(minutes=2)).request
