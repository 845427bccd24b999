"""Free text in SQL: LIKE patterns that match the text literally."""

from __future__ import annotations


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's own wildcards escaped: use with ESCAPE '\\'."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
