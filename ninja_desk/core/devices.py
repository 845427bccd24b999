"""A NinjaOne device, flattened from the polymorphic `Device` payload.

Enum-like fields (`node_class`, `approval_status`, `device_type`) stay plain strings: NinjaOne
adds values over time and an unknown value must be kept, not dropped.
Timestamps are epoch seconds (float), as NinjaOne sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Volume:
    name: str
    label: str | None = None
    file_system: str | None = None
    capacity: int | None = None
    free_space: int | None = None
    bitlocker_status: str | None = None


@dataclass(slots=True)
class Device:
    id: int
    organization_id: int
    node_class: str
    system_name: str | None = None
    uid: str | None = None
    location_id: int | None = None
    display_name: str | None = None
    dns_name: str | None = None
    netbios_name: str | None = None
    offline: bool | None = None
    approval_status: str | None = None
    device_type: str | None = None
    parent_device_id: int | None = None
    node_role_id: int | None = None
    policy_id: int | None = None
    created: float | None = None
    last_contact: float | None = None
    last_update: float | None = None
    maintenance_status: str | None = None
    tags: list[str] = field(default_factory=list)
    # os{}
    os_name: str | None = None
    os_manufacturer: str | None = None
    os_architecture: str | None = None
    os_build: str | None = None
    os_release_id: str | None = None
    needs_reboot: bool | None = None
    last_boot_time: float | None = None
    # system{}
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    bios_serial_number: str | None = None
    domain: str | None = None
    domain_role: str | None = None
    chassis_type: str | None = None
    virtual_machine: bool | None = None
    total_memory: int | None = None
    # processors[] (first one) and counts
    cpu_name: str | None = None
    cpu_cores: int | None = None
    cpu_logical_cores: int | None = None
    # network
    ip_addresses: list[str] = field(default_factory=list)
    mac_addresses: list[str] = field(default_factory=list)
    public_ip: str | None = None
    last_logged_in_user: str | None = None
    volumes: list[Volume] = field(default_factory=list)

    @property
    def name(self) -> str:
        """What a technician calls the device: the display name if someone set one."""
        return self.display_name or self.system_name or self.dns_name or f"device {self.id}"
