"""Query the mart from a terminal the way the project opens it: under its directory lock.

`make sql` (or `python -m qtickets_assets.sql`) reads one statement per line and prints each result
as a table; `python -m qtickets_assets.sql "SELECT ..."` runs one statement and exits. The mart is
CLICKHOUSE_URL/CLICKHOUSE_DATABASE, by default the embedded one under `.data/clickhouse`.

An embedded directory can be open in one process only. Each statement opens it, takes the lock
and lets go as soon as its result is read, so a Dagster run waits for a query at most (and a query
waits for a run, up to CLICKHOUSE_LOCK_TIMEOUT), never for an idle prompt. A client that opens
`chdb:///path` directly holds the directory for as long as it stays open and takes no lock.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any

from tabulate import tabulate

from qtickets_assets import settings
from qtickets_assets.lib import figures
from qtickets_assets.lib.clickhouse.connection import open_client

PROMPT = "sql> "
QUIT = {"exit", "quit", r"\q"}


# A statement that names its own output format (`... FORMAT CSVWithNames`): the driver would add
# its own FORMAT Native after it, a syntax error.
OWN_FORMAT = re.compile(r"\bFORMAT\s+\w+\s*;?\s*$", re.IGNORECASE)


def run_statement(url: str, database: str, statement: str) -> str:
    """The statement's result as an aligned table, or as ClickHouse writes the format it names."""
    with open_client(url, database, existing=True) as client:
        if OWN_FORMAT.search(statement):
            return client.raw_query(statement.rstrip().rstrip(";")).decode("utf-8", "replace").rstrip("\n")
        result = client.query(statement)
        return format_result(result.column_names, result.result_rows)


def answer(url: str, database: str, statement: str) -> tuple[bool, str]:
    """(succeeded?, the table or a one-line error): a typo in SQL is not a stack trace."""
    try:
        return True, run_statement(url, database, statement)
    except Exception as error:  # ours (ClickHouseError) and the driver's own, whatever their type
        return False, f"error: {str(error).strip().splitlines()[0]}"


def format_result(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    rows = list(rows)
    cells = [[shown(column, value) for column, value in zip(columns, row, strict=True)] for row in rows]
    align = ["right" if all(is_number(row[i]) for row in rows) else "left" for i in range(len(columns))]
    table = tabulate(cells, headers=list(columns), disable_numparse=True, colalign=align)
    return f"{table}\n({len(cells)} row{'s' if len(cells) != 1 else ''})"


def shown(column: str, value: Any) -> str:
    """Scalars as the demo prints them (kopecks, thousands, NULL as a dash); arrays and maps as text."""
    return str(value) if isinstance(value, list | tuple | dict) else figures.cell(column, value)


def is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float | Decimal) and not isinstance(value, bool))


def repl(url: str, database: str, lines: IO[str], out: IO[str]) -> int:
    """One statement per line until EOF or `exit`; an error is printed and the prompt goes on."""
    interactive = lines.isatty()
    failures = 0
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = lines.readline()
        statement = line.strip().rstrip(";").strip()
        if not line or statement.lower() in QUIT:
            return 1 if failures and not interactive else 0
        if not statement:
            continue
        succeeded, text = answer(url, database, statement)
        failures += not succeeded
        print(text, file=out, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qtickets_assets.sql", description=__doc__.splitlines()[0]
    )
    parser.add_argument("statement", nargs="?", help="one statement to run; none: read them from stdin")
    args = parser.parse_args(argv)
    url = settings.clickhouse_url_value()
    database = settings.clickhouse_database()
    if args.statement is None:
        return repl(url, database, sys.stdin, sys.stdout)
    succeeded, text = answer(url, database, args.statement)
    print(text, file=sys.stdout if succeeded else sys.stderr)
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
