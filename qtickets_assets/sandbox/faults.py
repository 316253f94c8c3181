"""Fault injection: reproducible (seeded) misbehaviour of the API routes, settable at runtime."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from qtickets_assets.sandbox.latency import LatencySampler

Fault = Literal["drop", "503", "429", "truncate", "html", "empty_page"]


@dataclass(frozen=True, slots=True)
class FaultConfig:
    fault_503: float = 0.0  # share of requests answered 503 UNKNOWN_ERROR
    fault_429: float = 0.0  # share answered 429 with Retry-After
    retry_after: int = 1  # seconds, the Retry-After value of those 429s
    latency_ms: int = 0  # the median time on the way of an API request; the server's work comes on top
    latency_model: str = "lognormal"  # or "constant": every request exactly latency_ms (latency.py)
    latency_seed: int = 0  # the latency draws' own seed, apart from the faults'
    slow_share: float = 0.0  # share of requests that take slow_seconds longer still
    slow_seconds: float = 0.0
    drop_share: float = 0.0  # share of connections closed without any response
    truncate_share: float = 0.0  # share of 200 bodies cut short (invalid JSON)
    html_share: float = 0.0  # share answered 200 with an HTML page instead of JSON
    empty_page_share: float = 0.0  # share of list pages below the last answered with data: []
    seed: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name.endswith("share") or f.name.startswith("fault_"):
                value = getattr(self, f.name)
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{f.name} must be within [0, 1], got {value}")
        LatencySampler(self.latency_model)  # refuses an unknown model


FAULT_NAMES = frozenset(f.name for f in fields(FaultConfig))


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to one request; drawn once when it arrives."""

    fault: Fault | None
    delay: float  # seconds on the way (sampled latency, plus slow_seconds when slow); work comes on top


class FaultInjector:
    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.config = config or FaultConfig()
        self._rng = random.Random(f"faults:{self.config.seed}")
        self._latency = LatencySampler(self.config.latency_model, self.config.latency_seed)

    def update(self, **changes: Any) -> FaultConfig:
        unknown = set(changes) - FAULT_NAMES
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        with self._lock:
            self.config = replace(self.config, **changes)
            if "seed" in changes:
                self._rng = random.Random(f"faults:{self.config.seed}")
            if {"latency_model", "latency_seed"} & set(changes):
                self._latency = LatencySampler(self.config.latency_model, self.config.latency_seed)
            return self.config

    def as_dict(self) -> dict[str, Any]:
        return asdict(self.config)

    def decide(self) -> Decision:
        """Independent draws in a fixed order, so a run is reproducible for a given request order."""
        with self._lock:
            c, rng = self.config, self._rng
            draws = [rng.random() for _ in range(7)]
            # its own generator: the fault draws are the same whatever the latency model
            latency = self._latency.draw(c.latency_ms / 1000)
            delay = latency + (c.slow_seconds if draws[0] < c.slow_share else 0.0)
            chosen: Fault | None = None
            for draw, share, fault in zip(
                draws[1:],
                (c.drop_share, c.fault_503, c.fault_429, c.truncate_share, c.html_share, c.empty_page_share),
                ("drop", "503", "429", "truncate", "html", "empty_page"),
                strict=True,
            ):
                if draw < share:
                    chosen = fault  # type: ignore[assignment]
                    break
            return Decision(chosen, delay)
