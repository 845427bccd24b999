"""NinjaDesk's own bookkeeping in the PSA database: tables prefixed `ninjadesk_`.

Everything Alga can show lives in Alga's tables (alga_schema.py). What only NinjaDesk needs to
do its job exactly once across many desktops and agents (leases, outbox, per-series pipeline
state, change fingerprints, its settings per integration) lives here, so an Alga database keeps
its own tables untouched and an admin can tell at a glance what NinjaDesk added.
"""

from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.psa.schema_types import Json, Uuid, metadata, tenant_column, utc_column

# How NinjaDesk runs for one Alga integration: which board and service user its tickets and
# history use, the severity -> priority map, and whether it owns sync or rides along.
ninjadesk_integration_settings = sa.Table(
    "ninjadesk_integration_settings",
    metadata,
    tenant_column(),
    sa.Column("integration_id", Uuid, nullable=False),
    # 'primary': NinjaDesk pushes assets and makes alert tickets.
    # 'companion': Alga's own NinjaOne sync does; NinjaDesk reads and remote-connects only.
    sa.Column("mode", sa.String(16), nullable=False, server_default="primary"),
    sa.Column("board_id", Uuid),
    sa.Column("service_user_id", Uuid),
    # {"critical": priority_id, "major": ..., ...}; absent keys fall back to the derived default.
    sa.Column("severity_priorities", Json, nullable=False, server_default=sa.text("'{}'")),
    # Alga's Redis, without its password (that comes from the keyring or the environment).
    sa.Column("alga_redis_url", sa.String(1024)),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "integration_id", name="ninjadesk_integration_settings_pkey"),
)

# Events written in the same transaction as the change they describe. `alga_event` rows are
# Alga bus events (TICKET_CREATED, ...), published to Alga's Redis streams after commit by the
# outbox publisher; the others are NinjaDesk's own rmm.* events.
ninjadesk_events_outbox = sa.Table(
    "ninjadesk_events_outbox",
    metadata,
    tenant_column(),
    sa.Column("event_id", Uuid, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("actor_user_id", Uuid),
    sa.Column("alga_event", sa.Boolean, nullable=False, server_default=sa.false()),
    utc_column("occurred_at", False),
    utc_column("published_at"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("last_error", sa.Text),
    sa.PrimaryKeyConstraint("tenant", "event_id", name="ninjadesk_events_outbox_pkey"),
    sa.Index("ninjadesk_events_outbox_pending_idx", "alga_event", "published_at", "occurred_at"),
)

# One push at a time per integration, across machines (a lease that expires if its holder dies).
ninjadesk_sync_leases = sa.Table(
    "ninjadesk_sync_leases",
    metadata,
    tenant_column(),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("holder", sa.String(255), nullable=False),
    utc_column("acquired_at", False),
    utc_column("expires_at", False),
    sa.PrimaryKeyConstraint("tenant", "integration_id", name="ninjadesk_sync_leases_pkey"),
)

# Per asset: what the last push wrote, so an unchanged device costs no write, and which fields
# a person edited in the PSA (never overwritten by a push).
ninjadesk_asset_sync = sa.Table(
    "ninjadesk_asset_sync",
    metadata,
    tenant_column(),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("software_fingerprint", sa.String(64)),
    sa.Column("locked_fields", Json, nullable=False, server_default=sa.text("'[]'")),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "asset_id", name="ninjadesk_asset_sync_pkey"),
    sa.Index("ninjadesk_asset_sync_device_idx", "tenant", "integration_id", "device_id"),
)

# A device re-imaged or re-enrolled under a new NinjaOne id, matched back to its asset.
ninjadesk_asset_device_lineage = sa.Table(
    "ninjadesk_asset_device_lineage",
    metadata,
    tenant_column(),
    sa.Column("lineage_id", Uuid, nullable=False),
    sa.Column("asset_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("previous_device_id", sa.String(64)),
    sa.Column("new_device_id", sa.String(64), nullable=False),
    sa.Column("matched_by", sa.String(16), nullable=False),
    utc_column("recorded_at", False),
    sa.PrimaryKeyConstraint("tenant", "lineage_id", name="ninjadesk_asset_device_lineage_pkey"),
)

# Per alert series: pipeline state beside Alga's rmm_alerts row (newest activity applied,
# repeat count, facts rules look at, why it was resolved).
ninjadesk_alert_series = sa.Table(
    "ninjadesk_alert_series",
    metadata,
    tenant_column(),
    sa.Column("alert_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("series_uid", sa.String(255), nullable=False),
    sa.Column("last_activity_id", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("last_event_time", sa.Float, nullable=False, server_default=sa.text("0")),
    sa.Column("repeat_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("severity_known", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status_from_activity", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("resolved_reason", sa.Text),
    sa.Column("condition_name", sa.String(255)),
    sa.Column("external_organization_id", sa.String(64)),
    sa.Column("node_class", sa.String(64)),
    sa.Column("client_id", Uuid),
    sa.Column("rmm_user_id", sa.BigInteger),
    sa.Column("rule_decision", sa.String(32)),
    sa.Column("rule_explanation", sa.Text),
    sa.Column("source_payload", Json, nullable=False, server_default=sa.text("'{}'")),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "alert_id", name="ninjadesk_alert_series_pkey"),
    sa.UniqueConstraint(
        "tenant", "integration_id", "series_uid", name="ninjadesk_alert_series_uid_key"
    ),
)

# One row per ticket the pipeline made: to group storms and to tell whether a person has
# touched the ticket since (its status and comment count at creation).
ninjadesk_alert_tickets = sa.Table(
    "ninjadesk_alert_tickets",
    metadata,
    tenant_column(),
    sa.Column("ticket_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("client_id", Uuid, nullable=False),
    sa.Column("condition_key", sa.String(255), nullable=False),
    sa.Column("rule_id", Uuid),
    sa.Column("created_status_id", Uuid, nullable=False),
    sa.Column("pipeline_comments", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("series_count", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("auto_resolve", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("reset_on_close", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("group_storms", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("storm_window_minutes", sa.Integer, nullable=False, server_default=sa.text("15")),
    utc_column("opened_at", False),
    utc_column("last_alert_at", False),
    utc_column("auto_resolved_at"),
    sa.PrimaryKeyConstraint("tenant", "ticket_id", name="ninjadesk_alert_tickets_pkey"),
    sa.Index(
        "ninjadesk_alert_tickets_storm_idx",
        "tenant",
        "integration_id",
        "client_id",
        "condition_key",
        "last_alert_at",
    ),
)

# What NinjaDesk's rules can do beyond Alga's rule shape (dry run, storm grouping). Kept apart:
# an unknown key in rmm_alert_rules.actions makes Alga treat the rule as record-only.
ninjadesk_alert_rule_options = sa.Table(
    "ninjadesk_alert_rule_options",
    metadata,
    tenant_column(),
    sa.Column("rule_id", Uuid, nullable=False),
    sa.Column("options", Json, nullable=False, server_default=sa.text("'{}'")),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "rule_id", name="ninjadesk_alert_rule_options_pkey"),
)

OWN_TABLES: tuple[sa.Table, ...] = (
    ninjadesk_integration_settings,
    ninjadesk_events_outbox,
    ninjadesk_sync_leases,
    ninjadesk_asset_sync,
    ninjadesk_asset_device_lineage,
    ninjadesk_alert_series,
    ninjadesk_alert_tickets,
    ninjadesk_alert_rule_options,
)
