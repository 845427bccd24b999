"""Read-only tenant configuration around the fleet: policies, device roles, groups (saved
searches), users (technicians and end users), user roles, notification channels, scheduled
tasks, software products (reference §6.8). Generated from the fleet and its seed, so the
ids match what devices carry (`nodeRoleId`, `rolePolicyId`, `policyId`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ninja_desk.simulator import catalog
from ninja_desk.simulator.fleet import DAY, DeviceRec, Fleet, rng_uuid

OTHER_ROLE = 99  # fleet.py's role and role policy for classes without a mapping

_ROLE_NAMES = {
    "WINDOWS_WORKSTATION": "Windows Desktops and Laptops",
    "WINDOWS_SERVER": "Windows Server",
    "MAC": "Mac",
    "MAC_SERVER": "Mac Server",
    "LINUX_WORKSTATION": "Linux Workstation",
    "LINUX_SERVER": "Linux Server",
    "VMWARE_VM_HOST": "VMware Host",
    "VMWARE_VM_GUEST": "VMware Guest",
    "HYPERV_VMM_GUEST": "Hyper-V Guest",
    "NMS_SWITCH": "Switch",
    "NMS_ROUTER": "Router",
    "NMS_PRINTER": "Printer",
    "NMS_FIREWALL": "Firewall",
    "NMS_WAP": "Wireless Access Point",
}


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    name: str
    description: str
    match: Callable[[DeviceRec], bool]


GROUPS = (
    Group(1, "Offline devices", "Every device whose agent is offline", lambda d: d.offline),
    Group(
        2,
        "Windows servers",
        "nodeClass = WINDOWS_SERVER",
        lambda d: d.node_class == "WINDOWS_SERVER",
    ),
    Group(
        3,
        "Pending reboot",
        "Devices waiting for a reboot after patching",
        lambda d: bool(d.pending_reboot_reason),
    ),
    Group(4, "In maintenance", "Devices in maintenance mode", lambda d: d.maintenance is not None),
    Group(5, "Macs", "nodeClass in (MAC, MAC_SERVER)", lambda d: d.node_class.startswith("MAC")),
)

CHANNELS = (
    (1, "Service desk email", "Alerts to the service desk mailbox", True, "EMAIL"),
    (2, "On-call PagerDuty", "Critical alerts page the on-call technician", True, "PAGER_DUTY"),
    (3, "#noc Slack", "NOC channel", True, "SLACK"),
    (4, "Teams - escalations", "Escalations channel (paused)", False, "MICROSOFT_TEAMS"),
    (5, "PSA webhook", "Alga PSA ticket bridge", True, "WEBHOOK"),
)
TECHNICIAN_ROLES = ("Administrators", "Technicians", "Help desk")


class Directory:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.created = round(fleet.base_time - 900 * DAY, 3)
        rng = random.Random(f"directory:{fleet.seed}")
        self.technicians = self._technicians(rng)
        self.end_users = self._end_users(rng)

    # -- roles and policies ----------------------------------------------------------------

    def roles(self) -> list[dict[str, Any]]:
        out = []
        for node_class, (role_id, _policy) in catalog.ROLE_BY_CLASS.items():
            out.append(
                {
                    "id": role_id,
                    "name": _ROLE_NAMES.get(node_class, node_class.title()),
                    "description": f"Default role for {node_class}",
                    "nodeClass": node_class,
                    "custom": False,
                    "chassisType": "UNKNOWN",
                    "created": self.created,
                }
            )
        out.append(
            {
                "id": OTHER_ROLE,
                "name": "Other devices",
                "description": "Devices without a class-specific role",
                "nodeClass": "UNMANAGED_DEVICE",
                "custom": True,
                "chassisType": "UNKNOWN",
                "created": self.created,
            }
        )
        return sorted(out, key=lambda r: r["id"])

    def policies(self) -> list[dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for node_class, (_role, policy_id) in catalog.ROLE_BY_CLASS.items():
            out[policy_id] = {
                "id": policy_id,
                "name": f"{_ROLE_NAMES.get(node_class, node_class.title())} - default",
                "description": f"Default policy for {node_class}",
                "nodeClass": node_class,
                "updated": self.created,
                "nodeClassDefault": True,
            }
        out[OTHER_ROLE] = {
            "id": OTHER_ROLE,
            "name": "Other devices - default",
            "nodeClass": "UNMANAGED_DEVICE",
            "updated": self.created,
            "nodeClassDefault": True,
        }
        # Policies assigned directly to devices are children of their class default.
        for dev in self.fleet.devices.values():
            if dev.policy_id is not None and dev.policy_id not in out:
                parent = out.get(dev.role_policy_id)
                out[dev.policy_id] = {
                    "id": dev.policy_id,
                    "parentPolicyId": dev.role_policy_id,
                    "name": f"{parent['name'] if parent else 'Policy'} - override {dev.policy_id}",
                    "nodeClass": dev.node_class,
                    "updated": self.created,
                    "nodeClassDefault": False,
                }
        return [out[k] for k in sorted(out)]

    def policy_overrides(self, dev: DeviceRec) -> list[str]:
        # A directly assigned policy overrides some sections of the role policy.
        return ["PATCH_MANAGEMENT", "CONDITIONS"] if dev.policy_id is not None else []

    # -- groups ----------------------------------------------------------------------------

    def group(self, group_id: int) -> Group | None:
        return next((g for g in GROUPS if g.id == group_id), None)

    def group_device_ids(self, group: Group) -> list[int]:
        return [i for i in self.fleet.sorted_device_ids() if group.match(self.fleet.devices[i])]

    def groups(self, now: float) -> list[dict[str, Any]]:
        return [
            {
                "id": g.id,
                "name": g.name,
                "description": g.description,
                "shared": True,
                "created": self.created,
                "updated": self.created,
                "deviceCount": len(self.group_device_ids(g)),
                "lastEvaluated": round(now, 3),
            }
            for g in GROUPS
        ]

    # -- users -----------------------------------------------------------------------------

    def _technicians(self, rng: random.Random) -> list[dict[str, Any]]:
        people = (
            ("Alex", "Morgan", True),
            ("Sam", "Rivera", False),
            ("Jordan", "Lee", False),
            ("Casey", "Nguyen", False),
            ("Riley", "Brooks", False),
        )
        out = []
        for i, (first, last, admin) in enumerate(people, start=1):
            out.append(
                {
                    "id": i,
                    "uid": rng_uuid(rng),
                    "firstName": first,
                    "lastName": last,
                    "email": f"{first.lower()}.{last.lower()}@msp.example",
                    "phone": f"+1 555 010{i}",
                    "enabled": True,
                    "administrator": admin,
                    "permitAllClients": True,
                    "notifyAllClients": admin,
                    "mustChangePw": False,
                    "mfaConfigured": rng.random() < 0.8,
                    "userType": "TECHNICIAN",
                    "invitationStatus": "REGISTERED" if i < 5 else "PENDING",
                    "roles": ["Administrators" if admin else rng.choice(TECHNICIAN_ROLES[1:])],
                }
            )
        return out

    def _end_users(self, rng: random.Random) -> list[dict[str, Any]]:
        out = []
        next_id = 100
        for org in self.fleet.orgs.values():
            domain = "".join(ch for ch in org.name.lower() if ch.isalnum())[:12] + ".example"
            for _ in range(rng.randint(1, 2)):
                first = rng.choice(("Pat", "Robin", "Quinn", "Avery", "Drew", "Jamie"))
                last = rng.choice(("Smith", "Garcia", "Kowalski", "Dubois", "Tanaka", "Okafor"))
                out.append(
                    {
                        "id": next_id,
                        "uid": rng_uuid(rng),
                        "firstName": first,
                        "lastName": last,
                        "email": f"{first.lower()}.{last.lower()}{next_id}@{domain}",
                        "enabled": True,
                        "administrator": False,
                        "permitAllClients": False,
                        "notifyAllClients": False,
                        "mustChangePw": False,
                        "mfaConfigured": False,
                        "userType": "END_USER",
                        "invitationStatus": "REGISTERED",
                        "organizationId": org.id,
                        "roles": ["End user"],
                    }
                )
                next_id += 1
        return out

    def users(self, user_type: str | None, include_roles: bool) -> list[dict[str, Any]]:
        rows = [
            u for u in self.technicians + self.end_users if user_type in (None, "", u["userType"])
        ]
        if include_roles:
            return [dict(u) for u in rows]
        return [{k: v for k, v in u.items() if k != "roles"} for u in rows]

    def technician(self, user: dict[str, Any]) -> dict[str, Any]:
        return _pick(user, _TECHNICIAN_KEYS) | {"assignedDeviceIds": []}

    def end_user(self, user: dict[str, Any]) -> dict[str, Any]:
        return _pick(user, _END_USER_KEYS) | {
            "fullPortalAccess": False,
            "assignedDeviceIds": [],
            "accessibleDeviceIds": [],
        }

    def user_roles(self, role_type: str | None) -> list[dict[str, Any]]:
        out = []
        if role_type in (None, "", "TECHNICIAN"):
            for i, name in enumerate(TECHNICIAN_ROLES, start=1):
                members = [_member(u) for u in self.technicians if name in u["roles"]]
                out.append({"id": i, "name": name, "type": "TECHNICIAN", "members": members})
        if role_type in (None, "", "END_USER"):
            members = [_member(u) for u in self.end_users]
            out.append({"id": 10, "name": "End user", "type": "END_USER", "members": members})
        return out

    # -- misc ------------------------------------------------------------------------------

    def notification_channels(self, enabled_only: bool = False) -> list[dict[str, Any]]:
        return [
            {"id": i, "name": n, "description": d, "enabled": e, "type": t}
            for i, n, d, e, t in CHANNELS
            if e or not enabled_only
        ]

    def scheduled_tasks(self) -> list[dict[str, Any]]:
        last = round(self.fleet.base_time - DAY, 3)
        return [
            {
                "id": 1,
                "name": "Weekly disk cleanup",
                "description": "Runs Disk cleanup on every Windows workstation",
                "enabled": True,
                "created": self.created,
                "lastRun": last,
                "runCount": 120,
            },
            {
                "id": 2,
                "name": "Monthly reboot",
                "description": "Reboots servers in their maintenance window",
                "enabled": False,
                "created": self.created,
                "runCount": 0,
            },
        ]

    def software_products(self) -> list[dict[str, Any]]:
        rng = random.Random(f"software-products:{self.fleet.seed}")
        seen: dict[str, dict[str, Any]] = {}
        for title, _impact in catalog.SOFTWARE_PATCH_TITLES:
            product = title.rsplit(" ", 1)[0]
            if product in seen:
                continue
            seen[product] = {
                "id": rng_uuid(rng),
                "vendorName": product.split()[0],
                "productName": product,
                "installable": True,
                "active": True,
            }
        return list(seen.values())


# The fields each user shape shows, in NinjaOne's order.
_NAME_KEYS = ("id", "uid", "enabled", "firstName", "lastName", "email")
_TECHNICIAN_KEYS: tuple[str, ...] = (
    *_NAME_KEYS,
    "phone",
    "mustChangePw",
    "mfaConfigured",
    "userType",
)
_TECHNICIAN_KEYS += ("invitationStatus", "notifyAllClients", "administrator", "roles")
_END_USER_KEYS: tuple[str, ...] = (*_NAME_KEYS, "mustChangePw", "mfaConfigured", "invitationStatus")
_END_USER_KEYS += ("organizationId", "roles")


def _pick(user: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: user[k] for k in keys if k in user}


def _member(user: dict[str, Any]) -> dict[str, Any]:
    """A user as a role lists its members."""
    name = f"{user['firstName']} {user['lastName']}"
    return {"id": user["id"], "email": user["email"], "name": name, "source": "NINJA"}
