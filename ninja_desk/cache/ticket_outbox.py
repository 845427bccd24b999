"""The offline queue of a technician's ticket edits, kept in the local cache.

Every edit made in the ticket view is written here first (one row, `seq` giving the order) and
sent to the PSA from here (sync/ticket_edit_service.py), so an edit made while Alga's database
is unreachable survives a restart and goes out once it is back. A row ends `sent`, or set aside
as `conflict` (someone changed the same field meanwhile) or `refused` (rights, close rules, a
vanished ticket) with one sentence for the UI, until the technician discards or redoes it.

The cache is disposable: on a schema change or corruption it is moved aside and rebuilt
(cache/database.py). What the technician did is not: `recover_moved_aside` copies unsent rows
from the files moved aside into the new cache (by `edit_id`, so twice is harmless).

Writes take a connection (run them through `LocalCache.write`, the one writer); reads take the
cache and are safe from any thread.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from ninja_desk.cache.schema import ticket_outbox

if TYPE_CHECKING:
    from ninja_desk.cache.store import LocalCache

log = logging.getLogger(__name__)

PENDING = "pending"
SENT = "sent"
CONFLICT = "conflict"
REFUSED = "refused"
SET_ASIDE = (CONFLICT, REFUSED)
UNSENT = (PENDING, CONFLICT, REFUSED)

_COLUMNS = tuple(c.name for c in ticket_outbox.columns)
_KEEP_SENT_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class QueuedEdit:
    seq: int
    edit_id: str
    tenant: str
    user_id: str
    ticket_id: str
    ticket_number: str | None
    kind: str
    value: str | None
    value_label: str | None
    expected: str | None
    expected_label: str | None
    is_internal: bool
    is_resolution: bool
    reply_to: str | None
    close_anyway: bool
    reason: str | None
    made_at: float
    state: str
    attempts: int
    last_error: str | None
    message: str | None
    current_value: str | None
    current_label: str | None
    can_override: bool
    sent_at: float | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> QueuedEdit:
        values = {name: row[name] for name in _COLUMNS}
        for flag in ("is_internal", "is_resolution", "close_anyway", "can_override"):
            values[flag] = bool(values[flag])
        return cls(**values)

    def describe(self) -> str:
        """One line for the UI: what this edit does."""
        number = self.ticket_number or "the ticket"
        if self.kind == "comment":
            kind = "internal note" if self.is_internal else "public comment"
            text = (self.value or "").strip().splitlines()[0] if self.value else ""
            short = text if len(text) <= 60 else text[:57] + "…"
            return f"{kind.capitalize()} on {number}: “{short}”"
        new = self.value_label or ("Unassigned" if self.kind == "assignee" else "empty")
        return f"{self.kind.capitalize()} of {number} → {new}"


# -- writes (on the cache writer) ------------------------------------------------------------------


def enqueue(
    conn: Connection,
    edit: Any,
    *,
    tenant: uuid.UUID | str,
    user_id: uuid.UUID | str,
    ticket_number: str | None = None,
    value_label: str | None = None,
    expected_label: str | None = None,
) -> int:
    """Queue one edit (a psa.ticket_edits.TicketEdit, read by its attributes: the cache imports
    nothing above core); returns its place in the queue (queued twice, it keeps its place)."""
    result = conn.exec_driver_sql(
        "INSERT INTO ticket_outbox (edit_id, tenant, user_id, ticket_id, ticket_number, kind, "
        "value, value_label, expected, expected_label, is_internal, is_resolution, reply_to, "
        "close_anyway, reason, made_at, state) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending') "
        "ON CONFLICT(edit_id) DO NOTHING",
        (
            str(edit.edit_id),
            str(tenant),
            str(user_id),
            str(edit.ticket_id),
            ticket_number,
            edit.kind,
            edit.value,
            value_label,
            edit.expected,
            expected_label,
            int(edit.is_internal),
            int(edit.is_resolution),
            str(edit.reply_to) if edit.reply_to else None,
            int(edit.close_anyway),
            edit.reason,
            time.time(),
        ),
    )
    if result.rowcount:
        return int(result.lastrowid)
    return int(
        conn.exec_driver_sql(
            "SELECT seq FROM ticket_outbox WHERE edit_id = ?", (str(edit.edit_id),)
        ).scalar_one()
    )


def mark_sent(conn: Connection, edit_id: str) -> None:
    conn.exec_driver_sql(
        "UPDATE ticket_outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, "
        "last_error = NULL, message = NULL WHERE edit_id = ?",
        (time.time(), edit_id),
    )


def mark_attempt_failed(conn: Connection, edit_id: str, error: str) -> None:
    """A send that did not reach a verdict (PSA unreachable, a database error): still pending."""
    conn.exec_driver_sql(
        "UPDATE ticket_outbox SET attempts = attempts + 1, last_error = ? "
        "WHERE edit_id = ? AND state = 'pending'",
        (error[:1000], edit_id),
    )


def set_aside(
    conn: Connection,
    edit_id: str,
    state: str,
    message: str | None,
    *,
    current_value: str | None = None,
    current_label: str | None = None,
    can_override: bool = False,
) -> None:
    if state not in SET_ASIDE:
        raise ValueError(f"Cannot set an edit aside as {state!r}.")
    conn.exec_driver_sql(
        "UPDATE ticket_outbox SET state = ?, message = ?, current_value = ?, current_label = ?, "
        "can_override = ?, attempts = attempts + 1, last_error = NULL WHERE edit_id = ?",
        (state, message, current_value, current_label, int(can_override), edit_id),
    )


def discard(conn: Connection, edit_id: str) -> bool:
    """Drop an unsent edit (the technician's choice for a conflict or a refusal)."""
    result = conn.exec_driver_sql(
        "DELETE FROM ticket_outbox WHERE edit_id = ? AND state != 'sent'", (edit_id,)
    )
    return bool(result.rowcount)


def prune_sent(conn: Connection, older_than: float = _KEEP_SENT_SECONDS) -> int:
    result = conn.exec_driver_sql(
        "DELETE FROM ticket_outbox WHERE state = 'sent' AND sent_at < ?",
        (time.time() - older_than,),
    )
    return int(result.rowcount or 0)


def store_detail(conn: Connection, tenant: uuid.UUID | str, ticket_id: str, data: str) -> None:
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO psa_ticket_details (ticket_id, tenant, data, fetched_at) "
        "VALUES (?, ?, ?, ?)",
        (ticket_id, str(tenant), data, time.time()),
    )


# -- reads -----------------------------------------------------------------------------------------


def _select(where: str = "", order: str = "seq") -> str:
    return f"SELECT {', '.join(_COLUMNS)} FROM ticket_outbox {where} ORDER BY {order}"


def pending(cache: LocalCache, tenant: uuid.UUID | str | None = None) -> list[QueuedEdit]:
    """Edits waiting to be sent, oldest first."""
    if tenant is None:
        rows = cache.rows(_select("WHERE state = 'pending'"))
    else:
        rows = cache.rows(_select("WHERE state = 'pending' AND tenant = :t"), t=str(tenant))
    return [QueuedEdit.from_row(r) for r in rows]


def unsent(cache: LocalCache, ticket_id: str | None = None) -> list[QueuedEdit]:
    """Pending and set-aside edits (of one ticket), oldest first: what the UI shows."""
    states = "state IN ('pending', 'conflict', 'refused')"
    if ticket_id is None:
        rows = cache.rows(_select(f"WHERE {states}"))
    else:
        rows = cache.rows(_select(f"WHERE {states} AND ticket_id = :t"), t=ticket_id)
    return [QueuedEdit.from_row(r) for r in rows]


def get(cache: LocalCache, edit_id: str) -> QueuedEdit | None:
    rows = cache.rows(_select("WHERE edit_id = :e"), e=edit_id)
    return QueuedEdit.from_row(rows[0]) if rows else None


def counts(cache: LocalCache) -> dict[str, int]:
    rows = cache.rows("SELECT state, count(*) AS n FROM ticket_outbox GROUP BY state")
    return {r["state"]: int(r["n"]) for r in rows}


def load_detail(cache: LocalCache, ticket_id: str) -> tuple[str, float] | None:
    rows = cache.rows(
        "SELECT data, fetched_at FROM psa_ticket_details WHERE ticket_id = :t", t=ticket_id
    )
    return (rows[0]["data"], float(rows[0]["fetched_at"])) if rows else None


def detailed_ticket_ids(cache: LocalCache) -> set[str]:
    return {r["ticket_id"] for r in cache.rows("SELECT ticket_id FROM psa_ticket_details")}


# -- surviving a rebuilt cache ---------------------------------------------------------------------


def moved_aside_files(path: Path) -> list[Path]:
    """Cache files that cache/database.py moved aside (`<name>.<reason>-<stamp>`), oldest first."""
    return sorted(
        (p for p in path.parent.glob(f"{path.name}.*-*") if p.is_file()),
        key=lambda p: p.stat().st_mtime,
    )


def recover_moved_aside(cache: LocalCache) -> int:
    """Copy unsent edits from moved-aside cache files into this cache; returns how many were new.

    Blocking (reads other files, then one write): call it off the UI thread, once at start.
    """
    found: list[tuple[Any, ...]] = []
    harvested = {
        r["key"]
        for r in cache.rows("SELECT key FROM meta WHERE key LIKE 'ticket_outbox_recovered:%'")
    }
    files = [
        old
        for old in moved_aside_files(cache.path)
        if f"ticket_outbox_recovered:{old.name}" not in harvested
    ]
    for old in files:
        try:
            conn = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
        except sqlite3.Error:
            continue
        try:
            have = {r[1] for r in conn.execute("PRAGMA table_info(ticket_outbox)").fetchall()} >= {
                "edit_id",
                "tenant",
                "user_id",
                "ticket_id",
                "kind",
                "made_at",
                "state",
            }
            if not have:
                continue
            columns = [r[1] for r in conn.execute("PRAGMA table_info(ticket_outbox)").fetchall()]
            wanted = [c for c in _COLUMNS if c in columns and c != "seq"]
            rows = conn.execute(
                f"SELECT {', '.join(wanted)} FROM ticket_outbox "
                "WHERE state IN ('pending', 'conflict', 'refused') ORDER BY seq"
            ).fetchall()
            found.extend((tuple(wanted), row) for row in rows)
        except sqlite3.Error as exc:  # a corrupt file may still hold nothing readable
            log.warning("Could not read queued ticket edits from %s: %s", old, exc)
        finally:
            conn.close()
    if not files:
        return 0

    def write(conn: Connection) -> int:
        # Each moved-aside file once: an edit recovered, sent and pruned never comes back.
        for old in files:
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (f"ticket_outbox_recovered:{old.name}", str(time.time())),
            )
        added = 0
        for columns, row in found:
            placeholders = ", ".join("?" for _ in columns)
            result = conn.exec_driver_sql(
                f"INSERT INTO ticket_outbox ({', '.join(columns)}) VALUES ({placeholders}) "
                "ON CONFLICT(edit_id) DO NOTHING",
                tuple(row),
            )
            added += int(result.rowcount or 0)
        return added

    added = cache.write_blocking(write)
    if added:
        log.info("Recovered %d unsent ticket edit(s) from a rebuilt local cache.", added)
    return added
