"""The alerts table: cached NinjaOne alerts with their device, client and ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ninja_desk.ui.models.alert_paged_sql import PagedSqlModel, SqlColumn, format_time

SEVERITY_COLOURS: dict[str, str] = {
    "CRITICAL": "#c62828",
    "MAJOR": "#ef6c00",
    "MODERATE": "#f9a825",
    "MINOR": "#1976d2",
    "NONE": "#9e9e9e",
}
# The severity column sorts by rank, not alphabetically.
_SEVERITY_RANK_SQL = (
    "CASE upper(coalesce(a.severity, 'NONE')) WHEN 'CRITICAL' THEN 4 WHEN 'MAJOR' THEN 3 "
    "WHEN 'MODERATE' THEN 2 WHEN 'MINOR' THEN 1 ELSE 0 END"
)
STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("open", "Open (triggered)"),
    ("unacknowledged", "Open, not acknowledged"),
    ("reset", "Reset"),
    ("all", "All"),
)


@dataclass
class AlertFilter:
    severities: frozenset[str] = field(default_factory=frozenset)  # empty = all
    status: str = "open"  # one of STATUS_CHOICES
    organization_id: int | None = None
    device_id: int | None = None
    device_text: str = ""
    text: str = ""

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AlertFilter:
        severity = values.get("severity", values.get("severities"))
        if isinstance(severity, str):
            severity = [severity]
        org = values.get("organization_id", values.get("client"))
        return cls(
            severities=frozenset(s.upper() for s in (severity or ())),
            status=str(values.get("status", "open")).lower(),
            organization_id=int(org) if org is not None else None,
            device_id=int(values["device_id"]) if values.get("device_id") is not None else None,
            device_text=str(values.get("device", "") or ""),
            text=str(values.get("text", "") or ""),
        )


class AlertTableModel(PagedSqlModel):
    columns = (
        SqlColumn("severity", "Severity", _SEVERITY_RANK_SQL),
        SqlColumn("device_name", "Device", "d.name COLLATE NOCASE"),
        SqlColumn("org_name", "Client", "o.name COLLATE NOCASE"),
        SqlColumn("message", "Message", "a.message COLLATE NOCASE"),
        SqlColumn("create_time", "Triggered", "a.create_time"),
        SqlColumn("status", "Status", "a.status"),
        SqlColumn("ticket_number", "Ticket", "a.ticket_number"),
    )
    tie_breaker = "a.uid"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.filter = AlertFilter()
        # Newest first is what a technician opens the alert list for.
        self.sort_column = 4
        self.sort_descending = True

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        f = self.filter
        if f.severities:
            names = sorted(f.severities)
            keys = [f"sev{i}" for i in range(len(names))]
            where.append(
                f"upper(coalesce(a.severity, 'NONE')) IN ({', '.join(':' + k for k in keys)})"
            )
            params.update(zip(keys, names, strict=True))
        if f.status == "open":
            where.append("a.status = 'TRIGGERED'")
        elif f.status == "unacknowledged":
            where.append("a.status = 'TRIGGERED' AND a.acknowledged_at IS NULL")
        elif f.status == "reset":
            where.append("a.status = 'RESET'")
        if f.organization_id is not None:
            where.append("d.organization_id = :org")
            params["org"] = f.organization_id
        if f.device_id is not None:
            where.append("a.device_id = :device_id")
            params["device_id"] = f.device_id
        if f.device_text.strip():
            where.append("d.name LIKE :device_text")
            params["device_text"] = f"%{f.device_text.strip()}%"
        if f.text.strip():
            where.append("a.message LIKE :text")
            params["text"] = f"%{f.text.strip()}%"
        sql = (
            "SELECT a.uid, a.device_id, a.message, a.severity, a.priority, a.source_type,"
            " a.condition_name, a.create_time, a.update_time, a.status, a.resolved_at,"
            " a.acknowledged_at, a.acknowledged_by, a.ticket_id, a.ticket_number, a.decision,"
            " d.name AS device_name, d.organization_id, o.name AS org_name"
            " FROM alerts a"
            " LEFT JOIN devices d ON d.id = a.device_id"
            " LEFT JOIN organizations o ON o.id = d.organization_id"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql, params

    def load_one(self, uid: str) -> dict[str, Any] | None:
        """One alert with the same columns, whatever the filters say."""
        kept, self.filter = self.filter, AlertFilter(status="all")
        try:
            sql, params = self.select_sql()
        finally:
            self.filter = kept
        found = self.cache.rows(f"{sql} WHERE a.uid = :uid", **params, uid=uid)
        return found[0] if found else None

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "create_time":
            return format_time(row.get("create_time"))
        if key == "severity":
            return (row.get("severity") or "NONE").title()
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
        if key == "message" and role == Qt.ItemDataRole.ToolTipRole:
            return row.get("message") or ""
        return None


def status_text(row: dict[str, Any]) -> str:
    if row.get("status") == "RESET":
        return "Reset"
    if row.get("acknowledged_at"):
        return "Acknowledged"
    return "Triggered"
