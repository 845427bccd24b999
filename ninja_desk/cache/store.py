"""The local cache: one writer thread, any number of readers.

SQLite allows one writer at a time; funnelling every write through a single thread means writes
never contend, never run on the asyncio loop (or the Qt thread), and a long full-sync
transaction simply queues later writes behind it while readers keep seeing the last commit (WAL).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text

from ninja_desk.cache.database import open_cache_engine

T = TypeVar("T")


class WriteSession:
    """One transaction on the writer thread that spans several awaited steps (a full sync)."""

    def __init__(self, cache: LocalCache) -> None:
        self._cache = cache
        self._conn: Connection | None = None

    async def __aenter__(self) -> WriteSession:
        self._conn = await self._cache._on_writer(self._open)
        return self

    def _open(self) -> Connection:
        conn = self._cache.engine.connect()
        conn.begin()
        return conn

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._conn is not None, "WriteSession used outside 'async with'"
        return await self._cache._on_writer(partial(fn, self._conn, *args))

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        conn, self._conn = self._conn, None
        assert conn is not None

        def finish() -> None:
            try:
                if exc_type is None:
                    conn.commit()
                else:
                    conn.rollback()
            finally:
                conn.close()

        # Shield: a cancelled sync must still roll back, or the writer connection leaks a lock.
        await asyncio.shield(self._cache._on_writer(finish))


class LocalCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine: Engine = open_cache_engine(path)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-writer")

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self.engine.dispose()

    async def _on_writer(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn)

    def transaction(self) -> WriteSession:
        return WriteSession(self)

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(conn, *args, **kwargs)` in its own transaction on the writer thread."""

        def job() -> T:
            with self.engine.begin() as conn:
                return fn(conn, *args, **kwargs)

        return await self._on_writer(job)

    def write_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """The same, for code without an event loop (CLI setup, tests)."""

        def job() -> T:
            with self.engine.begin() as conn:
                return fn(conn, *args)

        return self._writer.submit(job).result()

    # Reads: cheap indexed queries, safe from any thread.

    def meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": key}).first()
        return None if row is None else row[0]

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]

    def last_sync_run(self, status: str | None = None) -> dict[str, Any] | None:
        where = "" if status is None else "WHERE status = :status"
        found = self.rows(f"SELECT * FROM sync_runs {where} ORDER BY id DESC LIMIT 1",
                          status=status)  # fmt: skip
        if not found:
            return None
        run = found[0]
        run["api_calls_by_endpoint"] = json.loads(run["api_calls_by_endpoint"] or "{}")
        return run


def start_run(conn: Connection, kind: str) -> int:
    result = conn.exec_driver_sql(
        "INSERT INTO sync_runs (kind, started_at, status) VALUES (?, ?, 'running')",
        (kind, time.time()),
    )
    return int(result.lastrowid)


def finish_run(conn: Connection, run_id: int, **fields: Any) -> None:
    fields["finished_at"] = time.time()
    if isinstance(fields.get("api_calls_by_endpoint"), dict):
        fields["api_calls_by_endpoint"] = json.dumps(fields["api_calls_by_endpoint"])
    assignments = ", ".join(f"{k} = :{k}" for k in fields)
    conn.execute(text(f"UPDATE sync_runs SET {assignments} WHERE id = :id"),
                 {**fields, "id": run_id})  # fmt: skip
