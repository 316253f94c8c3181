"""Asset checks on the mart, run inside the step that writes their asset, not in steps of their own.

Each step of a run costs Dagster ~15-100 ms, and each open of embedded ClickHouse ~50-80 ms more, so
an asset's rules are `check_specs` of its own definition and run in its step, right after its output
is stored, on one open of the mart. The definitions are subsettable: the UI can still run a single
check (the step then writes nothing and evaluates only the selected ones), or materialize an asset
without its checks.

Checks that guard the dashboard's correctness are blocking: when one fails with ERROR, Dagster
fails the step after it has recorded every result, and the assets downstream of the checked asset
are not materialized in the same run. A non-blocking check only warns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import dagster as dg

from qtickets_assets.defs.quality import rules
from qtickets_assets.defs.quality.history import no_reconcile_drift, revenue_reconciles
from qtickets_assets.defs.quality.rules import Outcome
from qtickets_assets.lib import failures
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

UNIQUE_KEYS: dict[str, Sequence[str] | None] = {
    "dim_events": ["event_id"],
    "dim_shows": ["show_id"],
    "inventory_raw": ["snapshot_at", "show_id"],
    "fact_inventory_latest": ["show_id"],
    "fact_sales": ["basket_id"],
    "dim_discounts": ["discount_id"],
    "dim_promo_codes": ["promo_code_id"],
    # A view must not show an analyst two rows of one key whatever the state of merges.
    "v_sales_dashboard": ["event_id"],
    "v_sales": ["basket_id"],
    # v_sales_daily and v_sales_by_source are grouped by their key, so no data can give them a
    # duplicate: their figures are checked against the dashboard and each other instead.
    "v_sales_daily": None,
    "v_sell_through": ["show_id", "date_local"],
    "v_show_attendance": ["show_id"],
    "v_sales_pace": ["show_id", "date_local"],
    "v_sales_by_source": None,
}
TABLES = [name for name in UNIQUE_KEYS if not name.startswith("v_")]
EVENT_FACTS = ["dim_shows", "inventory_raw", "fact_inventory_latest", "fact_sales"]


@dataclass(frozen=True)
class Rule:
    """One check: a query on the mart (`sql`) or a reading of the Dagster instance (`history`)."""

    name: str
    description: str
    sql: Callable[[Client, str], Outcome] | None = None
    history: Callable[[dg.DagsterInstance], Outcome] | None = None
    blocking: bool = True

    def evaluate(self, client: Client | None, database: str, instance: dg.DagsterInstance) -> Outcome:
        if self.sql is None:
            assert self.history is not None, f"rule {self.name} has neither sql nor history"
            return self.history(instance)
        assert client is not None, "the step opens ClickHouse whenever a selected rule has sql"
        return self.sql(client, database)


# inventory_raw's checks read the snapshot the run wrote (mart_checks.SCOPES), not the whole history.
NEWEST_SNAPSHOT = {"inventory_raw": " of the newest snapshot"}


def table_rules(table: str, key: Sequence[str] | None) -> list[Rule]:
    """The checks every table and view has: its schema, and its key unless it is grouped by it."""
    schema = Rule(
        "schema_matches_ddl",
        "Columns and types equal the DDL.",
        sql=partial(rules.schema_matches_ddl, table=table),
    )
    if key is None:
        return [schema]
    unique = Rule(
        "no_duplicate_keys",
        f"No two rows{NEWEST_SNAPSHOT.get(table, '')} share ({', '.join(key)}).",
        sql=partial(rules.no_duplicate_keys, table=table, key=key),
    )
    return [schema, unique]


def rules_by_asset() -> dict[str, list[Rule]]:
    by_asset = {table: table_rules(table, key) for table, key in UNIQUE_KEYS.items()}
    for table in EVENT_FACTS:
        # The 10-minute sales run does not re-read the events (heavy pages), so an order for an
        # event created since the last events load is expected: a warning until it is loaded.
        by_asset[table].append(
            Rule(
                "event_ids_known",
                f"Every event_id{NEWEST_SNAPSHOT.get(table, '')} is in dim_events.",
                sql=partial(rules.event_ids_known, table=table),
                blocking=table != "fact_sales",
            )
        )
    by_asset["fact_inventory_latest"].append(
        Rule(
            "ticket_counts_present",
            "A row for every live show, tickets_left <= tickets_total and tickets_sold = "
            "tickets_total - tickets_left.",
            sql=rules.ticket_counts_present,
        )
    )
    by_asset["fact_inventory_latest"].append(
        Rule(
            "shows_in_newest_snapshot",
            "Every show's counts are from the newest snapshot (a warning when a show's seats could not "
            "be read then: it keeps its older row, for up to a week).",
            sql=rules.shows_in_newest_snapshot,
            blocking=False,
        )
    )
    by_asset["fact_sales"] += [
        Rule(
            "status_allowed",
            f"status is one of {', '.join(rules.SALES_STATUSES)}.",
            sql=rules.status_allowed,
        ),
        Rule(
            "revenue_reconciles",
            "Each order the newest sales load read has a price equal to the sum of its tickets' prices, "
            "and no refund that only a `refunds` list shows (a ticket not refunded: the mart would "
            "count it as sold; the load logs the orders' ids). A warning when not; the nightly full "
            "read covers every order.",
            history=revenue_reconciles,
            blocking=False,
        ),
        Rule(
            "no_reconcile_drift",
            "The newest full rebuild (the nightly reconciliation) found every ticket stored as the API "
            "has it: no status, price, refund or scan the incremental loads missed (a warning when not, "
            "and when none ran in the last two weeks of loads).",
            history=no_reconcile_drift,
            blocking=False,
        ),
        Rule(
            "revenue_in_rubles",
            "Every paid or refunded ticket is priced in rubles (currency RUB): the views add prices up "
            "as rubles, so a ticket priced in another currency (an event in Kazakhstan or Belarus) "
            "would be added to them as if it were. A warning naming the currencies and their tickets.",
            sql=rules.revenue_in_rubles,
            blocking=False,
        ),
        Rule(
            "discount_is_the_difference",
            "discount_amount = original_price - price on every ticket (a warning when not): a ticket "
            "priced below its original without a discount or promo code (an invitation?), or above it.",
            sql=rules.discount_amount_is_the_difference,
            blocking=False,
        ),
        Rule(
            "promo_codes_and_discounts_known",
            "Every promo code and discount a ticket names is in dim_promo_codes / dim_discounts "
            "(a warning: the 10-minute sales run does not reload them).",
            sql=rules.references_known,
            blocking=False,
        ),
    ]
    by_asset["v_sales_daily"].append(
        Rule(
            "daily_sums_equal_dashboard",
            "Per event of the dashboard, the days' tickets_paid and revenue_paid sum to its totals.",
            sql=rules.daily_sums_equal_dashboard,
        )
    )
    by_asset["v_sales_by_source"].append(
        Rule(
            "source_sums_equal_daily",
            "Per event and local day, the sources' tickets_paid and revenue_paid sum to v_sales_daily's.",
            sql=rules.source_sums_equal_daily,
        )
    )
    by_asset["v_sales_dashboard"].append(
        Rule(
            "seats_equal_inventory",
            "Per event, tickets_total and tickets_left are the sums of fact_inventory_latest over its shows.",
            sql=rules.dashboard_seats_equal_inventory,
        )
    )
    return by_asset


def check_specs(*assets: str) -> list[dg.AssetCheckSpec]:
    """The checks of `assets`, for the `check_specs` of the definition that writes them."""
    by_asset = rules_by_asset()
    return [
        dg.AssetCheckSpec(rule.name, asset=asset, description=rule.description, blocking=rule.blocking)
        for asset in assets
        for rule in by_asset[asset]
    ]


def selected_rules(context: dg.AssetExecutionContext, asset: str) -> list[Rule]:
    # The table is rebuilt here (a few objects) so that a rule calls the function `rules` holds when
    # the step runs: a test that patches a rule (test_checks_fail.py) reaches the running step.
    key = dg.AssetKey(asset)
    return [
        rule
        for rule in rules_by_asset()[asset]
        if dg.AssetCheckKey(key, rule.name) in context.selected_asset_check_keys
    ]


@dataclass
class Checked:
    """What the selected checks of one asset found: their results, and the blocking ones that could
    not be evaluated (they fail the step once every result is recorded)."""

    results: list[dg.AssetCheckResult] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)

    @property
    def holds_back_downstream(self) -> bool:
        failed = any(not r.passed and r.severity == dg.AssetCheckSeverity.ERROR for r in self.results)
        return failed or bool(self.errors)


def evaluate(context: dg.AssetExecutionContext, asset: str, client: Client | None, database: str) -> Checked:
    """The selected checks of `asset`; `client` may be None when none of them reads the mart."""
    checked = Checked()
    for rule in selected_rules(context, asset):
        try:
            passed, metadata = rule.evaluate(client, database, context.instance)
        except Exception as error:
            # One broken query must not hide the other rules' results.
            context.log.exception(f"check {rule.name} of {asset} could not be evaluated")
            if rule.blocking:
                checked.errors.append(error)
                continue
            # A warning-only check that cannot run warns; it must not hold back the assets
            # downstream, which a failed step would.
            passed, metadata = False, {"error": f"{type(error).__name__}: {error}"}
        checked.results.append(
            dg.AssetCheckResult(
                asset_key=dg.AssetKey(asset),
                check_name=rule.name,
                passed=passed,
                severity=dg.AssetCheckSeverity.ERROR if rule.blocking else dg.AssetCheckSeverity.WARN,
                metadata=metadata,
            )
        )
    return checked


def raise_first(errors: Sequence[Exception]) -> None:
    """A blocking check that could not run fails its step, which holds back the assets downstream
    in this run, as a failed blocking check does (Dagster fails the step after its results)."""
    if errors:
        with failures.explained():
            raise errors[0]


def check_written(
    context: dg.AssetExecutionContext, clickhouse: ClickHouseResource, *assets: str
) -> Iterator[dg.AssetCheckResult]:
    """The selected checks of `assets`, run in their own step once its outputs are stored: Dagster
    writes a yielded Output through the IO manager before the step's generator resumes."""
    reads_mart = any(rule.sql for asset in assets for rule in selected_rules(context, asset))
    # Opened once for all of them, and not at all when only the instance is read (revenue_reconciles).
    with clickhouse.open() if reads_mart else nullcontext() as client:
        checked = [evaluate(context, asset, client, clickhouse.database) for asset in assets]
    yield from (result for one in checked for result in one.results)
    raise_first([error for one in checked for error in one.errors])
