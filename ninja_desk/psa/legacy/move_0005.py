"""Move a NinjaDesk 0005 PSA database into Alga's layout (filled in by the data-move work)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from ninja_desk.psa.schema import metadata


def planned_tables() -> list[str]:
    return [t.name for t in metadata.sorted_tables]


def upgrade_from_0005(conn: sa.Connection, create_schema: Callable[[], None]) -> dict[str, int]:
    raise NotImplementedError("Moving a 0005 database into Alga's layout is not written yet.")
