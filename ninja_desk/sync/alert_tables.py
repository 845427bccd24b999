"""Tables the alert pipeline adds to the PSA database (migration `*_alert_pipeline.py`).

- `rmm_alert_series`: per-series pipeline state beside `rmm_alerts` (newest activity id
  applied, repeat count, where severity came from, why it was resolved, facts rules look at).
- `rmm_alert_tickets`: one row per ticket the pipeline made, to group storms and to tell
  whether a person has touched the ticket since (status and comment count at creation).
- `rmm_maintenance_windows`: one-off and weekly windows that suppress tickets.
"""

from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.psa.types import Json, UtcDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Uuid = sa.Uuid(as_uuid=True)

rmm_alert_series = sa.Table(
    "rmm_alert_series",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
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
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("tenant", "alert_id"),
    sa.UniqueConstraint("tenant", "integration_id", "series_uid"),
)

rmm_alert_tickets = sa.Table(
    "rmm_alert_tickets",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("ticket_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("client_id", Uuid, nullable=False),
    sa.Column("condition_key", sa.String(255), nullable=False),
    sa.Column("rule_id", Uuid),
    sa.Column("created_status_id", Uuid, nullable=False),
    # Comments the pipeline itself wrote: more comments than this = a person wrote one.
    sa.Column("pipeline_comments", sa.Integer, nullable=False, server_default="0"),
    sa.Column("series_count", sa.Integer, nullable=False, server_default="1"),
    sa.Column("auto_resolve", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("reset_on_close", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("group_storms", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("storm_window_minutes", sa.Integer, nullable=False, server_default="15"),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("last_alert_at", UtcDateTime(), nullable=False),
    sa.Column("auto_resolved_at", UtcDateTime()),
    sa.PrimaryKeyConstraint("tenant", "ticket_id"),
    sa.Index(
        "ix_rmm_alert_tickets_storm",
        "tenant",
        "integration_id",
        "client_id",
        "condition_key",
        "last_alert_at",
    ),
)

rmm_maintenance_windows = sa.Table(
    "rmm_maintenance_windows",
    metadata,
    sa.Column("tenant", Uuid, nullable=False),
    sa.Column("window_id", Uuid, nullable=False),
    sa.Column("integration_id", Uuid, nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # once | weekly
    sa.Column("client_ids", Json, nullable=False, server_default="[]"),
    sa.Column("device_ids", Json, nullable=False, server_default="[]"),
    sa.Column("starts_at", UtcDateTime()),
    sa.Column("ends_at", UtcDateTime()),
    sa.Column("weekdays", Json, nullable=False, server_default="[]"),
    sa.Column("start_time", sa.String(5), nullable=False, server_default="00:00"),
    sa.Column("duration_minutes", sa.Integer, nullable=False, server_default="60"),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("is_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_by", Uuid),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("tenant", "window_id"),
)

# Foreign keys to the PSA's own tables live in the migration only: this metadata does not hold
# those tables, and the pipeline never needs SQLAlchemy to follow them.
TABLES = (rmm_alert_series, rmm_alert_tickets, rmm_maintenance_windows)
