"""Fill a local cache with synthetic, realistic-looking rows, fast (bench, tests, screenshots).

This writes straight into the cache tables (one executemany per table on the writer thread),
so 50,000 devices take well under a second. The simulator + sync engine path is the real one;
this exists for volume and for tests that need exact, known rows.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ninja_desk.cache import writes
from ninja_desk.cache.schema import DEVICE_FIELD_COLUMNS
from ninja_desk.cache.store import LocalCache
from ninja_desk.core.severity import severity_rank

CLASSES = (
    ("WINDOWS_WORKSTATION", "Windows 11 Pro", 55),
    ("WINDOWS_SERVER", "Windows Server 2022 Standard", 15),
    ("MAC", "macOS 14 Sonoma", 10),
    ("LINUX_SERVER", "Ubuntu 22.04 LTS", 8),
    ("NMS_SWITCH", None, 5),
    ("VMWARE_VM_GUEST", "Windows Server 2019", 5),
    ("CLOUD_MONITOR_TARGET", None, 2),
)
CLIENTS = (
    "Acme Dental",
    "Birch & Co Law",
    "Cobalt Logistics",
    "Delta Clinics",
    "Evergreen Schools",
    "Fjord Marine",
    "Granite Builders",
    "Harbor Hotels",
    "Iris Labs",
    "Juniper Farms",
    "Keystone Credit Union",
    "Lumen Architects",
)
PREFIX = {
    "WINDOWS_WORKSTATION": "WS",
    "WINDOWS_SERVER": "SRV",
    "MAC": "MAC",
    "LINUX_SERVER": "LNX",
    "NMS_SWITCH": "SW",
    "VMWARE_VM_GUEST": "VM",
    "CLOUD_MONITOR_TARGET": "MON",
}
SOFTWARE = (
    ("Google Chrome", "Google LLC"),
    ("Microsoft 365 Apps", "Microsoft Corporation"),
    ("7-Zip", "Igor Pavlov"),
    ("Adobe Acrobat Reader", "Adobe Inc."),
    ("Zoom Workplace", "Zoom Video Communications"),
    ("Mozilla Firefox", "Mozilla"),
    ("Notepad++", "Notepad++ Team"),
    ("VLC media player", "VideoLAN"),
)
ALERT_TEXT = (
    "Disk C: free space below 5%",
    "CPU above 95% for 15 minutes",
    "Backup job failed",
    "Windows service 'Spooler' stopped",
    "Device offline",
    "Antivirus threat quarantined",
    "Memory above 90% for 30 minutes",
)
SEVERITIES = ("CRITICAL", "MAJOR", "MODERATE", "MINOR")
_EXTRA_COLUMNS = (
    "pending_os_patches",
    "failed_os_patches",
    "pending_software_patches",
    "failed_software_patches",
    "software_count",
    "av_product",
    "av_state",
    "av_definition_status",
    "deleted",
    "deleted_at",
)


@dataclass(slots=True)
class SyntheticFleet:
    orgs: int
    devices: int
    alerts: int


def fill_cache(
    cache: LocalCache,
    *,
    devices: int = 200,
    orgs: int = 8,
    seed: int = 7,
    detail_devices: int = 200,
    now: float | None = None,
) -> SyntheticFleet:
    """Write `devices` devices over `orgs` clients. The first `detail_devices` get software,
    patches and antivirus rows too (the rest only carry the denormalised counts)."""
    rng = random.Random(seed)
    now = time.time() if now is None else now
    org_rows = [
        (i + 1, CLIENTS[i % len(CLIENTS)] + ("" if i < len(CLIENTS) else f" {i}"))
        for i in range(orgs)
    ]
    weights = [w for _c, _o, w in CLASSES]
    device_rows: list[tuple] = []
    extra: list[tuple] = []
    alerts: list[tuple] = []
    software: list[tuple] = []
    patches: list[tuple] = []
    av_rows: list[tuple] = []
    for n in range(1, devices + 1):
        node_class, os_name, _w = rng.choices(CLASSES, weights)[0]
        org_id = rng.randint(1, orgs)
        name = f"{PREFIX[node_class]}-{org_rows[org_id - 1][1][:3].upper()}-{n:05d}"
        offline: int | None = 1 if rng.random() < 0.18 else 0
        if rng.random() < 0.02:
            offline = None
        last_contact = now - (rng.uniform(0, 600) if not offline else rng.uniform(3600, 60 * 86400))
        values: dict[str, Any] = dict.fromkeys(DEVICE_FIELD_COLUMNS)
        values.update(
            id=n,
            uid=f"uid-{n}",
            organization_id=org_id,
            location_id=None,
            node_class=node_class,
            device_type="AGENT",
            system_name=name,
            display_name=None,
            name=name,
            dns_name=f"{name.lower()}.corp.local",
            netbios_name=name[:15],
            offline=offline,
            approval_status="APPROVED",
            created=now - 400 * 86400,
            last_contact=last_contact,
            last_update=last_contact,
            os_name=os_name,
            os_architecture="64-bit",
            needs_reboot=int(rng.random() < 0.1),
            last_boot_time=now - rng.uniform(0, 30) * 86400,
            manufacturer="Dell Inc.",
            model=rng.choice(("OptiPlex 7010", "Latitude 5440", "PowerEdge R650", "Mac mini")),
            serial_number=f"SN{rng.randrange(10**8):08d}",
            domain="corp.local",
            total_memory=rng.choice((8, 16, 32, 64)) * 1024**3,
            cpu_name="Intel Core i5-13500",
            cpu_cores=6,
            cpu_logical_cores=12,
            ip_addresses=json.dumps([f"10.{org_id}.{n // 250 % 250}.{n % 250 + 1}"]),
            mac_addresses=json.dumps(
                [f"00:50:56:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}"]
            ),
            public_ip=f"203.0.113.{org_id}",
            last_logged_in_user=f"CORP\\user{n % 97}",
            tags=json.dumps([]),
            volumes=json.dumps(
                [
                    {
                        "name": "C:",
                        "capacity": 512 * 1024**3,
                        "free_space": rng.randint(5, 400) * 1024**3,
                    }
                ]
            ),
        )
        device_rows.append(tuple(values[c] for c in DEVICE_FIELD_COLUMNS))
        managed = node_class not in ("NMS_SWITCH", "CLOUD_MONITOR_TARGET", "VMWARE_VM_GUEST")
        pend_os = rng.choice((0, 0, 0, 1, 2, 5)) if managed else 0
        fail_os = 1 if managed and rng.random() < 0.07 else 0
        pend_sw = rng.choice((0, 0, 1, 3)) if managed else 0
        fail_sw = 1 if managed and rng.random() < 0.04 else 0
        av_product = "Bitdefender Endpoint" if managed and rng.random() > 0.03 else None
        av_state = None if av_product is None else ("ON" if rng.random() > 0.05 else "OFF")
        av_defs = (
            None if av_product is None else ("UP_TO_DATE" if rng.random() > 0.06 else "OUT_OF_DATE")
        )
        deleted = 1 if rng.random() < 0.01 else 0
        extra.append(
            (
                pend_os,
                fail_os,
                pend_sw,
                fail_sw,
                8 if managed else 0,
                av_product,
                av_state,
                av_defs,
                deleted,
                now - 86400 if deleted else None,
            )
        )
        if rng.random() < 0.12 and not deleted:
            for k in range(rng.choice((1, 1, 2))):
                sev = rng.choices(SEVERITIES, (1, 2, 3, 3))[0]
                created = now - rng.uniform(60, 5 * 86400)
                alerts.append(
                    (
                        f"alert-{n}-{k}",
                        n,
                        rng.choice(ALERT_TEXT),
                        sev,
                        "HIGH",
                        "CONDITION",
                        "Condition",
                        created,
                        created,
                        "{}",
                    )
                )
        if n <= detail_devices and managed:
            for name_, publisher in SOFTWARE:
                software.append(
                    (
                        n,
                        name_,
                        publisher,
                        f"{rng.randint(1, 120)}.0.{n % 10}",
                        "2024-05-01",
                        None,
                        rng.randint(10, 900) * 1024**2,
                        None,
                    )
                )
            for k in range(pend_os):
                patches.append(
                    (
                        n,
                        f"kb-{n}-{k}",
                        f"2024-{k + 1:02d} Cumulative Update",
                        "PENDING",
                        f"KB50{n % 100:02d}{k}",
                        "CRITICAL",
                        "SECURITY",
                        None,
                        now - 86400,
                    )
                )
            for k in range(fail_os):
                patches.append(
                    (
                        n,
                        f"kbf-{n}-{k}",
                        "Servicing Stack Update",
                        "FAILED",
                        f"KB49{k}",
                        "IMPORTANT",
                        "SECURITY",
                        None,
                        now - 2 * 86400,
                    )
                )
            if av_product:
                av_rows.append((n, av_product, av_state, av_defs, "7.9", now - 3600))

    counts: dict[int, tuple[int, int]] = {}
    for alert in alerts:
        seen, worst = counts.get(alert[1], (0, 0))
        counts[alert[1]] = (seen + 1, max(worst, severity_rank(alert[3])))

    def write(conn: Connection) -> None:
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO organizations (id, name, deleted) VALUES (?, ?, 0)", org_rows
        )
        cols = (*DEVICE_FIELD_COLUMNS, *_EXTRA_COLUMNS)
        conn.exec_driver_sql(
            f"INSERT OR REPLACE INTO devices ({', '.join(cols)}, active_alerts, "
            f"max_alert_severity, seen_run, synced_at) "
            f"VALUES ({', '.join('?' for _ in cols)}, 0, 0, 1, {now})",
            [row + more for row, more in zip(device_rows, extra, strict=True)],
        )
        writes.insert_children(conn, "software", software)
        writes.insert_children(conn, "os_patches", patches)
        writes.insert_children(conn, "antivirus", av_rows)
        if alerts:
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO alerts (uid, device_id, message, severity, priority, "
                "source_type, condition_name, create_time, update_time, status, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'TRIGGERED', ?)",
                alerts,
            )
        # Counted here: writes.refresh_alert_counts picks the status index over device_id and
        # goes quadratic at 50k devices.
        conn.exec_driver_sql(
            "UPDATE devices SET active_alerts = ?, max_alert_severity = ? WHERE id = ?",
            [(n, sev, device_id) for device_id, (n, sev) in counts.items()],
        )
        conn.exec_driver_sql(
            "INSERT INTO sync_runs (kind, started_at, finished_at, status, devices) "
            "VALUES ('full', ?, ?, 'ok', ?)",
            (now - 120, now - 60, devices),
        )
        writes.set_meta(conn, "last_sync_at", now - 60)

    cache.write_blocking(write)
    return SyntheticFleet(orgs=orgs, devices=devices, alerts=len(alerts))


def add_ticket(
    cache: LocalCache,
    ticket_id: str,
    device_id: int,
    *,
    number: str,
    title: str,
    status: str = "Open",
    alert_uid: str | None = None,
    client_name: str | None = None,
    is_closed: bool | None = None,
) -> None:
    def write(conn: Connection) -> None:
        now = time.time()
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO psa_tickets (id, number, title, status, is_closed, priority, "
            "client_id, client_name, alert_uid, created_at, updated_at) VALUES (?, ?, ?, ?, ?, "
            "'High', NULL, ?, ?, ?, ?)",
            (
                ticket_id,
                number,
                title,
                status,
                # Synthetic data: a status named like "Closed" stands for Alga's is_closed.
                int(
                    is_closed if is_closed is not None else status.lower() in ("closed", "resolved")
                ),
                client_name,
                alert_uid,
                now - 3600,
                now,
            ),
        )
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO psa_ticket_devices (ticket_id, device_id) VALUES (?, ?)",
            (ticket_id, device_id),
        )

    cache.write_blocking(write)
