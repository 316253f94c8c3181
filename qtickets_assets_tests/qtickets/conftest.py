from __future__ import annotations

import pytest

from qtickets_assets.lib.qtickets import retry


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record back-off waits instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(retry, "sleep", lambda seconds, stop: recorded.append(seconds))
    return recorded
