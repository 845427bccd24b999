"""Alembic environment of NinjaDesk's pre-Alga PSA schema (revisions 0001-0005), kept frozen.

Used only to bring an older NinjaDesk database to 0005 before its data moves into Alga's
layout (legacy/move_0005.py), and by the tests that build a filled 0005 database.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
