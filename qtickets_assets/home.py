"""`python -m qtickets_assets.home`: make `DAGSTER_HOME` ready before any run starts in it.

Dagster creates its own storage (sqlite under DAGSTER_HOME) when the first process opens it; two
runs launched at once on a fresh home both try, and one fails ("table alembic_version already
exists"). Creating it here first, once, lets several runs start together and take turns as the
README promises. The repository's dagster.yaml is copied in when the home has none.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

import dagster as dg

from qtickets_assets.settings import REPO_ROOT

DEFAULT_HOME = REPO_ROOT / ".data" / "dagster"


def prepare(home: Path) -> None:
    """The home directory, its dagster.yaml and Dagster's storage, created where missing."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(REPO_ROOT / "dagster.yaml", config)
    # Each storage creates (and stamps) its databases when first touched: runs, the event-log
    # index and schedules, which is what concurrent first runs would otherwise race on.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storages = (instance.run_storage, instance.event_log_storage, instance.schedule_storage)
        assert all(storage is not None for storage in storages)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="python -m qtickets_assets.home",
        description="Make DAGSTER_HOME ready (its dagster.yaml and Dagster's storage) before any run.",
        epilog=f"DAGSTER_HOME (default {DEFAULT_HOME}) names the home.",
    ).parse_args(argv)
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_HOME).resolve()
    prepare(home)
    print(f"DAGSTER_HOME {home} is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
