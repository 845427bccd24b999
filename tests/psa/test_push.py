"""The asset push on both backends: identity, lifecycle, moves, locks, history, events."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from ninja_desk.psa import org_mapping
from ninja_desk.psa.assets import (
    asset_history_for,
    find_by_device,
    get_asset,
    lineage_for,
    unlock_fields,
    update_asset,
)
from ninja_desk.psa.events import DEVICE_CREATED, DEVICE_DELETED, DEVICE_UPDATED, SYNC_COMPLETED
from ninja_desk.psa.outbox import pending_events
from ninja_desk.psa.schema import asset_software, assets, software_catalog
from ninja_desk.psa.schema import tenant_external_entity_mappings as teem
from ninja_desk.sync.psa_push import push_snapshots
from tests.psa.builders import device, org, snapshot
from tests.psa.helpers import setup_integration


@pytest.fixture
def fleet(psa):
    integration, clients = setup_integration(
        psa.psa, psa.tenant, psa.admin_id, {1: "Acme", 2: "Bravo"}
    )
    return integration, clients


def push(psa, integration, snaps, full=True, **kw):
    return push_snapshots(psa.psa, psa.tenant, integration, snaps, full=full, **kw)


def asset_of(psa, integration, device_id):
    with psa.psa.tenant_session(psa.tenant) as s:
        return find_by_device(s, integration, device_id)


def count_assets(psa):
    with psa.psa.tenant_session(psa.tenant) as s:
        return s.conn.scalar(sa.select(sa.func.count()).select_from(assets))


def test_first_push_creates_typed_assets_and_a_repeat_changes_nothing(psa, fleet):
    integration, clients = fleet
    snaps = [
        snapshot(device(1, 1)),
        snapshot(device(2, 1, node_class="WINDOWS_SERVER")),
        snapshot(device(3, 2, node_class="NMS_SWITCH")),
        snapshot(device(4, 2, node_class="APPLE_IOS")),
        snapshot(device(5, 2, node_class="NMS_PRINTER")),
        snapshot(device(6, 2, node_class="SOMETHING_NEW")),
    ]
    result = push(psa, integration, snaps)
    assert (result.created, result.updated, result.unchanged) == (6, 0, 0)
    types = {i: asset_of(psa, integration, i).asset_type for i in range(1, 7)}
    assert types == {
        1: "workstation",
        2: "server",
        3: "network_device",
        4: "mobile_device",
        5: "printer",
        6: "unknown",
    }
    ws = asset_of(psa, integration, 1)
    assert ws.client_id == clients[1]
    assert ws.agent_status == "online" and ws.last_seen_at is not None
    with psa.psa.tenant_session(psa.tenant) as s:
        url = s.conn.scalar(
            sa.select(assets.c.remote_access_url).where(assets.c.asset_id == ws.asset_id)
        )
    assert url == "https://eu.ninjarmm.com/#/deviceDashboard/1/overview"
    assert ws.extension["pending_os_patches"] == 2
    assert ws.extension["pending_software_patches"] == 1
    assert ws.extension["failed_patches"] == 1
    assert ws.extension["antivirus_status"] == "protected"
    assert ws.extension["antivirus_product"] == "Bitdefender"
    assert ws.extension["ram_gb"] == 16.0
    with psa.psa.tenant_session(psa.tenant) as s:
        mapping = s.conn.execute(
            sa.select(
                teem.c.integration_type,
                teem.c.alga_entity_type,
                teem.c.external_entity_id,
                teem.c.external_realm_id,
            ).where(teem.c.alga_entity_id == str(ws.asset_id))
        ).one()
    assert tuple(mapping) == ("ninjaone", "asset", "1", "1")

    again = push(psa, integration, snaps)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert count_assets(psa) == 6


def test_changed_fields_go_to_history_with_old_new_source_and_user(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(1))])
    changed = snapshot(device(1, os_name="Windows 11 Enterprise"), pending_os=9)
    result = push(psa, integration, [changed], source="unit-test", user_id=psa.admin_id)
    assert result.updated == 1
    with psa.psa.tenant_session(psa.tenant) as s:
        asset = find_by_device(s, integration, 1)
        history = asset_history_for(s, asset.asset_id)
    last = history[-1]
    assert last.change_type == "updated"
    assert last.source == "unit-test"
    assert last.changed_by == psa.admin_id
    assert last.changes == {
        "os_type": {"old": "Windows 11 Pro", "new": "Windows 11 Enterprise"},
        "pending_os_patches": {"old": 2, "new": 9},
    }


def test_heartbeat_only_changes_are_written_but_not_logged(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(1))])
    later = snapshot(device(1, last_contact=1_759_200_000.0, offline=True))
    result = push(psa, integration, [later])
    assert result.unchanged == 1 and result.updated == 0 and result.heartbeats == 1
    with psa.psa.tenant_session(psa.tenant) as s:
        asset = find_by_device(s, integration, 1)
        assert asset.agent_status == "offline"
        assert asset.last_seen_at.timestamp() == 1_759_200_000.0
        assert [h.change_type for h in asset_history_for(s, asset.asset_id)] == ["created"]


def test_a_reimaged_device_reuses_its_asset_with_lineage(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(10, serial="5CG1234XYZ"))])
    original = asset_of(psa, integration, 10)
    # Re-imaged: NinjaOne drops the old device and enrols a new id with the same hardware.
    reimaged = snapshot(device(11, serial="5CG1234XYZ", name="PC-REBUILT", macs=[]))
    result = push(psa, integration, [reimaged])
    assert (result.created, result.relinked) == (0, 1)
    assert count_assets(psa) == 1
    now = asset_of(psa, integration, 11)
    assert now.asset_id == original.asset_id
    assert now.name == "PC-REBUILT"
    with psa.psa.tenant_session(psa.tenant) as s:
        lineage = lineage_for(s, now.asset_id)
        assert [(x.previous_device_id, x.new_device_id, x.matched_by) for x in lineage] == [
            ("10", "11", "serial")
        ]
        ext_id = s.conn.scalar(
            sa.select(teem.c.external_entity_id).where(teem.c.alga_entity_id == str(now.asset_id))
        )
        assert ext_id == "11"
        assert asset_history_for(s, now.asset_id)[-1].changes["rmm_device_id"] == {
            "old": "10",
            "new": "11",
        }


def test_a_reimaged_device_matches_a_retired_asset_by_stable_mac(psa, fleet):
    integration, _ = fleet
    mac = "3C:52:82:11:22:33"
    push(psa, integration, [snapshot(device(20, serial="Default string", macs=[mac]))])
    push(psa, integration, [snapshot(device(20), deleted=True)], full=False)
    original = asset_of(psa, integration, 20)
    assert original.status == "inactive"
    result = push(psa, integration, [snapshot(device(21, serial="", macs=[mac.lower()]))])
    assert result.relinked == 1 and result.created == 0
    assert asset_of(psa, integration, 21).asset_id == original.asset_id
    assert asset_of(psa, integration, 21).status == "active"


@pytest.mark.parametrize(
    "serial",
    [
        "To be filled by O.E.M.",
        "Default string",
        "System Serial Number",
        "None",
        "Chassis Serial Number",
        "0000000000",
        "",
    ],
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
    assert count_assets(psa) == 3


def test_identity_matching_stays_within_the_client(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(40, 1, serial="SAME-SERIAL-1"))])
    result = push(psa, integration, [snapshot(device(41, 2, serial="SAME-SERIAL-1"))])
    assert result.created == 1 and result.relinked == 0


def test_a_hand_entered_asset_is_adopted_by_serial(psa, fleet):
    integration, clients = fleet
    import uuid

    from ninja_desk.psa.clock import utcnow

    asset_id = uuid.uuid4()
    with psa.psa.tenant_session(psa.tenant) as s:
        s.conn.execute(
            assets.insert().values(
                tenant=psa.tenant,
                asset_id=asset_id,
                asset_type="workstation",
                client_id=clients[1],
                name="Reception PC",
                serial_number="ABC-778899",
                manufacturer="Dell Inc.",
                asset_tag="TAG-7",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    result = push(psa, integration, [snapshot(device(50, serial="ABC-778899"))])
    assert result.relinked == 1 and result.created == 0
    adopted = asset_of(psa, integration, 50)
    assert adopted.asset_id == asset_id and adopted.asset_tag == "TAG-7"
    assert adopted.extension["os_type"] == "Windows 11 Pro"


def test_deleted_device_is_retired_never_deleted_and_revived_on_return(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(60)), snapshot(device(61))])
    result = push(psa, integration, [snapshot(device(60), deleted=True)], full=False)
    assert result.retired == 1
    retired = asset_of(psa, integration, 60)
    assert (retired.status, retired.rmm_sync_status) == ("inactive", "deleted")
    assert retired.retired_at is not None
    # Absent from a full push counts as deleted too.
    result = push(psa, integration, [])
    assert result.retired == 1
    assert asset_of(psa, integration, 61).status == "inactive"
    assert count_assets(psa) == 2
    result = push(psa, integration, [snapshot(device(60)), snapshot(device(61))])
    assert result.revived == 2
    back = asset_of(psa, integration, 60)
    assert (back.status, back.retired_at, back.asset_id) == ("active", None, retired.asset_id)
    with psa.psa.tenant_session(psa.tenant) as s:
        kinds = [h.change_type for h in asset_history_for(s, back.asset_id)]
    assert kinds == ["created", "retired", "revived"]


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
    assert moved.client_id == clients[2]
    with psa.psa.tenant_session(psa.tenant) as s:
        realm = s.conn.scalar(
            sa.select(teem.c.external_realm_id).where(teem.c.alga_entity_id == str(moved.asset_id))
        )
        last = asset_history_for(s, moved.asset_id)[-1]
    assert realm == "2"
    assert last.change_type == "moved"
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
    assert asset_of(psa, integration, 90).extension["os_type"] == "Windows 11 Pro"


def test_a_locked_field_survives_a_sync(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(100, name="PC-RAW"))])
    asset = asset_of(psa, integration, 100)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        update_asset(s, asset.asset_id, name="Reception desk", notes="Front desk", asset_tag="A1")
    result = push(psa, integration, [snapshot(device(100, name="PC-RENAMED", os_name="Win 12"))])
    assert result.updated == 1
    after = asset_of(psa, integration, 100)
    assert (after.name, after.notes, after.asset_tag) == ("Reception desk", "Front desk", "A1")
    assert after.extension["os_type"] == "Win 12"
    assert after.locked_fields == ["name"]
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        edit = asset_history_for(s, asset.asset_id)[1]
        assert (edit.change_type, edit.source, edit.changed_by) == (
            "edited",
            "psa-user",
            psa.admin_id,
        )
        unlock_fields(s, asset.asset_id, ["name"])
    push(psa, integration, [snapshot(device(100, name="PC-RENAMED", os_name="Win 12"))])
    assert asset_of(psa, integration, 100).name == "PC-RENAMED"


def test_software_catalog_first_seen_uninstalled_and_reinstalled(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(110), software=3)])
    asset = asset_of(psa, integration, 110)

    def rows():
        with psa.psa.tenant_session(psa.tenant) as s:
            q = (
                sa.select(
                    software_catalog.c.name,
                    asset_software.c.version,
                    asset_software.c.uninstalled_at,
                )
                .join(
                    software_catalog,
                    sa.and_(
                        software_catalog.c.tenant == asset_software.c.tenant,
                        software_catalog.c.software_id == asset_software.c.software_id,
                    ),
                )
                .where(asset_software.c.asset_id == asset.asset_id)
                .order_by(software_catalog.c.name)
            )
            return [(n, v, u is not None) for n, v, u in s.conn.execute(q)]

    assert rows() == [("App 0", "1.0", False), ("App 1", "1.1", False), ("App 2", "1.2", False)]
    r = push(psa, integration, [snapshot(device(110), software=2)])
    assert r.software_updated == 1
    assert rows() == [("App 0", "1.0", False), ("App 1", "1.1", False), ("App 2", "1.2", True)]
    push(psa, integration, [snapshot(device(110), software=3)])
    assert rows()[-1] == ("App 2", "1.2", False)
    # Same software on a second device shares the catalog entry.
    push(psa, integration, [snapshot(device(110), software=3), snapshot(device(111), software=3)])
    with psa.psa.tenant_session(psa.tenant) as s:
        assert s.conn.scalar(sa.select(sa.func.count()).select_from(software_catalog)) == 3


def test_events_are_published_in_process_and_in_the_outbox(psa, fleet):
    integration, _ = fleet
    seen = []
    psa.psa.bus.subscribe("rmm.*", lambda e: seen.append(e.type))
    push(psa, integration, [snapshot(device(120))])
    push(psa, integration, [snapshot(device(120, os_name="Other"))])
    push(psa, integration, [])
    assert seen.count(DEVICE_CREATED) == 1
    assert seen.count(DEVICE_UPDATED) == 1
    assert seen.count(DEVICE_DELETED) == 1
    assert seen.count(SYNC_COMPLETED) == 3
    assert seen.count("rmm.device.synced") == 0  # no heartbeat-only refresh happened
    assert seen[0] == "rmm.sync.started"
    with psa.psa.tenant_session(psa.tenant) as s:
        outbox_types = [e.event_type for e in pending_events(s)]
    assert sorted(outbox_types) == sorted(seen)


def test_a_failed_push_rolls_back_and_reports_failure(psa, fleet, monkeypatch):
    integration, _ = fleet
    seen = []
    psa.psa.bus.subscribe("*", lambda e: seen.append(e.type))
    import ninja_desk.sync.psa_push as mod

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mod, "sync_software", boom)
    with pytest.raises(RuntimeError):
        push(psa, integration, [snapshot(device(130), software=2)])
    assert count_assets(psa) == 0
    assert "rmm.device.created" not in seen  # rolled back: never announced
    assert seen[-1] == "rmm.sync.failed"


def test_a_device_changing_class_moves_its_extension_row(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(140, node_class="WINDOWS_WORKSTATION"))])
    result = push(psa, integration, [snapshot(device(140, node_class="WINDOWS_SERVER"))])
    assert result.updated == 1
    asset = asset_of(psa, integration, 140)
    assert asset.asset_type == "server"
    assert asset.extension["os_type"] == "Windows 11 Pro"
    with psa.psa.tenant_session(psa.tenant) as s:
        from ninja_desk.psa.schema import workstation_assets

        assert s.conn.scalar(sa.select(sa.func.count()).select_from(workstation_assets)) == 0


def test_duplicate_snapshots_of_one_device_in_a_batch_create_one_asset(psa, fleet):
    integration, _ = fleet
    snap = snapshot(device(150))
    result = push(psa, integration, [snap, replace(snap, pending_os_patches=5)])
    assert result.created == 1
    assert asset_of(psa, integration, 150).extension["pending_os_patches"] == 5


def test_get_asset_in_another_tenant_is_not_found(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(160))])
    asset = asset_of(psa, integration, 160)
    other = psa.new_tenant("Other")
    from ninja_desk.psa.errors import NotFound

    with psa.psa.tenant_session(other.tenant, other.admin_user_id) as s, pytest.raises(NotFound):
        get_asset(s, asset.asset_id)


def test_an_incremental_push_never_takes_a_live_devices_asset(psa, fleet):
    """Two live machines with the same (real) serial, e.g. a cloned VM: the new one gets its
    own asset when the batch does not say the first one is gone."""
    integration, _ = fleet
    push(psa, integration, [snapshot(device(170, serial="CLONED-SERIAL-1"))])
    result = push(psa, integration, [snapshot(device(171, serial="CLONED-SERIAL-1"))], full=False)
    assert (result.created, result.relinked) == (1, 0)
    assert asset_of(psa, integration, 170).asset_id != asset_of(psa, integration, 171).asset_id


def test_a_status_a_person_set_is_neither_revived_nor_retired_by_the_push(psa, fleet):
    integration, _ = fleet
    push(psa, integration, [snapshot(device(180))])
    asset = asset_of(psa, integration, 180)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        update_asset(s, asset.asset_id, status="in_repair")
    assert push(psa, integration, [snapshot(device(180), pending_os=7)]).updated == 1
    assert asset_of(psa, integration, 180).status == "in_repair"
    assert push(psa, integration, []).retired == 1
    gone = asset_of(psa, integration, 180)
    assert (gone.status, gone.rmm_sync_status) == ("in_repair", "deleted")
    assert push(psa, integration, [snapshot(device(180))]).revived == 1
    back = asset_of(psa, integration, 180)
    assert (back.status, back.rmm_sync_status, back.retired_at) == ("in_repair", "synced", None)
