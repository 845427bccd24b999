from __future__ import annotations

import httpx

from ninja_desk.ninjaone.connection import (
    ConnectionSnapshot,
    ConnectionState,
    ConnectionStatus,
)
from ninja_desk.ninjaone.tokens import TokenSet

NOW = 1_800_000_000.0


def make() -> tuple[ConnectionStatus, list[ConnectionSnapshot]]:
    status = ConnectionStatus(clock=lambda: NOW)
    seen: list[ConnectionSnapshot] = []
    status.add_listener(seen.append)
    return status, seen


def test_lifecycle_and_listeners() -> None:
    status, seen = make()
    assert status.state is ConnectionState.DISCONNECTED and not status.can_sync
    status.connecting("https://eu.ninjarmm.com", "desk-native")
    tokens = TokenSet("a", expires_at=NOW + 3600, refresh_token="r", scope="monitoring control")
    status.connected(tokens)
    status.syncing()
    status.call_succeeded()
    status.sync_finished()
    states = [s.state for s in seen]
    assert states == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.SYNCING,
        ConnectionState.SYNCING,  # last_success changed
        ConnectionState.CONNECTED,
    ]
    snap = status.snapshot
    assert snap.scopes == {"monitoring", "control"}
    assert snap.token_expires_at == NOW + 3600 and snap.last_success == NOW
    assert snap.base_url == "https://eu.ninjarmm.com" and snap.client_id == "desk-native"


def test_reconnect_required_pauses_sync_and_is_sticky() -> None:
    status, seen = make()
    status.connected()
    status.reconnect_required("NinjaOne no longer accepts this app's sign-in. Reconnect.")
    status.reconnect_required("NinjaOne no longer accepts this app's sign-in. Reconnect.")
    assert len([s for s in seen if s.state is ConnectionState.RECONNECT_REQUIRED]) == 1
    assert not status.can_sync
    status.syncing()  # a sync that tries anyway does not flip the state
    status.error("network down")  # nor does a later transport error hide the real cause
    assert status.state is ConnectionState.RECONNECT_REQUIRED
    assert status.snapshot.label == "Reconnect required"


def test_error_then_recovery() -> None:
    status, _ = make()
    status.connected()
    status.error("Could not reach NinjaOne.")
    assert status.state is ConnectionState.ERROR and status.snapshot.reason
    status.call_succeeded()
    assert status.state is ConnectionState.CONNECTED and status.snapshot.reason is None


def test_disconnected_clears_session_fields() -> None:
    status, _ = make()
    status.connected(TokenSet("a", expires_at=NOW + 60, scope="monitoring"))
    status.disconnected()
    snap = status.snapshot
    assert snap.state is ConnectionState.DISCONNECTED
    assert snap.scopes == frozenset() and snap.token_expires_at is None


def test_broken_listener_does_not_stop_others() -> None:
    status, seen = make()

    def broken(_: ConnectionSnapshot) -> None:
        raise RuntimeError("view died")

    status.add_listener(broken)
    remove = status.add_listener(lambda s: None)
    status.connected()
    assert len(seen) == 1
    remove()
    remove()  # twice is harmless


def test_describe_for_the_cli() -> None:
    status, _ = make()
    status.connecting("https://eu.ninjarmm.com", "desk-native")
    status.connected(TokenSet("a", expires_at=NOW + 1800, scope="monitoring offline_access"))
    status.call_succeeded(NOW - 30)
    lines = status.describe()
    assert lines[0] == "NinjaOne: Connected"
    text = "\n".join(lines)
    assert "https://eu.ninjarmm.com (desk-native)" in text
    assert "monitoring offline_access" in text
    assert "in 30 min" in text and "30 s ago" in text


async def test_httpx_hook_counts_api_successes_only() -> None:
    status, _ = make()
    status.connected()
    api = httpx.Response(200, request=httpx.Request("GET", "https://x/v2/devices"))
    token = httpx.Response(200, request=httpx.Request("POST", "https://x/ws/oauth/token"))
    failed = httpx.Response(500, request=httpx.Request("GET", "https://x/v2/devices"))
    await status.httpx_response_hook(token)
    await status.httpx_response_hook(failed)
    assert status.snapshot.last_success is None
    await status.httpx_response_hook(api)
    assert status.snapshot.last_success == NOW
