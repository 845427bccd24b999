"""Small SQL-backed tables for the device detail panel: alerts, patches, software, tickets."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from ninja_desk.cache.queries import software as sq
from ninja_desk.cache.queries.alerts import DEVICE_ALERTS_SQL
from ninja_desk.cache.queries.device_detail import DEVICE_PATCHES_SQL
from ninja_desk.cache.queries.tickets import DEVICE_TICKETS_SQL
from ninja_desk.cache.store import LocalCache
from ninja_desk.ui.formatting import ago, size_text, when
from ninja_desk.ui.theme import BAD, SEVERITY_COLORS, WARN
from ninja_desk.ui.widgets.sql_table_model import SqlPagedTableModel


class _DeviceScoped(SqlPagedTableModel):
    """A table about one device; `columns` are (row key, title, ORDER BY expression)."""

    columns: tuple[tuple[str, str, str], ...] = ()
    base_sql = ""
    tie_breaker = "rowid"  # keeps OFFSET paging stable between pages

    def __init__(self, cache: LocalCache, parent: Any = None) -> None:
        super().__init__(cache, [c[1] for c in self.columns], parent)
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

    def _query(self) -> tuple[str, dict[str, Any]]:
        extra, params = self.where()
        return self.base_sql + extra, {
            "device_id": self.device_id if self.device_id else -1,
            **params,
        }

    def count_query(self) -> tuple[str, dict[str, Any]]:
        sql, params = self._query()
        return f"SELECT count(*) FROM ({sql})", params

    def page_query(self, limit: int, offset: int) -> tuple[str, dict[str, Any]]:
        sql, params = self._query()
        direction = "DESC" if self.sort_descending else "ASC"
        order = self.columns[self.sort_column][2]
        return (
            f"{sql} ORDER BY {order} {direction}, {self.tie_breaker} LIMIT :_limit OFFSET :_offset",
            {**params, "_limit": limit, "_offset": offset},
        )

    def display(self, row: dict[str, Any], column: int) -> str:
        value = row.get(self.columns[column][0])
        return "" if value is None else str(value)


class DeviceAlertModel(_DeviceScoped):
    key_column = "uid"
    columns = (
        ("severity", "Severity", "sev_rank"),
        ("message", "Alert", "message"),
        ("create_time", "Raised", "create_time"),
        ("state", "State", "acknowledged_at"),
        ("ticket_number", "Ticket", "ticket_number"),
    )
    base_sql = DEVICE_ALERTS_SQL

    def __init__(self, cache: LocalCache, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.sort_column, self.sort_descending = 0, True
        self._colors = {k: QColor(v) for k, v in SEVERITY_COLORS.items()}

    def display(self, row: dict[str, Any], column: int) -> str:
        key = self.columns[column][0]
        if key == "severity":
            return (row["severity"] or "none").title()
        if key == "message":
            return row["message"] or row["condition_name"] or row["uid"]
        if key == "create_time":
            return ago(row["create_time"])
        if key == "state":
            return "Acknowledged" if row["acknowledged_at"] else "New"
        return super().display(row, column)

    def foreground(self, row: dict[str, Any], column: int) -> Any:
        if column == 0:
            return self._colors.get((row["severity"] or "NONE").upper())
        return None

    def tooltip(self, row: dict[str, Any], column: int) -> str | None:
        if self.columns[column][0] == "create_time":
            return when(row["create_time"])
        return row["message"]


class DevicePatchModel(_DeviceScoped):
    key_column = "id"
    columns = (
        ("kind", "Kind", "kind"),
        ("title", "Patch", "title"),
        ("status", "Status", "status"),
        ("severity", "Severity", "severity"),
        ("timestamp", "Reported", "timestamp"),
    )
    base_sql = DEVICE_PATCHES_SQL

    def __init__(self, cache: LocalCache, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.sort_column = 2
        self._bad, self._warn = QColor(BAD), QColor(WARN)

    def display(self, row: dict[str, Any], column: int) -> str:
        key = self.columns[column][0]
        if key == "timestamp":
            return when(row["timestamp"])
        if key == "status":
            return (row["status"] or "").title()
        return super().display(row, column)

    def foreground(self, row: dict[str, Any], column: int) -> Any:
        if self.columns[column][0] == "status":
            return self._bad if row["status"] == "FAILED" else self._warn
        return None


class DeviceSoftwareModel(_DeviceScoped):
    key_column = "rowid"
    columns = (
        ("name", "Name", "name COLLATE NOCASE"),
        ("publisher", "Publisher", "publisher COLLATE NOCASE"),
        ("version", "Version", "version"),
        ("install_date", "Installed", "install_date"),
        ("size", "Size", "size"),
    )
    base_sql = sq.DEVICE_SOFTWARE_SQL

    def where(self) -> tuple[str, dict[str, Any]]:
        return sq.device_software_search(self.search)

    def display(self, row: dict[str, Any], column: int) -> str:
        if self.columns[column][0] == "size":
            return size_text(row["size"])
        return super().display(row, column)


class DeviceTicketModel(_DeviceScoped):
    key_column = "id"
    columns = (
        ("number", "Ticket", "t.number"),
        ("title", "Title", "t.title"),
        ("status", "Status", "t.status"),
        ("priority", "Priority", "t.priority"),
        ("updated_at", "Updated", "t.updated_at"),
    )
    base_sql = DEVICE_TICKETS_SQL
    tie_breaker = "t.id"

    def __init__(self, cache: LocalCache, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.sort_column, self.sort_descending = 4, True

    def display(self, row: dict[str, Any], column: int) -> str:
        if self.columns[column][0] == "updated_at":
            return ago(row["updated_at"])
        return super().display(row, column)
