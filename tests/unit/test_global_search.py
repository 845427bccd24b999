"""Ctrl+K search over the cache: what a technician types finds the device, client, alert or
ticket it names, and the text is matched literally."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ninja_desk.cache.queries.search import search_cache
from ninja_desk.cache.schema import DEVICE_FIELD_COLUMNS
from ninja_desk.cache.store import LocalCache
from ninja_desk.cache.synthetic import add_ticket


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    local = LocalCache(tmp_path / "cache.sqlite3")
    cols = [*DEVICE_FIELD_COLUMNS, "deleted"]
    devices = [
        (1, "RECEPTION-PC", '["10.1.2.3"]', "5CG1234XYZ", "ACME\\jdoe", 0, 0),
        (2, "FILE-SRV", '["10.9.9.9"]', None, None, 1, 0),
        (3, "OLD-LAPTOP", "[]", None, None, None, 1),
    ]

    def write(conn) -> None:
        conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, deleted) VALUES (1, 'Acme Dental', 0),"
            " (2, '100% Pure Water', 0)"
        )
        for device_id, name, ips, serial, user, offline, deleted in devices:
            values = dict.fromkeys(DEVICE_FIELD_COLUMNS)
            values.update(id=device_id, organization_id=1, node_class="WINDOWS_WORKSTATION",
                          name=name, ip_addresses=ips, serial_number=serial,
                          last_logged_in_user=user, offline=offline)  # fmt: skip
            conn.exec_driver_sql(
                f"INSERT INTO devices ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                (*[values[c] for c in DEVICE_FIELD_COLUMNS], deleted),
            )
        conn.exec_driver_sql(
            "INSERT INTO alerts (uid, device_id, severity, status, message, create_time)"
            " VALUES ('a-1', 2, 'CRITICAL', 'TRIGGERED', 'Disk C: almost full', 1.7e9),"
            " ('a-2', 2, 'MINOR', 'RESET', 'Disk D: almost full', 1.7e9)"
        )

    local.write_blocking(write)
    add_ticket(local, "t-1", 2, number="TIC000042", title="Disk space on FILE-SRV",
               client_name="Acme Dental")  # fmt: skip
    yield local
    local.close()


def found(cache: LocalCache, text: str) -> set[tuple[str, object]]:
    return {(hit.kind, hit.key) for hit in search_cache(cache, text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reception", {("device", 1)}),  # name, any case
        ("10.9.9", {("device", 2)}),  # an IP address
        ("1234xyz", {("device", 1)}),  # a serial number
        ("jdoe", {("device", 1)}),  # the last logged-on user
        ("old-laptop", set()),  # deleted devices are not offered
        ("dental", {("client", 1)}),
        ("100%", {("client", 2)}),  # % is a character, not "anything"
        ("almost full", {("alert", "a-1")}),  # open alerts only
        ("TIC000042", {("ticket", "t-1")}),
        ("disk", {("alert", "a-1"), ("ticket", "t-1")}),
        ("   ", set()),
    ],
)
def test_typed_text_finds_what_it_names(cache, text, expected) -> None:
    assert found(cache, text) == expected


def test_a_hit_says_where_the_device_is_and_whether_it_is_online(cache) -> None:
    (hit,) = search_cache(cache, "file-srv")[:1]
    assert (hit.title, hit.detail) == ("FILE-SRV", "Acme Dental · offline")
