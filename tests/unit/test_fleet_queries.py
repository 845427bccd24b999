"""The patch and client queries (cache/queries) against a real cache file: exact counts on
hand-made rows, and agreement with the device table's own patch columns on synthetic data."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ninja_desk.cache.queries import clients as cq
from ninja_desk.cache.queries import patches as pq
from ninja_desk.cache.schema import DEVICE_FIELD_COLUMNS
from ninja_desk.cache.store import LocalCache
from ninja_desk.cache.synthetic import fill_cache
from ninja_desk.core.node_class import RMM_MANAGED_CLASSES

NOW = time.time()


def _device(conn, device_id: int, org: int, node_class: str, *, offline: int | None = 0,
            deleted: int = 0) -> None:  # fmt: skip
    values = dict.fromkeys(DEVICE_FIELD_COLUMNS)
    values.update(id=device_id, organization_id=org, node_class=node_class,
                  name=f"DEV-{device_id}", offline=offline, last_contact=NOW - 60)  # fmt: skip
    cols = [*DEVICE_FIELD_COLUMNS, "deleted"]
    conn.exec_driver_sql(
        f"INSERT INTO devices ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
        (*[values[c] for c in DEVICE_FIELD_COLUMNS], deleted),
    )


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    cache = LocalCache(tmp_path / "cache.sqlite3")

    def write(conn) -> None:
        conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, deleted) VALUES "
            "(1, 'Acme Dental', 0), (2, 'Birch & Co', 0), (3, 'Empty Ltd', 0)"
        )
        _device(conn, 1, 1, "WINDOWS_WORKSTATION", offline=0)
        _device(conn, 2, 1, "WINDOWS_SERVER", offline=1)
        _device(conn, 3, 2, "MAC")
        _device(conn, 4, 2, "NMS_SWITCH")
        _device(conn, 5, 1, "WINDOWS_WORKSTATION", deleted=1)
        _device(conn, 6, 2, "WINDOWS_WORKSTATION")
        os_rows = [
            (1, "a", "2024-05 Cumulative Update", "MANUAL", "KB5001", "CRITICAL"),
            (1, "b", "Servicing Stack Update", "FAILED", "KB5002", "IMPORTANT"),
            (1, "c", "Old driver", "REJECTED", "KB5003", "OPTIONAL"),
            (2, "a", "2024-05 Cumulative Update", "APPROVED", "KB5001", "CRITICAL"),
            (5, "a", "2024-05 Cumulative Update", "MANUAL", "KB5001", "CRITICAL"),
        ]
        conn.exec_driver_sql(
            "INSERT INTO os_patches (device_id, id, name, status, kb_number, severity, type) "
            "VALUES (?, ?, ?, ?, ?, ?, 'SECURITY_UPDATES')",
            os_rows,
        )
        conn.exec_driver_sql(
            "INSERT INTO software_patches (device_id, id, title, status, impact, type) "
            "VALUES (?, ?, 'Google Chrome 125', ?, 'CRITICAL', 'PATCH')",
            [(3, "s1", "MANUAL"), (1, "s2", "FAILED")],
        )
        conn.exec_driver_sql(
            "INSERT INTO alerts (uid, device_id, severity, status) VALUES "
            "('x1', 1, 'CRITICAL', 'TRIGGERED'), ('x2', 2, 'MAJOR', 'RESET'), "
            "('x3', 4, 'MINOR', 'TRIGGERED'), ('x4', 2, NULL, 'TRIGGERED')"
        )
        conn.exec_driver_sql(
            "INSERT INTO psa_tickets (id, number, title, status, is_closed, client_name) VALUES "
            # A tenant's closed status may be named anything: Alga's is_closed decides.
            "('t1', '101', 'Disk full', 'Open', 0, NULL), "
            "('t2', '102', 'Done', 'Enchanted Closure', 1, NULL), "
            "('t3', '103', 'Printer', 'In Progress', 0, 'acme dental'), "
            "('t4', '104', 'Elsewhere', 'Open', 0, 'Birch & Co')"
        )
        conn.exec_driver_sql(
            "INSERT INTO psa_ticket_devices (ticket_id, device_id) VALUES "
            "('t1', 1), ('t2', 2), ('t4', 3)"
        )

    cache.write_blocking(write)
    yield cache
    cache.close()


def _by_patch(cache: LocalCache, **filters) -> dict[str, dict]:
    sql, params = pq.by_patch_sql(pq.PatchFilter(**filters))
    return {r["key"]: r for r in cache.rows(f"{sql} ORDER BY key", **params)}


def _by_client(cache: LocalCache, **filters) -> dict[int, dict]:
    sql, params = pq.by_client_sql(pq.PatchFilter(**filters))
    return {r["org_id"]: r for r in cache.rows(sql, **params)}


def test_pending_and_failed_grouped_by_kb(cache: LocalCache) -> None:
    groups = _by_patch(cache)
    assert set(groups) == {"os|KB5001", "os|KB5002", "software|Google Chrome 125"}
    kb = groups["os|KB5001"]  # the deleted device's row and the rejected patch stay out
    assert (kb["pending_devices"], kb["failed_devices"], kb["devices"], kb["clients"]) == (
        2, 0, 2, 1,
    )  # fmt: skip
    assert kb["severity_rank"] == 4 and kb["title"] == "2024-05 Cumulative Update"
    chrome = groups["software|Google Chrome 125"]
    assert (chrome["pending_devices"], chrome["failed_devices"], chrome["clients"]) == (1, 1, 2)
    assert chrome["kb"] is None


def test_filters_narrow_the_groups(cache: LocalCache) -> None:
    assert set(_by_patch(cache, status="failed")) == {"os|KB5002", "software|Google Chrome 125"}
    assert set(_by_patch(cache, status="rejected")) == {"os|KB5003"}
    assert set(_by_patch(cache, status="manual")) == {"os|KB5001", "software|Google Chrome 125"}
    assert set(_by_patch(cache, family="os", severity="CRITICAL")) == {"os|KB5001"}
    assert set(_by_patch(cache, family="software")) == {"software|Google Chrome 125"}
    assert set(_by_patch(cache, org_id=2)) == {"software|Google Chrome 125"}
    assert set(_by_patch(cache, text="kb500")) == {"os|KB5001", "os|KB5002"}
    assert _by_patch(cache, text="50%") == {}  # LIKE wildcards are literal


def test_compliance_by_client(cache: LocalCache) -> None:
    clients = _by_client(cache)
    assert set(clients) == {1, 2}  # a client without devices is not listed
    acme = clients[1]
    assert (acme["devices"], acme["affected"], acme["compliance"]) == (2, 2, 0.0)
    assert (acme["pending_devices"], acme["failed_devices"]) == (2, 1)
    assert (acme["pending_patches"], acme["failed_patches"]) == (2, 2)
    birch = clients[2]  # the switch is not patchable; device 6 has nothing pending
    assert (birch["devices"], birch["affected"], birch["compliance"]) == (2, 1, 50.0)
    strict = _by_client(cache, family="os", severity="CRITICAL")
    assert strict[2]["compliance"] == 100.0 and strict[1]["compliance"] == 0.0


def test_group_rows_and_targets(cache: LocalCache) -> None:
    f = pq.PatchFilter()
    sql, params = pq.in_groups_sql(f, org_ids=[2])
    assert [(r["family"], r["device_id"]) for r in cache.rows(sql, **params)] == [("software", 3)]
    found = pq.targets(cache, f, patch_keys=["os|KB5001", "software|Google Chrome 125"])
    assert {fam: [t.device_id for t in ts] for fam, ts in found.items()} == {
        "os": [1, 2],
        "software": [1, 3],
    }
    assert [t.offline for t in found["os"]] == [False, True]
    picked = pq.targets(cache, f, patch_keys=["os|KB5001"], device_ids=[("os", 2), ("os", 2)])
    assert picked == {"os": [pq.Target(2, "DEV-2", True)]}
    everything = pq.targets(cache, f)
    assert sorted(t.device_id for t in everything["os"]) == [1, 2]


def test_filter_round_trips_through_a_dict() -> None:
    f = pq.PatchFilter(status="failed", family="os", severity="critical", org_id=3, text="KB")
    again = pq.PatchFilter.from_dict(f.as_dict())
    assert again == pq.PatchFilter(status="failed", family="os", severity="CRITICAL",
                                   org_id=3, text="KB")  # fmt: skip
    assert pq.PatchFilter.from_dict({"status": "nonsense", "family": "x", "junk": 1}) == (
        pq.PatchFilter()
    )


def test_client_summary(cache: LocalCache) -> None:
    s = cq.client_summary(cache, 1)
    assert s is not None and s.name == "Acme Dental"
    assert (s.devices, s.online, s.offline, s.unknown) == (2, 1, 1, 0)
    assert s.alerts == {"CRITICAL": 1, "NONE": 1}  # the reset alert is not active
    assert s.active_alerts == 2
    assert s.open_tickets == 2  # t1 by its device, t3 by the client's name; t2 is closed
    assert (s.patchable, s.compliant, s.compliance) == (2, 0, 0.0)
    birch = cq.client_summary(cache, 2)
    assert birch is not None and birch.alerts == {"MINOR": 1} and birch.open_tickets == 1
    assert (birch.patchable, birch.compliant, birch.compliance) == (2, 1, 50.0)
    empty = cq.client_summary(cache, 3)
    assert empty is not None and empty.devices == 0 and empty.compliance is None
    assert cq.client_summary(cache, 99) is None


def test_client_lists(cache: LocalCache) -> None:
    sql, params = cq.client_list_sql()
    rows = {r["name"]: r for r in cache.rows(sql, **params)}
    assert (rows["Acme Dental"]["devices"], rows["Acme Dental"]["offline"]) == (2, 1)
    assert rows["Empty Ltd"]["devices"] == 0
    sql, params = cq.client_list_sql("birch")
    assert [r["name"] for r in cache.rows(sql, **params)] == ["Birch & Co"]
    sql, params = cq.open_tickets_sql(1)
    assert sorted(r["id"] for r in cache.rows(sql, **params)) == ["t1", "t3"]
    sql, params = cq.client_devices_sql(1)
    assert sorted(r["id"] for r in cache.rows(sql, **params)) == [1, 2]


def test_compliance_agrees_with_the_device_columns_on_synthetic_data(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "synthetic.sqlite3")
    try:
        fill_cache(cache, devices=400, orgs=6, detail_devices=400)
        patchable = ",".join(f"'{c}'" for c in RMM_MANAGED_CLASSES)
        expected = {
            r["org"]: (r["n"], r["clean"])
            for r in cache.rows(
                "SELECT organization_id AS org, count(*) AS n, "
                "sum(pending_os_patches + failed_os_patches = 0) AS clean FROM devices "
                f"WHERE deleted = 0 AND node_class IN ({patchable}) GROUP BY organization_id"
            )
        }
        got = _by_client(cache, family="os")
        assert len(got) == 6
        for org, (n, clean) in expected.items():
            assert got[org]["devices"] == n
            assert got[org]["compliance"] == round(100.0 * clean / n, 1)
        kb_devices = sum(r["devices"] for r in _by_patch(cache, family="os").values())
        rows = cache.scalar(
            "SELECT count(*) FROM os_patches p JOIN devices d ON d.id = p.device_id "
            "WHERE d.deleted = 0"
        )
        assert kb_devices == rows  # each synthetic KB is once per device
    finally:
        cache.close()
