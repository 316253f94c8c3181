"""`make sql` / `python -m qtickets_assets.sql`: queries under the project's directory lock."""

import io

import pytest

from qtickets_assets import sql
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets_tests.clickhouse.conftest import DATABASE
from qtickets_assets_tests.clickhouse.test_connection import holder


class Lines(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_the_prompt_prints_each_result_and_goes_on_after_an_error(chdb_url: str) -> None:
    with open_client(chdb_url, DATABASE):  # a mart (the prompt makes none: it reads one)
        pass
    out = io.StringIO()
    statements = (
        "SELECT 2 AS n, toDecimal64(1234.5, 2) AS money;\nSELEC nope\n\nSELECT 'a' AS s\nexit\nSELECT 3\n"
    )
    code = sql.repl(chdb_url, DATABASE, Lines(statements), out)
    assert code == 1, "a failed statement makes a piped session fail"
    blocks = out.getvalue().splitlines()
    assert blocks[:4] == ["  n     money", "---  --------", "  2  1,234.50", "(1 row)"]
    assert blocks[4].startswith("error: Code: 62. DB::Exception: Syntax error")
    assert blocks[5:] == ["s", "---", "a", "(1 row)"], "stops at exit"


def test_a_statement_that_names_its_format_is_printed_in_it(chdb_url: str) -> None:
    """ "... FORMAT TSV" failed with a syntax error: the driver added its own FORMAT Native after it."""
    with open_client(chdb_url, DATABASE):
        pass
    assert sql.answer(chdb_url, DATABASE, "SELECT 2 AS n, 'a' AS s FORMAT TSVWithNames;") == (
        True,
        "n\ts\n2\ta",
    )


def test_a_query_waits_for_the_project_lock_like_a_run(
    chdb_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """While a run holds the directory the query waits (here 0.5 s), then names the problem."""
    monkeypatch.setenv("CLICKHOUSE_URL", chdb_url)
    monkeypatch.setenv("CLICKHOUSE_DATABASE", DATABASE)
    monkeypatch.setenv("CLICKHOUSE_LOCK_TIMEOUT", "0.5")
    with holder(chdb_url, "locked"):
        assert sql.main(["SELECT 1"]) == 1
    directory = chdb_url.removeprefix("chdb://")
    assert capsys.readouterr().err.startswith(
        f"error: the embedded ClickHouse directory {directory} is in use (waited 0.5 s)"
    )
    assert sql.main(["SELECT 1 AS one"]) == 0
    assert capsys.readouterr().out == "  one\n-----\n    1\n(1 row)\n"
