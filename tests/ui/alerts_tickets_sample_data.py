"""A small, deterministic cache for the alerts, tickets, software, settings and wizard tests.

Rows are written straight into the cache tables (the sync engine has its own tests); sizes are
chosen so the alerts table needs more than one page (PagedSqlModel.PAGE = 200).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert

from ninja_desk.cache import schema, writes
from ninja_desk.cache.store import LocalCache
from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext

NOW = time.time()
ORGS = [(1, "Acme Dental"), (2, "Birch & Co Accountants"), (3, "Cobalt Logistics")]
SEVERITIES = ["CRITICAL", "MAJOR", "MODERATE", "MINOR", "NONE"]
N_ALERTS = 450


def device_rows() -> list[dict[str, Any]]:
    rows = []
    for i in range(1, 13):
        org = ORGS[(i - 1) % 3][0]
        rows.append(
            {
                "id": i,
                "uid": f"dev-{i}",
                "organization_id": org,
                "node_class": "WINDOWS_SERVER" if i % 4 == 0 else "WINDOWS_WORKSTATION",
                "name": f"{['ACME', 'BIRCH', 'COBALT'][org - 1]}-PC{i:02d}",
                "system_name": f"PC{i:02d}",
                "offline": 0,
                "last_contact": NOW - i * 60,
            }
        )
    return rows


def alert_rows() -> list[dict[str, Any]]:
    rows = []
    for i in range(N_ALERTS):
        severity = SEVERITIES[i % 5]
        rows.append(
            {
                "uid": f"alert-{i:04d}",
                "device_id": (i % 12) + 1,
                "message": f"Disk C: free space below {5 + i % 10}% on volume {i}",
                "severity": severity,
                "source_type": "CONDITION",
                "condition_name": "Disk space" if i % 2 else "CPU over 90%",
                "create_time": NOW - i * 600,
                "update_time": NOW - i * 600,
                "status": "RESET" if i % 7 == 6 else "TRIGGERED",
                "acknowledged_at": NOW - 30 if i % 11 == 10 else None,
                "acknowledged_by": "tech@example.com" if i % 11 == 10 else None,
                "ticket_id": "t-1" if i == 0 else None,
                "ticket_number": "1001" if i == 0 else None,
                "decision": json.dumps(
                    {
                        "outcome": "ticket",
                        "reason": "Rule 'Critical servers' matched.",
                        "rule": "Critical servers",
                        "rule_id": "r-1",
                        "action": "create_ticket",
                        "priority": "P1 - Critical",
                    }
                )
                if i == 0
                else ("No rule matched: severity MINOR is below every rule." if i == 3 else None),
            }
        )
    return rows


def software_rows() -> list[dict[str, Any]]:
    rows = []
    for device in range(1, 13):
        version = "124.0" if device <= 8 else "123.0"
        rows.append(
            {
                "device_id": device,
                "name": "Google Chrome",
                "publisher": "Google",
                "version": version,
            }
        )
        rows.append(
            {"device_id": device, "name": "7-Zip", "publisher": "Igor Pavlov", "version": "23.01"}
        )
        if device % 3 == 0:
            rows.append(
                {
                    "device_id": device,
                    "name": "Mozilla Firefox",
                    "publisher": "Mozilla",
                    "version": "125.0.1",
                }
            )
    for n in range(300):  # enough titles to page
        rows.append(
            {
                "device_id": 1 + n % 12,
                "name": f"Tool {n:03d}",
                "publisher": "Vendor",
                "version": "1.0",
            }
        )
    return rows


def ticket_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tickets = [
        {
            "id": "t-1",
            "number": "1001",
            "title": "CPU over 90% on ACME-PC01",
            "status": "New",
            "is_closed": 0,
            "priority": "P1 - Critical",
            "client_id": "c-1",
            "client_name": "Acme Dental",
            "alert_uid": "alert-0000",
            "created_at": NOW - 3600,
            "updated_at": NOW - 60,
        },
        {
            "id": "t-2",
            "number": "1002",
            "title": "Replace backup disk",
            "status": "In Progress",
            "is_closed": 0,
            "priority": "P3 - Medium",
            "client_id": "c-2",
            "client_name": "Birch & Co Accountants",
            "alert_uid": None,
            "created_at": NOW - 7200,
            "updated_at": NOW - 600,
        },
        {
            "id": "t-3",
            "number": "1003",
            "title": "Printer offline",
            "status": "Closed",
            "is_closed": 1,
            "priority": "P4 - Low",
            "client_id": "c-3",
            "client_name": "Cobalt Logistics",
            "alert_uid": None,
            "created_at": NOW - 86400,
            "updated_at": NOW - 3600,
        },
    ]
    links = [
        {"ticket_id": "t-1", "device_id": 1},
        {"ticket_id": "t-2", "device_id": 2},
        {"ticket_id": "t-2", "device_id": 5},
    ]
    return tickets, links


def fill(conn: Connection) -> None:
    conn.execute(
        insert(schema.organizations), [{"id": i, "name": n, "deleted": 0} for i, n in ORGS]
    )
    conn.execute(insert(schema.devices), device_rows())
    conn.execute(insert(schema.alerts), alert_rows())
    software = [
        (r["device_id"], r["name"], r["publisher"], r["version"], *[None] * 4)
        for r in software_rows()
    ]
    writes.insert_software(conn, software)
    conn.execute(
        insert(schema.psa_clients),
        [{"id": "c-1", "name": "Acme Dental"}, {"id": "c-2", "name": "Birch and Co"}],
    )
    tickets, links = ticket_rows()
    conn.execute(insert(schema.psa_tickets), tickets)
    conn.execute(insert(schema.psa_ticket_devices), links)


def make_ctx(tmp_path: Path, *, filled: bool = True, **kw: Any) -> AppContext:
    cache = LocalCache(tmp_path / "cache.sqlite3")
    if filled:
        cache.write_blocking(fill)
    opened: list[str] = []
    ctx = AppContext(
        data_dir=tmp_path, cache=cache, settings=Settings(), open_url=opened.append, **kw
    )
    ctx.opened_urls = opened  # type: ignore[attr-defined]
    return ctx
