"""The relay's event log: what every store offers, and the SQL both backends share.

One append-only table of events with increasing `seq`, a dedup table keyed by
(endpoint, NinjaOne activity id), endpoints and subscribers (hashes only), forward targets and
a durable outbox. SQLite and PostgreSQL speak the same SQL here; the dialect modules add
connections, DDL and the few statements that differ. Methods block: the server calls them
from threads, the CLI calls them directly.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

from ninja_desk.core.relay_protocol import event_head, event_json

log = logging.getLogger(__name__)

PRUNED_THROUGH = "pruned_through"
# Set once the store has subscriber-endpoint bindings; stores made before them get migrated.
BINDINGS_READY = "bindings_v1"
# A filtered read looks at no more than this many seqs per query, so a subscriber bound to a
# quiet endpoint cannot make one query walk the whole log.
SCAN_WINDOW = 20_000


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


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Conn(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Cursor: ...


class RelayStore(ABC):
    """Shared SQL over a thread-local connection per calling thread."""

    #: True when other processes can append (PostgreSQL): the feed must poll or listen.
    shared = False

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[tuple[Any, threading.Lock]] = []
        self._lock = threading.Lock()
        self._closed = False

    # -- dialect hooks ------------------------------------------------------------------
    @abstractmethod
    def _connect(self) -> Any: ...

    @abstractmethod
    def _schema(self) -> list[str]: ...

    @abstractmethod
    @contextmanager
    def _tx(self, conn: Any, write: bool) -> Iterator[Conn]: ...

    @abstractmethod
    def size_bytes(self) -> int: ...

    # -- plumbing -----------------------------------------------------------------------
    def _conn(self) -> tuple[Any, threading.Lock]:
        entry = getattr(self._local, "entry", None)
        if entry is None:
            if self._closed:
                raise RelayStoreError("relay store is closed")
            entry = (self._connect(), threading.Lock())
            self._local.entry = entry
            with self._lock:
                self._all.append(entry)
        return entry

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """This thread's raw connection, held against close(); driver errors become
        RelayStoreError and drop the connection so the next call reconnects."""
        conn, in_use = self._conn()
        # close() may run on another thread (server shutdown while a read is in flight);
        # closing a connection under a running query crashes the C driver, so it waits.
        with in_use:
            if self._closed:
                raise RelayStoreError("relay store is closed")
            try:
                yield conn
            except (AdminError, RelayStoreError):
                raise
            except Exception as exc:
                self._drop_conn()
                raise RelayStoreError(f"relay database error: {exc}") from exc

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Conn]:
        with self.connection() as conn, self._tx(conn, write) as tx:
            yield tx

    def _drop_conn(self) -> None:
        entry = getattr(self._local, "entry", None)
        self._local.entry = None
        if entry is not None:
            with self._lock:
                if entry in self._all:
                    self._all.remove(entry)
            with suppress(Exception):
                entry[0].close()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            entries, self._all = self._all, []
        for conn, in_use in entries:
            with in_use, suppress(Exception):
                conn.close()

    def init_schema(self) -> None:
        with self.transaction(write=True) as tx:
            for statement in self._schema():
                tx.execute(statement)
            tx.execute(
                "INSERT INTO relay_meta(key, value) VALUES (?, 0) ON CONFLICT (key) DO NOTHING",
                (PRUNED_THROUGH,),
            )
            upgraded = tx.execute(
                "INSERT INTO relay_meta(key, value) VALUES (?, 1) ON CONFLICT (key) DO NOTHING",
                (BINDINGS_READY,),
            ).rowcount
            if upgraded:
                self._bind_existing(tx)

    def _bind_existing(self, tx: Conn) -> None:
        """A store from before endpoint bindings: its tokens keep working as they did.

        Before bindings every token read every endpoint, so each active subscriber is bound to
        every endpoint that exists now (endpoints added later need `subscriber bind`). A fresh
        store has no subscribers and this does nothing.
        """
        subscribers = [
            r[0]
            for r in tx.execute(
                "SELECT name FROM relay_subscribers WHERE revoked_at IS NULL ORDER BY name"
            ).fetchall()
        ]
        endpoints = [
            r[0] for r in tx.execute("SELECT name FROM relay_endpoints ORDER BY name").fetchall()
        ]
        if not subscribers:
            return
        for subscriber in subscribers:
            for endpoint in endpoints:
                tx.execute(
                    "INSERT INTO relay_bindings(subscriber, endpoint) VALUES (?, ?)"
                    " ON CONFLICT (subscriber, endpoint) DO NOTHING",
                    (subscriber, endpoint),
                )
        log.warning(
            "relay store upgraded to endpoint-bound tokens: %d subscriber token(s) made before "
            "the upgrade keep reading every existing endpoint (%s); narrow them with "
            "`ninja-desk-relay subscriber unbind NAME ENDPOINT`",
            len(subscribers),
            ", ".join(endpoints) or "none",
        )

    # -- intake -------------------------------------------------------------------------
    def append_batch(self, items: Sequence[Incoming]) -> list[int | None]:
        """Store a batch in one transaction; per item the new seq, or None for a duplicate.

        PostgreSQL overrides this with a pipelined, lock-ordered version (store_postgres).
        """
        results: list[int | None] = []
        with self.transaction(write=True) as tx:
            targets = [row[0] for row in tx.execute("SELECT id FROM relay_forward_targets")]
            for item in items:
                if item.activity_key is not None:
                    cur = tx.execute(
                        "INSERT INTO relay_dedup(endpoint, activity_key, seen_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (endpoint, activity_key) DO NOTHING",
                        (item.endpoint, item.activity_key, item.received_at),
                    )
                    if cur.rowcount == 0:
                        results.append(None)
                        continue
                seq = tx.execute(
                    "INSERT INTO relay_events(endpoint, activity_key, received_at, payload)"
                    " VALUES (?, ?, ?, ?) RETURNING seq",
                    (item.endpoint, item.activity_key, item.received_at, item.payload),
                ).fetchone()[0]
                for target in targets:
                    tx.execute(
                        "INSERT INTO relay_outbox(seq, target_id, attempts, next_attempt_at)"
                        " VALUES (?, ?, 0, ?)",
                        (seq, target, item.received_at),
                    )
                results.append(int(seq))
        return results

    # -- reading ------------------------------------------------------------------------
    def read_after(self, seq: int, limit: int) -> tuple[list[StoredEvent], int]:
        """Events with seq > `seq` in order, and pruned_through read *after* them.

        Reading the watermark second means a prune racing this read shows up in it, so the
        caller can never skip pruned events without noticing the gap.
        """
        with self.transaction() as tx:
            rows = tx.execute(
                "SELECT seq, endpoint, received_at, payload FROM relay_events"
                " WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
            pruned = tx.execute(
                "SELECT value FROM relay_meta WHERE key = ?", (PRUNED_THROUGH,)
            ).fetchone()
        events = [StoredEvent(int(r[0]), r[1], float(r[2]), r[3]) for r in rows]
        return events, int(pruned[0]) if pruned else 0

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
        Rows are pulled one at a time, so a page never holds more than it returns (plus the
        one row that did not fit).
        """
        with self.transaction() as tx:
            top_row = tx.execute("SELECT MAX(seq) FROM relay_events").fetchone()
            top = int(top_row[0]) if top_row and top_row[0] is not None else 0
            upper = top if endpoints is None else min(top, after + SCAN_WINDOW)
            events: list[PageEvent] = []
            size = 0
            scanned = max(upper, after)
            if endpoints is None or endpoints:
                sql, params = self._page_query(after, upper, limit, endpoints)
                for seq, endpoint, received_at, payload in self._iter_rows(tx, sql, params):
                    if isinstance(payload, str):
                        payload = payload.encode()
                    n = len(payload)
                    if size + n > max_bytes and (events or not at_least_one):
                        scanned = int(seq) - 1
                        break
                    events.append(PageEvent(int(seq), endpoint, float(received_at), payload))
                    size += n
                    if len(events) >= limit:
                        scanned = int(seq)
                        break
            pruned = tx.execute(
                "SELECT value FROM relay_meta WHERE key = ?", (PRUNED_THROUGH,)
            ).fetchone()
        return Page(events, int(pruned[0]) if pruned else 0, scanned, top, size)

    def _page_query(
        self, after: int, upper: int, limit: int, endpoints: Sequence[str] | None
    ) -> tuple[str, tuple[Any, ...]]:
        where = "seq > ? AND seq <= ?"
        params: tuple[Any, ...] = (after, upper)
        if endpoints is not None:
            where += f" AND endpoint IN ({','.join('?' * len(endpoints))})"
            params += tuple(endpoints)
        return (
            f"SELECT seq, endpoint, received_at, {self._payload_bytes()} FROM relay_events"
            f" WHERE {where} ORDER BY seq LIMIT ?",
            (*params, limit + 1),
        )

    def _payload_bytes(self) -> str:
        return "payload"

    def _iter_rows(self, tx: Conn, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        """Rows one at a time (dialects whose driver buffers results override read_page)."""
        cursor = tx.execute(sql, params)
        try:
            yield from cursor  # type: ignore[misc]
        finally:
            close = getattr(cursor, "close", None)
            if close is not None:
                close()

    def bounds(self) -> Bounds:
        with self.transaction() as tx:
            pruned = tx.execute(
                "SELECT value FROM relay_meta WHERE key = ?", (PRUNED_THROUGH,)
            ).fetchone()
            last = tx.execute("SELECT MAX(seq) FROM relay_events").fetchone()
        pruned_through = int(pruned[0]) if pruned else 0
        last_seq = max(int(last[0]) if last and last[0] is not None else 0, pruned_through)
        return Bounds(pruned_through, last_seq)

    def stats(self) -> StoreStats:
        with self.transaction() as tx:
            count = tx.execute("SELECT COUNT(*) FROM relay_events").fetchone()[0]
            depth = tx.execute("SELECT COUNT(*) FROM relay_outbox").fetchone()[0]
        return StoreStats(int(count), self.size_bytes(), int(depth), self.bounds())

    # -- retention ----------------------------------------------------------------------
    def prune(self, now: float, max_age: float | None, max_count: int | None) -> int:
        """Delete events older than max_age or beyond the newest max_count; returns how many."""
        with self.transaction(write=True) as tx:
            cutoff = 0
            if max_age is not None:
                row = tx.execute(
                    "SELECT MAX(seq) FROM relay_events WHERE received_at < ?", (now - max_age,)
                ).fetchone()
                cutoff = max(cutoff, int(row[0]) if row and row[0] is not None else 0)
            if max_count is not None:
                row = tx.execute(
                    "SELECT seq FROM relay_events ORDER BY seq DESC LIMIT 1 OFFSET ?",
                    (max_count,),
                ).fetchone()
                cutoff = max(cutoff, int(row[0]) if row else 0)
            if max_age is not None:
                # The dedup window is the age limit: a NinjaOne resend older than that is new.
                tx.execute("DELETE FROM relay_dedup WHERE seen_at < ?", (now - max_age,))
            if cutoff == 0:
                return 0
            tx.execute("DELETE FROM relay_outbox WHERE seq <= ?", (cutoff,))
            deleted = tx.execute("DELETE FROM relay_events WHERE seq <= ?", (cutoff,)).rowcount
            # Monotonic watermark even when two instances prune at once.
            tx.execute(
                "UPDATE relay_meta SET value = ? WHERE key = ? AND value < ?",
                (cutoff, PRUNED_THROUGH, cutoff),
            )
            return max(deleted, 0)

    # -- endpoints ----------------------------------------------------------------------
    def add_endpoint(self, name: str, secret_hash: str, now: float) -> None:
        with self.transaction(write=True) as tx:
            cur = tx.execute(
                "INSERT INTO relay_endpoints(name, secret_hash, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (name, secret_hash, now),
            )
            if cur.rowcount == 0:
                raise AdminError(
                    f"Endpoint {name!r} already exists; use `endpoint rotate {name}` "
                    "for a new secret."
                )

    def rotate_endpoint(self, name: str, secret_hash: str, old_expires: float) -> None:
        with self.transaction(write=True) as tx:
            cur = tx.execute(
                "UPDATE relay_endpoints SET old_secret_hash = secret_hash,"
                " old_secret_expires = ?, secret_hash = ? WHERE name = ?",
                (old_expires, secret_hash, name),
            )
            if cur.rowcount == 0:
                raise AdminError(f"No endpoint named {name!r}; add it with `endpoint add`.")

    def remove_endpoint(self, name: str) -> bool:
        with self.transaction(write=True) as tx:
            # A later endpoint of the same name must not inherit the old one's readers.
            tx.execute("DELETE FROM relay_bindings WHERE endpoint = ?", (name,))
            return tx.execute("DELETE FROM relay_endpoints WHERE name = ?", (name,)).rowcount > 0

    def get_endpoint(self, name: str) -> EndpointAuth | None:
        with self.transaction() as tx:
            row = tx.execute(
                "SELECT name, secret_hash, old_secret_hash, old_secret_expires"
                " FROM relay_endpoints WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            return None
        return EndpointAuth(row[0], row[1], row[2], None if row[3] is None else float(row[3]))

    def list_endpoints(self) -> list[str]:
        with self.transaction() as tx:
            return [r[0] for r in tx.execute("SELECT name FROM relay_endpoints ORDER BY name")]

    # -- subscribers --------------------------------------------------------------------
    def add_subscriber(
        self, name: str, token_hash: str, now: float, endpoints: Sequence[str] = ()
    ) -> None:
        with self.transaction(write=True) as tx:
            self._check_endpoints(tx, endpoints)
            row = tx.execute(
                "SELECT revoked_at FROM relay_subscribers WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[0] is None:
                raise AdminError(
                    f"Subscriber {name!r} already has a token; revoke it first "
                    f"(`subscriber revoke {name}`)."
                )
            if row is not None:
                tx.execute(
                    "UPDATE relay_subscribers SET token_hash = ?, revoked_at = NULL,"
                    " created_at = ? WHERE name = ?",
                    (token_hash, now, name),
                )
            else:
                tx.execute(
                    "INSERT INTO relay_subscribers(name, token_hash, created_at) VALUES (?, ?, ?)",
                    (name, token_hash, now),
                )
            # A fresh token starts with exactly the endpoints it was given.
            tx.execute("DELETE FROM relay_bindings WHERE subscriber = ?", (name,))
            for endpoint in endpoints:
                tx.execute(
                    "INSERT INTO relay_bindings(subscriber, endpoint) VALUES (?, ?)"
                    " ON CONFLICT (subscriber, endpoint) DO NOTHING",
                    (name, endpoint),
                )

    @staticmethod
    def _check_endpoints(tx: Conn, endpoints: Sequence[str]) -> None:
        known = {r[0] for r in tx.execute("SELECT name FROM relay_endpoints").fetchall()}
        missing = [e for e in endpoints if e not in known]
        if missing:
            raise AdminError(
                f"No endpoint named {missing[0]!r}; the endpoints are: "
                f"{', '.join(sorted(known)) or 'none yet (add one with `endpoint add`)'}."
            )

    def bind_subscriber(self, name: str, endpoints: Sequence[str], bind: bool) -> list[str]:
        """Add (bind=True) or remove endpoints from a subscriber; returns its new binding."""
        with self.transaction(write=True) as tx:
            row = tx.execute("SELECT 1 FROM relay_subscribers WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise AdminError(f"No subscriber named {name!r}; add it with `subscriber add`.")
            if bind:
                self._check_endpoints(tx, endpoints)
            for endpoint in endpoints:
                if bind:
                    tx.execute(
                        "INSERT INTO relay_bindings(subscriber, endpoint) VALUES (?, ?)"
                        " ON CONFLICT (subscriber, endpoint) DO NOTHING",
                        (name, endpoint),
                    )
                else:
                    tx.execute(
                        "DELETE FROM relay_bindings WHERE subscriber = ? AND endpoint = ?",
                        (name, endpoint),
                    )
            return self._endpoints_of(tx, name)

    @staticmethod
    def _endpoints_of(tx: Conn, name: str) -> list[str]:
        return [
            r[0]
            for r in tx.execute(
                "SELECT endpoint FROM relay_bindings WHERE subscriber = ? ORDER BY endpoint",
                (name,),
            ).fetchall()
        ]

    def subscriber_endpoints(self, name: str) -> list[str]:
        with self.transaction() as tx:
            return self._endpoints_of(tx, name)

    def list_subscribers(self) -> list[SubscriberInfo]:
        with self.transaction() as tx:
            rows = tx.execute(
                "SELECT name, revoked_at FROM relay_subscribers ORDER BY name"
            ).fetchall()
            return [SubscriberInfo(r[0], r[1] is None, self._endpoints_of(tx, r[0])) for r in rows]

    def revoke_subscriber(self, name: str, now: float) -> bool:
        with self.transaction(write=True) as tx:
            return (
                tx.execute(
                    "UPDATE relay_subscribers SET revoked_at = ?"
                    " WHERE name = ? AND revoked_at IS NULL",
                    (now, name),
                ).rowcount
                > 0
            )

    def active_subscribers(self) -> list[tuple[str, str]]:
        """(name, token_hash) of every subscriber that is not revoked."""
        with self.transaction() as tx:
            return [
                (r[0], r[1])
                for r in tx.execute(
                    "SELECT name, token_hash FROM relay_subscribers WHERE revoked_at IS NULL"
                ).fetchall()
            ]

    # -- forwarding ---------------------------------------------------------------------
    def add_forward_target(self, url: str, now: float) -> bool:
        with self.transaction(write=True) as tx:
            return (
                tx.execute(
                    "INSERT INTO relay_forward_targets(url, created_at) VALUES (?, ?)"
                    " ON CONFLICT (url) DO NOTHING",
                    (url, now),
                ).rowcount
                > 0
            )

    def remove_forward_target(self, url: str) -> bool:
        with self.transaction(write=True) as tx:
            row = tx.execute(
                "SELECT id FROM relay_forward_targets WHERE url = ?", (url,)
            ).fetchone()
            if row is None:
                return False
            tx.execute("DELETE FROM relay_outbox WHERE target_id = ?", (row[0],))
            tx.execute("DELETE FROM relay_forward_targets WHERE id = ?", (row[0],))
            return True

    def forward_targets(self) -> list[str]:
        with self.transaction() as tx:
            return [r[0] for r in tx.execute("SELECT url FROM relay_forward_targets ORDER BY id")]

    def claim_outbox(self, now: float, lease: float, limit: int) -> list[OutboxItem]:
        """Lease due deliveries: pushing next_attempt_at forward hides them from other
        instances until the lease ends, so a crashed forwarder's rows come back by themselves."""
        # Look first without the write lock: on SQLite an empty claim would otherwise take the
        # one write lock after every intake commit and halve intake throughput.
        with self.transaction() as tx:
            due = tx.execute(
                "SELECT 1 FROM relay_outbox WHERE next_attempt_at <= ? LIMIT 1", (now,)
            ).fetchone()
        if due is None:
            return []
        with self.transaction(write=True) as tx:
            ids = [
                r[0]
                for r in tx.execute(
                    "SELECT id FROM relay_outbox WHERE next_attempt_at <= ?"
                    f" ORDER BY id LIMIT ?{self._skip_locked()}",
                    (now, limit),
                ).fetchall()
            ]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            tx.execute(
                f"UPDATE relay_outbox SET next_attempt_at = ? WHERE id IN ({marks})",
                (now + lease, *ids),
            )
            rows = tx.execute(
                "SELECT o.id, t.url, o.attempts, e.seq, e.endpoint, e.received_at, e.payload"
                " FROM relay_outbox o JOIN relay_forward_targets t ON t.id = o.target_id"
                f" JOIN relay_events e ON e.seq = o.seq WHERE o.id IN ({marks}) ORDER BY o.id",
                tuple(ids),
            ).fetchall()
        return [
            OutboxItem(int(r[0]), r[1], int(r[2]), StoredEvent(int(r[3]), r[4], float(r[5]), r[6]))
            for r in rows
        ]

    def _skip_locked(self) -> str:
        return ""

    def outbox_done(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.transaction(write=True) as tx:
            marks = ",".join("?" * len(ids))
            tx.execute(f"DELETE FROM relay_outbox WHERE id IN ({marks})", tuple(ids))

    def outbox_retry(self, item_id: int, attempts: int, next_at: float, error: str) -> None:
        with self.transaction(write=True) as tx:
            tx.execute(
                "UPDATE relay_outbox SET attempts = ?, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                (attempts, next_at, error[:500], item_id),
            )

    def outbox_depth(self) -> int:
        with self.transaction() as tx:
            return int(tx.execute("SELECT COUNT(*) FROM relay_outbox").fetchone()[0])


def open_store(url: str) -> RelayStore:
    """`sqlite:///path`, a bare file path, or `postgresql://...`."""
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from ninja_desk.relay.store_postgres import PostgresStore

        return PostgresStore(url.replace("postgresql+psycopg://", "postgresql://", 1))
    from ninja_desk.relay.store_sqlite import SqliteStore

    if url.startswith("sqlite:///"):
        return SqliteStore(url.removeprefix("sqlite:///"))
    if url.startswith("sqlite://"):
        raise AdminError("Give a SQLite file as sqlite:///path/to/relay.db (three slashes).")
    if "://" in url:
        scheme = url.split("://")[0]
        raise AdminError(f"Unsupported database URL {scheme}://; use sqlite or postgresql.")
    return SqliteStore(url)
