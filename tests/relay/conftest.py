"""Relay test fixtures: real servers on loopback, SQLite files and fresh PostgreSQL databases."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
from aiohttp import web

from ninja_desk.relay import admin
from ninja_desk.relay.app import create_app, make_runner
from ninja_desk.relay.state import RELAY, RelayConfig, RelayState
from ninja_desk.relay.store import RelayStore, open_store

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def fresh_pg_database() -> Iterator[str]:
    name = f"relay_test_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        # Fails, never skips: deselect PostgreSQL tests explicitly with -m "not postgres".
        pytest.fail(
            f'PostgreSQL at {PG_ADMIN} is not reachable ({exc}); start it or run -m "not postgres".'
        )
    with admin as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One fresh database per test run (per xdist worker), dropped at the end."""
    with fresh_pg_database() as url:
        store = open_store(url)
        store.init_schema()
        store.close()
        yield url


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The run's database, emptied: every test starts from seq 1 with no endpoints."""
    with psycopg.connect(pg_database) as conn:  # one transaction, one commit
        # DELETE + RESTART beats TRUNCATE on tables this small (no new relation files).
        for table in (
            "relay_events",
            "relay_dedup",
            "relay_endpoints",
            "relay_subscribers",
            "relay_forward_targets",
            "relay_outbox",
            "relay_bindings",
        ):
            conn.execute(f"DELETE FROM {table}")
        for table, column in (
            ("relay_events", "seq"),
            ("relay_forward_targets", "id"),
            ("relay_outbox", "id"),
        ):
            conn.execute(f"ALTER TABLE {table} ALTER COLUMN {column} RESTART")
        conn.execute("UPDATE relay_meta SET value = 0")
    return pg_database


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/relay.db"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/relay.db"
    return request.getfixturevalue("pg_url")


@dataclass
class Relay:
    """One running relay instance plus the credentials the tests created on it."""

    url: str
    store: RelayStore
    app: web.Application
    runner: web.AppRunner
    secrets: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> RelayState:
        return self.app[RELAY]

    def endpoint(self, name: str = "acme") -> str:
        self.secrets[name] = admin.add_endpoint(self.store, name)
        return self.secrets[name]

    def subscriber(self, name: str = "desk1", endpoints: list[str] | None = None) -> str:
        """A token bound to `endpoints` (default: every endpoint made so far)."""
        bound = endpoints if endpoints is not None else self.store.list_endpoints()
        self.tokens[name] = admin.add_subscriber(self.store, name, bound or None)
        return self.tokens[name]

    async def post(
        self,
        client: httpx.AsyncClient,
        payload: Any,
        endpoint: str = "acme",
        secret: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = {"X-NinjaDesk-Secret": secret or self.secrets[endpoint]}
        headers.update(kwargs.pop("headers", {}))
        return await client.post(
            f"{self.url}/hooks/{endpoint}", json=payload, headers=headers, **kwargs
        )

    async def batch(
        self, client: httpx.AsyncClient, since: int = 0, token: str | None = None, **params: Any
    ) -> dict[str, Any]:
        response = await client.get(
            f"{self.url}/events",
            params={"since": since, "wait": 0, **params},
            headers={"Authorization": f"Bearer {token or next(iter(self.tokens.values()))}"},
        )
        assert response.status_code == 200, response.text
        return response.json()


async def start_relay(url: str, config: RelayConfig | None = None) -> Relay:
    store = open_store(url)
    store.init_schema()
    app = create_app(store, config or RelayConfig(heartbeat=0.5, auth_cache_ttl=1.0))
    runner = make_runner(app, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return Relay(f"http://127.0.0.1:{port}", store, app, runner)


@pytest.fixture
async def relay_factory() -> AsyncIterator[Callable[..., Any]]:
    started: list[Relay] = []

    async def factory(url: str, config: RelayConfig | None = None) -> Relay:
        relay = await start_relay(url, config)
        started.append(relay)
        return relay

    yield factory
    for relay in started:
        await relay.runner.cleanup()


@pytest.fixture
async def relay(relay_factory: Callable[..., Any], db_url: str) -> Relay:
    relay = await relay_factory(db_url)
    relay.endpoint("acme")
    relay.subscriber("desk1")
    return relay


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def activity(activity_id: int | None, **extra: Any) -> dict[str, Any]:
    """A CONDITION/TRIGGERED delivery shaped like reference §12.14."""
    payload: dict[str, Any] = {
        "activityTime": 1742391675.556,
        "deviceId": 102,
        "seriesUid": "e6b0b0bd-5753-445d-9e4a-71c08983cbd5",
        "activityType": "CONDITION",
        "statusCode": "TRIGGERED",
        "status": "Triggered",
        "message": "Memory Utilization is greater than or equal to 80% for 5 minutes",
        "type": "Condition",
        "data": {"message": {"code": "vmm_cond_memory_usage_ge", "params": {"threshold": 80}}},
    }
    if activity_id is not None:
        payload["id"] = activity_id
    payload.update(extra)
    return payload
