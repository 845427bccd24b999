"""Alga's layout: create whichever of Alga's tables (and NinjaDesk's own) the database lacks.

Revision ID: 0006
Revises:
Create Date: 2026-12-03

The first revision of the Alga-shaped schema. On an empty database it creates Alga's tables as
Alga ships them plus the `ninjadesk_` tables; on an Alga database only what is missing (an older
Alga without the rmm_* tables, and NinjaDesk's own). It never drops, renames or alters a table
that exists. A NinjaDesk 0005 database reaches this revision through legacy/move_0005.py, which
moves its data after this revision has created the tables.

The table definitions come from `ninja_desk.psa.schema` at revision 0006 time: later schema
changes get revisions of their own that alter what this one made.
"""

from __future__ import annotations

from alembic import op

from ninja_desk.psa.schema_creation import create_missing_tables

revision = "0006"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_missing_tables(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("NinjaDesk never drops tables from an Alga database.")
