"""Fixtures for every test package."""

from collections.abc import Iterator

import pytest

from qtickets_assets.definitions import clear_definitions_cache


@pytest.fixture(autouse=True)
def fresh_definitions() -> Iterator[None]:
    """The definitions are built once per process and configuration (`definitions.py`): a test that
    patches something they capture (a check's query, say) must not hand its build to the next."""
    yield
    clear_definitions_cache()
