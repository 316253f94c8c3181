"""A ticket taken out of its order's list (not flagged deleted: a reading of the API the notes do not
support, but that the loader must survive): the sales run that reads the order again removes the
stored ticket. Before, it stayed `paid` in fact_sales and every view until the nightly rebuild, with
every check passing (an independent fake of the API found it)."""

import time

import dagster as dg

from qtickets_assets.defs.sync import QticketsSyncResource
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource, open_migrated
from qtickets_assets.lib.clickhouse.writers import writer_for
from qtickets_assets.lib.local_days import Calendar
from qtickets_assets.lib.orders import spool_tickets, with_local_dates
from qtickets_assets.lib.qtickets.models import Order, parse_record
from qtickets_assets.lib.qtickets.native import native_order
from qtickets_assets.lib.qtickets.resource import QticketsResource
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.graph.mart import materialize_all, read_mart
from qtickets_assets_tests.graph.test_full_sync import assert_mart_equals_truth, assert_succeeded
from qtickets_assets_tests.qtickets.fakes import raw_basket, raw_order

# What a sales run writes, and the views on it that do not read the seat snapshot (inventory_job's).
SALES = ["fact_sales", "v_sales", "v_sales_daily", "v_show_attendance", "v_sales_pace", "v_sales_by_source"]


def test_a_ticket_its_order_no_longer_lists_leaves_the_mart_with_the_next_sales_run(tmp_path):
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=29) as sandbox:
        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url))
        dropped = sandbox.advance(dropped_baskets=3, new_orders=5)["dropped_basket_ids"]
        assert len(dropped) == 3
        stored = {row["basket_id"]: row for row in read_mart(url, "fact_sales")}
        assert {stored[basket]["status"] for basket in dropped} == {"paid"}

        instance = dg.DagsterInstance.ephemeral()
        sales = materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job", instance=instance)
        assert_succeeded(sales)
        assert not {row["basket_id"] for row in read_mart(url, "fact_sales")} & set(dropped)
        assert_mart_equals_truth(url, sandbox.truth, SALES)
        (materialization,) = sales.asset_materializations_for_node("fact_sales")
        assert materialization.metadata["tickets_dropped_from_orders"].value == 3
        named = "; ".join(
            f"order {stored[b]['order_id']}: basket {b}"
            for b in sorted(dropped, key=lambda b: (stored[b]["order_id"], b))
        )
        told = (
            f"3 stored tickets are no longer listed in their orders, read again ({named}): "
            "removed from fact_sales, as the nightly rebuild would"
        )
        assert told in [record.user_message for record in instance.all_logs(sales.run_id)]

        # Nothing left for the nightly rebuild to find, and nothing removed again.
        nightly = materialize_all(sandbox.base_url, sandbox.token, url, job_name="nightly_reconcile_job")
        assert_succeeded(nightly)
        (rebuilt,) = nightly.asset_materializations_for_node("fact_sales")
        assert rebuilt.metadata["reconcile_drift_tickets"].value == 0
        again = materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job")
        (materialization,) = again.asset_materializations_for_node("fact_sales")
        assert materialization.metadata["tickets_dropped_from_orders"].value == 0
        assert_mart_equals_truth(url, sandbox.truth, SALES)


def test_a_stale_answer_removes_nothing(tmp_path):
    """An order read in a state older than the one its stored tickets came from (a replica behind,
    read before a ticket was added to it) does not remove the tickets it does not list yet; the
    same order read in a newer state does."""
    url = f"chdb://{tmp_path / 'ch'}"
    stamp, earlier = "2025-11-20T14:05:11+03:00", "2025-11-20T14:03:01+03:00"  # basket 6 added at `stamp`
    five, six = raw_basket(5, updated_at=earlier), raw_basket(6, updated_at=stamp)
    both = parse_record(Order, raw_order(1, updated_at=stamp, baskets=[five, six]))
    with open_migrated(url, "qtickets") as client:
        writer_for("upsert").write(
            client,
            "qtickets",
            "fact_sales",
            with_local_dates(spool_tickets([[native_order(both)]]), Calendar()),
        )
    sync = QticketsSyncResource(
        qtickets=QticketsResource(base_url="http://127.0.0.1:9/api/rest/v1", token="test-token"),
        clickhouse=ClickHouseResource(url=url, database="qtickets"),
    )

    def read_as(updated_at: str) -> list[tuple[int, int]]:
        one = parse_record(Order, raw_order(1, updated_at=updated_at, baskets=[five]))
        return sync.dropped_tickets(spool_tickets([[native_order(one)]], listed=True).listed)

    assert read_as("2025-11-20T14:04:11+03:00") == []  # a minute older than the stored tickets
    assert read_as(stamp) == []  # the same second: which state is newer cannot be told
    assert read_as("2025-11-20T14:06:11+03:00") == [(1, 6)]


def test_a_run_that_fails_before_it_writes_leaves_the_removal_to_the_next(tmp_path, monkeypatch):
    """The tickets are removed before the crawl's are written: a run that fails in between has
    written nothing, so the next run reads the same orders again and removes them. Removed after the
    write, a failed DELETE left them sold for good once newer orders moved the watermark past the
    edit's overlap (a review found it)."""
    url = f"chdb://{tmp_path / 'ch'}"
    hour = 3600
    with run_sandbox(size="small", seed=29, anchor=int(time.time()) - hour) as sandbox:
        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url))
        edited = int(time.time()) - 25 * 60  # older than the sales loads' 15-minute overlap
        dropped = sandbox.advance(dropped_baskets=2, now=edited)["dropped_basket_ids"]
        sandbox.advance(new_orders=5)

        def refused(*args, **kwargs):
            raise ConnectionError("the server went away")

        with monkeypatch.context() as patched:
            patched.setattr(mart, "delete_tickets", refused)
            failed = materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job")
        assert not failed.success
        assert set(dropped) <= {row["basket_id"] for row in read_mart(url, "fact_sales")}

        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job"))
        assert not {row["basket_id"] for row in read_mart(url, "fact_sales")} & set(dropped)
        assert_mart_equals_truth(url, sandbox.truth, SALES)


def test_more_ids_than_one_query_binds_are_read_and_deleted_in_chunks(tmp_path):
    """Ids go to the server in chunks of IDS_PER_QUERY: the tickets of 1,200 orders are all found,
    and all deleted."""
    orders = [parse_record(Order, raw_order(n, baskets=[raw_basket(10_000 + n)])) for n in range(1, 1_201)]
    with open_migrated(f"chdb://{tmp_path / 'ch'}", "qtickets") as client:
        spooled = spool_tickets([[native_order(order) for order in orders]])
        writer_for("upsert").write(client, "qtickets", "fact_sales", with_local_dates(spooled, Calendar()))
        assert len(mart.id_chunks(range(1, 1_201))) == 3
        found = mart.stored_baskets(client, "qtickets", list(range(1, 1_201)))
        assert sorted(found.column("basket_id").to_pylist()) == list(range(10_001, 11_201))
        mart.delete_tickets(client, "qtickets", list(range(10_001, 11_201, 2)))
        left = client.query("SELECT count() FROM qtickets.fact_sales FINAL").result_rows
    assert left == [(600,)]
