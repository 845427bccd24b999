"""The simulated tenant: organizations, locations and devices, generated from a seed.

Device records are built eagerly (10,000 in well under a second); the bulky per-device
inventory (software, patches) is derived on demand from a per-device RNG, so it costs nothing
until asked for and is identical for the same seed. A device whose inventory was changed
through the control API keeps an explicit copy instead (`inventory.py`).
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ninja_desk.simulator import catalog
from ninja_desk.simulator.config import SimulatorConfig
from ninja_desk.simulator.hardware import fill_detail, hex_digits, mac_address

DAY = 86400.0


def rng_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(slots=True)
class OrgRec:
    id: int
    name: str
    node_approval_mode: str
    description: str | None = None
    location_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class LocRec:
    id: int
    org_id: int
    name: str
    address: str | None = None
    description: str | None = None


@dataclass(slots=True)
class DeviceRec:
    id: int
    uid: str
    org_id: int
    loc_id: int
    node_class: str
    role_id: int
    role_policy_id: int
    system_name: str
    created: float
    last_contact: float
    approval_status: str = "APPROVED"
    offline: bool = False
    display_name: str | None = None
    dns_name: str | None = None
    netbios_name: str | None = None
    policy_id: int | None = None
    parent_id: int | None = None
    maintenance: dict[str, Any] | None = None
    ip_addresses: list[str] = field(default_factory=list)
    mac_addresses: list[str] = field(default_factory=list)
    public_ip: str | None = None
    # Subtype payload: AgentDevice keeps os/system/memory/processors/volumes/lastLoggedInUser,
    # VMHost/VMGuest their flat fields. Built once; only top-level fields ever change.
    detail: dict[str, Any] = field(default_factory=dict)
    # Inventory knobs the lazy generators read.
    software_count: int = 0
    av: tuple[str, str, str, str] | None = None  # productName, version, state, definitions
    pending_reboot_reason: str | None = None
    last_user: str | None = None
    # Bumped on every change; serialisers cache on (id, revision).
    revision: int = 0

    @property
    def last_update(self) -> float:
        return self.last_contact

    @property
    def device_type(self) -> str:
        if self.node_class in catalog.AGENT_CLASSES:
            return "AgentDevice"
        if self.node_class.startswith("NMS_"):
            return "NMSTarget"
        return catalog.DEVICE_TYPE_BY_CLASS.get(self.node_class, "UnmanagedDevice")

    @property
    def is_agent(self) -> bool:
        return self.node_class in catalog.AGENT_CLASSES

    @property
    def os_family(self) -> str:
        if self.node_class.startswith("WINDOWS"):
            return "windows"
        if self.node_class.startswith("MAC"):
            return "mac"
        return "linux"


class Fleet:
    """All organizations, locations and devices, indexed by id; ids only ever grow."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.base_time = config.base_time if config.base_time is not None else time.time()
        self.rng = random.Random(f"fleet:{config.seed}")
        self.orgs: dict[int, OrgRec] = {}
        self.locations: dict[int, LocRec] = {}
        self.devices: dict[int, DeviceRec] = {}
        # Sorted ids for `after=` paging; devices are appended with growing ids.
        self._sorted_device_ids: list[int] | None = None
        self.next_device_id = 1
        self.reimaged_pair: tuple[int, int] | None = None
        self._generate()

    # -- generation ------------------------------------------------------------------------

    def _generate(self) -> None:
        rng = self.rng
        loc_id = 1
        for org_id in range(1, max(1, self.config.orgs) + 1):
            prefix = catalog.ORG_PREFIXES[(org_id - 1) % len(catalog.ORG_PREFIXES)]
            suffix = rng.choice(catalog.ORG_SUFFIXES)
            round_no = (org_id - 1) // len(catalog.ORG_PREFIXES)
            name = f"{prefix} {suffix}" + (f" {round_no + 1}" if round_no else "")
            org = OrgRec(
                id=org_id,
                name=name,
                node_approval_mode=rng.choice(("AUTOMATIC", "AUTOMATIC", "AUTOMATIC", "MANUAL")),
                description="Managed services client" if rng.random() < 0.6 else None,
            )
            for loc_name in rng.sample(catalog.LOCATION_NAMES, rng.randint(1, 3)):
                addr = None
                if rng.random() < 0.7:
                    addr = f"{rng.randint(1, 250)} {rng.choice(catalog.STREETS)}, Springfield"
                self.locations[loc_id] = LocRec(loc_id, org_id, loc_name, addr)
                org.location_ids.append(loc_id)
                loc_id += 1
            self.orgs[org_id] = org
        # Org sizes are skewed like a real MSP book: a few big clients, many small ones.
        org_ids = list(self.orgs)
        weights = [1.0 / (1 + (i % 17)) ** 0.7 for i in range(len(org_ids))]
        classes = [c for c, _ in catalog.NODE_CLASS_WEIGHTS]
        class_w = [w for _, w in catalog.NODE_CLASS_WEIGHTS]
        org_choices = rng.choices(org_ids, weights, k=self.config.devices)
        class_choices = rng.choices(classes, class_w, k=self.config.devices)
        for org_id, node_class in zip(org_choices, class_choices, strict=True):
            self._new_device(org_id, node_class, rng)
        self._link_vm_guests()
        self._plant_serial_traps()

    def _new_device(
        self,
        org_id: int,
        node_class: str,
        rng: random.Random,
        *,
        created: float | None = None,
        location_id: int | None = None,
        system_name: str | None = None,
    ) -> DeviceRec:
        dev_id = self.next_device_id
        self.next_device_id += 1
        org = self.orgs[org_id]
        loc = location_id if location_id is not None else rng.choice(org.location_ids)
        role_id, role_policy = catalog.ROLE_BY_CLASS.get(node_class, (99, 99))
        short = "".join(ch for ch in org.name.split()[0].upper() if ch.isalnum())[:8]
        prefix = catalog.NAME_PREFIX_BY_CLASS.get(node_class, "DEV")
        name = system_name or f"{short}-{prefix}{dev_id:04d}"
        if created is None:
            created = round(self.base_time - rng.uniform(20 * DAY, 3 * 365 * DAY), 6)
        offline = rng.random() < 0.05
        if offline:
            contact = self.base_time - rng.uniform(1 * DAY, 40 * DAY)
        else:
            contact = self.base_time - rng.uniform(5, 900)
        contact = max(round(contact, 3), created)
        domain = short.lower() + ".local"
        dev = DeviceRec(
            id=dev_id,
            uid=rng_uuid(rng),
            org_id=org_id,
            loc_id=loc,
            node_class=node_class,
            role_id=role_id,
            role_policy_id=role_policy,
            system_name=name,
            created=created,
            last_contact=contact,
            offline=offline,
        )
        if node_class.startswith("NMS_"):
            dev.dns_name = f"10.{org_id % 250}.{rng.randint(0, 254)}.{rng.randint(1, 254)}"
            dev.ip_addresses = [dev.dns_name]
            dev.mac_addresses = [mac_address(rng)]
        else:
            dev.dns_name = f"{name.lower()}.{domain}" if not name.islower() else f"{name}.{domain}"
            ip = f"10.{org_id % 250}.{rng.randint(0, 254)}.{rng.randint(2, 254)}"
            dev.ip_addresses = [ip] if rng.random() < 0.85 else [ip, "fe80::" + hex_digits(rng, 4)]
            dev.mac_addresses = [mac_address(rng)]
            dev.public_ip = f"198.51.100.{(org_id * 7) % 254 + 1}"
        if node_class.startswith("WINDOWS"):
            dev.netbios_name = name.upper()[:15]
        if rng.random() < 0.08:
            dev.display_name = f"{rng.choice(catalog.FIRST_NAMES)}'s {prefix.lower()}"
        if rng.random() < 0.15:
            dev.policy_id = 200 + rng.randint(0, 50)
        if rng.random() < 0.01:
            dev.approval_status = "PENDING"
        if rng.random() < 0.01:
            start = round(self.base_time + rng.uniform(DAY, 5 * DAY), 3)
            dev.maintenance = {"status": "PENDING", "start": start, "end": start + 3600.0}
        fill_detail(dev, rng, domain)
        self.devices[dev_id] = dev
        self._sorted_device_ids = None
        return dev

    def _link_vm_guests(self) -> None:
        hosts: dict[int, int] = {}
        for dev in self.devices.values():
            if dev.node_class == "VMWARE_VM_HOST":
                hosts.setdefault(dev.org_id, dev.id)
        for dev in self.devices.values():
            if dev.node_class == "VMWARE_VM_GUEST" and dev.org_id in hosts:
                dev.parent_id = hosts[dev.org_id]

    def _plant_serial_traps(self) -> None:
        """Junk serials on a few agents and one serial shared across a reimage (two records)."""
        agents = [d for d in self.devices.values() if d.is_agent]
        if len(agents) >= 10:
            for i, junk in enumerate(catalog.JUNK_SERIALS):
                system = agents[3 + i * 7 % (len(agents) - 3)].detail["system"]
                system["serialNumber"] = system["biosSerialNumber"] = junk
        by_org: dict[int, list[DeviceRec]] = {}
        for dev in agents:
            if dev.node_class == "WINDOWS_WORKSTATION":
                by_org.setdefault(dev.org_id, []).append(dev)
        for devs in by_org.values():
            if len(devs) >= 2:
                old, new = devs[0], devs[-1]
                serial = f"REIMG{old.id:05d}{self.seed % 1000:03d}"
                for dev in (old, new):
                    dev.detail["system"]["serialNumber"] = serial
                    dev.detail["system"]["biosSerialNumber"] = serial
                # The old record is the pre-reimage agent: same name, silent for weeks.
                new.system_name = old.system_name
                new.detail["system"]["name"] = old.system_name
                new.dns_name, new.netbios_name = old.dns_name, old.netbios_name
                old.offline = True
                old.last_contact = max(old.created, round(self.base_time - 30 * DAY, 3))
                self.reimaged_pair = (old.id, new.id)
                break

    # -- queries ---------------------------------------------------------------------------

    def sorted_device_ids(self) -> list[int]:
        if self._sorted_device_ids is None:
            self._sorted_device_ids = sorted(self.devices)
        return self._sorted_device_ids

    def add_device(
        self,
        org_id: int,
        node_class: str = "WINDOWS_WORKSTATION",
        *,
        location_id: int | None = None,
        system_name: str | None = None,
        now: float | None = None,
    ) -> DeviceRec:
        rng = random.Random(f"add:{self.seed}:{self.next_device_id}")
        created = round(now if now is not None else time.time(), 6)
        dev = self._new_device(
            org_id,
            node_class,
            rng,
            created=created,
            location_id=location_id,
            system_name=system_name,
        )
        dev.offline = False
        dev.last_contact = round(created + 0.5, 3)
        return dev

    def delete_device(self, device_id: int) -> DeviceRec:
        dev = self.devices.pop(device_id)
        self._sorted_device_ids = None
        return dev
