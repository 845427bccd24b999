"""app logins may read the schema version

`check_schema` reads `alembic_version` so a desktop or agent refuses a database that is older or
newer than its code with a clear sentence. App and service logins could not read that table,
so the check failed for exactly the connections that need it (PostgreSQL only; SQLite has no
grants).

Revision ID: 0004_schema_version_readable
Revises: 0003_alert_pipeline
"""

from __future__ import annotations

from alembic import op

revision = "0004_schema_version_readable"
down_revision = "0003_alert_pipeline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT ON alembic_version TO nd_app")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("REVOKE SELECT ON alembic_version FROM nd_app")
