from __future__ import annotations

import dagster as dg
import pytest

from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.errors import QticketsConfigError
from qtickets_assets.lib.qtickets.resource import QticketsResource

from .fakes import BASE, TOKEN


def test_resource_builds_a_client_and_never_shows_the_token() -> None:
    resource = QticketsResource(base_url=BASE, token=TOKEN, max_concurrency=3)
    with resource.client() as client:
        assert isinstance(client, QticketsClient)
        assert repr(client) == f"QticketsClient('{BASE}')"
    assert [TOKEN in text for text in (repr(resource), str(resource))] == [False, False]
    assert "max_concurrency=3" in repr(resource)


def test_resource_from_env_vars_hides_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QTICKETS_BASE_URL", BASE)
    monkeypatch.setenv("QTICKETS_TOKEN", TOKEN)
    resource = QticketsResource(base_url=dg.EnvVar("QTICKETS_BASE_URL"), token=dg.EnvVar("QTICKETS_TOKEN"))
    initialised = resource.process_config_and_initialize()
    assert initialised.token == TOKEN
    assert TOKEN not in repr(initialised) and TOKEN not in str(initialised)


@pytest.mark.parametrize("base_url", ["", "   "])
def test_an_empty_base_url_names_the_variable_and_the_risk(base_url: str) -> None:
    with pytest.raises(QticketsConfigError) as err:
        QticketsResource(base_url=base_url, token=TOKEN).client()
    assert str(err.value).startswith("QTICKETS_BASE_URL is not set")
    assert "sandbox data can never slip into a real mart" in str(err.value)


def test_an_empty_token_names_the_variable() -> None:
    with pytest.raises(QticketsConfigError, match=r"^QTICKETS_TOKEN is not set"):
        QticketsResource(base_url=BASE, token="").client()


@pytest.mark.parametrize("pasted", ["\u200b", "\u0430", "\n", "\t"])  # zero-width space, Cyrillic a, ...
def test_a_token_a_header_cannot_carry_is_refused_by_name_without_showing_it(pasted: str) -> None:
    token = TOKEN[:4] + pasted + TOKEN[4:]
    with pytest.raises(
        QticketsConfigError, match=r"^QTICKETS_TOKEN holds a character an HTTP header cannot carry"
    ):
        QticketsResource(base_url=BASE, token=token).client()
    with pytest.raises(QticketsConfigError) as err:
        QticketsClient(BASE, token)
    assert TOKEN[:4] not in str(err.value) and TOKEN[4:] not in str(err.value)


def test_a_url_httpx_cannot_parse_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(
        QticketsConfigError, match=r"^QTICKETS_BASE_URL is not a valid URL: Invalid port: '44x'$"
    ):
        QticketsClient("https://qtickets.ru:44x/api/rest/v1", TOKEN)


def test_a_url_without_scheme_is_refused_before_any_request() -> None:
    with pytest.raises(QticketsConfigError, match="must start with http:// or https://"):
        QticketsClient("qtickets.ru/api/rest/v1", TOKEN)
    with pytest.raises(QticketsConfigError) as err:
        QticketsClient(f"org:{TOKEN}@qtickets.ru/api/rest/v1", TOKEN)
    assert TOKEN not in str(err.value)
