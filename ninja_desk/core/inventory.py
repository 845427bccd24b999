"""Per-device inventory rows from NinjaOne's `/v2/queries/*` reports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class SoftwareItem:
    device_id: int
    name: str
    publisher: str | None = None
    version: str | None = None
    # NinjaOne sends "YYYY-MM-DD" although the spec says date-time; kept as sent.
    install_date: str | None = None
    location: str | None = None
    size: int | None = None
    product_code: str | None = None


@dataclass(slots=True)
class PatchRow:
    """What the OS and the software patch reports (`/v2/queries/*-patches`) share."""

    device_id: int
    id: str
    status: str  # see PENDING_PATCH_STATUSES / FAILED_PATCH_STATUSES
    type: str | None = field(default=None, kw_only=True)
    installed_at: float | None = field(default=None, kw_only=True)
    timestamp: float | None = field(default=None, kw_only=True)


@dataclass(slots=True)
class OsPatch(PatchRow):
    name: str
    kb_number: str | None = None
    severity: str | None = None


@dataclass(slots=True)
class SoftwarePatch(PatchRow):
    title: str
    product_identifier: str | None = None
    impact: str | None = None


@dataclass(slots=True)
class AntivirusStatus:
    device_id: int
    product_name: str | None = None
    product_state: str | None = None
    definition_status: str | None = None
    version: str | None = None
    timestamp: float | None = None


@dataclass(slots=True)
class DeviceHealth:
    device_id: int
    health_status: str | None = None
    pending_os_patches: int = 0
    failed_os_patches: int = 0
    pending_software_patches: int = 0
    failed_software_patches: int = 0
    active_threats: int = 0
    alert_count: int = 0
    pending_reboot_reason: str | None = None
    offline: bool | None = None


# Patch statuses that mean "still to install" vs "tried and failed" (NinjaOne reference §6.3).
PENDING_PATCH_STATUSES = frozenset({"MANUAL", "APPROVED", "PENDING"})
FAILED_PATCH_STATUSES = frozenset({"FAILED"})
