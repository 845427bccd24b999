"""`GET /events`: the Server-Sent Events stream and its plain-JSON batch twin."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from aiohttp import web

from ninja_desk.relay.state import RELAY, RelayState
from ninja_desk.relay.store import Bounds, RelayStoreError, StoredEvent

log = logging.getLogger(__name__)

EVENT_TYPE = "ninjaone.activity"
GAP_TYPE = "relay.gap"
REPLAY_PAGE = 1000
MAX_LIMIT = 10_000


def format_event(event: StoredEvent) -> str:
    return f"id: {event.seq}\nevent: {EVENT_TYPE}\ndata: {event.to_json()}\n\n"


def format_gap(requested_since: int, oldest_retained: int) -> str:
    data = json.dumps({"requested_since": requested_since, "oldest_retained": oldest_retained})
    # An id on the gap moves an EventSource's Last-Event-ID past the hole.
    return f"id: {oldest_retained - 1}\nevent: {GAP_TYPE}\ndata: {data}\n\n"


def _parse_nonneg(value: str, what: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"{what} must be a non-negative integer"}),
            content_type="application/json",
        ) from None
    if number < 0:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"{what} must be a non-negative integer"}),
            content_type="application/json",
        )
    return number


def requested_since(request: web.Request) -> int:
    """Last-Event-ID (what EventSource resends) wins over ?since=; neither means from 0."""
    header = request.headers.get("Last-Event-ID")
    if header is not None and header.strip():
        return _parse_nonneg(header, "Last-Event-ID")
    query = request.query.get("since")
    if query is not None and query.strip():
        return _parse_nonneg(query, "since")
    return 0


def gap_start(since: int, bounds: Bounds) -> int | None:
    """Where to restart when events after `since` are gone, or None when there is no gap.

    A cursor beyond the newest event means the relay's log was reset: everything retained is
    new to that client, so it is treated as a gap too.
    """
    if since < bounds.pruned_through or since > bounds.last_seq:
        return bounds.pruned_through
    return None


async def events_handler(request: web.Request) -> web.StreamResponse:
    state: RelayState = request.app[RELAY]
    # The token's hash identifies this grant: a revoked-then-re-added name gets a new hash.
    token_hash = await state.auth.subscriber(request.headers.get("Authorization"))
    if token_hash is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "missing, unknown or revoked subscriber token"}),
            content_type="application/json",
            headers={"WWW-Authenticate": 'Bearer realm="ninja-desk-relay"'},
        )
    since = requested_since(request)
    if request.query.get("wait") == "0":
        return await _batch(state, request, since)
    return await _stream(state, request, token_hash, since)


async def _batch(state: RelayState, request: web.Request, since: int) -> web.Response:
    limit = min(_parse_nonneg(request.query.get("limit", "1000"), "limit") or 1, MAX_LIMIT)
    events, pruned_through = await asyncio.to_thread(state.store.read_after, since, limit)
    bounds = await asyncio.to_thread(state.store.bounds)
    body = (
        '{"events":[' + ",".join(e.to_json() for e in events) + "],"
        f'"oldest_retained":{pruned_through + 1},"last_seq":{bounds.last_seq},'
        f'"gap":{"true" if gap_start(since, bounds) is not None else "false"}}}'
    )
    return web.Response(text=body, content_type="application/json")


async def _stream(
    state: RelayState, request: web.Request, token_hash: str, since: int
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            # Reverse proxies (nginx) must not buffer a stream.
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    task = asyncio.current_task()
    assert task is not None
    state.streams.add(task)
    state.metrics.subscribers_connected += 1
    try:
        await response.write(b"retry: 2000\n: connected\n\n")
        await _pump(state, response, token_hash, since)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    except RelayStoreError as exc:
        # Headers are sent: end the stream and let the client reconnect and resume.
        log.warning("relay stream ended by a database error: %s", exc)
    finally:
        state.metrics.subscribers_connected -= 1
        state.streams.discard(task)
    return response


async def _pump(
    state: RelayState, response: web.StreamResponse, token_hash: str, cursor: int
) -> None:
    feed, store = state.feed, state.store
    bounds = await asyncio.to_thread(store.bounds)
    restart = gap_start(cursor, bounds)
    if restart is not None:
        await response.write(format_gap(cursor, restart + 1).encode())
        cursor = restart
    last_write = time.monotonic()
    last_auth = last_write
    while True:
        if time.monotonic() - last_auth >= state.config.heartbeat:
            # A revoked token is cut off within a heartbeat, busy stream or idle.
            last_auth = time.monotonic()
            active = {h for _, h in await asyncio.to_thread(store.active_subscribers)}
            if token_hash not in active:
                return
        events = feed.after(cursor)
        if events is None:
            # Replay from the database until the cursor reaches the in-memory window.
            events, pruned_through = await asyncio.to_thread(store.read_after, cursor, REPLAY_PAGE)
            if cursor < pruned_through:
                await response.write(format_gap(cursor, pruned_through + 1).encode())
                cursor = pruned_through
                events = [e for e in events if e.seq > cursor]
        if events:
            await response.write("".join(format_event(e) for e in events).encode())
            cursor = events[-1].seq
            last_write = time.monotonic()
            continue
        idle = time.monotonic() - last_write
        if not await feed.wait_beyond(cursor, max(0.0, state.config.heartbeat - idle)):
            if state.closing:
                return
            await response.write(b": heartbeat\n\n")
            last_write = time.monotonic()
