"""Opening the local cache: WAL, schema version check, rebuild instead of crashing.

A cache that is *corrupt* (SQLite says so, or `quick_check` fails) or of another schema version
is moved aside and rebuilt. A cache that merely *cannot be opened or written* (read-only folder
or file, full disk, I/O error, a lock held elsewhere) is left untouched and a typed
`CacheUnavailable` says so in one sentence, on open and on every later write.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DatabaseError

from ninja_desk.cache.errors import CacheBusy, CacheDiskFull, CacheReadOnly, CacheUnavailable
from ninja_desk.cache.schema import (
    DEVICE_SEARCH_DDL,
    SCHEMA_VERSION,
    SOFTWARE_VIEW_DDL,
    meta,
    metadata,
)
from ninja_desk.cache.writes import forget_titles_on_rollback
from ninja_desk.paths import make_private, private_dir

log = logging.getLogger(__name__)


def _configure_connection(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable enough for a cache that can always be rebuilt, and much faster.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # FILE (SQLite's default): a sort bigger than the page cache, such as the full sync's index
    # over 2M software rows at 50,000 devices, spills to an unlinked temporary file instead of
    # staying in RAM (MEMORY put that sync's peak RSS over 300 MB); small sorts never spill.
    cursor.execute("PRAGMA temp_store=FILE")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


_CORRUPT_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_READ_ONLY_CODES = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN}
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _sqlite_code(exc: BaseException) -> int | None:
    """SQLite's primary result code behind `exc` (an SQLAlchemy wrapper or a sqlite3 error)."""
    original = getattr(exc, "orig", None) or exc
    code = getattr(original, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_corrupt(exc: BaseException) -> bool:
    return _sqlite_code(exc) in _CORRUPT_CODES


def unavailable(exc: BaseException, path: Path) -> CacheUnavailable | None:
    """The sentence for an error that means "cannot open/write", or None for anything else."""
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return _for_code(sqlite3.SQLITE_FULL, path)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return _for_code(sqlite3.SQLITE_READONLY, path)
        return CacheUnavailable(
            f"NinjaDesk cannot use its local cache {path} ({exc.strerror or exc}); "
            "check the disk and the folder, then try again."
        )
    code = _sqlite_code(exc)
    if code == sqlite3.SQLITE_IOERR and _disk_nearly_full(path.parent):
        code = sqlite3.SQLITE_FULL  # SQLite reports a failed -shm/-wal grow as an I/O error
    return _for_code(code, path)


def _disk_nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 1024 * 1024
    except OSError:
        return False


def _for_code(code: int | None, path: Path) -> CacheUnavailable | None:
    if code == sqlite3.SQLITE_FULL:
        return CacheDiskFull(
            f"The disk holding the local cache ({path.parent}) is full, so NinjaDesk stopped "
            "without changing the cache; free some space and try again."
        )
    if code in _READ_ONLY_CODES:
        return CacheReadOnly(
            f"NinjaDesk cannot write its local cache {path} because the file or its folder is "
            "read-only; make the folder writable or choose another one with --data-dir."
        )
    if code in _BUSY_CODES:
        return CacheBusy(
            f"The local cache {path} stayed locked by another NinjaDesk process; "
            "wait for it to finish and try again."
        )
    if code == sqlite3.SQLITE_IOERR:
        return CacheUnavailable(
            f"The disk reported an error while NinjaDesk used its local cache {path}; "
            "check the disk and its free space, then try again."
        )
    return None


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False},
        pool_size=4,
        max_overflow=4,
    )
    event.listen(engine, "connect", _configure_connection)

    def translate(context: ExceptionContext) -> None:
        # Every statement, not only the open: a sync that fills the disk ends in a sentence.
        found = unavailable(context.original_exception, path)
        if found is not None:
            raise found from context.original_exception

    event.listen(engine, "handle_error", translate)
    forget_titles_on_rollback(engine)
    return engine


def _prepare_file(path: Path) -> None:
    """The folder 0700 and the cache file 0600 before SQLite opens it.

    SQLite gives the -wal and -shm files the main file's mode, so creating the main file
    private keeps all three private whatever the umask.
    """
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDONLY, 0o600)
    except OSError as exc:
        raise unavailable(exc, path) from None  # type: ignore[misc]  # never None for OSError
    os.close(fd)
    for suffix in ("", "-wal", "-shm"):
        make_private(Path(f"{path}{suffix}"))


def _stored_version(engine: Engine) -> int | None:
    with engine.connect() as conn:
        has_meta = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'")
        ).first()
        if not has_meta:
            tables = conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
            return None if tables == 0 else -1
        row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
        return int(row[0]) if row and str(row[0]).isdigit() else -1


def _discard(path: Path, reason: str) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(f"{path}{suffix}")
            if candidate.exists():
                if suffix == "":
                    candidate.rename(path.with_name(f"{path.name}.{reason}-{stamp}"))
                else:
                    candidate.unlink()
    except OSError as exc:
        raise unavailable(exc, path) from None  # type: ignore[misc]  # never None for OSError


class _Corrupt(Exception):
    pass


def open_cache_engine(path: Path) -> Engine:
    """Open (or create) the cache at `path`, rebuilding a corrupt or outdated file.

    Raises `CacheUnavailable` (one sentence) when the file cannot be opened or written; the file
    is then left exactly where it is.
    """
    _prepare_file(path)
    engine = make_engine(path)
    try:
        try:
            version = _stored_version(engine)
            if version is not None and version != SCHEMA_VERSION:
                engine.dispose()
                reason = "old" if version >= 0 else "unknown"
                log.warning(
                    "Local cache %s has schema version %s (expected %s); "
                    "rebuilding it from NinjaOne.",
                    path,
                    version,
                    SCHEMA_VERSION,
                )
                _discard(path, reason)
                _prepare_file(path)
                engine = make_engine(path)
            else:
                with engine.connect() as conn:
                    verdict = conn.execute(text("PRAGMA quick_check")).scalar()
                if verdict != "ok":
                    raise _Corrupt(f"quick_check: {verdict}")
        except (DatabaseError, sqlite3.DatabaseError, _Corrupt) as exc:
            engine.dispose()
            if not isinstance(exc, _Corrupt) and not is_corrupt(exc):
                # Not a corruption code: the file may be healthy, so it stays where it is.
                raise _cannot_open(exc, path) from exc
            log.warning(
                "Local cache %s is unreadable (corrupt: %s); "
                "moved it aside and rebuilding from NinjaOne.",
                path,
                type(exc).__name__,
            )
            _discard(path, "corrupt")
            _prepare_file(path)
            engine = make_engine(path)
        metadata.create_all(engine)
        with engine.begin() as conn:
            for statement in (*DEVICE_SEARCH_DDL, SOFTWARE_VIEW_DDL):
                conn.exec_driver_sql(statement)
            conn.execute(
                text("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', :v)"),
                {"v": str(SCHEMA_VERSION)},
            )
    except CacheUnavailable:
        engine.dispose()
        raise
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        engine.dispose()
        raise _cannot_open(exc, path) from exc
    return engine


def _cannot_open(exc: BaseException, path: Path) -> CacheUnavailable:
    found = unavailable(exc, path)
    if found is not None:
        return found
    original = getattr(exc, "orig", None) or exc
    reason = str(original).splitlines()[0] if str(original) else type(original).__name__
    return CacheUnavailable(
        f"NinjaDesk cannot open its local cache {path} (SQLite: {reason}); "
        "the file was left as it is, check the disk and the folder, then try again."
    )
