"""The analysts' view: sales and inventory per event. Defined in the DDL; this asset refreshes its
preview whenever an upstream table changes, so the UI shows the figures without a SQL client."""

import dagster as dg
import pandas as pd

from qtickets_assets.defs.common import OWNERS
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.io_manager import column_schema_metadata
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource

PREVIEW_ROWS = 10


@dg.asset(
    deps=["dim_events", "fact_sales", "fact_inventory_latest"],
    description=(
        "View: one row per event not deleted. Paid tickets and revenue in total, today and over the "
        "last 14 calendar days in the event's own time zone; seats from the newest inventory."
    ),
    metadata=column_schema_metadata("v_sales_dashboard"),
    owners=OWNERS,
    kinds={"clickhouse", "sql"},
    code_version="1",
    group_name="mart",
    automation_condition=dg.AutomationCondition.eager(),
)
def v_sales_dashboard(clickhouse: ClickHouseResource) -> dg.MaterializeResult[None]:
    with clickhouse.open() as client:
        dashboard = mart.dashboard(client, clickhouse.database)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(dashboard),
            "dagster/table_name": f"{clickhouse.database}.v_sales_dashboard",
            "tickets_sold_total": int(dashboard["tickets_sold_total"].sum()),
            "revenue_total": str(dashboard["revenue_total"].sum()),  # Decimal: exact to the kopeck
            "preview": dg.MetadataValue.md(preview_markdown(dashboard)),
        }
    )


def preview_markdown(dashboard: pd.DataFrame) -> str:
    """Top events by revenue, with sell-through (share of seats sold) as a percentage."""
    top = dashboard.head(PREVIEW_ROWS)
    sell_through = (top["tickets_total"] - top["tickets_left"]) / top["tickets_total"].where(
        top["tickets_total"] > 0
    )
    table = pd.DataFrame(
        {
            "event": top["event_name"],
            "city": top["city_name"],
            "sold": top["tickets_sold_total"],
            "revenue": top["revenue_total"].map(lambda value: f"{value:,.2f}"),
            "today": top["tickets_sold_today"],
            "14d": top["tickets_sold_14d"],
            "sell-through": sell_through.map(lambda share: "—" if pd.isna(share) else f"{share:.0%}"),
        }
    )
    return table.to_markdown(index=False) if len(table) else "_no events yet_"
