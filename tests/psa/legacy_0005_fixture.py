"""A filled NinjaDesk 0005 PSA database, built with the frozen legacy chain and raw Core inserts
into its tables as reflected from the database (move_0005.reflect_0005, what the move reads with).

One tenant with two users (an admin and a technician, each with a role of 0005 rights strings),
two companies, a NinjaOne integration with org mappings, three assets (workstation, server,
network device) with history, software and lineage, two tickets with comments and asset links,
a rule, two alerts (one with its pipeline ticket), two maintenance windows, an outbox event and
an audit entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from ninja_desk.psa.database import create_psa_engine
from ninja_desk.psa.legacy.move_0005 import LEGACY_HEAD, LEGACY_MIGRATIONS_DIR, reflect_0005

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

ADMIN_RIGHTS = (
    "devices.view",
    "alerts.view",
    "tickets.view",
    "tickets.create",
    "alerts.act",
    "tickets.assign",
    "devices.sync",
    "remote.connect",
    "integration.configure",
    "org_mapping.configure",
    "alert_rules.configure",
    "maintenance.configure",
    "relay.configure",
    "rights.administer",
)
TECH_RIGHTS = ("devices.view", "alerts.view", "tickets.view", "tickets.create", "remote.connect")


def _id() -> uuid.UUID:
    return uuid.uuid4()


@dataclass
class Filled:
    """The ids and values a test checks after the move."""

    tenant: uuid.UUID = field(default_factory=_id)
    admin: uuid.UUID = field(default_factory=_id)
    tech: uuid.UUID = field(default_factory=_id)
    admin_role: uuid.UUID = field(default_factory=_id)
    tech_role: uuid.UUID = field(default_factory=_id)
    contoso: uuid.UUID = field(default_factory=_id)
    fabrikam: uuid.UUID = field(default_factory=_id)
    general: uuid.UUID = field(default_factory=_id)
    monitoring: uuid.UUID = field(default_factory=_id)
    new_status: uuid.UUID = field(default_factory=_id)
    open_status: uuid.UUID = field(default_factory=_id)
    closed_status: uuid.UUID = field(default_factory=_id)
    urgent: uuid.UUID = field(default_factory=_id)
    medium: uuid.UUID = field(default_factory=_id)
    integration: uuid.UUID = field(default_factory=_id)
    workstation: uuid.UUID = field(default_factory=_id)
    server: uuid.UUID = field(default_factory=_id)
    switch: uuid.UUID = field(default_factory=_id)
    chrome: uuid.UUID = field(default_factory=_id)
    zip7: uuid.UUID = field(default_factory=_id)
    ticket1: uuid.UUID = field(default_factory=_id)
    ticket2: uuid.UUID = field(default_factory=_id)
    comments: dict[uuid.UUID, str] = field(default_factory=dict)
    rule: uuid.UUID = field(default_factory=_id)
    alert1: uuid.UUID = field(default_factory=_id)
    alert2: uuid.UUID = field(default_factory=_id)
    weekly_window: uuid.UUID = field(default_factory=_id)
    once_window: uuid.UUID = field(default_factory=_id)


def _many(c: sa.Connection, table: sa.Table, rows: list[dict[str, object]]) -> None:
    """Row by row: the rows leave out different columns (their defaults apply)."""
    for row in rows:
        c.execute(table.insert().values(**row))


def _tables(c: sa.Connection) -> Any:
    """The database's 0005 tables as attributes (`s.tenants`), typed as the move reads them."""
    return SimpleNamespace(**reflect_0005(c))


def build_0005(url: str, revision: str = LEGACY_HEAD) -> None:
    """An empty database brought to `revision` of the legacy chain (0005 by default)."""
    engine = create_psa_engine(url)
    try:
        with engine.connect() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(LEGACY_MIGRATIONS_DIR))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
    finally:
        engine.dispose()


def fill_0005(url: str) -> Filled:
    f = Filled()
    engine = create_psa_engine(url)
    try:
        with engine.begin() as conn:
            _fill(conn, f)
    finally:
        engine.dispose()
    return f


def _fill(c: sa.Connection, f: Filled) -> None:
    s = _tables(c)
    t = f.tenant
    at = T0
    c.execute(s.tenants.insert().values(tenant=t, name="Acme MSP", created_at=at))
    _many(
        c,
        s.users,
        [
            dict(
                tenant=t,
                user_id=f.admin,
                username="admin",
                email="admin@acme.example",
                first_name="Ada",
                last_name="Admin",
                is_inactive=False,
                created_at=at,
            ),
            dict(
                tenant=t,
                user_id=f.tech,
                username="tech",
                email=None,
                first_name="Tim",
                last_name="Tech",
                is_inactive=False,
                created_at=at + timedelta(minutes=1),
            ),
        ],
    )
    _many(
        c,
        s.roles,
        [
            dict(tenant=t, role_id=f.admin_role, role_name="admin", description="All rights"),
            dict(tenant=t, role_id=f.tech_role, role_name="technician", description=None),
        ],
    )
    _many(
        c,
        s.role_permissions,
        [dict(tenant=t, role_id=f.admin_role, permission=p) for p in ADMIN_RIGHTS]
        + [dict(tenant=t, role_id=f.tech_role, permission=p) for p in TECH_RIGHTS],
    )
    _many(
        c,
        s.user_roles,
        [
            dict(tenant=t, user_id=f.admin, role_id=f.admin_role),
            dict(tenant=t, user_id=f.tech, role_id=f.tech_role),
        ],
    )
    _many(
        c,
        s.priorities,
        [
            dict(tenant=t, priority_id=f.urgent, priority_name="urgent", order_number=1),
            dict(tenant=t, priority_id=_id(), priority_name="high", order_number=2),
            dict(tenant=t, priority_id=f.medium, priority_name="medium", order_number=3),
            dict(tenant=t, priority_id=_id(), priority_name="low", order_number=4),
        ],
    )
    _many(
        c,
        s.statuses,
        [
            dict(tenant=t, status_id=f.new_status, name="New", is_default=True, order_number=1),
            dict(tenant=t, status_id=f.open_status, name="In Progress", order_number=2),
            dict(
                tenant=t, status_id=f.closed_status, name="Closed", is_closed=True, order_number=3
            ),
        ],
    )
    _many(
        c,
        s.channels,
        [
            dict(tenant=t, channel_id=f.general, channel_name="General", is_default=True),
            dict(tenant=t, channel_id=f.monitoring, channel_name="Monitoring", is_default=False),
        ],
    )
    c.execute(s.ticket_number_sequences.insert().values(tenant=t, prefix="TIC", last_number=2))
    _many(
        c,
        s.companies,
        [
            dict(
                tenant=t,
                company_id=f.contoso,
                company_name="Contoso",
                notes="VIP",
                created_at=at,
                updated_at=at,
            ),
            dict(
                tenant=t,
                company_id=f.fabrikam,
                company_name="Fabrikam",
                created_at=at,
                updated_at=at,
            ),
        ],
    )
    c.execute(
        s.rmm_integrations.insert().values(
            tenant=t,
            integration_id=f.integration,
            provider="ninjaone",
            instance_url="https://eu.ninjarmm.com",
            oauth_client_id="client-abc",
            is_active=True,
            connected_by=f.admin,
            connected_at=at,
            last_full_sync_at=at + timedelta(hours=1),
            last_incremental_sync_at=at + timedelta(hours=2),
            sync_status="ok",
            webhook_url="https://relay.example/hook/1",
            webhook_registered_at=at,
            settings={"region": "eu", "deviceSync": {"enabled": True, "intervalMinutes": 15}},
            created_at=at,
            updated_at=at,
        )
    )
    _many(
        c,
        s.rmm_organization_mappings,
        [
            dict(
                tenant=t,
                mapping_id=_id(),
                integration_id=f.integration,
                external_organization_id=str(org),
                external_organization_name=name,
                client_id=client,
                first_seen_at=at,
                last_seen_at=at + timedelta(hours=2),
                updated_by=f.admin if client else None,
                updated_at=at,
            )
            for org, name, client in (
                (1, "Contoso Ltd", f.contoso),
                (2, "Fabrikam Inc", f.fabrikam),
                (3, "Unmapped Org", None),
            )
        ],
    )
    _fill_assets(c, s, f, at)
    _fill_tickets(c, s, f, at)
    _fill_alerts(c, s, f, at)
    c.execute(
        s.events_outbox.insert().values(
            tenant=t,
            event_id=_id(),
            event_type="rmm.alert.ticket_created",
            payload={"ticket_id": str(f.ticket2)},
            actor_user_id=None,
            occurred_at=at,
        )
    )
    c.execute(
        s.audit_log.insert().values(
            tenant=t,
            audit_id=_id(),
            occurred_at=at,
            actor_user_id=f.admin,
            action="integration.webhook_registered",
            entity_type="rmm_integration",
            entity_id=str(f.integration),
            changes={"webhook_url": {"old": None, "new": "https://relay.example/hook/1"}},
        )
    )
    c.execute(
        s.sync_leases.insert().values(
            tenant=t,
            integration_id=f.integration,
            holder="desk-1",
            acquired_at=at,
            expires_at=at + timedelta(minutes=5),
        )
    )


def _fill_assets(c: sa.Connection, s: Any, f: Filled, at: datetime) -> None:
    t = f.tenant
    common = dict(tenant=t, rmm_integration_id=f.integration, created_at=at, updated_at=at)
    _many(
        c,
        s.assets,
        [
            dict(
                common,
                asset_id=f.workstation,
                asset_type="workstation",
                client_id=f.contoso,
                asset_tag="NINJA-SN-WS1",
                name="WS-001",
                serial_number="SN-WS1",
                manufacturer="Dell",
                model="Latitude 7440",
                mac_addresses=["00:11:22:33:44:55"],
                custom_attributes={"owner": "Alice"},
                locked_fields=["name"],
                rmm_device_id="101",
                rmm_organization_id="1",
                agent_status="online",
                last_seen_at=at,
                rmm_last_synced_at=at,
                software_fingerprint="abc123",
            ),
            dict(
                common,
                asset_id=f.server,
                asset_type="server",
                client_id=f.contoso,
                asset_tag=None,
                name="SRV-001",
                serial_number="SN-SRV1",
                rmm_device_id="102",
                rmm_organization_id="1",
                agent_status="offline",
            ),
            dict(
                common,
                asset_id=f.switch,
                asset_type="network_device",
                client_id=f.fabrikam,
                asset_tag=None,
                name="AP-Lobby",
                serial_number=None,
                rmm_device_id="103",
                rmm_organization_id="2",
                rmm_sync_status="deleted",
            ),
        ],
    )
    c.execute(
        s.workstation_assets.insert().values(
            tenant=t,
            asset_id=f.workstation,
            os_type="Windows",
            os_version="11 23H2",
            os_architecture="x64",
            cpu_model="i7-1365U",
            cpu_cores=10,
            ram_gb=15.6,
            storage_capacity_gb=476.9,
            domain="ACME",
            primary_ip="10.0.0.21",
            ip_addresses=["10.0.0.21"],
            is_virtual=False,
            last_login="ACME\\alice",
            antivirus_status="protected",
            pending_os_patches=3,
            pending_software_patches=1,
            failed_patches=0,
        )
    )
    c.execute(
        s.server_assets.insert().values(
            tenant=t,
            asset_id=f.server,
            os_type="Windows",
            os_version="Server 2022",
            ram_gb=63.8,
            storage_capacity_gb=1000.0,
            primary_ip="10.0.0.5",
            is_virtual=True,
            hypervisor="Hyper-V",
        )
    )
    c.execute(
        s.network_device_assets.insert().values(
            tenant=t,
            asset_id=f.switch,
            device_type="WAP",
            management_ip="10.0.0.2",
            firmware_version="1.2.3",
        )
    )
    history = []
    for asset in (f.workstation, f.server, f.switch):
        history.append(
            dict(
                tenant=t,
                history_id=_id(),
                asset_id=asset,
                changed_by=None,
                change_type="created",
                changes={"name": {"old": None, "new": "x"}},
                source="ninjaone_sync",
                changed_at=at,
            )
        )
        history.append(
            dict(
                tenant=t,
                history_id=_id(),
                asset_id=asset,
                changed_by=f.tech,
                change_type="remote_connect",
                changes={"ticket": {"old": None, "new": "TIC000001"}},
                source="remote_connect",
                changed_at=at + timedelta(hours=1),
            )
        )
    _many(c, s.asset_history, history)
    c.execute(
        s.asset_device_lineage.insert().values(
            tenant=t,
            lineage_id=_id(),
            asset_id=f.workstation,
            integration_id=f.integration,
            previous_device_id="99",
            new_device_id="101",
            matched_by="serial",
            recorded_at=at,
        )
    )
    _many(
        c,
        s.software_catalog,
        [
            dict(
                tenant=t,
                software_id=f.chrome,
                name="Google Chrome",
                publisher="Google LLC",
                catalog_key="google chrome|google llc",
                created_at=at,
            ),
            dict(
                tenant=t,
                software_id=f.zip7,
                name=" 7-Zip ",
                publisher=None,
                catalog_key=" 7-zip |",
                created_at=at,
            ),
        ],
    )
    _many(
        c,
        s.asset_software,
        [
            dict(
                tenant=t,
                asset_id=f.workstation,
                software_id=f.chrome,
                version="120.0",
                install_date="2026-10-01",
                first_seen_at=at,
                last_seen_at=at,
            ),
            dict(
                tenant=t,
                asset_id=f.workstation,
                software_id=f.zip7,
                version="23.01",
                install_date="20250102",
                first_seen_at=at,
                last_seen_at=at,
                uninstalled_at=at + timedelta(days=1),
            ),
            dict(
                tenant=t,
                asset_id=f.server,
                software_id=f.chrome,
                version=None,
                install_date="not a date",
                first_seen_at=at,
                last_seen_at=at,
            ),
        ],
    )
    c.execute(
        s.tenant_external_entity_mappings.insert().values(
            tenant=t,
            id=_id(),
            integration_type="ninjaone",
            alga_entity_type="asset",
            alga_entity_id=str(f.workstation),
            external_entity_id="101",
            external_realm_id="1",
            sync_status="synced",
            last_synced_at=at,
            metadata={},
        )
    )


def _fill_tickets(c: sa.Connection, s: Any, f: Filled, at: datetime) -> None:
    t = f.tenant
    _many(
        c,
        s.tickets,
        [
            dict(
                tenant=t,
                ticket_id=f.ticket1,
                ticket_number="TIC000001",
                title="Printer jam on 3rd floor",
                description="Paper stuck in tray 2",
                client_id=f.contoso,
                status_id=f.open_status,
                priority_id=f.medium,
                channel_id=f.general,
                assigned_to=f.tech,
                entered_by=f.admin,
                source="manual",
                entered_at=at,
                updated_at=at,
            ),
            dict(
                tenant=t,
                ticket_id=f.ticket2,
                ticket_number="TIC000002",
                title="[NinjaOne Alert] Disk full on SRV-001",
                description=None,
                client_id=f.contoso,
                status_id=f.closed_status,
                priority_id=f.urgent,
                channel_id=f.monitoring,
                assigned_to=None,
                entered_by=f.admin,
                updated_by=f.tech,
                source="ninjaone_alert",
                entered_at=at,
                updated_at=at + timedelta(hours=3),
                closed_at=at + timedelta(hours=3),
            ),
        ],
    )
    comments = [
        (f.ticket1, f.admin, "Took a look, ordering a roller.", False, 0),
        (f.ticket1, f.tech, "Roller replaced.", True, 2),
        (f.ticket1, f.tech, "Customer confirmed.", False, 3),
        (f.ticket2, f.tech, "Freed 20 GB, closing.", True, 1),
    ]
    rows = []
    for ticket, author, body, internal, hours in comments:
        comment_id = _id()
        f.comments[comment_id] = body
        rows.append(
            dict(
                tenant=t,
                comment_id=comment_id,
                ticket_id=ticket,
                author_id=author,
                body=body,
                is_internal=internal,
                created_at=at + timedelta(hours=hours),
            )
        )
    _many(c, s.ticket_comments, rows)
    _many(
        c,
        s.asset_ticket_associations,
        [
            dict(
                tenant=t,
                asset_id=f.workstation,
                ticket_id=f.ticket1,
                relationship_type="affected",
                created_by=f.admin,
                created_at=at,
            ),
            dict(
                tenant=t,
                asset_id=f.server,
                ticket_id=f.ticket2,
                relationship_type="related",
                created_by=None,
                created_at=at,
            ),
        ],
    )


def _fill_alerts(c: sa.Connection, s: Any, f: Filled, at: datetime) -> None:
    t = f.tenant
    c.execute(
        s.rmm_alert_rules.insert().values(
            tenant=t,
            rule_id=f.rule,
            integration_id=f.integration,
            name="Critical disk on servers",
            priority_order=10,
            is_enabled=True,
            dry_run=False,
            conditions={
                "severities": ["CRITICAL", "MAJOR"],
                "activity_types": ["CONDITION"],
                "organization_ids": [1],
                "node_classes": ["WINDOWS_SERVER"],
                "message_contains": "disk",
            },
            action={
                "type": "create_ticket",
                "priority": "urgent",
                "board": "Monitoring",
                "assignee": "tech",
                "title_template": "[NinjaOne Alert] {condition} on {device}",
                "auto_resolve": True,
                "reset_on_close": True,
                "group_storms": False,
                "storm_window_minutes": 30,
            },
            created_by=f.admin,
            created_at=at,
            updated_at=at,
        )
    )
    _many(
        c,
        s.rmm_alerts,
        [
            dict(
                tenant=t,
                alert_id=f.alert1,
                integration_id=f.integration,
                series_uid="series-uid-1",
                external_device_id="102",
                asset_id=f.server,
                severity="CRITICAL",
                priority="HIGH",
                activity_type="CONDITION",
                status_code="DISK_FREE",
                status="acknowledged",
                message="Disk C: 98% full",
                source_payload={"id": 5001},
                triggered_at=at,
                acknowledged_at=at + timedelta(minutes=5),
                acknowledged_by=f.tech,
                ticket_id=f.ticket2,
                auto_ticket_created=True,
                rule_id=f.rule,
                rule_decision="ticket",
                rule_explanation="Matched rule 'Critical disk on servers'.",
                created_at=at,
                updated_at=at,
            ),
            dict(
                tenant=t,
                alert_id=f.alert2,
                integration_id=f.integration,
                series_uid="series-uid-2",
                external_device_id="101",
                asset_id=f.workstation,
                severity="MINOR",
                activity_type="CONDITION",
                status="resolved",
                message="CPU high",
                triggered_at=at,
                resolved_at=at + timedelta(hours=1),
                rule_decision="no_rule",
                created_at=at,
                updated_at=at,
            ),
        ],
    )
    c.execute(
        s.rmm_alert_series.insert().values(
            tenant=t,
            alert_id=f.alert1,
            integration_id=f.integration,
            series_uid="series-uid-1",
            last_activity_id=9001,
            last_event_time=1_700_000_000.5,
            repeat_count=2,
            severity_known=True,
            source_type="CONDITION_DISK_FREE",
            condition_name="Disk free < 5%",
            external_organization_id="1",
            node_class="WINDOWS_SERVER",
            device_name="SRV-001",
            client_id=f.contoso,
            updated_at=at + timedelta(minutes=10),
        )
    )
    c.execute(
        s.rmm_alert_tickets.insert().values(
            tenant=t,
            ticket_id=f.ticket2,
            integration_id=f.integration,
            client_id=f.contoso,
            condition_key="102|DISK_FREE",
            rule_id=f.rule,
            created_status_id=f.new_status,
            pipeline_comments=1,
            opened_at=at,
            last_alert_at=at,
        )
    )
    _many(
        c,
        s.rmm_maintenance_windows,
        [
            dict(
                tenant=t,
                window_id=f.weekly_window,
                integration_id=f.integration,
                name="Patch night",
                kind="weekly",
                client_ids=[str(f.contoso)],
                device_ids=[],
                weekdays=[0, 4, 6],
                start_time="23:00",
                duration_minutes=180,
                timezone="Europe/Berlin",
                is_enabled=True,
                created_by=f.admin,
                created_at=at,
                updated_at=at,
            ),
            dict(
                tenant=t,
                window_id=f.once_window,
                integration_id=f.integration,
                name="Server move",
                kind="once",
                client_ids=[],
                device_ids=[102],
                starts_at=at + timedelta(days=7),
                ends_at=at + timedelta(days=7, hours=4),
                is_enabled=False,
                created_at=at,
                updated_at=at,
            ),
        ],
    )


@dataclass
class Sparse:
    """A second tenant with no users and two companies of the same name."""

    tenant: uuid.UUID = field(default_factory=_id)
    first: uuid.UUID = field(default_factory=_id)
    second: uuid.UUID = field(default_factory=_id)
    priority: uuid.UUID = field(default_factory=_id)


def fill_sparse_tenant(url: str) -> Sparse:
    sp = Sparse()
    engine = create_psa_engine(url)
    try:
        with engine.begin() as c:
            s = _tables(c)
            c.execute(s.tenants.insert().values(tenant=sp.tenant, name="Beta MSP", created_at=T0))
            for company, minutes in ((sp.first, 0), (sp.second, 1)):
                c.execute(
                    s.companies.insert().values(
                        tenant=sp.tenant,
                        company_id=company,
                        company_name="Same Name",
                        created_at=T0 + timedelta(minutes=minutes),
                        updated_at=T0,
                    )
                )
            c.execute(
                s.priorities.insert().values(
                    tenant=sp.tenant, priority_id=sp.priority, priority_name="low", order_number=1
                )
            )
    finally:
        engine.dispose()
    return sp
