"""A filled NinjaDesk 0005 database moves into Alga's layout with `migrate`, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ninja_desk.psa import schema as new
from ninja_desk.psa.database import create_psa_engine
from ninja_desk.psa.database_kind import VERSION_TABLE, DatabaseKind, detect_kind
from ninja_desk.psa.legacy import move_0005
from ninja_desk.psa.legacy.move_0005 import PREFIX
from ninja_desk.psa.migrator import current_revision, head_revision, migrate
from ninja_desk.psa.permissions import (
    ADMINISTER_RIGHTS,
    ALL_PERMISSIONS,
    CONFIGURE_ALERT_RULES,
    REMOTE_CONNECT,
    SYNC_DEVICES,
    VIEW_DEVICES,
    actions_for_rights,
    alga_rights_of,
)
from ninja_desk.psa.tenancy import PsaDatabase
from tests.psa.legacy_0005_fixture import Filled, build_0005, fill_0005, fill_sparse_tenant


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes empty databases of their own (SQLite files, or PostgreSQL databases, dropped after)."""
    made: list[str] = []
    server = request.getfixturevalue("pg_server_url") if request.param == "postgres" else None

    def make() -> str:
        name = f"nd_psa_0005_{uuid.uuid4().hex[:10]}"
        if server is None:
            return f"sqlite:///{tmp_path / name}.sqlite3"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{server}/{name}"

    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT") if server else None
    try:
        yield make
    finally:
        if admin is not None:
            with admin.connect() as conn:
                for name in made:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


@pytest.fixture
def fresh_url(new_database: Callable[[], str]) -> str:
    return new_database()


@pytest.fixture
def filled(fresh_url: str) -> tuple[str, Filled]:
    build_0005(fresh_url)
    return fresh_url, fill_0005(fresh_url)


def _snapshot(url: str) -> dict[str, Any]:
    """Tables, their columns and row counts, the version, and (PostgreSQL) nd_* functions."""
    engine = create_psa_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            tables = {
                t: (_shape(inspector, t), conn.scalar(sa.text(f'SELECT count(*) FROM "{t}"')))
                for t in inspector.get_table_names()
            }
            functions: list[str] = []
            policies: list[str] = []
            if conn.dialect.name == "postgresql":
                functions = list(
                    conn.scalars(
                        sa.text(
                            "SELECT proname FROM pg_proc p JOIN pg_namespace n"
                            " ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
                            " AND proname LIKE 'nd\\_%' ORDER BY 1"
                        )
                    )
                )
                policies = list(
                    conn.scalars(sa.text("SELECT tablename FROM pg_policies ORDER BY 1"))
                )
            return {
                "kind": detect_kind(conn),
                "revision": current_revision(conn),
                "tables": tables,
                "functions": functions,
                "policies": policies,
            }
    finally:
        engine.dispose()


def _shape(inspector: sa.Inspector, table: str) -> dict[str, Any]:
    """What makes a table: columns (name, type, nullability, default), keys, indexes, checks."""
    return {
        "columns": [
            (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
            for c in inspector.get_columns(table)
        ],
        "pk": inspector.get_pk_constraint(table)["constrained_columns"],
        "fks": sorted(
            (fk["name"] or "", tuple(fk["constrained_columns"]), fk["referred_table"])
            for fk in inspector.get_foreign_keys(table)
        ),
        "uniques": sorted(
            (u["name"] or "", tuple(u["column_names"]))
            for u in inspector.get_unique_constraints(table)
        ),
        "indexes": sorted(
            (i["name"] or "", tuple(str(c) for c in i["column_names"]))
            for i in inspector.get_indexes(table)
        ),
        "checks": sorted(
            (c["name"] or "", c["sqltext"]) for c in inspector.get_check_constraints(table)
        ),
    }


def _all(conn: sa.Connection, table: sa.Table, **where: Any) -> list[Any]:
    query = sa.select(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    return list(conn.execute(query))


def test_a_filled_0005_database_moves_into_alga_s_layout(filled: tuple[str, Filled]) -> None:
    url, f = filled
    report = migrate(url)

    assert report.kind is DatabaseKind.NINJADESK_0005
    assert report.revision_after == head_revision()
    moved = report.moved_rows
    assert moved["tenants"] == 1
    assert moved["users"] == 2
    assert moved["clients"] == 2
    assert moved["assets"] == 3
    assert moved["asset_history"] == 6
    assert moved["tickets"] == 2
    assert moved["comments"] == 4
    assert moved["comment_threads"] == 2
    assert moved["asset_associations"] == 2
    assert moved["rmm_organization_mappings"] == 3
    assert moved["rmm_alert_rules"] == 1
    assert moved["rmm_alerts"] == 2
    assert moved["ninjadesk_alert_series"] == 2
    assert moved["ninjadesk_alert_tickets"] == 1
    assert moved["rmm_maintenance_windows"] == 2
    assert moved["statuses"] == 6  # three statuses on each of two boards

    engine = create_psa_engine(url)
    try:
        with engine.connect() as c:
            _check_people_and_reference_data(c, f)
            _check_assets(c, f)
            _check_tickets(c, f)
            _check_alerts(c, f)
    finally:
        engine.dispose()
    _check_rights_through_the_app(url, f)


def _check_people_and_reference_data(c: sa.Connection, f: Filled) -> None:
    (tenant,) = _all(c, new.tenants)
    assert (tenant.tenant, tenant.client_name) == (f.tenant, "Acme MSP")
    assert tenant.email.endswith(".invalid")
    users = {u.user_id: u for u in _all(c, new.users)}
    assert users[f.admin].email == "admin@acme.example"
    assert users[f.tech].email == f"tech@{f.tenant.hex[:8]}.invalid"
    assert {u.hashed_password for u in users.values()} == {"!"}
    assert {u.user_type for u in users.values()} == {"internal"}

    clients = {r.client_id: r for r in _all(c, new.clients)}
    assert clients[f.contoso].client_name == "Contoso"
    assert clients[f.contoso].notes == "VIP"
    assert clients[f.fabrikam].client_name == "Fabrikam"

    boards = {b.board_id: b for b in _all(c, new.boards)}
    assert boards[f.general].board_name == "General" and boards[f.general].is_default
    assert boards[f.monitoring].board_name == "Monitoring" and not boards[f.monitoring].is_default
    for board in (f.general, f.monitoring):
        statuses = sorted(_all(c, new.statuses, board_id=board), key=lambda s: s.order_number)
        assert [(s.name, s.is_closed, s.is_default) for s in statuses] == [
            ("New", False, True),
            ("In Progress", False, False),
            ("Closed", True, False),
        ]
        assert {s.item_type for s in statuses} == {"ticket"}
    # The default board keeps the 0005 status ids.
    assert {s.status_id for s in _all(c, new.statuses, board_id=f.general)} == {
        f.new_status,
        f.open_status,
        f.closed_status,
    }

    priorities = {p.priority_name: p for p in _all(c, new.priorities)}
    assert set(priorities) == {"urgent", "high", "medium", "low"}
    assert {p.created_by for p in priorities.values()} == {f.admin}
    assert priorities["urgent"].priority_id == f.urgent

    (counter,) = _all(c, new.next_number)
    assert (counter.entity_type, counter.prefix, counter.last_number) == ("TICKET", "TIC", 2)

    (integration,) = _all(c, new.rmm_integrations)
    assert integration.integration_id == f.integration
    assert integration.provider == "ninjaone"
    assert integration.sync_status == "completed"
    assert integration.last_sync_at == integration.last_incremental_sync_at
    assert integration.settings["region"] == "eu"
    assert integration.settings["deviceSync"] == {"enabled": True, "intervalMinutes": 15}
    assert integration.settings["webhookUrl"] == "https://relay.example/hook/1"
    assert integration.settings["oauthClientId"] == "client-abc"

    mappings = {m.external_organization_id: m for m in _all(c, new.rmm_organization_mappings)}
    assert mappings["1"].client_id == f.contoso
    assert mappings["2"].client_id == f.fabrikam
    assert mappings["3"].client_id is None
    assert mappings["1"].metadata["updatedBy"] == str(f.admin)
    assert "firstSeenAt" in mappings["3"].metadata

    (audit,) = _all(c, new.audit_logs)
    assert (audit.operation, audit.table_name, audit.user_id) == (
        "integration.webhook_registered",
        "rmm_integration",
        str(f.admin),
    )
    (event,) = _all(c, new.ninjadesk_events_outbox)
    assert event.payload == {"ticket_id": str(f.ticket2)}
    assert event.alga_event is False and event.published_at is None


def _check_assets(c: sa.Connection, f: Filled) -> None:
    assets = {a.asset_id: a for a in _all(c, new.assets)}
    ws, srv, ap = assets[f.workstation], assets[f.server], assets[f.switch]
    assert (ws.asset_type, srv.asset_type, ap.asset_type) == (
        "workstation",
        "server",
        "network_device",
    )
    assert ws.asset_tag == "NINJA-SN-WS1"
    assert srv.asset_tag == "NINJA-SN-SRV1"
    assert ap.asset_tag == "NINJA-103"
    assert ap.status == "inactive"  # NinjaOne had deleted it
    assert ws.status == "active"
    assert {a.rmm_provider for a in assets.values()} == {"ninjaone"}
    assert ws.rmm_device_id == "101" and ws.rmm_organization_id == "1"
    assert ws.attributes["manufacturer"] == "Dell"
    assert ws.attributes["mac_addresses"] == ["00:11:22:33:44:55"]
    assert ws.attributes["custom_attributes"] == {"owner": "Alice"}

    (w,) = _all(c, new.workstation_assets)
    assert (w.os_type, w.ram_gb, w.storage_capacity_gb, w.lan_ip) == (
        "Windows",
        16,
        477,
        "10.0.0.21",
    )
    assert (w.pending_patches, w.pending_os_patches, w.current_user) == (4, 3, "ACME\\alice")
    assert w.system_info["os_architecture"] == "x64"
    (s,) = _all(c, new.server_assets)
    assert (s.is_virtual, s.hypervisor, s.primary_ip, s.ram_gb) == (True, "Hyper-V", "10.0.0.5", 64)
    (n,) = _all(c, new.network_device_assets)
    assert n.device_type == "access_point"

    mappings = {m.alga_entity_id: m for m in _all(c, new.tenant_external_entity_mappings)}
    assert set(mappings) == {str(f.workstation), str(f.server), str(f.switch)}
    assert mappings[str(f.server)].external_entity_id == "102"
    assert {m.integration_type for m in mappings.values()} == {"ninjaone"}
    (sync,) = _all(c, new.ninjadesk_asset_sync, asset_id=f.workstation)
    assert sync.locked_fields == ["name"] and sync.software_fingerprint == "abc123"

    history = _all(c, new.asset_history)
    assert len(history) == 6
    created = [h for h in history if h.change_type == "created"]
    assert {h.changed_by for h in created} == {f.admin}  # NULL became the first admin
    assert {h.changes["source"] for h in created} == {"ninjaone_sync"}
    assert {h.changed_by for h in history if h.change_type == "remote_connect"} == {f.tech}
    (lineage,) = _all(c, new.ninjadesk_asset_device_lineage)
    assert (lineage.previous_device_id, lineage.new_device_id) == ("99", "101")

    catalog = {r.software_id: r for r in _all(c, new.software_catalog)}
    assert catalog[f.chrome].normalized_name == "google chrome"
    assert catalog[f.zip7].normalized_name == "7-zip"
    installed = {(r.asset_id, r.software_id): r for r in _all(c, new.asset_software)}
    assert len(installed) == 3
    chrome = installed[(f.workstation, f.chrome)]
    assert (chrome.install_date, chrome.is_current) == (date(2026, 10, 1), True)
    zip7 = installed[(f.workstation, f.zip7)]
    assert (zip7.install_date, zip7.is_current) == (date(2025, 1, 2), False)
    assert zip7.uninstalled_at is not None
    assert installed[(f.server, f.chrome)].install_date is None


def _check_tickets(c: sa.Connection, f: Filled) -> None:
    tickets = {t.ticket_id: t for t in _all(c, new.tickets)}
    one, two = tickets[f.ticket1], tickets[f.ticket2]
    assert (one.ticket_number, two.ticket_number) == ("TIC000001", "TIC000002")
    assert one.attributes == {"description": "Paper stuck in tray 2"}
    assert (one.board_id, one.status_id, one.is_closed, one.closed_at) == (
        f.general,
        f.open_status,
        False,
        None,
    )
    assert (one.client_id, one.priority_id, one.assigned_to, one.entered_by) == (
        f.contoso,
        f.medium,
        f.tech,
        f.admin,
    )
    assert two.board_id == f.monitoring
    status = _all(c, new.statuses, status_id=two.status_id)[0]
    assert (status.board_id, status.name, status.is_closed) == (f.monitoring, "Closed", True)
    assert two.is_closed and two.closed_at is not None
    assert (two.source, two.ticket_origin) == ("ninjaone", "internal")

    comments = {r.comment_id: r for r in _all(c, new.comments)}
    assert {k: v.note for k, v in comments.items()} == f.comments
    threads = {t.ticket_id: t for t in _all(c, new.comment_threads)}
    assert set(threads) == {f.ticket1, f.ticket2}
    first = threads[f.ticket1]
    assert first.reply_count == 2
    root = comments[first.root_comment_id]
    assert root.note == "Took a look, ordering a roller." and root.parent_comment_id is None
    replies = [x for x in comments.values() if x.ticket_id == f.ticket1 and x is not root]
    assert {x.parent_comment_id for x in replies} == {root.comment_id}
    assert {x.thread_id for x in comments.values() if x.ticket_id == f.ticket1} == {first.thread_id}
    assert {x.author_type for x in comments.values()} == {"internal"}
    assert next(x for x in comments.values() if x.note == "Roller replaced.").is_internal

    links = {(r.asset_id, r.entity_id): r for r in _all(c, new.asset_associations)}
    assert set(links) == {(f.workstation, f.ticket1), (f.server, f.ticket2)}
    assert {r.entity_type for r in links.values()} == {"ticket"}
    assert links[(f.server, f.ticket2)].relationship_type == "related"
    assert links[(f.server, f.ticket2)].created_by == f.admin  # NULL became the first admin


def _check_alerts(c: sa.Connection, f: Filled) -> None:
    (rule,) = _all(c, new.rmm_alert_rules)
    assert (rule.rule_id, rule.name, rule.is_active, rule.priority_order) == (
        f.rule,
        "Critical disk on servers",
        True,
        10,
    )
    assert rule.conditions == {
        "severities": ["critical", "major"],
        "activityTypes": ["CONDITION"],
        "organizationIds": ["1"],
        "keywords": ["disk"],
    }
    assert rule.actions == {
        "createTicket": True,
        "boardId": str(f.monitoring),
        "priorityOverride": str(f.urgent),
        "assignToUserId": str(f.tech),
        "ticketTemplate": {"titleTemplate": "[NinjaOne Alert] {condition} on {device}"},
        "autoResolveTicket": True,
        "resetAlertOnTicketClose": True,
    }
    (options,) = _all(c, new.ninjadesk_alert_rule_options)
    assert options.options == {
        "group_storms": False,
        "storm_window_minutes": 30,
        "dry_run": False,
        "node_classes": ["WINDOWS_SERVER"],
    }

    alerts = {a.alert_id: a for a in _all(c, new.rmm_alerts)}
    one, two = alerts[f.alert1], alerts[f.alert2]
    assert (one.external_alert_id, one.severity, one.status) == (
        "series-uid-1",
        "critical",
        "acknowledged",
    )
    assert (one.ticket_id, one.matched_rule_id, one.auto_ticket_created) == (
        f.ticket2,
        f.rule,
        True,
    )
    assert (one.dedup_key, one.occurrence_count, one.source_type, one.device_name) == (
        "102|DISK_FREE",
        3,
        "CONDITION_DISK_FREE",
        "SRV-001",
    )
    assert (two.external_alert_id, two.severity, two.status, two.ticket_id) == (
        "series-uid-2",
        "minor",
        "resolved",
        None,
    )
    series = {s.alert_id: s for s in _all(c, new.ninjadesk_alert_series)}
    assert series[f.alert1].last_activity_id == 9001
    assert series[f.alert1].rule_decision == "ticket"
    assert series[f.alert2].rule_decision == "no_rule"
    (pipeline,) = _all(c, new.ninjadesk_alert_tickets)
    assert pipeline.ticket_id == f.ticket2
    created = _all(c, new.statuses, status_id=pipeline.created_status_id)[0]
    assert (created.name, created.board_id) == ("New", f.monitoring)

    windows = {w.name: w for w in _all(c, new.rmm_maintenance_windows)}
    weekly = windows["Patch night"]
    assert weekly.window_id == f.weekly_window
    assert weekly.client_id == f.contoso and weekly.asset_id is None
    assert weekly.recurrence == {
        "type": "weekly",
        "days": [0, 1, 5],  # Mon, Fri, Sun counted from Sunday
        "startTime": "23:00",
        "endTime": "02:00",
        "timezone": "Europe/Berlin",
    }
    assert weekly.starts_at is None and weekly.is_active
    once = windows["Server move"]
    assert once.asset_id == f.server and once.recurrence is None
    assert once.ends_at - once.starts_at == timedelta(hours=4)
    assert once.is_active is False


def _check_rights_through_the_app(url: str, f: Filled) -> None:
    db = PsaDatabase(url)
    try:
        with db.tenant_session(f.tenant) as s:
            assert actions_for_rights(alga_rights_of(s, f.admin)) == ALL_PERMISSIONS
            tech = actions_for_rights(alga_rights_of(s, f.tech))
            assert {VIEW_DEVICES, REMOTE_CONNECT} <= tech
            assert not {ADMINISTER_RIGHTS, CONFIGURE_ALERT_RULES, SYNC_DEVICES} & tech
    finally:
        db.dispose()


def test_after_the_move_the_database_is_a_current_ninjadesk_one(
    filled: tuple[str, Filled], new_database: Callable[[], str]
) -> None:
    url, _ = filled
    migrate(url)
    after = _snapshot(url)
    assert after["kind"] is DatabaseKind.NINJADESK
    assert after["revision"] == head_revision()
    assert not [t for t in after["tables"] if t.startswith(PREFIX) or t == "alembic_version"]
    assert after["functions"] == [] and after["policies"] == []

    # The same tables, columns, keys, indexes and checks as a freshly migrated database.
    fresh = new_database()
    migrate(fresh)
    assert {t: shape for t, (shape, _) in after["tables"].items()} == {
        t: shape for t, (shape, _) in _snapshot(fresh)["tables"].items()
    }
    engine = create_psa_engine(url)
    try:
        with engine.connect() as conn:
            # Foreign keys PostgreSQL-only DDL adds (ON DELETE SET NULL (col)) are not declared.
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            diff = compare_metadata(context, new.metadata)
            assert [d for d in diff if d[0] != "remove_fk"] == []
    finally:
        engine.dispose()

    # Migrating again changes nothing.
    report = migrate(url)
    assert report.kind is DatabaseKind.NINJADESK
    assert report.created_tables == [] and report.moved_rows == {}
    assert _snapshot(url) == after


def test_a_failure_while_moving_leaves_the_0005_database_as_it_was(
    filled: tuple[str, Filled], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = filled
    before = _snapshot(url)

    def broken(self: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(move_0005._Mover, "_audit", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        migrate(url)
    assert _snapshot(url) == before


def test_a_dry_run_on_a_0005_database_changes_nothing(filled: tuple[str, Filled]) -> None:
    url, _ = filled
    before = _snapshot(url)
    assert before["kind"] is DatabaseKind.NINJADESK_0005
    report = migrate(url, dry_run=True)
    assert report.dry_run and report.revision_after == head_revision()
    assert "tickets" in report.created_tables
    assert _snapshot(url) == before


def test_an_older_ninjadesk_database_is_brought_to_0005_first(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From 0003, with a second sparse tenant, read two rows a page (keyset paging)."""
    build_0005(fresh_url, "0003_alert_pipeline")
    f = fill_0005(fresh_url)
    sparse = fill_sparse_tenant(fresh_url)
    monkeypatch.setattr(move_0005, "_BATCH", 2)
    report = migrate(fresh_url)
    assert report.moved_rows["tickets"] == 2
    assert report.moved_rows["tenants"] == 2
    assert report.moved_rows["asset_history"] == 6
    assert report.moved_rows["comments"] == 4
    after = _snapshot(fresh_url)
    assert after["kind"] is DatabaseKind.NINJADESK
    assert after["revision"] == head_revision()
    engine = create_psa_engine(fresh_url)
    try:
        with engine.connect() as c:
            assert {t.ticket_number for t in _all(c, new.tickets)} == {"TIC000001", "TIC000002"}
            assert len(_all(c, new.comments, ticket_id=f.ticket1)) == 3
            names = {r.client_id: r.client_name for r in _all(c, new.clients, tenant=sparse.tenant)}
            assert names == {sparse.first: "Same Name", sparse.second: "Same Name (2)"}
            (stand_in,) = _all(c, new.users, tenant=sparse.tenant)
            assert stand_in.is_inactive and stand_in.hashed_password == "!"
            (priority,) = _all(c, new.priorities, tenant=sparse.tenant)
            assert priority.created_by == stand_in.user_id
            assert len(_all(c, new.permissions, tenant=sparse.tenant)) == len(
                _all(c, new.permissions, tenant=f.tenant)
            )
    finally:
        engine.dispose()


def test_a_moved_rule_opens_matches_and_saves_in_ninjadesk(filled: tuple[str, Filled]) -> None:
    """The rule the move wrote is one the rules module accepts as it is: no key it refuses."""
    from ninja_desk.psa.alert_rules import get_rule, to_core, update_rule

    url, f = filled
    migrate(url)
    db = PsaDatabase(url)
    try:
        with db.tenant_session(f.tenant) as s:
            rule = get_rule(s, f.rule)
            core_rule = to_core(rule)
            assert core_rule.conditions["node_classes"] == ["WINDOWS_SERVER"]
            update_rule(s, f.rule, name="Critical disk on servers (moved)")
            update_rule(s, f.rule, options=dict(rule.options))
        with db.tenant_session(f.tenant) as s:
            assert get_rule(s, f.rule).options == rule.options
    finally:
        db.dispose()
