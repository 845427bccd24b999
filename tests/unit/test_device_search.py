"""Device free-text search through the cache's trigram index, kept in step by triggers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ninja_desk.cache.queries.devices import SELECT_SQL, DeviceFilter, where_clause
from ninja_desk.cache.store import LocalCache


@pytest.fixture
def cache(tmp_path: Path):  # type: ignore[no-untyped-def]
    local = LocalCache(tmp_path / "cache.sqlite3")
    rows = [
        (1, "CONTOSO-WS01", "CONTOSO\\jdoe", "5CG1234XYZ", '["10.1.2.3"]'),
        (2, "FABRIKAM-SRV02", "FABRIKAM\\admin", "To be filled by O.E.M.", '["192.168.7.40"]'),
        (3, 'ODD"NAME', None, None, "[]"),
    ]
    local.write_blocking(
        lambda conn: conn.exec_driver_sql(
            "INSERT INTO devices (id, organization_id, node_class, name, system_name, "
            "last_logged_in_user, serial_number, ip_addresses) VALUES (?, 1, 'MAC', ?, ?, ?, ?, ?)",
            [(i, n, n, u, s, ip) for i, n, u, s, ip in rows],
        )
    )
    yield local
    local.close()


def search(cache: LocalCache, text: str) -> set[int]:
    where, params = where_clause(DeviceFilter(search=text))
    return {r["id"] for r in cache.rows(SELECT_SQL + where, **params)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contoso", {1}),  # case-insensitive substring of the name
        ("srv0", {2}),
        ("jdoe", {1}),  # last logged-on user
        ("1234x", {1}),  # serial number
        ("168.7", {2}),  # IP address
        ("o.e.m", {2}),
        ('d"na', {3}),  # a quote inside the text is data, not FTS syntax
        ("ws", {1}),  # two characters: LIKE fallback
        ("nothing-like-it", set()),
    ],
)
def test_search_finds_devices_by_any_identifying_text(
    cache: LocalCache, text: str, expected: set[int]
) -> None:
    assert search(cache, text) == expected


def test_renames_and_deletes_reach_the_index(cache: LocalCache) -> None:
    cache.write_blocking(
        lambda conn: conn.exec_driver_sql("UPDATE devices SET name = 'RECEPTION-PC' WHERE id = 1")
    )
    assert search(cache, "reception") == {1}
    assert search(cache, "contoso-ws01") == {1}  # system name still matches
    cache.write_blocking(lambda conn: conn.exec_driver_sql("DELETE FROM devices WHERE id = 2"))
    assert search(cache, "fabrikam") == set()
