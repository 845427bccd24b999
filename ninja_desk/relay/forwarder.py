"""Forwarding: POST every accepted event to each configured URL, from a durable outbox.

Outbox rows are written in the same transaction as the event, so a forward is never lost, and
delivery runs in its own task with its own HTTP session, so a slow or failing target only
grows the outbox; intake never waits for it. Delivery is at least once: a target that commits
and then times out will see the event again. Every POST carries the relay seq in
`X-NinjaDesk-Relay-Seq` (and in the body) for the receiver to deduplicate.

Retries must outlive the process, so they are scheduled in the outbox (attempts and
next_attempt_at per row) rather than looped in memory; how long each wait is comes from one
tenacity wait policy (`ForwardPolicy.wait`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import aiohttp
from tenacity import RetryCallState, Retrying, wait_exponential, wait_random_exponential
from tenacity.wait import wait_base

from ninja_desk.core.relay_protocol import ENDPOINT_HEADER, SEQ_HEADER
from ninja_desk.relay.metrics import Metrics
from ninja_desk.relay.store import OutboxItem, RelayStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ForwardPolicy:
    base_delay: float = 1.0
    max_delay: float = 300.0
    timeout: float = 10.0
    # A claimed delivery reappears for others after this long if its forwarder died.
    lease: float = 60.0
    batch: int = 100
    poll_interval: float = 1.0

    @property
    def wait(self) -> wait_base:
        """Doubling from base_delay up to max_delay, half of it random (x0.5..1 in all), so
        many events failing together do not retry in lockstep."""
        half, cap = self.base_delay / 2, self.max_delay / 2
        return wait_exponential(multiplier=half, max=cap) + wait_random_exponential(
            multiplier=half, max=cap
        )

    def delay(self, attempts: int) -> float:
        """Seconds to wait before the next try after `attempts` failed ones."""
        wait = self.wait
        state = RetryCallState(Retrying(wait=wait), None, (), {})
        state.attempt_number = attempts
        return wait(state)


class Forwarder:
    def __init__(self, store: RelayStore, policy: ForwardPolicy, metrics: Metrics) -> None:
        self._store = store
        self._policy = policy
        self._metrics = metrics
        self._wake = asyncio.Event()

    def poke(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._policy.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    items = await asyncio.to_thread(
                        self._store.claim_outbox,
                        time.time(),
                        self._policy.lease,
                        self._policy.batch,
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("relay forwarder cannot read the outbox (%s)", exc)
                    items = []
                if items:
                    await self._deliver_all(session, items)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._policy.poll_interval)
                self._wake.clear()

    async def _deliver_all(self, session: aiohttp.ClientSession, items: list[OutboxItem]) -> None:
        results = await asyncio.gather(*(self._deliver(session, item) for item in items))
        done = [item.id for item, error in zip(items, results, strict=True) if error is None]
        try:
            await asyncio.to_thread(self._store.outbox_done, done)
            for item, error in zip(items, results, strict=True):
                if error is not None:
                    attempts = item.attempts + 1
                    await asyncio.to_thread(
                        self._store.outbox_retry,
                        item.id,
                        attempts,
                        time.time() + self._policy.delay(attempts),
                        error,
                    )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Leased rows come back after the lease: delivered ones may be sent again.
            log.warning("relay forwarder could not record results (%s)", exc)

    async def _deliver(self, session: aiohttp.ClientSession, item: OutboxItem) -> str | None:
        headers = {
            "Content-Type": "application/json",
            SEQ_HEADER: str(item.event.seq),
            ENDPOINT_HEADER: item.event.endpoint,
        }
        try:
            async with session.post(
                item.target_url, data=item.event.to_json().encode(), headers=headers
            ) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    self._metrics.forwarded += 1
                    return None
                error = f"HTTP {resp.status}"
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        self._metrics.forward_failures += 1
        log.info("relay forward of seq %d to a target failed: %s", item.event.seq, error)
        return error
