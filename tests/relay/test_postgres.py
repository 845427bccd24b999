"""Several relay instances on one PostgreSQL database (behind a load balancer)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ninja_desk.relay import admin
from ninja_desk.relay.state import RelayConfig
from ninja_desk.relay.store import open_store
from tests.relay.conftest import Relay, activity
from tests.relay.test_events import SseReader, stream

pytestmark = pytest.mark.postgres

# A poll long enough that passing tests prove LISTEN/NOTIFY, not the fallback poll.
CONFIG = RelayConfig(heartbeat=0.5, shared_poll_interval=30.0)


async def two_instances(relay_factory: Any, pg_url: str) -> tuple[Relay, Relay]:
    a: Relay = await relay_factory(pg_url, CONFIG)
    b: Relay = await relay_factory(pg_url, CONFIG)
    a.endpoint("acme")
    a.subscriber("desk1")
    b.secrets, b.tokens = a.secrets, a.tokens
    await asyncio.sleep(0.2)  # both LISTEN connections are up
    return a, b


async def test_subscriber_on_b_sees_events_accepted_by_a(
    relay_factory: Any, pg_url: str, client: httpx.AsyncClient
):
    a, b = await two_instances(relay_factory, pg_url)
    async with stream(client, b) as response:
        reader = SseReader(response)
        await a.post(client, activity(1))
        _, _, data = await reader.next(timeout=3)
        assert data["seq"] == 1 and data["payload"]["id"] == 1
        await b.post(client, activity(2))
        assert (await reader.next(timeout=3))[2]["seq"] == 2


async def test_concurrent_intake_on_two_instances_streams_in_order(
    relay_factory: Any, pg_url: str, client: httpx.AsyncClient
):
    """Seqs commit in order across instances, so no subscriber skips a late commit."""
    a, b = await two_instances(relay_factory, pg_url)
    total = 300

    async def sender(relay: Relay, ids: range) -> None:
        for i in ids:
            assert (await relay.post(client, activity(i))).status_code == 200

    async def follow(relay: Relay) -> list[int]:
        async with stream(client, relay, since=0) as response:
            reader = SseReader(response)
            return [(await reader.next(timeout=5))[2]["seq"] for _ in range(total)]

    followers = [asyncio.create_task(follow(r)) for r in (a, b)]
    await asyncio.gather(*(sender(r, range(k, total, 4)) for k, r in enumerate((a, b, a, b))))
    seen_a, seen_b = await asyncio.gather(*followers)
    assert seen_a == seen_b
    assert len(seen_a) == total and seen_a == sorted(seen_a) and len(set(seen_a)) == total


async def test_duplicates_across_instances_store_once(
    relay_factory: Any, pg_url: str, client: httpx.AsyncClient
):
    a, b = await two_instances(relay_factory, pg_url)
    results = await asyncio.gather(*(r.post(client, activity(7)) for r in (a, b, a, b)))
    assert [r.status_code for r in results] == [200] * 4
    assert [r.json()["status"] for r in results].count("stored") == 1


async def test_rotation_and_revocation_apply_to_every_instance(
    relay_factory: Any, pg_url: str, client: httpx.AsyncClient
):
    a, b = await two_instances(relay_factory, pg_url)
    third = open_store(pg_url)  # an admin on a third machine
    try:
        new = admin.rotate_endpoint(third, "acme", grace=0)
    finally:
        third.close()
    assert (await b.post(client, activity(1), secret=new)).status_code == 200
    admin.revoke_subscriber(a.store, "desk1")
    response = await client.get(
        f"{b.url}/events",
        params={"wait": 0},
        headers={"Authorization": f"Bearer {a.tokens['desk1']}"},
    )
    assert response.status_code == 401


async def test_forwarding_from_two_instances_delivers_each_event_once(
    relay_factory: Any, pg_url: str, client: httpx.AsyncClient
):
    from tests.relay.test_forwarder import FAST, Target

    target = Target()
    url, runner = await target.start()
    try:
        config = RelayConfig(forward=FAST, shared_poll_interval=0.2)
        a = await relay_factory(pg_url, config)
        b = await relay_factory(pg_url, config)
        a.endpoint("acme")
        b.secrets = a.secrets
        admin.add_forward(a.store, url)
        for i in range(40):
            await (a if i % 2 else b).post(client, activity(i))
        for _ in range(100):
            if len(target.accepted) >= 40:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        seqs = [e["seq"] for e in target.accepted]
        assert sorted(seqs) == list(range(1, 41))
    finally:
        await runner.cleanup()
