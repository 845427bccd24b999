"""Many rows in few statements: `INSERT ... VALUES (?, ?), (?, ?), ...`.

Python's `executemany` steps SQLite once per row, and at a full sync's 415k software rows
(2M at 50,000 devices) that per-row round trip cost more than SQLite's own work: measured on
the same rows, 2,000 rows per statement insert in a third of the time.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Connection

# SQLite's default limit on parameters in one statement (SQLITE_MAX_VARIABLE_NUMBER, 3.32+).
MAX_PARAMETERS = 32766
MAX_ROWS_PER_STATEMENT = 2000


@functools.lru_cache(maxsize=64)
def _statement(head: str, width: int, rows: int, tail: str) -> str:
    group = "(" + ", ".join("?" * width) + ")"
    return f"{head} VALUES {', '.join([group] * rows)}{tail}"


def insert_rows(
    conn: Connection, head: str, rows: Sequence[tuple[Any, ...]], tail: str = ""
) -> int:
    """Run `{head} VALUES (row), (row), ...{tail}` over `rows` (all the same width), in as few
    statements as SQLite's parameter limit allows; returns the rows SQLite changed (an
    `INSERT OR IGNORE` does not count the ignored ones)."""
    if not rows:
        return 0
    width = len(rows[0])
    per = max(1, min(MAX_ROWS_PER_STATEMENT, MAX_PARAMETERS // width))
    changed = 0
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        sql = _statement(head, width, len(chunk), tail)
        result = conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))
        changed += max(result.rowcount, 0)
    return changed
