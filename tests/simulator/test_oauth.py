"""OAuth grants and their RFC 6749 errors (reference §2)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ninja_desk.simulator import SimulatorConfig, start_simulator
from ninja_desk.simulator.oauth import redirect_matches
from ninja_desk.simulator.server import RunningSimulator

NATIVE_REDIRECT = "http://127.0.0.1:53123/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


async def _authorize(
    http: httpx.AsyncClient,
    *,
    client_id: str = "desk-native",
    redirect: str = NATIVE_REDIRECT,
    challenge: str | None = None,
    scope: str = "monitoring offline_access",
    extra: dict | None = None,
) -> dict[str, list[str]]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect,
        "scope": scope,
        "state": "xyz",
        "auto_consent": "1",
    } | (extra or {})
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    resp = await http.get("/ws/oauth/authorize", params=params)
    assert resp.status_code == 302, resp.text
    location = resp.headers["Location"]
    assert location.startswith(redirect)
    return parse_qs(urlsplit(location).query)


async def _token(http: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await http.post("/ws/oauth/token", data=form)


async def test_pkce_code_flow_and_refresh_rotation(http: httpx.AsyncClient) -> None:
    verifier, challenge = _pkce()
    query = await _authorize(http, challenge=challenge)
    assert query["state"] == ["xyz"]
    code = query["code"][0]
    resp = await _token(
        http,
        grant_type="authorization_code",
        code=code,
        redirect_uri=NATIVE_REDIRECT,
        client_id="desk-native",
        code_verifier=verifier,
    )
    assert resp.status_code == 200, resp.text
    first = resp.json()
    assert first["scope"] == "monitoring offline_access" and first["refresh_token"]
    # Reused code.
    again = await _token(
        http,
        grant_type="authorization_code",
        code=code,
        redirect_uri=NATIVE_REDIRECT,
        client_id="desk-native",
        code_verifier=verifier,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # Refresh rotates; the old refresh token stops working.
    r1 = await _token(
        http,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id="desk-native",
    )
    assert r1.status_code == 200
    second = r1.json()
    assert second["refresh_token"] != first["refresh_token"]
    old = await _token(
        http,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id="desk-native",
    )
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
    api = await http.get(
        "/v2/organizations", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert api.status_code == 200


async def test_pkce_mismatch_is_invalid_grant(http: httpx.AsyncClient) -> None:
    _, challenge = _pkce()
    code = (await _authorize(http, challenge=challenge))["code"][0]
    resp = await _token(
        http,
        grant_type="authorization_code",
        code=code,
        redirect_uri=NATIVE_REDIRECT,
        client_id="desk-native",
        code_verifier="not-the-verifier",
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant" and resp.json()["error_description"]


async def test_redirect_mismatch_at_token_endpoint(http: httpx.AsyncClient) -> None:
    verifier, challenge = _pkce()
    code = (await _authorize(http, challenge=challenge))["code"][0]
    resp = await _token(
        http,
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://127.0.0.1:9/other",
        client_id="desk-native",
        code_verifier=verifier,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


async def test_unregistered_redirect_is_refused_without_redirecting(
    http: httpx.AsyncClient,
) -> None:
    _, challenge = _pkce()
    resp = await http.get(
        "/ws/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": "desk-native",
            "redirect_uri": "https://evil.example/callback",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "auto_consent": "1",
        },
    )
    assert resp.status_code == 400 and "Location" not in resp.headers


def test_loopback_redirects_match_any_port_only() -> None:
    registered = ("http://127.0.0.1/callback",)
    assert redirect_matches(registered, "http://127.0.0.1:51234/callback")
    assert redirect_matches(registered, "http://127.0.0.1/callback")
    assert not redirect_matches(registered, "http://127.0.0.1:51234/other")
    assert not redirect_matches(registered, "https://127.0.0.1:51234/callback")
    assert not redirect_matches(
        ("https://desk.example.com/cb",), "https://desk.example.com:8443/cb"
    )


@pytest.fixture
async def short_lived() -> AsyncIterator[httpx.AsyncClient]:
    cfg = SimulatorConfig(orgs=2, devices=10, seed=1, code_lifetime=0.0, token_lifetime=120)
    async with start_simulator(cfg) as sim, httpx.AsyncClient(base_url=sim.base_url) as http:
        yield http


async def test_expired_code_is_invalid_grant(short_lived: httpx.AsyncClient) -> None:
    verifier, challenge = _pkce()
    code = (await _authorize(short_lived, challenge=challenge))["code"][0]
    resp = await _token(
        short_lived,
        grant_type="authorization_code",
        code=code,
        redirect_uri=NATIVE_REDIRECT,
        client_id="desk-native",
        code_verifier=verifier,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    assert "expired" in resp.json()["error_description"]


async def test_consent_page_allow_and_deny(http: httpx.AsyncClient) -> None:
    _, challenge = _pkce()
    params = {
        "response_type": "code",
        "client_id": "desk-native",
        "redirect_uri": NATIVE_REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s1",
        "scope": "monitoring",
        "client_secret": "ignored",
    }  # HOMO sends a secret here; tolerated
    page = await http.get("/ws/oauth/authorize", params=params)
    assert page.status_code == 200 and "Allow" in page.text and "Deny" in page.text
    deny = await http.get("/ws/oauth/authorize", params=params | {"decision": "deny"})
    q = parse_qs(urlsplit(deny.headers["Location"]).query)
    assert q["error"] == ["access_denied"] and q["state"] == ["s1"]
    allow = await http.get("/ws/oauth/authorize", params=params | {"decision": "allow"})
    assert "code" in parse_qs(urlsplit(allow.headers["Location"]).query)


async def test_web_client_with_secret_and_basic_auth(http: httpx.AsyncClient) -> None:
    redirect = "https://desk.example.com/callback"
    code = (await _authorize(http, client_id="desk-web", redirect=redirect))["code"][0]
    wrong = await http.post(
        "/ws/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        auth=("desk-web", "nope"),
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    code = (await _authorize(http, client_id="desk-web", redirect=redirect))["code"][0]
    ok = await http.post(
        "/ws/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        auth=("desk-web", "web-secret"),
    )
    assert ok.status_code == 200 and "refresh_token" in ok.json()


async def test_client_credentials_errors(http: httpx.AsyncClient) -> None:
    basic = await http.post(
        "/ws/oauth/token",
        data={"grant_type": "client_credentials", "scope": "monitoring"},
        auth=("demo-client", "demo-secret"),
    )
    assert basic.status_code == 200
    bad = await _token(
        http, grant_type="client_credentials", client_id="demo-client", client_secret="wrong"
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    not_enabled = await _token(
        http,
        grant_type="authorization_code",
        client_id="demo-client",
        client_secret="demo-secret",
        code="x",
        redirect_uri="x",
    )
    assert not_enabled.json()["error"] == "unauthorized_client"
    public = await _token(http, grant_type="client_credentials", client_id="desk-native")
    assert public.json()["error"] == "unauthorized_client"
    scope = await _token(
        http,
        grant_type="client_credentials",
        client_id="demo-client",
        client_secret="demo-secret",
        scope="monitoring everything",
    )
    assert scope.json()["error"] == "invalid_scope"


async def test_offline_access_gives_refresh_token_and_revocation(
    http: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    body = (
        await _token(
            http,
            grant_type="client_credentials",
            client_id="demo-client",
            client_secret="demo-secret",
            scope="monitoring offline_access",
        )
    ).json()
    assert body["refresh_token"]
    revoked = await http.post("/_sim/tokens/revoke", json={})
    assert revoked.json()["revoked"] >= 2
    again = await _token(
        http,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id="demo-client",
        client_secret="demo-secret",
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    api = await http.get(
        "/v2/organizations", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert api.status_code == 401


async def test_revoke_endpoint_and_metadata(http: httpx.AsyncClient) -> None:
    body = (
        await _token(
            http,
            grant_type="client_credentials",
            client_id="demo-client",
            client_secret="demo-secret",
            scope="monitoring offline_access",
        )
    ).json()
    resp = await http.post(
        "/ws/oauth/revoke",
        data={"token": body["refresh_token"]},
        auth=("demo-client", "demo-secret"),
    )
    assert resp.status_code == 200
    again = await _token(
        http,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id="demo-client",
        client_secret="demo-secret",
    )
    assert again.json()["error"] == "invalid_grant"
    meta = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["token_endpoint"].endswith("/ws/oauth/token")


async def test_scopes_are_enforced(http: httpx.AsyncClient, sim: RunningSimulator) -> None:
    mon = (
        await _token(
            http,
            grant_type="client_credentials",
            client_id="demo-client",
            client_secret="demo-secret",
            scope="monitoring",
        )
    ).json()["access_token"]
    mgmt = (
        await _token(
            http,
            grant_type="client_credentials",
            client_id="demo-client",
            client_secret="demo-secret",
            scope="management",
        )
    ).json()["access_token"]
    uid = next(iter(sim.tenant.alerts))
    denied = await http.delete(f"/v2/alert/{uid}", headers={"Authorization": f"Bearer {mon}"})
    assert denied.status_code == 403 and "management" in denied.json()["errorMessage"]
    read = await http.get("/v2/devices", headers={"Authorization": f"Bearer {mgmt}"})
    assert read.status_code == 403
    ok = await http.delete(f"/v2/alert/{uid}", headers={"Authorization": f"Bearer {mgmt}"})
    assert ok.status_code == 204


async def test_token_lifetime_and_registered_client(short_lived: httpx.AsyncClient) -> None:
    http = short_lived
    reg = await http.post(
        "/_sim/oauth/clients",
        json={"client_id": "other-app", "secret": "s3", "grants": ["client_credentials"]},
    )
    assert reg.status_code == 201
    body = (
        await _token(
            http,
            grant_type="client_credentials",
            client_id="other-app",
            client_secret="s3",
            scope="monitoring offline_access",
        )
    ).json()
    assert body["expires_in"] == 120
    assert "refresh_token" not in body  # the app lacks the refresh_token grant
    assert (await http.post("/_sim/tokens/expire")).json()["expired"] >= 1
    api = await http.get("/v2/devices", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert api.status_code == 401 and api.json()["error"] == "invalid_token"
