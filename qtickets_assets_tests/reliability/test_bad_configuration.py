"""Bad configuration ends the run with one clear message naming the problem, before any row is
written; payload problems name the object, its id and the field."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import uuid
from unittest import mock

import httpx
import orjson
import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.qtickets import retry
from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.errors import QticketsPayloadError
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.graph.mart import DATABASE
from qtickets_assets_tests.reliability.helpers import (
    REPO_ROOT,
    dg_env,
    dg_launch,
    failure_text,
    row_counts,
    sync,
)

FAST = {"timeout_seconds": 0.5, "max_retries": 2, "max_total_wait_seconds": 2.0}


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "sleep", lambda seconds, stop: None)


def assert_nothing_written(clickhouse_url: str) -> None:
    """No mart row. (The run may have created the empty schema: fact_sales reads its watermark,
    which applies the idempotent migrations, before it calls the API.)"""
    counts = row_counts(clickhouse_url)
    counts.pop("schema_migrations", None)
    assert not any(counts.values()), f"a failed configuration wrote rows: {counts}"


@pytest.mark.slow
def test_wrong_token_stops_dg_launch_with_a_message_naming_qtickets_token(tmp_path):
    url = f"chdb://{tmp_path / 'ch'}"
    wrong = f"tok-WRONG-{uuid.uuid4()}"
    with run_sandbox(size="small", seed=2) as sandbox:
        done = dg_launch(dg_env(sandbox.base_url, wrong, url, tmp_path / "home"))
    output = done.stdout + done.stderr
    assert done.returncode != 0 or "RUN_FAILURE" in output
    assert "the Qtickets API refused the token (HTTP 403" in output and "check QTICKETS_TOKEN" in output
    assert wrong not in output
    assert_nothing_written(url)


@pytest.mark.slow
def test_missing_base_url_stops_dg_launch_naming_the_variable(tmp_path):
    url = f"chdb://{tmp_path / 'ch'}"
    env = dg_env("unused", "sandbox-token", url, tmp_path / "home")
    del env["QTICKETS_BASE_URL"]
    done = dg_launch(env)
    output = done.stdout + done.stderr
    assert "RUN_SUCCESS" not in output
    assert "QTICKETS_BASE_URL" in output and "not set" in output, output[-3000:]
    assert not (tmp_path / "ch").exists() or not any(row_counts(url).values())


@pytest.mark.slow
@pytest.mark.parametrize(
    "value, expected",
    [
        ("abc", 'Value stored in env variable "QTICKETS_MAX_CONCURRENCY" cannot be coerced into an int'),
        ("0", "the most requests in flight (QTICKETS_MAX_CONCURRENCY) must be at least 1, got 0"),
    ],
)
def test_a_bad_max_concurrency_stops_the_run_naming_the_variable(tmp_path, value, expected):
    """Read when the definitions were built, "abc" stopped them from loading at all (the UI and
    every job with them); now Dagster refuses the launch, or the run stops, before any request."""
    url = f"chdb://{tmp_path / 'ch'}"
    env = dg_env("http://127.0.0.1:9/api/rest/v1", "sandbox-token", url, tmp_path / "home")
    done = dg_launch({**env, "QTICKETS_MAX_CONCURRENCY": value})
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "RUN_SUCCESS" not in output
    assert expected in output, output[-3000:]
    assert "Error while building definitions" not in output
    assert not (tmp_path / "ch").exists() or not any(row_counts(url).values())


def test_unreachable_api_names_the_api_root(tmp_path):
    url = f"chdb://{tmp_path / 'ch'}"
    result = sync("http://127.0.0.1:9/api/rest/v1", "sandbox-token", url, **FAST)
    message = failure_text(result)
    assert not result.success
    assert "the Qtickets API is unavailable" in message and "connection failed" in message
    assert "API root http://127.0.0.1:9/api/rest/v1" in message
    assert_nothing_written(url)


@pytest.mark.parametrize(
    ("clickhouse_url", "expected"),
    [
        ("chdb://relative/dir", "CLICKHOUSE_URL is malformed (a chdb URL needs an absolute path"),
        ("clickhouse://host:9000", "CLICKHOUSE_URL has an unknown scheme 'clickhouse'"),
        ("http://user:change-me@host:notaport", "CLICKHOUSE_URL is malformed (the port is not a number)"),
    ],
)
def test_malformed_clickhouse_url_is_named(clickhouse_url, expected):
    with run_sandbox(size="small", seed=2) as sandbox:
        result = sync(sandbox.base_url, sandbox.token, clickhouse_url, **FAST)
        requests = sandbox.stats()["total_requests"]
    message = failure_text(result)
    assert not result.success and expected in message, message
    assert "change-me" not in message
    # fact_sales reads the stored watermark before it calls the API: it never gets that far
    assert requests <= 3 * 3, "the run crawled the API although it could never store the result"


def test_directory_locked_by_another_process_is_named(tmp_path, monkeypatch):
    url = f"chdb://{tmp_path / 'ch'}"
    holder_code = (
        "import sys, time\n"
        "from qtickets_assets.lib.clickhouse.connection import open_client\n"
        f"with open_client({url!r}, {DATABASE!r}):\n"
        "    print('holding', flush=True)\n"
        "    time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_code], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        monkeypatch.setenv("CLICKHOUSE_LOCK_TIMEOUT", "1")
        with run_sandbox(size="small", seed=2) as sandbox:
            started = time.monotonic()
            result = sync(sandbox.base_url, sandbox.token, url, **FAST)
        message = failure_text(result)
        assert not result.success
        assert f"the embedded ClickHouse directory {tmp_path / 'ch'} is in use (waited 1 s)" in message, (
            message
        )
        assert time.monotonic() - started < 60
    finally:
        holder.kill()
        holder.wait()
    assert_nothing_written(url)


# -- payloads: a live client against the sandbox, with one answer edited on the way --------------


def edited_orders_transport(edit):
    """Forwards to the sandbox and lets `edit(order)` change every order of the first /orders page."""
    real = httpx.HTTPTransport()

    def handle(request: httpx.Request) -> httpx.Response:
        response = real.handle_request(request)
        if not request.url.path.endswith("/orders"):
            return response
        payload = orjson.loads(response.read())
        if orjson.loads(request.content or b"{}").get("page") == 1:
            for order in payload["data"]:
                edit(order)
        return httpx.Response(
            response.status_code, headers={"Content-Type": "application/json"}, content=orjson.dumps(payload)
        )

    return httpx.MockTransport(handle)


def read_orders(sandbox, edit) -> list:
    with QticketsClient(sandbox.base_url, sandbox.token, transport=edited_orders_transport(edit)) as client:
        return [order for page in client.iter_order_pages() for order in page]


def test_unknown_new_fields_are_ignored_and_logged_once(caplog):
    caplog.set_level(logging.DEBUG, logger="qtickets_assets.lib.qtickets.models")
    field = f"field_added_{uuid.uuid4().hex[:6]}"
    with run_sandbox(size="small", seed=2) as sandbox:
        orders = read_orders(sandbox, lambda order: order.update({field: {"new": 1}}))
        assert len(orders) == len({row["order_id"] for row in sandbox.truth()["fact_sales"]})
    mentions = [r for r in caplog.records if field in r.getMessage()]
    assert len(mentions) == 1 and "Order" in mentions[0].getMessage()


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda order: order.pop("created_at"), "created_at"),
        (lambda order: order.update(payed="maybe"), "payed"),
        (lambda order: order["baskets"][0].update(price="12,50 руб."), "baskets[0].price"),
    ],
    ids=["missing", "mistyped", "mistyped-nested"],
)
def test_a_missing_or_mistyped_field_names_object_id_and_field(edit, field):
    with run_sandbox(size="small", seed=2) as sandbox:
        first_id = min(row["order_id"] for row in sandbox.truth()["fact_sales"])
        with pytest.raises(QticketsPayloadError) as failure:
            read_orders(sandbox, edit)
    message = str(failure.value)
    assert message.startswith(f"Order {first_id}") and field in message, message


@pytest.mark.server
def test_server_user_without_write_permission_is_named(tmp_path):
    """A read-only user as CLICKHOUSE_URL: one clear message, not the driver's traceback."""
    server_url = os.environ.get("CLICKHOUSE_URL", "")
    if not server_url.startswith("http"):
        pytest.skip("needs CLICKHOUSE_URL=http(s)://admin:password@host:port")
    from qtickets_assets.lib.clickhouse.rbac import apply_roles
    from qtickets_assets.lib.clickhouse.url import parse_clickhouse_url

    target = parse_clickhouse_url(server_url)
    database, reader_password = f"perm_test_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with open_client(server_url, database, create_database=True) as admin:
        apply_roles(admin, database, uuid.uuid4().hex, reader_password)
    scheme = "https" if target.secure else "http"
    reader_url = f"{scheme}://datalens_reader:{reader_password}@{target.host}:{target.port}"
    try:
        with (
            run_sandbox(size="small", seed=2) as sandbox,
            mock.patch.dict(os.environ, {"CLICKHOUSE_DATABASE": database}),
        ):
            result = sync(sandbox.base_url, sandbox.token, reader_url, **FAST)
        message = failure_text(result)
        assert not result.success
        assert "datalens_reader" in message and reader_password not in message, message
    finally:
        with open_client(server_url, database) as admin:
            admin.command(f"DROP DATABASE IF EXISTS {database}")
