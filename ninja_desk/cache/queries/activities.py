"""Cached NinjaOne activities: where the cache's history ends, and the CONDITION activities
after a mark (the ones an incremental sync fetched that the alert pipeline has not seen)."""

from __future__ import annotations

from typing import Any

LAST_ACTIVITY_ID_SQL = "SELECT coalesce(max(id), 0) FROM activities"
BATCH = 5000  # activities handed to the pipeline at once


def new_conditions_sql(after_id: int) -> tuple[str, dict[str, Any]]:
    """CONDITION activities of an alert series with an id above `after_id`, oldest first, in
    the columns of core.activities.Activity."""
    return (
        "SELECT id, activity_time, activity_type, status_code, device_id, series_uid,"
        " severity, message FROM activities WHERE activity_type = 'CONDITION'"
        f" AND series_uid IS NOT NULL AND id > :mark ORDER BY id LIMIT {BATCH}",
        {"mark": int(after_id)},
    )
