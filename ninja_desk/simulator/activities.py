"""The tenant's activity log: int64 ids that only grow, served newest first.

Paging follows reference §4.2: `olderThan=X` returns ids below X, newest first (clients page
backwards with the smallest id seen); `newerThan=X` returns ids above X. For `newerThan`
the simulator returns the `pageSize` activities *closest above X* (still newest first within
the page), so a client polling forward with the largest id it has seen never skips any —
NinjaOne's exact choice is undocumented, this is the one that makes incremental sync correct.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable
from typing import Any

# Human-readable labels NinjaOne puts beside the codes (`type`, `status`).
TYPE_LABELS = {
    "CONDITION": "Condition",
    "SYSTEM": "System",
    "ACTIONSET": "Action Set",
    "ACTION": "Action",
    "SCRIPTING": "Scripting",
    "REMOTE_TOOLS": "Remote Tools",
    "PATCH_MANAGEMENT": "Patch Management",
    "SOFTWARE_PATCH_MANAGEMENT": "Software Patch Management",
}
STATUS_LABELS = {
    "TRIGGERED": "Triggered",
    "RESET": "Reset",
    "ACKNOWLEDGED": "Acknowledged",
    "START_REQUESTED": "Start Requested",
    "SYSTEM_REBOOTED": "System rebooted",
    "MAINTENANCE_MODE_CONFIGURED": "Maintenance mode configured",
    "MAINTENANCE_MODE_DELETED": "Maintenance mode deleted",
    "NODE_CREATED": "Device created",
    "NODE_UPDATED": "Device updated",
    "NODE_DELETED": "Device deleted",
    "SOFTWARE_ADDED": "Software added",
    "SOFTWARE_REMOVED": "Software removed",
    "PATCH_MANAGEMENT_INSTALLED": "Patch installed",
    "PATCH_MANAGEMENT_INSTALL_FAILED": "Patch install failed",
    "SOFTWARE_PATCH_MANAGEMENT_INSTALLED": "Software patch installed",
    "SOFTWARE_PATCH_MANAGEMENT_INSTALL_FAILED": "Software patch install failed",
}
# Activity `class` filter (reference §6.5): which activity types count as what.
DEVICE_TYPES = frozenset(
    {
        "CONDITION",
        "ACTIONSET",
        "ACTION",
        "PATCH_MANAGEMENT",
        "SOFTWARE_PATCH_MANAGEMENT",
        "ANTIVIRUS",
        "SCRIPTING",
    }
)

ACTIVITY_PAGE_MIN, ACTIVITY_PAGE_MAX, ACTIVITY_PAGE_DEFAULT = 10, 1000, 200


class ActivityLog:
    def __init__(self, first_id: int, seed: int) -> None:
        self._ids: list[int] = []
        self._rows: list[dict[str, Any]] = []
        self._next_id = first_id
        self._rng = random.Random(f"activity-ids:{seed}")

    @property
    def last_id(self) -> int:
        return self._ids[-1] if self._ids else 0

    def __len__(self) -> int:
        return len(self._rows)

    def record(
        self, activity_type: str, status_code: str, activity_time: float, **fields: Any
    ) -> dict[str, Any]:
        """Append one activity; keys with None values are left out, like NinjaOne does."""
        # Real ids are account-wide and jump by other tenants' traffic; gaps keep clients
        # honest about treating them as opaque, increasing numbers.
        self._next_id += self._rng.randint(1, 40)
        row: dict[str, Any] = {"id": self._next_id, "activityTime": round(activity_time, 6)}
        device_id = fields.pop("deviceId", None)
        if device_id is not None:
            row["deviceId"] = device_id
        for key in ("severity", "priority", "seriesUid"):
            value = fields.pop(key, None)
            if value is not None:
                row[key] = value
        row["activityType"] = activity_type
        row["statusCode"] = status_code
        row["status"] = STATUS_LABELS.get(status_code, status_code.replace("_", " ").title())
        for key, value in fields.items():
            if value is not None and key != "type":
                row[key] = value
        row["type"] = fields.get("type") or TYPE_LABELS.get(activity_type, activity_type.title())
        self._ids.append(row["id"])
        self._rows.append(row)
        return row

    def page(
        self,
        *,
        older_than: int | None,
        newer_than: int | None,
        page_size: int,
        match: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        lo = 0 if newer_than is None else bisect.bisect_right(self._ids, newer_than)
        hi = len(self._ids) if older_than is None else bisect.bisect_left(self._ids, older_than)
        out: list[dict[str, Any]] = []
        if newer_than is not None:
            for i in range(lo, hi):
                row = self._rows[i]
                if match is None or match(row):
                    out.append(row)
                    if len(out) >= page_size:
                        break
            out.reverse()
            return out
        for i in range(hi - 1, lo - 1, -1):
            row = self._rows[i]
            if match is None or match(row):
                out.append(row)
                if len(out) >= page_size:
                    break
        return out
