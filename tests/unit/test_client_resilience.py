"""The NinjaOne client under throttling, failures and token expiry (HTTP mocked with respx)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest
import respx

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.errors import (
    NinjaOneAuthExpired,
    NinjaOneRateLimited,
    NinjaOneReconnectRequired,
    NinjaOneServerError,
    NinjaOneTransportError,
)
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.retry import RetryPolicy, parse_retry_after
from ninja_desk.ninjaone.tokens import MemoryTokenStore, OAuthTokenProvider, TokenSet

BASE = "https://eu.ninjarmm.com"
FAST_RETRY = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05)


def make_client(store: MemoryTokenStore | None = None) -> tuple[NinjaOneClient, OAuthTokenProvider]:
    tokens = OAuthTokenProvider(BASE, "cid", "secret", store=store or MemoryTokenStore())
    client = NinjaOneClient(BASE, tokens, limiter=RateLimiter(1000, burst=1000), retry=FAST_RETRY)
    return client, tokens


def token_route(mock: respx.MockRouter, *tokens: str) -> respx.Route:
    responses = [
        httpx.Response(200, json={"access_token": t, "expires_in": 3600, "token_type": "Bearer"})
        for t in tokens
    ]
    return mock.post(f"{BASE}/ws/oauth/token").mock(side_effect=responses)


@respx.mock
async def test_429_with_retry_after_waits_before_the_next_request() -> None:
    token_route(respx.mock, "t1")
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        if len(sent) == 1:
            return httpx.Response(429, headers={"Retry-After": "0.3"})
        return httpx.Response(200, json=[{"id": 1, "name": "Contoso"}])

    respx.get(f"{BASE}/v2/organizations").mock(side_effect=handler)
    client, _ = make_client()
    body = await client.get("/organizations")
    assert body == [{"id": 1, "name": "Contoso"}]
    assert sent[1] - sent[0] >= 0.3
    assert client.calls["GET /v2/organizations"] == 2


@respx.mock
async def test_a_retry_after_pauses_every_concurrent_caller() -> None:
    token_route(respx.mock, "t1")
    first_429_at: list[float] = []
    later_sends: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        now = time.monotonic()
        if not first_429_at:
            first_429_at.append(now)
            return httpx.Response(429, headers={"Retry-After": "0.4"})
        later_sends.append(now)
        return httpx.Response(200, json=[])

    respx.get(f"{BASE}/v2/locations").mock(side_effect=handler)
    client, _ = make_client()
    await client.get("/locations")  # takes the 429, then waits
    await asyncio.gather(*(client.get("/locations") for _ in range(5)))
    assert all(t - first_429_at[0] >= 0.4 for t in later_sends)


@respx.mock
async def test_429_without_retry_after_backs_off_and_succeeds() -> None:
    token_route(respx.mock, "t1")
    route = respx.get(f"{BASE}/v2/alerts").mock(
        side_effect=[httpx.Response(429), httpx.Response(429), httpx.Response(200, json=[])]
    )
    client, _ = make_client()
    assert await client.get("/alerts") == []
    assert route.call_count == 3


@respx.mock
async def test_endless_429_raises_rate_limited_after_the_retry_budget() -> None:
    token_route(respx.mock, "t1")
    route = respx.get(f"{BASE}/v2/alerts").mock(return_value=httpx.Response(429))
    client, _ = make_client()
    with pytest.raises(NinjaOneRateLimited, match="throttling"):
        await client.get("/alerts")
    assert route.call_count == FAST_RETRY.max_attempts


@respx.mock
async def test_5xx_is_retried_for_reads_but_not_for_non_idempotent_writes() -> None:
    token_route(respx.mock, "t1")
    reads = respx.get(f"{BASE}/v2/devices").mock(
        side_effect=[httpx.Response(503), httpx.Response(500), httpx.Response(200, json=[])]
    )
    writes = respx.post(f"{BASE}/v2/devices/approval/APPROVE").mock(
        return_value=httpx.Response(500, json={"resultCode": "FAILURE", "errorMessage": "boom"})
    )
    client, _ = make_client()
    assert await client.get("/devices") == []
    assert reads.call_count == 3
    with pytest.raises(NinjaOneServerError, match="boom"):
        await client.request("POST", "/devices/approval/APPROVE", json={"devices": [1]})
    assert writes.call_count == 1


@respx.mock
async def test_transport_errors_are_retried_then_reported_as_a_sentence() -> None:
    token_route(respx.mock, "t1")
    respx.get(f"{BASE}/v2/devices").mock(side_effect=httpx.ConnectError("refused"))
    client, _ = make_client()
    with pytest.raises(NinjaOneTransportError, match="Could not reach NinjaOne"):
        await client.get("/devices")


@respx.mock
async def test_token_expiry_with_20_concurrent_requests_refreshes_exactly_once() -> None:
    tokens_route = token_route(respx.mock, "fresh", "unexpected-second")
    store = MemoryTokenStore(TokenSet("stale", time.time() + 3600, refresh_token="r1"))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer stale":
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json=[])

    respx.get(f"{BASE}/v2/organizations").mock(side_effect=handler)
    client, provider = make_client(store)
    results = await asyncio.gather(*(client.get("/organizations") for _ in range(20)))
    assert results == [[]] * 20
    assert tokens_route.call_count == 1
    assert provider.refresh_count == 1
    assert store.load().access_token == "fresh"


@respx.mock
async def test_rotated_refresh_token_is_kept_and_used_next_time() -> None:
    route = respx.post(f"{BASE}/ws/oauth/token").mock(
        side_effect=[
            httpx.Response(
                200, json={"access_token": "a2", "expires_in": 0, "refresh_token": "r2"}
            ),
            httpx.Response(200, json={"access_token": "a3", "expires_in": 3600}),
        ]
    )
    store = MemoryTokenStore(TokenSet("a1", time.time() - 10, refresh_token="r1"))
    provider = OAuthTokenProvider(BASE, "cid", None, store=store, leeway=0)
    assert await provider.get_token() == "a2"
    assert store.load().refresh_token == "r2"
    assert await provider.get_token() == "a3"  # a2 expired at once
    assert b"refresh_token=r2" in route.calls[1].request.content
    # No new refresh token in the answer: keep the last one.
    assert store.load().refresh_token == "r2"


@respx.mock
async def test_revoked_refresh_token_stops_without_a_retry_storm() -> None:
    route = respx.post(f"{BASE}/ws/oauth/token").mock(
        return_value=httpx.Response(400, json={"error": "invalid_grant"})
    )
    reasons: list[str] = []
    store = MemoryTokenStore(TokenSet("a1", time.time() - 10, refresh_token="r1"))
    provider = OAuthTokenProvider(
        BASE, "cid", None, store=store, on_reconnect_required=reasons.append
    )
    for _ in range(3):
        with pytest.raises(NinjaOneReconnectRequired, match="Reconnect"):
            await provider.get_token()
    assert route.call_count == 1
    assert len(reasons) == 1
    assert provider.reconnect_required


def test_token_repr_never_shows_secrets() -> None:
    tokens = TokenSet("access-SECRET", time.time(), refresh_token="refresh-SECRET")
    assert "SECRET" not in repr(tokens)


@respx.mock
async def test_a_dropped_connection_is_retried_and_the_read_succeeds() -> None:
    token_route(respx.mock, "t1")
    route = respx.get(f"{BASE}/v2/devices").mock(
        side_effect=[httpx.ReadError("reset"), httpx.Response(200, json=[{"id": 7}])]
    )
    client, _ = make_client()
    assert await client.get("/devices") == [{"id": 7}]
    assert route.call_count == 2
    assert client.retries["GET /v2/devices"] == 1


@respx.mock
async def test_a_write_that_may_not_be_repeated_is_sent_once_when_the_network_fails() -> None:
    token_route(respx.mock, "t1")
    route = respx.post(f"{BASE}/v2/device/1/script/run").mock(
        side_effect=httpx.ConnectError("refused")
    )
    client, _ = make_client()
    with pytest.raises(NinjaOneTransportError, match="Could not reach NinjaOne"):
        await client.request("POST", "/device/1/script/run", json={"id": 3})
    assert route.call_count == 1


@respx.mock
async def test_a_token_refused_after_its_refresh_asks_to_reconnect_refreshing_once() -> None:
    tokens_route = token_route(respx.mock, "t1", "t2", "t3")
    store = MemoryTokenStore(TokenSet("t0", time.time() + 3600, refresh_token="r1"))
    route = respx.get(f"{BASE}/v2/organizations").mock(
        return_value=httpx.Response(401, json={"error": "invalid_token"})
    )
    client, _ = make_client(store)
    with pytest.raises(NinjaOneAuthExpired, match="Reconnect to NinjaOne"):
        await client.get("/organizations")
    assert route.call_count == 2
    assert tokens_route.call_count == 1


@respx.mock
async def test_the_refresh_after_a_401_does_not_use_up_a_retry() -> None:
    token_route(respx.mock, "fresh")
    store = MemoryTokenStore(TokenSet("stale", time.time() + 3600, refresh_token="r1"))
    answers = iter([httpx.Response(401)] + [httpx.Response(503)] * (FAST_RETRY.max_attempts - 1))
    route = respx.get(f"{BASE}/v2/alerts").mock(
        side_effect=lambda request: next(answers, httpx.Response(200, json=[]))
    )
    client, _ = make_client(store)
    assert await client.get("/alerts") == []
    assert route.call_count == FAST_RETRY.max_attempts + 1


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("Thu, 03 Dec 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 03 Dec 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
