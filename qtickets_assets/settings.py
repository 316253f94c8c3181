"""Where configuration comes from: the environment only (see docs/contract.md)."""

import os
from pathlib import Path

import dagster as dg

from qtickets_assets.lib.clickhouse.resource import DEFAULT_DATABASE as DEFAULT_DATABASE  # re-exported

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MAX_CONCURRENCY = 8
# The variables read while the definitions are built (not when a run starts): `definitions.py`
# builds them once per process for each combination of these values. A new variable that changes
# what the definitions contain must be listed here.
DEFINITIONS_ENV = ("CLICKHOUSE_URL", "CLICKHOUSE_DATABASE", "QTICKETS_MAX_CONCURRENCY")


def default_clickhouse_url() -> str:
    """The embedded default: chDB under the repository's data folder."""
    return f"chdb://{REPO_ROOT / '.data' / 'clickhouse'}"


def clickhouse_url_value() -> str:
    """CLICKHOUSE_URL's value, or the embedded default: for tools outside Dagster (report, sql)."""
    return os.environ.get("CLICKHOUSE_URL") or default_clickhouse_url()


def clickhouse_url() -> str | dg.EnvVar:
    # A server URL carries a password, so when it is set it stays an EnvVar: Dagster resolves it at
    # run time and never shows the value in the UI. Only the password-free default is a literal.
    return dg.EnvVar("CLICKHOUSE_URL") if os.environ.get("CLICKHOUSE_URL") else default_clickhouse_url()


def clickhouse_database() -> str:
    return (os.environ.get("CLICKHOUSE_DATABASE") or "").strip() or DEFAULT_DATABASE


def max_concurrency() -> int | dg.EnvVar:
    # Set, it stays an EnvVar that Dagster reads when a run is launched: a value that is not a whole
    # number then stops that run, naming the variable, where reading it here stopped the definitions
    # from loading at all (the UI and every job with them, under a 180-line traceback).
    if os.environ.get("QTICKETS_MAX_CONCURRENCY"):
        return dg.EnvVar.int("QTICKETS_MAX_CONCURRENCY")
    return DEFAULT_MAX_CONCURRENCY


def definitions_env() -> tuple[str | None, ...]:
    """The current values of `DEFINITIONS_ENV`: what the built definitions depend on."""
    return tuple(os.environ.get(name) for name in DEFINITIONS_ENV)
