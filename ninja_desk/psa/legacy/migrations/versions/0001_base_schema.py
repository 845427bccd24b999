"""base schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 00:00:11.324651
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_tenants")),
    )
    op.create_table(
        "channels",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("channel_name", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_channels_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "channel_id", name=op.f("pk_channels")),
        sa.UniqueConstraint("tenant", "channel_name", name=op.f("uq_channels_tenant_channel_name")),
    )
    op.create_table(
        "companies",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("company_name", sa.String(length=255), nullable=False),
        sa.Column("is_inactive", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_companies_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "company_id", name=op.f("pk_companies")),
    )
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_index("ix_companies_tenant_name", ["tenant", "company_name"], unique=False)

    op.create_table(
        "events_outbox",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_events_outbox_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "event_id", name=op.f("pk_events_outbox")),
    )
    with op.batch_alter_table("events_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_outbox_pending", ["tenant", "published_at", "occurred_at"], unique=False
        )

    op.create_table(
        "priorities",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("priority_id", sa.Uuid(), nullable=False),
        sa.Column("priority_name", sa.String(length=64), nullable=False),
        sa.Column("order_number", sa.Integer(), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_priorities_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "priority_id", name=op.f("pk_priorities")),
        sa.UniqueConstraint(
            "tenant", "priority_name", name=op.f("uq_priorities_tenant_priority_name")
        ),
    )
    op.create_table(
        "roles",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("role_name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_roles_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "role_id", name=op.f("pk_roles")),
        sa.UniqueConstraint("tenant", "role_name", name=op.f("uq_roles_tenant_role_name")),
    )
    op.create_table(
        "software_catalog",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("software_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("publisher", sa.String(length=255), nullable=True),
        sa.Column("catalog_key", sa.String(length=800), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_software_catalog_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "software_id", name=op.f("pk_software_catalog")),
        sa.UniqueConstraint(
            "tenant", "catalog_key", name=op.f("uq_software_catalog_tenant_catalog_key")
        ),
    )
    op.create_table(
        "statuses",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("status_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status_type", sa.String(length=32), server_default="ticket", nullable=False),
        sa.Column("is_closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("order_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_statuses_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "status_id", name=op.f("pk_statuses")),
        sa.UniqueConstraint(
            "tenant", "status_type", "name", name=op.f("uq_statuses_tenant_status_type_name")
        ),
    )
    op.create_table(
        "tenant_external_entity_mappings",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("integration_type", sa.String(length=32), nullable=False),
        sa.Column("alga_entity_type", sa.String(length=32), nullable=False),
        sa.Column("alga_entity_id", sa.String(length=64), nullable=False),
        sa.Column("external_entity_id", sa.String(length=64), nullable=False),
        sa.Column("external_realm_id", sa.String(length=64), nullable=True),
        sa.Column("sync_status", sa.String(length=32), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["tenants.tenant"],
            name=op.f("fk_tenant_external_entity_mappings_tenant_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant", "id", name=op.f("pk_tenant_external_entity_mappings")),
        sa.UniqueConstraint(
            "tenant",
            "integration_type",
            "alga_entity_type",
            "alga_entity_id",
            name=op.f(
                "uq_tenant_external_entity_mappings_tenant_integration_type_alga_entity_type_alga_entity_id"
            ),
        ),
    )
    with op.batch_alter_table("tenant_external_entity_mappings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_teem_external",
            ["tenant", "integration_type", "alga_entity_type", "external_entity_id"],
            unique=False,
        )

    op.create_table(
        "ticket_number_sequences",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(length=16), server_default="TIC", nullable=False),
        sa.Column("last_number", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_ticket_number_sequences_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_ticket_number_sequences")),
    )
    op.create_table(
        "users",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("is_inactive", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_users_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "user_id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant", "username", name=op.f("uq_users_tenant_username")),
    )
    op.create_table(
        "audit_log",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "actor_user_id"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_audit_log_tenant_actor_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_audit_log_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "audit_id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_tenant_time", ["tenant", "occurred_at"], unique=False)

    op.create_table(
        "db_logins",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("login_name", sa.String(length=63), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "user_id"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_db_logins_tenant_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "login_name", name=op.f("pk_db_logins")),
        sa.UniqueConstraint("login_name", name=op.f("uq_db_logins_login_name")),
    )
    op.create_table(
        "rmm_integrations",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=32), server_default="ninjaone", nullable=False),
        sa.Column("instance_url", sa.String(length=255), nullable=False),
        sa.Column("oauth_client_id", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("connected_by", sa.Uuid(), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_full_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_incremental_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sync_status", sa.String(length=32), nullable=True),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.Column("webhook_url", sa.String(length=1024), nullable=True),
        sa.Column("webhook_registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "connected_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_rmm_integrations_tenant_connected_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.tenant"], name=op.f("fk_rmm_integrations_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "integration_id", name=op.f("pk_rmm_integrations")),
    )
    op.create_table(
        "role_permissions",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("permission", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "role_id"],
            ["roles.tenant", "roles.role_id"],
            name=op.f("fk_role_permissions_tenant_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "role_id", "permission", name=op.f("pk_role_permissions")
        ),
    )
    op.create_table(
        "tickets",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_number", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("status_id", sa.Uuid(), nullable=False),
        sa.Column("priority_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_to", sa.Uuid(), nullable=True),
        sa.Column("entered_by", sa.Uuid(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=32), server_default="manual", nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant", "assigned_to"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_tickets_tenant_assigned_to_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "channel_id"],
            ["channels.tenant", "channels.channel_id"],
            name=op.f("fk_tickets_tenant_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "client_id"],
            ["companies.tenant", "companies.company_id"],
            name=op.f("fk_tickets_tenant_client_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "entered_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_tickets_tenant_entered_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "priority_id"],
            ["priorities.tenant", "priorities.priority_id"],
            name=op.f("fk_tickets_tenant_priority_id_priorities"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "status_id"],
            ["statuses.tenant", "statuses.status_id"],
            name=op.f("fk_tickets_tenant_status_id_statuses"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "updated_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_tickets_tenant_updated_by_users"),
        ),
        sa.PrimaryKeyConstraint("tenant", "ticket_id", name=op.f("pk_tickets")),
        sa.UniqueConstraint(
            "tenant", "ticket_number", name=op.f("uq_tickets_tenant_ticket_number")
        ),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_tenant_client", ["tenant", "client_id"], unique=False)

    op.create_table(
        "user_roles",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "role_id"],
            ["roles.tenant", "roles.role_id"],
            name=op.f("fk_user_roles_tenant_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "user_id"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_user_roles_tenant_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "user_id", "role_id", name=op.f("pk_user_roles")),
    )
    op.create_table(
        "assets",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("asset_type", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("asset_tag", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), server_default="active", nullable=False),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("serial_number", sa.String(length=255), nullable=True),
        sa.Column("manufacturer", sa.String(length=255), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column(
            "mac_addresses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "custom_attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "locked_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("rmm_integration_id", sa.Uuid(), nullable=True),
        sa.Column("rmm_device_id", sa.String(length=64), nullable=True),
        sa.Column("rmm_organization_id", sa.String(length=64), nullable=True),
        sa.Column("agent_status", sa.String(length=32), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remote_access_url", sa.String(length=1024), nullable=True),
        sa.Column("rmm_sync_status", sa.String(length=32), nullable=True),
        sa.Column("rmm_last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("software_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "client_id"],
            ["companies.tenant", "companies.company_id"],
            name=op.f("fk_assets_tenant_client_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "rmm_integration_id"],
            ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
            name=op.f("fk_assets_tenant_rmm_integration_id_rmm_integrations"),
        ),
        sa.PrimaryKeyConstraint("tenant", "asset_id", name=op.f("pk_assets")),
        sa.UniqueConstraint(
            "tenant",
            "rmm_integration_id",
            "rmm_device_id",
            name=op.f("uq_assets_tenant_rmm_integration_id_rmm_device_id"),
        ),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index("ix_assets_tenant_client", ["tenant", "client_id"], unique=False)
        batch_op.create_index("ix_assets_tenant_serial", ["tenant", "serial_number"], unique=False)

    op.create_table(
        "rmm_alert_rules",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("priority_order", sa.Integer(), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "action",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "created_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_rmm_alert_rules_tenant_created_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "integration_id"],
            ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
            name=op.f("fk_rmm_alert_rules_tenant_integration_id_rmm_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "updated_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_rmm_alert_rules_tenant_updated_by_users"),
        ),
        sa.PrimaryKeyConstraint("tenant", "rule_id", name=op.f("pk_rmm_alert_rules")),
        sa.UniqueConstraint(
            "tenant",
            "integration_id",
            "name",
            name=op.f("uq_rmm_alert_rules_tenant_integration_id_name"),
        ),
    )
    op.create_table(
        "rmm_organization_mappings",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("mapping_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("external_organization_id", sa.String(length=64), nullable=False),
        sa.Column("external_organization_name", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("auto_sync_assets", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vanished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "client_id"],
            ["companies.tenant", "companies.company_id"],
            name=op.f("fk_rmm_organization_mappings_tenant_client_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "integration_id"],
            ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
            name=op.f("fk_rmm_organization_mappings_tenant_integration_id_rmm_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "updated_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_rmm_organization_mappings_tenant_updated_by_users"),
        ),
        sa.PrimaryKeyConstraint("tenant", "mapping_id", name=op.f("pk_rmm_organization_mappings")),
        sa.UniqueConstraint(
            "tenant",
            "integration_id",
            "external_organization_id",
            name=op.f(
                "uq_rmm_organization_mappings_tenant_integration_id_external_organization_id"
            ),
        ),
    )
    op.create_table(
        "sync_leases",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "integration_id"],
            ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
            name=op.f("fk_sync_leases_tenant_integration_id_rmm_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "integration_id", name=op.f("pk_sync_leases")),
    )
    op.create_table(
        "ticket_comments",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("is_internal", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "author_id"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_ticket_comments_tenant_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "ticket_id"],
            ["tickets.tenant", "tickets.ticket_id"],
            name=op.f("fk_ticket_comments_tenant_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "comment_id", name=op.f("pk_ticket_comments")),
    )
    with op.batch_alter_table("ticket_comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_comments_tenant_ticket", ["tenant", "ticket_id"], unique=False
        )

    op.create_table(
        "asset_device_lineage",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("lineage_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("previous_device_id", sa.String(length=64), nullable=True),
        sa.Column("new_device_id", sa.String(length=64), nullable=False),
        sa.Column("matched_by", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_asset_device_lineage_tenant_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "integration_id"],
            ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
            name=op.f("fk_asset_device_lineage_tenant_integration_id_rmm_integrations"),
        ),
        sa.PrimaryKeyConstraint("tenant", "lineage_id", name=op.f("pk_asset_device_lineage")),
    )
    op.create_table(
        "asset_history",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("history_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("change_type", sa.String(length=32), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_asset_history_tenant_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "changed_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_asset_history_tenant_changed_by_users"),
        ),
        sa.PrimaryKeyConstraint("tenant", "history_id", name=op.f("pk_asset_history")),
    )
    with op.batch_alter_table("asset_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_asset_history_tenant_asset", ["tenant", "asset_id", "changed_at"], unique=False
        )

    op.create_table(
        "asset_software",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("software_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=True),
        sa.Column("install_date", sa.String(length=32), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_asset_software_tenant_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "software_id"],
            ["software_catalog.tenant", "software_catalog.software_id"],
            name=op.f("fk_asset_software_tenant_software_id_software_catalog"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "asset_id", "software_id", name=op.f("pk_asset_software")
        ),
    )
    op.create_table(
        "asset_ticket_associations",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column(
            "relationship_type", sa.String(length=32), server_default="affected", nullable=False
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_asset_ticket_associations_tenant_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "created_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_asset_ticket_associations_tenant_created_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "ticket_id"],
            ["tickets.tenant", "tickets.ticket_id"],
            name=op.f("fk_asset_ticket_associations_tenant_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "asset_id", "ticket_id", name=op.f("pk_asset_ticket_associations")
        ),
    )
    with op.batch_alter_table("asset_ticket_associations", schema=None) as batch_op:
        batch_op.create_index("ix_ata_tenant_ticket", ["tenant", "ticket_id"], unique=False)

    op.create_table(
        "mobile_device_assets",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("os_type", sa.String(length=255), nullable=True),
        sa.Column("os_version", sa.String(length=255), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("imei", sa.String(length=64), nullable=True),
        sa.Column("phone_number", sa.String(length=64), nullable=True),
        sa.Column("carrier", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_mobile_device_assets_tenant_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "asset_id", name=op.f("pk_mobile_device_assets")),
    )
    op.create_table(
        "network_device_assets",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("device_type", sa.String(length=64), nullable=True),
        sa.Column("management_ip", sa.String(length=64), nullable=True),
        sa.Column("firmware_version", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_network_device_assets_tenant_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "asset_id", name=op.f("pk_network_device_assets")),
    )
    op.create_table(
        "printer_assets",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("is_network_printer", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_printer_assets_tenant_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "asset_id", name=op.f("pk_printer_assets")),
    )
    op.create_table(
        "rmm_alerts",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("series_uid", sa.String(length=64), nullable=False),
        sa.Column("external_device_id", sa.String(length=64), nullable=True),
        sa.Column("asset_id", sa.Uuid(), nullable=True),
        sa.Column("severity", sa.String(length=16), server_default="NONE", nullable=False),
        sa.Column("priority", sa.String(length=16), server_default="NONE", nullable=False),
        sa.Column("activity_type", sa.String(length=64), nullable=True),
        sa.Column("status_code", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "source_payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("auto_ticket_created", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("rule_decision", sa.String(length=32), nullable=True),
        sa.Column("rule_explanation", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "acknowledged_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_rmm_alerts_tenant_acknowledged_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_rmm_alerts_tenant_asset_id_assets"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "integration_id"],
            ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
            name=op.f("fk_rmm_alerts_tenant_integration_id_rmm_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "resolved_by"],
            ["users.tenant", "users.user_id"],
            name=op.f("fk_rmm_alerts_tenant_resolved_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "rule_id"],
            ["rmm_alert_rules.tenant", "rmm_alert_rules.rule_id"],
            name=op.f("fk_rmm_alerts_tenant_rule_id_rmm_alert_rules"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "ticket_id"],
            ["tickets.tenant", "tickets.ticket_id"],
            name=op.f("fk_rmm_alerts_tenant_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("tenant", "alert_id", name=op.f("pk_rmm_alerts")),
        sa.UniqueConstraint(
            "tenant",
            "integration_id",
            "series_uid",
            name=op.f("uq_rmm_alerts_tenant_integration_id_series_uid"),
        ),
    )
    with op.batch_alter_table("rmm_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rmm_alerts_tenant_status", ["tenant", "status", "triggered_at"], unique=False
        )

    op.create_table(
        "server_assets",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("os_type", sa.String(length=255), nullable=True),
        sa.Column("os_version", sa.String(length=255), nullable=True),
        sa.Column("os_architecture", sa.String(length=32), nullable=True),
        sa.Column("cpu_model", sa.String(length=255), nullable=True),
        sa.Column("cpu_cores", sa.Integer(), nullable=True),
        sa.Column("ram_gb", sa.Float(), nullable=True),
        sa.Column("storage_capacity_gb", sa.Float(), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("primary_ip", sa.String(length=64), nullable=True),
        sa.Column(
            "ip_addresses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("is_virtual", sa.Boolean(), nullable=True),
        sa.Column("last_login", sa.String(length=255), nullable=True),
        sa.Column("last_reboot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hypervisor", sa.String(length=64), nullable=True),
        sa.Column("antivirus_status", sa.String(length=32), nullable=True),
        sa.Column("antivirus_product", sa.String(length=255), nullable=True),
        sa.Column("pending_os_patches", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pending_software_patches", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_patches", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_patch_scan_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_server_assets_tenant_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "asset_id", name=op.f("pk_server_assets")),
    )
    op.create_table(
        "workstation_assets",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("os_type", sa.String(length=255), nullable=True),
        sa.Column("os_version", sa.String(length=255), nullable=True),
        sa.Column("os_architecture", sa.String(length=32), nullable=True),
        sa.Column("cpu_model", sa.String(length=255), nullable=True),
        sa.Column("cpu_cores", sa.Integer(), nullable=True),
        sa.Column("ram_gb", sa.Float(), nullable=True),
        sa.Column("storage_capacity_gb", sa.Float(), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("primary_ip", sa.String(length=64), nullable=True),
        sa.Column(
            "ip_addresses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("is_virtual", sa.Boolean(), nullable=True),
        sa.Column("last_login", sa.String(length=255), nullable=True),
        sa.Column("last_reboot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("antivirus_status", sa.String(length=32), nullable=True),
        sa.Column("antivirus_product", sa.String(length=255), nullable=True),
        sa.Column("pending_os_patches", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pending_software_patches", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_patches", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_patch_scan_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant", "asset_id"],
            ["assets.tenant", "assets.asset_id"],
            name=op.f("fk_workstation_assets_tenant_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "asset_id", name=op.f("pk_workstation_assets")),
    )


def downgrade() -> None:
    op.drop_table("workstation_assets")
    op.drop_table("server_assets")
    with op.batch_alter_table("rmm_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_rmm_alerts_tenant_status")

    op.drop_table("rmm_alerts")
    op.drop_table("printer_assets")
    op.drop_table("network_device_assets")
    op.drop_table("mobile_device_assets")
    with op.batch_alter_table("asset_ticket_associations", schema=None) as batch_op:
        batch_op.drop_index("ix_ata_tenant_ticket")

    op.drop_table("asset_ticket_associations")
    op.drop_table("asset_software")
    with op.batch_alter_table("asset_history", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_history_tenant_asset")

    op.drop_table("asset_history")
    op.drop_table("asset_device_lineage")
    with op.batch_alter_table("ticket_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_comments_tenant_ticket")

    op.drop_table("ticket_comments")
    op.drop_table("sync_leases")
    op.drop_table("rmm_organization_mappings")
    op.drop_table("rmm_alert_rules")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_tenant_serial")
        batch_op.drop_index("ix_assets_tenant_client")

    op.drop_table("assets")
    op.drop_table("user_roles")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_tenant_client")

    op.drop_table("tickets")
    op.drop_table("role_permissions")
    op.drop_table("rmm_integrations")
    op.drop_table("db_logins")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_tenant_time")

    op.drop_table("audit_log")
    op.drop_table("users")
    op.drop_table("ticket_number_sequences")
    with op.batch_alter_table("tenant_external_entity_mappings", schema=None) as batch_op:
        batch_op.drop_index("ix_teem_external")

    op.drop_table("tenant_external_entity_mappings")
    op.drop_table("statuses")
    op.drop_table("software_catalog")
    op.drop_table("roles")
    op.drop_table("priorities")
    with op.batch_alter_table("events_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_events_outbox_pending")

    op.drop_table("events_outbox")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index("ix_companies_tenant_name")

    op.drop_table("companies")
    op.drop_table("channels")
    op.drop_table("tenants")
