"""Retention by count and age, the oldest retained id, and the relay.gap event."""

from __future__ import annotations

import time
from typing import Any

import httpx

from ninja_desk.relay.retention import RetentionPolicy, prune_once
from tests.relay.conftest import Relay, activity
from tests.relay.test_events import SseReader, stream


async def fill(relay: Relay, client: httpx.AsyncClient, n: int) -> None:
    for i in range(1, n + 1):
        assert (await relay.post(client, activity(i))).status_code == 200


async def test_count_retention_moves_oldest_retained(relay: Relay, client: httpx.AsyncClient):
    await fill(relay, client, 10)
    state = relay.state
    assert await prune_once(relay.store, RetentionPolicy(None, 4), state.metrics) == 6
    batch = await relay.batch(client, since=6)
    assert batch["oldest_retained"] == 7 and batch["last_seq"] == 10
    assert [e["seq"] for e in batch["events"]] == [7, 8, 9, 10]
    assert batch["gap"] is False
    assert (await relay.batch(client, since=2))["gap"] is True
    health = (await client.get(f"{relay.url}/healthz")).json()
    assert health["oldest_retained"] == 7
    assert (
        "ninjadesk_relay_oldest_retained_seq 7" in (await client.get(f"{relay.url}/metrics")).text
    )


async def test_age_retention(relay: Relay, client: httpx.AsyncClient):
    await fill(relay, client, 3)
    time.sleep(0.3)
    await relay.post(client, activity(4))
    assert await prune_once(relay.store, RetentionPolicy(0.2, None), relay.state.metrics) == 3
    assert [e["seq"] for e in (await relay.batch(client))["events"]] == [4]


async def test_gap_event_then_replay_from_oldest(relay: Relay, client: httpx.AsyncClient):
    await fill(relay, client, 10)
    await prune_once(relay.store, RetentionPolicy(None, 3), relay.state.metrics)
    async with stream(client, relay, headers={"Last-Event-ID": "2"}) as response:
        reader = SseReader(response)
        gap_id, gap_type, gap = await reader.next()
        assert gap_type == "relay.gap"
        assert gap == {"requested_since": 2, "oldest_retained": 8}
        assert gap_id == "7"
        assert [(await reader.next())[2]["seq"] for _ in range(3)] == [8, 9, 10]


async def test_no_gap_when_cursor_is_exactly_at_the_cut(relay: Relay, client: httpx.AsyncClient):
    await fill(relay, client, 5)
    await prune_once(relay.store, RetentionPolicy(None, 2), relay.state.metrics)
    async with stream(client, relay, since=3) as response:
        _, event_type, data = await SseReader(response).next()
    assert event_type == "ninjaone.activity" and data["seq"] == 4


async def test_cursor_beyond_the_log_is_a_gap(relay: Relay, client: httpx.AsyncClient):
    """A relay whose database was reset: the desktop's cursor is in the future."""
    await fill(relay, client, 2)
    async with stream(client, relay, since=500) as response:
        reader = SseReader(response)
        _, event_type, gap = await reader.next()
        assert event_type == "relay.gap" and gap["oldest_retained"] == 1
        assert (await reader.next())[2]["seq"] == 1


async def test_pruned_dedup_keys_and_seqs_are_never_reused(relay: Relay, client: httpx.AsyncClient):
    await fill(relay, client, 3)
    await prune_once(relay.store, RetentionPolicy(None, 0), relay.state.metrics)
    response = await relay.post(client, activity(99))
    assert response.json()["seq"] == 4
    # Count pruning keeps the dedup window (age based): id 3 is still a duplicate.
    assert (await relay.post(client, activity(3))).json()["status"] == "duplicate"


async def test_retention_loop_runs_periodically(
    relay_factory: Any, sqlite_url: str, client: httpx.AsyncClient
):
    import asyncio

    from ninja_desk.relay.state import RelayConfig

    relay = await relay_factory(
        sqlite_url, RelayConfig(retention=RetentionPolicy(None, 2, interval=0.1))
    )
    relay.endpoint("acme")
    relay.subscriber("desk1")
    await fill(relay, client, 5)
    for _ in range(50):
        if (await relay.batch(client))["oldest_retained"] == 4:
            break
        await asyncio.sleep(0.05)
    assert [e["seq"] for e in (await relay.batch(client))["events"]] == [4, 5]
