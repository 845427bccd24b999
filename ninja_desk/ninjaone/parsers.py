"""NinjaOne JSON -> core types. Tolerant by design.

Unknown fields are ignored, explicit nulls and absent keys are the same thing, unknown enum
values are kept as strings, timestamps may be seconds or milliseconds. A record without the
one field we cannot do without (its id) raises `MalformedRecord`, which the caller counts and
skips so one bad row never loses a whole sync.
"""

from __future__ import annotations

from typing import Any

from ninja_desk.core.activities import Activity, Alert
from ninja_desk.core.devices import Device, Volume
from ninja_desk.core.inventory import (
    AntivirusStatus,
    DeviceHealth,
    OsPatch,
    SoftwareItem,
    SoftwarePatch,
)
from ninja_desk.core.organizations import Location, Organization
from ninja_desk.core.timestamps import epoch_seconds


class MalformedRecord(ValueError):
    pass


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if v is not None]


def _required_int(raw: dict[str, Any], key: str, what: str) -> int:
    value = _int(raw.get(key))
    if value is None:
        raise MalformedRecord(f"{what} without a usable '{key}': {str(raw)[:120]}")
    return value


def parse_organization(raw: dict[str, Any]) -> Organization:
    return Organization(
        id=_required_int(raw, "id", "organization"),
        name=_str(raw.get("name")) or f"Organization {raw.get('id')}",
        description=_str(raw.get("description")),
        node_approval_mode=_str(raw.get("nodeApprovalMode")),
        tags=_str_list(raw.get("tags")),
    )


def parse_location(raw: dict[str, Any], organization_id: int | None = None) -> Location:
    org = _int(raw.get("organizationId"))
    if org is None:
        org = organization_id
    if org is None:
        raise MalformedRecord(f"location without an organization: {str(raw)[:120]}")
    return Location(
        id=_required_int(raw, "id", "location"),
        organization_id=org,
        name=_str(raw.get("name")) or f"Location {raw.get('id')}",
        address=_str(raw.get("address")),
        description=_str(raw.get("description")),
    )


def _parse_volume(raw: Any) -> Volume | None:
    if not isinstance(raw, dict):
        return None
    bitlocker = _dict(raw.get("bitLockerStatus")).get("protectionStatus")
    return Volume(
        name=_str(raw.get("name")) or _str(raw.get("driveLetter")) or "?",
        label=_str(raw.get("label")),
        file_system=_str(raw.get("fileSystem")),
        capacity=_int(raw.get("capacity")),
        free_space=_int(raw.get("freeSpace")),
        bitlocker_status=_str(bitlocker),
    )


def parse_device(raw: dict[str, Any]) -> Device:
    """Slim (`/devices`), detailed (`/devices-detailed`, `/device/{id}`) or webhook device."""
    os_ = _dict(raw.get("os"))
    system = _dict(raw.get("system"))
    processors = raw.get("processors") if isinstance(raw.get("processors"), list) else []
    first_cpu = _dict(processors[0]) if processors else {}
    references = _dict(raw.get("references"))
    org_id = _int(raw.get("organizationId"))
    if org_id is None:
        org_id = _int(_dict(references.get("organization")).get("id"))
    if org_id is None:
        raise MalformedRecord(f"device without an organization: {str(raw)[:120]}")
    memory = _int(_dict(raw.get("memory")).get("capacity")) or _int(
        system.get("totalPhysicalMemory")
    )
    # VMHost and VMGuest payloads carry their hardware flat at the top level (CAP-FEAS).
    return Device(
        id=_required_int(raw, "id", "device"),
        organization_id=org_id,
        node_class=_str(raw.get("nodeClass")) or "UNKNOWN",
        system_name=_str(raw.get("systemName")),
        uid=_str(raw.get("uid")),
        location_id=_int(raw.get("locationId")),
        display_name=_str(raw.get("displayName")),
        dns_name=_str(raw.get("dnsName")),
        netbios_name=_str(raw.get("netbiosName")),
        offline=_bool(raw.get("offline")),
        approval_status=_str(raw.get("approvalStatus")),
        device_type=_str(raw.get("deviceType")),
        parent_device_id=_int(raw.get("parentDeviceId")),
        node_role_id=_int(raw.get("nodeRoleId")),
        policy_id=_int(raw.get("policyId")),
        created=epoch_seconds(raw.get("created")),
        last_contact=epoch_seconds(raw.get("lastContact")),
        last_update=epoch_seconds(raw.get("lastUpdate")),
        maintenance_status=_str(_dict(raw.get("maintenance")).get("status")),
        tags=_str_list(raw.get("tags")),
        os_name=_str(os_.get("name"))
        or _str(raw.get("guestOSFullName"))
        or _str(raw.get("releaseName")),
        os_manufacturer=_str(os_.get("manufacturer")),
        os_architecture=_str(os_.get("architecture")),
        os_build=_str(os_.get("buildNumber")) or _str(raw.get("buildNumber")),
        os_release_id=_str(os_.get("releaseId")),
        needs_reboot=_bool(os_.get("needsReboot")),
        last_boot_time=epoch_seconds(os_.get("lastBootTime") or raw.get("lastBootTime")),
        manufacturer=_str(system.get("manufacturer")) or _str(raw.get("vendor")),
        model=_str(system.get("model")) or _str(raw.get("model")),
        serial_number=_str(system.get("serialNumber")) or _str(raw.get("serviceTag")),
        bios_serial_number=_str(system.get("biosSerialNumber")),
        domain=_str(system.get("domain")),
        domain_role=_str(system.get("domainRole")),
        chassis_type=_str(system.get("chassisType")),
        virtual_machine=_bool(system.get("virtualMachine")),
        total_memory=memory or _int(raw.get("memorySize")),
        cpu_name=_str(first_cpu.get("name")) or _str(raw.get("cpuModel")),
        cpu_cores=_int(first_cpu.get("numCores")) or _int(raw.get("cpuCores")),
        cpu_logical_cores=_int(first_cpu.get("numLogicalCores")) or _int(raw.get("cpuThreads")),
        ip_addresses=_str_list(raw.get("ipAddresses")),
        mac_addresses=_str_list(raw.get("macAddresses")),
        public_ip=_str(raw.get("publicIP")),
        last_logged_in_user=_str(raw.get("lastLoggedInUser")),
        volumes=[v for v in map(_parse_volume, raw.get("volumes") or []) if v is not None],
    )


def _embedded_device(value: Any) -> Device | None:
    """The `device` an expanded payload carries; None when absent or unusable (the activity
    or alert itself is still good)."""
    if not isinstance(value, dict):
        return None
    try:
        return parse_device(value)
    except MalformedRecord:
        return None


def parse_alert(raw: dict[str, Any]) -> Alert:
    uid = _str(raw.get("uid"))
    if not uid:
        raise MalformedRecord(f"alert without a uid: {str(raw)[:120]}")
    return Alert(
        uid=uid,
        device_id=_int(raw.get("deviceId")),
        message=_str(raw.get("message")),
        create_time=epoch_seconds(raw.get("createTime")),
        update_time=epoch_seconds(raw.get("updateTime")),
        source_type=_str(raw.get("sourceType")),
        source_config_uid=_str(raw.get("sourceConfigUid")),
        source_name=_str(raw.get("sourceName")),
        subject=_str(raw.get("subject")),
        severity=_str(raw.get("severity")) or None,
        priority=_str(raw.get("priority")) or None,
        condition_name=_str(raw.get("conditionName")) or None,
        condition_health_status=_str(raw.get("conditionHealthStatus")),
        data=_dict(raw.get("data")),
        device=_embedded_device(raw.get("device")),
    )


def parse_activity(raw: dict[str, Any]) -> Activity:
    """A `/v2/activities` row or a webhook delivery (the same shape). Absent severity and
    priority stay None: only NinjaOne saying "NONE" is NONE."""
    data = _dict(raw.get("data"))
    device = _embedded_device(raw.get("device"))
    return Activity(
        id=_required_int(raw, "id", "activity"),
        activity_time=epoch_seconds(raw.get("activityTime")),
        activity_type=_str(raw.get("activityType")) or "UNKNOWN",
        status_code=_str(raw.get("statusCode")) or "UNKNOWN",
        device_id=_int(raw.get("deviceId")) or (device.id if device else None),
        series_uid=_str(raw.get("seriesUid")) or None,
        status=_str(raw.get("status")),
        severity=_str(raw.get("severity")) or None,
        priority=_str(raw.get("priority")) or None,
        activity_result=_str(raw.get("activityResult")),
        source_config_uid=_str(raw.get("sourceConfigUid")),
        source_name=_str(raw.get("sourceName")),
        source_type=_str(raw.get("sourceType")) or None,
        message_code=_str(_dict(data.get("message")).get("code")) or None,
        condition_name=_str(raw.get("conditionName")) or None,
        subject=_str(raw.get("subject")),
        user_id=_int(raw.get("userId")),
        message=_str(raw.get("message")),
        type=_str(raw.get("type")),
        data=data,
        device=device,
    )


def parse_software_row(raw: dict[str, Any]) -> SoftwareItem:
    return SoftwareItem(*software_row_values(raw))


def software_row_values(raw: dict[str, Any]) -> tuple[Any, ...]:
    """A SoftwareItem's fields in declaration order, without building the object.

    The full sync streams millions of these rows straight into the cache, where building and
    unpacking a dataclass per row cost more than the rest of the parsing; this is the one
    parser, `parse_software_row` wraps it. The common case (an int id, an int size) skips
    the general converters.
    """
    get = raw.get
    device_id = get("deviceId")
    if device_id.__class__ is not int:
        device_id = _required_int(raw, "deviceId", "software row")
    size = get("size")
    if size is not None and size.__class__ is not int:
        size = _int(size)
    return (
        device_id,
        _str(get("name")) or "(unnamed)",
        _str(get("publisher")),
        _str(get("version")),
        _str(get("installDate")),
        _str(get("location")),
        size,
        _str(get("productCode")),
    )


def _patch_fields(raw: dict[str, Any], what: str, *id_fallbacks: str) -> dict[str, Any]:
    """The fields both patch reports share (core.inventory.PatchRow); the patch id falls back
    to the first of `id_fallbacks` that is present, else "?"."""
    patch_id = next((value for key in ("id", *id_fallbacks) if (value := _str(raw.get(key)))), "?")
    return {
        "device_id": _required_int(raw, "deviceId", what),
        "id": patch_id,
        "status": _str(raw.get("status")) or "UNKNOWN",
        "type": _str(raw.get("type")),
        "installed_at": epoch_seconds(raw.get("installedAt")),
        "timestamp": epoch_seconds(raw.get("timestamp")),
    }


def parse_os_patch_row(raw: dict[str, Any]) -> OsPatch:
    return OsPatch(
        **_patch_fields(raw, "OS patch row", "kbNumber", "name"),
        name=_str(raw.get("name")) or "(unnamed patch)",
        kb_number=_str(raw.get("kbNumber")),
        severity=_str(raw.get("severity")),
    )


def parse_software_patch_row(raw: dict[str, Any]) -> SoftwarePatch:
    return SoftwarePatch(
        **_patch_fields(raw, "software patch row", "productIdentifier"),
        title=_str(raw.get("title")) or "(untitled patch)",
        product_identifier=_str(raw.get("productIdentifier")),
        impact=_str(raw.get("impact")),
    )


def parse_antivirus_row(raw: dict[str, Any]) -> AntivirusStatus:
    return AntivirusStatus(
        device_id=_required_int(raw, "deviceId", "antivirus row"),
        product_name=_str(raw.get("productName")),
        product_state=_str(raw.get("productState")),
        definition_status=_str(raw.get("definitionStatus")),
        version=_str(raw.get("version")),
        timestamp=epoch_seconds(raw.get("timestamp")),
    )


def parse_device_health_row(raw: dict[str, Any]) -> DeviceHealth:
    return DeviceHealth(
        device_id=_required_int(raw, "deviceId", "device health row"),
        health_status=_str(raw.get("healthStatus")),
        pending_os_patches=_int(raw.get("pendingOSPatchesCount")) or 0,
        failed_os_patches=_int(raw.get("failedOSPatchesCount")) or 0,
        pending_software_patches=_int(raw.get("pendingSoftwarePatchesCount")) or 0,
        failed_software_patches=_int(raw.get("failedSoftwarePatchesCount")) or 0,
        active_threats=_int(raw.get("activeThreatsCount")) or 0,
        alert_count=_int(raw.get("alertCount")) or 0,
        pending_reboot_reason=_str(raw.get("pendingRebootReason")),
        offline=_bool(raw.get("offline")),
    )
