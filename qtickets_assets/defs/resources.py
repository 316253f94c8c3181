"""Binds the resources every asset uses. Values come from the environment (Dagster `EnvVar`)."""

import dagster as dg

from qtickets_assets import settings
from qtickets_assets.defs.executor import tuned_in_process_executor
from qtickets_assets.defs.sync import QticketsSyncResource
from qtickets_assets.lib.clickhouse.io_manager import ClickHouseIOManager
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets.lib.qtickets.resource import QticketsResource


@dg.definitions
def resources() -> dg.Definitions:
    url = settings.clickhouse_url()
    database = settings.clickhouse_database()
    # No default for the API root: sandbox data must never slip into a real mart by accident.
    # Bound "at launch" (with these values as defaults): the run's crawls (`sync`) and the IO
    # manager then use the run's own `qtickets` and `clickhouse`, with any run config given to them
    # (timeouts, retries), so every step and write of a run shares one ClickHouse client
    # (lib/clickhouse/resource.py); fully configured nested resources would keep the values given here.
    qtickets = QticketsResource.configure_at_launch(
        base_url=dg.EnvVar("QTICKETS_BASE_URL"),
        token=dg.EnvVar("QTICKETS_TOKEN"),
        max_concurrency=settings.max_concurrency(),
    )
    clickhouse = ClickHouseResource.configure_at_launch(url=url, database=database)
    return dg.Definitions(
        resources={
            "qtickets": qtickets,
            "clickhouse": clickhouse,
            "sync": QticketsSyncResource(qtickets=qtickets, clickhouse=clickhouse),
            "io_manager": ClickHouseIOManager(clickhouse=clickhouse),
        },
        # Steps run one after another in the run's process, while the run's crawls run beside them
        # on one client (defs/sync.py): QTICKETS_MAX_CONCURRENCY requests in flight in all, and an
        # embedded ClickHouse directory, which one process at a time can open, written from here.
        executor=tuned_in_process_executor,
    )
