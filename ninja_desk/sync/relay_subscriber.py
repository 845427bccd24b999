"""Follow the relay's event stream from the desktop, resuming exactly where it left off.

The cursor (last relay seq) is saved only after `on_event` has returned, so a crash between
receiving and applying an event replays that event instead of losing it. `on_event` must
therefore be idempotent (NinjaOne activity ids make that easy). The stream has no read timeout:
the relay sends a heartbeat comment every 15 s, and a watchdog reconnects when nothing at all
arrives for `heartbeat_timeout` seconds (a sleeping laptop, a dead NAT mapping).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)

EVENT_TYPE = "ninjaone.activity"
GAP_TYPE = "relay.gap"


class RelayCursorStore(Protocol):
    def load(self) -> int | None: ...
    def save(self, seq: int) -> None: ...


@dataclass
class InMemoryCursorStore:
    """For tests and throwaway sessions; the app persists the cursor in its cache."""

    seq: int | None = None
    saves: list[int] = field(default_factory=list)

    def load(self) -> int | None:
        return self.seq

    def save(self, seq: int) -> None:
        self.seq = seq
        self.saves.append(seq)


@dataclass
class RelayEvent:
    seq: int
    endpoint: str
    received_at: float
    payload: dict[str, Any]


@dataclass(slots=True)
class _SseMessage:
    event: str
    data: str
    id: str | None


class _Unauthorized(Exception):
    pass


class _Stopped(Exception):
    pass


def _events_url(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith("/events") else base + "/events"


async def _parse_sse(
    lines: AsyncIterator[str], on_line: Callable[[], None]
) -> AsyncIterator[_SseMessage]:
    """The SSE wire format (WHATWG): fields until a blank line; ':' lines are comments."""
    event, data, last_id = "", [], None
    async for raw in lines:
        on_line()
        line = raw.rstrip("\r\n")
        if not line:
            if data or event:
                yield _SseMessage(event or "message", "\n".join(data), last_id)
            event, data, last_id = "", [], None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            last_id = value


class RelaySubscriber:
    def __init__(
        self,
        url: str,
        token: str,
        cursor: RelayCursorStore,
        on_event: Callable[[RelayEvent], Awaitable[None]],
        on_gap: Callable[[int], Awaitable[None]] | None = None,
        on_state: Callable[[str], None] | None = None,
        *,
        on_batch: Callable[[list[RelayEvent]], Awaitable[None]] | None = None,
        max_batch: int = 200,
        heartbeat_timeout: float = 45.0,
        initial_backoff: float = 1.0,
        max_backoff: float = 60.0,
        connect_timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = _events_url(url)
        self._token = token
        self._cursor = cursor
        self._on_event = on_event
        self._on_gap = on_gap
        self._on_state = on_state
        # With on_batch, events that arrive while the previous batch is being applied are
        # applied together (an alert storm costs one database round per batch, not per event);
        # the cursor is saved after each batch, so nothing applied is ever skipped.
        self._on_batch = on_batch
        self._max_batch = max_batch
        self._heartbeat_timeout = heartbeat_timeout
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._connect_timeout = connect_timeout
        self._transport = transport
        self._stop = asyncio.Event()
        self.state = "stopped"

    def _set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                log.exception("relay subscriber state callback failed")

    async def stop(self) -> None:
        """End run(). A callback still running is cancelled; its event was not saved in the
        cursor, so it is delivered again next time (hence on_event must be idempotent)."""
        self._stop.set()

    async def run(self) -> None:
        """Follow the stream until stop(), or until the relay rejects the token."""
        self._stop.clear()
        failures = 0
        timeout = httpx.Timeout(self._connect_timeout, read=None)
        async with httpx.AsyncClient(timeout=timeout, transport=self._transport) as client:
            while not self._stop.is_set():
                self._set_state("connecting")
                outcome = await self._race(self._connect_once(client))
                if outcome == "stopped":
                    break
                if outcome == "unauthorized":
                    self._set_state("unauthorized")
                    return
                if outcome == "live":
                    # The stream worked before it broke: reconnect quickly, but not in a loop.
                    failures = 0
                failures += 1
                self._set_state("backoff")
                delay = min(self._max_backoff, self._initial_backoff * 2 ** (failures - 1))
                # Jitter (x0.5..1) keeps a fleet of desktops from reconnecting in lockstep.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay * random.uniform(0.5, 1.0))
        self._set_state("stopped")

    async def _race(self, work: Awaitable[str]) -> str:
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            # run() itself was cancelled: take the stream down with it.
            task.cancel()
            raise
        finally:
            stopper.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            return "stopped"
        try:
            return task.result()
        except Exception as exc:
            log.info("relay stream ended: %s", exc)
            return "failed"

    async def _connect_once(self, client: httpx.AsyncClient) -> str:
        """'live' if the stream was up before it ended, 'failed' if it never came up."""
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "text/event-stream"}
        since = self._cursor.load()
        if since is not None:
            headers["Last-Event-ID"] = str(since)
        went_live = False
        try:
            async with client.stream("GET", self._url, headers=headers) as response:
                if response.status_code in (401, 403):
                    return "unauthorized"
                if response.status_code != 200:
                    log.warning("relay answered %d; will retry", response.status_code)
                    return "failed"
                went_live = True
                self._set_state("live")
                await self._consume(response)
        except (httpx.HTTPError, TimeoutError, ValueError) as exc:
            log.info("relay stream interrupted: %s", type(exc).__name__)
        return "live" if went_live else "failed"

    async def _consume(self, response: httpx.Response) -> None:
        if self._on_batch is not None:
            await self._consume_batched(response)
            return
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self._heartbeat_timeout) as watchdog:

            def alive() -> None:
                watchdog.reschedule(loop.time() + self._heartbeat_timeout)

            async for message in _parse_sse(response.aiter_lines(), alive):
                # The callback may take long; the watchdog only guards the network.
                watchdog.reschedule(None)
                await self._dispatch(message)
                alive()

    async def _consume_batched(self, response: httpx.Response) -> None:
        """A reader task parses the stream into a queue; this loop applies what has queued up."""
        queue: asyncio.Queue[_SseMessage | BaseException | None] = asyncio.Queue(maxsize=2000)
        loop = asyncio.get_running_loop()

        async def read() -> None:
            try:
                async with asyncio.timeout(self._heartbeat_timeout) as watchdog:

                    def alive() -> None:
                        watchdog.reschedule(loop.time() + self._heartbeat_timeout)

                    async for message in _parse_sse(response.aiter_lines(), alive):
                        watchdog.reschedule(None)  # a full queue is our slowness, not the net's
                        await queue.put(message)
                        alive()
                await queue.put(None)
            except Exception as exc:  # network end or watchdog: the applying loop re-raises it
                await queue.put(exc)

        reader = asyncio.create_task(read())
        try:
            while True:
                item = await queue.get()
                batch: list[RelayEvent] = []
                while True:
                    if isinstance(item, BaseException):
                        await self._apply_batch(batch)
                        raise item
                    if item is None:
                        await self._apply_batch(batch)
                        return
                    if item.event == EVENT_TYPE:
                        batch.append(self._event_of(item))
                    else:
                        await self._apply_batch(batch)
                        batch = []
                        await self._dispatch(item)
                    if len(batch) >= self._max_batch or queue.empty():
                        break
                    item = queue.get_nowait()
                await self._apply_batch(batch)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    @staticmethod
    def _event_of(message: _SseMessage) -> RelayEvent:
        body = json.loads(message.data)
        return RelayEvent(
            seq=int(body["seq"]),
            endpoint=str(body["endpoint"]),
            received_at=float(body["received_at"]),
            payload=body["payload"],
        )

    async def _apply_batch(self, batch: list[RelayEvent]) -> None:
        if not batch:
            return
        assert self._on_batch is not None
        try:
            await self._on_batch(batch)
        except Exception:
            log.exception(
                "relay events %d-%d could not be applied; they will be redelivered",
                batch[0].seq,
                batch[-1].seq,
            )
            raise
        self._cursor.save(batch[-1].seq)
        batch.clear()

    async def _dispatch(self, message: _SseMessage) -> None:
        if message.event == EVENT_TYPE:
            event = self._event_of(message)
            try:
                await self._on_event(event)
            except Exception:
                log.exception(
                    "relay event %d could not be applied; it will be redelivered", event.seq
                )
                raise
            self._cursor.save(event.seq)
        elif message.event == GAP_TYPE:
            body = json.loads(message.data)
            oldest = int(body["oldest_retained"])
            log.warning(
                "relay no longer holds events after %s (oldest is %d); resync needed",
                body.get("requested_since"),
                oldest,
            )
            if self._on_gap is not None:
                await self._on_gap(oldest)
            # The gap is handled: resume from the oldest retained event, not before it.
            self._cursor.save(oldest - 1)
