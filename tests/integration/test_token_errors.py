"""How the token provider reacts to each kind of token-endpoint answer (respx, no network)."""

from __future__ import annotations

from pathlib import Path

import filelock
import httpx
import pytest
import respx

from ninja_desk.ninjaone.errors import (
    NinjaOneAuthExpired,
    NinjaOneReconnectRequired,
    NinjaOneTransportError,
)
from ninja_desk.ninjaone.tokens import MemoryTokenStore, OAuthTokenProvider, TokenSet

BASE = "https://eu.ninjarmm.com"
TOKEN_URL = f"{BASE}/ws/oauth/token"


def provider(**kw: object) -> tuple[OAuthTokenProvider, list[str]]:
    reasons: list[str] = []
    store = MemoryTokenStore(TokenSet("old", expires_at=0.0, refresh_token="rt-old"))
    p = OAuthTokenProvider(
        BASE,
        "desk-native",
        store=store,
        on_reconnect_required=reasons.append,
        **kw,  # type: ignore[arg-type]
    )
    return p, reasons


@respx.mock
async def test_server_error_is_transient_not_fatal() -> None:
    route = respx.post(TOKEN_URL).mock(
        side_effect=[
            httpx.Response(503, text="down"),
            httpx.Response(200, json={"access_token": "new", "expires_in": 3600}),
        ]
    )
    p, reasons = provider()
    with pytest.raises(NinjaOneTransportError):
        await p.get_token()
    assert p.reconnect_required is None
    assert await p.get_token() == "new"
    assert route.call_count == 2 and reasons == []
    assert p.tokens is not None and p.tokens.refresh_token == "rt-old"  # not rotated: kept


@respx.mock
async def test_invalid_grant_is_fatal_once_and_fails_fast() -> None:
    route = respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(400, json={"error": "invalid_grant", "error_description": "x"})
    )
    p, reasons = provider()
    for _ in range(5):
        with pytest.raises(NinjaOneReconnectRequired, match="Reconnect to NinjaOne"):
            await p.get_token()
    assert route.call_count == 1 and len(reasons) == 1


@respx.mock
async def test_other_refusals_are_not_fatal_and_redacted() -> None:
    respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            400,
            json={"error": "invalid_request", "error_description": "bad refresh_token=rt-old"},
        )
    )
    p, reasons = provider()
    with pytest.raises(NinjaOneAuthExpired) as caught:
        await p.get_token()
    assert not isinstance(caught.value, NinjaOneReconnectRequired)
    assert "rt-old" not in str(caught.value)
    assert p.reconnect_required is None and reasons == []


@respx.mock
async def test_network_failure_message_has_no_form_values() -> None:
    respx.post(TOKEN_URL).mock(side_effect=httpx.ConnectError("boom"))
    p, _ = provider()
    with pytest.raises(NinjaOneTransportError) as caught:
        await p.get_token()
    assert "rt-old" not in str(caught.value) and "ConnectError" in str(caught.value)


@respx.mock
async def test_lock_held_too_long_by_another_process(tmp_path: Path) -> None:
    route = respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(200, json={"access_token": "new", "expires_in": 3600})
    )
    lock_path = tmp_path / "t.lock"
    other = filelock.FileLock(str(lock_path))  # another open file description: like a process
    other.acquire()
    try:
        p, _ = provider(lock_path=lock_path, lock_timeout=0.2)
        with pytest.raises(NinjaOneTransportError, match="Another NinjaDesk process"):
            await p.get_token()
        assert route.call_count == 0
    finally:
        other.release()
    assert await p.get_token() == "new"


async def test_no_session_at_all_says_connect() -> None:
    p = OAuthTokenProvider(BASE, "desk-native", store=MemoryTokenStore())
    with pytest.raises(NinjaOneReconnectRequired, match="Connect to NinjaOne"):
        await p.get_token()


async def test_no_expiry_warning_when_the_session_renews_itself() -> None:
    warned: list[float] = []
    store = MemoryTokenStore(TokenSet("a", expires_at=9e9, refresh_token="r"))
    p = OAuthTokenProvider(BASE, "x", store=store, on_expiry_warning=warned.append, warn_ahead=1e12)
    await p.get_token()
    assert warned == []
