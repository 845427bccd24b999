"""The asset push on both backends, writing Alga's rows the way Alga's own NinjaOne sync does:
identity through tenant_external_entity_mappings, lifecycle, moves, locks, history, software,
events, and alert tickets that were waiting for their asset."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
import sqlalchemy as sa

from ninja_desk.core.devices import Volume
from ninja_desk.psa import org_mapping
from ninja_desk.psa.assets import (
    asset_history_for,
    find_by_device,
    get_asset,
    lineage_for,
    unlock_fields,
    update_asset,
)
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.events import DEVICE_CREATED, DEVICE_DELETED, DEVICE_UPDATED, SYNC_COMPLETED
from ninja_desk.psa.integration_settings import IntegrationSettings, save_settings
from ninja_desk.psa.outbox import pending_events
from ninja_desk.psa.schema import (
    asset_associations,
    asset_history,
    asset_software,
    assets,
    ninjadesk_asset_sync,
    rmm_alerts,
    rmm_integrations,
    software_catalog,
    tickets,
    workstation_assets,
)
from ninja_desk.psa.schema import tenant_external_entity_mappings as teem
from ninja_desk.psa.tenants import create_user
from ninja_desk.sync.psa_push import push_snapshots
from tests.psa.builders import device, org, snapshot, software
from tests.psa.helpers import setup_integration


@pytest.fixture
def fleet(psa):
    return setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme", 2: "Bravo"})


def push(psa, integration, snaps, full=True, **kw):
    return push_snapshots(psa.psa, psa.tenant, integration, snaps, full=full, **kw)


def asset_of(psa, integration, device_id):
    with psa.psa.tenant_session(psa.tenant) as s:
        return find_by_device(s, integration, device_id)


def count(psa, table):
    with psa.psa.tenant_session(psa.tenant) as s:
        return s.conn.scalar(
            sa.select(sa.func.count()).select_from(table).where(table.c.tenant == psa.tenant)
        )


def history(psa, asset_id):
    with psa.psa.tenant_session(psa.tenant) as s:
        return asset_history_for(s, asset_id)


def test_first_push_writes_assets_as_algas_own_sync_and_a_repeat_writes_nothing(psa, fleet):
    integration, clients = fleet
    ws = device(1, 1)
    ws.volumes = [Volume("C:", capacity=500 * 1024**3, free_space=125 * 1024**3)]
    ws.last_boot_time = ws.last_contact - 3600
    ws.last_logged_in_user = "CORP\\alice"
    snaps = [
        snapshot(ws),
        snapshot(device(2, 1, node_class="HYPERV_VMM_GUEST")),
        snapshot(device(3, 2, node_class="NMS_ROUTER")),
        snapshot(device(4, 2, node_class="APPLE_IOS", serial="")),
        snapshot(device(5, 2, node_class="CLOUD_MONITOR_TARGET")),
    ]
    result = push(psa, integration, snaps)
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    types = {i: asset_of(psa, integration, i).asset_type for i in range(1, 6)}
    assert types == {
        1: "workstation",
        2: "server",
        3: "network_device",
        4: "unknown",
        5: "network_device",
    }
    a = asset_of(psa, integration, 1)
    assert (a.asset_tag, a.status, a.client_id) == ("NINJA-SN00000001", "active", clients[1])
    assert (a.rmm_provider, a.rmm_device_id, a.rmm_organization_id) == ("ninjaone", "1", "1")
    assert a.agent_status == "online" and a.last_seen_at.timestamp() == 1_759_136_775.5
    assert a.last_rmm_sync_at is not None
    assert asset_of(psa, integration, 4).asset_tag == "NINJA-4"
    assert a.attributes["manufacturer"] == "Dell Inc." and a.attributes["model"] == "Latitude 5440"
    assert a.attributes["mac_addresses"] == ["D4BED9000001"]
    assert a.attributes["ninjaone_url"] == "https://eu.ninjarmm.com/#/deviceDashboard/1/overview"
    ext = a.extension
    assert (ext["os_type"], ext["ram_gb"], ext["cpu_cores"]) == ("Windows", 16, 8)
    assert (ext["antivirus_status"], ext["antivirus_product"]) == ("protected", "Bitdefender")
    assert (ext["pending_os_patches"], ext["pending_software_patches"]) == (2, 1)
    assert (ext["pending_patches"], ext["failed_patches"]) == (3, 1)
    assert ext["last_patch_scan_at"].timestamp() == 1_759_100_000.0
    assert ext["lan_ip"] == "10.0.0.1" and ext["current_user"] == "CORP\\alice"
    assert ext["uptime_seconds"] == 3600
    assert ext["disk_usage"] == [
        {"name": "C:", "total_gb": 500.0, "free_gb": 125.0, "utilization_percent": 75.0}
    ]
    assert ext["system_info"]["manufacturer"] == "Dell Inc."
    server = asset_of(psa, integration, 2).extension
    assert (server["is_virtual"], server["hypervisor"]) == (True, "Hyper-V")
    assert asset_of(psa, integration, 3).extension["device_type"] == "router"

    with psa.psa.tenant_session(psa.tenant) as s:
        mapping = s.conn.execute(
            sa.select(
                teem.c.integration_type,
                teem.c.alga_entity_type,
                teem.c.external_entity_id,
                teem.c.external_realm_id,
                teem.c.sync_status,
            ).where(teem.c.alga_entity_id == str(a.asset_id))
        ).one()
    assert tuple(mapping) == ("ninjaone", "asset", "1", "1", "synced")
    (created,) = history(psa, a.asset_id)
    assert created.change_type == "created"
    assert created.changed_by == psa.admin_id  # the service user (the tenant's admin here)
    assert created.changes == {
        "source": "ninjaone_sync",
        "device_id": 1,
        "integration_id": str(integration),
    }

    stamp = a.last_rmm_sync_at
    again = push(psa, integration, snaps)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert count(psa, assets) == 5
    assert count(psa, asset_history) == 5
    assert asset_of(psa, integration, 1).last_rmm_sync_at == stamp  # not even touched


def test_an_unapproved_device_is_pending(psa, fleet):
    integration, _ = fleet
    dev = device(7)
    dev.approval_status = "PENDING"
    push(psa, integration, [snapshot(dev)])
    assert asset_of(psa, integration, 7).status == "pending"
    dev.approval_status = "APPROVED"
    assert push(psa, integration, [snapshot(dev)]).updated == 1
    assert asset_of(psa, integration, 7).status == "active"


def _alga_made_asset(psa, client_id, device_id, *, mapping=True):
    """An asset, extension row and mapping the way Alga's own NinjaOne sync inserts them."""
    asset_id = uuid.uuid4()
    now = utcnow()
    with psa.psa.tenant_session(psa.tenant) as s:
        s.conn.execute(
            assets.insert().values(
                tenant=psa.tenant,
                asset_id=asset_id,
                asset_type="workstation",
                client_id=client_id,
                asset_tag=f"NINJA-SN{device_id:08d}",
                name=f"PC-{device_id:05d}",
                status="active",
                location="",
                serial_number=f"SN{device_id:08d}",
                rmm_provider="ninjaone",
                rmm_device_id=str(device_id),
                rmm_organization_id="1",
                agent_status="online",
                attributes={"warranty": "3y NBD"},
                created_at=now,
                updated_at=now,
            )
        )
        s.conn.execute(
            workstation_assets.insert().values(
                tenant=psa.tenant,
                asset_id=asset_id,
                os_type="Windows",
                os_version="10.0.22631",
                ram_gb=16,
                storage_type="mixed",
                antivirus_status="protected",
            )
        )
        if mapping:
            s.conn.execute(
                teem.insert().values(
                    tenant=psa.tenant,
                    integration_type="ninjaone",
                    alga_entity_type="asset",
                    alga_entity_id=str(asset_id),
                    external_entity_id=str(device_id),
                    external_realm_id="1",
                    sync_status="synced",
                    last_synced_at=now,
                    metadata={
                        "deviceName": f"PC-{device_id:05d}",
                        "nodeClass": "WINDOWS_WORKSTATION",
                    },
                    created_at=now,
                    updated_at=now,
                )
            )
    return asset_id


@pytest.mark.parametrize("mapping", [True, False], ids=["mapped", "rmm-ids-only"])
def test_an_asset_algas_own_sync_made_is_updated_never_duplicated(psa, fleet, mapping):
    integration, clients = fleet
    asset_id = _alga_made_asset(psa, clients[1], 42, mapping=mapping)
    result = push(psa, integration, [snapshot(device(42, 1))])
    assert (result.created, result.adopted) == (0, 1)
    assert count(psa, assets) == 1
    after = asset_of(psa, integration, 42)
    assert after.asset_id == asset_id
    assert after.attributes["warranty"] == "3y NBD"  # Alga's / a person's key is kept
    assert after.attributes["manufacturer"] == "Dell Inc."
    assert after.extension["os_version"] == "Windows 11 Pro (22631)"
    assert after.extension["pending_os_patches"] == 2
    assert count(psa, teem) == 1
    (entry,) = history(psa, asset_id)
    assert entry.change_type == "updated" and entry.changes["reason"] == "adopted"
    assert entry.changes["os_version"] == {"old": "10.0.22631", "new": "Windows 11 Pro (22631)"}
    assert push(psa, integration, [snapshot(device(42, 1))]).unchanged == 1


def test_changed_fields_go_to_history_with_old_new_and_the_service_user(psa, fleet):
    integration, _ = fleet
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        bot = create_user(s, "ninjadesk.bot", ["Technician"])
        save_settings(s, IntegrationSettings(integration, service_user_id=bot))
    push(psa, integration, [snapshot(device(1))])
    changed = snapshot(device(1, os_name="Windows 10 Enterprise"), pending_os=9)
    result = push(psa, integration, [changed], user_id=psa.admin_id)
    assert result.updated == 1
    last = history(psa, asset_of(psa, integration, 1).asset_id)[-1]
    assert (last.change_type, last.source, last.changed_by) == ("updated", "ninjaone_sync", bot)
    assert last.changes == {
        "source": "ninjaone_sync",
        "device_id": 1,
        "integration_id": str(integration),
        "os_version": {"old": "Windows 11 Pro (22631)", "new": "Windows 10 Enterprise (22631)"},
        "pending_os_patches": {"old": 2, "new": 9},
        "pending_patches": {"old": 3, "new": 10},
        "system_info": {
            "old": last.changes["system_info"]["old"],
            "new": last.changes["system_info"]["new"],
        },
    }
    assert last.changes["system_info"]["new"]["os_name"] == "Windows 10 Enterprise"


def test_heartbeat_only_changes_are_written_but_not_logged(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(1))])
    later = snapshot(device(1, last_contact=1_759_200_000.0, offline=True))
    result = push(psa, integration, [later])
    assert (result.unchanged, result.updated, result.heartbeats) == (1, 0, 1)
    asset = asset_of(psa, integration, 1)
    assert asset.agent_status == "offline"
    assert asset.last_seen_at.timestamp() == 1_759_200_000.0
    assert [h.change_type for h in history(psa, asset.asset_id)] == ["created"]


def test_a_reimaged_device_reuses_its_asset_with_lineage(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(10, serial="5CG1234XYZ"))])
    original = asset_of(psa, integration, 10)
    # Re-imaged: NinjaOne drops the old device and enrols a new id with the same hardware.
    reimaged = snapshot(device(11, serial="5CG1234XYZ", name="PC-REBUILT", macs=[]))
    result = push(psa, integration, [reimaged])
    assert (result.created, result.relinked, result.retired) == (0, 1, 0)
    assert count(psa, assets) == 1
    now = asset_of(psa, integration, 11)
    assert (now.asset_id, now.name, now.rmm_device_id) == (original.asset_id, "PC-REBUILT", "11")
    with psa.psa.tenant_session(psa.tenant) as s:
        lineage = lineage_for(s, now.asset_id)
        assert [(x.previous_device_id, x.new_device_id, x.matched_by) for x in lineage] == [
            ("10", "11", "serial")
        ]
        ext_id = s.conn.scalar(
            sa.select(teem.c.external_entity_id).where(teem.c.alga_entity_id == str(now.asset_id))
        )
    assert ext_id == "11"
    last = history(psa, now.asset_id)[-1]
    assert last.changes["reason"] == "relinked"
    assert last.changes["rmm_device_id"] == {"old": "10", "new": "11"}


def test_a_reimaged_device_matches_a_retired_asset_by_stable_mac(psa, fleet):
    integration, _ = fleet
    mac = "3C:52:82:11:22:33"
    push(psa, integration, [snapshot(device(20, serial="Default string", macs=[mac]))])
    push(psa, integration, [snapshot(device(20), deleted=True)], full=False)
    original = asset_of(psa, integration, 20)
    assert original.status == "inactive"
    result = push(psa, integration, [snapshot(device(21, serial="", macs=[mac.lower()]))])
    assert result.relinked == 1 and result.created == 0
    back = asset_of(psa, integration, 21)
    assert (back.asset_id, back.status) == (original.asset_id, "active")


@pytest.mark.parametrize(
    "serial", ["To be filled by O.E.M.", "Default string", "System Serial Number", "0000000000"]
)
def test_placeholder_serials_never_merge_two_machines(psa, fleet, serial):
    integration, _ = fleet
    virtual_mac = ["00:15:5D:00:00:01"]  # Hyper-V: shared, never an identity
    push(psa, integration, [snapshot(device(30, serial=serial, macs=virtual_mac))])
    result = push(
        psa,
        integration,
        [
            snapshot(device(30, serial=serial, macs=virtual_mac)),
            snapshot(device(31, serial=serial, macs=virtual_mac)),
        ],
    )
    assert result.created == 1 and result.relinked == 0
    # Even after the first one is gone, the placeholder does not pull the newcomer into it.
    result = push(psa, integration, [snapshot(device(32, serial=serial, macs=virtual_mac))])
    assert result.created == 1 and result.relinked == 0
    assert count(psa, assets) == 3


def test_identity_matching_stays_within_the_client(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(40, 1, serial="SAME-SERIAL-1"))])
    result = push(psa, integration, [snapshot(device(41, 2, serial="SAME-SERIAL-1"))])
    assert result.created == 1 and result.relinked == 0


def test_a_hand_entered_asset_is_adopted_by_serial(psa, fleet):
    integration, clients = fleet
    asset_id = uuid.uuid4()
    with psa.psa.tenant_session(psa.tenant) as s:
        s.conn.execute(
            assets.insert().values(
                tenant=psa.tenant,
                asset_id=asset_id,
                asset_type="workstation",
                client_id=clients[1],
                name="Reception PC",
                status="active",
                serial_number="ABC-778899",
                attributes={"manufacturer": "Dell Inc.", "room": "Reception"},
                asset_tag="TAG-7",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    result = push(psa, integration, [snapshot(device(50, serial="ABC-778899"))])
    assert result.relinked == 1 and result.created == 0
    adopted = asset_of(psa, integration, 50)
    assert (adopted.asset_id, adopted.asset_tag) == (asset_id, "TAG-7")  # the tag stays theirs
    assert adopted.attributes["room"] == "Reception"
    assert adopted.extension["os_type"] == "Windows"


def test_a_deleted_device_is_retired_never_deleted_and_revived_on_return(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(60)), snapshot(device(61))])
    result = push(psa, integration, [snapshot(device(60), deleted=True)], full=False)
    assert result.retired == 1
    retired = asset_of(psa, integration, 60)
    assert (retired.status, retired.agent_status) == ("inactive", "offline")
    with psa.psa.tenant_session(psa.tenant) as s:
        status, meta = s.conn.execute(
            sa.select(teem.c.sync_status, teem.c.metadata).where(
                teem.c.alga_entity_id == str(retired.asset_id)
            )
        ).one()
    assert status == "error" and meta["deleted"] is True  # Alga's own "deleted" marker
    # Absent from a full push counts as deleted too.
    result = push(psa, integration, [])
    assert result.retired == 1
    assert asset_of(psa, integration, 61).status == "inactive"
    assert count(psa, assets) == 2
    result = push(psa, integration, [snapshot(device(60)), snapshot(device(61))])
    assert result.revived == 2
    back = asset_of(psa, integration, 60)
    assert (back.status, back.asset_id) == ("active", retired.asset_id)
    entries = history(psa, back.asset_id)
    assert [(h.change_type, h.changes.get("reason")) for h in entries] == [
        ("created", None),
        ("updated", "device_deleted_in_rmm"),
        ("updated", "device_restored_in_rmm"),
    ]
    assert all(h.changed_by == psa.admin_id for h in entries)


def test_an_incremental_push_never_retires_absent_devices(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(70)), snapshot(device(71))])
    result = push(psa, integration, [snapshot(device(70))], full=False)
    assert result.retired == 0
    assert asset_of(psa, integration, 71).status == "active"


def test_an_org_move_moves_the_asset_to_the_mapped_client(psa, fleet):
    integration, clients = fleet
    push(psa, integration, [snapshot(device(80, 1))])
    result = push(psa, integration, [snapshot(device(80, 2))])
    assert result.moved == 1 and result.created == 0
    moved = asset_of(psa, integration, 80)
    assert (moved.client_id, moved.rmm_organization_id) == (clients[2], "2")
    with psa.psa.tenant_session(psa.tenant) as s:
        realm = s.conn.scalar(
            sa.select(teem.c.external_realm_id).where(teem.c.alga_entity_id == str(moved.asset_id))
        )
    assert realm == "2"
    last = history(psa, moved.asset_id)[-1]
    assert last.changes["reason"] == "moved"
    assert last.changes["client_id"] == {"old": str(clients[1]), "new": str(clients[2])}


def test_unmapped_and_auto_sync_off_orgs_are_skipped(psa, fleet):
    integration, _ = fleet
    result = push(psa, integration, [snapshot(device(90, 1)), snapshot(device(91, 99))])
    assert (result.created, result.skipped_unmapped) == (1, 1)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        org_mapping.set_auto_sync(s, integration, org(1, "Acme"), False)
    result = push(psa, integration, [snapshot(device(90, 1, os_name="Changed"))])
    assert result.skipped_unmapped == 1
    assert result.retired == 0  # hands off: its asset is not retired either
    assert asset_of(psa, integration, 90).extension["os_version"] == "Windows 11 Pro (22631)"


def test_a_field_a_person_edited_survives_a_sync_until_unlocked(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(100, name="PC-RAW"))])
    asset = asset_of(psa, integration, 100)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        update_asset(s, asset.asset_id, name="Reception desk", asset_tag="A1", model="Custom")
    result = push(psa, integration, [snapshot(device(100, name="PC-RENAMED", os_name="Win 12"))])
    assert result.updated == 1
    after = asset_of(psa, integration, 100)
    assert (after.name, after.asset_tag, after.model) == ("Reception desk", "A1", "Custom")
    assert after.extension["os_version"] == "Win 12 (22631)"
    assert after.locked_fields == ["model", "name"]
    edit = history(psa, asset.asset_id)[1]
    assert (edit.change_type, edit.source, edit.changed_by) == (
        "updated",
        "ninjadesk",
        psa.admin_id,
    )
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        unlock_fields(s, asset.asset_id, ["name"])
    push(psa, integration, [snapshot(device(100, name="PC-RENAMED", os_name="Win 12"))])
    after = asset_of(psa, integration, 100)
    assert (after.name, after.model) == ("PC-RENAMED", "Custom")


def _software_rows(psa, asset_id):
    with psa.psa.tenant_session(psa.tenant) as s:
        q = (
            sa.select(
                software_catalog.c.name,
                software_catalog.c.normalized_name,
                asset_software.c.version,
                asset_software.c.is_current,
                asset_software.c.uninstalled_at,
                asset_software.c.first_seen_at,
                asset_software.c.last_seen_at,
            )
            .join(
                software_catalog,
                sa.and_(
                    software_catalog.c.tenant == asset_software.c.tenant,
                    software_catalog.c.software_id == asset_software.c.software_id,
                ),
            )
            .where(asset_software.c.tenant == psa.tenant, asset_software.c.asset_id == asset_id)
            .order_by(software_catalog.c.name)
        )
        return list(s.conn.execute(q))


def test_software_catalog_first_seen_uninstalled_and_reinstalled_with_history(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(110), software=3)])
    asset = asset_of(psa, integration, 110)
    rows = _software_rows(psa, asset.asset_id)
    assert [(r.name, r.normalized_name, r.version, r.is_current) for r in rows] == [
        ("App 0", "app 0", "1.0", True),
        ("App 1", "app 1", "1.1", True),
        ("App 2", "app 2", "1.2", True),
    ]
    assert all(r.first_seen_at is not None and r.uninstalled_at is None for r in rows)

    r = push(psa, integration, [snapshot(device(110), software=2)])
    assert r.software_updated == 1
    rows = _software_rows(psa, asset.asset_id)
    assert [(r.name, r.is_current, r.uninstalled_at is not None) for r in rows] == [
        ("App 0", True, False),
        ("App 1", True, False),
        ("App 2", False, True),
    ]
    last = history(psa, asset.asset_id)[-1]
    assert last.changes["software"] == {"installed": [], "removed": ["App 2"]}

    push(psa, integration, [snapshot(device(110), software=3)])
    app2 = _software_rows(psa, asset.asset_id)[-1]
    assert (app2.name, app2.is_current, app2.uninstalled_at) == ("App 2", True, None)
    assert app2.first_seen_at < app2.last_seen_at
    assert history(psa, asset.asset_id)[-1].changes["software"] == {
        "installed": ["App 2"],
        "removed": [],
    }
    # Same software on a second device shares the catalog entry.
    push(psa, integration, [snapshot(device(110), software=3), snapshot(device(111), software=3)])
    assert count(psa, software_catalog) == 3


def test_titles_differing_in_case_or_spaces_share_one_catalog_row_even_without_publisher(
    psa, fleet
):
    integration, _ = fleet
    first = snapshot(device(120))
    first.software = [software(120, " 7-Zip ", None, "23.01"), software(120, "Notepad++", "Don Ho")]
    second = snapshot(device(121))
    second.software = [software(121, "7-zip", None, "24.08"), software(121, "notepad++", "Don Ho")]
    push(psa, integration, [first])
    push(psa, integration, [first, second])
    with psa.psa.tenant_session(psa.tenant) as s:
        catalog = s.conn.execute(
            sa.select(software_catalog.c.normalized_name, software_catalog.c.publisher)
            .where(software_catalog.c.tenant == psa.tenant)
            .order_by(software_catalog.c.normalized_name)
        ).all()
    assert [tuple(r) for r in catalog] == [("7-zip", None), ("notepad++", "Don Ho")]
    assert count(psa, asset_software) == 4


def test_events_are_published_in_process_and_in_the_outbox(psa, fleet):
    integration, _ = fleet
    seen = []
    psa.psa.bus.subscribe("rmm.*", lambda e: seen.append(e.type))
    push(psa, integration, [snapshot(device(130))])
    push(psa, integration, [snapshot(device(130, os_name="Other"))])
    push(psa, integration, [])
    assert seen.count(DEVICE_CREATED) == 1
    assert seen.count(DEVICE_UPDATED) == 1
    assert seen.count(DEVICE_DELETED) == 1
    assert seen.count(SYNC_COMPLETED) == 3
    assert seen.count("rmm.device.synced") == 0  # no heartbeat-only refresh happened
    with psa.psa.tenant_session(psa.tenant) as s:
        outbox_types = [e.event_type for e in pending_events(s)]
        state = s.conn.execute(
            sa.select(
                rmm_integrations.c.sync_status,
                rmm_integrations.c.sync_error,
                rmm_integrations.c.last_full_sync_at,
            ).where(rmm_integrations.c.integration_id == integration)
        ).one()
    assert sorted(outbox_types) == sorted(seen)
    assert (state.sync_status, state.sync_error) == ("completed", None)
    assert state.last_full_sync_at is not None


def test_a_failed_push_rolls_back_sets_the_error_and_reports_failure(psa, fleet, monkeypatch):
    integration, _ = fleet
    seen = []
    psa.psa.bus.subscribe("*", lambda e: seen.append(e.type))
    import ninja_desk.sync.psa_push as mod

    def disk_full(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mod, "sync_software", disk_full)
    with pytest.raises(RuntimeError):
        push(psa, integration, [snapshot(device(140), software=2)])
    assert count(psa, assets) == 0
    assert count(psa, asset_history) == 0
    assert "rmm.device.created" not in seen  # rolled back: never announced
    assert seen[-1] == "rmm.sync.failed"
    with psa.psa.tenant_session(psa.tenant) as s:
        status, error = s.conn.execute(
            sa.select(rmm_integrations.c.sync_status, rmm_integrations.c.sync_error).where(
                rmm_integrations.c.integration_id == integration
            )
        ).one()
    assert (status, error) == ("error", "disk full")


def test_a_device_changing_class_moves_its_extension_row(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(150, node_class="WINDOWS_WORKSTATION"))])
    result = push(psa, integration, [snapshot(device(150, node_class="WINDOWS_SERVER"))])
    assert result.updated == 1
    asset = asset_of(psa, integration, 150)
    assert asset.asset_type == "server"
    assert asset.extension["os_type"] == "Windows"
    assert count(psa, workstation_assets) == 0


def test_duplicate_snapshots_of_one_device_in_a_batch_create_one_asset(psa, fleet):
    integration, _ = fleet
    snap = snapshot(device(160))
    result = push(psa, integration, [snap, replace(snap, pending_os_patches=5)])
    assert result.created == 1
    assert asset_of(psa, integration, 160).extension["pending_os_patches"] == 5


def test_get_asset_in_another_tenant_is_not_found(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(170))])
    asset = asset_of(psa, integration, 170)
    other = psa.new_tenant("Other")
    with psa.psa.tenant_session(other.tenant, other.admin_user_id) as s, pytest.raises(NotFound):
        get_asset(s, asset.asset_id)


def test_an_incremental_push_never_takes_a_live_devices_asset(psa, fleet):
    """Two live machines with the same (real) serial, e.g. a cloned VM: the new one gets its
    own asset when the batch does not say the first one is gone."""
    integration, _ = fleet
    push(psa, integration, [snapshot(device(180, serial="CLONED-SERIAL-1"))])
    result = push(psa, integration, [snapshot(device(181, serial="CLONED-SERIAL-1"))], full=False)
    assert (result.created, result.relinked) == (1, 0)
    assert asset_of(psa, integration, 180).asset_id != asset_of(psa, integration, 181).asset_id


def test_a_status_a_person_set_is_neither_revived_nor_retired_by_the_push(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(190))])
    asset = asset_of(psa, integration, 190)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        update_asset(s, asset.asset_id, status="in_repair")
    assert push(psa, integration, [snapshot(device(190), pending_os=7)]).updated == 1
    assert asset_of(psa, integration, 190).status == "in_repair"
    assert push(psa, integration, []).retired == 1
    assert asset_of(psa, integration, 190).status == "in_repair"
    assert push(psa, integration, [snapshot(device(190))]).revived == 1
    assert asset_of(psa, integration, 190).status == "in_repair"


def _waiting_alert(psa, integration, client_id, device_id, *, closed=False):
    """An alert whose ticket was made before its device had an asset (asset_id NULL)."""
    ticket_id = uuid.uuid4()
    with psa.psa.tenant_session(psa.tenant) as s:
        s.conn.execute(
            tickets.insert().values(
                tenant=psa.tenant,
                ticket_id=ticket_id,
                ticket_number=f"TIC{device_id:06d}",
                title=f"Disk full on device {device_id}",
                client_id=client_id,
                is_closed=closed,
                source="ninjaone",
                ticket_origin="internal",
                entered_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        s.conn.execute(
            rmm_alerts.insert().values(
                tenant=psa.tenant,
                alert_id=uuid.uuid4(),
                integration_id=integration,
                external_alert_id=f"series-{device_id}",
                external_device_id=str(device_id),
                severity="major",
                status="active",
                ticket_id=ticket_id,
                auto_ticket_created=True,
                dedup_key=f"{device_id}|DISK_FULL",
            )
        )
    return ticket_id


def test_an_alert_ticket_made_before_its_asset_gets_the_link_when_the_asset_is_pushed(psa, fleet):
    integration, clients = fleet
    open_ticket = _waiting_alert(psa, integration, clients[1], 200)
    closed_ticket = _waiting_alert(psa, integration, clients[1], 201, closed=True)
    result = push(psa, integration, [snapshot(device(200)), snapshot(device(201))])
    assert result.tickets_linked == 1
    asset = asset_of(psa, integration, 200)
    with psa.psa.tenant_session(psa.tenant) as s:
        links = s.conn.execute(
            sa.select(
                asset_associations.c.asset_id,
                asset_associations.c.entity_id,
                asset_associations.c.entity_type,
                asset_associations.c.relationship_type,
                asset_associations.c.created_by,
            ).where(asset_associations.c.tenant == psa.tenant)
        ).all()
        alert_assets = dict(
            s.conn.execute(
                sa.select(rmm_alerts.c.external_device_id, rmm_alerts.c.asset_id).where(
                    rmm_alerts.c.tenant == psa.tenant
                )
            ).all()
        )
    assert [tuple(r) for r in links] == [
        (asset.asset_id, open_ticket, "ticket", "related", psa.admin_id)
    ]
    assert closed_ticket not in {r.entity_id for r in links}
    assert alert_assets == {
        "200": asset.asset_id,
        "201": asset_of(psa, integration, 201).asset_id,
    }
    # Idempotent: a later push links nothing twice.
    assert (
        push(psa, integration, [snapshot(device(200)), snapshot(device(201))]).tickets_linked == 0
    )


def test_an_unchanged_fleet_writes_no_row(psa, fleet):
    integration, _ = fleet
    snaps = [snapshot(device(i), software=5) for i in range(300, 320)]
    push(psa, integration, snaps)
    with psa.psa.tenant_session(psa.tenant) as s:
        before = s.conn.execute(
            sa.select(ninjadesk_asset_sync.c.asset_id, ninjadesk_asset_sync.c.updated_at)
        ).all()
        seen_before = s.conn.execute(sa.select(sa.func.max(asset_software.c.last_seen_at))).scalar()
    result = push(psa, integration, snaps)
    assert (result.unchanged, result.software_updated) == (20, 0)
    with psa.psa.tenant_session(psa.tenant) as s:
        after = s.conn.execute(
            sa.select(ninjadesk_asset_sync.c.asset_id, ninjadesk_asset_sync.c.updated_at)
        ).all()
        seen_after = s.conn.execute(sa.select(sa.func.max(asset_software.c.last_seen_at))).scalar()
    assert sorted(before) == sorted(after) and seen_before == seen_after


def test_a_ninjaone_outage_sets_the_error_and_emits_sync_failed(psa, fleet):
    from ninja_desk.sync.psa_push import record_sync_failure

    integration, _ = fleet
    seen = []
    psa.psa.bus.subscribe("rmm.sync.*", lambda e: seen.append((e.type, e.payload)))
    record_sync_failure(psa.psa, psa.tenant, integration, "NinjaOne did not answer (503).")
    with psa.psa.tenant_session(psa.tenant) as s:
        status, error = s.conn.execute(
            sa.select(rmm_integrations.c.sync_status, rmm_integrations.c.sync_error).where(
                rmm_integrations.c.integration_id == integration
            )
        ).one()
    assert (status, error) == ("error", "NinjaOne did not answer (503).")
    assert seen == [
        (
            "rmm.sync.failed",
            {"integration_id": str(integration), "error": "NinjaOne did not answer (503)."},
        )
    ]
    push(psa, integration, [snapshot(device(400))])  # the next good push clears it
    with psa.psa.tenant_session(psa.tenant) as s:
        status, error = s.conn.execute(
            sa.select(rmm_integrations.c.sync_status, rmm_integrations.c.sync_error).where(
                rmm_integrations.c.integration_id == integration
            )
        ).one()
    assert (status, error) == ("completed", None)


def test_an_incremental_push_of_a_few_devices_reads_only_them_and_still_relinks(psa, fleet):
    """A webhook's device goes through the same rules: its own asset updated, a retired asset
    still found for a re-imaged machine, every other asset untouched."""
    integration, _ = fleet
    push(psa, integration, [snapshot(device(i)) for i in range(500, 520)])
    push(psa, integration, [snapshot(device(519), deleted=True)], full=False)
    changed = snapshot(device(505, os_name="Windows 12 Pro"))
    reimaged = snapshot(device(530, serial="SN00000519", macs=[]))
    result = push(psa, integration, [changed, reimaged], full=False)
    assert (result.updated, result.relinked, result.created, result.retired) == (1, 1, 0, 0)
    assert asset_of(psa, integration, 505).extension["os_version"] == "Windows 12 Pro (22631)"
    assert asset_of(psa, integration, 530).status == "active"
    assert count(psa, assets) == 20
    assert push(psa, integration, [changed, reimaged], full=False).unchanged == 2


def test_disk_usage_is_kept_when_a_snapshot_carries_no_volumes(psa, fleet):
    integration, _ = fleet
    dev = device(600)
    dev.volumes = [Volume("C:", capacity=100 * 1024**3, free_space=40 * 1024**3)]
    push(psa, integration, [snapshot(dev)])
    bare = device(600, os_name="Windows 12 Pro")  # no volumes known this time
    push(psa, integration, [snapshot(bare)])
    ext = asset_of(psa, integration, 600).extension
    assert ext["os_version"] == "Windows 12 Pro (22631)"
    assert ext["storage_capacity_gb"] == 100
    assert ext["disk_usage"] == [
        {"name": "C:", "total_gb": 100.0, "free_gb": 40.0, "utilization_percent": 60.0}
    ]
