"""Payload quirks: absent fields, explicit nulls, unknown enums, both timestamp units."""

from __future__ import annotations

import pytest

from ninja_desk.ninjaone.parsers import (
    MalformedRecord,
    parse_activity,
    parse_alert,
    parse_device,
    parse_os_patch_row,
    parse_software_row,
)


def test_slim_device_without_optional_keys_parses() -> None:
    device = parse_device(
        {"id": 101, "organizationId": 1, "nodeClass": "WINDOWS_WORKSTATION",
         "systemName": "CONTOSO-WS01", "offline": False, "lastContact": 1742412252.744000000}
    )  # fmt: skip
    assert device.display_name is None
    assert device.name == "CONTOSO-WS01"
    assert device.last_contact == pytest.approx(1742412252.744)
    assert device.os_name is None and device.ip_addresses == []


def test_explicit_nulls_are_the_same_as_absent_keys() -> None:
    device = parse_device(
        {"id": 7, "organizationId": 2, "nodeClass": "MAC", "displayName": None, "tags": None,
         "os": None, "system": None, "processors": None, "volumes": None, "ipAddresses": None}
    )  # fmt: skip
    assert device.display_name is None and device.tags == [] and device.volumes == []


def test_unknown_node_class_and_device_type_are_kept() -> None:
    device = parse_device(
        {"id": 8, "organizationId": 2, "nodeClass": "QUANTUM_TOASTER", "deviceType": "Toaster"}
    )
    assert device.node_class == "QUANTUM_TOASTER"
    assert device.device_type == "Toaster"


def test_vmhost_hardware_is_read_from_top_level_fields() -> None:
    device = parse_device(
        {"id": 102, "organizationId": 1, "nodeClass": "VMWARE_VM_HOST", "deviceType": "VMHost",
         "vendor": "Dell Inc.", "model": "PowerEdge R750", "serviceTag": "7XK2Q53",
         "cpuModel": "Intel(R) Xeon(R) Gold 6338", "cpuCores": 32, "memorySize": 549755813888,
         "releaseName": "VMware ESXi 8.0.1", "lastBootTime": 1758761443.0}
    )  # fmt: skip
    assert (device.manufacturer, device.model, device.serial_number) == (
        "Dell Inc.",
        "PowerEdge R750",
        "7XK2Q53",
    )
    assert device.cpu_cores == 32 and device.total_memory == 549755813888
    assert device.os_name == "VMware ESXi 8.0.1"


def test_webhook_device_takes_its_organization_from_references() -> None:
    device = parse_device(
        {"id": 5, "nodeClass": "WINDOWS_SERVER",
         "references": {"organization": {"id": 9, "name": "Fabrikam"}}}
    )  # fmt: skip
    assert device.organization_id == 9


@pytest.mark.parametrize("raw", [{"organizationId": 1}, {"id": "abc", "organizationId": 1},
                                 {"id": 1}])  # fmt: skip
def test_device_without_id_or_organization_is_malformed(raw: dict) -> None:
    with pytest.raises(MalformedRecord):
        parse_device(raw)


def test_alert_from_an_older_tenant_has_no_severity() -> None:
    alert = parse_alert(
        {"uid": "50edcf11-de92-4ecb-955b-c8066488b6cc", "deviceId": 101,
         "createTime": 1730332915.000000000, "sourceType": "CONDITION_WINDOWS_EVENT_LOG_TRIGGERED"}
    )  # fmt: skip
    assert alert.severity is None and alert.priority is None
    assert alert.create_time == pytest.approx(1730332915.0)


def test_activity_without_severity_stays_unknown_and_unknown_codes_are_kept() -> None:
    activity = parse_activity(
        {"id": 347371446, "activityTime": 1759133165.953166000, "activityType": "BRAND_NEW",
         "statusCode": "SOMETHING_NEW",
         "data": {"message": {"params": {"start_date": 1742391365182}}}}
    )  # fmt: skip
    assert activity.severity is None and activity.priority is None  # not said is not NONE
    assert (activity.activity_type, activity.status_code) == ("BRAND_NEW", "SOMETHING_NEW")


def test_webhook_activity_time_with_millisecond_precision() -> None:
    activity = parse_activity({"id": 1, "activityTime": 1742391675.556, "activityType": "SYSTEM",
                               "statusCode": "NODE_CREATED", "deviceId": 103})  # fmt: skip
    assert activity.activity_time == pytest.approx(1742391675.556)


def test_software_install_date_stays_a_date_string() -> None:
    row = parse_software_row(
        {"deviceId": 101, "name": "7-Zip 24.08 (x64)", "installDate": "2025-02-11"}
    )
    assert row.install_date == "2025-02-11"


def test_patch_installed_at_in_milliseconds_is_converted() -> None:
    row = parse_os_patch_row(
        {"deviceId": 1, "id": "kb1", "name": "2025-01 Cumulative Update", "status": "FAILED",
         "installedAt": 1742391365182}
    )  # fmt: skip
    assert row.installed_at == pytest.approx(1742391365.182)
