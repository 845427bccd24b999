"""Subscriber tokens are bound to endpoints: a token reads only its endpoints' events, an
unbound token reads nothing, bindings change live, and stores from before are migrated."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import sqlite3
from typing import Any

import httpx
import pytest

from ninja_desk.relay import admin
from ninja_desk.relay import cli as relay_cli
from ninja_desk.relay.store import AdminError, open_store
from tests.relay.conftest import Relay, activity
from tests.relay.test_events import SseReader


async def _tenants(relay_factory: Any, url: str, client: httpx.AsyncClient) -> Relay:
    relay = await relay_factory(url)
    relay.endpoint("acme")
    relay.endpoint("globex")
    relay.subscriber("acme-desk", ["acme"])
    relay.subscriber("globex-desk", ["globex"])
    relay.subscriber("both", ["acme", "globex"])
    for i in range(1, 7):
        await relay.post(client, activity(i), endpoint="acme" if i % 2 else "globex")
    return relay


@pytest.fixture
async def tenants(relay_factory: Any, db_url: str, client: httpx.AsyncClient) -> Relay:
    """Both stores: the filtering is SQL."""
    return await _tenants(relay_factory, db_url, client)


@pytest.fixture
async def live_tenants(relay_factory: Any, sqlite_url: str, client: httpx.AsyncClient) -> Relay:
    """SQLite only: what these tests check happens above the store."""
    return await _tenants(relay_factory, sqlite_url, client)


def _stream(client: httpx.AsyncClient, relay: Relay, token: str, since: int = 0):
    return client.stream(
        "GET",
        f"{relay.url}/events",
        params={"since": since},
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(10, read=None),
    )


async def test_a_token_reads_only_its_endpoints(tenants: Relay, client: httpx.AsyncClient):
    def ids(batch: dict[str, Any]) -> list[tuple[str, int]]:
        return [(e["endpoint"], e["payload"]["id"]) for e in batch["events"]]

    acme = await tenants.batch(client, token=tenants.tokens["acme-desk"], limit=10000)
    globex = await tenants.batch(client, token=tenants.tokens["globex-desk"])
    both = await tenants.batch(client, token=tenants.tokens["both"])
    assert ids(acme) == [("acme", 1), ("acme", 3), ("acme", 5)]
    assert ids(globex) == [("globex", 2), ("globex", 4), ("globex", 6)]
    assert [i for _, i in ids(both)] == [1, 2, 3, 4, 5, 6]
    # Paging by the last seq seen works the same for a filtered token.
    page = await tenants.batch(client, token=tenants.tokens["acme-desk"], since=1, limit=1)
    assert ids(page) == [("acme", 3)]
    # The stream: replay then live, only acme's events, in order.
    async with _stream(client, tenants, tenants.tokens["acme-desk"]) as response:
        reader = SseReader(response)
        got = [(await reader.next())[2]["payload"]["id"] for _ in range(3)]
        await tenants.post(client, activity(8), endpoint="globex")
        await tenants.post(client, activity(9), endpoint="acme")
        got.append((await reader.next())[2]["payload"]["id"])
    assert got == [1, 3, 5, 9]


async def test_an_unbound_token_sees_nothing(live_tenants: Relay, client: httpx.AsyncClient):
    tenants = live_tenants
    admin.unbind_subscriber(tenants.store, "acme-desk", ["acme"])
    assert (await tenants.batch(client, token=tenants.tokens["acme-desk"]))["events"] == []
    async with _stream(client, tenants, tenants.tokens["acme-desk"]) as response:
        assert response.status_code == 200
        reader = SseReader(response)
        with pytest.raises(TimeoutError):
            await reader.next(timeout=0.8)
        assert any("bound to no endpoint" in c for c in reader.comments), reader.comments


async def test_binding_changes_apply_to_an_open_stream(
    live_tenants: Relay, client: httpx.AsyncClient
):
    tenants = live_tenants
    async with _stream(client, tenants, tenants.tokens["globex-desk"], since=6) as response:
        reader = SseReader(response)
        admin.bind_subscriber(tenants.store, "globex-desk", ["acme"])
        await asyncio.sleep(0.7)  # one heartbeat (0.5 s in tests)
        await tenants.post(client, activity(10), endpoint="acme")
        assert (await reader.next())[2]["payload"]["id"] == 10
        admin.unbind_subscriber(tenants.store, "globex-desk", ["acme"])
        await asyncio.sleep(0.7)
        await tenants.post(client, activity(11), endpoint="acme")
        await tenants.post(client, activity(12), endpoint="globex")
        assert (await reader.next())[2]["payload"]["id"] == 12


async def test_removing_an_endpoint_removes_its_readers(tenants: Relay, client: httpx.AsyncClient):
    assert tenants.store.remove_endpoint("acme")
    tenants.endpoint("acme")  # same name, new tenant
    await tenants.post(client, activity(20), endpoint="acme")
    assert (await tenants.batch(client, token=tenants.tokens["acme-desk"]))["events"] == []
    assert tenants.store.subscriber_endpoints("both") == ["globex"]


def test_add_needs_endpoints_that_exist(tmp_path: Any):
    store = open_store(f"sqlite:///{tmp_path}/relay.db")
    store.init_schema()
    try:
        with pytest.raises(AdminError, match="no endpoints yet"):
            admin.add_subscriber(store, "early")
        admin.add_endpoint(store, "acme")
        admin.add_subscriber(store, "solo")  # the only endpoint is the obvious choice
        assert store.subscriber_endpoints("solo") == ["acme"]
        admin.add_endpoint(store, "globex")
        with pytest.raises(AdminError, match="--endpoint"):
            admin.add_subscriber(store, "vague")
        with pytest.raises(AdminError, match="No endpoint named 'initech'"):
            admin.add_subscriber(store, "typo", ["initech"])
        with pytest.raises(AdminError, match="No subscriber named"):
            admin.bind_subscriber(store, "ghost", ["acme"])
    finally:
        store.close()


def _cli(*argv: str) -> tuple[int, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = relay_cli.main([*argv, "--json"])
    return code, json.loads(out.getvalue()) if code == 0 else err.getvalue()


def test_cli_shows_and_changes_the_binding(tmp_path: Any):
    db = f"sqlite:///{tmp_path}/relay.db"
    for name in ("acme", "globex", "initech"):
        assert _cli("endpoint", "add", name, "--db", db)[0] == 0
    code, error = _cli("subscriber", "add", "desk", "--db", db)
    assert code == 1 and "--endpoint" in error and error.count("\n") == 1
    code, added = _cli("subscriber", "add", "desk", "--endpoint", "acme", "--db", db)
    assert code == 0 and added["endpoints"] == ["acme"]
    assert _cli("subscriber", "bind", "desk", "globex", "initech", "--db", db)[1] == {
        "name": "desk",
        "endpoints": ["acme", "globex", "initech"],
    }
    assert _cli("subscriber", "unbind", "desk", "acme", "initech", "--db", db)[1]["endpoints"] == [
        "globex"
    ]
    assert _cli("subscriber", "show", "desk", "--db", db)[1] == {
        "name": "desk",
        "active": True,
        "endpoints": ["globex"],
    }
    assert _cli("subscriber", "revoke", "desk", "--db", db)[0] == 0
    listed = _cli("subscriber", "list", "--db", db)[1]["subscribers"]
    assert listed == [{"name": "desk", "active": False, "endpoints": ["globex"]}]
    code, error = _cli("subscriber", "bind", "desk", "nope", "--db", db)
    assert code == 1 and "No endpoint named 'nope'" in error


async def test_a_store_from_before_bindings_keeps_its_tokens_working(
    tmp_path: Any, relay_factory: Any, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
):
    path = tmp_path / "relay.db"
    store = open_store(f"sqlite:///{path}")
    store.init_schema()
    admin.add_endpoint(store, "acme")
    admin.add_endpoint(store, "globex")
    token = admin.add_subscriber(store, "old-desk", ["acme"])
    gone = admin.add_subscriber(store, "gone", ["acme"])
    admin.revoke_subscriber(store, "gone")
    store.close()
    # Turn it into a store as the relay before bindings left it.
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE relay_bindings")
        conn.execute("DROP TABLE relay_schema_version")
        conn.execute("DELETE FROM relay_meta WHERE key = 'bindings_v1'")
    conn.close()
    caplog.set_level(logging.WARNING, logger="ninja_desk.relay.store")
    relay: Relay = await relay_factory(f"sqlite:///{path}")
    relay.secrets["acme"] = admin.rotate_endpoint(relay.store, "acme", 0)
    relay.secrets["globex"] = admin.rotate_endpoint(relay.store, "globex", 0)
    await relay.post(client, activity(1), endpoint="acme")
    await relay.post(client, activity(2), endpoint="globex")
    events = (await relay.batch(client, token=token))["events"]
    assert [e["endpoint"] for e in events] == ["acme", "globex"]
    assert relay.store.subscriber_endpoints("gone") == []
    [warning] = [r for r in caplog.records if "upgraded" in r.getMessage()]
    assert "acme, globex" in warning.getMessage() and "subscriber unbind" in warning.getMessage()
    # Only once: a second start migrates nothing and logs nothing.
    caplog.clear()
    relay.store.init_schema()
    assert not [r for r in caplog.records if "upgraded" in r.getMessage()]
    del gone
