"""Array literals for PostgreSQL bulk writes carry any text unchanged (quotes, backslashes,
braces, commas, NULL): software names come from the field and hold all of these."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ninja_desk.psa.bulk import analyze_if_grown, array_literal

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


def _counted(conn: sa.Connection) -> float:
    return conn.scalar(sa.text("SELECT reltuples FROM pg_class WHERE oid = 'grown'::regclass"))


@pytest.mark.postgres
def test_a_table_grown_past_its_statistics_is_recounted_in_the_transaction(
    pg_server_url: str,
) -> None:
    """Foreign-key checks are planned from these counts: stale ones made a first push scan
    every catalog title per software row. A small growth costs no ANALYZE."""
    engine = sa.create_engine(f"{pg_server_url}/postgres")
    try:
        with engine.connect() as conn, conn.begin():
            conn.exec_driver_sql("CREATE TEMP TABLE grown (id int PRIMARY KEY) ON COMMIT DROP")
            never = _counted(conn)
            conn.exec_driver_sql("INSERT INTO grown SELECT generate_series(1, 200)")
            analyze_if_grown(conn, "grown", 200)
            after_first = _counted(conn)
            conn.exec_driver_sql("INSERT INTO grown VALUES (201)")
            analyze_if_grown(conn, "grown", 1)
            after_one_more = _counted(conn)
            conn.exec_driver_sql("INSERT INTO grown SELECT generate_series(202, 300)")
            analyze_if_grown(conn, "grown", 99)
            after_half_again = _counted(conn)
    finally:
        engine.dispose()
    assert never == -1  # never analyzed
    assert after_first == 200
    assert after_one_more == 200  # under 10% more: the counts stand
    assert after_half_again == 300
