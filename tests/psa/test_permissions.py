"""Rights are enforced by the repositories and, on PostgreSQL, by the database itself."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ninja_desk.psa import alert_rules, alerts, audit, integrations, org_mapping, tickets
from ninja_desk.psa.assets import record_remote_connect
from ninja_desk.psa.clients import create_client
from ninja_desk.psa.errors import PermissionDenied
from ninja_desk.psa.permissions import (
    ADMINISTER_RIGHTS,
    CONFIGURE_ALERT_RULES,
    CREATE_TICKETS,
    DEFAULT_ROLES,
    current_user_permissions,
    has_permission,
)
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_user, set_role_permissions
from tests.psa.builders import org
from tests.psa.helpers import raw, setup_integration


@pytest.fixture
def world(psa):
    integration, clients = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        tech = create_user(s, "tech.bob", ["technician"])
        dispatcher = create_user(s, "disp.carol", ["dispatcher"])
        rule = alert_rules.create_rule(
            s,
            integration,
            "Critical to ticket",
            priority_order=1,
            conditions={"severity": ["CRITICAL"]},
            action={"create_ticket": True},
        )
    return integration, clients[1], tech, dispatcher, rule


def test_has_permission_and_current_user_permissions(psa, world):
    _integration, _client, tech, dispatcher, _rule = world
    with psa.psa.tenant_session(psa.tenant, tech) as s:
        perms = current_user_permissions(s)
        assert perms == DEFAULT_ROLES["technician"]
        assert has_permission(s, tech, CREATE_TICKETS)
        assert not has_permission(s, tech, CONFIGURE_ALERT_RULES)
        assert has_permission(s, psa.admin_id, ADMINISTER_RIGHTS)
        assert has_permission(s, dispatcher, "tickets.assign")


def test_repositories_refuse_a_technician_with_a_sentence(psa, world):
    integration, client, tech, dispatcher, rule = world
    with psa.psa.tenant_session(psa.tenant, tech) as s:
        with pytest.raises(PermissionDenied, match=r"^Only an admin can change alert rules\.$"):
            alert_rules.update_rule(s, rule, is_enabled=False)
        with pytest.raises(PermissionDenied, match="organizations map to clients"):
            org_mapping.map_organization(s, integration, org(2, "Other"), client)
        with pytest.raises(PermissionDenied, match="NinjaOne link"):
            integrations.disconnect_integration(s, integration)
        with pytest.raises(PermissionDenied, match="grant or remove rights"):
            create_user(s, "mallory")
        with pytest.raises(PermissionDenied, match="assign tickets"):
            tickets.create_ticket(s, client_id=client, title="x", assigned_to=dispatcher)


def test_acknowledgements_and_tickets_carry_the_acting_user(psa, world):
    integration, client, tech, dispatcher, _rule = world
    with psa.psa.tenant_session(psa.tenant, tech) as s:
        alert_id, created = alerts.record_alert(s, integration, "series-1", severity="CRITICAL")
        assert created
        assert alerts.record_alert(s, integration, "series-1") == (alert_id, False)
        assert alerts.acknowledge_alert(s, alert_id)
        assert not alerts.acknowledge_alert(s, alert_id)  # exactly once
        ticket = tickets.create_ticket(s, client_id=client, title="Disk full")
        comment = tickets.add_comment(s, ticket.ticket_id, "Looking", is_internal=True)
    with psa.psa.tenant_session(psa.tenant, dispatcher) as s:
        assert alerts.resolve_alert(s, alert_id)
        row = alerts.get_alert(s, alert_id)
        assert (row.acknowledged_by, row.resolved_by, row.status) == (tech, dispatcher, "resolved")
        assert tickets.get_ticket(s, ticket.ticket_id).entered_by == tech
        assert tickets.list_comments(s, ticket.ticket_id)[0].author_id == tech
        assert comment.is_internal


def test_audit_log_shows_each_configuration_change(psa, world):
    integration, _client, tech, _dispatcher, rule = world
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        alert_rules.update_rule(s, rule, is_enabled=False, priority_order=5)
        org_mapping.set_auto_sync(s, integration, org(1, "Acme"), False)
        integrations.record_webhook_registration(s, integration, "https://relay.example/hook")
        integrations.disconnect_integration(s, integration)
    with psa.psa.tenant_session(psa.tenant, tech) as s:
        record_remote_connect(s, None, "101", "https://eu.ninjarmm.com/#/deviceDashboard/101")
        entries = audit.read_audit_log(s)
    by_action = {e.action: e for e in entries}
    assert {
        "integration.connected",
        "org_mapping.mapped",
        "alert_rule.created",
        "alert_rule.updated",
        "org_mapping.auto_sync",
        "integration.webhook_registered",
        "integration.disconnected",
        "remote.connect_launched",
    } <= set(by_action)
    updated = by_action["alert_rule.updated"]
    assert updated.actor_user_id == psa.admin_id
    assert updated.changes["is_enabled"] == {"old": True, "new": False}
    assert updated.changes["priority_order"] == {"old": 1, "new": 5}
    assert by_action["remote.connect_launched"].actor_user_id == tech
    assert (
        by_action["integration.webhook_registered"]
        .changes["webhook_url"]["new"]
        .startswith("https://relay")
    )


# --- the database itself (PostgreSQL) -----------------------------------------------------


@pytest.fixture
def logins(pg):
    integration, clients = setup_integration(pg.psa, pg.tenant, pg.admin_id, {1: "Acme"})
    with pg.psa.tenant_session(pg.tenant, pg.admin_id) as s:
        tech = create_user(s, "tech.dan", ["technician"])
        rule = alert_rules.create_rule(
            s, integration, "R1", priority_order=1, conditions={}, action={}
        )
    return {
        "integration": integration,
        "client": clients[1],
        "rule": rule,
        "tech": tech,
        "tech_url": pg.pg.new_login(pg.tenant, tech),
        "admin_url": pg.pg.new_login(pg.tenant, pg.admin_id),
    }


CONFIG_WRITES = [
    ("rule", "UPDATE rmm_alert_rules SET is_enabled = false WHERE rule_id = :rule"),
    ("rule", "DELETE FROM rmm_alert_rules WHERE rule_id = :rule"),
    ("mapping", "UPDATE rmm_organization_mappings SET client_id = NULL"),
    ("mapping", "UPDATE rmm_organization_mappings SET auto_sync_assets = false"),
    ("integration", "UPDATE rmm_integrations SET instance_url = 'https://evil.example'"),
    ("integration", "DELETE FROM rmm_integrations"),
    (
        "rights",
        "INSERT INTO user_roles (tenant, user_id, role_id) SELECT tenant, :tech, role_id "
        "FROM roles WHERE role_name = 'admin'",
    ),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("what", "sql"), CONFIG_WRITES)
def test_the_database_refuses_a_technicians_configuration_writes(pg, logins, what, sql):
    with (
        pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
        raw(logins["tech_url"], pg.tenant) as conn,
    ):
        conn.execute(sa.text(sql), {"rule": logins["rule"], "tech": logins["tech"]})


@pytest.mark.postgres
def test_the_database_lets_an_admin_change_the_same_things(pg, logins):
    with raw(logins["admin_url"], pg.tenant) as conn:
        assert (
            conn.execute(
                sa.text("UPDATE rmm_alert_rules SET is_enabled = false WHERE rule_id = :r"),
                {"r": logins["rule"]},
            ).rowcount
            == 1
        )
        assert (
            conn.execute(
                sa.text("UPDATE rmm_organization_mappings SET auto_sync_assets = false")
            ).rowcount
            == 1
        )
        assert (
            conn.execute(
                sa.text(
                    "UPDATE rmm_integrations SET sync_error = NULL, "
                    "instance_url = 'https://us2.ninjarmm.com'"
                )
            ).rowcount
            == 1
        )


@pytest.mark.postgres
def test_a_technician_may_still_do_technician_work_through_raw_sql(pg, logins):
    """Sync bookkeeping is column-granted: the sync status yes, the URL no."""
    with raw(logins["tech_url"], pg.tenant) as conn:
        assert conn.execute(sa.text("UPDATE rmm_integrations SET sync_status = 'ok'")).rowcount == 1
        assert (
            conn.execute(
                sa.text("UPDATE rmm_organization_mappings SET last_seen_at = now()")
            ).rowcount
            == 1
        )


@pytest.mark.postgres
def test_the_database_stamps_the_acting_user_whatever_the_client_claims(pg, logins):
    tech_db = PsaDatabase(logins["tech_url"])
    try:
        with tech_db.tenant_session(pg.tenant, logins["tech"]) as s:
            alert_id, _ = alerts.record_alert(s, logins["integration"], "series-x")
            ticket = tickets.create_ticket(s, client_id=logins["client"], title="Printer")
        with raw(logins["tech_url"], pg.tenant) as conn:
            # Forge: claim the admin acknowledged it and entered the ticket.
            conn.execute(
                sa.text(
                    "UPDATE rmm_alerts SET status = 'acknowledged', "
                    "acknowledged_at = now(), acknowledged_by = :admin "
                    "WHERE alert_id = :a"
                ),
                {"admin": pg.admin_id, "a": alert_id},
            )
            conn.execute(
                sa.text("UPDATE tickets SET entered_by = :admin WHERE ticket_id = :t"),
                {"admin": pg.admin_id, "t": ticket.ticket_id},
            )
        with pg.psa.tenant_session(pg.tenant, pg.admin_id) as s:
            assert alerts.get_alert(s, alert_id).acknowledged_by == logins["tech"]
            assert tickets.get_ticket(s, ticket.ticket_id).entered_by == logins["tech"]
    finally:
        tech_db.dispose()


@pytest.mark.postgres
def test_a_technician_app_session_is_refused_by_the_database_when_python_is_bypassed(pg, logins):
    """Skip the Python check entirely (as a modified client would): PostgreSQL still says no."""
    from ninja_desk.psa.schema import rmm_alert_rules

    tech_db = PsaDatabase(logins["tech_url"])
    try:
        with (
            pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
            tech_db.tenant_session(pg.tenant, logins["tech"]) as s,
        ):
            s.conn.execute(rmm_alert_rules.update().values(dry_run=True))
    finally:
        tech_db.dispose()


@pytest.mark.postgres
def test_editing_a_role_reaches_the_database_grants(pg, logins):
    sql = "UPDATE rmm_alert_rules SET dry_run = true WHERE rule_id = :r"
    with pg.psa.tenant_session(pg.tenant, pg.admin_id) as s:
        set_role_permissions(s, "technician", DEFAULT_ROLES["technician"] | {CONFIGURE_ALERT_RULES})
    with raw(logins["tech_url"], pg.tenant) as conn:
        assert conn.execute(sa.text(sql), {"r": logins["rule"]}).rowcount == 1
    with pg.psa.tenant_session(pg.tenant, pg.admin_id) as s:
        set_role_permissions(s, "technician", DEFAULT_ROLES["technician"])
    with (
        pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
        raw(logins["tech_url"], pg.tenant) as conn,
    ):
        conn.execute(sa.text(sql), {"r": logins["rule"]})


@pytest.mark.postgres
def test_a_technician_cannot_grant_itself_rights_through_the_function(pg, logins):
    with (
        pytest.raises(sa.exc.ProgrammingError, match="only an admin"),
        raw(logins["tech_url"], pg.tenant) as conn,
    ):
        conn.execute(sa.text("SELECT nd_apply_user_grants(:u)"), {"u": logins["tech"]})


def test_sqlite_has_one_local_administrator(tmp_path):
    from ninja_desk.psa.migrator import migrate
    from ninja_desk.psa.tenants import ensure_local_admin

    url = f"sqlite:///{tmp_path / 'local.sqlite3'}"
    migrate(url)
    db = PsaDatabase(url)
    first = ensure_local_admin(db)
    assert ensure_local_admin(db) == first
    with db.tenant_session(first.tenant, first.admin_user_id) as s:
        assert current_user_permissions(s) == DEFAULT_ROLES["admin"]
        client = create_client(s, "Walk-in")
        assert tickets.create_ticket(s, client_id=client, title="t").entered_by == uuid.UUID(
            str(first.admin_user_id)
        )
    db.dispose()


@pytest.mark.postgres
def test_a_technician_desktop_can_push_devices_through_its_own_login(pg, logins):
    """Desktops push too: the push's writes are within a technician's grants, history is
    stamped with the technician, and assets cannot be hard-deleted."""
    from ninja_desk.psa.assets import asset_history_for, find_by_device
    from ninja_desk.sync.psa_push import push_snapshots
    from tests.psa.builders import device, snapshot

    tech_db = PsaDatabase(logins["tech_url"])
    try:
        result = push_snapshots(
            tech_db,
            pg.tenant,
            logins["integration"],
            [snapshot(device(1), software=2)],
            full=True,
            user_id=logins["tech"],
        )
        assert result.created == 1
        push_snapshots(
            tech_db,
            pg.tenant,
            logins["integration"],
            [snapshot(device(1, os_name="Windows 12"))],
            full=True,
            user_id=logins["tech"],
        )
        with tech_db.tenant_session(pg.tenant, logins["tech"]) as s:
            asset = find_by_device(s, logins["integration"], 1)
            assert {h.changed_by for h in asset_history_for(s, asset.asset_id)} == {logins["tech"]}
        with (
            pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
            raw(logins["tech_url"], pg.tenant) as conn,
        ):
            conn.execute(sa.text("DELETE FROM assets"))
    finally:
        tech_db.dispose()
