"""Apply `clickhouse/ddl/NNN_name.sql` in order, once each, then `clickhouse/views/NNN_view.sql`
whenever a view's file changed; each application is recorded in `{database}.schema_migrations`.

Files are idempotent (CREATE ... IF NOT EXISTS, CREATE OR REPLACE VIEW), so a crash between a file
and its ledger row only means the file runs again next time. An applied migration must never
change: its checksum is compared on every run, and a new migration file is the way to evolve a
table. A view holds no data, so its file is edited in place and re-applied when its checksum
differs from the one applied last (recorded as `views/NNN_view.sql`).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qtickets_assets.lib.clickhouse.connection import query_row, quote_identifier
from qtickets_assets.lib.clickhouse.ddl import DDL_DIR, VIEWS_DIR, ddl_files, table_schemas, view_name
from qtickets_assets.lib.clickhouse.errors import MigrationError
from qtickets_assets.lib.clickhouse.sqltext import split_statements

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

LEDGER = "schema_migrations"
log = logging.getLogger(__name__)


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render(sql: str, database: str) -> list[str]:
    """The file's statements with `{database}` filled in (quoted)."""
    return [
        statement.replace("{database}", quote_identifier(database)) for statement in split_statements(sql)
    ]


def _ledger_exists(client: Client, database: str) -> bool:
    (found,) = query_row(
        client,
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        {"db": database, "t": LEDGER},
    )
    return bool(found)


def _applied(client: Client, database: str) -> dict[str, str]:
    # A view's file is recorded again each time it changes: its latest row is the one that counts.
    rows = client.query(
        f"SELECT name, argMax(checksum, applied_at) FROM {quote_identifier(database)}.{LEDGER} GROUP BY name"
    ).result_rows
    return {name: digest for name, digest in rows}


def _run_file(client: Client, database: str, path: Path, text: str) -> None:
    for statement in render(text, database):
        try:
            client.command(statement)
        except Exception as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MigrationError(f"migration {path.name} failed: {first_line}") from None


def _record(client: Client, database: str, name: str, digest: str) -> None:
    client.insert(
        LEDGER,
        [[name, digest, datetime.now(UTC).replace(microsecond=0)]],
        column_names=["name", "checksum", "applied_at"],
        database=database,
    )


def apply_migrations(
    client: Client, database: str, directory: Path = DDL_DIR, views: Path = VIEWS_DIR
) -> list[str]:
    """Apply the migrations not yet recorded, in order, then the views whose file changed; return
    the names applied now. An edited applied migration is an error."""
    files = ddl_files(directory)
    texts = {path.name: path.read_text(encoding="utf-8") for path in files}
    if not _ledger_exists(client, database):
        # The first file creates the ledger itself; it is idempotent and gets recorded below.
        _run_file(client, database, files[0], texts[files[0].name])
    applied = _applied(client, database)
    done: list[str] = []
    for path in files:
        digest = checksum(texts[path.name])
        if path.name in applied:
            if applied[path.name] != digest:
                raise MigrationError(
                    f"migration {path.name} was changed after it was applied (checksum differs); "
                    "restore it and put the change in a new numbered file"
                )
            continue
        _apply(client, database, path, path.name, texts[path.name], digest)
        done.append(path.name)
    for path in ddl_files(views):
        text, name = path.read_text(encoding="utf-8"), f"views/{path.name}"
        if applied.get(name) != (digest := checksum(text)):
            _apply(client, database, path, name, text, digest)
            done.append(name)
    return done + _restore_dropped(client, database, directory, views)


def _restore_dropped(client: Client, database: str, directory: Path, views: Path) -> list[str]:
    """Tables and views dropped by hand since their files were applied (the ledger says applied,
    so nothing above runs them again): every run would fail on the first query that names one.
    A missing table is created again by running every migration anew (each file is idempotent),
    empty (the next full load fills it; an inventory history dropped is gone); a missing view by
    running the view files again. One query when nothing is missing."""
    present = {
        name
        for (name,) in client.query(
            "SELECT name FROM system.tables WHERE database = {db:String}", parameters={"db": database}
        ).result_rows
    }
    view_files = ddl_files(views)
    view_names = {view_name(path) for path in view_files}
    missing = sorted(set(table_schemas(directory, views)) - present)
    if not missing:
        return []
    log.warning(f"{database}: {', '.join(missing)} missing (dropped by hand?): created again")
    rerun = view_files if set(missing) <= view_names else [*ddl_files(directory), *view_files]
    for path in rerun:
        _run_file(client, database, path, path.read_text(encoding="utf-8"))
    return [f"{name} (created again)" for name in missing]


def _apply(client: Client, database: str, path: Path, name: str, text: str, digest: str) -> None:
    _run_file(client, database, path, text)
    _record(client, database, name, digest)
