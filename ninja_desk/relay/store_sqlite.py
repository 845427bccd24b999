"""SQLite backend: one file, WAL, the default for a single relay instance.

Durability: `synchronous=FULL` in WAL mode fsyncs the WAL on every commit, so a 200 means the
event survives power loss, not only a process crash (NORMAL would survive SIGKILL but could
lose the last commits on power failure, which breaks "lose nothing that it acknowledged").
The cost is one fsync per commit; the intake batches concurrent requests into one commit, so
it is one fsync per batch.

The file holds every webhook body, so it is private whatever the umask: the database and its
-wal/-shm are 0600 and any directory this module creates is 0700 (SQLite gives -wal/-shm the
database file's mode).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ninja_desk.relay.store import RelayStore

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700

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
    # Which endpoints' events a subscriber token may read; no row, no events.
    """CREATE TABLE IF NOT EXISTS relay_bindings (
        subscriber TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        PRIMARY KEY (subscriber, endpoint))""",
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
        if path != ":memory:" and not path.startswith("file:"):
            _private_dirs(Path(path).parent)
            _private_file(path, create=True)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN ourselves, so writers take the lock up front
        # (BEGIN IMMEDIATE) instead of failing on a read-to-write upgrade.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        # -wal/-shm made by an older relay (or before the main file was tightened).
        for suffix in ("-wal", "-shm"):
            _private_file(self.path + suffix, create=False)
        return conn

    def _payload_bytes(self) -> str:
        # A BLOB comes back as bytes: no str decode now and no encode when it is written out.
        return "CAST(payload AS BLOB)"

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


def _private_dirs(directory: Path) -> None:
    """Create missing directories 0700; existing ones are left alone (it may be /tmp)."""
    missing: list[Path] = []
    while str(directory) not in ("", ".") and not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        with suppress(FileExistsError):
            path.mkdir(mode=DIR_MODE)
        # mkdir's mode passes through the umask; chmod does not.
        os.chmod(path, DIR_MODE)


def _private_file(path: str, create: bool) -> None:
    if create:
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode != FILE_MODE:
        try:
            os.chmod(path, FILE_MODE)
        except OSError as exc:
            log.warning(
                "relay database file %s is mode %o and could not be made 0600 (%s)", path, mode, exc
            )
