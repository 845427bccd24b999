"""Forwarding from the durable outbox: retries with backoff, at-least-once, never slows intake.

Delivery guarantee tested here: at least once, every attempt carrying the same relay seq. A
target that answers 5xx and then recovers receives each event exactly once *successfully*
(a 5xx is not a delivery); a target that commits and then times out could see an event twice,
which is why every POST carries `X-NinjaDesk-Relay-Seq`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from typing import Any

import httpx
from aiohttp import web

from ninja_desk.relay import admin
from ninja_desk.relay.forwarder import ForwardPolicy
from ninja_desk.relay.state import RelayConfig
from tests.relay.conftest import activity


class Target:
    """A forward target that fails the first `failures` requests, then accepts."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures = failures
        self.delay = delay
        self.attempts: list[tuple[float, int]] = []
        self.accepted: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        seq = int(request.headers["X-NinjaDesk-Relay-Seq"])
        self.attempts.append((time.monotonic(), seq))
        if self.delay:
            await asyncio.sleep(self.delay)
        if len(self.attempts) <= self.failures:
            return web.Response(status=503)
        body = await request.json()
        assert body["seq"] == seq
        self.accepted.append(body)
        return web.Response(status=204)

    async def start(self) -> tuple[str, web.AppRunner]:
        app = web.Application()
        app.router.add_post("/in", self.handle)
        runner = web.AppRunner(app, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}/in", runner


FAST = ForwardPolicy(base_delay=0.05, max_delay=0.4, poll_interval=0.05, timeout=2.0)


async def test_failing_target_recovers_and_gets_every_event(
    relay_factory: Any, db_url: str, client: httpx.AsyncClient
):
    target = Target(failures=6)
    url, runner = await target.start()
    try:
        relay = await relay_factory(db_url, RelayConfig(forward=FAST))
        relay.endpoint("acme")
        admin.add_forward(relay.store, url)
        for i in range(1, 6):
            assert (await relay.post(client, activity(i))).status_code == 200
        for _ in range(200):
            if len(target.accepted) >= 5 and relay.store.outbox_depth() == 0:
                break
            await asyncio.sleep(0.05)
        assert sorted(e["seq"] for e in target.accepted) == [1, 2, 3, 4, 5]
        assert Counter(e["seq"] for e in target.accepted).most_common(1)[0][1] == 1
        assert [e["payload"]["id"] for e in sorted(target.accepted, key=lambda e: e["seq"])] == [
            1,
            2,
            3,
            4,
            5,
        ]
        # Retries happened, and with growing gaps between attempts at the same seq.
        by_seq: dict[int, list[float]] = {}
        for at, seq in target.attempts:
            by_seq.setdefault(seq, []).append(at)
        retried = [times for times in by_seq.values() if len(times) >= 3]
        assert retried, by_seq
        for times in retried:
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert gaps[-1] >= 0.02
    finally:
        await runner.cleanup()


async def test_slow_target_does_not_slow_intake(
    relay_factory: Any, sqlite_url: str, client: httpx.AsyncClient
):
    target = Target(delay=1.5)
    url, runner = await target.start()
    try:
        relay = await relay_factory(sqlite_url, RelayConfig(forward=FAST))
        relay.endpoint("acme")
        admin.add_forward(relay.store, url)
        start = time.monotonic()
        for i in range(50):
            assert (await relay.post(client, activity(i))).status_code == 200
        # Inline forwarding would take 50 x 1.5 s; intake must not notice the target at all.
        assert time.monotonic() - start < 3.0
        metrics = (await client.get(f"{relay.url}/metrics")).text
        depth = next(
            line
            for line in metrics.splitlines()
            if line.startswith("ninjadesk_relay_forward_queue_depth ")
        )
        assert int(float(depth.split()[1])) > 0
    finally:
        await runner.cleanup()


async def test_outbox_survives_a_restart(
    relay_factory: Any, sqlite_url: str, client: httpx.AsyncClient
):
    """Events accepted while forwarding is down are forwarded by the next process."""
    relay = await relay_factory(sqlite_url, RelayConfig(forwarding=False))
    relay.endpoint("acme")
    target = Target()
    url, runner = await target.start()
    try:
        admin.add_forward(relay.store, url)
        for i in range(3):
            await relay.post(client, activity(i))
        assert relay.store.outbox_depth() == 3
        await relay.runner.cleanup()
        await relay_factory(sqlite_url, RelayConfig(forward=FAST))
        for _ in range(100):
            if len(target.accepted) == 3:
                break
            await asyncio.sleep(0.05)
        assert sorted(json.loads(json.dumps(e))["seq"] for e in target.accepted) == [1, 2, 3]
    finally:
        await runner.cleanup()


def test_retry_delays_double_with_jitter_up_to_the_cap():
    policy = ForwardPolicy(base_delay=1.0, max_delay=300.0)
    for attempts, low, high in [(1, 0.5, 1.0), (3, 2.0, 4.0), (6, 16.0, 32.0), (40, 150, 300)]:
        delays = [policy.delay(attempts) for _ in range(50)]
        assert all(low <= d <= high for d in delays), (attempts, delays)
        assert len(set(delays)) > 1  # jittered
