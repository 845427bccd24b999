"""Software inventory across the fleet: titles (GROUP BY name), versions, devices.

The SQL is cache/queries/software.py's; the titles list pages like any big table, the versions
and devices of one title are small enough to load at once but still page.
"""

from __future__ import annotations

from typing import Any

from ninja_desk.cache.queries import software as sq
from ninja_desk.ui.models.paged_sql import PagedSqlModel, SqlColumn, format_time

ALL_VERSIONS = None  # pick a title without a version: every device that has it


class SoftwareTitleModel(PagedSqlModel):
    columns = (
        SqlColumn("name", "Title", "s.name"),
        SqlColumn("publisher", "Publisher", "publisher COLLATE NOCASE"),
        SqlColumn("devices", "Devices", "devices"),
        SqlColumn("versions", "Versions", "versions"),
    )
    numeric = frozenset({"devices", "versions"})
    tie_breaker = "s.name"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.search = ""

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return sq.titles_sql(self.search)


class SoftwareVersionModel(PagedSqlModel):
    columns = (
        SqlColumn("version", "Version", "s.version"),
        SqlColumn("devices", "Devices", "devices"),
    )
    numeric = frozenset({"devices"})
    tie_breaker = "s.version"
    initial_sort = (1, True)  # the most installed version first

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.title: str | None = None

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return sq.versions_sql(self.title or "")

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "version" and not row.get("version"):
            return "(no version)"
        return super().cell_text(row, key)


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
        return sq.devices_sql(self.title or "", self.version)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "device_name" and not row.get("device_name"):
            return f"Device {row['device_id']}"
        if key == "last_contact":
            return format_time(row.get("last_contact"))
        return super().cell_text(row, key)
