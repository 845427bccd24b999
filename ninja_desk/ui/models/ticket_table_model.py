"""PSA tickets from the cache mirror (psa_tickets), with how many devices each links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt

from ninja_desk.ui.models.alert_paged_sql import PagedSqlModel, SqlColumn, format_time

TICKET_STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("open", "Open"),
    ("closed", "Closed"),
    ("all", "All"),
)
# Alga's own flag: a tenant's closed status may be called anything ("Enchanted Closure").
_CLOSED = "coalesce(t.is_closed, 0) = 1"


@dataclass
class TicketFilter:
    status: str = "open"
    text: str = ""  # number, title or client
    device_id: int | None = None


class TicketTableModel(PagedSqlModel):
    columns = (
        # Numbers may carry the tenant's prefix (TIC000042): shorter first, then as text.
        SqlColumn("number", "Ticket", "length(t.number)|t.number"),
        SqlColumn("title", "Title", "t.title COLLATE NOCASE"),
        SqlColumn("client_name", "Client", "t.client_name COLLATE NOCASE"),
        SqlColumn("status", "Status", "t.status"),
        SqlColumn("priority", "Priority", "t.priority"),
        SqlColumn("devices", "Devices", "devices"),
        SqlColumn("updated_at", "Updated", "t.updated_at"),
    )
    tie_breaker = "t.id"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.filter = TicketFilter()
        self.sort_column = 6
        self.sort_descending = True

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        if self.filter.status == "open":
            where.append(f"NOT {_CLOSED}")
        elif self.filter.status == "closed":
            where.append(_CLOSED)
        if self.filter.text.strip():
            where.append("(t.number LIKE :q OR t.title LIKE :q OR t.client_name LIKE :q)")
            params["q"] = f"%{self.filter.text.strip()}%"
        if self.filter.device_id is not None:
            where.append(
                "t.id IN (SELECT ticket_id FROM psa_ticket_devices WHERE device_id = :device)"
            )
            params["device"] = self.filter.device_id
        sql = (
            "SELECT t.id, t.number, t.title, t.status, t.priority, t.client_id, t.client_name,"
            " t.alert_uid, t.created_at, t.updated_at,"
            " (SELECT COUNT(*) FROM psa_ticket_devices l WHERE l.ticket_id = t.id) AS devices"
            " FROM psa_tickets t"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql, params

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        text = ticket_cell_text(row, key)
        return super().cell_text(row, key) if text is None else text

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        return ticket_role_data(row, key, role)


def ticket_cell_text(row: dict[str, Any], key: str) -> str | None:
    """How a ticket list shows number, priority and time (None: the column's plain value).
    Shared by every list of tickets (Tickets view, a client's page)."""
    if key == "number":
        number = str(row.get("number") or "")
        if not number:
            return str(row.get("id") or "")
        return f"#{number}" if number.isdigit() else number
    if key == "priority":  # the tenant's own name ("P1 - Critical"), as Alga shows it
        return str(row.get("priority") or "")
    if key == "updated_at":
        return format_time(row.get("updated_at") or row.get("created_at"))
    return None


def ticket_role_data(row: dict[str, Any], key: str, role: int) -> Any:
    if key == "devices" and role == Qt.ItemDataRole.TextAlignmentRole:
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if key == "title" and role == Qt.ItemDataRole.ToolTipRole:
        return row.get("title") or ""
    return None


def linked_devices(cache: Any, ticket_id: str) -> list[dict[str, Any]]:
    return cache.rows(
        "SELECT l.device_id, l.device_id AS id, d.name, d.node_class, d.offline, d.deleted,"
        " d.last_contact,"
        " o.name AS org_name"
        " FROM psa_ticket_devices l"
        " LEFT JOIN devices d ON d.id = l.device_id"
        " LEFT JOIN organizations o ON o.id = d.organization_id"
        " WHERE l.ticket_id = :t ORDER BY d.name COLLATE NOCASE",
        t=ticket_id,
    )


def linked_alerts(cache: Any, ticket_id: str, alert_uid: str | None) -> list[dict[str, Any]]:
    return cache.rows(
        "SELECT uid, severity, message, status, create_time FROM alerts"
        " WHERE ticket_id = :t OR uid = :a ORDER BY create_time DESC",
        t=ticket_id,
        a=alert_uid or "",
    )
