"""The three NinjaOne paging styles (reference §4); activity paging lives in activities.py.

- Id watermark (`pageSize` + `after`): ascending ids, bare arrays. NinjaOne documents no
  maximum; the simulator caps `pageSize` at 1000 (what NinjaOne staff scripts use) and
  returns everything when `pageSize` is absent.
- Report cursors (`/v2/queries/*`): `{cursor: {name, offset, count, expires}, results}`;
  `cursor=<name>` continues. offset = index of the page's first row, count = rows in the
  page. pageSize up to 10000 (below 10 is served too), default 1000. A cursor remembers
  its position as (next device id, rows of it already sent), so paging stays consistent
  while devices change.
"""

from __future__ import annotations

import bisect
import time
import uuid
from dataclasses import dataclass
from typing import Any

ID_PAGE_MAX = 1000
# NinjaOne documents 10..10000 (default 1000); below 10 is served too (see report_page_size).
REPORT_PAGE_MAX, REPORT_PAGE_DEFAULT = 10_000, 1000
CURSOR_LIFETIME = 300.0


class PagingError(ValueError):
    """Bad paging parameters; the API answers 400."""


def int_param(query: Any, name: str, default: int | None = None) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise PagingError(f"{name} must be an integer, got {raw!r}") from exc


def id_page_bounds(query: Any) -> tuple[int | None, int]:
    """(after, page_size) for id-watermark lists; page_size 0 means everything."""
    after = int_param(query, "after")
    size = int_param(query, "pageSize")
    if size is None:
        return after, 0
    if size < 1:
        raise PagingError("pageSize must be at least 1")
    return after, min(size, ID_PAGE_MAX)


def id_window(sorted_ids: list[int], after: int | None, page_size: int) -> list[int]:
    start = 0 if after is None else bisect.bisect_right(sorted_ids, after)
    end = len(sorted_ids) if page_size == 0 else start + page_size
    return sorted_ids[start:end]


def report_page_size(query: Any) -> int:
    size = int_param(query, "pageSize", REPORT_PAGE_DEFAULT)
    assert size is not None
    if size < 1:
        raise PagingError("pageSize must be at least 1")
    # NinjaOne documents 10 as the minimum; the simulator also serves smaller pages so tests
    # can page through a handful of rows (reference §12.9 uses pageSize=2).
    return min(size, REPORT_PAGE_MAX)


@dataclass(slots=True)
class Cursor:
    name: str
    report: str
    params: dict[str, str]
    next_device_id: int = 0
    skip_rows: int = 0
    offset: int = 0
    expires: float = 0.0

    def wire(self, offset: int, count: int) -> dict[str, Any]:
        return {"name": self.name, "offset": offset, "count": count, "expires": self.expires}


class CursorStore:
    def __init__(self) -> None:
        self._cursors: dict[str, Cursor] = {}

    def new(self, report: str, params: dict[str, str]) -> Cursor:
        self._expire()
        cur = Cursor(
            name=str(uuid.uuid4()),
            report=report,
            params=params,
            expires=round(time.time() + CURSOR_LIFETIME, 3),
        )
        self._cursors[cur.name] = cur
        return cur

    def get(self, name: str, report: str) -> Cursor:
        cur = self._cursors.get(name)
        if cur is None or cur.report != report or cur.expires < time.time():
            raise PagingError(f"Unknown or expired cursor {name!r}")
        cur.expires = round(time.time() + CURSOR_LIFETIME, 3)
        return cur

    def _expire(self) -> None:
        now = time.time()
        if len(self._cursors) > 256:
            for name in [n for n, c in self._cursors.items() if c.expires < now]:
                del self._cursors[name]
