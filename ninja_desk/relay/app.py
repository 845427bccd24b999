"""The relay's aiohttp application: webhook intake, event streams, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from ninja_desk.core.relay_protocol import SECRET_HEADER
from ninja_desk.relay import redact
from ninja_desk.relay.admin import valid_name
from ninja_desk.relay.auth import Authenticator
from ninja_desk.relay.budget import ByteBudget
from ninja_desk.relay.feed import EventFeed
from ninja_desk.relay.forwarder import Forwarder
from ninja_desk.relay.intake import IntakeWriter
from ninja_desk.relay.metrics import Metrics, Scrape, relay_registry, render
from ninja_desk.relay.retention import retention_loop
from ninja_desk.relay.sse import events_handler
from ninja_desk.relay.state import RELAY, RelayConfig, RelayState
from ninja_desk.relay.store import Incoming, RelayStore, RelayStoreError, StoredEvent

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


def _reject(state: RelayState, status: int, reason: str, message: str) -> web.Response:
    state.metrics.rejected[reason] += 1
    return _json(status, {"error": message, "reason": reason})


def _is_json_type(content_type: str) -> bool:
    media = content_type.lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def activity_key(payload: dict[str, Any]) -> str | None:
    """The dedup key: the NinjaOne activity id when it is an integer or a string."""
    value = payload.get("id")
    if type(value) is int:
        return str(value)  # what json.dumps gives for an int, without the encoder
    if not isinstance(value, str):
        return None
    return json.dumps(value)


def _reject_constant(name: str) -> Any:
    # NaN/Infinity are not JSON; storing them would hand subscribers unparseable data.
    raise ValueError(f"{name} is not valid JSON")


class _NotFinite(ValueError):
    pass


def _finite_float(text: str) -> float:
    # 1e999 parses to inf and would be stored as `Infinity`, which strict parsers refuse.
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


# Built once: json.loads/json.dumps given any option construct a new decoder/encoder per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
# check_circular off: a parsed document cannot refer to itself.
_COMPACT = json.JSONEncoder(separators=(",", ":"), check_circular=False)
# The two answers almost every webhook gets, byte for byte what _json() would send.
_JSON_UTF8 = {"Content-Type": "application/json; charset=utf-8"}
_DUPLICATE = json.dumps({"status": "duplicate"}).encode()


def _parse_body(raw: bytes) -> Any:
    """json.loads(raw, parse_constant=..., parse_float=...) on the shared decoder: the same
    encoding detection (UTF-8, or UTF-16/32 by their byte pattern) and the same errors."""
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


async def _read_body(request: web.Request, timeout: float) -> bytes | None:
    """The body, or None once it passes MAX_BODY. Raises TimeoutError after `timeout`, and
    aiohttp's payload errors for a body that cannot be read."""
    content = request.content
    if content.is_eof():
        # The whole body came in with the headers (a usual webhook): no timer to arm.
        body = content.read_nowait()
        return None if len(body) > MAX_BODY else body
    buffer = bytearray()
    async with asyncio.timeout(timeout):
        while chunk := await content.readany():
            buffer += chunk
            if len(buffer) > MAX_BODY:
                return None
    return bytes(buffer)


async def hook_handler(request: web.Request) -> web.Response:
    state: RelayState = request.app[RELAY]
    name = request.match_info["endpoint"]
    # Tenant and endpoint come from the path and the secret only, never from the payload.
    # A name no endpoint could have never reaches the database (PostgreSQL refuses NUL).
    if not valid_name(name) or not await state.auth.endpoint_exists(name):
        return _reject(state, 404, "unknown_endpoint", "No such webhook endpoint.")
    if not await state.auth.check_secret(name, request.headers.get(SECRET_HEADER)):
        return _reject(state, 401, "unauthorized", f"Missing or wrong {SECRET_HEADER}.")
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _reject(state, 413, "too_large", "Body over 1 MiB.")
    if not _is_json_type(request.content_type):
        return _reject(state, 415, "unsupported_media_type", "Content-Type must be JSON.")
    try:
        body = await _read_body(request, state.config.body_timeout)
    except TimeoutError:
        response = _reject(
            state,
            408,
            "timeout",
            f"The body did not arrive within {state.config.body_timeout:g} s; send it again.",
        )
        # The rest of the body may never come: do not wait for it before closing.
        response.force_close()
        return response
    except (web.HTTPException, web.RequestPayloadError, ValueError, ConnectionError):
        # aiohttp's own payload errors (bad chunked encoding, broken gzip/deflate) are bad input.
        return _reject(
            state, 400, "malformed_json", "The body could not be read (bad encoding or framing)."
        )
    if body is None:
        return _reject(state, 413, "too_large", "Body over 1 MiB.")
    try:
        payload = _parse_body(body)
    except _NotFinite:
        return _reject(
            state,
            400,
            "malformed_json",
            "The body has a number too large to represent (such as 1e999); send finite numbers.",
        )
    except (ValueError, RecursionError):
        return _reject(state, 400, "malformed_json", "Body is not valid JSON.")
    if not isinstance(payload, dict):
        return _reject(state, 400, "not_object", "Body must be a JSON object.")
    try:
        text = _COMPACT.encode(payload)
    except (ValueError, RecursionError):
        return _reject(state, 400, "malformed_json", "Body is not valid JSON.")
    item = Incoming(name, activity_key(payload), time.time(), text)
    try:
        seq = await state.writer.submit(item)
    except RelayStoreError:
        state.metrics.store_errors += 1
        # Nothing was acknowledged; NinjaOne (or whoever) may resend later.
        return _json(503, {"error": "The relay database is unavailable; retry later."})
    if seq is None:
        state.metrics.duplicates += 1
        return web.Response(body=_DUPLICATE, headers=_JSON_UTF8)
    state.metrics.received += 1
    # json.dumps({"status": "stored", "seq": seq}) without the encoder: seq is an int.
    return web.Response(body=b'{"status": "stored", "seq": %d}' % seq, headers=_JSON_UTF8)


async def healthz_handler(request: web.Request) -> web.Response:
    state: RelayState = request.app[RELAY]
    try:
        bounds = await asyncio.to_thread(state.store.bounds)
    except RelayStoreError:
        return _json(503, {"status": "unavailable", "error": "database unreachable"})
    return _json(
        200,
        {"status": "ok", "last_seq": bounds.last_seq, "oldest_retained": bounds.oldest_retained},
    )


async def metrics_handler(request: web.Request) -> web.Response:
    state: RelayState = request.app[RELAY]
    try:
        body = await asyncio.to_thread(render, state.registry)
    except RelayStoreError:
        return _json(503, {"error": "database unreachable"})
    return web.Response(
        body=body,
        headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "X-Content-Type-Options": "nosniff"},
    )


@web.middleware
async def store_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """A database outage is a 503 (retry later) on every route, never a bare 500."""
    try:
        return await handler(request)
    except RelayStoreError as exc:
        request.app[RELAY].metrics.store_errors += 1
        log.error("relay database error on %s: %s", request.path, exc)
        return _json(503, {"error": "The relay database is unavailable; retry later."})


def make_runner(app: web.Application, **kwargs: Any) -> web.AppRunner:
    """The runner with the relay's connection timeouts (aiohttp sets them per runner).

    A client must finish sending a request's headers within `header_timeout` of connecting
    or of its previous response (aiohttp's keep-alive timer, which also covers a stalled
    header), and the body is cut off after `body_timeout` by the handler. After an answer
    the relay reads a leftover body for at most a second.
    """
    config = app[RELAY].config
    kwargs.setdefault("access_log", None)
    kwargs.setdefault("shutdown_timeout", 5.0)
    kwargs.setdefault("keepalive_timeout", config.header_timeout)
    kwargs.setdefault("lingering_time", 1.0)
    return web.AppRunner(app, **kwargs)


def create_app(store: RelayStore, config: RelayConfig | None = None) -> web.Application:
    """The application; the store is opened by the caller and closed on cleanup.

    Serve it with make_runner() for the connection timeouts.
    """
    config = config or RelayConfig()
    redact.install()
    # Our handler enforces the 1 MiB limit itself, to answer with the relay's JSON error.
    app = web.Application(client_max_size=MAX_BODY + 1, middlewares=[store_errors])
    metrics = Metrics()
    feed = EventFeed(
        store,
        window=config.feed_window,
        window_bytes=config.feed_window_bytes,
        poll_interval=config.shared_poll_interval if store.shared else None,
    )
    forwarder = Forwarder(store, config.forward, metrics)

    def committed(events: list[StoredEvent], forward: bool) -> None:
        feed.publish(events)
        # Only when there is something to forward: an empty outbox probe after every commit
        # cost a thread hop and a transaction per intake batch (its 1 s poll still runs).
        if forward:
            forwarder.poke()

    state = RelayState(
        store=store,
        config=config,
        metrics=metrics,
        auth=Authenticator(store, config.auth_cache_ttl),
        feed=feed,
        writer=IntakeWriter(store, committed),
        forwarder=forwarder,
        budget=ByteBudget(config.memory_budget),
    )
    state.registry = relay_registry(
        lambda: Scrape(metrics, store.stats(), state.writer.batches, state.writer.items)
    )
    app[RELAY] = state
    app.router.add_post("/hooks/{endpoint}", hook_handler)
    app.router.add_get("/events", events_handler)
    app.router.add_get("/healthz", healthz_handler)
    app.router.add_get("/metrics", metrics_handler)
    app.on_startup.append(_startup)
    app.on_shutdown.append(_shutdown)
    app.on_cleanup.append(_cleanup)
    return app


async def _startup(app: web.Application) -> None:
    state: RelayState = app[RELAY]
    state.replay_pool = ThreadPoolExecutor(
        max_workers=max(1, state.config.replay_threads), thread_name_prefix="relay-replay"
    )
    await asyncio.to_thread(state.store.init_schema)
    await state.feed.start()
    state.writer.start()
    state.tasks.append(
        asyncio.create_task(retention_loop(state.store, state.config.retention, state.metrics))
    )
    if state.config.forwarding:
        state.tasks.append(asyncio.create_task(state.forwarder.run()))
    if state.store.shared:
        listener = state.store.listen(state.feed.poke, state.listen_stop)
        state.tasks.append(asyncio.create_task(listener))


async def _shutdown(app: web.Application) -> None:
    # Streams never end by themselves; without this the runner waits out its timeout.
    state: RelayState = app[RELAY]
    state.closing = True
    state.listen_stop.set()
    for task in list(state.streams):
        task.cancel()


async def _cleanup(app: web.Application) -> None:
    state: RelayState = app[RELAY]
    for task in state.tasks:
        task.cancel()
    for task in state.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    await state.writer.close()
    await state.feed.close()
    if state.replay_pool is not None:
        state.replay_pool.shutdown(wait=True)
    await asyncio.to_thread(state.store.close)
