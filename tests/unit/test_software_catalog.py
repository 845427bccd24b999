"""Software is stored as a title catalog plus (device, title, date) rows; readers see the
`software` view. What a reader gets back must be exactly what was written, through rollbacks,
incremental replacements and several writer connections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ninja_desk.cache import writes
from ninja_desk.cache.bulk_insert import MAX_ROWS_PER_STATEMENT
from ninja_desk.cache.store import LocalCache


def row(device: int, name: str, version: str = "1.0", date: str | None = "2024-05-01") -> Any:
    # device_id, name, publisher, version, install_date, location, size, product_code
    return (device, name, "Vendor", version, date, "C:\\Apps\\", 1024, None)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    c = LocalCache(tmp_path / "cache.sqlite3")
    yield c
    c.close()


def software(cache: LocalCache) -> list[tuple[Any, ...]]:
    return [
        tuple(r.values())
        for r in cache.rows(
            "SELECT device_id, name, publisher, version, install_date, location, size,"
            " product_code FROM software ORDER BY device_id, name, version"
        )
    ]


def test_a_title_on_many_devices_is_one_catalog_row_and_reads_back_per_device(
    cache: LocalCache,
) -> None:
    rows = [row(d, "7-Zip") for d in range(1, 6)] + [row(3, "Chrome", "124.0", None)]
    with cache.engine.begin() as conn:
        assert writes.insert_children(conn, "software", rows) == 6
    assert software(cache) == sorted(rows, key=lambda r: (r[0], r[1], r[3]))
    assert cache.scalar("SELECT count(*) FROM software_titles") == 2


def test_the_same_install_reported_twice_is_stored_once_and_not_counted(
    cache: LocalCache,
) -> None:
    with cache.engine.begin() as conn:
        assert writes.insert_software(conn, [row(1, "7-Zip"), row(1, "7-Zip")]) == 1
    assert software(cache) == [row(1, "7-Zip")]


def test_titles_from_a_rolled_back_transaction_do_not_leak_into_later_rows(
    cache: LocalCache,
) -> None:
    with cache.engine.connect() as first, cache.engine.connect() as second:
        with first.begin():
            writes.insert_software(first, [row(1, "Kept")])
        with pytest.raises(RuntimeError), first.begin():
            writes.insert_software(first, [row(2, "Rolled back A"), row(2, "Rolled back B")])
            raise RuntimeError("the sync failed")
        # Another writer takes the same ids for other titles meanwhile.
        with second.begin():
            writes.insert_software(second, [row(3, "Other A"), row(3, "Other B")])
        with first.begin():
            writes.insert_software(first, [row(4, "Rolled back A"), row(4, "Kept")])
    assert [(r[0], r[1]) for r in software(cache)] == [
        (1, "Kept"),
        (3, "Other A"),
        (3, "Other B"),
        (4, "Kept"),
        (4, "Rolled back A"),
    ]


def test_two_writer_connections_see_each_others_titles(cache: LocalCache) -> None:
    with cache.engine.connect() as first, cache.engine.connect() as second:
        with first.begin():
            writes.insert_software(first, [row(1, "A")])
        with second.begin():
            writes.insert_software(second, [row(2, "B"), row(2, "A")])
        with first.begin():
            writes.insert_software(first, [row(3, "B"), row(3, "C")])
    assert [(r[0], r[1]) for r in software(cache)] == [
        (1, "A"),
        (2, "A"),
        (2, "B"),
        (3, "B"),
        (3, "C"),
    ]
    assert cache.scalar("SELECT count(*) FROM software_titles") == 3


def test_replacing_one_devices_software_leaves_the_others(cache: LocalCache) -> None:
    with cache.engine.begin() as conn:
        writes.insert_software(conn, [row(1, "A"), row(2, "A"), row(2, "B")])
    with cache.engine.begin() as conn:  # what an incremental sync does for a changed device
        writes.clear_children(conn, [2])
        writes.insert_software(conn, [row(2, "C")])
    assert [(r[0], r[1]) for r in software(cache)] == [(1, "A"), (2, "C")]


def test_a_full_sync_starts_the_catalog_afresh(cache: LocalCache) -> None:
    with cache.engine.begin() as conn:
        writes.insert_software(conn, [row(1, "Old")])
    with cache.engine.begin() as conn:
        writes.begin_bulk_load(conn)
        writes.insert_software(conn, [row(1, "New")])
        writes.end_bulk_load(conn)
    assert [(r[0], r[1]) for r in software(cache)] == [(1, "New")]
    assert cache.scalar("SELECT count(*) FROM software_titles") == 1


def test_pages_bigger_than_one_statement_are_stored_whole(cache: LocalCache) -> None:
    rows = [row(d, f"Tool {d % 7}") for d in range(1, MAX_ROWS_PER_STATEMENT * 2 + 10)]
    with cache.engine.begin() as conn:
        assert writes.insert_software(conn, rows) == len(rows)
    assert cache.scalar("SELECT count(*) FROM software") == len(rows)
    assert cache.scalar("SELECT count(DISTINCT device_id) FROM software") == len(rows)
