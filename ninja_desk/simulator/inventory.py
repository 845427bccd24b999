"""Per-device inventory (software, OS and software patches), derived lazily from the seed.

Rows are recomputed from a per-device RNG whenever asked for, so 10,000 devices with ~45
titles each cost no memory until a device is changed through the control API; from then on
that device keeps an explicit copy. Software rows are kept as pre-serialised JSON fragments
because `/v2/queries/software` pages of 10,000 rows are the hottest path of a full sync.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ninja_desk.simulator import catalog
from ninja_desk.simulator.fleet import DAY, DeviceRec, Fleet, rng_uuid


@dataclass(slots=True, frozen=True)
class SoftwareItem:
    name: str
    install_date: str  # "YYYY-MM-DD", as NinjaOne sends it (reference §3)
    # `"location":…,"name":…` etc. without braces, installDate, deviceId or timestamp.
    fragment: str


@dataclass(slots=True)
class PatchLists:
    """A device's patches: pending and install history, OS and third-party software."""

    os: list[dict[str, Any]]
    os_installs: list[dict[str, Any]]
    software: list[dict[str, Any]]
    software_installs: list[dict[str, Any]]


_CATALOGS = {
    "windows": catalog.WINDOWS_SOFTWARE,
    "mac": catalog.MAC_SOFTWARE,
    "linux": catalog.LINUX_SOFTWARE,
}
_fragment_cache: dict[tuple[str, int, int], tuple[str, str]] = {}
_date_cache: dict[int, str] = {}


def _product_code(name: str, version: str) -> str:
    digest = hashlib.md5(f"{name}{version}".encode(), usedforsecurity=False).hexdigest().upper()
    return f"{{{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}}}"


def software_fragment(
    family: str,
    name: str,
    publisher: str | None,
    version: str | None,
    *,
    msi: bool = False,
    location: str | None = None,
    size: int | None = None,
) -> str:
    row: dict[str, Any] = {}
    if location:
        row["location"] = location
    row["name"] = name
    if publisher:
        row["publisher"] = publisher
    if size:
        row["size"] = size
    if version:
        row["version"] = version
    if msi and version:
        row["productCode"] = _product_code(name, version)
    return json.dumps(row, separators=(",", ":"))[1:-1]


def _catalog_fragment(family: str, idx: int, ver_idx: int) -> tuple[str, str]:
    key = (family, idx, ver_idx)
    cached = _fragment_cache.get(key)
    if cached is None:
        name_t, publisher, versions, msi = _CATALOGS[family][idx]
        version = versions[ver_idx % len(versions)]
        name = name_t.replace("{v}", version)
        h = int(hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:8], 16)
        location = size = None
        if family == "windows" and h % 3:
            location = f"C:\\Program Files\\{name.split(' (')[0].split(' - ')[0]}\\"
        if h % 4:
            size = (h % 900_000 + 1_000) * 1024
        cached = (
            name,
            software_fragment(
                family, name, publisher, version, msi=msi, location=location, size=size
            ),
        )
        _fragment_cache[key] = cached
    return cached


def iso_date(epoch: float) -> str:
    day = int(epoch // DAY)
    text = _date_cache.get(day)
    if text is None:
        text = datetime.fromtimestamp(day * DAY, tz=UTC).strftime("%Y-%m-%d")
        _date_cache[day] = text
    return text


class Inventory:
    """Software and patch rows per device.

    Software is recomputed on every call (big, cheap per row) unless a device was changed;
    patch lists are small and built once (their RNG setup dominates).
    Callers must not mutate the returned lists.
    """

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self._software: dict[int, list[SoftwareItem]] = {}
        self._patch_lists: dict[int, PatchLists] = {}

    # -- software --------------------------------------------------------------------------

    def software(self, dev: DeviceRec) -> list[SoftwareItem]:
        explicit = self._software.get(dev.id)
        if explicit is not None:
            return explicit
        if not dev.is_agent or dev.software_count <= 0:
            return []
        family = dev.os_family
        rng, picks = self._software_picks(dev)
        span = max(self.fleet.base_time - dev.created, DAY)
        items: list[SoftwareItem] = []
        for idx in picks:
            name, frag = _catalog_fragment(family, idx, rng.randrange(4))
            installed = iso_date(dev.created + rng.random() * span)
            items.append(SoftwareItem(name, installed, frag))
        return items

    def software_count(self, dev: DeviceRec) -> int:
        """len(software(dev)) without building the rows (the sync bench's expected totals)."""
        explicit = self._software.get(dev.id)
        if explicit is not None:
            return len(explicit)
        if not dev.is_agent or dev.software_count <= 0:
            return 0
        return len(self._software_picks(dev)[1])

    def _software_picks(self, dev: DeviceRec) -> tuple[random.Random, list[int]]:
        """The device's catalog titles (the agent itself, then a sample of the rest), and the
        RNG positioned to draw each one's version and install date."""
        titles = _CATALOGS[dev.os_family]
        rng = self._rng(dev, 0)
        agent_idx = next(i for i, t in enumerate(titles) if t[0].lower().startswith("ninja"))
        sample = rng.sample(range(len(titles)), min(dev.software_count, len(titles)))
        return rng, list(dict.fromkeys([agent_idx, *sample]))[: dev.software_count]

    def add_software(
        self, dev: DeviceRec, name: str, version: str | None, publisher: str | None = None
    ) -> SoftwareItem:
        items = [s for s in self.software(dev) if s.name != name]
        item = SoftwareItem(
            name, iso_date(time.time()), software_fragment(dev.os_family, name, publisher, version)
        )
        items.append(item)
        self._software[dev.id] = items
        return item

    def remove_software(self, dev: DeviceRec, name: str) -> bool:
        items = self.software(dev)
        kept = [s for s in items if s.name != name]
        self._software[dev.id] = kept
        return len(kept) != len(items)

    # -- patches ---------------------------------------------------------------------------

    def _rng(self, dev: DeviceRec, stream: int) -> random.Random:
        # Integer seeds: three times cheaper to set up than string seeds, which matters when
        # a report page touches thousands of devices for the first time.
        return random.Random((self.fleet.seed * 1_000_003 + dev.id) * 8 + stream)

    def prepare_patches(self) -> None:
        """Build every device's patch lists now (~0.4 s for 10,000 devices) so the first
        report pages of a sync cost the same as later ones."""
        for dev in self.fleet.devices.values():
            self._patches(dev)

    def _patches(self, dev: DeviceRec) -> PatchLists:
        lists = self._patch_lists.get(dev.id)
        if lists is None:
            lists = (
                self._generate_patches(dev)
                if dev.node_class.startswith("WINDOWS")
                else PatchLists([], [], [], [])
            )
            self._patch_lists[dev.id] = lists
        return lists

    def os_patches(self, dev: DeviceRec) -> list[dict[str, Any]]:
        """Pending (MANUAL/APPROVED), REJECTED and FAILED OS patches: not yet installed."""
        return self._patches(dev).os

    def os_patch_installs(self, dev: DeviceRec) -> list[dict[str, Any]]:
        return self._patches(dev).os_installs

    def software_patches(self, dev: DeviceRec) -> list[dict[str, Any]]:
        return self._patches(dev).software

    def software_patch_installs(self, dev: DeviceRec) -> list[dict[str, Any]]:
        return self._patches(dev).software_installs

    def _generate_patches(self, dev: DeviceRec) -> PatchLists:
        # One RNG for all four lists: a first report page touches thousands of devices.
        rng = self._rng(dev, 1)
        base = self.fleet.base_time
        lists = PatchLists([], [], [], [])
        n = rng.choices((0, 1, 2, 3, 5), (30, 25, 20, 15, 10))[0]
        for name, kb, ptype, severity in rng.sample(catalog.WINDOWS_OS_PATCHES, n):
            status = rng.choices(("MANUAL", "APPROVED", "REJECTED", "FAILED"), (40, 40, 8, 12))[0]
            row: dict[str, Any] = {
                "id": rng_uuid(rng),
                "name": name,
                "severity": severity,
                "status": status,
                "type": ptype,
            }
            if kb:
                row["kbNumber"] = kb
            lists.os.append(row)
        for name, kb, ptype, severity in rng.sample(catalog.WINDOWS_OS_PATCHES, rng.randint(1, 4)):
            row = {
                "id": rng_uuid(rng),
                "name": name,
                "severity": severity,
                "status": "FAILED" if rng.random() < 0.1 else "INSTALLED",
                "type": ptype,
                "installedAt": round(base - rng.uniform(DAY, 60 * DAY), 3),
            }
            if kb:
                row["kbNumber"] = kb
            lists.os_installs.append(row)
        n = rng.choices((0, 1, 2, 4), (40, 30, 20, 10))[0]
        for title, impact in rng.sample(catalog.SOFTWARE_PATCH_TITLES, n):
            lists.software.append(
                {
                    "id": rng_uuid(rng),
                    "productIdentifier": _stable_uuid(title.rsplit(" ", 1)[0]),
                    "title": title,
                    "impact": impact,
                    "status": rng.choices(("MANUAL", "APPROVED", "FAILED"), (45, 45, 10))[0],
                    "type": "PATCH",
                }
            )
        for title, impact in rng.sample(catalog.SOFTWARE_PATCH_TITLES, rng.randint(0, 3)):
            lists.software_installs.append(
                {
                    "id": rng_uuid(rng),
                    "productIdentifier": _stable_uuid(title.rsplit(" ", 1)[0]),
                    "title": title,
                    "impact": impact,
                    "status": "INSTALLED" if rng.random() > 0.1 else "FAILED",
                    "type": "PATCH",
                    "installedAt": round(base - rng.uniform(DAY, 60 * DAY), 3),
                }
            )
        return lists

    def apply_patch_result(
        self, dev: DeviceRec, *, kind: str, patch_id: str | None, success: bool, now: float
    ) -> dict[str, Any] | None:
        """Install (or fail) one pending patch; returns the patch row or None if none pending.

        A failed patch stays in the pending list with status FAILED (that is what the
        `/queries/os-patches` rows show) and gains a FAILED install-history row.
        """
        pending = [
            dict(r) for r in (self.os_patches(dev) if kind == "os" else self.software_patches(dev))
        ]
        installs = [
            dict(r)
            for r in (
                self.os_patch_installs(dev) if kind == "os" else self.software_patch_installs(dev)
            )
        ]
        candidates = [
            r
            for r in pending
            if patch_id in (None, r["id"]) and (patch_id or r["status"] != "REJECTED")
        ]
        if not candidates:
            return None
        row = candidates[0]
        if success:
            pending = [r for r in pending if r["id"] != row["id"]]
        else:
            row["status"] = "FAILED"
        installs.append(
            row | {"status": "INSTALLED" if success else "FAILED", "installedAt": round(now, 3)}
        )
        lists = self._patches(dev)
        if kind == "os":
            lists.os, lists.os_installs = pending, installs
        else:
            lists.software, lists.software_installs = pending, installs
        return row

    def forget(self, device_id: int) -> None:
        self._software.pop(device_id, None)
        self._patch_lists.pop(device_id, None)


@functools.lru_cache(maxsize=256)
def _stable_uuid(text: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "ninjadesk-sim:" + text))
