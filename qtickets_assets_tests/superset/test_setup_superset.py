"""What dashboards/superset/setup_superset.py hands Superset, checked without Superset: the mart's
URI it builds from the environment (the deploy/ service's and `make superset`'s), and that the
password in it is never printed."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from qtickets_assets_tests.deploy.files import setup_superset_module

ROOT = Path(__file__).resolve().parents[2]
# Characters a URI must escape: each one left raw would end the password early or move the host.
AWKWARD = "test-p@ss/w:rd?#%"


@pytest.fixture(scope="module")
def setup() -> ModuleType:
    return setup_superset_module()


def test_the_server_of_clickhouse_url_is_read_as_the_reader_with_its_password_escaped(setup) -> None:
    env = {"CLICKHOUSE_URL": "http://clickhouse:8123", "CLICKHOUSE_READER_PASSWORD": AWKWARD}
    assert setup.mart_uri(env) == (
        "clickhousedb://datalens_reader:test-p%40ss%2Fw%3Ard%3F%23%25@clickhouse:8123/qtickets?interface=http"
    )


def test_https_defaults_to_8443_and_the_database_comes_from_clickhouse_database(setup) -> None:
    env = {"CLICKHOUSE_URL": "https://ch.example.ru", "CLICKHOUSE_READER_PASSWORD": "test-pw",
           "CLICKHOUSE_DATABASE": "tickets_mart"}  # fmt: skip
    assert (
        setup.mart_uri(env)
        == "clickhousedb://datalens_reader:test-pw@ch.example.ru:8443/tickets_mart?interface=https"
    )


def test_a_user_in_clickhouse_url_is_ignored_the_reader_reads(setup) -> None:
    env = {
        "CLICKHOUSE_URL": "http://etl_writer:test-etl@clickhouse:8123",
        "CLICKHOUSE_READER_PASSWORD": "test-pw",
    }
    uri = setup.mart_uri(env)
    assert uri == "clickhousedb://datalens_reader:test-pw@clickhouse:8123/qtickets?interface=http"
    assert "etl" not in uri


def test_an_explicit_uri_wins(setup) -> None:
    """`make superset` passes its URI (a copy of the embedded mart, or the server) this way."""
    env = {"QTICKETS_SUPERSET_DATABASE_URI": "clickhousedb:///qtickets?interface=chdb&path=/m",
           "CLICKHOUSE_URL": "http://clickhouse:8123", "CLICKHOUSE_READER_PASSWORD": "test-pw"}  # fmt: skip
    assert setup.mart_uri(env) == "clickhousedb:///qtickets?interface=chdb&path=/m"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CLICKHOUSE_URL": "http://clickhouse:8123"},
         "error: CLICKHOUSE_READER_PASSWORD is not set: Superset reads the server as datalens_reader"),
        ({"CLICKHOUSE_READER_PASSWORD": "test-pw"},
         "error: set QTICKETS_SUPERSET_DATABASE_URI, or CLICKHOUSE_URL to the server, e.g. http://clickhouse:8123"),
        ({"CLICKHOUSE_URL": "chdb:///data/clickhouse", "CLICKHOUSE_READER_PASSWORD": "test-pw"},
         "error: set QTICKETS_SUPERSET_DATABASE_URI, or CLICKHOUSE_URL to the server, e.g. http://clickhouse:8123"),
        ({"CLICKHOUSE_URL": "http://u:test-url@clickhouse:81x3", "CLICKHOUSE_READER_PASSWORD": "test-pw"},
         "error: CLICKHOUSE_URL has a port that is not a number"),
    ],
    ids=["no-password", "no-url", "embedded-url", "bad-port"],
)  # fmt: skip
def test_a_missing_or_wrong_setting_is_named(setup, env: dict[str, str], message: str) -> None:
    with pytest.raises(SystemExit) as raised:
        setup.mart_uri(env)
    assert str(raised.value) == message


@pytest.mark.parametrize("password", ["test-pw", AWKWARD, "test-a@b@c"])
def test_the_printed_uri_has_no_password(setup, password: str) -> None:
    raw = f"clickhousedb://datalens_reader:{password}@clickhouse:8123/qtickets?interface=http"
    for uri in (raw, setup.reader_uri("clickhouse", 8123, "qtickets", password, False)):
        printed = setup.without_password(uri)
        assert printed == "clickhousedb://datalens_reader@clickhouse:8123/qtickets?interface=http"
    chdb = "clickhousedb:///qtickets?interface=chdb&path=/m"
    assert setup.without_password(chdb) == chdb


def test_the_bundle_is_imported_with_the_uri_in_place_of_its_placeholder(setup) -> None:
    uri = setup.reader_uri("clickhouse", 8123, "qtickets", AWKWARD, False)
    contents = setup.bundle_contents(uri)
    databases = [name for name in contents if name.startswith("databases/")]
    assert len(databases) == 1
    assert yaml.safe_load(contents[databases[0]])["sqlalchemy_uri"] == uri
    others = [text for name, text in contents.items() if name not in databases]
    assert others and not [text for text in others if "clickhousedb://" in text]


def test_make_superset_builds_the_server_uri_with_the_same_function(
    setup, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """launch.py (the project's Python) reads a server through setup_superset.reader_uri."""
    monkeypatch.setitem(sys.modules, "setup_superset", setup)  # launch.py imports it from beside itself
    spec = importlib.util.spec_from_file_location(
        "superset_launch", ROOT / "dashboards" / "superset" / "launch.py"
    )
    assert spec and spec.loader
    launch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launch)

    monkeypatch.setenv("CLICKHOUSE_URL", "https://etl_writer:test-etl@ch.example.ru:9443")
    monkeypatch.setenv("CLICKHOUSE_READER_PASSWORD", AWKWARD)
    monkeypatch.delenv("CLICKHOUSE_DATABASE", raising=False)
    assert launch.database_uri(tmp_path) == setup.reader_uri("ch.example.ru", 9443, "qtickets", AWKWARD, True)
    # A private CA in CLICKHOUSE_URL reaches Superset's connection too (it failed the handshake).
    monkeypatch.setenv(
        "CLICKHOUSE_URL", "https://etl_writer:test-etl@ch.example.ru:9443?ca_cert=/etc/ssl/ca.pem"
    )
    uri = launch.database_uri(tmp_path)
    assert uri.endswith("?interface=https&ca_cert=/etc/ssl/ca.pem")
    assert uri == setup.server_uri_from_env(dict(os.environ))
