"""Paging invariants for any page size and any set of ids (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ninja_desk.simulator.activities import ActivityLog
from ninja_desk.simulator.pagination import id_window

ids_strategy = st.lists(st.integers(1, 10_000), unique=True, max_size=200).map(sorted)


@given(ids=ids_strategy, size=st.integers(1, 50))
def test_after_walk_sees_every_id_once(ids: list[int], size: int) -> None:
    seen: list[int] = []
    after = None
    while True:
        page = id_window(ids, after, size)
        seen += page
        if len(page) < size:
            break
        after = page[-1]
    assert seen == ids


@settings(max_examples=60)
@given(n=st.integers(0, 120), size=st.integers(1, 40), seed=st.integers(0, 5))
def test_activity_walks_both_directions(n: int, size: int, seed: int) -> None:
    log = ActivityLog(first_id=1000, seed=seed)
    for i in range(n):
        log.record("SYSTEM", "NODE_UPDATED", 1_700_000_000.0 + i, deviceId=i % 7)
    all_ids = [log.last_id] if n else []
    backwards: list[int] = []
    older = None
    while True:
        page = log.page(older_than=older, newer_than=None, page_size=size)
        ids = [a["id"] for a in page]
        assert ids == sorted(ids, reverse=True)
        backwards += ids
        if len(page) < size:
            break
        older = ids[-1]
    assert len(backwards) == n == len(set(backwards))
    assert backwards[:1] == all_ids
    forwards: list[int] = []
    newer = 0
    while True:
        page = log.page(older_than=None, newer_than=newer, page_size=size)
        ids = [a["id"] for a in page]
        assert ids == sorted(ids, reverse=True)  # newest first inside each page
        forwards += ids[::-1]
        if len(page) < size:
            break
        newer = ids[0]
    assert forwards == backwards[::-1]
