"""cache/activity_log.py: what a device action or a remote launch writes is what the device
panel's reads (cache/queries/device_detail.py) find, by kind and newest first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ninja_desk.cache import activity_log
from ninja_desk.cache.activity_log import ActivityEntry
from ninja_desk.cache.queries.device_detail import LAST_DEVICE_ACTION_SQL, remote_launches_sql
from ninja_desk.cache.store import LocalCache


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    cache = LocalCache(tmp_path / "cache.sqlite3")
    yield cache
    cache.close()


def _launches(cache: LocalCache, device_id: int | None = None) -> list[dict]:
    sql, params = remote_launches_sql(device_id)
    return cache.rows(sql, **params)


def test_device_actions_one_row_per_device_and_the_last_one_is_read(cache) -> None:
    action = {"action": "Reboot", "result": "SUCCESS", "message": None}
    cache.write_blocking(
        activity_log.append,
        activity_log.DEVICE_ACTION,
        [ActivityEntry(10.0, "Tina", 7, None, action), ActivityEntry(10.0, "Tina", 8, None, {})],
    )
    later = {"action": "Run script", "result": "FAILURE", "message": "exit 1"}
    cache.write_blocking(
        activity_log.append,
        activity_log.DEVICE_ACTION,
        [ActivityEntry(20.0, "Bob", 7, "t-1", later)],
    )
    last = cache.rows(LAST_DEVICE_ACTION_SQL, d=7)[0]
    assert (last["at"], last["who"], last["ticket_id"]) == (20.0, "Bob", "t-1")
    assert json.loads(last["detail"]) == later
    assert json.loads(cache.rows(LAST_DEVICE_ACTION_SQL, d=8)[0]["detail"]) == {}
    assert _launches(cache) == []  # another kind


def test_remote_launches_by_device_newest_first(cache) -> None:
    for at, device in ((1.0, 7), (2.0, 8), (3.0, 7)):
        entry = ActivityEntry(at, "Tina", device, None, {"device_name": f"DEV-{device}"})
        cache.write_blocking(activity_log.append, activity_log.REMOTE_CONNECT, [entry])
    assert [r["at"] for r in _launches(cache)] == [3.0, 2.0, 1.0]
    mine = _launches(cache, 7)
    assert [(r["at"], r["kind"]) for r in mine] == [
        (3.0, "remote_connect"),
        (1.0, "remote_connect"),
    ]
    assert json.loads(mine[0]["detail"]) == {"device_name": "DEV-7"}
    assert cache.rows(LAST_DEVICE_ACTION_SQL, d=7) == []  # another kind


def test_nothing_to_append_writes_nothing(cache) -> None:
    cache.write_blocking(activity_log.append, activity_log.DEVICE_ACTION, [])
    assert cache.scalar("SELECT count(*) FROM local_activity_log") == 0
