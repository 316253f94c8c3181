"""Test helpers: run the whole asset graph in-process against a sandbox and read the mart back."""

import os
from typing import Any
from unittest import mock

import dagster as dg

from qtickets_assets.definitions import defs
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.compare import mart_rows
from qtickets_assets.sandbox.testing import SandboxHandle

DATABASE = "qtickets"


def materialize_all(
    base_url: str,
    token: str,
    clickhouse_url: str,
    *,
    run_config: dict | None = None,
    job_name: str | None = None,
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """Every asset and check, in dependency order, as `dg launch --assets '*'` does (or the named
    job), configured through the environment exactly as a deployment is."""
    environment = {
        "QTICKETS_BASE_URL": base_url,
        "QTICKETS_TOKEN": token,
        "CLICKHOUSE_URL": clickhouse_url,
        "CLICKHOUSE_DATABASE": DATABASE,
    }
    with mock.patch.dict(os.environ, environment):
        definitions = defs()
        job = (
            definitions.resolve_job_def(job_name)
            if job_name
            else definitions.resolve_implicit_global_asset_job_def()
        )
        return job.execute_in_process(run_config=run_config, raise_on_error=False, instance=instance)


def read_mart(clickhouse_url: str, table: str) -> list[dict[str, Any]]:
    """The table as an analyst reads it (plain SELECT), in the sandbox truth's format."""
    with open_client(clickhouse_url, DATABASE) as client:
        return mart_rows(client, DATABASE, table)


class Mart:
    """A clean, correct mart (its own chDB directory) and the sandbox it was loaded from."""

    def __init__(self, sandbox: SandboxHandle, url: str) -> None:
        self.sandbox = sandbox
        self.url = url

    def environment(self) -> dict[str, str]:
        return {
            "QTICKETS_BASE_URL": self.sandbox.base_url,
            "QTICKETS_TOKEN": self.sandbox.token,
            "CLICKHOUSE_URL": self.url,
            "CLICKHOUSE_DATABASE": DATABASE,
        }

    def sql(self, *statements: str) -> None:
        with open_client(self.url, DATABASE) as client:
            for statement in statements:
                client.command(statement.format(db=DATABASE), settings={"mutations_sync": 2})

    def value(self, query: str):
        with open_client(self.url, DATABASE) as client:
            return client.command(query.format(db=DATABASE))

    def run(self, selection: dg.AssetSelection, instance: dg.DagsterInstance | None = None):
        """A job of `selection` from the project's definitions, executed in process."""
        with mock.patch.dict(os.environ, self.environment()):
            job = dg.define_asset_job("under_test", selection=selection)
            definitions = dg.Definitions.merge(defs(), dg.Definitions(jobs=[job]))
            return definitions.resolve_job_def("under_test").execute_in_process(
                instance=instance, raise_on_error=False
            )

    def check_results(
        self, instance: dg.DagsterInstance | None = None
    ) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
        """Every asset check of the project, run alone: {(asset, check): evaluation}."""
        result = self.run(dg.AssetSelection.all_asset_checks(), instance)
        assert not result.get_asset_materialization_events(), "a check-only run materialized an asset"
        return by_check(result)


def by_check(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
