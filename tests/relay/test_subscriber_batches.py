"""RelaySubscriber with `on_batch`: queued events are applied together, never skipped."""

from __future__ import annotations

import asyncio

import httpx

from ninja_desk.relay.retention import RetentionPolicy, prune_once
from ninja_desk.sync.relay_subscriber import InMemoryCursorStore, RelayEvent, RelaySubscriber
from tests.relay.conftest import Relay
from tests.relay.test_subscriber import post_all, relay  # noqa: F401


class BatchHarness:
    def __init__(self, relay: Relay, cursor: InMemoryCursorStore | None = None) -> None:  # noqa: F811
        self.cursor = cursor or InMemoryCursorStore()
        self.batches: list[list[int]] = []
        self.gaps: list[int] = []
        self.fail_next = False
        self.release = asyncio.Event()
        self.release.set()
        self.subscriber = RelaySubscriber(
            relay.url,
            relay.tokens["desk1"],
            self.cursor,
            self.on_event,
            self.on_gap,
            on_batch=self.on_batch,
            max_batch=50,
            initial_backoff=0.05,
            max_backoff=0.2,
        )
        self.task = asyncio.create_task(self.subscriber.run())

    async def on_event(self, event: RelayEvent) -> None:  # pragma: no cover - batches only
        raise AssertionError("with on_batch, single events are not delivered")

    async def on_batch(self, events: list[RelayEvent]) -> None:
        # Never ahead of what was applied.
        assert self.cursor.load() is None or self.cursor.load() < events[0].seq
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the app could not apply this batch")
        self.batches.append([e.seq for e in events])

    async def on_gap(self, oldest: int) -> None:
        self.gaps.append(oldest)

    @property
    def seqs(self) -> list[int]:
        return [s for batch in self.batches for s in batch]

    async def until(self, check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
        async def wait() -> None:
            while not check():
                await asyncio.sleep(0.02)

        await asyncio.wait_for(wait(), timeout)

    async def stop(self) -> None:
        await self.subscriber.stop()
        await asyncio.wait_for(self.task, 5)


async def test_a_backlog_arrives_in_few_batches_in_order(relay: Relay, client: httpx.AsyncClient):  # noqa: F811
    await post_all(relay, client, range(1, 121))
    h = BatchHarness(relay)
    await h.until(lambda: len(h.seqs) == 120)
    await h.stop()
    assert h.seqs == list(range(1, 121))
    assert len(h.batches) < 120 / 2  # batched, not one call per event
    assert max(len(b) for b in h.batches) <= 50
    assert h.cursor.saves == [b[-1] for b in h.batches]


async def test_events_that_queue_during_a_slow_batch_come_next_together(
    relay: Relay,  # noqa: F811
    client: httpx.AsyncClient,
):
    await post_all(relay, client, range(1, 2))
    h = BatchHarness(relay)
    await h.until(lambda: h.seqs == [1])
    h.release.clear()  # the app is busy with the next batch
    await post_all(relay, client, range(2, 3))
    await asyncio.sleep(0.2)
    await post_all(relay, client, range(3, 13))
    await asyncio.sleep(0.2)
    h.release.set()
    await h.until(lambda: len(h.seqs) == 12)
    await h.stop()
    assert h.batches == [[1], [2], list(range(3, 13))]


async def test_a_failed_batch_is_redelivered_whole(relay: Relay, client: httpx.AsyncClient):  # noqa: F811
    await post_all(relay, client, range(1, 6))
    h = BatchHarness(relay)
    h.fail_next = True
    await h.until(lambda: len(h.seqs) == 5)
    await h.stop()
    assert h.seqs == [1, 2, 3, 4, 5]


async def test_gap_between_batches(relay: Relay, client: httpx.AsyncClient):  # noqa: F811
    await post_all(relay, client, range(1, 11))
    await prune_once(relay.store, RetentionPolicy(None, 3), relay.state.metrics)
    h = BatchHarness(relay, InMemoryCursorStore(seq=2))
    await h.until(lambda: len(h.seqs) == 3)
    await h.stop()
    assert h.gaps == [8]
    assert h.seqs == [8, 9, 10]
