"""cache/queries/row_count.py: the count of a query as the paged tables and the CSV export run
it, with the query's own parameters, whether or not it carries its ORDER BY and LIMIT -1."""

from __future__ import annotations

from pathlib import Path

from ninja_desk.cache.queries.row_count import count_sql
from ninja_desk.cache.store import LocalCache


def test_counts_the_rows_the_query_returns(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "cache.sqlite3")
    try:
        cache.write_blocking(
            lambda conn: conn.exec_driver_sql(
                "INSERT INTO psa_clients (id, name) VALUES (?, ?)",
                [(f"c-{i}", "Acme" if i % 2 else "Birch") for i in range(7)],
            )
        )
        select = "SELECT id, name FROM psa_clients WHERE name = :name"
        assert cache.scalar(count_sql(select), name="Acme") == 3
        assert cache.scalar(count_sql(select), name="Nobody") == 0
        # The export's query: in display order, LIMIT -1 (no limit) OFFSET 0.
        ordered = f"{select} ORDER BY id DESC LIMIT :_limit OFFSET :_offset"
        assert cache.scalar(count_sql(ordered), name="Birch", _limit=-1, _offset=0) == 4
        assert len(cache.rows(ordered, name="Birch", _limit=-1, _offset=0)) == 4
    finally:
        cache.close()
