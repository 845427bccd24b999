"""Alga PSA's own tables, the subset NinjaDesk reads or writes, exactly as Alga ships them.

Names, column order, types, nullability, defaults, keys and constraint names follow Alga's
migrations (../shared/alga/schema-facts.json, plus comment_threads and ticket_audit_logs read
from a database built by Alga's migrations). `tests/psa/test_alga_conformance.py` fails on any
difference. NinjaDesk creates these tables only where they are missing (an empty database, or
an older Alga without the rmm_* tables); on an existing Alga database they are Alga's and are
never altered. Foreign keys to Alga tables NinjaDesk does not create (documents, contacts,
sla_policies, ...) are left out; CHECK constraints and the column-list ON DELETE SET NULL keys
exist on PostgreSQL only (SQLite cannot parse them).

The only hand edits after generation: those PostgreSQL-only keys, and the board -> reopen-status
key left out (a cycle between boards and statuses that NinjaDesk never needs).
"""

# ruff: noqa: E501 - one column per line, as Alga declares them; long names stay readable.

from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.psa.schema_types import (
    COMMENT_AUTHOR_TYPE,
    EMPTY_TEXT_ARRAY,
    TICKET_RESPONSE_STATE,
    Json,
    TextArray,
    UtcDateTime,
    Uuid,
    _postgres_check,
    _postgres_ddl,
    gen_uuid,
    metadata,
)

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("tenant", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("client_name", sa.Text, nullable=False),
    sa.Column("phone_number", sa.Text),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("industry", sa.Text),
    sa.Column("created_at", UtcDateTime()),
    sa.Column("updated_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("payment_platform_id", sa.Text),
    sa.Column("payment_method_id", sa.Text),
    sa.Column("auth_service_id", sa.Text),
    sa.Column("plan", sa.Text),
    sa.Column("tax_id_number", sa.String(255)),
    sa.Column("licensed_user_count", sa.Integer),
    sa.Column("last_license_update", UtcDateTime()),
    sa.Column("stripe_event_id", sa.String(255)),
    sa.Column("billing_source", sa.Text, nullable=False, server_default=sa.text("'stripe'")),
    sa.Column("product_code", sa.Text, server_default=sa.text("'psa'")),
    sa.Column("suspended_at", UtcDateTime()),
    sa.Column("suspended_reason", sa.Text),
    sa.PrimaryKeyConstraint("tenant", name="tenants_pkey"),
)
_postgres_check(
    tenants,
    "tenants_product_code_check",
    "CHECK (((product_code IS NOT NULL) AND (product_code = ANY (ARRAY['psa'::text, 'algadesk'::text]))))",
)
_postgres_check(
    tenants,
    "tenants_suspended_reason_check",
    "CHECK ((((suspended_at IS NULL) AND (suspended_reason IS NULL)) OR ((suspended_at IS NOT NULL) AND (suspended_reason = 'tenant_cancelled'::text))))",
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("user_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("hashed_password", sa.Text, nullable=False),
    sa.Column("first_name", sa.Text),
    sa.Column("last_name", sa.Text),
    sa.Column("date_of_birth", UtcDateTime()),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("icon", sa.Text),
    sa.Column("auth_method", sa.Text),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("updated_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("two_factor_enabled", sa.Boolean, server_default=sa.false()),
    sa.Column("two_factor_secret", sa.Text),
    sa.Column("is_google_user", sa.Boolean, server_default=sa.false()),
    sa.Column("rate", sa.BigInteger),
    sa.Column("is_inactive", sa.Boolean, server_default=sa.false()),
    sa.Column("user_type", sa.Text, nullable=False, server_default=sa.text("'internal'")),
    sa.Column("contact_id", Uuid),
    sa.Column("needs_contact_association", sa.Boolean, server_default=sa.false()),
    sa.Column("phone", sa.String(255)),
    sa.Column("timezone", sa.String(255)),
    sa.Column("last_login_at", UtcDateTime()),
    sa.Column("last_login_method", sa.String(50)),
    sa.Column("two_factor_required_new_device", sa.Boolean, server_default=sa.false()),
    sa.Column("reports_to", Uuid),
    sa.Column("client_portal_entra_metadata", Json),
    sa.Column("phone_extension", sa.Text),
    sa.PrimaryKeyConstraint("tenant", "user_id", "email", name="users_pkey"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="users_tenant_foreign"),
    sa.ForeignKeyConstraint(
        ["tenant", "reports_to"],
        ["users.tenant", "users.user_id"],
        name="users_tenant_reports_to_foreign",
    ),
    sa.UniqueConstraint("tenant", "user_id", name="users_tenant_user_id_unique"),
)
_postgres_check(
    users,
    "users_user_type_check",
    "CHECK ((user_type = ANY (ARRAY['internal'::text, 'client'::text])))",
)

roles = sa.Table(
    "roles",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("role_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("role_name", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("updated_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("msp", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("client", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("tenant", "role_id", name="roles_pkey"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="roles_tenant_foreign"),
)

permissions = sa.Table(
    "permissions",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("permission_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("resource", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("msp", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("client", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("description", sa.Text),
    sa.PrimaryKeyConstraint("tenant", "permission_id", name="permissions_pkey"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="permissions_tenant_foreign"),
)

role_permissions = sa.Table(
    "role_permissions",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("role_id", Uuid, nullable=False),
    sa.Column("permission_id", Uuid, nullable=False),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.PrimaryKeyConstraint("tenant", "role_id", "permission_id", name="role_permissions_pkey"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="role_permissions_tenant_foreign"),
    sa.ForeignKeyConstraint(
        ["tenant", "permission_id"],
        ["permissions.tenant", "permissions.permission_id"],
        name="role_permissions_tenant_permission_id_foreign",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "role_id"],
        ["roles.tenant", "roles.role_id"],
        name="role_permissions_tenant_role_id_foreign",
    ),
)

user_roles = sa.Table(
    "user_roles",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("user_id", Uuid, nullable=False),
    sa.Column("role_id", Uuid, nullable=False),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.PrimaryKeyConstraint("tenant", "user_id", "role_id", name="user_roles_pkey"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="user_roles_tenant_foreign"),
    sa.ForeignKeyConstraint(
        ["tenant", "role_id"],
        ["roles.tenant", "roles.role_id"],
        name="user_roles_tenant_role_id_foreign",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "user_id"],
        ["users.tenant", "users.user_id"],
        name="user_roles_tenant_user_id_foreign",
    ),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("api_key_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("api_key", sa.String(255), nullable=False),
    sa.Column("user_id", Uuid, nullable=False),
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("description", sa.String(255)),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column(
        "updated_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column("last_used_at", UtcDateTime()),
    sa.Column("expires_at", UtcDateTime()),
    sa.Column("purpose", sa.String(255), nullable=False, server_default=sa.text("'general'")),
    sa.Column("metadata", Json),
    sa.Column("usage_limit", sa.Integer),
    sa.Column("usage_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.UniqueConstraint("api_key", name="api_keys_api_key_unique"),
    sa.PrimaryKeyConstraint("api_key_id", name="api_keys_pkey"),
)
sa.Index("api_keys_api_key_index", api_keys.c.api_key)

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("client_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("client_name", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("properties", Json),
    sa.Column("billing_type", sa.Text),
    sa.Column("payment_terms", sa.Text),
    sa.Column("credit_limit", sa.BigInteger),
    sa.Column("preferred_payment_method", sa.Text),
    sa.Column("auto_invoice", sa.Boolean, server_default=sa.false()),
    sa.Column("invoice_delivery_method", sa.Text),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("updated_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("is_inactive", sa.Boolean, server_default=sa.false()),
    sa.Column("client_type", sa.Text, nullable=False, server_default=sa.text("'company'")),
    sa.Column("is_tax_exempt", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("tax_exemption_certificate", sa.String(255)),
    sa.Column("tax_id_number", sa.String(255)),
    sa.Column("notes", sa.Text),
    sa.Column("billing_cycle", sa.Text, nullable=False, server_default=sa.text("'monthly'")),
    sa.Column("timezone", sa.String(255)),
    sa.Column("notes_document_id", Uuid),
    sa.Column("invoice_template_id", Uuid),
    sa.Column("billing_contact_id", Uuid),
    sa.Column("billing_email", sa.String(255)),
    sa.Column("region_code", sa.String(255)),
    sa.Column("account_manager_id", Uuid),
    sa.Column(
        "default_currency_code", sa.String(3), nullable=False, server_default=sa.text("'USD'")
    ),
    sa.Column("sla_policy_id", Uuid),
    sa.Column("inbound_ticket_defaults_id", Uuid),
    sa.Column("lifecycle_status", sa.Text, nullable=False, server_default=sa.text("'active'")),
    sa.UniqueConstraint("client_id", name="clients_client_id_unique"),
    sa.PrimaryKeyConstraint("tenant", "client_id", name="clients_pkey"),
    sa.UniqueConstraint("tenant", "client_name", name="clients_tenant_client_name_unique"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="clients_tenant_foreign"),
)
sa.Index("idx_clients_tenant_client_name", clients.c.tenant, clients.c.client_name)
_postgres_check(
    clients,
    "clients_billing_cycle_check",
    "CHECK ((billing_cycle = ANY (ARRAY['weekly'::text, 'bi-weekly'::text, 'monthly'::text, 'quarterly'::text, 'semi-annually'::text, 'annually'::text])))",
)
_postgres_check(
    clients,
    "clients_client_type_check",
    "CHECK ((client_type = ANY (ARRAY['company'::text, 'individual'::text])))",
)
_postgres_check(
    clients,
    "clients_lifecycle_status_check",
    "CHECK ((lifecycle_status = ANY (ARRAY['prospect'::text, 'active'::text, 'former'::text])))",
)

boards = sa.Table(
    "boards",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("board_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("board_name", sa.Text, nullable=False),
    sa.Column("display_contact_name_id", sa.Boolean, server_default=sa.true()),
    sa.Column("display_priority", sa.Boolean, server_default=sa.true()),
    sa.Column("display_severity", sa.Boolean, server_default=sa.true()),
    sa.Column("display_urgency", sa.Boolean, server_default=sa.true()),
    sa.Column("display_impact", sa.Boolean, server_default=sa.true()),
    sa.Column("display_category", sa.Boolean, server_default=sa.true()),
    sa.Column("display_subcategory", sa.Boolean, server_default=sa.true()),
    sa.Column("display_assigned_to", sa.Boolean, server_default=sa.true()),
    sa.Column("display_status", sa.Boolean, server_default=sa.true()),
    sa.Column("display_due_date", sa.Boolean, server_default=sa.true()),
    sa.Column("is_inactive", sa.Boolean, server_default=sa.false()),
    sa.Column("is_default", sa.Boolean, server_default=sa.false()),
    sa.Column("display_itil_impact", sa.Boolean, server_default=sa.false()),
    sa.Column("display_itil_urgency", sa.Boolean, server_default=sa.false()),
    sa.Column("category_type", sa.Text, server_default=sa.text("'custom'")),
    sa.Column("priority_type", sa.Text, server_default=sa.text("'custom'")),
    sa.Column("display_order", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("description", sa.Text),
    sa.Column("default_assigned_to", Uuid),
    sa.Column("default_priority_id", Uuid),
    sa.Column("sla_policy_id", Uuid),
    sa.Column("manager_user_id", Uuid),
    sa.Column("default_assigned_team_id", Uuid),
    sa.Column("enable_live_ticket_timer", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column(
        "inbound_reply_reopen_enabled", sa.Boolean, nullable=False, server_default=sa.false()
    ),
    sa.Column(
        "inbound_reply_reopen_cutoff_hours",
        sa.Integer,
        nullable=False,
        server_default=sa.text("168"),
    ),
    sa.Column("inbound_reply_reopen_status_id", Uuid),
    sa.Column(
        "inbound_reply_ai_ack_suppression_enabled",
        sa.Boolean,
        nullable=False,
        server_default=sa.false(),
    ),
    sa.Column("is_pinned", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("list_view_settings", Json),
    sa.ForeignKeyConstraint(
        ["tenant", "default_priority_id"],
        ["priorities.tenant", "priorities.priority_id"],
        name="boards_default_priority_fk",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "manager_user_id"],
        ["users.tenant", "users.user_id"],
        name="boards_manager_user_id_foreign",
    ),
    sa.PrimaryKeyConstraint("tenant", "board_id", name="boards_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "default_assigned_to"],
        ["users.tenant", "users.user_id"],
        name="boards_tenant_default_assigned_to_foreign",
    ),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="boards_tenant_foreign"),
)
_postgres_check(
    boards,
    "boards_category_type_check",
    "CHECK ((category_type = ANY (ARRAY['custom'::text, 'itil'::text])))",
)
_postgres_check(
    boards,
    "boards_priority_type_check",
    "CHECK ((priority_type = ANY (ARRAY['custom'::text, 'itil'::text])))",
)

statuses = sa.Table(
    "statuses",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("status_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status_type", sa.Text, nullable=False),
    sa.Column("order_number", sa.Integer, nullable=False),
    sa.Column("created_by", Uuid),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("is_closed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("item_type", sa.Text),
    sa.Column("is_default", sa.Boolean, server_default=sa.false()),
    sa.Column("color", sa.String(7)),
    sa.Column("icon", sa.String(50)),
    sa.Column("board_id", Uuid),
    sa.PrimaryKeyConstraint("tenant", "status_id", name="statuses_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "board_id"],
        ["boards.tenant", "boards.board_id"],
        name="statuses_tenant_board_id_fk",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "created_by"],
        ["users.tenant", "users.user_id"],
        name="statuses_tenant_created_by_foreign",
    ),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="statuses_tenant_foreign"),
)
sa.Index("statuses_tenant_board_id_idx", statuses.c.tenant, statuses.c.board_id)
_postgres_check(
    statuses,
    "statuses_item_type_check",
    "CHECK ((item_type = ANY (ARRAY['project'::text, 'project_task'::text, 'ticket'::text, 'interaction'::text])))",
)
_postgres_check(
    statuses,
    "statuses_status_type_check",
    "CHECK ((status_type = ANY (ARRAY['project'::text, 'ticket'::text, 'project_task'::text, 'interaction'::text])))",
)

priorities = sa.Table(
    "priorities",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("priority_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("priority_name", sa.Text, nullable=False),
    sa.Column("created_by", Uuid, nullable=False),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("order_number", sa.Integer, server_default=sa.text("50")),
    sa.Column("color", sa.Text, server_default=sa.text("'#6B7280'")),
    sa.Column("item_type", sa.Text, server_default=sa.text("'ticket'")),
    sa.Column("updated_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("is_from_itil_standard", sa.Boolean, server_default=sa.false()),
    sa.Column("itil_priority_level", sa.Integer),
    sa.PrimaryKeyConstraint("tenant", "priority_id", name="priorities_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "created_by"],
        ["users.tenant", "users.user_id"],
        name="priorities_tenant_created_by_foreign",
    ),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="priorities_tenant_foreign"),
    sa.UniqueConstraint(
        "tenant", "priority_name", "item_type", name="priorities_tenant_name_type_unique"
    ),
)
_postgres_check(
    priorities,
    "priorities_item_type_check",
    "CHECK ((item_type = ANY (ARRAY['ticket'::text, 'project_task'::text])))",
)

next_number = sa.Table(
    "next_number",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("entity_type", sa.Text, nullable=False),
    sa.Column("last_number", sa.BigInteger, nullable=False, server_default=sa.text("'0'")),
    sa.Column("initial_value", sa.BigInteger, nullable=False, server_default=sa.text("'1000'")),
    sa.Column("prefix", sa.Text, server_default=sa.text("'TIC'")),
    sa.Column("padding_length", sa.Integer, server_default=sa.text("6")),
    sa.PrimaryKeyConstraint("tenant", "entity_type", name="next_number_pkey"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="next_number_tenant_foreign"),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("ticket_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("ticket_number", sa.Text, nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("url", sa.Text),
    sa.Column("contact_name_id", Uuid),
    sa.Column("status_id", Uuid),
    sa.Column("category_id", Uuid),
    sa.Column("subcategory_id", Uuid),
    sa.Column("priority_id", Uuid),
    sa.Column("severity_id", Uuid),
    sa.Column("urgency_id", Uuid),
    sa.Column("impact_id", Uuid),
    sa.Column("entered_by", Uuid),
    sa.Column("updated_by", Uuid),
    sa.Column("assigned_to", Uuid),
    sa.Column("closed_by", Uuid),
    sa.Column("entered_at", UtcDateTime()),
    sa.Column("updated_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("closed_at", UtcDateTime()),
    sa.Column("is_closed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("attributes", Json),
    sa.Column("due_date", UtcDateTime()),
    sa.Column("location_id", Uuid),
    sa.Column("email_metadata", Json),
    sa.Column("itil_impact", sa.Integer),
    sa.Column("itil_urgency", sa.Integer),
    sa.Column("itil_priority_level", sa.Integer),
    sa.Column("escalated", sa.Boolean, server_default=sa.false()),
    sa.Column("escalation_level", sa.Integer),
    sa.Column("escalated_at", UtcDateTime()),
    sa.Column("escalated_by", Uuid),
    sa.Column("board_id", Uuid),
    sa.Column("client_id", Uuid, nullable=False),
    sa.Column("response_state", TICKET_RESPONSE_STATE),
    sa.Column("master_ticket_id", Uuid),
    sa.Column("source", sa.Text),
    sa.Column("ticket_origin", sa.Text, server_default=sa.text("'internal'")),
    sa.Column("sla_policy_id", Uuid),
    sa.Column("sla_started_at", UtcDateTime()),
    sa.Column("sla_response_due_at", UtcDateTime()),
    sa.Column("sla_response_at", UtcDateTime()),
    sa.Column("sla_response_met", sa.Boolean),
    sa.Column("sla_resolution_due_at", UtcDateTime()),
    sa.Column("sla_resolution_at", UtcDateTime()),
    sa.Column("sla_resolution_met", sa.Boolean),
    sa.Column("sla_paused_at", UtcDateTime()),
    sa.Column("sla_total_pause_minutes", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("assigned_team_id", Uuid),
    sa.Column("billing_profile_id", Uuid),
    sa.ForeignKeyConstraint(
        ["client_id"], ["clients.client_id"], name="tickets_client_id_foreign", ondelete="CASCADE"
    ),
    sa.PrimaryKeyConstraint("tenant", "ticket_id", name="tickets_pkey"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="tickets_tenant_foreign"),
    sa.ForeignKeyConstraint(
        ["tenant", "status_id"],
        ["statuses.tenant", "statuses.status_id"],
        name="tickets_tenant_status_id_foreign",
    ),
    sa.UniqueConstraint(
        "tenant", "ticket_id", "assigned_to", name="tickets_tenant_ticket_id_assigned_to_unique"
    ),
    sa.UniqueConstraint("tenant", "ticket_number", name="tickets_tenant_ticket_number_unique"),
)
_postgres_check(
    tickets,
    "tickets_escalation_level_check",
    "CHECK (((escalation_level >= 1) AND (escalation_level <= 3)))",
)
_postgres_check(
    tickets, "tickets_itil_impact_check", "CHECK (((itil_impact >= 1) AND (itil_impact <= 5)))"
)
_postgres_check(
    tickets,
    "tickets_itil_priority_level_check",
    "CHECK (((itil_priority_level >= 1) AND (itil_priority_level <= 5)))",
)
_postgres_check(
    tickets, "tickets_itil_urgency_check", "CHECK (((itil_urgency >= 1) AND (itil_urgency <= 5)))"
)

comment_threads = sa.Table(
    "comment_threads",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("thread_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("ticket_id", Uuid),
    sa.Column("project_task_id", Uuid),
    sa.Column("root_comment_id", Uuid, nullable=False),
    sa.Column("is_internal", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reply_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column(
        "last_activity_at",
        UtcDateTime(),
        nullable=False,
        server_default=sa.text("CURRENT_TIMESTAMP"),
    ),
    sa.Column("email_message_id", sa.Text),
    sa.Column("email_references", TextArray, nullable=False, server_default=EMPTY_TEXT_ARRAY),
    sa.Column("email_provider_thread_id", sa.Text),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column("created_by", Uuid),
    sa.PrimaryKeyConstraint("tenant", "thread_id", name="comment_threads_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant"], ["tenants.tenant"], name="comment_threads_tenant_foreign", ondelete="CASCADE"
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "ticket_id"],
        ["tickets.tenant", "tickets.ticket_id"],
        name="comment_threads_ticket_fk",
        ondelete="CASCADE",
    ),
)
_postgres_check(
    comment_threads,
    "comment_threads_exactly_one_parent_check",
    "CHECK (((((ticket_id IS NOT NULL))::integer + ((project_task_id IS NOT NULL))::integer) = 1))",
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("comment_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("ticket_id", Uuid, nullable=False),
    sa.Column("user_id", Uuid),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("is_internal", sa.Boolean, nullable=False),
    sa.Column("is_resolution", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("updated_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("author_type", COMMENT_AUTHOR_TYPE, server_default=sa.text("'unknown'")),
    sa.Column("markdown_content", sa.Text),
    sa.Column("metadata", Json),
    sa.Column("is_system_generated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("contact_id", Uuid),
    sa.Column("thread_id", Uuid, nullable=False),
    sa.Column("parent_comment_id", Uuid),
    sa.Column("deleted_at", UtcDateTime()),
    sa.Column(
        "publish_state", sa.String(16), nullable=False, server_default=sa.text("'published'")
    ),
    sa.Column("scheduled_publish_at", UtcDateTime()),
    sa.Column("scheduled_publish_tz", sa.String(64)),
    sa.Column("published_at", UtcDateTime()),
    sa.Column("schedule_job_id", Uuid),
    sa.Column("scheduled_publish_event_id", Uuid),
    sa.Column("scheduled_publish_dispatched_at", UtcDateTime()),
    sa.Column("scheduled_response_event_id", Uuid),
    sa.Column("scheduled_previous_response_state", sa.String(32)),
    sa.Column("scheduled_response_dispatched_at", UtcDateTime()),
    sa.ForeignKeyConstraint(
        ["tenant", "parent_comment_id"],
        ["comments.tenant", "comments.comment_id"],
        name="comments_parent_comment_fk",
        ondelete="CASCADE",
    ),
    sa.PrimaryKeyConstraint("tenant", "comment_id", name="comments_pkey"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="comments_tenant_foreign"),
    sa.ForeignKeyConstraint(
        ["tenant", "ticket_id"],
        ["tickets.tenant", "tickets.ticket_id"],
        name="comments_tenant_ticket_id_foreign",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "user_id"],
        ["users.tenant", "users.user_id"],
        name="comments_tenant_user_id_foreign",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "thread_id"],
        ["comment_threads.tenant", "comment_threads.thread_id"],
        name="comments_thread_fk",
        ondelete="CASCADE",
    ),
)
_postgres_check(
    comments,
    "comments_publish_state_check",
    "CHECK (((publish_state)::text = ANY ((ARRAY['published'::character varying, 'scheduled'::character varying, 'canceled'::character varying])::text[])))",
)

ticket_audit_logs = sa.Table(
    "ticket_audit_logs",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("audit_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("ticket_id", Uuid, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("entity_type", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(128)),
    sa.Column("actor_type", sa.String(32), nullable=False),
    sa.Column("actor_user_id", Uuid),
    sa.Column("actor_contact_id", Uuid),
    sa.Column("actor_display_name", sa.String(256)),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("changes", Json, nullable=False, server_default=sa.text("'{}'")),
    sa.Column("details", Json, nullable=False, server_default=sa.text("'{}'")),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "actor_user_id"],
        ["users.tenant", "users.user_id"],
        name="ticket_audit_logs_actor_user_fkey",
    ),
    sa.PrimaryKeyConstraint("tenant", "audit_id", name="ticket_audit_logs_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant"], ["tenants.tenant"], name="ticket_audit_logs_tenant_foreign"
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "ticket_id"],
        ["tickets.tenant", "tickets.ticket_id"],
        name="ticket_audit_logs_ticket_fkey",
    ),
)
sa.Index(
    "ticket_audit_logs_ticket_time_idx",
    ticket_audit_logs.c.tenant,
    ticket_audit_logs.c.ticket_id,
    ticket_audit_logs.c.occurred_at,
    ticket_audit_logs.c.audit_id,
)

assets = sa.Table(
    "assets",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("asset_tag", sa.Text, nullable=False),
    sa.Column("serial_number", sa.Text),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("location", sa.Text),
    sa.Column("purchase_date", UtcDateTime()),
    sa.Column("warranty_end_date", UtcDateTime()),
    sa.Column("attributes", Json),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("updated_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("asset_type", sa.Text, nullable=False, server_default=sa.text("'unknown'")),
    sa.Column("client_id", Uuid, nullable=False),
    sa.Column("rmm_provider", sa.String(50)),
    sa.Column("rmm_device_id", sa.String(255)),
    sa.Column("rmm_organization_id", sa.String(255)),
    sa.Column("agent_status", sa.String(20)),
    sa.Column("last_seen_at", UtcDateTime()),
    sa.Column("last_rmm_sync_at", UtcDateTime()),
    sa.Column("notes_document_id", Uuid),
    sa.Column("location_id", Uuid),
    sa.Column("service_id", Uuid),
    sa.Column("stock_unit_id", Uuid),
    sa.ForeignKeyConstraint(
        ["client_id"], ["clients.client_id"], name="assets_client_id_foreign", ondelete="CASCADE"
    ),
    sa.PrimaryKeyConstraint("tenant", "asset_id", name="assets_pkey"),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="assets_tenant_foreign"),
)
sa.Index("idx_assets_rmm_device", assets.c.tenant, assets.c.rmm_provider, assets.c.rmm_device_id)

workstation_assets = sa.Table(
    "workstation_assets",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("os_type", sa.String(255)),
    sa.Column("os_version", sa.String(255)),
    sa.Column("cpu_model", sa.String(255)),
    sa.Column("cpu_cores", sa.Integer),
    sa.Column("ram_gb", sa.Integer),
    sa.Column("storage_type", sa.String(255)),
    sa.Column("storage_capacity_gb", sa.Integer),
    sa.Column("gpu_model", sa.String(255)),
    sa.Column("last_login", UtcDateTime()),
    sa.Column("installed_software", Json, server_default=sa.text("'[]'")),
    sa.Column("agent_version", sa.String(255)),
    sa.Column("antivirus_status", sa.String(50)),
    sa.Column("antivirus_product", sa.String(255)),
    sa.Column("last_reboot_at", UtcDateTime()),
    sa.Column("pending_patches", sa.Integer),
    sa.Column("failed_patches", sa.Integer),
    sa.Column("last_patch_scan_at", UtcDateTime()),
    sa.Column("system_info", Json, server_default=sa.text("'{}'")),
    sa.Column("current_user", sa.String(255)),
    sa.Column("uptime_seconds", sa.BigInteger),
    sa.Column("lan_ip", sa.String(45)),
    sa.Column("wan_ip", sa.String(45)),
    sa.Column("cpu_utilization_percent", sa.Numeric(5, 2)),
    sa.Column("memory_usage_percent", sa.Numeric(5, 2)),
    sa.Column("memory_used_gb", sa.Numeric(10, 2)),
    sa.Column("disk_usage", Json, server_default=sa.text("'[]'")),
    sa.Column("pending_os_patches", sa.Integer),
    sa.Column("pending_software_patches", sa.Integer),
    sa.PrimaryKeyConstraint("tenant", "asset_id", name="workstation_assets_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "asset_id"],
        ["assets.tenant", "assets.asset_id"],
        name="workstation_assets_tenant_asset_id_foreign",
        ondelete="CASCADE",
    ),
)

server_assets = sa.Table(
    "server_assets",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("os_type", sa.String(255)),
    sa.Column("os_version", sa.String(255)),
    sa.Column("cpu_model", sa.String(255)),
    sa.Column("cpu_cores", sa.Integer),
    sa.Column("ram_gb", sa.Integer),
    sa.Column("storage_config", Json, server_default=sa.text("'[]'")),
    sa.Column("raid_config", sa.String(255)),
    sa.Column("is_virtual", sa.Boolean, server_default=sa.false()),
    sa.Column("hypervisor", sa.String(255)),
    sa.Column("network_interfaces", Json, server_default=sa.text("'[]'")),
    sa.Column("primary_ip", sa.String(255)),
    sa.Column("installed_services", Json, server_default=sa.text("'[]'")),
    sa.Column("agent_version", sa.String(255)),
    sa.Column("antivirus_status", sa.String(50)),
    sa.Column("antivirus_product", sa.String(255)),
    sa.Column("last_reboot_at", UtcDateTime()),
    sa.Column("pending_patches", sa.Integer),
    sa.Column("failed_patches", sa.Integer),
    sa.Column("last_patch_scan_at", UtcDateTime()),
    sa.Column("system_info", Json, server_default=sa.text("'{}'")),
    sa.Column("disk_usage", Json, server_default=sa.text("'[]'")),
    sa.Column("cpu_usage_percent", sa.Numeric(5, 2)),
    sa.Column("memory_usage_percent", sa.Numeric(5, 2)),
    sa.Column("current_user", sa.String(255)),
    sa.Column("uptime_seconds", sa.BigInteger),
    sa.Column("lan_ip", sa.String(45)),
    sa.Column("wan_ip", sa.String(45)),
    sa.Column("memory_used_gb", sa.Numeric(10, 2)),
    sa.Column("pending_os_patches", sa.Integer),
    sa.Column("pending_software_patches", sa.Integer),
    sa.Column("installed_software", Json, server_default=sa.text("'[]'")),
    sa.PrimaryKeyConstraint("tenant", "asset_id", name="server_assets_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "asset_id"],
        ["assets.tenant", "assets.asset_id"],
        name="server_assets_tenant_asset_id_foreign",
        ondelete="CASCADE",
    ),
)

network_device_assets = sa.Table(
    "network_device_assets",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("device_type", sa.Text, nullable=False),
    sa.Column("management_ip", sa.String(255)),
    sa.Column("port_count", sa.Integer),
    sa.Column("firmware_version", sa.String(255)),
    sa.Column("supports_poe", sa.Boolean, server_default=sa.false()),
    sa.Column("power_draw_watts", sa.Numeric(8, 2)),
    sa.Column("vlan_config", Json, server_default=sa.text("'{}'")),
    sa.Column("port_config", Json, server_default=sa.text("'{}'")),
    sa.PrimaryKeyConstraint("tenant", "asset_id", name="network_device_assets_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "asset_id"],
        ["assets.tenant", "assets.asset_id"],
        name="network_device_assets_tenant_asset_id_foreign",
        ondelete="CASCADE",
    ),
)
_postgres_check(
    network_device_assets,
    "network_device_assets_device_type_check",
    "CHECK ((device_type = ANY (ARRAY['switch'::text, 'router'::text, 'firewall'::text, 'access_point'::text, 'load_balancer'::text])))",
)

mobile_device_assets = sa.Table(
    "mobile_device_assets",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("os_type", sa.String(255)),
    sa.Column("os_version", sa.String(255)),
    sa.Column("model", sa.String(255)),
    sa.Column("imei", sa.String(255)),
    sa.Column("phone_number", sa.String(255)),
    sa.Column("carrier", sa.String(255)),
    sa.Column("last_check_in", UtcDateTime()),
    sa.Column("is_supervised", sa.Boolean, server_default=sa.false()),
    sa.Column("installed_apps", Json, server_default=sa.text("'[]'")),
    sa.PrimaryKeyConstraint("tenant", "asset_id", name="mobile_device_assets_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "asset_id"],
        ["assets.tenant", "assets.asset_id"],
        name="mobile_device_assets_tenant_asset_id_foreign",
        ondelete="CASCADE",
    ),
)

printer_assets = sa.Table(
    "printer_assets",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("model", sa.String(255)),
    sa.Column("ip_address", sa.String(255)),
    sa.Column("is_network_printer", sa.Boolean, server_default=sa.true()),
    sa.Column("supports_color", sa.Boolean, server_default=sa.false()),
    sa.Column("supports_duplex", sa.Boolean, server_default=sa.false()),
    sa.Column("max_paper_size", sa.Integer),
    sa.Column("supported_paper_types", Json, server_default=sa.text("'[]'")),
    sa.Column("monthly_duty_cycle", sa.Integer),
    sa.Column("supply_levels", Json, server_default=sa.text("'{}'")),
    sa.PrimaryKeyConstraint("tenant", "asset_id", name="printer_assets_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "asset_id"],
        ["assets.tenant", "assets.asset_id"],
        name="printer_assets_tenant_asset_id_foreign",
        ondelete="CASCADE",
    ),
)

asset_history = sa.Table(
    "asset_history",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("history_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("changed_by", Uuid, nullable=False),
    sa.Column("change_type", sa.Text, nullable=False),
    sa.Column("changes", Json, nullable=False),
    sa.Column("changed_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.PrimaryKeyConstraint("tenant", "history_id", name="asset_history_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "asset_id"],
        ["assets.tenant", "assets.asset_id"],
        name="asset_history_tenant_asset_id_foreign",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "changed_by"],
        ["users.tenant", "users.user_id"],
        name="asset_history_tenant_changed_by_foreign",
    ),
    sa.ForeignKeyConstraint(["tenant"], ["tenants.tenant"], name="asset_history_tenant_foreign"),
)

asset_associations = sa.Table(
    "asset_associations",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("entity_id", Uuid, nullable=False),
    sa.Column("entity_type", sa.String(255), nullable=False),
    sa.Column(
        "relationship_type", sa.String(255), nullable=False, server_default=sa.text("'affected'")
    ),
    sa.Column("created_at", UtcDateTime(), server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("created_by", Uuid, nullable=False),
    sa.Column("notes", sa.Text),
    sa.PrimaryKeyConstraint(
        "tenant", "asset_id", "entity_id", "entity_type", name="asset_associations_pkey"
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "asset_id"],
        ["assets.tenant", "assets.asset_id"],
        name="asset_associations_tenant_asset_id_foreign",
        ondelete="CASCADE",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "created_by"],
        ["users.tenant", "users.user_id"],
        name="asset_associations_tenant_created_by_foreign",
    ),
    sa.ForeignKeyConstraint(
        ["tenant"], ["tenants.tenant"], name="asset_associations_tenant_foreign"
    ),
)

software_catalog = sa.Table(
    "software_catalog",
    metadata,
    sa.Column("software_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("publisher", sa.String(255)),
    sa.Column("normalized_name", sa.String(500), nullable=False),
    sa.Column("category", sa.String(100)),
    sa.Column(
        "software_type", sa.String(50), nullable=False, server_default=sa.text("'application'")
    ),
    sa.Column("is_managed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_security_relevant", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column(
        "updated_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.UniqueConstraint(
        "tenant", "normalized_name", "publisher", name="idx_software_catalog_unique_name_publisher"
    ),
    sa.PrimaryKeyConstraint("tenant", "software_id", name="software_catalog_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant"], ["tenants.tenant"], name="software_catalog_tenant_foreign", ondelete="CASCADE"
    ),
)
sa.Index("idx_software_catalog_name", software_catalog.c.tenant, software_catalog.c.normalized_name)

asset_software = sa.Table(
    "asset_software",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("software_id", Uuid, nullable=False),
    sa.Column("version", sa.String(100)),
    sa.Column("install_date", sa.Date),
    sa.Column("install_path", sa.Text),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column(
        "first_seen_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column(
        "last_seen_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column("is_current", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("uninstalled_at", UtcDateTime()),
    sa.PrimaryKeyConstraint("tenant", "asset_id", "software_id", name="asset_software_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "asset_id"],
        ["assets.tenant", "assets.asset_id"],
        name="asset_software_tenant_asset_id_foreign",
        ondelete="CASCADE",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "software_id"],
        ["software_catalog.tenant", "software_catalog.software_id"],
        name="asset_software_tenant_software_id_foreign",
        ondelete="CASCADE",
    ),
)
sa.Index(
    "idx_asset_software_asset_current",
    asset_software.c.tenant,
    asset_software.c.asset_id,
    asset_software.c.is_current,
)

rmm_integrations = sa.Table(
    "rmm_integrations",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("provider", sa.String(50), nullable=False),
    sa.Column("instance_url", sa.String(255)),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("connected_at", UtcDateTime()),
    sa.Column("last_sync_at", UtcDateTime()),
    sa.Column("last_full_sync_at", UtcDateTime()),
    sa.Column("last_incremental_sync_at", UtcDateTime()),
    sa.Column("sync_status", sa.String(20), server_default=sa.text("'pending'")),
    sa.Column("sync_error", sa.Text),
    sa.Column("settings", Json, server_default=sa.text("'{}'")),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column(
        "updated_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.UniqueConstraint("tenant", "provider", name="idx_rmm_integrations_tenant_provider"),
    sa.PrimaryKeyConstraint("tenant", "integration_id", name="rmm_integrations_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant"], ["tenants.tenant"], name="rmm_integrations_tenant_foreign", ondelete="CASCADE"
    ),
)

rmm_organization_mappings = sa.Table(
    "rmm_organization_mappings",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("mapping_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("external_organization_id", sa.String(255), nullable=False),
    sa.Column("external_organization_name", sa.String(255)),
    sa.Column("client_id", Uuid),
    sa.Column("auto_sync_assets", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("auto_create_tickets", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("metadata", Json, server_default=sa.text("'{}'")),
    sa.Column("last_synced_at", UtcDateTime()),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column(
        "updated_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column("default_contact_id", Uuid),
    sa.UniqueConstraint(
        "tenant",
        "integration_id",
        "external_organization_id",
        name="idx_rmm_org_mappings_unique_external",
    ),
    sa.PrimaryKeyConstraint("tenant", "mapping_id", name="rmm_organization_mappings_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "integration_id"],
        ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
        name="rmm_organization_mappings_tenant_integration_id_foreign",
        ondelete="CASCADE",
    ),
)
_postgres_ddl(
    rmm_organization_mappings,
    "ALTER TABLE rmm_organization_mappings ADD CONSTRAINT rmm_organization_mappings_tenant_client_id_foreign"
    " FOREIGN KEY (tenant, client_id) REFERENCES clients(tenant, client_id) ON DELETE SET NULL (client_id)",
)
sa.Index(
    "idx_rmm_org_mappings_client",
    rmm_organization_mappings.c.tenant,
    rmm_organization_mappings.c.client_id,
)

rmm_alerts = sa.Table(
    "rmm_alerts",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("alert_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("external_alert_id", sa.String(255), nullable=False),
    sa.Column("external_device_id", sa.String(255)),
    sa.Column("asset_id", Uuid),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("priority", sa.String(20)),
    sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'active'")),
    sa.Column("source_type", sa.String(50)),
    sa.Column("alert_class", sa.String(100)),
    sa.Column("message", sa.Text),
    sa.Column("device_name", sa.Text),
    sa.Column("ticket_id", Uuid),
    sa.Column("triggered_at", UtcDateTime()),
    sa.Column("resolved_at", UtcDateTime()),
    sa.Column("metadata", Json, server_default=sa.text("'{}'")),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column(
        "updated_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column("activity_type", sa.String(100)),
    sa.Column("acknowledged_at", UtcDateTime()),
    sa.Column("acknowledged_by", Uuid),
    sa.Column("dedup_key", sa.String(255)),
    sa.Column("occurrence_count", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("last_occurrence_at", UtcDateTime()),
    sa.Column("matched_rule_id", Uuid),
    sa.Column("auto_ticket_created", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("suppressed_by_window_id", Uuid),
    sa.UniqueConstraint(
        "tenant", "integration_id", "external_alert_id", name="idx_rmm_alerts_unique_external"
    ),
    sa.PrimaryKeyConstraint("tenant", "alert_id", name="rmm_alerts_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "integration_id"],
        ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
        name="rmm_alerts_tenant_integration_id_foreign",
        ondelete="CASCADE",
    ),
)
_postgres_ddl(
    rmm_alerts,
    "ALTER TABLE rmm_alerts ADD CONSTRAINT rmm_alerts_tenant_asset_id_foreign"
    " FOREIGN KEY (tenant, asset_id) REFERENCES assets(tenant, asset_id) ON DELETE SET NULL (asset_id)",
)
sa.Index("idx_rmm_alerts_status", rmm_alerts.c.tenant, rmm_alerts.c.status)
sa.Index("idx_rmm_alerts_asset", rmm_alerts.c.tenant, rmm_alerts.c.asset_id)
sa.Index(
    "idx_rmm_alerts_dedup", rmm_alerts.c.tenant, rmm_alerts.c.integration_id, rmm_alerts.c.dedup_key
)

rmm_alert_rules = sa.Table(
    "rmm_alert_rules",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("rule_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("priority_order", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column(
        "updated_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column("conditions", Json, nullable=False, server_default=sa.text("'{}'")),
    sa.Column("actions", Json, nullable=False, server_default=sa.text("'{}'")),
    sa.PrimaryKeyConstraint("tenant", "rule_id", name="rmm_alert_rules_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "integration_id"],
        ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
        name="rmm_alert_rules_tenant_integration_id_foreign",
        ondelete="CASCADE",
    ),
)

rmm_maintenance_windows = sa.Table(
    "rmm_maintenance_windows",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("window_id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("integration_id", Uuid),
    sa.Column("client_id", Uuid),
    sa.Column("asset_id", Uuid),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("starts_at", UtcDateTime()),
    sa.Column("ends_at", UtcDateTime()),
    sa.Column("recurrence", Json),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column(
        "updated_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.PrimaryKeyConstraint("tenant", "window_id", name="rmm_maintenance_windows_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant", "asset_id"],
        ["assets.tenant", "assets.asset_id"],
        name="rmm_maintenance_windows_tenant_asset_id_foreign",
        ondelete="CASCADE",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "client_id"],
        ["clients.tenant", "clients.client_id"],
        name="rmm_maintenance_windows_tenant_client_id_foreign",
        ondelete="CASCADE",
    ),
    sa.ForeignKeyConstraint(
        ["tenant"],
        ["tenants.tenant"],
        name="rmm_maintenance_windows_tenant_foreign",
        ondelete="CASCADE",
    ),
    sa.ForeignKeyConstraint(
        ["tenant", "integration_id"],
        ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
        name="rmm_maintenance_windows_tenant_integration_id_foreign",
        ondelete="CASCADE",
    ),
)

tenant_external_entity_mappings = sa.Table(
    "tenant_external_entity_mappings",
    metadata,
    sa.Column("id", Uuid, nullable=False, server_default=gen_uuid()),
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("integration_type", sa.String(50), nullable=False),
    sa.Column("alga_entity_type", sa.String(50), nullable=False),
    sa.Column("alga_entity_id", sa.String(255), nullable=False),
    sa.Column("external_entity_id", sa.String(255), nullable=False),
    sa.Column("external_realm_id", sa.String(255)),
    sa.Column("sync_status", sa.String(20), server_default=sa.text("'pending'")),
    sa.Column("last_synced_at", UtcDateTime()),
    sa.Column("metadata", Json),
    sa.Column(
        "created_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.Column(
        "updated_at", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.UniqueConstraint(
        "tenant",
        "integration_type",
        "alga_entity_type",
        "alga_entity_id",
        name="idx_unique_alga_mapping",
    ),
    sa.PrimaryKeyConstraint("id", "tenant", name="tenant_external_entity_mappings_pkey"),
    sa.ForeignKeyConstraint(
        ["tenant"],
        ["tenants.tenant"],
        name="tenant_external_entity_mappings_tenant_id_foreign",
        ondelete="CASCADE",
    ),
)

audit_logs = sa.Table(
    "audit_logs",
    metadata,
    sa.Column("audit_id", Uuid, nullable=False),
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("user_id", sa.String(255)),
    sa.Column("operation", sa.String(255), nullable=False),
    sa.Column("table_name", sa.String(255), nullable=False),
    sa.Column("record_id", sa.String(255), nullable=False),
    sa.Column("changed_data", Json, nullable=False),
    sa.Column("details", Json, nullable=False),
    sa.Column(
        "timestamp", UtcDateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    ),
    sa.PrimaryKeyConstraint("audit_id", name="audit_logs_pkey"),
)
