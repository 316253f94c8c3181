"""Jobs, and the schedules that run them. Every schedule starts STOPPED: turn it on in the UI
(Automation → the schedule → toggle) or with `dagster schedule start NAME`."""

import dagster as dg

from qtickets_assets.defs.common import API_TAGS

MOSCOW = "Europe/Moscow"

inventory_job = dg.define_asset_job(
    "inventory_job",
    selection=dg.AssetSelection.assets(
        "dim_events",
        "dim_shows",
        "dim_discounts",
        "dim_promo_codes",
        "inventory_raw",
        "fact_inventory_latest",
    ),
    description="Events and shows, discounts and promo codes, and a seat snapshot of every live show.",
    tags=API_TAGS,
)
sales_job = dg.define_asset_job(
    "sales_job",
    selection=dg.AssetSelection.assets("fact_sales"),
    description="New and recently updated orders, upserted by ticket.",
    tags=API_TAGS,
)
nightly_reconcile_job = dg.define_asset_job(
    "nightly_reconcile_job",
    selection=dg.AssetSelection.all(),
    description=(
        "The whole mart, with every order re-read and fact_sales rebuilt: catches anything the "
        "incremental path missed, and refreshes events and inventory with it."
    ),
    tags=API_TAGS,
    config={"ops": {"fact_sales": {"config": {"full_refresh": True}}}},
)

inventory_schedule = dg.ScheduleDefinition(
    name="inventory_every_15_minutes",
    job=inventory_job,
    cron_schedule="*/15 * * * *",
    execution_timezone=MOSCOW,
    description=(
        "Every 15 minutes: events, shows, discounts and promo codes, and a seat snapshot of each live show."
    ),
)
sales_schedule = dg.ScheduleDefinition(
    name="sales_every_10_minutes",
    job=sales_job,
    cron_schedule="*/10 * * * *",
    execution_timezone=MOSCOW,
    description=(
        "Every 10 minutes: new and recently updated orders. Use either this schedule or "
        "new_orders_sensor, not both: they run the same job."
    ),
)
reconcile_schedule = dg.ScheduleDefinition(
    name="nightly_reconcile",
    job=nightly_reconcile_job,
    cron_schedule="30 3 * * *",
    execution_timezone=MOSCOW,
    description="03:30 Moscow time: the whole mart, every order re-read and fact_sales rebuilt.",
)
