"""The alerts table: cached NinjaOne alerts with their device, client and ticket.

The SQL and the filter are cache/queries/alerts.py's; this model pages, sorts and formats."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ninja_desk.cache.queries import alerts as aq
from ninja_desk.cache.queries.alerts import AlertFilter
from ninja_desk.ui.formatting import severity_text
from ninja_desk.ui.models.paged_sql import PagedSqlModel, SqlColumn, format_time

SEVERITY_COLOURS: dict[str, str] = {
    "CRITICAL": "#c62828",
    "MAJOR": "#ef6c00",
    "MODERATE": "#f9a825",
    "MINOR": "#1976d2",
    "NONE": "#9e9e9e",
}


class AlertTableModel(PagedSqlModel):
    columns = (
        SqlColumn("severity", "Severity", aq.SEVERITY_RANK_SQL),
        SqlColumn("device_name", "Device", "d.name COLLATE NOCASE"),
        SqlColumn("org_name", "Client", "o.name COLLATE NOCASE"),
        SqlColumn("message", "Message", "a.message COLLATE NOCASE"),
        SqlColumn("create_time", "Triggered", "a.create_time"),
        SqlColumn("status", "Status", "a.status"),
        SqlColumn("ticket_number", "Ticket", "a.ticket_number"),
    )
    tie_breaker = "a.uid"
    initial_sort = (4, True)  # newest first: what a technician opens the alert list for

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.filter = AlertFilter()

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return aq.alert_rows_sql(self.filter)

    def load_one(self, uid: str) -> dict[str, Any] | None:
        """One alert with the same columns, whatever the filters say."""
        sql, params = aq.one_alert_sql(uid)
        found = self.cache.rows(sql, **params)
        return found[0] if found else None

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "create_time":
            return format_time(row.get("create_time"))
        if key == "severity":
            return severity_text(row.get("severity"))
        if key == "status":
            return status_text(row)
        if key == "device_name" and not row.get("device_name"):
            return f"Device {row['device_id']}" if row.get("device_id") else ""
        if key == "message":
            return " ".join(str(row.get("message") or "").split())
        return super().cell_text(row, key)

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        if key == "severity" and role == Qt.ItemDataRole.DecorationRole:
            return QColor(SEVERITY_COLOURS.get((row.get("severity") or "NONE").upper(), "#9e9e9e"))
        if key == "severity" and role == Qt.ItemDataRole.ToolTipRole:
            return f"Severity: {severity_text(row.get('severity'))}"
        if key == "message" and role == Qt.ItemDataRole.ToolTipRole:
            return row.get("message") or ""
        return None


def status_text(row: dict[str, Any]) -> str:
    if row.get("status") == "RESET":
        return "Reset"
    if row.get("acknowledged_at"):
        return "Acknowledged"
    return "Triggered"
