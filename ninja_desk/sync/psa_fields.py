"""DeviceSnapshot -> the PSA's asset columns. Pure: no database, easy to test field by field."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ninja_desk.core.device_identity import normalise_serial, stable_macs
from ninja_desk.core.inventory import AntivirusStatus
from ninja_desk.core.node_class import asset_type_for
from ninja_desk.core.snapshots import DeviceSnapshot
from ninja_desk.core.timestamps import to_datetime

log = logging.getLogger(__name__)

# Columns on `assets` the push owns. Anything else (notes, custom attributes, asset tag, ...)
# belongs to people and is never written by the push.
ASSET_FIELDS = (
    "name",
    "asset_type",
    "client_id",
    "serial_number",
    "manufacturer",
    "model",
    "mac_addresses",
    "rmm_organization_id",
    "agent_status",
    "last_seen_at",
    "remote_access_url",
)
# Heartbeat fields: written, but a change in them alone is not history.
HEARTBEAT_FIELDS = frozenset({"agent_status", "last_seen_at"})

_COMPUTER = (
    "os_type",
    "os_version",
    "os_architecture",
    "cpu_model",
    "cpu_cores",
    "ram_gb",
    "storage_capacity_gb",
    "domain",
    "primary_ip",
    "ip_addresses",
    "is_virtual",
    "last_login",
    "last_reboot_at",
)
_COMPLIANCE = (
    "antivirus_status",
    "antivirus_product",
    "pending_os_patches",
    "pending_software_patches",
    "failed_patches",
    "last_patch_scan_at",
)
EXTENSION_FIELDS: dict[str, tuple[str, ...]] = {
    "workstation": (*_COMPUTER, *_COMPLIANCE),
    "server": (*_COMPUTER, "hypervisor", *_COMPLIANCE),
    "network_device": ("device_type", "management_ip", "firmware_version"),
    "mobile_device": ("os_type", "os_version", "model"),
    "printer": ("model", "ip_address"),
    "unknown": (),
}

_HYPERVISORS = {
    "VMWARE_VM_HOST": "vmware",
    "VMWARE_VM_GUEST": "vmware",
    "HYPERV_VMM_HOST": "hyperv",
    "HYPERV_VMM_GUEST": "hyperv",
}
_GIB = 1024**3
_warned_classes: set[str] = set()


@dataclass(slots=True)
class DesiredAsset:
    device_id: str
    org_id: str
    asset_type: str
    asset: dict[str, Any]
    extension: dict[str, Any]
    serial: str | None
    manufacturer: str | None
    macs: list[str]


def antivirus_status(av: AntivirusStatus | None) -> tuple[str | None, str | None]:
    """(status, product). Status is one of protected / outdated / disabled / unknown."""
    if av is None:
        return None, None
    state = (av.product_state or "").upper()
    definitions = (av.definition_status or "").upper()
    if state in {"OFF", "DISABLED", "SNOOZED", "EXPIRED"}:
        status = "disabled"
    elif definitions in {"OUT_OF_DATE", "OUTDATED", "EXPIRED"}:
        status = "outdated"
    elif state in {"ON", "ENABLED"}:
        status = "protected"
    else:
        status = "unknown"
    return status, av.product_name


def _gb(value: int | None) -> float | None:
    return None if value is None else round(value / _GIB, 2)


def dashboard_url(instance_url: str | None, device_id: int) -> str | None:
    """NinjaOne's device deep link (reference §12.12): one click from the PSA to the device,
    where the technician starts the remote session. No API call per device."""
    if not instance_url:
        return None
    return f"{instance_url.rstrip('/')}/#/deviceDashboard/{device_id}/overview"


def desired_asset(
    snapshot: DeviceSnapshot, client_id: object, instance_url: str | None = None
) -> DesiredAsset:
    d = snapshot.device
    asset_type, known = asset_type_for(d.node_class)
    if not known and d.node_class not in _warned_classes:
        _warned_classes.add(d.node_class)
        log.info("Unknown NinjaOne nodeClass %r filed as %s asset", d.node_class, asset_type)
    macs = stable_macs(d.mac_addresses)
    serial = d.serial_number if normalise_serial(d.serial_number) else d.bios_serial_number
    asset = {
        "name": d.name,
        "asset_type": asset_type,
        "client_id": client_id,
        "serial_number": (serial or None) and serial.strip(),
        "manufacturer": d.manufacturer,
        "model": d.model,
        "mac_addresses": macs,
        "rmm_organization_id": str(d.organization_id),
        "agent_status": "unknown" if d.offline is None else ("offline" if d.offline else "online"),
        "last_seen_at": to_datetime(d.last_contact),
        "remote_access_url": dashboard_url(instance_url, d.id),
    }
    primary_ip = d.ip_addresses[0] if d.ip_addresses else None
    av_status, av_product = antivirus_status(snapshot.antivirus)
    storage = sum(v.capacity or 0 for v in d.volumes) or None
    values: dict[str, Any] = {
        "os_type": d.os_name,
        "os_version": d.os_release_id or d.os_build,
        "os_architecture": d.os_architecture,
        "cpu_model": d.cpu_name,
        "cpu_cores": d.cpu_cores,
        "ram_gb": _gb(d.total_memory),
        "storage_capacity_gb": _gb(storage),
        "domain": d.domain,
        "primary_ip": primary_ip,
        "ip_addresses": list(d.ip_addresses),
        "is_virtual": d.virtual_machine,
        "last_login": d.last_logged_in_user,
        "last_reboot_at": to_datetime(d.last_boot_time),
        "hypervisor": _HYPERVISORS.get(d.node_class),
        "antivirus_status": av_status,
        "antivirus_product": av_product,
        "pending_os_patches": snapshot.pending_os_patches,
        "pending_software_patches": snapshot.pending_software_patches,
        "failed_patches": snapshot.failed_os_patches + snapshot.failed_software_patches,
        "last_patch_scan_at": to_datetime(snapshot.last_patch_scan_at),
        "device_type": (d.node_class or "").lower() or None,
        "management_ip": primary_ip,
        "firmware_version": d.os_build,
        "model": d.model,
        "ip_address": primary_ip,
    }
    extension = {k: values[k] for k in EXTENSION_FIELDS[asset_type]}
    return DesiredAsset(
        device_id=str(d.id),
        org_id=str(d.organization_id),
        asset_type=asset_type,
        asset=asset,
        extension=extension,
        serial=asset["serial_number"],
        manufacturer=d.manufacturer,
        macs=macs,
    )
