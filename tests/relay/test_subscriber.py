"""The desktop's RelaySubscriber against a real relay on loopback."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

from ninja_desk.relay import admin
from ninja_desk.relay.app import create_app
from ninja_desk.relay.retention import RetentionPolicy, prune_once
from ninja_desk.relay.state import RelayConfig
from ninja_desk.relay.store import open_store
from ninja_desk.sync.relay_subscriber import InMemoryCursorStore, RelayEvent, RelaySubscriber
from tests.relay.conftest import Relay, activity


@pytest.fixture
async def relay(relay_factory: Any, sqlite_url: str) -> Relay:
    """The client logic does not depend on the store: SQLite only, to keep the suite quick."""
    relay = await relay_factory(sqlite_url)
    relay.endpoint("acme")
    relay.subscriber("desk1")
    return relay


class Harness:
    def __init__(self, relay: Relay, cursor: InMemoryCursorStore | None = None, **kw: Any):
        self.cursor = cursor or InMemoryCursorStore()
        self.events: list[RelayEvent] = []
        self.states: list[str] = []
        self.gaps: list[int] = []
        self.fail_once: set[int] = set()
        self.subscriber = RelaySubscriber(
            relay.url,
            relay.tokens["desk1"],
            self.cursor,
            self.on_event,
            self.on_gap,
            self.states.append,
            initial_backoff=0.05,
            max_backoff=0.2,
            **kw,
        )
        self.task: asyncio.Task[None] | None = None

    async def on_event(self, event: RelayEvent) -> None:
        # The cursor is never ahead of what the app has applied.
        assert self.cursor.load() is None or self.cursor.load() < event.seq
        if event.seq in self.fail_once:
            self.fail_once.discard(event.seq)
            raise RuntimeError("app could not apply the event")
        self.events.append(event)

    async def on_gap(self, oldest: int) -> None:
        self.gaps.append(oldest)

    def start(self) -> Harness:
        self.task = asyncio.create_task(self.subscriber.run())
        return self

    async def until(self, check: Callable[[], bool], timeout: float = 5.0) -> None:
        async def wait() -> None:
            while not check():
                await asyncio.sleep(0.02)

        await asyncio.wait_for(wait(), timeout)

    async def stop(self) -> None:
        await self.subscriber.stop()
        assert self.task is not None
        await asyncio.wait_for(self.task, 5)


async def post_all(relay: Relay, client: httpx.AsyncClient, ids: range) -> None:
    for i in ids:
        assert (await relay.post(client, activity(i))).status_code == 200


async def test_delivers_in_order_and_saves_cursor_after_callback(
    relay: Relay, client: httpx.AsyncClient
):
    await post_all(relay, client, range(1, 4))
    h = Harness(relay).start()
    await h.until(lambda: len(h.events) == 3)
    await post_all(relay, client, range(4, 6))
    await h.until(lambda: len(h.events) == 5)
    await h.stop()
    assert [e.seq for e in h.events] == [1, 2, 3, 4, 5]
    assert h.events[0].payload == activity(1) and h.events[0].endpoint == "acme"
    assert h.cursor.saves == [1, 2, 3, 4, 5]
    assert h.states[:2] == ["connecting", "live"] and h.states[-1] == "stopped"


async def test_resumes_from_the_stored_cursor(relay: Relay, client: httpx.AsyncClient):
    await post_all(relay, client, range(1, 6))
    h = Harness(relay, InMemoryCursorStore(seq=3)).start()
    await h.until(lambda: len(h.events) == 2)
    await asyncio.sleep(0.1)
    await h.stop()
    assert [e.seq for e in h.events] == [4, 5]


async def test_failed_callback_is_retried_not_skipped(relay: Relay, client: httpx.AsyncClient):
    await post_all(relay, client, range(1, 5))
    h = Harness(relay)
    h.fail_once = {2}
    h.start()
    await h.until(lambda: len(h.events) == 4)
    await h.stop()
    assert [e.seq for e in h.events] == [1, 2, 3, 4]
    assert "backoff" in h.states


async def test_gap_calls_on_gap_then_continues(relay: Relay, client: httpx.AsyncClient):
    await post_all(relay, client, range(1, 11))
    await prune_once(relay.store, RetentionPolicy(None, 3), relay.state.metrics)
    h = Harness(relay, InMemoryCursorStore(seq=2)).start()
    await h.until(lambda: len(h.events) == 3)
    await h.stop()
    assert h.gaps == [8]
    assert [e.seq for e in h.events] == [8, 9, 10]
    assert h.cursor.saves == [7, 8, 9, 10]


async def test_unauthorized_stops_without_retrying(relay: Relay, client: httpx.AsyncClient):
    admin.revoke_subscriber(relay.store, "desk1")
    h = Harness(relay).start()
    assert h.task is not None
    await asyncio.wait_for(h.task, 5)
    assert h.states == ["connecting", "unauthorized"]
    assert h.subscriber.state == "unauthorized"


async def test_follows_a_relay_restart(
    relay_factory: Any, sqlite_url: str, client: httpx.AsyncClient
):
    relay = await relay_factory(sqlite_url)
    relay.endpoint("acme")
    relay.subscriber("desk1")
    await post_all(relay, client, range(1, 3))
    h = Harness(relay).start()
    await h.until(lambda: len(h.events) == 2)
    port = int(relay.url.rsplit(":", 1)[1])
    await relay.runner.cleanup()
    await h.until(lambda: "backoff" in h.states)
    # Same database, same port: the subscriber reconnects and resumes after seq 2.
    store = open_store(sqlite_url)
    runner = web.AppRunner(create_app(store, RelayConfig(heartbeat=0.5)), shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        relay2 = Relay(relay.url, store, runner.app, runner, relay.secrets, relay.tokens)
        await post_all(relay2, client, range(3, 5))
        await h.until(lambda: len(h.events) == 4)
        await h.stop()
    finally:
        await runner.cleanup()
    assert [e.seq for e in h.events] == [1, 2, 3, 4]


async def fake_relay(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    app = web.Application()
    app.router.add_get("/events", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.2, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return f"http://127.0.0.1:{runner.addresses[0][1]}", runner


async def test_watchdog_reconnects_a_silent_stream():
    """A stream that stops sending (dead NAT mapping) is dropped after heartbeat_timeout."""
    connections: list[float] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        connections.append(asyncio.get_running_loop().time())
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b": connected\n\n")
        await asyncio.sleep(30)
        return response

    url, runner = await fake_relay(handler)
    try:
        states: list[str] = []

        async def ignore(_: RelayEvent) -> None:
            pass

        sub = RelaySubscriber(
            url,
            "t",
            InMemoryCursorStore(),
            ignore,
            None,
            states.append,
            heartbeat_timeout=0.3,
            initial_backoff=0.05,
            max_backoff=0.1,
        )
        task = asyncio.create_task(sub.run())
        await asyncio.sleep(1.2)
        await sub.stop()
        await asyncio.wait_for(task, 5)
    finally:
        await runner.cleanup()
    assert len(connections) >= 3
    assert states.count("live") >= 3 and states[-1] == "stopped"


async def test_heartbeats_keep_an_idle_stream_alive(relay: Relay):
    """Relay heartbeat 0.5 s, watchdog 1.5 s: an idle stream is never dropped."""
    h = Harness(relay, heartbeat_timeout=1.5).start()
    await asyncio.sleep(2.5)
    await h.stop()
    assert h.states == ["connecting", "live", "stopped"]


async def test_backoff_grows_while_the_relay_keeps_failing():
    """503s (relay database down): jittered exponential backoff, never a tight loop."""
    connections: list[float] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        connections.append(asyncio.get_running_loop().time())
        return web.json_response({"error": "down"}, status=503)

    url, runner = await fake_relay(handler)
    try:

        async def ignore(_: RelayEvent) -> None:
            pass

        sub = RelaySubscriber(
            url, "t", InMemoryCursorStore(), ignore, initial_backoff=0.04, max_backoff=10
        )
        task = asyncio.create_task(sub.run())
        while len(connections) < 6:
            await asyncio.sleep(0.02)
        await sub.stop()
        await asyncio.wait_for(task, 5)
    finally:
        await runner.cleanup()
    gaps = [b - a for a, b in itertools.pairwise(connections)]
    # Jitter is x0.5..x1 of a doubling delay, so every delay beats the one two before it.
    assert all(gaps[i + 2] > gaps[i] for i in range(len(gaps) - 2)), gaps
    assert gaps[0] >= 0.02


async def test_cancelling_run_closes_the_stream(relay: Relay):
    h = Harness(relay).start()
    await h.until(lambda: h.subscriber.state == "live")
    assert h.task is not None
    h.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await h.task
    await h.until(lambda: relay.state.metrics.subscribers_connected == 0)


async def test_the_relays_retry_hint_sets_the_reconnect_delay():
    """`retry: 400` from the server: reconnects wait about that long (x0.5..1), not the
    client's own 10 ms."""
    connections: list[float] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        connections.append(asyncio.get_running_loop().time())
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"retry: 400\n\n")
        return response  # the stream ends at once

    url, runner = await fake_relay(handler)
    try:

        async def ignore(_: RelayEvent) -> None:
            pass

        sub = RelaySubscriber(
            url, "t", InMemoryCursorStore(), ignore, initial_backoff=0.01, max_backoff=5
        )
        task = asyncio.create_task(sub.run())
        while len(connections) < 3:
            await asyncio.sleep(0.02)
        await sub.stop()
        await asyncio.wait_for(task, 5)
    finally:
        await runner.cleanup()
    gaps = [b - a for a, b in itertools.pairwise(connections)]
    assert all(0.19 <= gap < 1.0 for gap in gaps), gaps


async def test_a_malformed_event_is_not_applied_and_the_stream_is_retried():
    attempts: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        attempts.append(1)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'id: 1\nevent: ninjaone.activity\ndata: {"seq": "one"}\n\n')
        await asyncio.sleep(5)
        return response

    url, runner = await fake_relay(handler)
    applied: list[RelayEvent] = []
    cursor = InMemoryCursorStore()

    async def on_event(event: RelayEvent) -> None:
        applied.append(event)

    try:
        sub = RelaySubscriber(url, "t", cursor, on_event, initial_backoff=0.02, max_backoff=0.05)
        task = asyncio.create_task(sub.run())
        while len(attempts) < 2:
            await asyncio.sleep(0.02)
        await sub.stop()
        await asyncio.wait_for(task, 5)
    finally:
        await runner.cleanup()
    assert applied == [] and cursor.saves == []
