"""Binds the resources every asset uses. Values come from the environment (Dagster `EnvVar`)."""

import dagster as dg

from qtickets_assets import settings
from qtickets_assets.defs.executor import tuned_in_process_executor
from qtickets_assets.lib.clickhouse.io_manager import ClickHouseIOManager
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets.lib.qtickets.resource import QticketsResource


@dg.definitions
def resources() -> dg.Definitions:
    url = settings.clickhouse_url()
    database = settings.clickhouse_database()
    return dg.Definitions(
        resources={
            # No default for the API root: sandbox data must never slip into a real mart by accident.
            "qtickets": QticketsResource(
                base_url=dg.EnvVar("QTICKETS_BASE_URL"),
                token=dg.EnvVar("QTICKETS_TOKEN"),
                max_concurrency=settings.max_concurrency(),
            ),
            "clickhouse": ClickHouseResource(url=url, database=database),
            "io_manager": ClickHouseIOManager(url=url, database=database),
        },
        # Steps run one after another in the run's process: the crawl inside a step already keeps
        # QTICKETS_MAX_CONCURRENCY requests in flight, and an embedded ClickHouse directory can be
        # opened by one process at a time, so parallel step processes would only queue on its lock.
        executor=tuned_in_process_executor,
    )
