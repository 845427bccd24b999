"""GET /events: the SSE stream, resume, replay-to-live handoff, heartbeats, batch mode."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ninja_desk.relay.state import RelayConfig
from tests.relay.conftest import Relay, activity


class SseReader:
    """A minimal SSE reader that also records heartbeats (comment lines)."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()
        self.comments: list[str] = []

    async def next(self, timeout: float = 5.0) -> tuple[str | None, str, Any]:
        async def read() -> tuple[str | None, str, Any]:
            event_id, event, data = None, "message", None
            async for line in self.lines:
                if line.startswith(":"):
                    self.comments.append(line)
                elif line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and data is not None:
                    return event_id, event, data
            raise EOFError

        return await asyncio.wait_for(read(), timeout)


def stream(
    client: httpx.AsyncClient, relay: Relay, headers: dict[str, str] | None = None, **params: Any
):
    return client.stream(
        "GET",
        f"{relay.url}/events",
        params=params,
        headers={"Authorization": f"Bearer {relay.tokens['desk1']}", **(headers or {})},
        timeout=httpx.Timeout(10, read=None),
    )


async def test_live_event_shape(relay: Relay, client: httpx.AsyncClient):
    async with stream(client, relay) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseReader(response)
        await relay.post(client, activity(177210))
        event_id, event, data = await reader.next()
    assert event_id == "1" and event == "ninjaone.activity"
    assert data["seq"] == 1 and data["endpoint"] == "acme"
    assert abs(data["received_at"] - time.time()) < 60
    assert data["payload"] == activity(177210)


async def test_resume_with_last_event_id_header(relay: Relay, client: httpx.AsyncClient):
    for i in range(1, 6):
        await relay.post(client, activity(i))
    async with stream(client, relay, headers={"Last-Event-ID": "3"}) as response:
        reader = SseReader(response)
        seqs = [(await reader.next())[2]["seq"] for _ in range(2)]
        await relay.post(client, activity(6))
        seqs.append((await reader.next())[2]["seq"])
    assert seqs == [4, 5, 6]


async def test_resume_with_since_query(relay: Relay, client: httpx.AsyncClient):
    for i in range(1, 6):
        await relay.post(client, activity(i))
    async with stream(client, relay, since=2) as response:
        reader = SseReader(response)
        assert [(await reader.next())[2]["payload"]["id"] for _ in range(3)] == [3, 4, 5]


async def test_header_wins_over_query(relay: Relay, client: httpx.AsyncClient):
    for i in range(1, 4):
        await relay.post(client, activity(i))
    async with stream(client, relay, headers={"Last-Event-ID": "2"}, since=0) as response:
        assert (await SseReader(response).next())[2]["seq"] == 3


async def test_bad_since_is_400(relay: Relay, client: httpx.AsyncClient):
    for params, headers in (
        ({"since": "abc"}, {}),
        ({"since": "-1"}, {}),
        ({}, {"Last-Event-ID": "x"}),
    ):
        response = await client.get(
            f"{relay.url}/events",
            params={"wait": 0, **params},
            headers={"Authorization": f"Bearer {relay.tokens['desk1']}", **headers},
        )
        assert response.status_code == 400, params


async def test_replay_to_live_handoff_has_no_gap_or_duplicate(
    relay: Relay, client: httpx.AsyncClient
):
    """Writers keep posting while a subscriber replays and goes live."""
    total = 600
    stop = asyncio.Event()

    async def writer(start: int) -> None:
        for i in range(start, total, 3):
            await relay.post(client, activity(i))
        stop.set()

    for i in range(100):
        await relay.post(client, activity(10_000 + i))
    writers = [asyncio.create_task(writer(k)) for k in range(3)]
    seen: list[int] = []
    async with stream(client, relay, since=0) as response:
        reader = SseReader(response)
        while len(seen) < total + 100:
            seen.append((await reader.next())[2]["seq"])
    await asyncio.gather(*writers)
    assert seen == list(range(1, total + 101))


async def test_many_subscribers_all_get_everything(relay: Relay, client: httpx.AsyncClient):
    async def subscriber() -> list[int]:
        async with stream(client, relay, since=0) as response:
            reader = SseReader(response)
            return [(await reader.next())[2]["seq"] for _ in range(50)]

    tasks = [asyncio.create_task(subscriber()) for _ in range(5)]
    await asyncio.sleep(0.1)
    await asyncio.gather(*(relay.post(client, activity(i)) for i in range(50)))
    for result in await asyncio.gather(*tasks):
        assert result == list(range(1, 51))


async def test_heartbeats_arrive_on_an_idle_stream(relay: Relay, client: httpx.AsyncClient):
    async with stream(client, relay) as response:
        reader = SseReader(response)
        start = time.monotonic()
        lines = response.aiter_lines()
        heartbeats = 0
        async for line in lines:
            if line == ": heartbeat":
                heartbeats += 1
                if heartbeats == 2:
                    break
        del reader
    # Heartbeat 0.5 s in tests: two arrive in about a second.
    assert 0.8 < time.monotonic() - start < 3


async def test_batch_mode(relay: Relay, client: httpx.AsyncClient):
    for i in range(1, 6):
        await relay.post(client, activity(i))
    batch = await relay.batch(client, since=1, limit=2)
    assert [e["seq"] for e in batch["events"]] == [2, 3]
    assert batch["events"][0]["payload"]["id"] == 2
    assert batch["oldest_retained"] == 1 and batch["last_seq"] == 5 and batch["gap"] is False
    assert (await relay.batch(client, since=5))["events"] == []


async def test_healthz_and_metrics(relay: Relay, client: httpx.AsyncClient):
    await relay.post(client, activity(1))
    health = (await client.get(f"{relay.url}/healthz")).json()
    assert health == {"status": "ok", "last_seq": 1, "oldest_retained": 1}
    async with stream(client, relay) as response:
        await SseReader(response).next()  # the replayed event: the stream is registered
        metrics = await client.get(f"{relay.url}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    for line in (
        "ninjadesk_relay_subscribers_connected 1",
        "ninjadesk_relay_intake_commits_total 1",
        "ninjadesk_relay_intake_committed_items_total 1",
        "ninjadesk_relay_oldest_retained_seq 1",
        "ninjadesk_relay_store_events 1",
        "ninjadesk_relay_forward_queue_depth 0",
    ):
        assert line in text, line
    assert "ninjadesk_relay_store_size_bytes " in text
    assert relay.secrets["acme"] not in text


@pytest.mark.parametrize(
    "config",
    [
        RelayConfig(heartbeat=0.5, feed_window=16),
        RelayConfig(heartbeat=0.5, feed_window_bytes=3000),
    ],
    ids=["small-count-window", "small-byte-window"],
)
async def test_replay_from_database_hands_off_to_a_small_memory_window(
    relay_factory: Any, db_url: str, client: httpx.AsyncClient, config: RelayConfig
):
    """Most of the history is only in the database; live events keep arriving meanwhile."""
    relay = await relay_factory(db_url, config)
    relay.endpoint("acme")
    relay.subscriber("desk1")
    for i in range(200):
        await relay.post(client, activity(i))
    assert relay.state.feed.after(0) is None  # cursor 0 predates the window: database replay

    async def writer() -> None:
        for i in range(200, 400):
            await relay.post(client, activity(i))

    task = asyncio.create_task(writer())
    async with stream(client, relay, since=0) as response:
        reader = SseReader(response)
        seen = [(await reader.next())[2]["seq"] for _ in range(400)]
    await task
    assert seen == list(range(1, 401))


async def test_metrics_parse_as_prometheus_text_and_each_relay_counts_its_own(
    relay_factory: Any, sqlite_url: str, tmp_path: Path, client: httpx.AsyncClient
):
    first = await relay_factory(sqlite_url)
    first.endpoint("acme")
    second = await relay_factory(f"sqlite:///{tmp_path}/second.db")
    second.endpoint("acme")
    for i in range(1, 4):
        await first.post(client, activity(i))
    await first.post(client, activity(1))  # a duplicate
    await second.post(client, activity(1))
    await client.post(f"{second.url}/hooks/nope", json=activity(9))

    def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    one = samples((await client.get(f"{first.url}/metrics")).text)
    two = samples((await client.get(f"{second.url}/metrics")).text)
    assert one[("ninjadesk_relay_received_total", ())] == 3
    assert one[("ninjadesk_relay_duplicates_total", ())] == 1
    assert one[("ninjadesk_relay_last_seq", ())] == 3
    assert two[("ninjadesk_relay_received_total", ())] == 1
    assert two[("ninjadesk_relay_rejected_total", (("reason", "unknown_endpoint"),))] == 1
    assert one[("ninjadesk_relay_rejected_total", (("reason", "unknown_endpoint"),))] == 0
