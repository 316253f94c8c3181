"""The nightly reconciliation measures what the incremental loads missed: against a sandbox whose
refunds, cancellations and scans do not move `updated_at`, exactly the tickets the sandbox changed
in orders the overlap does not read again (those it does read again are stored right at once)."""

import dagster as dg

from qtickets_assets.defs.sync import SalesSyncConfig
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.mart import SalesDrift, sales_drift
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.graph.mart import DATABASE, materialize_all, read_mart

REFUNDS, SCANS, CANCELLATIONS = 4, 6, 3
DRIFT_KINDS = ("tickets", "status", "price", "refund", "scan", "days", "not_stored", "not_in_api")


def out_of_the_overlap(sandbox: SandboxHandle) -> set[int]:
    """The orders the next incremental load will not read again: last updated before the stored
    watermark (the newest update, the mart being whole) less the overlap. A change that leaves
    updated_at as it was goes unseen for them only; the others are re-read and stored right."""
    overlap = SalesSyncConfig().overlap_minutes * 60
    watermark = max(order.updated_at for order in sandbox.world.orders)
    return {order.id for order in sandbox.world.orders if order.updated_at < watermark - overlap}


def fact_sales_metadata(result: dg.ExecuteInProcessResult) -> dict:
    (sales,) = result.asset_materializations_for_node("fact_sales")
    return {key: value.value for key, value in sales.metadata.items()}


def drift_figures(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    metadata = fact_sales_metadata(result)
    return {kind: metadata[f"reconcile_drift_{kind}"] for kind in DRIFT_KINDS}


def drift_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "no_reconcile_drift"]
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    return evaluation


def test_the_reconciliation_counts_the_refunds_and_scans_the_incremental_loads_missed(tmp_path):
    url = f"chdb://{tmp_path / 'ch'}"
    instance = dg.DagsterInstance.ephemeral()  # one history: the check reads past materializations
    with run_sandbox(size="small", seed=17) as sandbox:
        first = materialize_all(sandbox.base_url, sandbox.token, url, instance=instance)
        assert first.success
        assert (
            fact_sales_metadata(first)["reconcile_drift"]
            == "not measured: fact_sales was empty (a first load)"
        )
        assert "reconcile_drift_tickets" not in fact_sales_metadata(first)
        assert drift_check(first).passed

        unseen = out_of_the_overlap(sandbox)
        changed = sandbox.advance(refunds=REFUNDS, scans=SCANS, touch_updated_at=False)
        refunded, scanned = set(changed["refunded_basket_ids"]), set(changed["scanned_basket_ids"])
        assert (len(refunded), len(scanned)) == (REFUNDS, SCANS)
        incremental = materialize_all(
            sandbox.base_url, sandbox.token, url, job_name="sales_job", instance=instance
        )
        assert incremental.success
        stored = {row["basket_id"]: row for row in read_mart(url, "fact_sales")}
        missed_refunds = {basket for basket in refunded if stored[basket]["order_id"] in unseen}
        missed_scans = {basket for basket in scanned if stored[basket]["order_id"] in unseen}
        assert missed_refunds and missed_scans, "the sandbox changed only orders the overlap reads again"
        assert {basket for basket in refunded if stored[basket]["refunded_at"]} == refunded - missed_refunds
        assert {basket for basket in scanned if stored[basket]["checked_at"]} == scanned - missed_scans
        refunds, scans = len(missed_refunds), len(missed_scans)

        nightly = materialize_all(
            sandbox.base_url, sandbox.token, url, job_name="nightly_reconcile_job", instance=instance
        )
        assert nightly.success, "a drift warns; it does not fail the run"
        expected = {"tickets": refunds + scans, "status": refunds, "price": 0}
        expected |= {"refund": refunds, "scan": scans}
        assert drift_figures(nightly) == {**expected, "days": 0, "not_stored": 0, "not_in_api": 0}
        check = drift_check(nightly)
        assert not check.passed
        assert check.metadata["reconcile_drift_tickets"].value == refunds + scans
        assert check.metadata["measured_by_run"].value == nightly.run_id
        line = (
            f"qtickets-assets: the full rebuild of fact_sales found {refunds + scans} tickets the "
            f"incremental loads had stored otherwise or not at all (status {refunds}, price 0, "
            f"refund {refunds}, scan {scans}, days 0, not_stored 0, not_in_api 0); fact_sales is exact again"
        )
        assert line in [record.user_message for record in instance.all_logs(nightly.run_id)]
        stored = {row["basket_id"]: row for row in read_mart(url, "fact_sales")}
        assert all(stored[basket]["status"] == "refunded" for basket in refunded)
        assert all(stored[basket]["checked_at"] for basket in scanned)

        # An incremental load measures nothing: the warning stands until a rebuild finds no drift.
        later = materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job", instance=instance)
        assert not drift_check(later).passed
        assert drift_check(later).metadata["measured_by_run"].value == nightly.run_id

        again = materialize_all(
            sandbox.base_url, sandbox.token, url, job_name="nightly_reconcile_job", instance=instance
        )
        assert drift_figures(again) == dict.fromkeys(DRIFT_KINDS, 0)
        assert drift_check(again).passed
        assert drift_check(again).metadata["reconcile_drift_tickets"].value == 0


def test_the_reconciliation_counts_the_cancellations_the_incremental_loads_missed(tmp_path):
    """Orders cancelled without a new updated_at stay paid in the mart (revenue counted that is
    no longer) until the nightly rebuild, which counts every ticket of them as drift."""
    url = f"chdb://{tmp_path / 'ch'}"
    instance = dg.DagsterInstance.ephemeral()
    with run_sandbox(size="small", seed=18) as sandbox:
        assert materialize_all(sandbox.base_url, sandbox.token, url, instance=instance).success
        unseen = out_of_the_overlap(sandbox)
        changed = sandbox.advance(cancellations=CANCELLATIONS, touch_updated_at=False)
        cancelled = set(changed["cancelled_order_ids"])
        assert len(cancelled) == CANCELLATIONS
        assert cancelled & unseen, "the sandbox cancelled only orders the overlap reads again"
        sales_job = materialize_all(
            sandbox.base_url, sandbox.token, url, job_name="sales_job", instance=instance
        )
        assert sales_job.success
        missed = [
            row
            for row in read_mart(url, "fact_sales")
            if row["order_id"] in cancelled and row["status"] != "cancelled"
        ]
        assert {row["order_id"] for row in missed} == cancelled & unseen

        nightly = materialize_all(
            sandbox.base_url, sandbox.token, url, job_name="nightly_reconcile_job", instance=instance
        )
        assert nightly.success
        expected = {"tickets": len(missed), "status": len(missed), "price": 0, "refund": 0, "scan": 0}
        assert drift_figures(nightly) == {**expected, "days": 0, "not_stored": 0, "not_in_api": 0}
        assert not drift_check(nightly).passed
        stored = read_mart(url, "fact_sales")
        assert all(row["status"] == "cancelled" for row in stored if row["order_id"] in cancelled)


def nth_ticket(n: int) -> str:
    return f"(SELECT basket_id FROM {{db}}.fact_sales ORDER BY basket_id LIMIT 1 OFFSET {n})"


def copy_of(ticket: str, shift: int, also: str = "") -> str:
    """One ticket under another basket id (in a subquery: REPLACE's alias would shadow the column
    in a WHERE beside it)."""
    return (
        f"SELECT * REPLACE (basket_id + {shift} AS basket_id{also}) "
        f"FROM (SELECT * FROM {{db}}.fact_sales WHERE basket_id = {ticket})"
    )


def test_drift_counts_each_kind_and_leaves_out_what_changed_since_the_last_load(mart):
    """sales_drift on a staging copy equal to the API (the clean mart) against a live table
    altered by hand: each kind is counted, and a sale or update after the stored watermark is not."""
    mart.sql(
        "CREATE TABLE {db}.staging AS {db}.fact_sales",
        "INSERT INTO {db}.staging SELECT * FROM {db}.fact_sales FINAL",
        # In the API only, after the last load: a new order, and a refund that moved updated_at.
        "INSERT INTO {db}.staging " + copy_of(nth_ticket(0), 10_000_000, ", order_id + 10000000 AS order_id"),
        "INSERT INTO {db}.staging SELECT * REPLACE ('refunded' AS status, "
        "(SELECT max(updated_at) FROM {db}.fact_sales) + 60 AS updated_at) FROM {db}.fact_sales "
        f"WHERE basket_id = {nth_ticket(1)}",
        # Stored otherwise by the incremental loads: 1 price, 2 refunds, 3 scans, 2 tickets never
        # stored, 1 no longer in the API. The refunds and scans are picked past the first ten
        # tickets (the others' picks), and the scans among tickets paid in the API: in a world whose
        # lowest refunded tickets were the two then deleted, they were counted once, not twice.
        f"ALTER TABLE {{db}}.fact_sales UPDATE price = price + 1 WHERE basket_id = {nth_ticket(2)}",
        "ALTER TABLE {db}.fact_sales UPDATE status = 'paid', refunded_at = NULL WHERE basket_id IN "
        "(SELECT basket_id FROM {db}.fact_sales WHERE status = 'refunded' "
        f"AND basket_id > {nth_ticket(9)} ORDER BY basket_id LIMIT 2)",
        "ALTER TABLE {db}.fact_sales UPDATE checked_at = now() WHERE basket_id IN (SELECT basket_id FROM "
        f"{{db}}.fact_sales WHERE checked_at IS NULL AND status = 'paid' AND basket_id > {nth_ticket(9)} "
        "AND basket_id IN (SELECT basket_id FROM {db}.staging WHERE status = 'paid') "
        "ORDER BY basket_id DESC LIMIT 3)",
        f"ALTER TABLE {{db}}.fact_sales DELETE WHERE basket_id IN ({nth_ticket(5)}, {nth_ticket(6)})",
        # 1 ticket's day read in another zone (its event moved, and no load wrote it again).
        "ALTER TABLE {db}.fact_sales UPDATE created_date_local = created_date_local - 1 "
        f"WHERE basket_id = {nth_ticket(7)}",
        "INSERT INTO {db}.fact_sales " + copy_of(nth_ticket(9), 20_000_000),
    )
    with open_client(mart.url, DATABASE) as client:
        drift = sales_drift(client, DATABASE, "staging")
    assert drift == SalesDrift(
        tickets=1 + 2 + 3 + 1 + 2 + 1, status=2, price=1, refund=2, scan=3, days=1, not_stored=2, not_in_api=1
    )
