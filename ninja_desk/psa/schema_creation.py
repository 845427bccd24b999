"""Create the tables a PSA database lacks, never touching the ones it has."""

from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.psa.schema import metadata


def missing_tables(conn: sa.Connection) -> list[sa.Table]:
    """Tables of our schema the database does not have, in creation (dependency) order."""
    present = set(sa.inspect(conn).get_table_names())
    return [t for t in metadata.sorted_tables if t.name not in present]


def create_missing_tables(conn: sa.Connection) -> list[str]:
    made = missing_tables(conn)
    # checkfirst also skips Alga's enum types where Alga already made them.
    metadata.create_all(conn, tables=made, checkfirst=True)
    return [t.name for t in made]
