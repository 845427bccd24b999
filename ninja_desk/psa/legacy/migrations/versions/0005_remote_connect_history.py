"""remote-connect launches go to the asset history

A technician with the remote-connect right records each launch in `asset_history` (who, when,
which ticket), not only in the audit log; on PostgreSQL that right now grants the insert.

Revision ID: 0005_remote_connect_history
Revises: 0004_schema_version_readable
"""

from __future__ import annotations

from alembic import op

revision = "0005_remote_connect_history"
down_revision = "0004_schema_version_readable"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT INSERT ON asset_history TO nd_p_remote_connect")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("REVOKE INSERT ON asset_history FROM nd_p_remote_connect")
