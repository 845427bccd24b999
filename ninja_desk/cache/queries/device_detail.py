"""One device for its detail panel: the row with its client, its pending and failed patches,
when it was last scanned, its last remote action and sessions. (Its open alerts, software
and tickets are in alerts.py, software.py and tickets.py.)"""

from __future__ import annotations

from typing import Any

from ninja_desk.cache.queries.fleet_rules import sql_list
from ninja_desk.core.inventory import FAILED_PATCH_STATUSES, PENDING_PATCH_STATUSES

DEVICE_SQL = (
    "SELECT d.*, o.name AS org_name FROM devices d"
    " LEFT JOIN organizations o ON o.id = d.organization_id WHERE d.id = :id"
)
LAST_PATCH_SCAN_SQL = (
    "SELECT max(timestamp) FROM (SELECT timestamp FROM os_patches WHERE device_id = :id"
    " UNION ALL SELECT timestamp FROM software_patches WHERE device_id = :id)"
)
# OS and software patches side by side; the panel lists the ones still to act on.
# The device's last remote action and how it ended, from the local activity log.
LAST_DEVICE_ACTION_SQL = (
    "SELECT at, who, ticket_id, detail FROM local_activity_log"
    " WHERE kind = 'device_action' AND device_id = :d ORDER BY id DESC LIMIT 1"
)


def remote_launches_sql(device_id: int | None = None) -> tuple[str, dict[str, Any]]:
    """Remote sessions opened from this machine (all, or one device's), newest first."""
    where = "" if device_id is None else " AND device_id = :device_id"
    return (
        f"SELECT * FROM local_activity_log WHERE kind = 'remote_connect'{where} ORDER BY id DESC",
        {"device_id": device_id},
    )


DEVICE_PATCHES_SQL = (
    "SELECT * FROM (SELECT rowid, id, 'OS' AS kind, coalesce(kb_number || ' ', '') || name"
    " AS title, status, severity, timestamp FROM os_patches WHERE device_id = :device_id"
    " UNION ALL SELECT rowid, id, 'Software' AS kind, title, status, impact AS severity,"
    " timestamp FROM software_patches WHERE device_id = :device_id)"
    f" WHERE status IN {sql_list(PENDING_PATCH_STATUSES | FAILED_PATCH_STATUSES)}"
)
