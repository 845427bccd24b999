"""Token lifecycle against the simulator: one refresh for many callers, rotation persisted
first, other processes' rotations picked up, revocation stops everything with one message."""

from __future__ import annotations

import asyncio
import itertools
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.connection import ConnectionState, ConnectionStatus
from ninja_desk.ninjaone.credentials import (
    REFRESH_TOKEN,
    KeyringSecrets,
    KeyringTokenStore,
    service_name,
)
from ninja_desk.ninjaone.errors import NinjaOneReconnectRequired
from ninja_desk.ninjaone.oauth_loopback import LoopbackLogin, LoopbackSettings
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.tokens import MemoryTokenStore, OAuthTokenProvider, TokenSet
from ninja_desk.simulator import (
    AsyncSimControl,
    RunningSimulator,
    SimulatorConfig,
    start_simulator,
)
from tests.keyring_memory import MemoryKeyring, memory_keyring  # noqa: F401

CLIENT = "desk-native"
TOKEN_EP = "POST /ws/oauth/token"


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[RunningSimulator]:
    lifetime = getattr(request, "param", 3600)
    config = SimulatorConfig(orgs=2, devices=5, seed=1, token_lifetime=lifetime)
    async with start_simulator(config) as running:
        yield running


async def sign_in(
    sim: RunningSimulator, scopes: tuple[str, ...] | None = None, client_id: str = CLIENT
) -> TokenSet:
    visits: list[asyncio.Task[httpx.Response]] = []

    async def browse(url: str) -> httpx.Response:
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as http:
            return await http.get(url + "&decision=allow")

    def opener(url: str) -> bool:
        visits.append(asyncio.get_running_loop().create_task(browse(url)))
        return True

    settings = LoopbackSettings(sim.base_url, client_id)
    if scopes is not None:
        settings.scopes = scopes
    tokens = await LoopbackLogin(settings, opener=opener).run()
    assert (await visits[0]).status_code == 200
    return tokens


def token_requests(sim: RunningSimulator) -> int:
    return sim.state.stats.requests.get(TOKEN_EP, 0)


def make_provider(
    sim: RunningSimulator, tmp_path: Path, **kw: object
) -> tuple[OAuthTokenProvider, KeyringTokenStore]:
    store = KeyringTokenStore(KeyringSecrets(service_name(sim.base_url, CLIENT)))
    provider = OAuthTokenProvider(
        sim.base_url,
        CLIENT,
        store=store,
        lock_path=tmp_path / "ninjaone-token.lock",
        **kw,  # type: ignore[arg-type]
    )
    return provider, store


def make_client(
    sim: RunningSimulator, provider: OAuthTokenProvider, **kw: object
) -> NinjaOneClient:
    return NinjaOneClient(
        sim.base_url,
        provider,
        limiter=RateLimiter(10_000, 1_000),
        retry=RetryPolicy(base_delay=0.01, max_delay=0.05),
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("sim", [3600, 1], indirect=True, ids=["server-expired", "lifetime-1s"])
async def test_fifty_concurrent_calls_with_an_expired_token_refresh_once(
    sim: RunningSimulator,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    tokens = await sign_in(sim)
    provider, _ = make_provider(sim, tmp_path, leeway=0.0)
    provider.accept_session(tokens)
    if sim.config.token_lifetime == 1:
        await asyncio.sleep(1.1)  # the client itself sees the token as expired
    else:
        async with AsyncSimControl(sim.base_url) as control:
            assert await control.expire_tokens() >= 1  # only the server knows
    before = token_requests(sim)
    async with make_client(sim, provider) as client:
        results = await asyncio.gather(*(client.get("/organizations") for _ in range(50)))
    assert all(isinstance(r, list) and r for r in results)
    assert provider.refresh_count == 1
    assert token_requests(sim) - before == 1


async def test_rotated_refresh_token_is_persisted_before_the_next_call(
    sim: RunningSimulator,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    events: list[tuple[str, str]] = []
    original_set = memory_keyring.set_password

    def recording_set(service: str, username: str, password: str) -> None:
        events.append(("keyring", password))
        original_set(service, username, password)

    memory_keyring.set_password = recording_set  # type: ignore[method-assign]

    async def on_request(request: httpx.Request) -> None:
        events.append(("api", request.headers["authorization"].removeprefix("Bearer ")))

    tokens = await sign_in(sim)
    provider, store = make_provider(sim, tmp_path)
    provider.accept_session(tokens)
    first_refresh = tokens.refresh_token
    async with AsyncSimControl(sim.base_url) as control:
        await control.expire_tokens()
    http = httpx.AsyncClient(event_hooks={"request": [on_request]})
    async with make_client(sim, provider, http=http) as client:
        await client.get("/organizations")
    await http.aclose()

    new = store.load()
    assert new is not None and new.refresh_token and new.refresh_token != first_refresh
    saved_at = events.index(("keyring", new.refresh_token))
    first_use = events.index(("api", new.access_token))
    assert saved_at < first_use
    # The keyring holds the live token: a new process can continue with it.
    assert memory_keyring.get_password(service_name(sim.base_url, CLIENT), REFRESH_TOKEN) == (
        new.refresh_token
    )
    fresh_process, _ = make_provider(sim, tmp_path)
    assert await fresh_process.get_token()
    assert fresh_process.refresh_count == 1


async def test_a_rotation_by_another_process_is_picked_up(
    sim: RunningSimulator,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    tokens = await sign_in(sim)
    app, _ = make_provider(sim, tmp_path)
    agent, _ = make_provider(sim, tmp_path)
    app.accept_session(tokens)
    assert await agent.get_token()  # the agent starts: refreshes with the stored token (rotates)
    async with AsyncSimControl(sim.base_url) as control:
        await control.expire_tokens()
    # The app still holds the pre-rotation refresh token in memory; under the lock it re-reads.
    async with make_client(sim, app) as client:
        assert await client.get("/organizations")
    assert app.reconnect_required is None


async def test_without_reloading_the_store_the_stale_token_fails(
    sim: RunningSimulator,
    tmp_path: Path,
) -> None:
    """Control for the test above: a store that cannot see the other process's rotation."""
    tokens = await sign_in(sim)
    app = OAuthTokenProvider(sim.base_url, CLIENT, store=MemoryTokenStore(tokens))
    agent = OAuthTokenProvider(sim.base_url, CLIENT, store=MemoryTokenStore(tokens))
    await agent.refresh_after_unauthorized(tokens.access_token)
    with pytest.raises(NinjaOneReconnectRequired):
        await app.refresh_after_unauthorized(tokens.access_token)


async def test_refresh_waits_for_another_process_holding_the_lock(
    sim: RunningSimulator,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    tokens = await sign_in(sim)
    provider, _ = make_provider(sim, tmp_path)
    provider.accept_session(tokens)
    lock = tmp_path / "ninjaone-token.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import filelock,sys,time\n"
            f"l=filelock.FileLock({str(lock)!r}); l.acquire(); print('held', flush=True)\n"
            "time.sleep(0.6); l.release()",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        await provider.refresh_after_unauthorized(tokens.access_token)
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    assert waited >= 0.3
    assert provider.refresh_count == 1


async def test_revoked_token_means_reconnect_required_once(
    sim: RunningSimulator,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = ConnectionStatus()
    seen: list[ConnectionState] = []
    status.add_listener(lambda snap: seen.append(snap.state))
    tokens = await sign_in(sim)
    provider, _ = make_provider(
        sim,
        tmp_path,
        on_reconnect_required=status.reconnect_required,
        on_tokens=status.tokens_updated,
    )
    provider.accept_session(tokens)
    status.connected(tokens)
    http = httpx.AsyncClient(event_hooks={"response": [status.httpx_response_hook]})
    client = make_client(sim, provider, http=http)
    assert await client.get("/organizations")
    assert status.snapshot.last_success is not None

    async with AsyncSimControl(sim.base_url) as control:
        assert await control.revoke_tokens() >= 2
    before = token_requests(sim)
    caplog.set_level(logging.DEBUG)

    # A sync loop that keeps going while the status allows it, with concurrent calls inside.
    rounds = failures = 0
    while status.can_sync and rounds < 20:
        rounds += 1
        status.syncing()
        results = await asyncio.gather(
            *(client.get("/devices") for _ in range(10)), return_exceptions=True
        )
        failures += sum(isinstance(r, NinjaOneReconnectRequired) for r in results)
        status.sync_finished()
    for _ in range(5):  # and anything else that still calls fails fast
        with pytest.raises(NinjaOneReconnectRequired):
            await client.get("/devices")
    await client.aclose()
    await http.aclose()

    assert rounds == 1 and failures == 10
    assert token_requests(sim) - before == 1  # one refresh attempt, no retry storm
    assert status.state is ConnectionState.RECONNECT_REQUIRED
    assert "Reconnect to NinjaOne" in (status.snapshot.reason or "")
    assert seen.count(ConnectionState.RECONNECT_REQUIRED) == 1
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "reconnect" in warnings[0].getMessage().lower()

    # Signing in again lifts the verdict.
    provider.accept_session(await sign_in(sim))
    async with make_client(sim, provider) as client:
        assert await client.get("/organizations")


async def test_session_without_refresh_token_warns_before_expiry(
    sim: RunningSimulator,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    status = ConnectionStatus()
    tokens = await sign_in(sim, scopes=("monitoring",))
    assert tokens.refresh_token is None
    warnings: list[float] = []

    def warn(expires_at: float) -> None:
        warnings.append(expires_at)
        status.expiry_warning(expires_at)

    provider, _ = make_provider(sim, tmp_path, on_expiry_warning=warn, warn_ahead=7200)
    provider.accept_session(tokens)
    for _ in range(3):
        await provider.get_token()
    assert warnings == [tokens.expires_at]
    assert "cannot renew itself" in (status.snapshot.expiry_warning or "")


async def test_a_slow_keyring_during_refresh_does_not_stall_the_loop(
    sim: RunningSimulator,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    """The keyring answers in 0.8 s (a locked wallet, D-Bus busy): the refresh reads and
    persists the rotated token on a worker while the loop — the window's — keeps turning."""
    import threading

    tokens = await sign_in(sim)
    provider, _ = make_provider(sim, tmp_path, leeway=0.0)
    provider.accept_session(tokens)
    threads: list[threading.Thread] = []
    original_get, original_set = memory_keyring.get_password, memory_keyring.set_password

    def slow_get(service: str, username: str) -> str | None:
        threads.append(threading.current_thread())
        time.sleep(0.8)
        return original_get(service, username)

    def slow_set(service: str, username: str, password: str) -> None:
        threads.append(threading.current_thread())
        time.sleep(0.8)
        original_set(service, username, password)

    memory_keyring.get_password = slow_get  # type: ignore[method-assign]
    memory_keyring.set_password = slow_set  # type: ignore[method-assign]
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    beat = asyncio.ensure_future(ticker())
    try:
        await provider.refresh_after_unauthorized(tokens.access_token)
    finally:
        beat.cancel()
    assert provider.refresh_count == 1
    assert len(threads) == 2 and threading.main_thread() not in threads  # reload, then save
    # Blocked, the loop would wait 0.8 s per keyring call; the margin is for a loaded machine.
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.5
