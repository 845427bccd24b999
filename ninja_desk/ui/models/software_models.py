"""Software inventory across the fleet: titles (GROUP BY name), versions, devices.

Grouping happens in SQLite on the indexed `software.name`; the titles list pages like any big
table, the versions and devices of one title are small enough to load at once but still page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from ninja_desk.ui.models.alert_paged_sql import PagedSqlModel, SqlColumn, format_time

ALL_VERSIONS = None  # pick a title without a version: every device that has it

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class SoftwareTitleModel(PagedSqlModel):
    columns = (
        SqlColumn("name", "Title", "s.name"),
        SqlColumn("publisher", "Publisher", "publisher COLLATE NOCASE"),
        SqlColumn("devices", "Devices", "devices"),
        SqlColumn("versions", "Versions", "versions"),
    )
    tie_breaker = "s.name"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.search = ""

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {}
        where = ""
        if self.search.strip():
            where = " WHERE s.name LIKE :q"
            params["q"] = f"%{self.search.strip()}%"
        return (
            "SELECT s.name, MAX(s.publisher) AS publisher,"
            " COUNT(DISTINCT s.device_id) AS devices, COUNT(DISTINCT s.version) AS versions"
            f" FROM software s{where} GROUP BY s.name",
            params,
        )

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        if key in ("devices", "versions") and role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        return None


class SoftwareVersionModel(PagedSqlModel):
    columns = (
        SqlColumn("version", "Version", "s.version"),
        SqlColumn("devices", "Devices", "devices"),
    )
    tie_breaker = "s.version"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.title: str | None = None
        self.sort_column = 1
        self.sort_descending = True

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return (
            "SELECT coalesce(s.version, '') AS version, COUNT(DISTINCT s.device_id) AS devices"
            " FROM software s WHERE s.name = :title GROUP BY coalesce(s.version, '')",
            {"title": self.title or ""},
        )

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "version" and not row.get("version"):
            return "(no version)"
        return super().cell_text(row, key)

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        if key == "devices" and role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        return None


class SoftwareDeviceModel(PagedSqlModel):
    columns = (
        SqlColumn("device_name", "Device", "d.name COLLATE NOCASE"),
        SqlColumn("org_name", "Client", "o.name COLLATE NOCASE"),
        SqlColumn("version", "Version", "s.version"),
        SqlColumn("install_date", "Installed", "s.install_date"),
        SqlColumn("last_contact", "Last contact", "d.last_contact"),
    )
    tie_breaker = "s.device_id"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.title: str | None = None
        self.version: str | None = ALL_VERSIONS

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"title": self.title or ""}
        where = "s.name = :title"
        if self.version is not None:
            where += " AND coalesce(s.version, '') = :version"
            params["version"] = self.version
        return (
            "SELECT s.device_id, s.version, s.install_date, d.name AS device_name,"
            " d.last_contact, d.offline, o.name AS org_name"
            " FROM software s"
            " LEFT JOIN devices d ON d.id = s.device_id"
            " LEFT JOIN organizations o ON o.id = d.organization_id"
            f" WHERE {where}",
            params,
        )

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "device_name" and not row.get("device_name"):
            return f"Device {row['device_id']}"
        if key == "last_contact":
            return format_time(row.get("last_contact"))
        return super().cell_text(row, key)
