"""Stats over overlapping requests, on driven clocks: spans, peaks and time-weighted means in flight."""

from __future__ import annotations

from collections.abc import Callable

from qtickets_assets.sandbox.stats import Stats

ORDERS, SEATS = "GET orders", "GET shows/{id}/seats"


def driven(values: list[float]) -> Callable[[], float]:
    """A clock that reads the given values one after another."""
    readings = iter(values)
    return lambda: next(readings)


def test_spans_peaks_and_mean_in_flight_of_a_known_timeline() -> None:
    # orders: a in 0 out 4, b in 1 out 3, c in 2 out 6; seats: d in 5 out 7 (seconds since the reset
    # at -1). In flight over orders' span 0..6: 1,2,3,2,1,1 in each second = 10 request-seconds.
    clock = driven([-1, 0, 1, 2, 3, 4, 5, 6, 7])
    cpu = driven([0, 10, 20, 10.5, 0.25, 30, 21, 32])  # the handling threads' CPU clocks
    stats = Stats(clock, cpu)
    a, b, c = (stats.enter("GET", "orders") for _ in range(3))
    stats.leave(b, 200, 100, None, 0.5)
    stats.leave(a, 200, 100, None, 0.25)
    d = stats.enter("GET", "shows/{id}/seats")
    stats.leave(c, 503, 50, "503", 0.125)
    stats.leave(d, 200, 10, None, 1.0)

    snap = stats.snapshot()
    assert snap["requests"] == {ORDERS: 3, SEATS: 1} and snap["total_requests"] == 4
    assert snap["statuses"] == {"200": 3, "503": 1} and snap["faults"] == {"503": 1}
    assert snap["bytes_served"] == 260 and snap["in_flight"] == 0 and snap["peak_in_flight"] == 3
    assert snap["routes"][ORDERS] == {
        "requests": 3,
        "first_in_s": 1,
        "last_out_s": 7,
        "span_s": 6,
        "mean_in_flight": 10 / 6,
        "peak_in_flight": 3,
        "in_flight_s": 10,
        "latency_s": 0.875,
        "work_s": 1.75,
        "service_s": 2.625,
    }
    assert snap["routes"][SEATS] == {
        "requests": 1,
        "first_in_s": 6,
        "last_out_s": 8,
        "span_s": 2,
        "mean_in_flight": 1.0,
        "peak_in_flight": 1,
        "in_flight_s": 2,
        "latency_s": 1.0,
        "work_s": 2,
        "service_s": 3.0,
    }
    crawl = snap["crawl"]
    assert (crawl["requests"], crawl["first_in_s"], crawl["last_out_s"], crawl["span_s"]) == (4, 1, 8, 7)
    assert crawl["mean_in_flight"] == 12 / 7 and crawl["peak_in_flight"] == 3
    assert crawl["service_s"] == 0.875 + 1.0 + 1.75 + 2


def test_a_request_from_before_a_reset_counts_in_no_span() -> None:
    stats = Stats(driven([0, 1, 2, 3, 4, 5]), driven([0, 0, 0, 1]))
    early = stats.enter("GET", "orders")
    stats.reset()
    late = stats.enter("GET", "orders")
    stats.leave(early, 200, 100, None, 0.04)
    snap = stats.snapshot()
    assert snap["in_flight"] == 1 and snap["routes"][ORDERS]["requests"] == 1
    assert snap["bytes_served"] == 0 and snap["routes"][ORDERS]["latency_s"] == 0
    stats.leave(late, 200, 100, None, 0.04)
    snap = stats.snapshot()
    assert snap["in_flight"] == 0 and snap["routes"][ORDERS]["span_s"] == 2 and snap["bytes_served"] == 100


def test_no_request_no_span() -> None:
    crawl = Stats(driven([0])).snapshot()["crawl"]
    assert crawl["span_s"] is None and crawl["mean_in_flight"] is None and crawl["requests"] == 0
