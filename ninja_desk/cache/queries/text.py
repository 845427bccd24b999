"""Values spelled into SQL text: LIKE patterns that match literally, lists of ids."""

from __future__ import annotations

from collections.abc import Iterable


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's own wildcards escaped: use with ESCAPE '\\'."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def id_list(ids: Iterable[int]) -> str:
    """`(1,2,3)` for `IN`; `(NULL)` matches nothing. Ids are ints (int() makes sure), so they
    are inlined: a selection of thousands would pass SQLite's bound-parameter limit."""
    return "(" + (",".join(str(int(i)) for i in ids) or "NULL") + ")"
