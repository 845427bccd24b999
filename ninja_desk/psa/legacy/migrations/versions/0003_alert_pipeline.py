"""alert pipeline: series state, pipeline tickets, maintenance windows

Tables are declared in `ninja_desk/sync/alert_tables.py`; this revision is their frozen history.
On PostgreSQL they get the same protection as the base tables: row-level security by tenant,
reads for every app login, writes per right, everything for the service login.

Revision ID: 0003_alert_pipeline
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_alert_pipeline"
down_revision = "0002"
branch_labels = None
depends_on = None

_TABLES = ["rmm_alert_series", "rmm_alert_tickets", "rmm_maintenance_windows"]
_GRANTS = [
    ("nd_p_alerts_act", "INSERT, UPDATE", "rmm_alert_series"),
    ("nd_p_tickets_create", "INSERT, UPDATE", "rmm_alert_tickets"),
    ("nd_p_alerts_act", "UPDATE", "rmm_alert_tickets"),
    ("nd_p_maintenance_configure", "INSERT, UPDATE, DELETE", "rmm_maintenance_windows"),
]


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "rmm_alert_series",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("series_uid", sa.String(64), nullable=False),
        sa.Column("last_activity_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_event_time", sa.Float(), server_default="0", nullable=False),
        sa.Column("repeat_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("severity_known", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status_from_activity", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("resolved_reason", sa.Text()),
        sa.Column("source_type", sa.String(128)),
        sa.Column("condition_name", sa.String(255)),
        sa.Column("external_organization_id", sa.String(64)),
        sa.Column("node_class", sa.String(64)),
        sa.Column("device_name", sa.String(255)),
        sa.Column("client_id", sa.Uuid()),
        sa.Column("rmm_user_id", sa.BigInteger()),
        _ts("updated_at", False),
        sa.PrimaryKeyConstraint("tenant", "alert_id", name="pk_rmm_alert_series"),
        sa.UniqueConstraint(
            "tenant",
            "integration_id",
            "series_uid",
            name="uq_rmm_alert_series_tenant_integration_id_series_uid",
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "alert_id"],
            ["rmm_alerts.tenant", "rmm_alerts.alert_id"],
            name="fk_rmm_alert_series_tenant_alert_id_rmm_alerts",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "rmm_alert_tickets",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("condition_key", sa.String(255), nullable=False),
        sa.Column("rule_id", sa.Uuid()),
        sa.Column("created_status_id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_comments", sa.Integer(), server_default="0", nullable=False),
        sa.Column("series_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("auto_resolve", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("reset_on_close", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("group_storms", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("storm_window_minutes", sa.Integer(), server_default="15", nullable=False),
        _ts("opened_at", False),
        _ts("last_alert_at", False),
        _ts("auto_resolved_at"),
        sa.PrimaryKeyConstraint("tenant", "ticket_id", name="pk_rmm_alert_tickets"),
        sa.ForeignKeyConstraint(
            ["tenant", "ticket_id"],
            ["tickets.tenant", "tickets.ticket_id"],
            name="fk_rmm_alert_tickets_tenant_ticket_id_tickets",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_rmm_alert_tickets_storm",
        "rmm_alert_tickets",
        ["tenant", "integration_id", "client_id", "condition_key", "last_alert_at"],
    )
    op.create_table(
        "rmm_maintenance_windows",
        sa.Column("tenant", sa.Uuid(), nullable=False),
        sa.Column("window_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client_ids", _json(), server_default="[]", nullable=False),
        sa.Column("device_ids", _json(), server_default="[]", nullable=False),
        _ts("starts_at"),
        _ts("ends_at"),
        sa.Column("weekdays", _json(), server_default="[]", nullable=False),
        sa.Column("start_time", sa.String(5), server_default="00:00", nullable=False),
        sa.Column("duration_minutes", sa.Integer(), server_default="60", nullable=False),
        sa.Column("timezone", sa.String(64), server_default="UTC", nullable=False),
        sa.Column("is_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by", sa.Uuid()),
        _ts("created_at", False),
        _ts("updated_at", False),
        sa.PrimaryKeyConstraint("tenant", "window_id", name="pk_rmm_maintenance_windows"),
        sa.ForeignKeyConstraint(
            ["tenant", "integration_id"],
            ["rmm_integrations.tenant", "rmm_integrations.integration_id"],
            name="fk_rmm_maintenance_windows_integration",
            ondelete="CASCADE",
        ),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT SELECT ON {', '.join(_TABLES)} TO nd_app")
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON {', '.join(_TABLES)} TO nd_service")
    for role, privileges, table in _GRANTS:
        op.execute(f"GRANT {privileges} ON {table} TO {role}")
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table}"
            " USING (tenant = (SELECT nd_current_tenant()))"
            " WITH CHECK (tenant = (SELECT nd_current_tenant()))"
        )
    op.execute(
        "CREATE TRIGGER stamp_actor BEFORE INSERT OR UPDATE ON rmm_maintenance_windows"
        " FOR EACH ROW EXECUTE FUNCTION nd_stamp_actor('created_by')"
    )


def downgrade() -> None:
    op.drop_table("rmm_maintenance_windows")
    op.drop_index("ix_rmm_alert_tickets_storm", table_name="rmm_alert_tickets")
    op.drop_table("rmm_alert_tickets")
    op.drop_table("rmm_alert_series")
