"""DeviceSnapshot -> Alga's asset columns, the way Alga's own NinjaOne sync fills them.

Pure: no database, easy to test field by field. Alga's rules (../shared/alga/README.md, "How
Alga itself writes these rows"): asset_tag 'NINJA-' + serial, else 'NINJA-' + device id; status
'active' when approved, else 'pending'; asset_type from nodeClass; rmm_* ids as text;
agent_status online/offline; extension rows with os_type Windows/macOS/Linux, ram_gb rounded,
antivirus protected/at_risk/unknown, system_info JSON and disk_usage
[{name, total_gb, free_gb, utilization_percent}]. What only NinjaDesk knows (manufacturer, model,
MAC addresses, the NinjaOne link, ...) goes into `assets.attributes`, merged with what is there.
"""

from __future__ import annotations

import hashlib
import operator
from dataclasses import dataclass, fields
from typing import Any

from ninja_desk.core.antivirus import AvVerdict, av_verdict
from ninja_desk.core.device_identity import normalise_serial, stable_macs
from ninja_desk.core.devices import Device, Volume
from ninja_desk.core.inventory import AntivirusStatus
from ninja_desk.core.node_class import asset_type_for
from ninja_desk.core.snapshots import DeviceSnapshot
from ninja_desk.core.timestamps import to_datetime

# Columns of `assets` the push owns (besides rmm_provider / rmm_device_id, which identify).
# asset_tag is written once, on creation: after that it belongs to people.
ASSET_FIELDS = (
    "name",
    "status",
    "asset_type",
    "client_id",
    "serial_number",
    "rmm_organization_id",
    "agent_status",
    "last_seen_at",
)
# Keys of `assets.attributes` the push owns; any other key (Alga's, a person's) is kept.
ATTRIBUTE_FIELDS = (
    "manufacturer",
    "model",
    "mac_addresses",
    "ip_addresses",
    "node_class",
    "domain",
    "os_architecture",
    "ninjaone_url",
)
# Written, but a change in them alone is no history (every check-in would be one).
HEARTBEAT_FIELDS = frozenset({"agent_status", "last_seen_at", "uptime_seconds", "current_user"})

_COMPLIANCE = (
    "antivirus_status",
    "antivirus_product",
    "pending_patches",
    "failed_patches",
    "pending_os_patches",
    "pending_software_patches",
    "last_patch_scan_at",
)
_LIVE = ("system_info", "disk_usage", "current_user", "uptime_seconds", "lan_ip", "wan_ip")
EXTENSION_FIELDS: dict[str, tuple[str, ...]] = {
    "workstation": (
        "os_type",
        "os_version",
        "cpu_model",
        "cpu_cores",
        "ram_gb",
        "storage_capacity_gb",
        "last_reboot_at",
        *_COMPLIANCE,
        *_LIVE,
    ),
    "server": (
        "os_type",
        "os_version",
        "cpu_model",
        "cpu_cores",
        "ram_gb",
        "is_virtual",
        "hypervisor",
        "primary_ip",
        "last_reboot_at",
        *_COMPLIANCE,
        *_LIVE,
    ),
    "network_device": ("device_type", "management_ip", "firmware_version"),
    "unknown": (),
}

# network_device_assets.device_type has a CHECK (switch, router, firewall, access_point,
# load_balancer); Alga files NMS devices as 'switch' when it cannot tell.
_NETWORK_KIND = {"NMS_ROUTER": "router", "NMS_FIREWALL": "firewall", "NMS_WAP": "access_point"}
_GIB = 1024**3
_VOLUME_FIELDS = frozenset({"disk_usage", "storage_capacity_gb"})


def os_type(os_name: str | None) -> str | None:
    if not os_name:
        return None
    lower = os_name.lower()
    if "windows" in lower:
        return "Windows"
    if "mac" in lower or "darwin" in lower:
        return "macOS"
    if any(word in lower for word in ("linux", "ubuntu", "centos", "debian", "red hat", "rhel")):
        return "Linux"
    return os_name


def antivirus(av: AntivirusStatus | None) -> tuple[str, str | None]:
    """(status, product) in Alga's words: protected, at_risk, or unknown. The verdict is
    `core.antivirus`'s, the desktop's too; Alga has no word for "none installed", so a managed
    device without antivirus is unknown here while the desktop lists it as an issue."""
    if av is None:
        return "unknown", None
    # Missing and not-expected both read "unknown" here, so the class does not matter.
    verdict = av_verdict(av.product_name, av.product_state, av.definition_status, None)
    if verdict is AvVerdict.PROTECTED:
        return "protected", av.product_name
    if verdict in (AvVerdict.OFF, AvVerdict.OUTDATED):
        return "at_risk", av.product_name
    return "unknown", av.product_name


def disk_usage(volumes: list[Volume]) -> list[dict[str, Any]]:
    out = []
    for v in volumes:
        if not v.capacity:
            continue
        total = v.capacity / _GIB
        free = (v.free_space or 0) / _GIB
        out.append(
            {
                "name": v.name or v.label or "Unknown",
                "total_gb": round(total, 2),
                "free_gb": round(free, 2),
                "utilization_percent": round((total - free) / total * 100, 2),
            }
        )
    return out


def lan_ip(addresses: list[str]) -> str | None:
    """The first IPv4 address that is neither loopback nor link-local."""
    for ip in addresses:
        if ":" in ip or ip.startswith(("127.", "169.254.")):
            continue
        return ip
    return None


def dashboard_url(instance_url: str | None, device_id: int) -> str | None:
    """NinjaOne's device deep link: one click from the PSA to the device."""
    if not instance_url:
        return None
    return f"{instance_url.rstrip('/')}/#/deviceDashboard/{device_id}/overview"


def asset_tag_for(d: Device) -> str:
    serial = (d.serial_number or "").strip()
    return f"NINJA-{serial}" if serial else f"NINJA-{d.id}"


def _ram_gb(total: int | None) -> int | None:
    return None if not total else round(total / _GIB)


def _uptime(d: Device) -> int | None:
    # Measured at the device's last contact, not at push time: a silent device keeps the same
    # value, so it does not look changed on every push.
    if d.last_boot_time is None or d.last_contact is None:
        return None
    seconds = int(d.last_contact - d.last_boot_time)
    return seconds if 0 <= seconds < 5 * 365 * 86400 else None


@dataclass(slots=True)
class DesiredAsset:
    device_id: str
    org_id: str
    asset_type: str
    asset_tag: str
    asset: dict[str, Any]
    attributes: dict[str, Any]
    extension: dict[str, Any]
    node_class: str | None
    serial: str | None
    manufacturer: str | None
    macs: list[str]
    fingerprint: str = ""
    # Extension fields NinjaOne told nothing about this time (no volumes in the snapshot):
    # the push keeps what the row holds instead of blanking it.
    unknown: frozenset[str] = frozenset()


# Bump when the mapping below changes what it writes: every asset is then compared again.
MAPPING_VERSION = "alga-1"
# Plain values of the device (volumes as tuples: a dataclass repr is a slow Python call).
_DEVICE = operator.attrgetter(*(f.name for f in fields(Device) if f.name != "volumes"))
_VOLUME = operator.attrgetter(*(f.name for f in fields(Volume)))
_ANTIVIRUS = operator.attrgetter(*(f.name for f in fields(AntivirusStatus)))


def snapshot_fingerprint(
    snapshot: DeviceSnapshot, client_id: object, instance_url: str | None = None
) -> str:
    """A hash of everything `desired_asset` reads: equal fingerprints mean nothing to write.

    Taken from the raw snapshot (repr of plain values and dataclasses is deterministic), so an
    unchanged device costs neither the mapping nor a read of its asset row.
    """
    d = snapshot.device
    raw = (
        MAPPING_VERSION,
        str(client_id),
        instance_url,
        _DEVICE(d),
        list(map(_VOLUME, d.volumes)),
        snapshot.pending_os_patches,
        snapshot.failed_os_patches,
        snapshot.pending_software_patches,
        snapshot.failed_software_patches,
        snapshot.last_patch_scan_at,
        None if snapshot.antivirus is None else _ANTIVIRUS(snapshot.antivirus),
    )
    return hashlib.sha1(repr(raw).encode(), usedforsecurity=False).hexdigest()


def desired_asset(
    snapshot: DeviceSnapshot,
    client_id: object,
    instance_url: str | None = None,
    *,
    fingerprint: str | None = None,
) -> DesiredAsset:
    d = snapshot.device
    asset_type = asset_type_for(d.node_class)
    macs = stable_macs(d.mac_addresses)
    raw_serial = d.serial_number if normalise_serial(d.serial_number) else d.bios_serial_number
    serial = (raw_serial or "").strip() or None
    approved = d.approval_status is None or d.approval_status.upper() == "APPROVED"
    asset = {
        "name": d.name,
        "status": "active" if approved else "pending",
        "asset_type": asset_type,
        "client_id": client_id,
        "serial_number": serial,
        "rmm_organization_id": str(d.organization_id),
        "agent_status": "offline" if d.offline else "online",
        "last_seen_at": to_datetime(d.last_contact),
    }
    attributes = {
        "manufacturer": d.manufacturer,
        "model": d.model,
        "mac_addresses": macs,
        "ip_addresses": list(d.ip_addresses),
        "node_class": d.node_class,
        "domain": d.domain,
        "os_architecture": d.os_architecture,
        "ninjaone_url": dashboard_url(instance_url, d.id),
    }
    av_status, av_product = antivirus(snapshot.antivirus)
    build = d.os_release_id or d.os_build
    first_ip = lan_ip(d.ip_addresses)
    storage = sum(v.capacity or 0 for v in d.volumes)
    is_virtual = bool(d.virtual_machine) or "GUEST" in (d.node_class or "").upper()
    hypervisor = None
    if "VMWARE" in (d.node_class or "").upper():
        hypervisor = "VMware"
    elif "HYPERV" in (d.node_class or "").upper():
        hypervisor = "Hyper-V"
    values: dict[str, Any] = {
        "os_type": os_type(d.os_name),
        "os_version": f"{d.os_name} ({build})" if d.os_name and build else d.os_name or build,
        "cpu_model": d.cpu_name,
        "cpu_cores": d.cpu_cores,
        "ram_gb": _ram_gb(d.total_memory),
        "storage_capacity_gb": round(storage / _GIB) if storage else None,
        "last_reboot_at": to_datetime(d.last_boot_time),
        "is_virtual": is_virtual,
        "hypervisor": hypervisor,
        "primary_ip": first_ip,
        "antivirus_status": av_status,
        "antivirus_product": av_product,
        "pending_patches": snapshot.pending_os_patches + snapshot.pending_software_patches,
        "failed_patches": snapshot.failed_os_patches + snapshot.failed_software_patches,
        "pending_os_patches": snapshot.pending_os_patches,
        "pending_software_patches": snapshot.pending_software_patches,
        "last_patch_scan_at": to_datetime(snapshot.last_patch_scan_at),
        "system_info": {
            "manufacturer": d.manufacturer,
            "model": d.model,
            "chassis_type": d.chassis_type,
            "domain": d.domain,
            "dns_name": d.dns_name,
            "netbios_name": d.netbios_name,
            "public_ip": d.public_ip,
            "os_name": d.os_name,
            "os_architecture": d.os_architecture,
        },
        "disk_usage": disk_usage(d.volumes),
        "current_user": d.last_logged_in_user,
        "uptime_seconds": _uptime(d),
        "lan_ip": first_ip,
        "wan_ip": d.public_ip,
        "device_type": _NETWORK_KIND.get((d.node_class or "").upper(), "switch"),
        "management_ip": d.ip_addresses[0] if d.ip_addresses else None,
        "firmware_version": d.os_build,
    }
    desired = DesiredAsset(
        device_id=str(d.id),
        org_id=str(d.organization_id),
        asset_type=asset_type,
        asset_tag=asset_tag_for(d),
        asset=asset,
        attributes=attributes,
        extension={k: values[k] for k in EXTENSION_FIELDS[asset_type]},
        node_class=d.node_class,
        serial=serial,
        manufacturer=d.manufacturer,
        macs=macs,
        unknown=frozenset() if d.volumes else _VOLUME_FIELDS,
    )
    desired.fingerprint = fingerprint or snapshot_fingerprint(snapshot, client_id, instance_url)
    return desired
