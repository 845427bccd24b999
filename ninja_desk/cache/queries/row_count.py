"""How many rows a query of the cache returns, without fetching them.

The SQL-paged tables (ui/models/paged_sql.py) count the rows their filter matches, loaded or
not, and the CSV export (ui/widgets/csv_export.py) counts what it is about to write for its
progress bar. Both hold the rows' query as SQL text with named parameters, so the count wraps
that text rather than restating each query.
"""

from __future__ import annotations


def count_sql(select_sql: str) -> str:
    """`SELECT COUNT(*)` over `select_sql` as a subquery; run it with `select_sql`'s own
    parameters. SQLite accepts ORDER BY and LIMIT inside the subquery, so the export's query,
    already in display order with `LIMIT -1`, is counted as it is."""
    return f"SELECT COUNT(*) FROM ({select_sql})"
