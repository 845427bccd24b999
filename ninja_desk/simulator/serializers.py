"""Wire shapes of the simulated tenant, as plain dicts and cached JSON text.

Shapes follow reference §7 and the real captures of §12: unset device properties are left
out (no `displayName` key unless set), timestamps are fractional epoch seconds, `deviceType`
carries the schema name, and `/v2/devices` objects have neither `deviceType` nor `references`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ninja_desk.simulator.fleet import DeviceRec, Fleet, LocRec, OrgRec

_dumps = json.JSONEncoder(separators=(",", ":")).encode
# REST timestamps are written with nine decimals on the wire (`1743088826.524929000`,
# reference §3); Python prints the shortest repr, so pad the known timestamp keys. Padding
# the repr keeps the value exact (formatting with %.9f would print binary noise digits).
_TS_KEYS = (
    "created",
    "lastContact",
    "lastUpdate",
    "lastBootTime",
    "createTime",
    "updateTime",
    "activityTime",
    "timestamp",
    "installedAt",
    "logonTime",
)
_TS_RE = re.compile(r'"(' + "|".join(_TS_KEYS) + r')":(\d+)(?:\.(\d{1,9}))?(?=[,}])')


def _pad(match: re.Match[str]) -> str:
    return f'"{match[1]}":{match[2]}.{(match[3] or "").ljust(9, "0")}'


def dumps(value: Any) -> str:
    """Compact JSON, as-is (webhook bodies, control answers)."""
    return _dumps(value)


def rest_json(value: Any) -> str:
    """Compact JSON with REST-style nine-decimal timestamps."""
    return _TS_RE.sub(_pad, _dumps(value))


def ts_text(value: float) -> str:
    """One timestamp in REST style, for rows assembled as text."""
    whole, _, frac = repr(float(value)).partition(".")
    return f"{whole}.{frac.ljust(9, '0')[:9]}"


def org_brief(org: OrgRec) -> dict[str, Any]:
    out: dict[str, Any] = {"id": org.id, "name": org.name}
    if org.description:
        out["description"] = org.description
    out["nodeApprovalMode"] = org.node_approval_mode
    out["userData"] = {}
    out["tags"] = []
    return out


def location(loc: LocRec, *, with_org: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": loc.id, "name": loc.name}
    if loc.address:
        out["address"] = loc.address
    if loc.description:
        out["description"] = loc.description
    out["userData"] = {}
    out["tags"] = []
    if with_org:
        out["organizationId"] = loc.org_id
    return out


def org_detailed(org: OrgRec, fleet: Fleet) -> dict[str, Any]:
    out = org_brief(org)
    out["locations"] = [
        location(fleet.locations[i]) for i in org.location_ids if i in fleet.locations
    ]
    out["policies"] = [{"nodeRoleId": 1, "policyId": 5}, {"nodeRoleId": 1002, "policyId": 57}]
    out["settings"] = {
        "trayicon": {"enabled": False},
        "splashtop": {"enabled": True},
        "teamviewer": {"enabled": False, "targets": []},
        "backup": {"enabled": False},
        "psa": {"enabled": False},
    }
    return out


def device_base(dev: DeviceRec) -> dict[str, Any]:
    """NodeWithDetailedReferences without references: the `/v2/devices` element."""
    out: dict[str, Any] = {"id": dev.id, "uid": dev.uid}
    if dev.parent_id is not None:
        out["parentDeviceId"] = dev.parent_id
    out["organizationId"] = dev.org_id
    out["locationId"] = dev.loc_id
    out["nodeClass"] = dev.node_class
    out["nodeRoleId"] = dev.role_id
    out["rolePolicyId"] = dev.role_policy_id
    if dev.policy_id is not None:
        out["policyId"] = dev.policy_id
    out["approvalStatus"] = dev.approval_status
    out["offline"] = dev.offline
    if dev.display_name:
        out["displayName"] = dev.display_name
    out["systemName"] = dev.system_name
    if dev.dns_name:
        out["dnsName"] = dev.dns_name
    if dev.netbios_name:
        out["netbiosName"] = dev.netbios_name
    out["created"] = dev.created
    out["lastContact"] = dev.last_contact
    out["lastUpdate"] = dev.last_update
    if dev.maintenance:
        out["maintenance"] = dict(dev.maintenance)
    return out


def device_detailed(dev: DeviceRec) -> dict[str, Any]:
    out = device_base(dev)
    out["tags"] = []
    if dev.ip_addresses:
        out["ipAddresses"] = list(dev.ip_addresses)
    if dev.mac_addresses:
        out["macAddresses"] = list(dev.mac_addresses)
    if dev.public_ip:
        out["publicIP"] = dev.public_ip
    out.update(dev.detail)
    if "system" in out:
        # The system block repeats the live name (a rename shows there too).
        out["system"] = dict(out["system"], name=dev.system_name)
    out["deviceType"] = dev.device_type
    return out


def references(dev: DeviceRec, fleet: Fleet, expand: set[str]) -> dict[str, Any]:
    """`references` as webhook deliveries carry it: org {name, nodeApprovalMode, id}, loc
    {name, id} (reference §9.2, CAP-FEAS)."""
    refs: dict[str, Any] = {}
    org = fleet.orgs.get(dev.org_id)
    if "organization" in expand and org is not None:
        refs["organization"] = {
            "name": org.name,
            "nodeApprovalMode": org.node_approval_mode,
            "id": org.id,
        }
    loc = fleet.locations.get(dev.loc_id)
    if "location" in expand and loc is not None:
        refs["location"] = {"name": loc.name, "id": loc.id}
    return refs


class DeviceJsonCache:
    """Serialised device JSON keyed on (id, revision): pages become string joins."""

    def __init__(self) -> None:
        self._slim: dict[int, tuple[int, str]] = {}
        self._detailed: dict[int, tuple[int, str]] = {}

    def slim(self, dev: DeviceRec) -> str:
        return _cached(self._slim, dev, device_base)

    def detailed(self, dev: DeviceRec) -> str:
        return _cached(self._detailed, dev, device_detailed)

    def forget(self, device_id: int) -> None:
        self._slim.pop(device_id, None)
        self._detailed.pop(device_id, None)


def _cached(
    texts: dict[int, tuple[int, str]],
    dev: DeviceRec,
    shape: Callable[[DeviceRec], dict[str, Any]],
) -> str:
    hit = texts.get(dev.id)
    if hit is not None and hit[0] == dev.revision:
        return hit[1]
    text = rest_json(shape(dev))
    texts[dev.id] = (dev.revision, text)
    return text


def bitlocker_status(dev: DeviceRec, volume_name: str) -> dict[str, Any]:
    encrypted = (dev.id * 7 + len(volume_name)) % 5 != 0
    return {
        "conversionStatus": "FULLY_ENCRYPTED" if encrypted else "FULLY_DECRYPTED",
        "encryptionMethod": "XTS_AES_128" if encrypted else "NONE",
        "protectionStatus": "PROTECTED" if encrypted else "UNPROTECTED",
        "lockStatus": "UNLOCKED",
        "initializedForProtection": encrypted,
    }


def volumes(dev: DeviceRec, *, include_bl: bool, for_report: bool) -> list[dict[str, Any]]:
    rows = []
    windows = dev.node_class.startswith("WINDOWS")
    for vol in dev.detail.get("volumes", ()):
        row = dict(vol)
        if for_report:
            # The report rows carry deviceId instead of the inline `nodeId`.
            row.pop("nodeId", None)
        if include_bl and windows:
            row["bitLockerStatus"] = bitlocker_status(dev, vol["name"])
        rows.append(row)
    return rows
