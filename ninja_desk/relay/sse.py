"""`GET /events`: the Server-Sent Events stream and its plain-JSON batch twin.

Memory is bounded whatever the events weigh (a webhook may be 1 MiB): every read is a page of
at most `page_bytes` (a single bigger event goes alone) that first reserves its bytes from the
relay's shared budget, and is written to the socket piece by piece (a large payload as it is,
never copied into a page-sized string). A batch reply is streamed the same way and stops at
`batch_bytes`. Each token may hold only `max_streams_per_token` requests open at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Sequence

from aiohttp import web

from ninja_desk.core.relay_protocol import (
    DEFAULT_LIMIT,
    LAST_EVENT_ID,
    LIMIT_PARAM,
    MAX_LIMIT,
    MAX_SEQ,
    RETRY_MS,
    SINCE_PARAM,
    WAIT_PARAM,
    gap_message,
    parse_seq,
    sse_event_head,
)
from ninja_desk.relay.auth import Grant
from ninja_desk.relay.feed import FeedEvent
from ninja_desk.relay.state import RELAY, RelayState
from ninja_desk.relay.store import Bounds, Page, PageEvent, RelayStoreError

log = logging.getLogger(__name__)

REPLAY_PAGE = 1000
# Small events are gathered into writes of about this size; larger ones are written alone.
WRITE_CHUNK = 64 * 1024


def _bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def _parse_nonneg(value: str, what: str) -> int:
    """A cursor or limit the database can hold, else a 400 that says what is allowed."""
    number = parse_seq(value)
    if number is None:
        raise _bad_request(f"{what} must be a whole number from 0 to {MAX_SEQ}.")
    return number


def requested_since(request: web.Request) -> int:
    """Last-Event-ID (what EventSource resends) wins over ?since=; neither means from 0."""
    header = request.headers.get(LAST_EVENT_ID)
    if header is not None and header.strip():
        return _parse_nonneg(header, LAST_EVENT_ID)
    query = request.query.get(SINCE_PARAM)
    if query is not None and query.strip():
        return _parse_nonneg(query, SINCE_PARAM)
    return 0


def gap_start(since: int, bounds: Bounds) -> int | None:
    """Where to restart when events after `since` are gone, or None when there is no gap.

    A cursor beyond the newest event means the relay's log was reset: everything retained is
    new to that client, so it is treated as a gap too.
    """
    if since < bounds.pruned_through or since > bounds.last_seq:
        return bounds.pruned_through
    return None


def _sse_parts(event: PageEvent) -> tuple[bytes, bytes, bytes]:
    head, payload, tail = event.json_parts()
    return sse_event_head(event.seq).encode() + head, payload, tail + b"\n\n"


def _frames(events: list[FeedEvent]) -> Iterable[tuple[bytes, bytes, bytes]]:
    return ((b"", e.frame, b"") for e in events)


def _json_parts(event: PageEvent) -> tuple[bytes, bytes, bytes]:
    return event.json_parts()


async def _write_parts(
    response: web.StreamResponse, parts: Iterable[tuple[bytes, bytes, bytes]], lead: bytes = b""
) -> None:
    """Write events: small ones gathered into ~64 KiB writes, big payloads passed as they
    are (aiohttp drains the socket after each big write, so nothing piles up)."""
    buffer = bytearray(lead)
    for head, payload, tail in parts:
        if len(payload) >= WRITE_CHUNK:
            buffer += head
            await response.write(bytes(buffer))
            buffer.clear()
            await response.write(payload)
            buffer += tail
        else:
            buffer += head
            buffer += payload
            buffer += tail
            if len(buffer) >= WRITE_CHUNK:
                await response.write(bytes(buffer))
                buffer.clear()
    if buffer:
        await response.write(bytes(buffer))


def _too_many(state: RelayState) -> web.HTTPTooManyRequests:
    cap = state.config.max_streams_per_token
    return web.HTTPTooManyRequests(
        text=json.dumps(
            {
                "error": f"This subscriber token already has {cap} open requests to /events "
                "(the most allowed); close one, then retry."
            }
        ),
        content_type="application/json",
        headers={"Retry-After": str(max(1, round(state.config.heartbeat)))},
    )


async def events_handler(request: web.Request) -> web.StreamResponse:
    state: RelayState = request.app[RELAY]
    grant = await state.auth.subscriber(request.headers.get("Authorization"))
    if grant is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "The subscriber token is missing, unknown or revoked."}),
            content_type="application/json",
            headers={"WWW-Authenticate": 'Bearer realm="ninja-desk-relay"'},
        )
    since = requested_since(request)
    batch = request.query.get(WAIT_PARAM) == "0"
    limit = 0
    if batch:
        asked = _parse_nonneg(request.query.get(LIMIT_PARAM, str(DEFAULT_LIMIT)), LIMIT_PARAM)
        limit = min(asked or 1, MAX_LIMIT)
    if state.open_requests[grant.token_hash] >= state.config.max_streams_per_token:
        state.metrics.rejected_streams += 1
        raise _too_many(state)
    state.open_requests[grant.token_hash] += 1
    try:
        if batch:
            return await _batch(state, request, grant, since, limit)
        return await _stream(state, request, grant, since)
    finally:
        state.open_requests[grant.token_hash] -= 1
        if state.open_requests[grant.token_hash] <= 0:
            del state.open_requests[grant.token_hash]


async def _read_page(
    state: RelayState,
    cursor: int,
    limit: int,
    max_bytes: int,
    endpoints: Sequence[str],
    at_least_one: bool = True,
) -> Page:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        state.replay_pool,
        state.store.read_page,
        cursor,
        limit,
        max_bytes,
        list(endpoints),
        at_least_one,
    )


async def _batch(
    state: RelayState, request: web.Request, grant: Grant, since: int, limit: int
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    try:
        oldest = await _batch_events(state, request, response, grant, since, limit)
        bounds = await asyncio.to_thread(state.store.bounds)
    except (RelayStoreError, ConnectionError) as exc:
        if not response.prepared:
            raise
        # Headers are out: cut the connection so the client sees a broken reply, never a
        # short one it could take for the end.
        log.warning("relay batch reply cut short: %s", exc)
        if request.transport is not None:
            request.transport.close()
        return response
    tail = (
        f'],"oldest_retained":{oldest + 1},"last_seq":{bounds.last_seq},'
        f'"gap":{"true" if gap_start(since, bounds) is not None else "false"}}}'
    )
    await response.write(tail.encode())
    await response.write_eof()
    return response


async def _batch_events(
    state: RelayState,
    request: web.Request,
    response: web.StreamResponse,
    grant: Grant,
    since: int,
    limit: int,
) -> int:
    """Write `{"events":[...` page by page; returns pruned_through as the first read saw it."""
    config = state.config
    cursor, sent, total = since, 0, 0
    oldest: int | None = None
    while sent < limit and total < config.batch_bytes:
        want = min(config.page_bytes, config.batch_bytes - total)
        async with state.budget.reserve(want) as reservation:
            page = await _read_page(
                state, cursor, min(limit - sent, REPLAY_PAGE), want, grant.endpoints, sent == 0
            )
            reservation.shrink(page.nbytes)
            if oldest is None:
                oldest = page.pruned_through
                # Status and headers go out only once the first read worked (else a 503).
                await response.prepare(request)
                await response.write(b'{"events":[')
            elif page.pruned_through > cursor:
                # Pruned under us: stop before the hole; the next request reports the gap.
                break
            parts = [_json_parts(e) for e in page.events]
            if parts:
                await _write_parts(response, _comma_separated(parts, first=sent == 0))
            sent += len(page.events)
            total += page.nbytes
            progressed = page.scanned_through > cursor
            cursor = max(cursor, page.scanned_through)
            top = page.top
            del parts, page
        if not progressed or cursor >= top:
            break
    assert oldest is not None
    return oldest


def _comma_separated(
    parts: list[tuple[bytes, bytes, bytes]], first: bool
) -> Iterable[tuple[bytes, bytes, bytes]]:
    for i, (head, payload, tail) in enumerate(parts):
        yield (head if i == 0 and first else b"," + head), payload, tail


async def _stream(
    state: RelayState, request: web.Request, grant: Grant, since: int
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
        hello = f"retry: {RETRY_MS}\n: connected\n\n".encode()
        if not grant.endpoints:
            hello += b": this token is bound to no endpoint, so it receives no events\n\n"
        await response.write(hello)
        await _pump(state, response, grant, since)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    except RelayStoreError as exc:
        # Headers are sent: end the stream and let the client reconnect and resume.
        log.warning("relay stream ended by a database error: %s", exc)
    finally:
        state.metrics.subscribers_connected -= 1
        state.streams.discard(task)
    return response


async def _pump(state: RelayState, response: web.StreamResponse, grant: Grant, cursor: int) -> None:
    feed, store, config = state.feed, state.store, state.config
    bounds = await asyncio.to_thread(store.bounds)
    restart = gap_start(cursor, bounds)
    if restart is not None:
        await response.write(gap_message(cursor, restart + 1).encode())
        cursor = restart
    last_write = time.monotonic()
    last_auth = last_write
    endpoints = frozenset(grant.endpoints)
    while True:
        if time.monotonic() - last_auth >= config.heartbeat:
            # A revoked token is cut off, and a changed binding applies, within a heartbeat.
            last_auth = time.monotonic()
            refreshed = await state.auth.refresh(grant)
            if refreshed is None:
                return
            grant = refreshed
            endpoints = frozenset(grant.endpoints)
        before = cursor
        live = feed.after(cursor, REPLAY_PAGE, config.page_bytes, endpoints)
        if live is not None:
            events, scanned, nbytes = live
            if events:
                # The frames are shared with every stream: the reservation covers what the
                # socket buffers may hold of them while this stream writes.
                async with state.budget.reserve(nbytes):
                    if nbytes < WRITE_CHUNK:
                        # The usual live case (a few small events): one write, no copying
                        # through _write_parts' buffer.
                        frames = (
                            events[0].frame
                            if len(events) == 1
                            else b"".join(e.frame for e in events)
                        )
                        await response.write(frames)
                    else:
                        await _write_parts(response, _frames(events))
                last_write = time.monotonic()
            cursor = max(cursor, scanned)
        else:
            # Replay from the database until the cursor reaches the in-memory window.
            async with state.budget.reserve(config.page_bytes) as reservation:
                page = await _read_page(
                    state, cursor, REPLAY_PAGE, config.page_bytes, grant.endpoints
                )
                reservation.shrink(page.nbytes)
                events_out: list[PageEvent] = page.events
                if cursor < page.pruned_through:
                    await response.write(gap_message(cursor, page.pruned_through + 1).encode())
                    cursor = page.pruned_through
                    events_out = [e for e in events_out if e.seq > cursor]
                    last_write = time.monotonic()
                if events_out:
                    await _write_parts(response, (_sse_parts(e) for e in events_out))
                    last_write = time.monotonic()
                scanned = page.scanned_through
                # Drop the page before the budget is given back, not at the next read.
                del events_out, page
            cursor = max(cursor, scanned)
            if cursor == before:
                # Nothing to read below the window (the log changed under us): do not spin.
                await asyncio.sleep(min(0.5, config.heartbeat))
        if cursor > before and feed.last_seq > cursor:
            # More to send already; caught up, a stream goes straight to waiting below.
            continue
        idle = time.monotonic() - last_write
        if not await feed.wait_beyond(cursor, max(0.0, config.heartbeat - idle)):
            if state.closing:
                return
            await response.write(b": heartbeat\n\n")
            last_write = time.monotonic()
