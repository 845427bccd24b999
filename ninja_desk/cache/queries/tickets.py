"""PSA tickets from the cache's mirror (psa_tickets, psa_ticket_devices): the ticket list's
filter and rows, one ticket's devices and alerts, one device's tickets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ninja_desk.cache.queries.text import like_pattern

TICKET_STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("open", "Open"),
    ("closed", "Closed"),
    ("all", "All"),
)
# Alga's own flag: a tenant's closed status may be called anything ("Enchanted Closure").
CLOSED_TICKET_SQL = "coalesce(t.is_closed, 0) = 1"
TICKET_EXISTS_SQL = "SELECT 1 FROM psa_tickets WHERE id = :t"
ANY_TICKET_SQL = "SELECT 1 FROM psa_tickets LIMIT 1"
# Ticket id -> number, to show numbers where history names ticket ids.
TICKET_NUMBERS_SQL = "SELECT id, number FROM psa_tickets WHERE number IS NOT NULL"


@dataclass
class TicketFilter:
    status: str = "open"
    text: str = ""  # number, title or client
    device_id: int | None = None


def ticket_rows_sql(f: TicketFilter) -> tuple[str, dict[str, Any]]:
    """The tickets the filter keeps, with how many devices each links (no ORDER BY)."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if f.status == "open":
        where.append(f"NOT {CLOSED_TICKET_SQL}")
    elif f.status == "closed":
        where.append(CLOSED_TICKET_SQL)
    if f.text.strip():
        where.append(
            "(t.number LIKE :q ESCAPE '\\' OR t.title LIKE :q ESCAPE '\\'"
            " OR t.client_name LIKE :q ESCAPE '\\')"
        )
        params["q"] = like_pattern(f.text.strip())
    if f.device_id is not None:
        where.append("t.id IN (SELECT ticket_id FROM psa_ticket_devices WHERE device_id = :device)")
        params["device"] = f.device_id
    sql = (
        "SELECT t.id, t.number, t.title, t.status, t.priority, t.client_id, t.client_name,"
        " t.alert_uid, t.created_at, t.updated_at,"
        " (SELECT COUNT(*) FROM psa_ticket_devices l WHERE l.ticket_id = t.id) AS devices"
        " FROM psa_tickets t"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql, params


# A device as a ticket shows it (linked or named by the ticket's alert).
_DEVICE_COLUMNS = "d.name, d.node_class, d.offline, d.deleted, d.last_contact, o.name AS org_name"
LINKED_DEVICES_SQL = (
    f"SELECT l.device_id, l.device_id AS id, {_DEVICE_COLUMNS} FROM psa_ticket_devices l"
    " LEFT JOIN devices d ON d.id = l.device_id"
    " LEFT JOIN organizations o ON o.id = d.organization_id"
    " WHERE l.ticket_id = :t ORDER BY d.name COLLATE NOCASE"
)
DEVICE_SQL = (
    f"SELECT d.id AS device_id, d.id, {_DEVICE_COLUMNS} FROM devices d"
    " LEFT JOIN organizations o ON o.id = d.organization_id WHERE d.id = :d"
)
LINKED_ALERTS_SQL = (
    "SELECT uid, severity, message, status, create_time FROM alerts"
    " WHERE ticket_id = :t OR uid = :a ORDER BY create_time DESC"
)


def linked_devices(cache: Any, ticket_id: str) -> list[dict[str, Any]]:
    return list(cache.rows(LINKED_DEVICES_SQL, t=ticket_id))


def linked_alerts(cache: Any, ticket_id: str, alert_uid: str | None) -> list[dict[str, Any]]:
    return list(cache.rows(LINKED_ALERTS_SQL, t=ticket_id, a=alert_uid or ""))


# One device's tickets (the device panel), and its open ones (to add an alert to).
DEVICE_TICKETS_SQL = (
    "SELECT t.rowid AS rowid, t.id, t.number, t.title, t.status, t.priority, t.updated_at,"
    " t.alert_uid FROM psa_tickets t JOIN psa_ticket_devices td ON td.ticket_id = t.id"
    " WHERE td.device_id = :device_id"
)
DEVICE_OPEN_TICKETS_SQL = (
    "SELECT t.id, t.number, t.title FROM psa_tickets t JOIN psa_ticket_devices td"
    f" ON td.ticket_id = t.id WHERE td.device_id = :id AND NOT {CLOSED_TICKET_SQL}"
    " ORDER BY t.updated_at DESC"
)
