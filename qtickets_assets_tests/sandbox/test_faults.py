"""Fault injection happens at the configured shares, reproducibly, and only on API routes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from qtickets_assets.sandbox.latency import LatencySampler
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox


@pytest.fixture()
def sb() -> Iterator[SandboxHandle]:
    with run_sandbox(size="small", seed=1) as handle:
        yield handle


def statuses(sb: SandboxHandle, n: int, path: str = "/color-themes") -> list[int]:
    headers = {"Authorization": f"Bearer {sb.token}"}
    with httpx.Client(base_url=sb.base_url, headers=headers) as c:
        return [c.get(path).status_code for _ in range(n)]


def test_503_share_is_close_to_the_setting_and_reproducible(sb: SandboxHandle) -> None:
    sb.set_faults(fault_503=0.3, seed=11)
    first = statuses(sb, 300)
    assert 60 <= first.count(503) <= 120  # 90 expected; ±30 is beyond 5 standard deviations
    assert set(first) == {200, 503}
    assert sb.stats()["faults"] == {"503": first.count(503)}
    sb.set_faults(seed=11)  # the same seed replays the same sequence
    assert statuses(sb, 300) == first


def test_429_carries_retry_after(sb: SandboxHandle) -> None:
    sb.set_faults(fault_429=1.0, retry_after=7)
    response = httpx.get(f"{sb.base_url}/events", headers={"Authorization": f"Bearer {sb.token}"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_dropped_connection_sends_nothing(sb: SandboxHandle) -> None:
    sb.set_faults(drop_share=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{sb.base_url}/orders", headers={"Authorization": f"Bearer {sb.token}"})
    # Control routes are never faulted.
    stats = httpx.get(sb.base_url.replace("/api/rest/v1", "/_sandbox/stats")).json()
    assert stats["faults"] == {"drop": 1}


def test_truncated_and_html_bodies(sb: SandboxHandle) -> None:
    headers = {"Authorization": f"Bearer {sb.token}"}
    sb.set_faults(truncate_share=1.0)
    cut = httpx.get(f"{sb.base_url}/orders", headers=headers)
    assert cut.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)
    sb.set_faults(truncate_share=0.0, html_share=1.0)
    page = httpx.get(f"{sb.base_url}/orders", headers=headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_empty_page_before_total_only_below_the_last_page(sb: SandboxHandle) -> None:
    sb.set_faults(empty_page_share=1.0)
    headers = {"Authorization": f"Bearer {sb.token}"}
    with httpx.Client(base_url=sb.base_url, headers=headers) as c:
        first = c.request("GET", "/events", json={"page": 1}).json()
        last = c.request("GET", "/events", json={"page": 3}).json()
    assert first == {"data": [], "paging": {"perPage": 10, "currentPage": 1, "total": 25}}
    assert len(last["data"]) == 5


@pytest.fixture()
def sleeps(sb: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the server gives each request, in order, and no time spent waiting them."""
    seen: list[float] = []
    monkeypatch.setattr(sb._sandbox, "sleep", seen.append)
    return seen


def test_constant_and_slow_delays(sb: SandboxHandle, sleeps: list[float]) -> None:
    sb.set_faults(latency_ms=150, latency_model="constant")
    statuses(sb, 2)
    sb.set_faults(latency_ms=0, slow_share=1.0, slow_seconds=0.4)
    statuses(sb, 1)
    assert sleeps == [0.15, 0.15, 0.4]


def test_lognormal_delays_are_the_samplers_draws_and_replay_by_seed(
    sb: SandboxHandle, sleeps: list[float]
) -> None:
    assert sb.set_faults()["latency_model"] == "lognormal"  # the default
    sb.set_faults(latency_ms=40, latency_seed=5)
    statuses(sb, 20)
    sampler = LatencySampler("lognormal", seed=5)
    expected = [sampler.draw(0.04) for _ in range(20)]
    assert sleeps == expected and len(set(expected)) == 20
    sb.set_faults(latency_seed=5)  # the same seed replays the same delays
    statuses(sb, 20)
    assert sleeps[20:] == expected
    with pytest.raises(ValueError, match="latency_model"):
        sb.set_faults(latency_model="uniform")


def test_the_servers_work_comes_after_the_whole_latency(
    sb: SandboxHandle, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A remote API's answer takes the way there and back plus its own work: the sandbox must not
    # hide its rendering inside the latency, and the stats must count both.
    api = sb._sandbox.api
    render = api.handle
    steps: list[str] = []

    def recorded(*args: object, **kwargs: object) -> object:
        steps.append(f"render after {sleeps}")
        return render(*args, **kwargs)

    monkeypatch.setattr(api, "handle", recorded)
    sb.set_faults(latency_ms=800, latency_model="constant")
    sb.reset_stats()
    assert statuses(sb, 1, "/orders") == [200]
    assert steps == ["render after [0.8]"]
    route = sb.stats()["routes"]["GET orders"]
    assert route["latency_s"] == 0.8 and route["work_s"] > 0
    assert route["service_s"] == route["latency_s"] + route["work_s"]


def test_peak_and_mean_in_flight_of_overlapping_requests(
    sb: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrived = threading.Barrier(6)
    monkeypatch.setattr(sb._sandbox, "sleep", lambda _: arrived.wait(timeout=30))  # all six at once
    sb.reset_stats()
    threads = [threading.Thread(target=statuses, args=(sb, 1, "/orders")) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = sb.stats()  # each request leaves the count before its answer is written: none is left
    assert stats["requests"] == {"GET orders": 6} and stats["total_requests"] == 6
    assert stats["peak_in_flight"] == 6 and stats["in_flight"] == 0
    assert stats["routes"]["GET orders"]["peak_in_flight"] == 6
    assert stats["bytes_served"] > 6 * 50_000
    root = sb.base_url.replace("/api/rest/v1", "/_sandbox")
    assert httpx.get(f"{root}/stats").json() == json.loads(json.dumps(stats))


def test_bad_fault_settings_are_refused(sb: SandboxHandle) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        sb.set_faults(fault_500=0.1)
    with pytest.raises(ValueError, match="fault_503"):
        sb.set_faults(fault_503=1.5)


def test_control_routes_over_http(sb: SandboxHandle) -> None:
    root = sb.base_url.replace("/api/rest/v1", "/_sandbox")
    assert httpx.post(f"{root}/faults", json={"fault_503": 0.25}).json()["fault_503"] == 0.25
    assert sb.stats()["total_requests"] == 0  # control calls are not API requests
    summary = httpx.post(f"{root}/advance", json={"new_orders": 2, "seed": 1}).json()
    assert len(summary["new_order_ids"]) == 2
    truth = httpx.get(f"{root}/truth").json()
    assert {"dim_events", "fact_inventory_latest", "fact_sales", "v_sales_dashboard"} <= set(truth)
    assert {r["order_id"] for r in truth["fact_sales"]} >= set(summary["new_order_ids"])
