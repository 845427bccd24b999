"""Small SQL-backed tables for the device detail panel: alerts, patches, software, tickets.

The SQL is cache/queries's; each table is the shared paged model scoped to one device."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from ninja_desk.cache.queries import software as sq
from ninja_desk.cache.queries.alerts import DEVICE_ALERTS_SQL
from ninja_desk.cache.queries.device_detail import DEVICE_PATCHES_SQL
from ninja_desk.cache.queries.tickets import DEVICE_TICKETS_SQL
from ninja_desk.cache.store import LocalCache
from ninja_desk.ui.formatting import ago, severity_text, size_text, when
from ninja_desk.ui.models.paged_sql import PagedSqlModel, SqlColumn
from ninja_desk.ui.theme import BAD, SEVERITY_COLORS, WARN


class DeviceScopedModel(PagedSqlModel):
    """A table about one device: `base_sql` takes :device_id, `where()` narrows it."""

    PAGE = 300
    base_sql = ""

    def __init__(self, cache: LocalCache, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.device_id: int | None = None
        self.search = ""

    def set_device(self, device_id: int | None) -> None:
        self.device_id = device_id
        self.reload()

    def set_search(self, text: str) -> None:
        self.search = text.strip()
        self.reload()

    def where(self) -> tuple[str, dict[str, Any]]:
        return "", {}

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        extra, params = self.where()
        return self.base_sql + extra, {"device_id": self.device_id or -1, **params}


class DeviceAlertModel(DeviceScopedModel):
    key_column = "uid"
    columns = (
        SqlColumn("severity", "Severity", "sev_rank"),
        SqlColumn("message", "Alert", "message"),
        SqlColumn("create_time", "Raised", "create_time"),
        SqlColumn("state", "State", "acknowledged_at"),
        SqlColumn("ticket_number", "Ticket", "ticket_number"),
    )
    base_sql = DEVICE_ALERTS_SQL
    initial_sort = (0, True)  # the worst first

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "severity":
            return severity_text(row["severity"])
        if key == "message":
            return row["message"] or row["condition_name"] or row["uid"]
        if key == "create_time":
            return ago(row["create_time"])
        if key == "state":
            return "Acknowledged" if row["acknowledged_at"] else "New"
        return super().cell_text(row, key)

    def colour(self, row: dict[str, Any], key: str) -> str | None:
        if key == "severity":
            return SEVERITY_COLORS.get((row["severity"] or "NONE").upper())
        return None

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            return when(row["create_time"]) if key == "create_time" else row["message"]
        return None


class DevicePatchModel(DeviceScopedModel):
    key_column = "id"
    columns = (
        SqlColumn("kind", "Kind", "kind"),
        SqlColumn("title", "Patch", "title"),
        SqlColumn("status", "Status", "status"),
        SqlColumn("severity", "Severity", "severity"),
        SqlColumn("timestamp", "Reported", "timestamp"),
    )
    base_sql = DEVICE_PATCHES_SQL
    initial_sort = (2, False)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "timestamp":
            return when(row["timestamp"])
        if key == "status":
            return (row["status"] or "").title()
        return super().cell_text(row, key)

    def colour(self, row: dict[str, Any], key: str) -> str | None:
        if key == "status":
            return BAD if row["status"] == "FAILED" else WARN
        return None


class DeviceSoftwareModel(DeviceScopedModel):
    key_column = "title_id"
    tie_breaker = "title_id"  # a device has each title once
    columns = (
        SqlColumn("name", "Name", "name COLLATE NOCASE"),
        SqlColumn("publisher", "Publisher", "publisher COLLATE NOCASE"),
        SqlColumn("version", "Version", "version"),
        SqlColumn("install_date", "Installed", "install_date"),
        SqlColumn("size", "Size", "size"),
    )
    base_sql = sq.DEVICE_SOFTWARE_SQL

    def where(self) -> tuple[str, dict[str, Any]]:
        return sq.device_software_search(self.search)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "size":
            return size_text(row["size"])
        return super().cell_text(row, key)


class DeviceTicketModel(DeviceScopedModel):
    key_column = "id"
    columns = (
        SqlColumn("number", "Ticket", "t.number"),
        SqlColumn("title", "Title", "t.title"),
        SqlColumn("status", "Status", "t.status"),
        SqlColumn("priority", "Priority", "t.priority"),
        SqlColumn("updated_at", "Updated", "t.updated_at"),
    )
    base_sql = DEVICE_TICKETS_SQL
    tie_breaker = "t.id"
    initial_sort = (4, True)  # recently updated first

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "updated_at":
            return ago(row["updated_at"])
        return super().cell_text(row, key)
