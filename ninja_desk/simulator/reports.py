"""`/v2/queries/*` reports: per-device row builders returning JSON text, plus the filters
each report accepts (reference §6.6). Rows are serialised here so a 10,000-row page is one
string join; software rows are pre-serialised fragments (see inventory.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ninja_desk.simulator import catalog
from ninja_desk.simulator.fleet import DeviceRec
from ninja_desk.simulator.inventory import Inventory, iso_date
from ninja_desk.simulator.serializers import rest_json, ts_text, volumes
from ninja_desk.simulator.tenant import Tenant

RowBuilder = Callable[[Tenant, DeviceRec, Mapping[str, str], "ReportContext"], list[str]]


# Serialised rows per (report, filter params, device), valid while the device's revision is
# unchanged (every change touching a device bumps it, tenant.py). Software is left out: its
# ~400k rows would cost ~100 MB, and formatting them from fragments is cheap anyway.
_UNCACHED = frozenset({"software"})


class RowCache:
    def __init__(self) -> None:
        self._rows: dict[tuple[str, tuple[tuple[str, str], ...], int], tuple[int, list[str]]] = {}

    def rows(
        self,
        name: str,
        builder: RowBuilder,
        tenant: Tenant,
        dev: DeviceRec,
        params: Mapping[str, str],
        ctx: ReportContext,
    ) -> list[str]:
        if name in _UNCACHED:
            return builder(tenant, dev, params, ctx)
        key = (name, tuple(sorted((k, v) for k, v in params.items() if k != "df")), dev.id)
        hit = self._rows.get(key)
        if hit is not None and hit[0] == dev.revision:
            return hit[1]
        rows = builder(tenant, dev, params, ctx)
        self._rows[key] = (dev.revision, rows)
        return rows


# Reports (and params) a full sync reads; warmed in the background after startup.
WARM_REPORTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("os-patches", {}),
    ("software-patches", {}),
    ("antivirus-status", {}),
    ("device-health", {}),
    ("volumes", {}),
    ("volumes", {"include": "bl"}),
)


async def prewarm(tenant: Tenant, cache: RowCache, chunk: int = 250) -> int:
    """Serialise every device's rows of the sync reports ahead of the first sync.

    Runs as a background task in small chunks, yielding to the loop between them, so requests
    are served meanwhile; a request that reaches a device first simply builds its rows itself.
    Returns the number of devices warmed.
    """
    devices = [tenant.fleet.devices[i] for i in tenant.fleet.sorted_device_ids()]
    for start in range(0, len(devices), chunk):
        ctx = ReportContext(tenant)
        for dev in devices[start : start + chunk]:
            if dev.id not in tenant.fleet.devices:
                continue  # deleted meanwhile
            tenant.json_cache.detailed(dev)
            for name, params in WARM_REPORTS:
                cache.rows(name, REPORTS[name], tenant, dev, params, ctx)
        await asyncio.sleep(0)
    return len(devices)


class ReportContext:
    """Per-request memo: things several rows need (alert counts) computed once."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._alert_counts: dict[int, int] | None = None

    def alert_count(self, device_id: int) -> int:
        if self._alert_counts is None:
            counts: dict[int, int] = {}
            for alert in self.tenant.alerts.values():
                counts[alert["deviceId"]] = counts.get(alert["deviceId"], 0) + 1
            self._alert_counts = counts
        return self._alert_counts.get(device_id, 0)


def _ts(dev: DeviceRec) -> float:
    return dev.last_update


def _date_param(params: Mapping[str, str], name: str) -> str | None:
    """installedBefore/After arrive as epoch seconds or YYYY-MM-DD (reference §3)."""
    raw = params.get(name)
    if not raw:
        return None
    if raw.replace(".", "", 1).isdigit():
        return iso_date(float(raw))
    return raw[:10]


def _epoch_param(params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return datetime.strptime(raw[:10], "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def _keep(row: Mapping[str, Any], params: Mapping[str, str], *keys: str) -> bool:
    for key in keys:
        want = params.get(key)
        if want and str(row.get(key, "")).upper() not in {
            w.strip().upper() for w in want.split(",")
        }:
            return False
    return True


def software(t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext) -> list[str]:
    before, after = _date_param(p, "installedBefore"), _date_param(p, "installedAfter")
    tail = f',"deviceId":{dev.id},"timestamp":{ts_text(_ts(dev))}}}'
    out = []
    for item in t.inventory.software(dev):
        if (before and item.install_date >= before) or (after and item.install_date <= after):
            continue
        out.append(f'{{"installDate":"{item.install_date}",{item.fragment}{tail}')
    return out


def _patch_rows(
    rows: list[dict[str, Any]],
    dev: DeviceRec,
    p: Mapping[str, str],
    keys: tuple[str, ...],
    installs: bool,
) -> list[str]:
    before, after = _epoch_param(p, "installedBefore"), _epoch_param(p, "installedAfter")
    out = []
    for row in rows:
        if not _keep(row, p, *keys):
            continue
        if installs and (
            (before and row["installedAt"] >= before) or (after and row["installedAt"] <= after)
        ):
            continue
        out.append(rest_json(row | {"deviceId": dev.id, "timestamp": _ts(dev)}))
    return out


def _patch_report(
    rows: Callable[[Inventory, DeviceRec], list[dict[str, Any]]],
    keys: tuple[str, ...],
    installs: bool,
) -> RowBuilder:
    def build(t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext) -> list[str]:
        return _patch_rows(rows(t.inventory, dev), dev, p, keys, installs)

    return build


_SOFTWARE_PATCH_KEYS = ("status", "productIdentifier", "type", "impact")
os_patches = _patch_report(Inventory.os_patches, ("status", "type", "severity"), False)
os_patch_installs = _patch_report(Inventory.os_patch_installs, ("status",), True)
software_patches = _patch_report(Inventory.software_patches, _SOFTWARE_PATCH_KEYS, False)
software_patch_installs = _patch_report(
    Inventory.software_patch_installs, _SOFTWARE_PATCH_KEYS, True
)


def volumes_report(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    include_bl = "bl" in (p.get("include") or "").split(",")
    return [
        rest_json(v | {"deviceId": dev.id, "timestamp": _ts(dev)})
        for v in volumes(dev, include_bl=include_bl, for_report=True)
    ]


def processors(t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext) -> list[str]:
    return [
        rest_json(c | {"deviceId": dev.id, "timestamp": _ts(dev)})
        for c in dev.detail.get("processors", ())
    ]


def disk_rows(dev: DeviceRec) -> list[dict[str, Any]]:
    if not dev.is_agent:
        return []
    total = sum(v["capacity"] for v in dev.detail.get("volumes", ()))
    ssd = dev.id % 4 != 0
    return [
        {
            "bytesPerSector": 512,
            "description": "Disk drive",
            "interfaceType": "SCSI" if ssd else "IDE",
            "manufacturer": "(Standard disk drives)",
            "mediaType": "Fixed hard disk media",
            "model": "Samsung SSD 980 PRO 1TB" if ssd else "WDC WD10EZEX-08WN4A0",
            "name": "\\\\.\\PHYSICALDRIVE0",
            "partitionCount": len(dev.detail.get("volumes", ())) + 1,
            "serialNumber": f"S5GXNF0R{dev.id:06d}",
            "size": total + 1_048_576 * 600,
            "smartCapable": True,
            "status": "OK",
        }
    ]


def disks(t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext) -> list[str]:
    return [rest_json(d | {"deviceId": dev.id, "timestamp": _ts(dev)}) for d in disk_rows(dev)]


def network_interface_rows(dev: DeviceRec) -> list[dict[str, Any]]:
    if not dev.is_agent or not dev.ip_addresses:
        return []
    ip = dev.ip_addresses[0]
    gateway = ".".join(ip.split(".")[:3]) + ".1"
    return [
        {
            "adapterName": "Intel(R) Ethernet Connection (17) I219-LM",
            "defaultGateway": gateway,
            "interfaceType": "ETHERNET",
            "dnsHostName": dev.system_name,
            "dnsServers": gateway,
            "interfaceIndex": "12",
            "interfaceName": "Ethernet",
            "ipAddress": list(dev.ip_addresses),
            "linkSpeed": "1000000000",
            "macAddress": list(dev.mac_addresses),
            "mtu": "1500",
            "status": "UP",
            "subnetMask": "255.255.255.0",
        }
    ]


def network_interfaces(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    # The only report without a timestamp (reference §6.6).
    return [rest_json(n | {"deviceId": dev.id}) for n in network_interface_rows(dev)]


def computer_systems(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    system = dev.detail.get("system")
    if system is None:
        return []
    return [rest_json(dict(system, name=dev.system_name, deviceId=dev.id, timestamp=_ts(dev)))]


def operating_systems(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    os = dev.detail.get("os")
    return [] if os is None else [rest_json(os | {"deviceId": dev.id, "timestamp": _ts(dev)})]


def logged_on_user(dev: DeviceRec) -> dict[str, Any] | None:
    if not dev.last_user:
        return None
    return {"userName": dev.last_user, "logonTime": round(dev.last_contact - 3600 * 3, 3)}


def logged_on_users(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    user = logged_on_user(dev)
    return [] if user is None else [rest_json(user | {"deviceId": dev.id})]


def antivirus_status(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    if dev.av is None:
        return []
    product, version, state, defs = dev.av
    row = {
        "productName": product,
        "productState": state,
        "definitionStatus": defs,
        "version": version,
        "deviceId": dev.id,
        "timestamp": _ts(dev),
    }
    return [rest_json(row)] if _keep(row, p, "productState", "productName") else []


def threat_rows(dev: DeviceRec) -> list[dict[str, Any]]:
    if dev.av is None or dev.id % 61 != 7:
        return []
    name, ttype, level = catalog.AV_THREATS[dev.id % len(catalog.AV_THREATS)]
    return [
        {
            "name": name,
            "productCode": dev.av[0],
            "quarantineId": f"Q-{1000 + dev.id}",
            "status": "QUARANTINED" if dev.id % 2 else "ACTIVE",
            "type": ttype,
            "threatId": 5000 + dev.id,
            "category": ttype,
            "level": level,
            "detectionSource": "REAL_TIME",
            "traceList": f"C:\\Users\\Public\\Downloads\\setup-{dev.id}.exe",
        }
    ]


def antivirus_threats(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    return [rest_json(r | {"deviceId": dev.id, "timestamp": _ts(dev)}) for r in threat_rows(dev)]


def health_row(t: Tenant, dev: DeviceRec, ctx: ReportContext) -> dict[str, Any]:
    osp = t.inventory.os_patches(dev)
    swp = t.inventory.software_patches(dev)
    threats = threat_rows(dev)
    alerts = ctx.alert_count(dev.id)
    row: dict[str, Any] = {
        "activeThreatsCount": sum(1 for r in threats if r["status"] == "ACTIVE"),
        "quarantinedThreatsCount": sum(1 for r in threats if r["status"] == "QUARANTINED"),
        "blockedThreatsCount": 0,
        "failedOSPatchesCount": sum(1 for r in osp if r["status"] == "FAILED"),
        "pendingOSPatchesCount": sum(1 for r in osp if r["status"] in ("MANUAL", "APPROVED")),
        "alertCount": alerts,
        "activeJobCount": 0,
        "failedSoftwarePatchesCount": sum(1 for r in swp if r["status"] == "FAILED"),
        "pendingSoftwarePatchesCount": sum(1 for r in swp if r["status"] in ("MANUAL", "APPROVED")),
    }
    if dev.pending_reboot_reason:
        row["pendingRebootReason"] = dev.pending_reboot_reason
    row["productsInstallationStatuses"] = {}
    row["offline"] = dev.offline
    if dev.parent_id is not None:
        parent = t.fleet.devices.get(dev.parent_id)
        row["parentDeviceId"] = dev.parent_id
        row["parentOffline"] = bool(parent and parent.offline)
    else:
        row["parentOffline"] = False
    critical = alerts > 0 and any(
        a.get("severity") == "CRITICAL" for a in t.alerts.values() if a["deviceId"] == dev.id
    )
    attention = (
        alerts
        or row["failedOSPatchesCount"]
        or row["pendingOSPatchesCount"]
        or row["failedSoftwarePatchesCount"]
        or dev.pending_reboot_reason
    )
    if row["activeThreatsCount"] or critical:
        status = "UNHEALTHY"
    elif attention:
        status = "NEEDS_ATTENTION"
    else:
        status = "HEALTHY"
    row["healthStatus"] = status
    row["installationIssuesCount"] = 0
    row["deviceId"] = dev.id
    return row


def device_health(t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext) -> list[str]:
    row = health_row(t, dev, ctx)
    want = p.get("health")
    if want and row["healthStatus"] not in want.upper().split(","):
        return []
    return [rest_json(row)]


def windows_services(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    name, state = p.get("name"), p.get("state")
    out = []
    for row in t.services.list(dev):
        if name and name.lower() not in (row["name"].lower(), row["displayName"].lower()):
            continue
        if state and row["state"] != state.upper():
            continue
        out.append(rest_json(row | {"deviceId": dev.id, "timestamp": _ts(dev)}))
    return out


def _field_filter(p: Mapping[str, str], values: dict[str, Any]) -> dict[str, Any]:
    wanted = {f.strip() for f in p.get("fields", "").split(",") if f.strip()}
    return {k: v for k, v in values.items() if not wanted or k in wanted}


def custom_fields(t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext) -> list[str]:
    fields = _field_filter(p, t.custom_fields.get("device", dev.id))
    return [rest_json({"deviceId": dev.id, "fields": fields})] if fields else []


def scoped_custom_fields(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    # Rows per device (scope NODE); organization and location values are served by
    # their own /custom-fields endpoints.
    scopes = {s.strip().upper() for s in p.get("scopes", "all").split(",")}
    if not scopes & {"ALL", "NODE"}:
        return []
    fields = _field_filter(p, t.custom_fields.get("device", dev.id))
    return [rest_json({"scope": "NODE", "entityId": dev.id, "fields": fields})] if fields else []


def policy_overrides(
    t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext
) -> list[str]:
    if dev.policy_id is None:
        return []
    return [rest_json({"overrides": ["PATCH_MANAGEMENT", "CONDITIONS"], "deviceId": dev.id})]


def no_rows(t: Tenant, dev: DeviceRec, p: Mapping[str, str], ctx: ReportContext) -> list[str]:
    """Reports of hardware the simulated fleet does not have (RAID controllers, drives)."""
    return []


REPORTS: dict[str, RowBuilder] = {
    "software": software,
    "os-patches": os_patches,
    "os-patch-installs": os_patch_installs,
    "software-patches": software_patches,
    "software-patch-installs": software_patch_installs,
    "volumes": volumes_report,
    "processors": processors,
    "disks": disks,
    "antivirus-status": antivirus_status,
    "antivirus-threats": antivirus_threats,
    "device-health": device_health,
    "computer-systems": computer_systems,
    "operating-systems": operating_systems,
    "network-interfaces": network_interfaces,
    "logged-on-users": logged_on_users,
    "windows-services": windows_services,
    "custom-fields": custom_fields,
    "scoped-custom-fields": scoped_custom_fields,
    "policy-overrides": policy_overrides,
    "raid-controllers": no_rows,
    "raid-drives": no_rows,
}


# Datasets a full sync reads from reports, by the cache's names, and the report behind each.
DATASET_REPORTS: dict[str, str] = {
    "software": "software",
    "os_patches": "os-patches",
    "software_patches": "software-patches",
    "antivirus": "antivirus-status",
    "device_health": "device-health",
    "volumes": "volumes",
}


def dataset_totals(tenant: Tenant) -> dict[str, int]:
    """Rows per dataset an unfiltered full read returns, counted from the simulator's own
    state without serialising a row (a sync benchmark's expected totals, which must not come
    from the cache the sync filled)."""
    fleet, inventory = tenant.fleet, tenant.inventory
    devices = list(fleet.devices.values())
    per_device: dict[str, Callable[[DeviceRec], int]] = {
        "software": inventory.software_count,
        "os_patches": lambda d: len(inventory.os_patches(d)),
        "software_patches": lambda d: len(inventory.software_patches(d)),
        "antivirus": lambda d: d.av is not None,
        "device_health": lambda d: 1,
        "volumes": lambda d: len(d.detail.get("volumes", ())),
    }
    totals = {
        "organizations": len(fleet.orgs),
        "locations": len(fleet.locations),
        "devices": len(devices),
        "alerts": len(tenant.alerts),
    }
    for dataset, count in per_device.items():
        totals[dataset] = sum(count(d) for d in devices)
    return totals
