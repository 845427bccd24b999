"""A corrupt or outdated cache file is rebuilt with one clear log line, never a crash."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from ninja_desk.cache.schema import SCHEMA_VERSION
from ninja_desk.cache.store import LocalCache


def _device_count(cache: LocalCache) -> int:
    return cache.scalar("SELECT count(*) FROM devices")


def test_garbage_file_is_moved_aside_and_rebuilt(tmp_path: Path, caplog) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with caplog.at_level(logging.WARNING):
        cache = LocalCache(path)
    try:
        assert _device_count(cache) == 0
        assert cache.meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        cache.close()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unreadable" in warnings[0].getMessage()
    assert any(p.name.startswith("cache.sqlite3.corrupt-") for p in tmp_path.iterdir())


def test_damaged_pages_leave_a_usable_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = LocalCache(path)
    cache.write_blocking(
        lambda conn: conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, deleted) VALUES (1, 'Contoso', 0)"
        )
    )
    cache.close()
    data = path.read_bytes()
    path.write_bytes(data[:4096] + b"\x00" * 100 + data[4196:8000])
    cache = LocalCache(path)
    try:
        # Whether SQLite could salvage the old rows or not, the cache opens and takes writes.
        cache.write_blocking(
            lambda conn: conn.exec_driver_sql(
                "INSERT OR REPLACE INTO organizations (id, name, deleted) VALUES (2, 'Fabrikam', 0)"
            )
        )
        assert cache.scalar("SELECT name FROM organizations WHERE id = 2") == "Fabrikam"
    finally:
        cache.close()


def test_older_schema_version_is_rebuilt(tmp_path: Path, caplog) -> None:
    path = tmp_path / "cache.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        conn.execute("CREATE TABLE devices (id INTEGER PRIMARY KEY, legacy TEXT)")
    with caplog.at_level(logging.WARNING):
        cache = LocalCache(path)
    try:
        assert cache.meta("schema_version") == str(SCHEMA_VERSION)
        columns = {r["name"] for r in cache.rows("PRAGMA table_info(devices)")}
        assert "pending_os_patches" in columns and "legacy" not in columns
    finally:
        cache.close()
    assert any("schema version 1" in r.getMessage() for r in caplog.records)


def test_current_cache_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = LocalCache(path)
    cache.write_blocking(
        lambda conn: conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, deleted) VALUES (1, 'Contoso', 0)"
        )
    )
    cache.close()
    cache = LocalCache(path)
    try:
        assert cache.scalar("SELECT name FROM organizations WHERE id = 1") == "Contoso"
    finally:
        cache.close()
