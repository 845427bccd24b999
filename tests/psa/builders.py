"""Small builders for devices, snapshots and organizations used by the PSA tests and bench."""

from __future__ import annotations

from ninja_desk.core.devices import Device
from ninja_desk.core.inventory import AntivirusStatus, SoftwareItem
from ninja_desk.core.organizations import Organization
from ninja_desk.core.snapshots import DeviceSnapshot


def device(
    device_id: int,
    org_id: int = 1,
    *,
    node_class: str = "WINDOWS_WORKSTATION",
    name: str | None = None,
    serial: str | None = None,
    manufacturer: str | None = "Dell Inc.",
    macs: list[str] | None = None,
    offline: bool = False,
    last_contact: float = 1_759_136_775.5,
    os_name: str = "Windows 11 Pro",
    memory: int = 16 * 1024**3,
) -> Device:
    return Device(
        id=device_id,
        organization_id=org_id,
        node_class=node_class,
        system_name=name or f"PC-{device_id:05d}",
        serial_number=serial if serial is not None else f"SN{device_id:08d}",
        manufacturer=manufacturer,
        model="Latitude 5440",
        mac_addresses=macs
        if macs is not None
        else [
            f"D4:BE:D9:{device_id >> 16 & 255:02X}:{device_id >> 8 & 255:02X}:{device_id & 255:02X}"
        ],
        ip_addresses=[f"10.0.{device_id >> 8 & 255}.{device_id & 255}"],
        offline=offline,
        last_contact=last_contact,
        os_name=os_name,
        os_build="22631",
        os_architecture="64-bit",
        cpu_name="Intel(R) Core(TM) i7",
        cpu_cores=8,
        total_memory=memory,
        domain="CORP",
        virtual_machine=False,
    )


def snapshot(
    dev: Device,
    *,
    deleted: bool = False,
    software: int = 0,
    pending_os: int = 2,
    av_state: str = "ON",
) -> DeviceSnapshot:
    return DeviceSnapshot(
        device=dev,
        pending_os_patches=pending_os,
        pending_software_patches=1,
        failed_os_patches=0,
        failed_software_patches=1,
        last_patch_scan_at=1_759_100_000.0,
        antivirus=AntivirusStatus(dev.id, "Bitdefender", av_state, "UP_TO_DATE"),
        software=[SoftwareItem(dev.id, f"App {i}", "Vendor", f"1.{i}") for i in range(software)],
        deleted=deleted,
    )


def org(org_id: int, name: str) -> Organization:
    return Organization(id=org_id, name=name)


def software(
    device_id: int, name: str, publisher: str | None = "Vendor", version: str | None = "1.0"
) -> SoftwareItem:
    return SoftwareItem(device_id, name, publisher, version)
