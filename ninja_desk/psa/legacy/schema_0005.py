"""The PSA database schema (SQLAlchemy Core).

Every table starts with `tenant`; every primary key is (tenant, id) and every foreign key carries
the tenant, so a row can never point into another tenant and the schema can be distributed by
tenant (Citus). Ids are UUIDs made by the writer: no sequences to coordinate between desktops.

This module is the *current* shape. The migrations under `migrations/versions/` are frozen
history; `tests/psa/test_migrations.py` checks the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.psa.schema_types import Json, Uuid, tenant_column, utc_column

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _fk(
    cols: list[str], table: str, ref_cols: list[str], ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant", *cols],
        [f"{table}.tenant", *(f"{table}.{c}" for c in ref_cols)],
        ondelete=ondelete,
    )


# --- tenancy, people, rights -------------------------------------------------------------

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("tenant", Uuid, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    utc_column("created_at", False),
)

companies = sa.Table(
    "companies",
    metadata,
    tenant_column(),
    sa.Column("company_id", Uuid, nullable=False),
    sa.Column("company_name", sa.String(255), nullable=False),
    sa.Column("is_inactive", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("notes", sa.Text),
    utc_column("created_at", False),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "company_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    sa.Index("ix_companies_tenant_name", "tenant", "company_name"),
)

users = sa.Table(
    "users",
    metadata,
    tenant_column(),
    sa.Column("user_id", Uuid, nullable=False),
    sa.Column("username", sa.String(255), nullable=False),
    sa.Column("email", sa.String(255)),
    sa.Column("first_name", sa.String(255)),
    sa.Column("last_name", sa.String(255)),
    sa.Column("is_inactive", sa.Boolean, nullable=False, server_default=sa.false()),
    utc_column("created_at", False),
    sa.PrimaryKeyConstraint("tenant", "user_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    sa.UniqueConstraint("tenant", "username"),
)

roles = sa.Table(
    "roles",
    metadata,
    tenant_column(),
    sa.Column("role_id", Uuid, nullable=False),
    sa.Column("role_name", sa.String(64), nullable=False),
    sa.Column("description", sa.Text),
    sa.PrimaryKeyConstraint("tenant", "role_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    sa.UniqueConstraint("tenant", "role_name"),
)

role_permissions = sa.Table(
    "role_permissions",
    metadata,
    tenant_column(),
    sa.Column("role_id", Uuid, nullable=False),
    sa.Column("permission", sa.String(64), nullable=False),
    sa.PrimaryKeyConstraint("tenant", "role_id", "permission"),
    _fk(["role_id"], "roles", ["role_id"], ondelete="CASCADE"),
)

user_roles = sa.Table(
    "user_roles",
    metadata,
    tenant_column(),
    sa.Column("user_id", Uuid, nullable=False),
    sa.Column("role_id", Uuid, nullable=False),
    sa.PrimaryKeyConstraint("tenant", "user_id", "role_id"),
    _fk(["user_id"], "users", ["user_id"], ondelete="CASCADE"),
    _fk(["role_id"], "roles", ["role_id"], ondelete="CASCADE"),
)

# PostgreSQL logins of technicians -> the PSA user they act as. Read only by SECURITY DEFINER
# functions: this is how the database itself knows which tenant and user a connection is.
db_logins = sa.Table(
    "db_logins",
    metadata,
    tenant_column(),
    sa.Column("login_name", sa.String(63), nullable=False),
    sa.Column("user_id", Uuid, nullable=False),
    sa.PrimaryKeyConstraint("tenant", "login_name"),
    sa.UniqueConstraint("login_name"),
    _fk(["user_id"], "users", ["user_id"], ondelete="CASCADE"),
)

# --- ticket reference data ---------------------------------------------------------------

priorities = sa.Table(
    "priorities",
    metadata,
    tenant_column(),
    sa.Column("priority_id", Uuid, nullable=False),
    sa.Column("priority_name", sa.String(64), nullable=False),
    sa.Column("order_number", sa.Integer, nullable=False),
    sa.Column("color", sa.String(16)),
    sa.PrimaryKeyConstraint("tenant", "priority_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    sa.UniqueConstraint("tenant", "priority_name"),
)

statuses = sa.Table(
    "statuses",
    metadata,
    tenant_column(),
    sa.Column("status_id", Uuid, nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("status_type", sa.String(32), nullable=False, server_default="ticket"),
    sa.Column("is_closed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("order_number", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("tenant", "status_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    sa.UniqueConstraint("tenant", "status_type", "name"),
)

channels = sa.Table(
    "channels",
    metadata,
    tenant_column(),
    sa.Column("channel_id", Uuid, nullable=False),
    sa.Column("channel_name", sa.String(64), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("tenant", "channel_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    sa.UniqueConstraint("tenant", "channel_name"),
)

# One counter row per tenant; `UPDATE ... RETURNING` on it serialises concurrent creators.
ticket_number_sequences = sa.Table(
    "ticket_number_sequences",
    metadata,
    tenant_column(),
    sa.Column("prefix", sa.String(16), nullable=False, server_default="TIC"),
    sa.Column("last_number", sa.Integer, nullable=False, server_default="0"),
    sa.PrimaryKeyConstraint("tenant"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
)

# --- RMM integration ---------------------------------------------------------------------

rmm_integrations = sa.Table(
    "rmm_integrations",
    metadata,
    tenant_column(),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("provider", sa.String(32), nullable=False, server_default="ninjaone"),
    sa.Column("instance_url", sa.String(255), nullable=False),
    sa.Column("oauth_client_id", sa.String(255)),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("connected_by", Uuid),
    utc_column("connected_at"),
    utc_column("last_full_sync_at"),
    utc_column("last_incremental_sync_at"),
    sa.Column("sync_status", sa.String(32)),
    sa.Column("sync_error", sa.Text),
    sa.Column("webhook_url", sa.String(1024)),
    utc_column("webhook_registered_at"),
    sa.Column("settings", Json, nullable=False, server_default="{}"),
    utc_column("created_at", False),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "integration_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    _fk(["connected_by"], "users", ["user_id"]),
)

rmm_organization_mappings = sa.Table(
    "rmm_organization_mappings",
    metadata,
    tenant_column(),
    sa.Column("mapping_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("external_organization_id", sa.String(64), nullable=False),
    sa.Column("external_organization_name", sa.String(255), nullable=False),
    # NULL client = seen but not mapped (the technician left it unmapped).
    sa.Column("client_id", Uuid),
    sa.Column("auto_sync_assets", sa.Boolean, nullable=False, server_default=sa.true()),
    utc_column("first_seen_at", False),
    utc_column("last_seen_at", False),
    utc_column("vanished_at"),
    sa.Column("updated_by", Uuid),
    utc_column("updated_at", False),
    sa.Column("metadata", Json, nullable=False, server_default="{}"),
    sa.PrimaryKeyConstraint("tenant", "mapping_id"),
    _fk(["integration_id"], "rmm_integrations", ["integration_id"], ondelete="CASCADE"),
    _fk(["client_id"], "companies", ["company_id"]),
    _fk(["updated_by"], "users", ["user_id"]),
    sa.UniqueConstraint("tenant", "integration_id", "external_organization_id"),
)

# --- assets ------------------------------------------------------------------------------

assets = sa.Table(
    "assets",
    metadata,
    tenant_column(),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("asset_type", sa.String(32), nullable=False),
    sa.Column("client_id", Uuid, nullable=False),
    sa.Column("asset_tag", sa.String(255)),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("status", sa.String(32), nullable=False, server_default="active"),
    sa.Column("location", sa.String(255)),
    sa.Column("serial_number", sa.String(255)),
    sa.Column("manufacturer", sa.String(255)),
    sa.Column("model", sa.String(255)),
    # Stable MACs only (device_identity.stable_macs), for re-image matching.
    sa.Column("mac_addresses", Json, nullable=False, server_default="[]"),
    sa.Column("notes", sa.Text),
    sa.Column("custom_attributes", Json, nullable=False, server_default="{}"),
    # Fields a person edited in the PSA; the push never overwrites them.
    sa.Column("locked_fields", Json, nullable=False, server_default="[]"),
    # RMM columns (seed plan Phase 0).
    sa.Column("rmm_integration_id", Uuid),
    sa.Column("rmm_device_id", sa.String(64)),
    sa.Column("rmm_organization_id", sa.String(64)),
    sa.Column("agent_status", sa.String(32)),
    utc_column("last_seen_at"),
    sa.Column("remote_access_url", sa.String(1024)),
    sa.Column("rmm_sync_status", sa.String(32)),
    utc_column("rmm_last_synced_at"),
    sa.Column("software_fingerprint", sa.String(64)),
    utc_column("retired_at"),
    utc_column("created_at", False),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "asset_id"),
    _fk(["client_id"], "companies", ["company_id"]),
    _fk(["rmm_integration_id"], "rmm_integrations", ["integration_id"]),
    # The database, not the sync loop, guarantees one asset per NinjaOne device.
    sa.UniqueConstraint("tenant", "rmm_integration_id", "rmm_device_id"),
    sa.Index("ix_assets_tenant_client", "tenant", "client_id"),
    sa.Index("ix_assets_tenant_serial", "tenant", "serial_number"),
)


def _compliance_columns() -> list[sa.Column]:
    return [
        sa.Column("antivirus_status", sa.String(32)),
        sa.Column("antivirus_product", sa.String(255)),
        sa.Column("pending_os_patches", sa.Integer, nullable=False, server_default="0"),
        sa.Column("pending_software_patches", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed_patches", sa.Integer, nullable=False, server_default="0"),
        utc_column("last_patch_scan_at"),
    ]


def _computer_columns() -> list[sa.Column]:
    return [
        sa.Column("os_type", sa.String(255)),
        sa.Column("os_version", sa.String(255)),
        sa.Column("os_architecture", sa.String(32)),
        sa.Column("cpu_model", sa.String(255)),
        sa.Column("cpu_cores", sa.Integer),
        sa.Column("ram_gb", sa.Float),
        sa.Column("storage_capacity_gb", sa.Float),
        sa.Column("domain", sa.String(255)),
        sa.Column("primary_ip", sa.String(64)),
        sa.Column("ip_addresses", Json, nullable=False, server_default="[]"),
        sa.Column("is_virtual", sa.Boolean),
        sa.Column("last_login", sa.String(255)),
        utc_column("last_reboot_at"),
    ]


def _extension(name: str, *columns: sa.Column) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        tenant_column(),
        sa.Column("asset_id", Uuid, nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("tenant", "asset_id"),
        _fk(["asset_id"], "assets", ["asset_id"], ondelete="CASCADE"),
    )


workstation_assets = _extension("workstation_assets", *_computer_columns(), *_compliance_columns())
server_assets = _extension(
    "server_assets",
    *_computer_columns(),
    sa.Column("hypervisor", sa.String(64)),
    *_compliance_columns(),
)
network_device_assets = _extension(
    "network_device_assets",
    sa.Column("device_type", sa.String(64)),
    sa.Column("management_ip", sa.String(64)),
    sa.Column("firmware_version", sa.String(255)),
)
mobile_device_assets = _extension(
    "mobile_device_assets",
    sa.Column("os_type", sa.String(255)),
    sa.Column("os_version", sa.String(255)),
    sa.Column("model", sa.String(255)),
    sa.Column("imei", sa.String(64)),
    sa.Column("phone_number", sa.String(64)),
    sa.Column("carrier", sa.String(255)),
)
printer_assets = _extension(
    "printer_assets",
    sa.Column("model", sa.String(255)),
    sa.Column("ip_address", sa.String(64)),
    sa.Column("is_network_printer", sa.Boolean, nullable=False, server_default=sa.true()),
)

EXTENSION_TABLES: dict[str, sa.Table] = {
    "workstation": workstation_assets,
    "server": server_assets,
    "network_device": network_device_assets,
    "mobile_device": mobile_device_assets,
    "printer": printer_assets,
}

asset_history = sa.Table(
    "asset_history",
    metadata,
    tenant_column(),
    sa.Column("history_id", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("changed_by", Uuid),
    sa.Column("change_type", sa.String(32), nullable=False),
    # {field: {"old": ..., "new": ...}}
    sa.Column("changes", Json, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    utc_column("changed_at", False),
    sa.PrimaryKeyConstraint("tenant", "history_id"),
    _fk(["asset_id"], "assets", ["asset_id"], ondelete="CASCADE"),
    _fk(["changed_by"], "users", ["user_id"]),
    sa.Index("ix_asset_history_tenant_asset", "tenant", "asset_id", "changed_at"),
)

# Which NinjaOne device ids an asset has had: a re-imaged machine keeps its asset.
asset_device_lineage = sa.Table(
    "asset_device_lineage",
    metadata,
    tenant_column(),
    sa.Column("lineage_id", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("previous_device_id", sa.String(64)),
    sa.Column("new_device_id", sa.String(64), nullable=False),
    sa.Column("matched_by", sa.String(16), nullable=False),
    utc_column("recorded_at", False),
    sa.PrimaryKeyConstraint("tenant", "lineage_id"),
    _fk(["asset_id"], "assets", ["asset_id"], ondelete="CASCADE"),
    _fk(["integration_id"], "rmm_integrations", ["integration_id"]),
)

software_catalog = sa.Table(
    "software_catalog",
    metadata,
    tenant_column(),
    sa.Column("software_id", Uuid, nullable=False),
    sa.Column("name", sa.String(512), nullable=False),
    sa.Column("publisher", sa.String(255)),
    # lower(name) + "|" + lower(publisher): one catalog entry however NinjaOne cases it.
    sa.Column("catalog_key", sa.String(800), nullable=False),
    utc_column("created_at", False),
    sa.PrimaryKeyConstraint("tenant", "software_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    sa.UniqueConstraint("tenant", "catalog_key"),
)

asset_software = sa.Table(
    "asset_software",
    metadata,
    tenant_column(),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("software_id", Uuid, nullable=False),
    sa.Column("version", sa.String(255)),
    sa.Column("install_date", sa.String(32)),
    utc_column("first_seen_at", False),
    utc_column("last_seen_at", False),
    utc_column("uninstalled_at"),
    sa.PrimaryKeyConstraint("tenant", "asset_id", "software_id"),
    _fk(["asset_id"], "assets", ["asset_id"], ondelete="CASCADE"),
    _fk(["software_id"], "software_catalog", ["software_id"]),
)

tenant_external_entity_mappings = sa.Table(
    "tenant_external_entity_mappings",
    metadata,
    tenant_column(),
    sa.Column("id", Uuid, nullable=False),
    sa.Column("integration_type", sa.String(32), nullable=False),
    sa.Column("alga_entity_type", sa.String(32), nullable=False),
    sa.Column("alga_entity_id", sa.String(64), nullable=False),
    sa.Column("external_entity_id", sa.String(64), nullable=False),
    sa.Column("external_realm_id", sa.String(64)),
    sa.Column("sync_status", sa.String(32)),
    utc_column("last_synced_at"),
    sa.Column("metadata", Json, nullable=False, server_default="{}"),
    sa.PrimaryKeyConstraint("tenant", "id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    # One mapping per PSA entity: a re-imaged device updates its row instead of adding one.
    sa.UniqueConstraint("tenant", "integration_type", "alga_entity_type", "alga_entity_id"),
    sa.Index(
        "ix_teem_external", "tenant", "integration_type", "alga_entity_type", "external_entity_id"
    ),
)

# --- tickets -----------------------------------------------------------------------------

tickets = sa.Table(
    "tickets",
    metadata,
    tenant_column(),
    sa.Column("ticket_id", Uuid, nullable=False),
    sa.Column("ticket_number", sa.String(32), nullable=False),
    sa.Column("title", sa.String(512), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("client_id", Uuid, nullable=False),
    sa.Column("status_id", Uuid, nullable=False),
    sa.Column("priority_id", Uuid, nullable=False),
    sa.Column("channel_id", Uuid, nullable=False),
    sa.Column("assigned_to", Uuid),
    sa.Column("entered_by", Uuid, nullable=False),
    sa.Column("updated_by", Uuid),
    sa.Column("source", sa.String(32), nullable=False, server_default="manual"),
    utc_column("entered_at", False),
    utc_column("updated_at", False),
    utc_column("closed_at"),
    sa.PrimaryKeyConstraint("tenant", "ticket_id"),
    sa.UniqueConstraint("tenant", "ticket_number"),
    _fk(["client_id"], "companies", ["company_id"]),
    _fk(["status_id"], "statuses", ["status_id"]),
    _fk(["priority_id"], "priorities", ["priority_id"]),
    _fk(["channel_id"], "channels", ["channel_id"]),
    _fk(["assigned_to"], "users", ["user_id"]),
    _fk(["entered_by"], "users", ["user_id"]),
    _fk(["updated_by"], "users", ["user_id"]),
    sa.Index("ix_tickets_tenant_client", "tenant", "client_id"),
)

ticket_comments = sa.Table(
    "ticket_comments",
    metadata,
    tenant_column(),
    sa.Column("comment_id", Uuid, nullable=False),
    sa.Column("ticket_id", Uuid, nullable=False),
    sa.Column("author_id", Uuid, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("is_internal", sa.Boolean, nullable=False, server_default=sa.false()),
    utc_column("created_at", False),
    sa.PrimaryKeyConstraint("tenant", "comment_id"),
    _fk(["ticket_id"], "tickets", ["ticket_id"], ondelete="CASCADE"),
    _fk(["author_id"], "users", ["user_id"]),
    sa.Index("ix_ticket_comments_tenant_ticket", "tenant", "ticket_id"),
)

asset_ticket_associations = sa.Table(
    "asset_ticket_associations",
    metadata,
    tenant_column(),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("ticket_id", Uuid, nullable=False),
    sa.Column("relationship_type", sa.String(32), nullable=False, server_default="affected"),
    sa.Column("created_by", Uuid),
    utc_column("created_at", False),
    sa.PrimaryKeyConstraint("tenant", "asset_id", "ticket_id"),
    _fk(["asset_id"], "assets", ["asset_id"], ondelete="CASCADE"),
    _fk(["ticket_id"], "tickets", ["ticket_id"], ondelete="CASCADE"),
    _fk(["created_by"], "users", ["user_id"]),
    sa.Index("ix_ata_tenant_ticket", "tenant", "ticket_id"),
)

# --- alerts and rules (the alert pipeline writes these) ----------------------------------

rmm_alert_rules = sa.Table(
    "rmm_alert_rules",
    metadata,
    tenant_column(),
    sa.Column("rule_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    # Lower runs first; the first matching rule decides.
    sa.Column("priority_order", sa.Integer, nullable=False),
    sa.Column("is_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    # Evaluate and record the decision, but never create a ticket.
    sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("conditions", Json, nullable=False, server_default="{}"),
    sa.Column("action", Json, nullable=False, server_default="{}"),
    sa.Column("created_by", Uuid),
    sa.Column("updated_by", Uuid),
    utc_column("created_at", False),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "rule_id"),
    _fk(["integration_id"], "rmm_integrations", ["integration_id"], ondelete="CASCADE"),
    _fk(["created_by"], "users", ["user_id"]),
    _fk(["updated_by"], "users", ["user_id"]),
    sa.UniqueConstraint("tenant", "integration_id", "name"),
)

rmm_alerts = sa.Table(
    "rmm_alerts",
    metadata,
    tenant_column(),
    sa.Column("alert_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    # NinjaOne's alert uid == the activities' seriesUid: the idempotency key of the pipeline.
    sa.Column("series_uid", sa.String(64), nullable=False),
    sa.Column("external_device_id", sa.String(64)),
    sa.Column("asset_id", Uuid),
    sa.Column("severity", sa.String(16), nullable=False, server_default="NONE"),
    sa.Column("priority", sa.String(16), nullable=False, server_default="NONE"),
    sa.Column("activity_type", sa.String(64)),
    sa.Column("status_code", sa.String(64)),
    # active | acknowledged | resolved
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("message", sa.Text),
    sa.Column("source_payload", Json, nullable=False, server_default="{}"),
    utc_column("triggered_at"),
    utc_column("acknowledged_at"),
    sa.Column("acknowledged_by", Uuid),
    utc_column("resolved_at"),
    sa.Column("resolved_by", Uuid),
    sa.Column("ticket_id", Uuid),
    sa.Column("auto_ticket_created", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rule_id", Uuid),
    sa.Column("rule_decision", sa.String(32)),
    sa.Column("rule_explanation", sa.Text),
    utc_column("created_at", False),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "alert_id"),
    sa.UniqueConstraint("tenant", "integration_id", "series_uid"),
    _fk(["integration_id"], "rmm_integrations", ["integration_id"], ondelete="CASCADE"),
    _fk(["asset_id"], "assets", ["asset_id"]),
    _fk(["acknowledged_by"], "users", ["user_id"]),
    _fk(["resolved_by"], "users", ["user_id"]),
    _fk(["ticket_id"], "tickets", ["ticket_id"]),
    _fk(["rule_id"], "rmm_alert_rules", ["rule_id"]),
    sa.Index("ix_rmm_alerts_tenant_status", "tenant", "status", "triggered_at"),
)

# --- plumbing: events, audit, sync lease -------------------------------------------------

events_outbox = sa.Table(
    "events_outbox",
    metadata,
    tenant_column(),
    sa.Column("event_id", Uuid, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("actor_user_id", Uuid),
    utc_column("occurred_at", False),
    # Set by whoever relays the outbox elsewhere; NULL = not yet delivered.
    utc_column("published_at"),
    sa.PrimaryKeyConstraint("tenant", "event_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    sa.Index("ix_events_outbox_pending", "tenant", "published_at", "occurred_at"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    tenant_column(),
    sa.Column("audit_id", Uuid, nullable=False),
    utc_column("occurred_at", False),
    sa.Column("actor_user_id", Uuid),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("entity_id", sa.String(64)),
    sa.Column("changes", Json, nullable=False, server_default="{}"),
    sa.PrimaryKeyConstraint("tenant", "audit_id"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"]),
    _fk(["actor_user_id"], "users", ["user_id"]),
    sa.Index("ix_audit_log_tenant_time", "tenant", "occurred_at"),
)

sync_leases = sa.Table(
    "sync_leases",
    metadata,
    tenant_column(),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("holder", sa.String(255), nullable=False),
    utc_column("acquired_at", False),
    utc_column("expires_at", False),
    sa.PrimaryKeyConstraint("tenant", "integration_id"),
    _fk(["integration_id"], "rmm_integrations", ["integration_id"], ondelete="CASCADE"),
)

TENANT_TABLES: tuple[sa.Table, ...] = tuple(metadata.sorted_tables)
