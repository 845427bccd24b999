"""NinjaOne activities (REST `/v2/activities` rows and webhook deliveries) and alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Activity:
    id: int
    activity_time: float | None
    activity_type: str
    status_code: str
    device_id: int | None = None
    series_uid: str | None = None
    status: str | None = None
    # Often absent on real payloads; absence means NONE (reference §7.5).
    severity: str = "NONE"
    priority: str = "NONE"
    activity_result: str | None = None
    source_config_uid: str | None = None
    source_name: str | None = None
    subject: str | None = None
    user_id: int | None = None
    message: str | None = None
    type: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # Webhook deliveries with `expand: ["device"]` carry the device (raw payload dict).
    device: dict[str, Any] | None = None


@dataclass(slots=True)
class Alert:
    """An active condition from `/v2/alerts`. `uid` equals the activities' `seriesUid`."""

    uid: str
    device_id: int | None
    message: str | None = None
    create_time: float | None = None
    update_time: float | None = None
    source_type: str | None = None
    source_config_uid: str | None = None
    source_name: str | None = None
    subject: str | None = None
    # Newer tenants only (SPEC-NEW); None when NinjaOne did not send them.
    severity: str | None = None
    priority: str | None = None
    condition_name: str | None = None
    condition_health_status: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


# Activity status codes that change which devices exist or what they look like.
DEVICE_LIFECYCLE_CODES = frozenset(
    {
        "NODE_CREATED",
        "NODE_UPDATED",
        "NODE_DELETED",
        "NODE_MANUALLY_APPROVED",
        "NODE_AUTOMATICALLY_APPROVED",
        "NODE_CLIENT_CHANGED",
        "NODE_LOCATION_CHANGED",
        "NODE_RENAMED",
    }
)
