"""Injected faults: 429 (with or without Retry-After), 5xx and added latency.

All randomness comes from one seeded RNG, so a run with the same seed and the same request
sequence sees the same faults. Settings change at runtime through `/_sim/faults`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ninja_desk.simulator.config import FaultSettings, SimulatorConfig


@dataclass(slots=True, frozen=True)
class Fault:
    status: int
    retry_after: float | None = None


class FaultInjector:
    def __init__(self, config: SimulatorConfig) -> None:
        self.settings = config.fault_settings()
        self._rng = random.Random(f"faults:{config.seed}")

    def update(self, **changes: Any) -> FaultSettings:
        for key, value in changes.items():
            if value is None:
                continue
            if not hasattr(self.settings, key):
                raise ValueError(f"unknown fault setting {key!r}")
            value = float(value)
            if key.startswith("rate_") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} must be between 0 and 1")
            if value < 0:
                raise ValueError(f"{key} must not be negative")
            setattr(self.settings, key, value)
        return self.settings

    def reseed(self, seed: int) -> None:
        self._rng.seed(f"faults:{seed}")

    def draw(self) -> Fault | None:
        s = self.settings
        # One draw per request keeps the sequence stable when only one rate changes.
        roll = self._rng.random()
        if roll < s.rate_429:
            if self._rng.random() < s.rate_429_without_retry_after:
                return Fault(429)
            return Fault(429, s.retry_after)
        if roll < s.rate_429 + s.rate_5xx:
            return Fault(self._rng.choice((500, 502, 503)))
        return None
