"""Follow the relay's event stream from the desktop, resuming exactly where it left off.

The cursor (last relay seq) is saved only after the callback has returned, so a crash between
receiving and applying an event replays that event instead of losing it. Callbacks must
therefore be idempotent (NinjaOne activity ids make that easy). The stream is parsed by
httpx-sse; the protocol (event names, JSON shape, resume rules) is `core.relay_protocol`.
The stream has no read timeout: the relay sends a heartbeat comment every 15 s, and a
watchdog reconnects when nothing at all arrives for `heartbeat_timeout` seconds (a sleeping
laptop, a dead NAT mapping). Reconnects back off through tenacity, honouring the relay's
`retry:` hint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import httpx
from httpx_sse import EventSource, ServerSentEvent
from tenacity import AsyncRetrying, RetryCallState, retry_if_result

from ninja_desk.core.relay_protocol import (
    EVENT_TYPE,
    GAP_TYPE,
    LAST_EVENT_ID,
    RelayEvent,
    events_url,
    parse_event,
    parse_gap,
)

log = logging.getLogger(__name__)

__all__ = ["InMemoryCursorStore", "RelayCursorStore", "RelayEvent", "RelaySubscriber"]

Outcome = Literal["live", "failed", "unauthorized", "stopped"]


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


class _Watched(httpx.AsyncByteStream):
    """The response body, reporting every chunk: heartbeat comments never reach httpx-sse's
    caller, yet they are what proves the connection alive."""

    def __init__(self, inner: httpx.AsyncByteStream, alive: Callable[[], None]) -> None:
        self._inner = inner
        self._alive = alive

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._alive()
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


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
        self._url = events_url(url)
        self._token = token
        self._cursor = cursor
        self._on_event = on_event
        self._on_gap = on_gap
        self._on_state = on_state
        # With on_batch, events that arrive while the previous batch is being applied are
        # applied together (an alert storm costs one database round per batch, not per event);
        # the cursor is saved after each batch, so nothing applied is ever skipped. Without
        # it every event is a batch of one.
        self._on_batch = on_batch
        self._max_batch = max_batch if on_batch is not None else 1
        self._heartbeat_timeout = heartbeat_timeout
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._connect_timeout = connect_timeout
        self._transport = transport
        self._stop = asyncio.Event()
        # Failed attempts since the stream was last live, and the relay's `retry:` (seconds).
        self._failures = 0
        self._server_retry = 0.0
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
        cursor, so it is delivered again next time (hence callbacks must be idempotent)."""
        self._stop.set()

    async def run(self) -> None:
        """Follow the stream until stop(), or until the relay rejects the token."""
        self._stop.clear()
        self._failures = 0
        timeout = httpx.Timeout(self._connect_timeout, read=None)
        async with httpx.AsyncClient(timeout=timeout, transport=self._transport) as client:
            reconnecting = AsyncRetrying(
                retry=retry_if_result(lambda outcome: outcome in ("live", "failed")),
                wait=self._backoff,
                stop=lambda _state: self._stop.is_set(),
                sleep=self._sleep,
                before_sleep=lambda _state: self._set_state("backoff"),
                retry_error_callback=lambda _state: "stopped",
            )
            outcome: Outcome = await reconnecting(self._attempt, client)
        if outcome == "unauthorized":
            self._set_state("unauthorized")
            return
        self._set_state("stopped")

    def _backoff(self, _state: RetryCallState) -> float:
        """Exponential from `initial_backoff` (or the relay's `retry:`, if longer), capped,
        with jitter (x0.5..1) so a fleet of desktops does not reconnect in lockstep."""
        grown = self._initial_backoff * 2 ** min(max(self._failures - 1, 0), 30)
        delay = min(self._max_backoff, max(self._server_retry, grown))
        return delay * random.uniform(0.5, 1.0)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _attempt(self, client: httpx.AsyncClient) -> Outcome:
        if self._stop.is_set():
            return "stopped"
        self._set_state("connecting")
        outcome = await self._race(self._connect_once(client))
        # The stream worked before it broke: reconnect quickly, but not in a loop.
        self._failures = 1 if outcome == "live" else self._failures + 1
        return outcome

    async def _race(self, work: Awaitable[Outcome]) -> Outcome:
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

    async def _connect_once(self, client: httpx.AsyncClient) -> Outcome:
        """'live' if the stream was up before it ended, 'failed' if it never came up."""
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "text/event-stream"}
        since = self._cursor.load()
        if since is not None:
            headers[LAST_EVENT_ID] = str(since)
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
        """A reader task parses the stream into a queue; this loop applies what has queued up."""
        queue: asyncio.Queue[ServerSentEvent | BaseException | None] = asyncio.Queue(maxsize=2000)
        loop = asyncio.get_running_loop()

        async def read() -> None:
            try:
                async with asyncio.timeout(self._heartbeat_timeout) as watchdog:

                    def alive() -> None:
                        watchdog.reschedule(loop.time() + self._heartbeat_timeout)

                    assert isinstance(response.stream, httpx.AsyncByteStream)
                    response.stream = _Watched(response.stream, alive)
                    async for message in EventSource(response).aiter_sse():
                        if message.retry is not None:
                            self._server_retry = message.retry / 1000
                        if message.event in (EVENT_TYPE, GAP_TYPE):
                            watchdog.reschedule(None)  # a full queue is our slowness
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
                        await self._apply(batch)
                        raise item
                    if item is None:
                        await self._apply(batch)
                        return
                    if item.event == EVENT_TYPE:
                        batch.append(parse_event(item.data))
                    else:
                        await self._apply(batch)
                        batch = []
                        await self._gap(item.data)
                    if len(batch) >= self._max_batch or queue.empty():
                        break
                    item = queue.get_nowait()
                await self._apply(batch)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _apply(self, batch: list[RelayEvent]) -> None:
        if not batch:
            return
        try:
            if self._on_batch is not None:
                await self._on_batch(batch)
            else:
                for event in batch:
                    await self._on_event(event)
        except Exception:
            log.exception(
                "relay events %d-%d could not be applied; they will be redelivered",
                batch[0].seq,
                batch[-1].seq,
            )
            raise
        self._cursor.save(batch[-1].seq)
        batch.clear()

    async def _gap(self, data: str) -> None:
        gap = parse_gap(data)
        log.warning(
            "relay no longer holds events after %s (oldest is %d); resync needed",
            gap.requested_since,
            gap.oldest_retained,
        )
        if self._on_gap is not None:
            await self._on_gap(gap.oldest_retained)
        # The gap is handled: resume from the oldest retained event, not before it.
        self._cursor.save(gap.resume_after)
