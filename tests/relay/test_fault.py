"""Crash test: 5,000 webhooks while the relay process is SIGKILLed twice and restarted.

Every webhook that got a 200 must reach a subscriber that rides through the crashes, exactly
once and in seq order. Senders retry until they get a 200, like a well-behaved webhook
source; a retry of something already stored is answered as a duplicate, not stored twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import aiohttp
import pytest

from ninja_desk.relay import admin
from ninja_desk.relay.store import open_store
from ninja_desk.sync.relay_subscriber import InMemoryCursorStore, RelayEvent, RelaySubscriber
from tests.relay.conftest import activity
from tests.relay.relay_process import RelayProcess

TOTAL = 5000
SENDERS = 8


@pytest.mark.slow
async def test_sigkill_twice_loses_and_duplicates_nothing(tmp_path: Any):
    db = f"sqlite:///{tmp_path}/relay.db"
    store = open_store(db)
    store.init_schema()
    secret = admin.add_endpoint(store, "acme")
    token = admin.add_subscriber(store, "desk1")
    store.close()

    relay = RelayProcess(db, extra=["--heartbeat", "0.5", "--log-level", "WARNING"]).start()
    received: list[RelayEvent] = []

    async def on_event(event: RelayEvent) -> None:
        received.append(event)

    states: list[str] = []
    subscriber = RelaySubscriber(
        relay.url,
        token,
        InMemoryCursorStore(),
        on_event,
        None,
        states.append,
        heartbeat_timeout=2.0,
        initial_backoff=0.05,
        max_backoff=0.3,
    )
    follower = asyncio.create_task(subscriber.run())
    acked: dict[int, str] = {}
    pending: asyncio.Queue[int] = asyncio.Queue()
    for i in range(1, TOTAL + 1):
        pending.put_nowait(i)
    headers = {"X-NinjaDesk-Secret": secret}

    async def sender(session: aiohttp.ClientSession) -> None:
        while not pending.empty():
            activity_id = pending.get_nowait()
            while True:
                try:
                    async with session.post(
                        f"{relay.url}/hooks/acme", json=activity(activity_id), headers=headers
                    ) as response:
                        body = await response.json(content_type=None)
                        if response.status == 200:
                            acked[activity_id] = body["status"]
                            break
                except (TimeoutError, aiohttp.ClientError, ValueError):
                    pass
                await asyncio.sleep(0.02)

    async def killer() -> None:
        for threshold in (TOTAL // 3, 2 * TOTAL // 3):
            while len(acked) < threshold:
                await asyncio.sleep(0.005)
            await asyncio.to_thread(relay.kill)
            await asyncio.sleep(0.2)  # senders hit a dead port meanwhile
            await asyncio.to_thread(relay.start)

    try:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await asyncio.gather(killer(), *(sender(session) for _ in range(SENDERS)))
        assert len(acked) == TOTAL

        async def caught_up() -> None:
            while len({e.payload["id"] for e in received}) < TOTAL:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(caught_up(), 20)
        await asyncio.sleep(0.3)  # a late duplicate would show up now
    finally:
        await subscriber.stop()
        await asyncio.wait_for(follower, 5)
        relay.stop()

    seqs = [e.seq for e in received]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "out of order or repeated"
    ids = Counter(e.payload["id"] for e in received)
    assert set(ids) == set(acked)
    assert max(ids.values()) == 1, "an acknowledged webhook was delivered twice"
    # The subscriber really lived through both crashes (it lost its stream twice).
    assert states.count("live") >= 3 and states.count("backoff") >= 2
