"""What the sync engine hands to the PSA push for one device: the device and its compliance."""

from __future__ import annotations

from dataclasses import dataclass, field

from ninja_desk.core.devices import Device
from ninja_desk.core.inventory import AntivirusStatus, SoftwareItem


@dataclass(slots=True)
class DeviceSnapshot:
    device: Device
    # Counts come from the real `/queries/os-patches` and `/queries/software-patches` rows.
    pending_os_patches: int = 0
    failed_os_patches: int = 0
    pending_software_patches: int = 0
    failed_software_patches: int = 0
    last_patch_scan_at: float | None = None
    antivirus: AntivirusStatus | None = None
    software: list[SoftwareItem] = field(default_factory=list)
    active_alerts: int = 0
    # True when the device vanished from NinjaOne (tombstone in the cache).
    deleted: bool = False
