"""The patch view's tables: patches grouped by KB, by client, and the patch rows of a group.

The SQL is cache/queries/patches.py's; these models only page, sort and format it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt

from ninja_desk.cache.queries import patches as pq
from ninja_desk.ui.formatting import ago, status_text
from ninja_desk.ui.models.async_paged import AsyncPagedSqlModel
from ninja_desk.ui.models.paged_sql import SqlColumn
from ninja_desk.ui.theme import BAD, GOOD, MUTED, WARN


class _PatchModel(AsyncPagedSqlModel):
    """A patch table over the patch view's filter (the view sets it on all three)."""

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.filter = pq.PatchFilter()


class PatchesByKbModel(_PatchModel):
    columns = (
        SqlColumn("title", "Patch", "title COLLATE NOCASE"),
        SqlColumn("kb", "KB", "kb"),
        SqlColumn("family", "Type", "family"),
        SqlColumn("severity_rank", "Severity", "severity_rank"),
        SqlColumn("pending_devices", "Pending", "pending_devices"),
        SqlColumn("failed_devices", "Failed", "failed_devices"),
        SqlColumn("devices", "Devices", "devices"),
        SqlColumn("clients", "Clients", "clients"),
    )
    numeric = frozenset({"pending_devices", "failed_devices", "devices", "clients"})
    tooltip_keys = frozenset({"title"})
    tie_breaker = "key"
    key_column = "key"
    initial_sort = (6, True)  # the patches on most devices first

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return pq.by_patch_sql(self.filter)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "family":
            return pq.FAMILY_TEXT.get(row["family"], row["family"])
        if key == "severity_rank":
            return pq.severity_text(int(row.get("severity_rank") or 0))
        return super().cell_text(row, key)

    def colour(self, row: dict[str, Any], key: str) -> str | None:
        if key == "failed_devices" and row.get("failed_devices"):
            return BAD
        if key == "severity_rank" and int(row.get("severity_rank") or 0) >= 4:
            return BAD
        return None


class PatchesByClientModel(_PatchModel):
    columns = (
        SqlColumn("org_name", "Client", "org_name COLLATE NOCASE"),
        SqlColumn("devices", "Devices", "devices"),
        SqlColumn("compliance", "Compliant", "coalesce(compliance, 101)"),
        SqlColumn("pending_devices", "Pending devices", "pending_devices"),
        SqlColumn("failed_devices", "Failed devices", "failed_devices"),
        SqlColumn("pending_patches", "Pending patches", "pending_patches"),
        SqlColumn("failed_patches", "Failed patches", "failed_patches"),
    )
    numeric = frozenset(
        {"devices", "compliance", "pending_devices", "failed_devices", "pending_patches",
         "failed_patches"}
    )  # fmt: skip
    tie_breaker = "org_id"
    key_column = "org_id"
    initial_sort = (2, False)  # least compliant first

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return pq.by_client_sql(self.filter)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "compliance":
            value = row.get("compliance")
            return "—" if value is None else f"{float(value):.0f}%"
        return super().cell_text(row, key)

    def colour(self, row: dict[str, Any], key: str) -> str | None:
        if key == "compliance" and row.get("compliance") is not None:
            value = float(row["compliance"])
            return GOOD if value >= 95 else WARN if value >= 80 else BAD
        if key in ("failed_devices", "failed_patches") and row.get(key):
            return BAD
        return None

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and key == "compliance":
            return (
                f"{int(row['devices']) - int(row['affected']):,} of {int(row['devices']):,} "
                "patchable devices have no patch matching the filters"
            )
        return None


class PatchRowsModel(_PatchModel):
    """The patch rows (device x patch) of the selected groups, or of the whole filter."""

    columns = (
        SqlColumn("device_name", "Device", "r.device_name COLLATE NOCASE"),
        SqlColumn("org_name", "Client", "r.org_name COLLATE NOCASE"),
        SqlColumn("title", "Patch", "r.title COLLATE NOCASE"),
        SqlColumn("kb", "KB", "r.kb"),
        SqlColumn("status", "Status", "r.status"),
        SqlColumn("severity", "Severity", "r.severity_rank"),
        SqlColumn("offline", "Agent", "coalesce(r.offline, 2)"),
        SqlColumn("last_contact", "Last seen", "r.last_contact"),
    )
    tooltip_keys = frozenset({"title"})
    tie_breaker = "r.device_id, r.family, r.patch_id"
    key_column = "row_key"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.patch_keys: tuple[str, ...] = ()
        self.org_ids: tuple[int, ...] = ()
        self._now: float | None = None

    def set_groups(self, patch_keys: Sequence[str] = (), org_ids: Sequence[int] = ()) -> None:
        self.patch_keys = tuple(patch_keys)
        self.org_ids = tuple(int(i) for i in org_ids)

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return pq.keyed_rows_sql(self.filter, patch_keys=self.patch_keys, org_ids=self.org_ids)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "status":
            return pq.STATUS_TEXT.get(str(row.get("status")), str(row.get("status") or ""))
        if key == "severity":
            return pq.severity_text(row.get("severity"))
        if key == "offline":
            return status_text(row.get("offline"))
        if key == "last_contact":
            return ago(row.get("last_contact"), self._now) if row.get("last_contact") else ""
        if key == "device_name" and not row.get("device_name"):
            return f"Device {row['device_id']}"
        return super().cell_text(row, key)

    def colour(self, row: dict[str, Any], key: str) -> str | None:
        if key == "status" and row.get("status") == "FAILED":
            return BAD
        if key == "offline" and row.get("offline") != 0:
            return MUTED
        return None
