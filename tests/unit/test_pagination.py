"""The three NinjaOne pagination styles, including their edge cases."""

from __future__ import annotations

import httpx
import pytest
import respx

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.errors import NinjaOneBadResponse
from ninja_desk.ninjaone.pagination import (
    fetch_activities_since,
    iter_id_pages,
    iter_report_pages,
)
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.tokens import MemoryTokenStore, OAuthTokenProvider, TokenSet

BASE = "https://app.ninjarmm.com"


@pytest.fixture
def client() -> NinjaOneClient:
    import time

    store = MemoryTokenStore(TokenSet("tok", time.time() + 3600))
    return NinjaOneClient(
        BASE, OAuthTokenProvider(BASE, "cid", store=store), limiter=RateLimiter(1000, 1000)
    )


def id_server(total: int):  # type: ignore[no-untyped-def]
    ids = list(range(101, 101 + total))

    def handler(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["pageSize"])
        after = int(request.url.params.get("after", 0))
        page = [{"id": i} for i in ids if i > after][:size]
        return httpx.Response(200, json=page)

    return handler


@pytest.mark.parametrize(("total", "expected_calls"), [(0, 1), (5, 3), (6, 4), (7, 4)])
@respx.mock
async def test_id_watermark_paging_reads_everything_and_stops_on_a_short_page(
    client: NinjaOneClient, total: int, expected_calls: int
) -> None:
    route = respx.get(f"{BASE}/v2/devices").mock(side_effect=id_server(total))
    seen = [d["id"] async for page in iter_id_pages(client, "/devices", page_size=2) for d in page]
    assert seen == list(range(101, 101 + total))
    assert route.call_count == expected_calls
    assert "after" not in route.calls[0].request.url.params


@respx.mock
async def test_id_paging_that_does_not_advance_fails_loudly(client: NinjaOneClient) -> None:
    respx.get(f"{BASE}/v2/devices").mock(return_value=httpx.Response(200, json=[{"id": 1}] * 2))
    with pytest.raises(NinjaOneBadResponse, match="did not advance"):
        [p async for p in iter_id_pages(client, "/devices", page_size=2)]


@respx.mock
async def test_report_cursor_paging_follows_the_named_cursor(client: NinjaOneClient) -> None:
    rows = [{"deviceId": i, "name": f"app{i}"} for i in range(5)]

    def handler(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["pageSize"])
        offset = int(request.url.params.get("cursor", "c0")[1:])
        page = rows[offset : offset + size]
        cursor = {"name": f"c{offset + size}", "offset": offset, "count": len(page), "expires": 1.5}
        return httpx.Response(200, json={"cursor": cursor, "results": page})

    route = respx.get(f"{BASE}/v2/queries/software").mock(side_effect=handler)
    got = [
        r
        async for page in iter_report_pages(client, "/queries/software", page_size=2)
        for r in page
    ]
    assert got == rows
    assert route.call_count == 3
    assert route.calls[1].request.url.params["cursor"] == "c2"


@respx.mock
async def test_report_without_cursor_ends(client: NinjaOneClient) -> None:
    respx.get(f"{BASE}/v2/queries/antivirus-status").mock(
        return_value=httpx.Response(200, json={"results": [{"deviceId": 1}, {"deviceId": 2}]})
    )
    pages = [p async for p in iter_report_pages(client, "/queries/antivirus-status", page_size=2)]
    assert pages == [[{"deviceId": 1}, {"deviceId": 2}]]


@pytest.mark.parametrize("server_pages_from", ["newest", "mark"])
@pytest.mark.parametrize("pending", [0, 7, 10, 20, 25])
@respx.mock
async def test_activities_since_a_mark_are_all_returned_oldest_first(
    client: NinjaOneClient, server_pages_from: str, pending: int
) -> None:
    """Works whether `newerThan` pages from the newest activity or from the mark upwards."""
    ids = list(range(1000, 1005 + pending))

    def handler(request: httpx.Request) -> httpx.Response:
        p = request.url.params
        newer, size = int(p["newerThan"]), int(p["pageSize"])
        older = int(p.get("olderThan", 10**12))
        chosen = sorted(i for i in ids if newer < i < older)
        chosen = chosen[-size:] if server_pages_from == "newest" else chosen[:size]
        return httpx.Response(
            200,
            json={"lastActivityId": ids[-1],
                  "activities": [{"id": i} for i in sorted(chosen, reverse=True)]},
        )  # fmt: skip

    route = respx.get(f"{BASE}/v2/activities").mock(side_effect=handler)
    got, last = await fetch_activities_since(client, 1004, page_size=10)
    assert [a["id"] for a in got] == list(range(1005, 1005 + pending))
    assert last == ids[-1]
    assert route.call_count <= pending // 10 + 1
