"""SQLite backend: one file, WAL, the default for a single relay instance.

Durability: `synchronous=FULL` in WAL mode fsyncs the WAL on every commit, so a 200 means the
event survives power loss, not only a process crash (NORMAL would survive SIGKILL but could
lose the last commits on power failure, which breaks "lose nothing that it acknowledged").
The cost is one fsync per commit; the intake batches concurrent requests into one commit, so
it is one fsync per batch.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ninja_desk.relay.store import RelayStore

_SCHEMA = [
    # AUTOINCREMENT: a seq is never reused, even after the newest events are pruned.
    """CREATE TABLE IF NOT EXISTS relay_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        endpoint TEXT NOT NULL,
        activity_key TEXT,
        received_at REAL NOT NULL,
        payload TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS relay_events_received ON relay_events(received_at)",
    """CREATE TABLE IF NOT EXISTS relay_dedup (
        endpoint TEXT NOT NULL,
        activity_key TEXT NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (endpoint, activity_key))""",
    "CREATE INDEX IF NOT EXISTS relay_dedup_seen ON relay_dedup(seen_at)",
    """CREATE TABLE IF NOT EXISTS relay_endpoints (
        name TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        old_secret_hash TEXT,
        old_secret_expires REAL,
        created_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS relay_subscribers (
        name TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL,
        revoked_at REAL,
        created_at REAL NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS relay_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS relay_forward_targets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS relay_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL,
        target_id INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at REAL NOT NULL,
        last_error TEXT)""",
    "CREATE INDEX IF NOT EXISTS relay_outbox_due ON relay_outbox(next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS relay_outbox_seq ON relay_outbox(seq)",
]


class _Tx:
    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)


class SqliteStore(RelayStore):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        parent = Path(path).parent
        if str(parent) not in ("", "."):
            parent.mkdir(parents=True, exist_ok=True)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN ourselves, so writers take the lock up front
        # (BEGIN IMMEDIATE) instead of failing on a read-to-write upgrade.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    def _schema(self) -> list[str]:
        return _SCHEMA

    @contextmanager
    def _tx(self, conn: sqlite3.Connection, write: bool) -> Iterator[_Tx]:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield _Tx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                total += os.path.getsize(self.path + suffix)
        return total
