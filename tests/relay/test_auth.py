"""Secrets and tokens: hashed at rest, rotation with grace, revocation."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import httpx

from ninja_desk.relay import admin
from ninja_desk.relay.state import RelayConfig
from tests.relay.conftest import Relay, activity


async def test_rotation_old_secret_works_during_grace_then_fails(
    relay_factory: Any, sqlite_url: str, client: httpx.AsyncClient
):
    relay: Relay = await relay_factory(sqlite_url, RelayConfig(auth_cache_ttl=0.2))
    old = relay.endpoint("acme")
    new = admin.rotate_endpoint(relay.store, "acme", grace=1.0)
    assert new != old
    assert (await relay.post(client, activity(1), secret=new)).status_code == 200
    assert (await relay.post(client, activity(2), secret=old)).status_code == 200
    await asyncio.sleep(1.3)
    assert (await relay.post(client, activity(3), secret=old)).status_code == 401
    assert (await relay.post(client, activity(4), secret=new)).status_code == 200


async def test_rotation_without_grace_cuts_old_secret_within_cache_ttl(
    relay_factory: Any, sqlite_url: str, client: httpx.AsyncClient
):
    relay: Relay = await relay_factory(sqlite_url, RelayConfig(auth_cache_ttl=0.2))
    old = relay.endpoint("acme")
    assert (await relay.post(client, activity(1), secret=old)).status_code == 200
    new = admin.rotate_endpoint(relay.store, "acme", grace=0)
    # The new secret works at once even though the old hashes are cached.
    assert (await relay.post(client, activity(2), secret=new)).status_code == 200
    await asyncio.sleep(0.3)
    assert (await relay.post(client, activity(3), secret=old)).status_code == 401


async def test_secrets_and_tokens_are_stored_only_as_hashes(tmp_path: Any, relay_factory: Any):
    path = tmp_path / "relay.db"
    relay: Relay = await relay_factory(f"sqlite:///{path}")
    secret = relay.endpoint("acme")
    token = relay.subscriber("desk1")
    rotated = admin.rotate_endpoint(relay.store, "acme", 60)
    raw = path.read_bytes() + (tmp_path / "relay.db-wal").read_bytes()
    for value in (secret, token, rotated):
        assert value.encode() not in raw
    with sqlite3.connect(path) as conn:
        hashes = [r[0] for r in conn.execute("SELECT secret_hash FROM relay_endpoints")]
    assert len(hashes[0]) == 64  # hex SHA-256


async def test_events_need_a_valid_bearer_token(relay: Relay, client: httpx.AsyncClient):
    url = f"{relay.url}/events"
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": f"Token {relay.tokens['desk1']}"},
    ):
        response = await client.get(url, params={"wait": 0}, headers=headers)
        assert response.status_code == 401, headers
    ok = await client.get(
        url, params={"wait": 0}, headers={"Authorization": f"Bearer {relay.tokens['desk1']}"}
    )
    assert ok.status_code == 200


async def test_revoked_subscriber_gets_401(relay: Relay, client: httpx.AsyncClient):
    token = relay.tokens["desk1"]
    admin.revoke_subscriber(relay.store, "desk1")
    response = await client.get(
        f"{relay.url}/events", params={"wait": 0}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    # A new token for the same name works, the revoked one stays dead.
    fresh = admin.add_subscriber(relay.store, "desk1")
    assert (await relay.batch(client, token=fresh))["events"] == []
    again = await client.get(
        f"{relay.url}/events", params={"wait": 0}, headers={"Authorization": f"Bearer {token}"}
    )
    assert again.status_code == 401


async def test_revocation_closes_an_open_stream(relay: Relay, client: httpx.AsyncClient):
    token = relay.tokens["desk1"]
    async with client.stream(
        "GET", f"{relay.url}/events", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status_code == 200
        admin.revoke_subscriber(relay.store, "desk1")
        # The same name gets a new token at once: the old grant must still end.
        admin.add_subscriber(relay.store, "desk1")
        busy = True

        async def keep_busy() -> None:
            i = 0
            while busy:
                i += 1
                await relay.post(client, activity(i))
                await asyncio.sleep(0.02)

        feeder = asyncio.create_task(keep_busy())

        async def drain() -> None:
            async for _ in response.aiter_lines():
                pass

        try:
            # Heartbeat is 0.5 s in tests: the relay rechecks even while events flow.
            await asyncio.wait_for(drain(), 5)
        finally:
            busy = False
            await feeder
