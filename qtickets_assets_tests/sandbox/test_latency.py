"""The latency sampler: the quantiles it promises, reproducibly, and the constant model."""

from __future__ import annotations

import pytest

from qtickets_assets.sandbox.latency import MAX_RATIO, Z90, Z99, LatencySampler, latency_ratio


def test_the_quantile_function_passes_through_its_three_points() -> None:
    assert latency_ratio(0.0) == 1.0
    assert latency_ratio(Z90) == pytest.approx(1.8, rel=1e-12)
    assert latency_ratio(Z99) == pytest.approx(4.0, rel=1e-12)
    assert latency_ratio(-Z90) == pytest.approx(1 / 1.8, rel=1e-12)  # the body is a log-normal
    assert latency_ratio(10.0) == MAX_RATIO


def test_lognormal_draws_have_median_p90_and_p99_as_configured() -> None:
    sampler = LatencySampler("lognormal", seed=3)
    draws = sorted(sampler.draw(0.040) for _ in range(20_000))
    median, p90, p99 = (draws[int(len(draws) * q)] / 0.040 for q in (0.5, 0.9, 0.99))
    assert median == pytest.approx(1.0, abs=0.03)
    assert p90 == pytest.approx(1.8, abs=0.06)
    assert p99 == pytest.approx(4.0, abs=0.3)
    assert sum(draws) / len(draws) / 0.040 == pytest.approx(1.16, abs=0.02)
    assert draws[0] > 0 and draws[-1] <= 0.040 * MAX_RATIO


def draws(seed: int, model: str = "lognormal", median_s: float = 0.05) -> list[float]:
    sampler = LatencySampler(model, seed)
    return [sampler.draw(median_s) for _ in range(5)]


def test_draws_replay_by_seed_and_the_constant_model_is_exact() -> None:
    assert draws(1) == draws(1) and len(set(draws(1))) == 5 and draws(2) != draws(1)
    assert draws(1, "constant", 0.04) == [0.04] * 5
    assert draws(1, median_s=0.0) == [0.0] * 5  # no latency stays none
    with pytest.raises(ValueError, match="latency_model"):
        LatencySampler("pareto")
