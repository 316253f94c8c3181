"""Errors of the storage layer: one base class so callers can catch every ClickHouse problem."""


class ClickHouseError(Exception):
    """Base of every error raised by `qtickets_assets.lib.clickhouse`."""


class ClickHouseConfigError(ClickHouseError):
    """Bad configuration or unusable target: bad URL, unreachable server, wrong password, busy directory."""


class ClickHouseBusyError(ClickHouseConfigError):
    """The embedded directory stayed in use by another process for the whole wait (a passing state)."""


class ClickHouseUnreachableError(ClickHouseConfigError):
    """The server did not answer (refused, timed out, name not resolved): a server restarting or a
    network fault passes, a wrong host does not; a run retried once tells them apart."""


class MigrationError(ClickHouseError):
    """A DDL file cannot be applied, or an applied file has been edited since."""


class SchemaMismatchError(ClickHouseError):
    """A DataFrame does not fit the table's DDL; the message lists every difference."""

    def __init__(self, table: str, problems: list[str]) -> None:
        self.table = table
        self.problems = problems
        super().__init__(f"frame for table {table!r} does not match its DDL: " + "; ".join(problems))
