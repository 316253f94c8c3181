"""How long a remote API takes to answer: one draw per request around a configured median.

"lognormal" (the default) spreads answers the way a real API's do: most near the median, a long
slow tail. Its quantile function is a log-normal's up to the 90th percentile and a steeper one
above it, fitted so that the median is the configured latency, p90 is 1.8x and p99 4x it
(a plain log-normal with p90 1.8x has p99 2.9x only: real APIs' tails are heavier). Draws are
capped at 16x the median (reached about once in 60,000 requests) so that one draw cannot hold a
benchmark for seconds. The mean is about 1.16x the median. "constant" answers every request in
exactly the median, as the sandbox did before.
"""

from __future__ import annotations

import math
import random
from statistics import NormalDist
from typing import Literal, get_args

LatencyModel = Literal["constant", "lognormal"]
LATENCY_MODELS: tuple[str, ...] = get_args(LatencyModel)

P90_RATIO = 1.8
P99_RATIO = 4.0
MAX_RATIO = 16.0
Z90 = NormalDist().inv_cdf(0.90)
Z99 = NormalDist().inv_cdf(0.99)
BODY_SIGMA = math.log(P90_RATIO) / Z90  # ~0.459: the log-normal below p90
TAIL_SIGMA = math.log(P99_RATIO / P90_RATIO) / (Z99 - Z90)  # ~0.764: the slope from p90 to p99


def latency_ratio(z: float) -> float:
    """A draw's multiple of the median, for a standard normal `z` (monotone: z's quantile maps to it)."""
    log_ratio = BODY_SIGMA * z if z <= Z90 else math.log(P90_RATIO) + TAIL_SIGMA * (z - Z90)
    return min(math.exp(log_ratio), MAX_RATIO)


class LatencySampler:
    """Reproducible draws for one model and seed; not thread-safe (the fault injector's lock guards it)."""

    def __init__(self, model: LatencyModel | str = "lognormal", seed: int = 0) -> None:
        if model not in LATENCY_MODELS:
            raise ValueError(f"latency_model must be one of {list(LATENCY_MODELS)}, got {model!r}")
        self.model = model
        self._rng = random.Random(f"latency:{seed}")

    def draw(self, median_s: float) -> float:
        """Seconds this request takes on the way, before the server's own work."""
        if self.model == "constant" or median_s <= 0:
            return median_s
        return median_s * latency_ratio(self._rng.gauss(0.0, 1.0))
