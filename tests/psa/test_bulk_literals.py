"""Array literals for PostgreSQL bulk writes carry any text unchanged (quotes, backslashes,
braces, commas, NULL): software names come from the field and hold all of these."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ninja_desk.psa.bulk import array_literal

AWKWARD = ['Notepad++ "portable"', "C:\\Program Files\\x", "{braces}", "a,b", "", None, "plain"]


@pytest.mark.postgres
def test_text_survives_the_array_literal(pg_server_url: str) -> None:
    engine = sa.create_engine(f"{pg_server_url}/postgres")
    try:
        with engine.connect() as conn:
            back = conn.execute(
                sa.text("SELECT CAST(:a AS text[])"), {"a": array_literal(AWKWARD)}
            ).scalar()
            plain = conn.execute(
                sa.text("SELECT CAST(:a AS int[])"), {"a": array_literal([1, 2, 3], plain=True)}
            ).scalar()
    finally:
        engine.dispose()
    assert back == AWKWARD
    assert plain == [1, 2, 3]
