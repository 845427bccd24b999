"""The local cache's copy of what lives in the PSA: alert decisions, tickets, clients.

The alert pipeline (sync/alert_mirror.py) and the PSA mirror (sync/psa_mirror.py,
sync/ticket_edit_service.py) write these rows so the desktop shows a series' decision and its
ticket, the ticket list and the client choices offline. The PSA stays the truth: every write here
is an idempotent upsert that the next mirror run may repeat, and none of them deletes what the
PSA may still have (a ticket's device links excepted, which are replaced as a whole).

Each function takes an open Connection inside the cache's one writer transaction (run it through
`LocalCache.write` / `write_blocking`); none commits. Plain SQL through `exec_driver_sql` like
cache/writes.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Connection

# The cache's `alerts.status` (NinjaOne's words): a series is open until it is reset.
TRIGGERED = "TRIGGERED"
RESET = "RESET"


class PsaTicketRow(TypedDict):
    """One PSA ticket as the cache mirrors it (`psa_tickets` plus its `psa_ticket_devices`)."""

    id: str  # the PSA ticket id (a UUID as text)
    number: str | None
    title: str | None
    status: str | None
    is_closed: NotRequired[int]  # 0/1; absent reads as open
    priority: str | None
    client_id: str | None
    client_name: str | None  # also kept in `psa_clients` when known
    alert_uid: str | None  # the first alert series that opened or joined the ticket
    created_at: float | None  # epoch seconds
    updated_at: float | None
    devices: list[int]  # NinjaOne device ids of the ticket's linked assets


# -- alerts: the pipeline's verdict on a series ---------------------------------------------


def upsert_alert_series(
    conn: Connection, uid: str, device_id: int | None, severity: str | None, *, resolved: bool
) -> None:
    """Make sure the series has an `alerts` row before its decision is written: the pipeline
    may decide on a series (a webhook) before a sync has cached the alert. An existing row keeps
    its device and status; its severity is replaced only by a known one, so an unknown severity
    (None, NinjaOne has not said) never hides what the cache already knows."""
    conn.exec_driver_sql(
        "INSERT INTO alerts (uid, device_id, severity, status) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(uid) DO UPDATE SET severity = coalesce(excluded.severity, severity)",
        (uid, device_id, severity, RESET if resolved else TRIGGERED),
    )


def set_alert_decision(
    conn: Connection,
    uid: str,
    decision: Mapping[str, Any] | None,
    ticket_id: str | None,
    ticket_number: str | None,
) -> None:
    """The rule decision (kept as JSON text) and the ticket the series opened or joined. Written
    whole, not coalesced: the pipeline's latest word replaces the previous one, None included."""
    conn.exec_driver_sql(
        "UPDATE alerts SET decision = ?, ticket_id = ?, ticket_number = ? WHERE uid = ?",
        (json.dumps(decision) if decision is not None else None, ticket_id, ticket_number, uid),
    )


def mark_alert_resolved(conn: Connection, uid: str, at: float) -> None:
    """The series was reset (NinjaOne, or resolved in NinjaDesk). The first resolution time is
    kept: a repeated reset does not move it."""
    conn.exec_driver_sql(
        "UPDATE alerts SET status = 'RESET', resolved_at = coalesce(resolved_at, ?) WHERE uid = ?",
        (at, uid),
    )


def mark_alert_acknowledged(conn: Connection, uid: str, at: float, by: str | None) -> None:
    """The series was acknowledged. The first acknowledgement time stays; the name is replaced
    only by a known one (the desktop's alert service passes its user; the agent's mirror
    passes None and must not erase a name the desktop wrote)."""
    conn.exec_driver_sql(
        "UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, ?), "
        "acknowledged_by = coalesce(?, acknowledged_by) WHERE uid = ?",
        (at, by, uid),
    )


# -- PSA tickets and clients ----------------------------------------------------------------


def upsert_psa_tickets(conn: Connection, rows: Iterable[PsaTicketRow]) -> None:
    """Each ticket's row replaced whole (the PSA's copy is complete), its device links replaced
    by the given ones, and its client's name kept for the client choices."""
    for t in rows:
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO psa_tickets (id, number, title, status, is_closed, priority, "
            "client_id, client_name, alert_uid, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                t["id"],
                t["number"],
                t["title"],
                t["status"],
                t.get("is_closed", 0),
                t["priority"],
                t["client_id"],
                t["client_name"],
                t["alert_uid"],
                t["created_at"],
                t["updated_at"],
            ),
        )
        replace_ticket_devices(conn, t["id"], t["devices"])
        if t["client_id"] and t["client_name"]:
            upsert_psa_clients(conn, [(t["client_id"], t["client_name"])])


def replace_ticket_devices(conn: Connection, ticket_id: str, device_ids: Sequence[int]) -> None:
    """The ticket's linked devices become exactly `device_ids`: an asset unlinked in the PSA
    disappears from the device's ticket list. A repeated id is written once."""
    conn.exec_driver_sql("DELETE FROM psa_ticket_devices WHERE ticket_id = ?", (ticket_id,))
    if device_ids:
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO psa_ticket_devices (ticket_id, device_id) VALUES (?, ?)",
            [(ticket_id, d) for d in device_ids],
        )


def upsert_psa_clients(conn: Connection, clients: Sequence[tuple[str, str]]) -> None:
    """`(id, name)` pairs; a renamed client replaces its old name. Nothing is deleted:
    a client removed in the PSA stays among the choices until the cache is rebuilt."""
    if clients:
        conn.exec_driver_sql("INSERT OR REPLACE INTO psa_clients (id, name) VALUES (?, ?)", clients)
