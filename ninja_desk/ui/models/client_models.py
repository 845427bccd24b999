"""The clients list and a client page's devices and open tickets (SQL from
cache/queries/clients.py, paged like every big table)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ninja_desk.cache.queries import clients as cq
from ninja_desk.ui.formatting import ago
from ninja_desk.ui.models.alert_paged_sql import SqlColumn
from ninja_desk.ui.models.async_paged import AsyncPagedSqlModel
from ninja_desk.ui.models.ticket_table_model import ticket_cell_text, ticket_role_data
from ninja_desk.ui.theme import BAD, MUTED

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_SEVERITY_NAMES = {4: "Critical", 3: "Major", 2: "Moderate", 1: "Minor"}


class ClientListModel(AsyncPagedSqlModel):
    columns = (
        SqlColumn("name", "Client", "o.name COLLATE NOCASE"),
        SqlColumn("devices", "Devices", "devices"),
        SqlColumn("offline", "Offline", "offline"),
        SqlColumn("alerts", "Alerts", "alerts"),
    )
    numeric = frozenset({"devices", "offline", "alerts"})
    tie_breaker = "o.id"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.search = ""

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return cq.client_list_sql(self.search)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key in self.numeric:
            return f"{int(row.get(key) or 0):,}"
        return super().cell_text(row, key)

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and key in self.numeric:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and key == "name":
            return row.get("name")  # the whole name when a narrow list elides it
        return None


class ClientDevicesModel(AsyncPagedSqlModel):
    columns = (
        SqlColumn("name", "Device", "d.name COLLATE NOCASE"),
        SqlColumn("offline", "Status", "coalesce(d.offline, 2)"),
        SqlColumn("active_alerts", "Alerts", "d.max_alert_severity|d.active_alerts"),
        SqlColumn("pending", "Pending", "pending"),
        SqlColumn("failed", "Failed", "failed"),
        SqlColumn("last_contact", "Last seen", "d.last_contact"),
        SqlColumn("os_name", "OS", "d.os_name COLLATE NOCASE"),
    )
    numeric = frozenset({"pending", "failed"})
    tie_breaker = "d.id"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.org_id = 0
        self._now = time.time()

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return cq.client_devices_sql(self.org_id)

    def reload_async(self) -> None:
        self._now = time.time()
        super().reload_async()

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "offline":
            offline = row.get("offline")
            return "Offline" if offline == 1 else "Online" if offline == 0 else "Unknown"
        if key == "active_alerts":
            n = int(row.get("active_alerts") or 0)
            worst = _SEVERITY_NAMES.get(int(row.get("max_alert_severity") or 0), "")
            return f"{n} · {worst}" if n and worst else (str(n) if n else "")
        if key in self.numeric:
            return str(row.get(key) or "") if row.get(key) else ""
        if key == "last_contact":
            return ago(row.get("last_contact"), self._now)
        if key == "os_name":
            return str(row.get("os_name") or "—")
        return super().cell_text(row, key)

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and key in self.numeric:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "offline" and row.get("offline") != 0:
                return QColor(MUTED)
            if key == "failed" and row.get("failed"):
                return QColor(BAD)
        return None


class ClientTicketsModel(AsyncPagedSqlModel):
    columns = (
        SqlColumn("number", "Ticket", "length(t.number)|t.number"),
        SqlColumn("title", "Title", "t.title COLLATE NOCASE"),
        SqlColumn("status", "Status", "t.status"),
        SqlColumn("priority", "Priority", "t.priority"),
        SqlColumn("devices", "Devices", "devices"),
        SqlColumn("updated_at", "Updated", "t.updated_at"),
    )
    tie_breaker = "t.id"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.org_id = 0
        self.sort_column = 5
        self.sort_descending = True

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return cq.open_tickets_sql(self.org_id)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        text = ticket_cell_text(row, key)
        return super().cell_text(row, key) if text is None else text

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        return ticket_role_data(row, key, role)
