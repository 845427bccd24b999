"""The alert pipeline's tables of NinjaDesk schema 0005 (revision 0003), frozen.

They lived in `ninja_desk/sync/alert_tables.py` before the PSA database became Alga's; this is
their shape at 0005, for reading a 0005 database (legacy/move_0005.py) and for the tests that
fill one. Same MetaData as legacy/schema_0005.py, so foreign keys resolve.
"""

from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.psa.legacy.schema_0005 import metadata
from ninja_desk.psa.schema_types import Json, Uuid, tenant_column, utc_column

rmm_alert_series = sa.Table(
    "rmm_alert_series",
    metadata,
    tenant_column(),
    sa.Column("alert_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("series_uid", sa.String(64), nullable=False),
    sa.Column("last_activity_id", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_event_time", sa.Float, nullable=False, server_default="0"),
    sa.Column("repeat_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("severity_known", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status_from_activity", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("resolved_reason", sa.Text),
    sa.Column("source_type", sa.String(128)),
    sa.Column("condition_name", sa.String(255)),
    sa.Column("external_organization_id", sa.String(64)),
    sa.Column("node_class", sa.String(64)),
    sa.Column("device_name", sa.String(255)),
    sa.Column("client_id", Uuid),
    sa.Column("rmm_user_id", sa.BigInteger),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "alert_id"),
    sa.UniqueConstraint("tenant", "integration_id", "series_uid"),
    sa.ForeignKeyConstraint(
        ["tenant", "alert_id"], ["rmm_alerts.tenant", "rmm_alerts.alert_id"], ondelete="CASCADE"
    ),
)

rmm_alert_tickets = sa.Table(
    "rmm_alert_tickets",
    metadata,
    tenant_column(),
    sa.Column("ticket_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("client_id", Uuid, nullable=False),
    sa.Column("condition_key", sa.String(255), nullable=False),
    sa.Column("rule_id", Uuid),
    sa.Column("created_status_id", Uuid, nullable=False),
    sa.Column("pipeline_comments", sa.Integer, nullable=False, server_default="0"),
    sa.Column("series_count", sa.Integer, nullable=False, server_default="1"),
    sa.Column("auto_resolve", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("reset_on_close", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("group_storms", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("storm_window_minutes", sa.Integer, nullable=False, server_default="15"),
    utc_column("opened_at", False),
    utc_column("last_alert_at", False),
    utc_column("auto_resolved_at"),
    sa.PrimaryKeyConstraint("tenant", "ticket_id"),
    sa.ForeignKeyConstraint(
        ["tenant", "ticket_id"], ["tickets.tenant", "tickets.ticket_id"], ondelete="CASCADE"
    ),
)

rmm_maintenance_windows = sa.Table(
    "rmm_maintenance_windows",
    metadata,
    tenant_column(),
    sa.Column("window_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    # 'once' (starts_at..ends_at) or 'weekly' (weekdays 0 = Monday, start_time, duration).
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("client_ids", Json, nullable=False, server_default="[]"),
    sa.Column("device_ids", Json, nullable=False, server_default="[]"),
    utc_column("starts_at"),
    utc_column("ends_at"),
    sa.Column("weekdays", Json, nullable=False, server_default="[]"),
    sa.Column("start_time", sa.String(5), nullable=False, server_default="00:00"),
    sa.Column("duration_minutes", sa.Integer, nullable=False, server_default="60"),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("is_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_by", Uuid),
    utc_column("created_at", False),
    utc_column("updated_at", False),
    sa.PrimaryKeyConstraint("tenant", "window_id"),
    sa.ForeignKeyConstraint(
        ["tenant", "integration_id"],
        ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
        ondelete="CASCADE",
    ),
)

ALERT_TABLES: tuple[sa.Table, ...] = (rmm_alert_series, rmm_alert_tickets, rmm_maintenance_windows)
