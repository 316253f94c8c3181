"""A clean, correct mart built once per test session against a small sandbox; each test that asks
for `mart` works on its own copy of that chDB directory (corrupting it as it likes)."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import clickhouse_connect
import dagster as dg
import pytest

from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.graph.mart import Mart, materialize_all


@pytest.fixture(scope="session")
def clean_mart_client_opens() -> list[str]:
    """The ClickHouse clients (chDB DSNs) opened while the clean mart's full sync ran."""
    return []


@pytest.fixture(scope="session")
def clean_sync(
    tmp_path_factory, clean_mart_client_opens
) -> Iterator[tuple[SandboxHandle, Path, dg.ExecuteInProcessResult]]:
    """The full sync that built the clean mart, with its run's result (events, step order)."""
    directory = tmp_path_factory.mktemp("clean") / "ch"
    get_client = clickhouse_connect.get_client

    def counted(**settings: Any) -> Any:
        clean_mart_client_opens.append(settings.get("dsn", "server"))
        return get_client(**settings)

    with run_sandbox(size="small", seed=7) as sandbox:
        with mock.patch.object(clickhouse_connect, "get_client", counted):
            result = materialize_all(sandbox.base_url, sandbox.token, f"chdb://{directory}")
        assert result.success
        assert all(evaluation.passed for evaluation in result.get_asset_check_evaluations())
        yield sandbox, directory, result


@pytest.fixture(scope="session")
def clean_mart(clean_sync) -> tuple[SandboxHandle, Path]:
    sandbox, directory, _ = clean_sync
    return sandbox, directory


@pytest.fixture
def mart(clean_mart, tmp_path) -> Mart:
    """A private copy of the clean mart (the engine is closed between opens, so files are at rest)."""
    sandbox, directory = clean_mart
    copy = tmp_path / "ch"
    shutil.copytree(directory, copy, symlinks=True)
    return Mart(sandbox, f"chdb://{copy}")
