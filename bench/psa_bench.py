"""PSA asset push benchmark: first push of 10,000 devices, then an update push where 1% changed.

Prints one JSON line with figures for SQLite and PostgreSQL, both with the Alga-shaped schema
NinjaDesk creates. PostgreSQL runs in a fresh database that is dropped afterwards.

    .venv/bin/python bench/psa_bench.py [--devices 10000] [--software 40] [--titles N]
        [--skip-sqlite] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _psa_databases import postgres_psa, sqlite_psa

from ninja_desk.core.devices import Device, Volume
from ninja_desk.core.inventory import AntivirusStatus, SoftwareItem
from ninja_desk.core.organizations import Organization
from ninja_desk.core.snapshots import DeviceSnapshot
from ninja_desk.psa import org_mapping
from ninja_desk.psa.clients import create_client
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_tenant
from ninja_desk.sync.psa_push import push_snapshots
from tests.psa.helpers import ninjaone_integration

CLASSES = ["WINDOWS_WORKSTATION"] * 6 + ["WINDOWS_SERVER", "MAC", "LINUX_SERVER", "NMS_SWITCH"]
ORGS = 20


def make_fleet(
    n: int, software: int, rng: random.Random, titles: int | None = None
) -> list[DeviceSnapshot]:
    """`software` titles per device, drawn (a window per device) from `titles` distinct ones."""
    pool = max(titles or software, software)
    fleet = []
    for i in range(1, n + 1):
        dev = Device(
            id=i,
            organization_id=1 + i % ORGS,
            node_class=rng.choice(CLASSES),
            system_name=f"HOST-{i:05d}",
            serial_number=f"SN{i:09d}",
            manufacturer="Dell Inc.",
            model="OptiPlex 7010",
            mac_addresses=[f"D4:BE:D9:{i >> 16 & 255:02X}:{i >> 8 & 255:02X}:{i & 255:02X}"],
            ip_addresses=[f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"],
            offline=False,
            last_contact=1_759_000_000.0 + i,
            os_name="Windows 11 Pro",
            os_build="22631",
            os_architecture="64-bit",
            cpu_name="Intel Core i7",
            cpu_cores=8,
            total_memory=16 * 1024**3,
            domain="CORP",
            virtual_machine=False,
            last_boot_time=1_758_900_000.0 + i,
            last_logged_in_user=f"CORP\\user{i}",
            volumes=[
                Volume("C:", capacity=512 * 1024**3, free_space=(100 + i % 300) * 1024**3),
                Volume("D:", capacity=1024**4, free_space=700 * 1024**3),
            ],
        )
        fleet.append(
            DeviceSnapshot(
                device=dev,
                pending_os_patches=rng.randint(0, 5),
                pending_software_patches=1,
                failed_os_patches=0,
                failed_software_patches=0,
                last_patch_scan_at=1_759_000_000.0,
                antivirus=AntivirusStatus(i, "Bitdefender", "ON", "UP_TO_DATE"),
                software=[
                    SoftwareItem(i, f"App {(i * software + k) % pool}", "Vendor", "1.0")
                    for k in range(software)
                ],
            )
        )
    return fleet


def churn(fleet: list[DeviceSnapshot], fraction: float, rng: random.Random) -> list[DeviceSnapshot]:
    """1%: a third new OS build, a third patch counts, a third moved org; plus fresh heartbeats
    are NOT applied, so the rest is truly unchanged."""
    out = list(fleet)
    picks = rng.sample(range(len(fleet)), int(len(fleet) * fraction))
    for n, idx in enumerate(picks):
        snap = out[idx]
        dev = snap.device
        if n % 3 == 0:
            out[idx] = replace(snap, device=replace(dev, os_build="26100"))
        elif n % 3 == 1:
            out[idx] = replace(snap, pending_os_patches=snap.pending_os_patches + 7)
        else:
            out[idx] = replace(
                snap, device=replace(dev, organization_id=1 + (dev.organization_id % ORGS))
            )
    return out


def run(url: str, n: int, software: int, titles: int | None = None) -> dict[str, float]:
    rng = random.Random(42)
    psa = PsaDatabase(url)
    info = create_tenant(psa, "Bench MSP")
    integration = ninjaone_integration(psa, info.tenant)
    with psa.tenant_session(info.tenant, info.admin_user_id) as s:
        for o in range(1, ORGS + 1):
            org_mapping.create_client_from_organization(
                s, integration, Organization(o, f"Client {o}")
            )
        create_client(s, "Unmapped Co")
    fleet = make_fleet(n, software, rng, titles)
    t0 = time.perf_counter()
    first = push_snapshots(psa, info.tenant, integration, fleet, full=True)
    t1 = time.perf_counter()
    changed = churn(fleet, 0.01, rng)
    t2 = time.perf_counter()
    update = push_snapshots(psa, info.tenant, integration, changed, full=True)
    t3 = time.perf_counter()
    psa.dispose()
    assert first.created == n, first
    # Patch counts do not exist on network devices, so a few of the 1% change nothing.
    assert 0 < update.updated + update.moved <= n // 100, update
    return {
        "first_push_s": round(t1 - t0, 2),
        "update_push_s": round(t3 - t2, 2),
        "first_push_phases_s": first.phases,
        "update_push_phases_s": update.phases,
        "created": first.created,
        "updated": update.updated,
        "moved": update.moved,
        "unchanged": update.unchanged,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=10_000)
    # 40: what the simulated fleet (and a typical managed PC) carries.
    ap.add_argument("--software", type=int, default=40, help="software titles per device")
    # A real fleet carries hundreds to thousands of distinct titles; the default keeps every
    # device on the same 40 (the figures before this option existed).
    ap.add_argument("--titles", type=int, default=None, help="distinct titles in the fleet")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    figures: dict[str, object] = {
        "devices": args.devices,
        "software_per_device": args.software,
        "distinct_titles": max(args.titles or args.software, args.software),
    }
    if not args.skip_sqlite:
        with sqlite_psa() as url:
            figures["sqlite"] = run(url, args.devices, args.software, args.titles)
    if not args.skip_postgres:
        with postgres_psa("psa_bench") as url:
            figures["postgresql"] = run(url, args.devices, args.software, args.titles)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
