"""The old loader's mistakes (docs/qtickets-api.md §5) that no other test made fail, each made a
test here with the figure a user would check; and a check that every test that
docs/old-loader-mistakes.md cites as a guard still exists."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pandas as pd
import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.convert import frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.migrations import apply_migrations
from qtickets_assets.lib.clickhouse.writers import writer_for
from qtickets_assets.lib.qtickets import retry
from qtickets_assets.lib.qtickets.errors import QticketsAuthError, QticketsPayloadError
from qtickets_assets.sandbox.model import Show, World
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.clickhouse.conftest import DATABASE, events_frame, sales_frame
from qtickets_assets_tests.graph.mart import materialize_all, read_mart
from qtickets_assets_tests.qtickets.fakes import FakeApi, json_response, make_client, raw_order, raw_seat
from qtickets_assets_tests.reliability.helpers import FAST_FAILING_RUN, REPO_ROOT, row_counts

# -- §5.13: event_id falls back to show_id ---------------------------------------------------------


@pytest.mark.parametrize("order_id", [5, 55], ids=["page-1-validated", "page-2-native"])
def test_an_order_without_an_event_id_is_refused_not_filed_under_its_show(order_id: int) -> None:
    """The old loader took the show's id for a missing event_id: two id spaces mixed, the tickets
    filed under an event that does not exist. Such an order stops the sales crawl, named, on page 1
    (read the validated way) as on the pages after it (read natively)."""
    orders = [raw_order(i) for i in range(1, 61)]  # two pages of 50
    del orders[order_id - 1]["event_id"]
    with make_client(FakeApi(orders=orders)) as client, pytest.raises(QticketsPayloadError) as refused:
        list(client.iter_native_order_pages())
    assert str(refused.value) == f"Order {order_id}: field event_id: Field required"


# -- §5.7 and §5.18: an error envelope sent with HTTP 200 -------------------------------------------

WRONG_AUTHORIZATION = {"status": "error", "code": "WRONG_AUTHORIZATION", "message": "Wrong authorization"}
# The same refusal dressed as an empty list: read as a list, it is an account with no orders.
EMPTY_LOOKING_REFUSAL = {
    **WRONG_AUTHORIZATION,
    "data": [],
    "paging": {"perPage": 50, "currentPage": 1, "total": 0},
}


def refusing_with_200(request: httpx.Request) -> httpx.Response:
    """Every answer a refusal with HTTP 200, as the partners API refuses a REST token (CAP-T)."""
    if request.url.path.endswith("/seats"):
        return json_response(WRONG_AUTHORIZATION)
    return json_response(EMPTY_LOOKING_REFUSAL)


def refused_on(path: str) -> str:
    """The start of the message a refused token stops the crawl with, as a pattern."""
    return rf"^the Qtickets API refused the token on GET {re.escape(path)}: check QTICKETS_TOKEN"


def test_a_refusal_sent_with_http_200_stops_the_crawl_instead_of_reading_as_no_seats_or_orders() -> None:
    """The old loader's seat fallback read HTTP 200 WRONG_AUTHORIZATION as a hall of 0 seats, and
    its partner loader read an envelope it did not know as 0 tickets, each with status ok. Both
    stop here, naming the token, and the snapshot does not leave the show out as merely unread."""
    api = FakeApi(orders=[raw_order(i) for i in range(1, 4)], seats={7: {"s": raw_seat("s", "A-1;1", 1, 0)}})
    api.override = refusing_with_200
    with make_client(api) as client:
        with pytest.raises(QticketsAuthError, match=refused_on("/shows/7/seats")):
            dict(client.iter_show_inventory_or_why([7]))
        with pytest.raises(QticketsAuthError, match=refused_on("/orders")):
            list(client.iter_native_order_pages())


# -- §5.21: a failed first run disabled the backfill for good ---------------------------------------


def sales_load(sandbox: SandboxHandle, url: str, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """One run of sales_job (what the 10-minute schedule runs), with few, quick API retries."""
    return materialize_all(
        sandbox.base_url,
        sandbox.token,
        url,
        run_config=FAST_FAILING_RUN,
        job_name="sales_job",
        instance=instance,
    )


def paid_tickets_and_revenue(rows: list[dict[str, Any]]) -> tuple[int, Decimal]:
    """What the dashboard's totals add up (rows in the sandbox truth's form: money as text)."""
    paid = [row for row in rows if row["status"] == "paid"]
    return sum(row["quantity"] for row in paid), sum((Decimal(row["price"]) for row in paid), Decimal(0))


def test_a_first_sales_load_that_failed_leaves_the_next_one_a_full_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old loader skipped its 30-day backfill once the job had any recorded run, failed ones
    included: a first run that failed left the mart without its history for good. Here what a run
    reads follows what the mart holds, not the runs the Dagster instance remembers: after a failed
    first load the next one reads every order."""
    monkeypatch.setattr(retry, "sleep", lambda seconds, stop: None)  # the failing run's back-off
    url = f"chdb://{tmp_path / 'ch'}"
    with dg.DagsterInstance.ephemeral() as instance, run_sandbox(size="small", seed=3) as sandbox:
        sandbox.set_faults(fault_503=1.0)
        assert not sales_load(sandbox, url, instance).success
        assert row_counts(url)["fact_sales"] == 0, "the failed run wrote tickets"
        sandbox.set_faults(fault_503=0.0)
        loaded = sales_load(sandbox, url, instance)
        truth = sandbox.truth()["fact_sales"]
    assert loaded.success
    stored = read_mart(url, "fact_sales")
    assert len(stored) == len(truth)
    assert paid_tickets_and_revenue(stored) == paid_tickets_and_revenue(truth)
    (materialization,) = loaded.asset_materializations_for_node("fact_sales")
    assert materialization.metadata["write_mode"].value == "replace", "the second load was not a full one"


# -- §5.23: migrations that begin with DROP TABLE ---------------------------------------------------


def append(client: Any, table: str, frame: pd.DataFrame) -> None:
    """`frame`'s rows added to `table` as they are, as a load would have written them."""
    writer_for("append").write(client, DATABASE, table, frame_to_arrow(frame, table_schema(table)))


def test_running_every_migration_again_keeps_the_tickets_already_loaded(tmp_path: Path) -> None:
    """The old loader's migrations began with DROP TABLE IF EXISTS: applying them again emptied the
    mart. Here every table's file runs again when a table was dropped by hand (README, "A table or
    view of the mart is dropped by hand"): the tickets and events already loaded stay, to the kopeck."""
    url = f"chdb://{tmp_path / 'ch'}"
    tickets = sales_frame([{"basket_id": b, "quantity": 2, "price": Decimal("250.50")} for b in range(1, 41)])
    with open_client(url, DATABASE) as client:
        apply_migrations(client, DATABASE)
        append(client, "fact_sales", tickets)
        append(client, "dim_events", events_frame([{"event_id": 1}, {"event_id": 2}]))
        client.command(f"DROP TABLE {DATABASE}.dim_promo_codes")
        assert apply_migrations(client, DATABASE) == ["dim_promo_codes (created again)"]
        sales = client.query(f"SELECT count(), sum(quantity), sum(price) FROM {DATABASE}.fact_sales")
        events = client.command(f"SELECT count() FROM {DATABASE}.dim_events")
    assert sales.first_row == (40, 80, Decimal("10020.00"))
    assert events == 2


# -- §5.28: a sold-out show read as unknown ----------------------------------------------------------


def first_live_show(world: World) -> Show:
    """A show on sale: neither it nor its event deleted."""
    return next(
        show
        for event in world.events
        if event.deleted_at is None
        for show in event.shows
        if show.deleted_at is None
    )


def sell_out(world: World, show: Show) -> None:
    """Every free place of `show` held by a reservation: a sold-out hall (the seat map counts a
    reserved place as taken, as it counts a paid one)."""
    layout = next(event for event in world.events if event.id == show.event_id).venue.layout
    with world.lock:
        for seat in (seat for zone in layout.zones for seat in zone.seats if not seat.disabled):
            show.held_reserved[seat.root_id] = seat.max_quantity - show.held_paid.get(seat.root_id, 0)
        world.version += 1


def test_a_sold_out_show_is_stored_with_no_place_left_not_left_out_as_unknown(tmp_path: Path) -> None:
    """The old loader stored NULL counts for a show whose count was 0: a sold-out show looked like
    one whose seats could not be read. A show that sells out between two snapshots reads 0 places
    left of its capacity in the second; only a show whose seats cannot be read is left out with its
    last counts (graph/test_full_sync.py)."""
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=5) as sandbox:
        assert materialize_all(sandbox.base_url, sandbox.token, url, job_name="inventory_job").success
        show = first_live_show(sandbox.world)
        sell_out(sandbox.world, show)
        result = materialize_all(sandbox.base_url, sandbox.token, url, job_name="inventory_job")
        truth = {row["show_id"]: row for row in sandbox.truth()["fact_inventory_latest"]}
    assert result.success
    stored = {row["show_id"]: row for row in read_mart(url, "fact_inventory_latest")}
    counts = ("tickets_total", "tickets_left", "tickets_sold")
    sold_out = tuple(stored[show.id][name] for name in counts)
    assert sold_out == tuple(truth[show.id][name] for name in counts)
    assert sold_out[1] == 0 and sold_out[0] == sold_out[2] > 0
    (raw,) = result.asset_materializations_for_node("inventory_raw")
    assert raw.metadata["shows_unread"].value == 0


# -- docs/old-loader-mistakes.md cannot rot ---------------------------------------------------------

MISTAKES_DOC = REPO_ROOT / "docs" / "old-loader-mistakes.md"
# `qtickets_assets_tests/<path>.py::test_name`, with a parametrized test's id in brackets or not.
CITATION = re.compile(r"`(qtickets_assets_tests/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")
ROW_NUMBER = re.compile(r"^\| (\d+) \|", re.MULTILINE)


def defines(path: Path, name: str) -> bool:
    """Whether the file exists and defines `name` as a function (a test method counts too)."""
    source = path.read_text(encoding="utf-8") if path.is_file() else ""
    return re.search(rf"^\s*(?:async\s+)?def {name}\(", source, re.MULTILINE) is not None


def test_every_test_the_mistakes_document_cites_exists() -> None:
    text = MISTAKES_DOC.read_text(encoding="utf-8")
    cited = CITATION.findall(text)
    # As many citations as §5 has mistakes at the least: fewer means the form above no longer matches.
    assert len(cited) >= 29, f"only {len(cited)} citations found in {MISTAKES_DOC.name}"
    missing = sorted({f"{path}::{name}" for path, name in cited if not defines(REPO_ROOT / path, name)})
    assert missing == [], f"{MISTAKES_DOC.name} cites tests that do not exist: {missing}"
    numbered = {int(number) for number in ROW_NUMBER.findall(text)}
    assert set(range(1, 30)) - numbered == set(), "a §5 mistake has no row"
