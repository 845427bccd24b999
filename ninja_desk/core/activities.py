"""NinjaOne activities (REST `/v2/activities` rows and webhook deliveries) and alerts.

Parsed once (ninjaone/parsers.py) and passed on as these types: nothing downstream reads the
NinjaOne JSON again. A field NinjaOne did not send is None, never a made-up default, so "not
said" and "said NONE" stay apart all the way to the PSA.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ninja_desk.core.devices import Device


@dataclass(slots=True)
class Activity:
    id: int
    activity_time: float | None
    activity_type: str
    status_code: str
    device_id: int | None = None
    series_uid: str | None = None
    status: str | None = None
    # Often absent on real payloads (reference §7.5): None = NinjaOne did not say.
    severity: str | None = None
    priority: str | None = None
    activity_result: str | None = None
    source_config_uid: str | None = None
    source_name: str | None = None
    source_type: str | None = None
    # `data.message.code` (e.g. "vmm_cond_memory_usage_ge"): names the condition when
    # `sourceType` is absent, as it is on webhook deliveries.
    message_code: str | None = None
    condition_name: str | None = None
    subject: str | None = None
    user_id: int | None = None
    message: str | None = None
    type: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # Webhook deliveries with `expand: ["device"]` carry the device; None when they do not
    # (or when it lacks the organization every Device needs).
    device: Device | None = None


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
    device: Device | None = None  # when the row has `device` expanded


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
