"""NinjaOne's three pagination styles (reference §4), as async page iterators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.errors import NinjaOneBadResponse

# NinjaOne documents no maximum for id-paged lists; 1000 is what NinjaOne's own staff use.
LIST_PAGE_SIZE = 1000
# Reports accept large pages; fewer round trips matter most for the 400k-row software report.
REPORT_PAGE_SIZE = 10000
# Activities: 10..1000 per the spec.
ACTIVITY_PAGE_SIZE = 1000


Page = list[dict[str, Any]]


async def _iter_pages(
    client: NinjaOneClient,
    path: str,
    params: dict[str, Any] | None,
    page_size: int,
    cursor_param: str,
    read: Callable[[Any, Any], tuple[Page, Any]],
) -> AsyncIterator[Page]:
    """Ask for `page_size` rows at `cursor_param`=<cursor>; `read(body, cursor)` returns the
    page's rows and the next cursor (None: no more). A short page ends the list."""
    cursor: Any = None
    while True:
        body = await client.get(
            path, {**(params or {}), "pageSize": page_size, cursor_param: cursor}
        )
        rows, cursor = read(body, cursor)
        if rows:
            yield rows
        if len(rows) < page_size or cursor is None:
            return


def iter_id_pages(
    client: NinjaOneClient,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    page_size: int = LIST_PAGE_SIZE,
    id_field: str = "id",
) -> AsyncIterator[Page]:
    """`pageSize` + `after=<last id>`; a short page ends the list."""

    def read(page: Any, after: int | None) -> tuple[Page, int | None]:
        if not isinstance(page, list):
            raise NinjaOneBadResponse(f"NinjaOne answered {path} without a list.")
        if len(page) < page_size:
            return page, None
        last = page[-1].get(id_field) if isinstance(page[-1], dict) else None
        if not isinstance(last, int) or (after is not None and last <= after):
            # A server that does not advance would loop forever; stop loudly instead.
            raise NinjaOneBadResponse(f"NinjaOne's paging of {path} did not advance.")
        return page, last

    return _iter_pages(client, path, params, page_size, "after", read)


def iter_report_pages(
    client: NinjaOneClient,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    page_size: int = REPORT_PAGE_SIZE,
) -> AsyncIterator[Page]:
    """`/v2/queries/*`: `{cursor: {name, ...}, results}`; follow `cursor=<name>`."""

    def read(body: Any, _cursor: str | None) -> tuple[Page, str | None]:
        if not isinstance(body, dict) or not isinstance(body.get("results", []), list):
            raise NinjaOneBadResponse(f"NinjaOne answered {path} without a report envelope.")
        return body.get("results") or [], (body.get("cursor") or {}).get("name") or None

    return _iter_pages(client, path, params, page_size, "cursor", read)


async def fetch_activities_since(
    client: NinjaOneClient,
    newer_than: int,
    params: dict[str, Any] | None = None,
    *,
    page_size: int = ACTIVITY_PAGE_SIZE,
    max_activities: int = 20000,
) -> tuple[list[dict[str, Any]], int | None]:
    """Every activity with id > `newer_than`, oldest first, plus the account's lastActivityId.

    Which page `newerThan` returns when more than a page is newer is not documented: the newest
    page (then we step back with `olderThan=<smallest id seen>`) or the page just above the mark
    (then we step forward with `newerThan=<largest id seen>`). `lastActivityId` tells them
    apart: a page that holds it is the newest page.
    """
    collected: dict[int, dict[str, Any]] = {}
    lower, older_than = newer_than, None
    last_activity_id: int | None = None
    while True:
        body = await client.get(
            "/activities",
            {**(params or {}), "newerThan": lower, "olderThan": older_than, "pageSize": page_size},
        )
        if not isinstance(body, dict) or not isinstance(body.get("activities", []), list):
            raise NinjaOneBadResponse("NinjaOne answered /activities without an activity list.")
        if last_activity_id is None and isinstance(body.get("lastActivityId"), int):
            last_activity_id = body["lastActivityId"]
        raw = body.get("activities") or []
        page = [a for a in raw if isinstance(a, dict) and isinstance(a.get("id"), int)]
        fresh = [a for a in page if a["id"] > newer_than and a["id"] not in collected]
        collected.update((a["id"], a) for a in fresh)
        if len(raw) < page_size or not fresh or len(collected) >= max_activities:
            break
        ids = [a["id"] for a in page]
        newest_page = last_activity_id is not None and max(ids) >= last_activity_id
        if older_than is not None or newest_page:
            older_than = min(ids)  # walking back from the newest page
            if older_than <= newer_than + 1:
                break
        else:
            lower = max(ids)  # walking forward from the mark
    return sorted(collected.values(), key=lambda a: a["id"]), last_activity_id
