"""The in-memory live window: for every cursor it serves exactly the events after it, or
admits it cannot (None) so the stream replays from the database."""

from __future__ import annotations

from typing import Any

import pytest

from ninja_desk.relay.feed import EventFeed
from ninja_desk.relay.store import StoredEvent, open_store


@pytest.mark.parametrize(("window", "window_bytes"), [(8, 10**9), (10**6, 400), (5, 250)])
async def test_window_never_skips_an_event(tmp_path: Any, window: int, window_bytes: int):
    store = open_store(f"sqlite:///{tmp_path}/relay.db")
    store.init_schema()
    feed = EventFeed(store, window=window, window_bytes=window_bytes)
    await feed.start()
    try:
        seq = 0
        for batch_size in [1, 3, 7, 2, 9, 1, 1, 12, 4, 5] * 3:
            batch = [
                StoredEvent(seq + i + 1, "acme", 0.0, '{"pad":"' + "x" * (seq % 40) + '"}')
                for i in range(batch_size)
            ]
            seq += batch_size
            feed.publish(batch)
            served_any = False
            for cursor in range(seq + 1):
                found = feed.after(cursor, limit=10**6)
                if found is None:
                    continue
                events, scanned, _ = found
                assert scanned == seq
                served_any = True
                assert [e.seq for e in events] == list(range(cursor + 1, seq + 1)), cursor
            assert served_any
        assert feed.after(0) is None  # the window really was trimmed
    finally:
        await feed.close()
        store.close()
