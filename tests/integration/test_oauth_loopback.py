"""The browser sign-in end to end: simulator + a scripted browser (httpx following redirects)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from ninja_desk.ninjaone.oauth_loopback import (
    LoopbackLogin,
    LoopbackPortInUse,
    LoopbackSettings,
    OAuthCancelled,
    OAuthDenied,
    OAuthLoginError,
    OAuthTimeout,
    login_client_credentials,
    login_scopes,
)
from ninja_desk.simulator import RunningSimulator, SimulatorConfig, start_simulator


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with start_simulator(SimulatorConfig(orgs=2, devices=5, seed=1)) as running:
        yield running


class ScriptedBrowser:
    """What a user's browser does: optional favicon/preconnect noise, consent, redirects."""

    def __init__(
        self,
        decision: str = "allow",
        *,
        noise: bool = False,
        tamper: Callable[[str], str] | None = None,
    ) -> None:
        self.decision = decision
        self.noise = noise
        self.tamper = tamper
        self.task: asyncio.Task[httpx.Response] | None = None
        self.callback_url: str | None = None

    def open(self, url: str) -> bool:
        self.task = asyncio.get_running_loop().create_task(self._visit(url))
        return True

    async def _visit(self, url: str) -> httpx.Response:
        listener = None
        async with httpx.AsyncClient(timeout=10.0) as http:
            # The consent page's Allow / Deny buttons submit the same query plus `decision`.
            page = await http.get(url)
            assert page.status_code == 200 and "Allow" in page.text
            answer = await http.get(url + "&" + urlencode({"decision": self.decision}))
            assert answer.status_code == 302
            location = answer.headers["location"]
            parts = urlsplit(location)
            listener = f"{parts.scheme}://{parts.netloc}"
            if self.noise:
                # A preconnect that never sends a byte, then a favicon request.
                host, port = parts.hostname, parts.port
                _, idle_writer = await asyncio.open_connection(host, port)
                favicon = await http.get(listener + "/favicon.ico")
                assert favicon.status_code == 404
            if self.tamper is not None:
                location = self.tamper(location)
            self.callback_url = location
            result = await http.get(location)
            if self.noise:
                idle_writer.close()
            return result

    async def page(self) -> httpx.Response:
        assert self.task is not None
        return await self.task


def native(sim: RunningSimulator, **kw: object) -> LoopbackSettings:
    return LoopbackSettings(base_url=sim.base_url, client_id="desk-native", **kw)  # type: ignore[arg-type]


async def test_success_with_favicon_and_preconnect_noise(sim: RunningSimulator) -> None:
    browser = ScriptedBrowser(noise=True)
    login = LoopbackLogin(native(sim), opener=browser.open)
    tokens = await login.run()
    page = await browser.page()
    assert page.status_code == 200 and "connected" in page.text.lower()
    assert tokens.refresh_token and tokens.access_token
    assert tokens.scopes == {"monitoring", "management", "control", "offline_access"}
    assert login.not_found_count == 1
    query = parse_qs(urlsplit(browser.callback_url or "").query)
    assert "code" in query
    # The authorize request carried PKCE S256 and a state; the listener is gone afterwards.
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(login.redirect_uri)


async def test_authorize_url_shape(sim: RunningSimulator) -> None:
    login = LoopbackLogin(native(sim, scopes=login_scopes(allow_control=False)), opener=None)
    url = await login.start()
    try:
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert urlsplit(url).path == "/ws/oauth/authorize"
        assert q["response_type"] == "code"
        assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
        assert len(q["state"]) >= 40
        assert q["scope"] == "monitoring management offline_access"
        assert q["redirect_uri"] == f"http://127.0.0.1:{login.port}/callback"
    finally:
        await login.close()


async def test_web_app_with_client_secret(sim: RunningSimulator) -> None:
    browser = ScriptedBrowser()
    settings = LoopbackSettings(sim.base_url, "desk-web", client_secret="web-secret")
    assert "web-secret" not in repr(settings)
    tokens = await LoopbackLogin(settings, opener=browser.open).run()
    assert tokens.refresh_token
    wrong = LoopbackSettings(sim.base_url, "desk-web", client_secret="nope")
    browser = ScriptedBrowser()
    with pytest.raises(OAuthLoginError, match="did not accept"):
        await LoopbackLogin(wrong, opener=browser.open).run()
    assert (await browser.page()).status_code == 400


async def test_denied(sim: RunningSimulator) -> None:
    browser = ScriptedBrowser("deny")
    with pytest.raises(OAuthDenied, match="denied"):
        await LoopbackLogin(native(sim), opener=browser.open).run()
    page = await browser.page()
    assert page.status_code == 400 and "could not connect" in page.text


async def test_wrong_state_is_refused_and_the_sign_in_keeps_waiting(
    sim: RunningSimulator,
) -> None:
    """A forged callback (another local process, a web page) gets 400; the real one still wins."""
    refused: list[httpx.Response] = []

    browser = ScriptedBrowser()
    login = LoopbackLogin(native(sim), opener=None)
    await login.start()
    sim.state.stats.reset()
    async with httpx.AsyncClient(timeout=5) as http:
        base = login.redirect_uri
        for query in ("state=forged&code=stolen", "code=stolen", "state=%C3%A9t%C3%A9&code=x"):
            refused.append(await http.get(f"{base}?{query}"))
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert all("does not belong to the sign-in" in r.text for r in refused)
    assert login.refused_count == 3
    browser.open(login.authorize_url)
    tokens = await login.wait()
    assert tokens.access_token and tokens.refresh_token
    assert (await browser.page()).status_code == 200
    # The forged codes were never exchanged: only the genuine one reached the token endpoint.
    assert sim.state.stats.requests.get("POST /ws/oauth/token", 0) == 1


async def test_wrong_state_then_timeout_or_cancel(sim: RunningSimulator) -> None:
    login = LoopbackLogin(native(sim, timeout=0.5), opener=None)
    await login.start()
    async with httpx.AsyncClient(timeout=5) as http:
        forged = await http.get(login.redirect_uri + "?state=nope&code=x")
    assert forged.status_code == 400
    with pytest.raises(OAuthTimeout):
        await login.wait()

    login = LoopbackLogin(native(sim), opener=None)
    await login.start()
    async with httpx.AsyncClient(timeout=5) as http:
        assert (await http.get(login.redirect_uri + "?state=nope")).status_code == 400
    waiting = asyncio.create_task(login.wait())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    login.cancel()
    with pytest.raises(OAuthCancelled):
        await waiting


async def test_timeout_closes_the_listener(sim: RunningSimulator) -> None:
    login = LoopbackLogin(native(sim, timeout=0.3), opener=lambda url: True)
    with pytest.raises(OAuthTimeout, match="did not finish"):
        await login.run()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", login.port or 0), timeout=1).close()


async def test_cancel(sim: RunningSimulator) -> None:
    login = LoopbackLogin(native(sim), opener=lambda url: True)
    task = asyncio.create_task(login.run())
    while login.port is None:
        await asyncio.sleep(0.01)
    login.cancel()
    with pytest.raises(OAuthCancelled):
        await task
    # Cancelling the awaiting task (the window closed) also frees the port.
    login2 = LoopbackLogin(native(sim), opener=lambda url: True)
    task2 = asyncio.create_task(login2.run())
    while login2.port is None:
        await asyncio.sleep(0.01)
    task2.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task2
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", login2.port), timeout=1).close()


async def test_registered_port_in_use(sim: RunningSimulator) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    try:
        with pytest.raises(LoopbackPortInUse, match=f"Port {port}"):
            await LoopbackLogin(native(sim, port=port), opener=lambda url: True).run()
    finally:
        blocker.close()
    # Free again: the registered port works.
    browser = ScriptedBrowser()
    login = LoopbackLogin(native(sim, port=port), opener=browser.open)
    assert (await login.run()).access_token
    assert login.port == port


def _non_loopback_ip() -> str | None:
    candidates = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent for UDP connect
            candidates.append(probe.getsockname()[0])
    except OSError:
        pass
    with contextlib.suppress(OSError):
        candidates.append(socket.gethostbyname(socket.gethostname()))
    return next((ip for ip in candidates if not ip.startswith("127.") and ip != "0.0.0.0"), None)


async def test_listener_is_not_reachable_from_the_network(sim: RunningSimulator) -> None:
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("reason: this machine has no non-loopback IPv4 address to connect from")
    login = LoopbackLogin(native(sim), opener=lambda url: True)
    await login.start()
    try:
        assert login.port is not None
        # Reachable on loopback ...
        socket.create_connection(("127.0.0.1", login.port), timeout=2).close()
        # ... but not on the machine's network address.
        with pytest.raises(OSError):
            socket.create_connection((ip, login.port), timeout=2).close()
    finally:
        await login.close()


def test_settings_refuse_a_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="loopback"):
        LoopbackSettings("https://app.ninjarmm.com", "x", host="0.0.0.0")


async def test_client_credentials_for_the_agent(sim: RunningSimulator) -> None:
    tokens = await login_client_credentials(sim.base_url, "demo-client", "demo-secret")
    assert tokens.access_token and tokens.refresh_token is None
    assert tokens.scopes == {"monitoring", "management", "control"}
    with pytest.raises(OAuthLoginError, match="client ID and secret"):
        await login_client_credentials(sim.base_url, "demo-client", "wrong")


async def test_double_submitted_callback_exchanges_the_code_once(sim: RunningSimulator) -> None:
    pages: list[httpx.Response] = []

    async def visit(url: str) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.get(url + "&decision=allow")
            location = answer.headers["location"]
            pages.extend(await asyncio.gather(http.get(location), http.get(location)))

    tasks: list[asyncio.Task[None]] = []
    login = LoopbackLogin(
        native(sim), opener=lambda url: tasks.append(asyncio.create_task(visit(url))) or True
    )
    sim.state.stats.reset()
    assert (await login.run()).access_token
    await tasks[0]
    assert sorted(p.status_code for p in pages) == [200, 410]
    assert sim.state.stats.requests.get("POST /ws/oauth/token", 0) == 1
