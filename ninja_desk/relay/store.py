"""The relay's event log on SQLAlchemy Core, for SQLite (one instance) and PostgreSQL (several).

One append-only table of events with increasing `seq`, a dedup table keyed by
(endpoint, NinjaOne activity id), endpoints and subscribers (hashes only), forward targets and
a durable outbox (tables and schema version: schema.py). Statements are written once; the
dialects differ only where they must: how a write transaction starts on SQLite, the pipelined
append and size-first page reads on PostgreSQL, LISTEN/NOTIFY. Connections come from
SQLAlchemy's pool. Methods block: the server calls them from threads, the CLI directly.

Durability: SQLite runs in WAL with `synchronous=FULL`, which fsyncs the WAL on every commit,
so a 200 means the event survives power loss, not only a process crash; the intake batches
concurrent requests into one commit, so it is one fsync per batch. On PostgreSQL a commit is
durable by the server's own settings. Either way the commit returns before the 2xx is sent.

PostgreSQL: identity values are handed out in one order and may commit in another, and a
subscriber that saw seq 11 before 10 committed would skip 10 forever. So every append takes
one transaction-scoped advisory lock: appends commit one batch at a time in seq order. Other
instances learn of new events through LISTEN/NOTIFY on `ninja_desk_relay`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import Insert

from ninja_desk.core.relay_protocol import event_head, event_json
from ninja_desk.relay import schema
from ninja_desk.relay.private_files import private_dirs, private_file
from ninja_desk.relay.schema import PRUNED_THROUGH, bindings, dedup, endpoints, events, meta
from ninja_desk.relay.schema import forward_targets as targets
from ninja_desk.relay.schema import outbox as outbox_table
from ninja_desk.relay.schema import subscribers as subs

log = logging.getLogger(__name__)

# A filtered read looks at no more than this many seqs per query, so a subscriber bound to a
# quiet endpoint cannot make one query walk the whole log.
SCAN_WINDOW = 20_000
CHANNEL = "ninja_desk_relay"
# Arbitrary constants ("NDRL" and 1/2): the append lock and the schema lock.
_APPEND_LOCK = (0x4E44524C, 1)
_SCHEMA_LOCK = (0x4E44524C, 2)
# Set on a connection for a transaction that writes (SQLite: BEGIN IMMEDIATE).
_WRITE = "relay_write"


# Params: endpoint, activity_key, received_at, payload, next_attempt_at. A payload without an
# activity key is never a duplicate: it skips the dedup row and is always stored.
_APPEND = """
WITH args AS (
    SELECT %s::text AS endpoint, %s::text AS activity_key, %s::float8 AS received_at,
           %s::text AS payload, %s::float8 AS due
), dedup AS (
    INSERT INTO relay_dedup(endpoint, activity_key, seen_at)
    SELECT endpoint, activity_key, received_at FROM args WHERE activity_key IS NOT NULL
    ON CONFLICT (endpoint, activity_key) DO NOTHING
    RETURNING 1
), event AS (
    INSERT INTO relay_events(endpoint, activity_key, received_at, payload)
    SELECT endpoint, activity_key, received_at, payload FROM args
    WHERE activity_key IS NULL OR EXISTS (SELECT 1 FROM dedup)
    RETURNING seq
), outbox AS (
    INSERT INTO relay_outbox(seq, target_id, attempts, next_attempt_at)
    SELECT event.seq, t.id, 0, args.due
    FROM event CROSS JOIN relay_forward_targets t CROSS JOIN args
)
SELECT seq FROM event
"""


_TOP = "SELECT COALESCE(MAX(seq), 0) FROM relay_events"
_PRUNED = "SELECT value FROM relay_meta WHERE key = ?"


class RelayStoreError(Exception):
    """The relay database is unreachable or refused a write."""


class AdminError(Exception):
    """An admin command cannot be done as asked; the message says what to do instead."""


@dataclass(frozen=True, slots=True)
class Incoming:
    endpoint: str
    # Canonical NinjaOne activity `id` (JSON text), or None when the payload has none.
    activity_key: str | None
    received_at: float
    # Compact JSON text of the payload object, exactly what subscribers receive.
    payload: str


@dataclass(frozen=True, slots=True)
class Appended:
    """What one intake transaction did."""

    # Per item, in order: the new seq, or None for a duplicate.
    seqs: list[int | None]
    # Whether it wrote outbox rows: without forward targets there is nothing to wake the
    # forwarder for (its own poll still runs).
    forward: bool


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    endpoint: str
    received_at: float
    payload: str

    def to_json(self) -> str:
        """The SSE/batch/forward body; the payload is spliced in as stored, never re-parsed."""
        return event_json(self.seq, self.endpoint, self.received_at, self.payload)


@dataclass(frozen=True, slots=True)
class PageEvent:
    """An event read for replay: the payload stays bytes, exactly as it goes on the wire."""

    seq: int
    endpoint: str
    received_at: float
    payload: bytes

    def json_parts(self) -> tuple[bytes, bytes, bytes]:
        """The event's JSON (as StoredEvent.to_json) in three pieces, so a 1 MiB payload is
        written to the socket as it is instead of being copied into one bigger string."""
        head = event_head(self.seq, self.endpoint, self.received_at).encode()
        return head, self.payload, b"}"


@dataclass(frozen=True, slots=True)
class Page:
    """One byte- and count-bounded read of the log.

    `scanned_through`: every seq up to here has been considered (returned, or filtered out by
    the subscriber's endpoints), so the reader's cursor may move there even when `events` is
    empty. `top` is the newest seq the read could see.
    """

    events: list[PageEvent] = field(default_factory=list)
    pruned_through: int = 0
    scanned_through: int = 0
    top: int = 0
    nbytes: int = 0


@dataclass(frozen=True, slots=True)
class SubscriberInfo:
    name: str
    active: bool
    endpoints: list[str]


@dataclass(frozen=True, slots=True)
class EndpointAuth:
    name: str
    secret_hash: str
    old_secret_hash: str | None
    old_secret_expires: float | None


@dataclass(frozen=True, slots=True)
class Bounds:
    # Every seq <= pruned_through is gone; oldest_retained = pruned_through + 1.
    pruned_through: int
    last_seq: int

    @property
    def oldest_retained(self) -> int:
        return self.pruned_through + 1


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    target_url: str
    attempts: int
    event: StoredEvent


@dataclass(frozen=True, slots=True)
class StoreStats:
    events: int
    size_bytes: int
    outbox_depth: int
    bounds: Bounds


class RelayStore:
    """The event log over one SQLAlchemy engine (a pool of connections)."""

    def __init__(self, engine: Engine, *, shared: bool, path: str | None = None) -> None:
        self.engine = engine
        #: True when other processes can append (PostgreSQL): the feed must poll or listen.
        self.shared = shared
        self.path = path
        self._closed = False
        # A call still running when close() came (a cancelled request's thread) returns its
        # connection afterwards: close it then, since no pool will ever hand it out again.
        event.listen(engine, "checkin", self._close_if_closed)
        insert = postgresql.insert if shared else sqlite_dialect.insert
        self._insert_ignore: Callable[[Table], Insert] = lambda table: insert(
            table
        ).on_conflict_do_nothing()

    # -- plumbing -----------------------------------------------------------------------
    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Connection]:
        """One transaction on a pooled connection; driver errors become RelayStoreError."""
        if self._closed:
            raise RelayStoreError("relay store is closed")
        try:
            with self.engine.connect() as conn:
                if write:
                    conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    yield conn
        except (AdminError, RelayStoreError):
            raise
        except (SQLAlchemyError, psycopg.Error, OSError) as exc:
            raise RelayStoreError(f"relay database error: {_reason(exc)}") from exc

    @contextmanager
    def driver_transaction(self, write: bool = False) -> Iterator[Any]:
        """The hot paths' transaction: the pooled connection's own driver connection, without
        SQLAlchemy's per-statement machinery (measured: ten times the CPU of the statements
        themselves on an intake commit). Statements use qmark placeholders (`_driver_sql`)."""
        if self._closed:
            raise RelayStoreError("relay store is closed")
        try:
            pooled = self.engine.raw_connection()
            try:
                driver = pooled.driver_connection
                assert driver is not None  # a live pooled connection has one
                if not self.shared:
                    driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield driver
                except BaseException:
                    pooled.rollback()
                    raise
                pooled.commit()
            finally:
                pooled.close()
        except (AdminError, RelayStoreError):
            raise
        except (SQLAlchemyError, psycopg.Error, sqlite3.Error, OSError) as exc:
            raise RelayStoreError(f"relay database error: {_reason(exc)}") from exc

    def _driver_sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.shared else sql

    def _close_if_closed(self, dbapi_conn: Any, _record: Any) -> None:
        if self._closed:
            with suppress(Exception):
                dbapi_conn.close()

    def close(self) -> None:
        """Later calls fail with RelayStoreError; connections in use close when returned."""
        self._closed = True
        self.engine.dispose()

    def init_schema(self) -> None:
        with self.transaction(write=True) as conn:
            if self.shared:
                # Two instances starting together would race on CREATE TABLE.
                conn.execute(select(func.pg_advisory_xact_lock(*_SCHEMA_LOCK)))
            try:
                schema.upgrade(conn, self._insert_ignore)
            except RuntimeError as exc:
                raise AdminError(str(exc)) from exc

    def _pruned_through(self, conn: Connection) -> int:
        value = conn.execute(select(meta.c.value).where(meta.c.key == PRUNED_THROUGH)).scalar()
        return int(value or 0)

    @staticmethod
    def _top(conn: Connection) -> int:
        return int(conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one())

    # -- intake -------------------------------------------------------------------------
    def append_batch(self, items: Sequence[Incoming]) -> list[int | None]:
        """Store a batch in one transaction; per item the new seq, or None for a duplicate."""
        return self.append(items).seqs

    def append(self, items: Sequence[Incoming]) -> Appended:
        """append_batch, also saying whether the batch wrote outbox rows (forwarding work)."""
        if self.shared:
            return self._append_pipelined(items)
        results: list[int | None] = []
        with self.driver_transaction(write=True) as db:
            target_ids = [row[0] for row in db.execute("SELECT id FROM relay_forward_targets")]
            for item in items:
                if item.activity_key is not None:
                    seen = db.execute(
                        "INSERT INTO relay_dedup(endpoint, activity_key, seen_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (endpoint, activity_key) DO NOTHING",
                        (item.endpoint, item.activity_key, item.received_at),
                    )
                    if seen.rowcount == 0:
                        results.append(None)
                        continue
                seq = int(
                    db.execute(
                        "INSERT INTO relay_events(endpoint, activity_key, received_at, payload)"
                        " VALUES (?, ?, ?, ?) RETURNING seq",
                        (item.endpoint, item.activity_key, item.received_at, item.payload),
                    ).fetchone()[0]
                )
                if target_ids:
                    db.executemany(
                        "INSERT INTO relay_outbox(seq, target_id, attempts, next_attempt_at)"
                        " VALUES (?, ?, 0, ?)",
                        [(seq, target, item.received_at) for target in target_ids],
                    )
                results.append(seq)
        stored = any(seq is not None for seq in results)
        return Appended(results, forward=stored and bool(target_ids))

    def _append_pipelined(self, items: Sequence[Incoming]) -> Appended:
        """PostgreSQL: one statement per webhook, all pipelined, so a batch costs one round
        trip, not ~3n. The data-modifying CTE does dedup, event and outbox rows together, so no
        result has to come back before the next statement is sent; statements run in order,
        so seqs follow the order the webhooks were queued."""
        with self.driver_transaction(write=True) as raw:
            with raw.pipeline():
                raw.execute("SELECT pg_advisory_xact_lock(%s, %s)", _APPEND_LOCK)
                cursors = [
                    raw.execute(
                        _APPEND,
                        (
                            item.endpoint,
                            item.activity_key,
                            item.received_at,
                            item.payload,
                            item.received_at,
                        ),
                    )
                    for item in items
                ]
                # Counted after the appends: a target any of them wrote rows for is still
                # there (removing one deletes its rows), so "none" really means no work.
                targets_now = raw.execute("SELECT EXISTS (SELECT 1 FROM relay_forward_targets)")
                raw.execute(f"NOTIFY {CHANNEL}")
            results: list[int | None] = []
            for cursor in cursors:
                row = cursor.fetchone()
                results.append(None if row is None else int(row[0]))
            any_target = bool(targets_now.fetchone()[0])
        stored = any(seq is not None for seq in results)
        return Appended(results, forward=stored and any_target)

    # -- reading ------------------------------------------------------------------------
    def read_after(self, seq: int, limit: int) -> tuple[list[StoredEvent], int]:
        """Events with seq > `seq` in order, and pruned_through read *after* them.

        Reading the watermark second means a prune racing this read shows up in it, so the
        caller can never skip pruned events without noticing the gap.
        """
        with self.transaction() as conn:
            rows = conn.execute(
                select(events.c.seq, events.c.endpoint, events.c.received_at, events.c.payload)
                .where(events.c.seq > seq)
                .order_by(events.c.seq)
                .limit(limit)
            ).all()
            pruned = self._pruned_through(conn)
        return [StoredEvent(int(r[0]), r[1], float(r[2]), r[3]) for r in rows], pruned

    def read_page(
        self,
        after: int,
        limit: int,
        max_bytes: int,
        endpoints: Sequence[str] | None = None,
        at_least_one: bool = True,
    ) -> Page:
        """Events after `after`, at most `limit` of them and `max_bytes` of payload.

        `at_least_one`: the first event is returned even when it alone is over `max_bytes`
        (a page must make progress); without it, an over-budget first event ends the page
        empty. `endpoints` None reads everything; otherwise only those endpoints' events.
        A page never holds more than it returns (plus, on SQLite, the one row that did not
        fit): SQLite's rows are pulled one at a time, PostgreSQL's (psycopg buffers a whole
        result) are chosen from their sizes first.
        """
        # On the driver with statements written once: the feed reads a page after every
        # commit on PostgreSQL, and building and compiling the Core select for it cost more
        # CPU than the rest of a webhook's intake.
        with self.driver_transaction() as db:
            # PostgreSQL appends commit in seq order (the append lock): every seq <= top is
            # visible.
            top = int(db.execute(_TOP).fetchone()[0])
            upper = top if endpoints is None else min(top, after + SCAN_WINDOW)
            chosen = _Chosen(max(upper, after), max_bytes, limit, at_least_one)
            if endpoints is None or endpoints:
                if self.shared:
                    self._choose_by_size(db, after, upper, endpoints, chosen)
                else:
                    self._choose_streaming(db, after, upper, endpoints, chosen)
            pruned = db.execute(self._driver_sql(_PRUNED), (PRUNED_THROUGH,)).fetchone()
        return Page(
            chosen.events, int(pruned[0]) if pruned else 0, chosen.scanned, top, chosen.size
        )

    @staticmethod
    def _choose_streaming(
        db: Any, after: int, upper: int, endpoints: Sequence[str] | None, chosen: _Chosen
    ) -> None:
        # SQLite: rows are pulled one at a time, the payload as stored (a BLOB cast: bytes,
        # no decode/encode).
        sql = (
            "SELECT seq, endpoint, received_at, CAST(payload AS BLOB) FROM relay_events"
            " WHERE seq > ? AND seq <= ?"
        )
        params: list[Any] = [after, upper]
        if endpoints is not None:
            sql += f" AND endpoint IN ({', '.join('?' * len(endpoints))})"
            params.extend(endpoints)
        rows = db.execute(sql + " ORDER BY seq LIMIT ?", (*params, chosen.limit + 1))
        try:
            for seq, endpoint, received_at, data in rows:
                if not chosen.take(int(seq), len(data)):
                    break
                chosen.events.append(PageEvent(int(seq), endpoint, float(received_at), data))
                if chosen.full:
                    break
        finally:
            rows.close()

    @staticmethod
    def _choose_by_size(
        db: Any, after: int, upper: int, endpoints: Sequence[str] | None, chosen: _Chosen
    ) -> None:
        # PostgreSQL (psycopg buffers a whole result): sizes first; octet_length() of a
        # TOASTed value is read from its header, not the value.
        sql = "SELECT seq, octet_length(payload) FROM relay_events WHERE seq > %s AND seq <= %s"
        params: list[Any] = [after, upper]
        if endpoints is not None:
            sql += " AND endpoint = ANY(%s)"
            params.append(list(endpoints))
        sizes = db.execute(sql + " ORDER BY seq LIMIT %s", (*params, chosen.limit)).fetchall()
        seqs: list[int] = []
        for seq, n in sizes:
            if not chosen.take(int(seq), int(n)):
                break
            seqs.append(int(seq))
        if not seqs:
            return
        rows = db.execute(
            "SELECT seq, endpoint, received_at, convert_to(payload, 'UTF8') FROM relay_events"
            " WHERE seq = ANY(%s) ORDER BY seq",
            (seqs,),
        ).fetchall()
        chosen.events.extend(PageEvent(int(r[0]), r[1], float(r[2]), bytes(r[3])) for r in rows)

    def bounds(self) -> Bounds:
        # On the driver: /healthz and every stream and batch ask for this.
        with self.driver_transaction() as db:
            pruned = db.execute(self._driver_sql(_PRUNED), (PRUNED_THROUGH,)).fetchone()
            last = db.execute(_TOP).fetchone()
        pruned_through = int(pruned[0]) if pruned else 0
        return Bounds(pruned_through, max(int(last[0]), pruned_through))

    def stats(self) -> StoreStats:
        with self.transaction() as conn:
            count = conn.execute(select(func.count()).select_from(events)).scalar_one()
            depth = conn.execute(select(func.count()).select_from(outbox_table)).scalar_one()
        return StoreStats(int(count), self.size_bytes(), int(depth), self.bounds())

    def size_bytes(self) -> int:
        if self.path is not None:
            total = 0
            for suffix in ("", "-wal"):
                with suppress(OSError):
                    total += os.path.getsize(self.path + suffix)
            return total
        if not self.shared:
            return 0
        with self.transaction() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                        " WHERE c.relkind = 'r' AND c.relname LIKE 'relay\\_%'"
                    )
                ).scalar_one()
            )

    # -- retention ----------------------------------------------------------------------
    def prune(self, now: float, max_age: float | None, max_count: int | None) -> int:
        """Delete events older than max_age or beyond the newest max_count; returns how many."""
        with self.transaction(write=True) as conn:
            cutoff = 0
            if max_age is not None:
                old = conn.execute(
                    select(func.max(events.c.seq)).where(events.c.received_at < now - max_age)
                ).scalar()
                cutoff = max(cutoff, int(old or 0))
                # The dedup window is the age limit: a NinjaOne resend older than that is new.
                conn.execute(delete(dedup).where(dedup.c.seen_at < now - max_age))
            if max_count is not None:
                beyond = conn.execute(
                    select(events.c.seq).order_by(events.c.seq.desc()).limit(1).offset(max_count)
                ).scalar()
                cutoff = max(cutoff, int(beyond or 0))
            if cutoff == 0:
                return 0
            conn.execute(delete(outbox_table).where(outbox_table.c.seq <= cutoff))
            deleted = conn.execute(delete(events).where(events.c.seq <= cutoff)).rowcount
            # Monotonic watermark even when two instances prune at once.
            conn.execute(
                update(meta)
                .where((meta.c.key == PRUNED_THROUGH) & (meta.c.value < cutoff))
                .values(value=cutoff)
            )
            return max(deleted, 0)

    # -- endpoints ----------------------------------------------------------------------
    def add_endpoint(self, name: str, secret_hash: str, now: float) -> None:
        with self.transaction(write=True) as conn:
            row = {"name": name, "secret_hash": secret_hash, "created_at": now}
            if conn.execute(self._insert_ignore(endpoints).values(row)).rowcount == 0:
                raise AdminError(
                    f"Endpoint {name!r} already exists; use `endpoint rotate {name}` "
                    "for a new secret."
                )

    def rotate_endpoint(self, name: str, secret_hash: str, old_expires: float) -> None:
        with self.transaction(write=True) as conn:
            changed = conn.execute(
                update(endpoints)
                .where(endpoints.c.name == name)
                .values(
                    old_secret_hash=endpoints.c.secret_hash,
                    old_secret_expires=old_expires,
                    secret_hash=secret_hash,
                )
            ).rowcount
            if changed == 0:
                raise AdminError(f"No endpoint named {name!r}; add it with `endpoint add`.")

    def remove_endpoint(self, name: str) -> bool:
        with self.transaction(write=True) as conn:
            # A later endpoint of the same name must not inherit the old one's readers.
            conn.execute(delete(bindings).where(bindings.c.endpoint == name))
            return conn.execute(delete(endpoints).where(endpoints.c.name == name)).rowcount > 0

    def get_endpoint(self, name: str) -> EndpointAuth | None:
        with self.transaction() as conn:
            row = conn.execute(
                select(
                    endpoints.c.name,
                    endpoints.c.secret_hash,
                    endpoints.c.old_secret_hash,
                    endpoints.c.old_secret_expires,
                ).where(endpoints.c.name == name)
            ).first()
        if row is None:
            return None
        return EndpointAuth(row[0], row[1], row[2], None if row[3] is None else float(row[3]))

    def list_endpoints(self) -> list[str]:
        with self.transaction() as conn:
            return list(conn.execute(select(endpoints.c.name).order_by(endpoints.c.name)).scalars())

    # -- subscribers --------------------------------------------------------------------
    def add_subscriber(
        self, name: str, token_hash: str, now: float, endpoints: Sequence[str] = ()
    ) -> None:
        with self.transaction(write=True) as conn:
            self._check_endpoints(conn, endpoints)
            row = conn.execute(select(subs.c.revoked_at).where(subs.c.name == name)).first()
            if row is not None and row[0] is None:
                raise AdminError(
                    f"Subscriber {name!r} already has a token; revoke it first "
                    f"(`subscriber revoke {name}`)."
                )
            fresh = {"token_hash": token_hash, "revoked_at": None, "created_at": now}
            if row is not None:
                conn.execute(update(subs).where(subs.c.name == name).values(fresh))
            else:
                conn.execute(subs.insert().values(name=name, **fresh))
            # A fresh token starts with exactly the endpoints it was given.
            conn.execute(delete(bindings).where(bindings.c.subscriber == name))
            self._bind(conn, name, endpoints)

    def _bind(self, conn: Connection, name: str, endpoint_names: Sequence[str]) -> None:
        if endpoint_names:
            conn.execute(
                self._insert_ignore(bindings),
                [{"subscriber": name, "endpoint": e} for e in endpoint_names],
            )

    @staticmethod
    def _check_endpoints(conn: Connection, wanted: Sequence[str]) -> None:
        known = set(conn.execute(select(endpoints.c.name)).scalars())
        missing = [e for e in wanted if e not in known]
        if missing:
            raise AdminError(
                f"No endpoint named {missing[0]!r}; the endpoints are: "
                f"{', '.join(sorted(known)) or 'none yet (add one with `endpoint add`)'}."
            )

    def bind_subscriber(self, name: str, endpoint_names: Sequence[str], bind: bool) -> list[str]:
        """Add (bind=True) or remove endpoints from a subscriber; returns its new binding."""
        with self.transaction(write=True) as conn:
            if conn.execute(select(subs.c.name).where(subs.c.name == name)).first() is None:
                raise AdminError(f"No subscriber named {name!r}; add it with `subscriber add`.")
            if bind:
                self._check_endpoints(conn, endpoint_names)
                self._bind(conn, name, endpoint_names)
            else:
                conn.execute(
                    delete(bindings).where(
                        (bindings.c.subscriber == name)
                        & bindings.c.endpoint.in_(list(endpoint_names))
                    )
                )
            return self._endpoints_of(conn, name)

    @staticmethod
    def _endpoints_of(conn: Connection, name: str) -> list[str]:
        return list(
            conn.execute(
                select(bindings.c.endpoint)
                .where(bindings.c.subscriber == name)
                .order_by(bindings.c.endpoint)
            ).scalars()
        )

    def subscriber_endpoints(self, name: str) -> list[str]:
        with self.transaction() as conn:
            return self._endpoints_of(conn, name)

    def list_subscribers(self) -> list[SubscriberInfo]:
        with self.transaction() as conn:
            rows = conn.execute(select(subs.c.name, subs.c.revoked_at).order_by(subs.c.name))
            return [
                SubscriberInfo(r[0], r[1] is None, self._endpoints_of(conn, r[0]))
                for r in rows.all()
            ]

    def revoke_subscriber(self, name: str, now: float) -> bool:
        with self.transaction(write=True) as conn:
            revoked = conn.execute(
                update(subs)
                .where((subs.c.name == name) & subs.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return revoked.rowcount > 0

    def active_subscribers(self) -> list[tuple[str, str]]:
        """(name, token_hash) of every subscriber that is not revoked."""
        with self.transaction() as conn:
            rows = conn.execute(
                select(subs.c.name, subs.c.token_hash).where(subs.c.revoked_at.is_(None))
            )
            return [(r[0], r[1]) for r in rows.all()]

    # -- forwarding ---------------------------------------------------------------------
    def add_forward_target(self, url: str, now: float) -> bool:
        with self.transaction(write=True) as conn:
            added = conn.execute(
                self._insert_ignore(targets).values(url=url, created_at=now)
            ).rowcount
            return added > 0

    def remove_forward_target(self, url: str) -> bool:
        with self.transaction(write=True) as conn:
            target = conn.execute(select(targets.c.id).where(targets.c.url == url)).scalar()
            if target is None:
                return False
            conn.execute(delete(outbox_table).where(outbox_table.c.target_id == target))
            conn.execute(delete(targets).where(targets.c.id == target))
            return True

    def forward_targets(self) -> list[str]:
        with self.transaction() as conn:
            return list(conn.execute(select(targets.c.url).order_by(targets.c.id)).scalars())

    def claim_outbox(self, now: float, lease: float, limit: int) -> list[OutboxItem]:
        """Lease due deliveries: pushing next_attempt_at forward hides them from other
        instances until the lease ends, so a crashed forwarder's rows come back by themselves."""
        # Look first without the write lock: on SQLite an empty claim would otherwise take the
        # one write lock after every intake commit and halve intake throughput.
        with self.driver_transaction() as db:
            sql = self._driver_sql("SELECT 1 FROM relay_outbox WHERE next_attempt_at <= ? LIMIT 1")
            if db.execute(sql, (now,)).fetchone() is None:
                return []
        due = outbox_table.c.next_attempt_at <= now
        with self.transaction(write=True) as conn:
            ids = list(
                conn.execute(
                    select(outbox_table.c.id)
                    .where(due)
                    .order_by(outbox_table.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)  # SQLite: the write lock already
                ).scalars()
            )
            if not ids:
                return []
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id.in_(ids))
                .values(next_attempt_at=now + lease)
            )
            rows = conn.execute(
                select(
                    outbox_table.c.id,
                    targets.c.url,
                    outbox_table.c.attempts,
                    events.c.seq,
                    events.c.endpoint,
                    events.c.received_at,
                    events.c.payload,
                )
                .join_from(outbox_table, targets, targets.c.id == outbox_table.c.target_id)
                .join(events, events.c.seq == outbox_table.c.seq)
                .where(outbox_table.c.id.in_(ids))
                .order_by(outbox_table.c.id)
            ).all()
        return [
            OutboxItem(int(r[0]), r[1], int(r[2]), StoredEvent(int(r[3]), r[4], float(r[5]), r[6]))
            for r in rows
        ]

    def outbox_done(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.transaction(write=True) as conn:
            conn.execute(delete(outbox_table).where(outbox_table.c.id.in_(list(ids))))

    def outbox_retry(self, item_id: int, attempts: int, next_at: float, error: str) -> None:
        with self.transaction(write=True) as conn:
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id == item_id)
                .values(attempts=attempts, next_attempt_at=next_at, last_error=error[:500])
            )

    def outbox_depth(self) -> int:
        with self.transaction() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox_table)).scalar_one())

    # -- PostgreSQL notifications -------------------------------------------------------
    async def listen(self, on_notify: Callable[[], None], stop: asyncio.Event) -> None:
        """Call on_notify for every NOTIFY until stop is set; reconnects on failure."""
        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                aconn = await psycopg.AsyncConnection.connect(url, autocommit=True)
                async with aconn:
                    await aconn.execute(f"LISTEN {CHANNEL}")
                    # Anything committed while we were not listening is caught by this poke.
                    on_notify()
                    async for _ in aconn.notifies():
                        on_notify()
                        if stop.is_set():
                            break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay LISTEN connection failed (%s); retrying in 1 s", exc)
                await asyncio.sleep(1.0)


@dataclass(slots=True)
class _Chosen:
    """The events a page takes, within its count and byte limits."""

    scanned: int
    max_bytes: int
    limit: int
    at_least_one: bool
    events: list[PageEvent] = field(default_factory=list)
    size: int = 0
    count: int = 0
    full: bool = False

    def take(self, seq: int, nbytes: int) -> bool:
        """Whether the event fits; `full` once the page has `limit` events."""
        if self.size + nbytes > self.max_bytes and (self.count or not self.at_least_one):
            self.scanned = seq - 1
            return False
        self.size += nbytes
        self.count += 1
        if self.count >= self.limit:
            self.scanned = seq
            self.full = True
        return True


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0] if str(exc) else repr(exc)


def _sqlite_engine(path: str) -> Engine:
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False},
        # The most recently used connection first: the writer's stays hot.
        pool_use_lifo=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so writers take the lock up front
        # (BEGIN IMMEDIATE) instead of failing on a read-to-write upgrade.
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA busy_timeout = 10000")
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA synchronous = FULL")
        # -wal/-shm made by an older relay (or before the main file was tightened).
        for suffix in ("-wal", "-shm"):
            private_file(path + suffix, create=False)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _postgres_engine(url: str) -> Engine:
    # Pre-ping: a database restart costs one failed check, not one failed webhook.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def open_store(url: str) -> RelayStore:
    """`sqlite:///path`, a bare file path, or `postgresql://...`."""
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            return RelayStore(
                _postgres_engine("postgresql+psycopg://" + url.removeprefix(scheme)), shared=True
            )
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
    elif url.startswith("sqlite://"):
        raise AdminError("Give a SQLite file as sqlite:///path/to/relay.db (three slashes).")
    elif "://" in url:
        raise AdminError(
            f"Unsupported database URL {url.split('://')[0]}://; use sqlite or postgresql."
        )
    else:
        path = url
    if path != ":memory:" and not path.startswith("file:"):
        # The file holds every webhook body: private whatever the umask.
        private_dirs(os.path.dirname(path))
        private_file(path, create=True)
    return RelayStore(_sqlite_engine(path), shared=False, path=path)
