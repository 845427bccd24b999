"""Retention: keep events for `max_age` seconds and at most `max_count` of them.

Subscribers that come back later than that get a `relay.gap` and resync from NinjaOne.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from ninja_desk.relay.metrics import Metrics
from ninja_desk.relay.store import RelayStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    max_age: float | None = 7 * 24 * 3600.0
    max_count: int | None = 1_000_000
    interval: float = 60.0


async def prune_once(store: RelayStore, policy: RetentionPolicy, metrics: Metrics) -> int:
    deleted = await asyncio.to_thread(store.prune, time.time(), policy.max_age, policy.max_count)
    metrics.pruned += deleted
    return deleted


async def retention_loop(store: RelayStore, policy: RetentionPolicy, metrics: Metrics) -> None:
    while True:
        try:
            deleted = await prune_once(store, policy, metrics)
            if deleted:
                log.info("relay retention pruned %d events", deleted)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("relay retention failed (%s); will retry", exc)
        await asyncio.sleep(policy.interval)
