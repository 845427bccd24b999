"""NinjaOne's OAuth 2.0 authorization server, simulated (reference §2).

Pre-registered clients (more can be added through `POST /_sim/oauth/clients`):

| client_id     | secret        | platform | grants                                          |
|---------------|---------------|----------|-------------------------------------------------|
| `demo-client` | `demo-secret` | API Services | client_credentials, refresh_token           |
| `desk-native` | (none)        | Native (public, PKCE S256) | authorization_code, refresh_token |
| `desk-web`    | `web-secret`  | Web (confidential) | authorization_code, refresh_token     |

`desk-native` redirects to `http://127.0.0.1/callback` on any port (RFC 8252 §7.3); `desk-web`
to `http://127.0.0.1/callback` (also any loopback port) and `https://desk.example.com/callback`.
Scopes: `monitoring management control offline_access`; a refresh token is issued only
with `offline_access`, and every refresh rotates it (the old one stops working at once).
Errors are RFC 6749 bodies: `{"error": ..., "error_description": ...}`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

ALL_SCOPES = ("monitoring", "management", "control", "offline_access")


@dataclass(slots=True)
class OAuthClient:
    client_id: str
    secret: str | None
    platform: str  # "api_services", "web", "native", "spa"
    grants: frozenset[str]
    redirect_uris: tuple[str, ...] = ()
    # Only system administrators may configure webhooks (reference §9.1).
    admin: bool = True

    @property
    def public(self) -> bool:
        return self.secret is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "platform": self.platform,
            "grants": sorted(self.grants),
            "redirect_uris": list(self.redirect_uris),
            "public": self.public,
            "admin": self.admin,
        }


def default_clients() -> dict[str, OAuthClient]:
    return {
        c.client_id: c
        for c in (
            OAuthClient(
                "demo-client",
                "demo-secret",
                "api_services",
                frozenset({"client_credentials", "refresh_token"}),
            ),
            OAuthClient(
                "desk-native",
                None,
                "native",
                frozenset({"authorization_code", "refresh_token"}),
                ("http://127.0.0.1/callback",),
            ),
            OAuthClient(
                "desk-web",
                "web-secret",
                "web",
                frozenset({"authorization_code", "refresh_token"}),
                ("http://127.0.0.1/callback", "https://desk.example.com/callback"),
            ),
        )
    }


@dataclass(slots=True)
class AccessToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass(slots=True)
class RefreshToken:
    client_id: str
    scopes: frozenset[str]


@dataclass(slots=True)
class AuthCode:
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    challenge: str | None
    expires_at: float


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> web.Response:
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="ninjaone"'
        return web.json_response(
            {"error": self.error, "error_description": self.description},
            status=self.status,
            headers=headers,
        )


def redirect_matches(registered: tuple[str, ...], given: str) -> bool:
    """Exact match, except loopback redirects match on any port (RFC 8252 §7.3)."""
    if given in registered:
        return True
    g = urlsplit(given)
    if g.scheme != "http" or g.hostname not in ("127.0.0.1", "::1", "localhost"):
        return False
    for uri in registered:
        r = urlsplit(uri)
        if (r.scheme, r.hostname, r.path, r.query) == (g.scheme, g.hostname, g.path, g.query):
            return True
    return False


@dataclass
class OAuthServer:
    token_lifetime: int
    code_lifetime: float
    auto_consent: bool = False
    clients: dict[str, OAuthClient] = field(default_factory=default_clients)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)

    # -- tokens ----------------------------------------------------------------------------

    def lookup(self, token: str) -> AccessToken | None:
        info = self.access_tokens.get(token)
        if info is None:
            return None
        if info.expires_at <= time.time():
            return None
        return info

    def expire_access_tokens(self) -> int:
        now = time.time()
        for info in self.access_tokens.values():
            info.expires_at = min(info.expires_at, now - 1)
        return len(self.access_tokens)

    def revoke(self, token: str | None = None, client_id: str | None = None) -> int:
        """Revoke one token (refresh or access), a client's tokens, or everything."""
        if token is not None:
            gone = self.refresh_tokens.pop(token, None) or self.access_tokens.pop(token, None)
            return 1 if gone else 0
        n = 0
        for table in (self.refresh_tokens, self.access_tokens):
            for key in [k for k, v in table.items() if client_id in (None, v.client_id)]:
                del table[key]
                n += 1
        return n

    def _issue(self, client: OAuthClient, scopes: frozenset[str]) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        self.access_tokens[access] = AccessToken(
            client.client_id, scopes, time.time() + self.token_lifetime
        )
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "scope": " ".join(s for s in ALL_SCOPES if s in scopes),
        }
        if "offline_access" in scopes and "refresh_token" in client.grants:
            refresh = f"{secrets.token_hex(16)}.{secrets.token_urlsafe(24)}"
            self.refresh_tokens[refresh] = RefreshToken(client.client_id, scopes)
            body["refresh_token"] = refresh
        return body

    # -- client authentication -------------------------------------------------------------

    def _authenticate(self, request: web.Request, form: dict[str, str]) -> OAuthClient:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                raw = base64.b64decode(header[6:].strip()).decode()
                client_id, _, secret = raw.partition(":")
            except (ValueError, UnicodeDecodeError) as exc:
                raise OAuthError("invalid_client", "Malformed Basic credentials", 401) from exc
        if not client_id or client_id not in self.clients:
            raise OAuthError("invalid_client", "Unknown client", 401)
        client = self.clients[client_id]
        if client.public:
            if secret:
                raise OAuthError("invalid_client", "Public clients have no secret", 401)
        elif not secret or not secrets.compare_digest(secret, client.secret or ""):
            raise OAuthError("invalid_client", "Bad client credentials", 401)
        return client

    @staticmethod
    def _scopes(raw: str | None, default: frozenset[str]) -> frozenset[str]:
        if raw is None or not raw.strip():
            return default
        scopes = frozenset(raw.replace(",", " ").split())
        unknown = scopes - set(ALL_SCOPES)
        if unknown:
            raise OAuthError("invalid_scope", f"Unknown scope(s): {' '.join(sorted(unknown))}")
        return scopes

    # -- handlers --------------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        try:
            client = self._authenticate(request, form)
            grant = form.get("grant_type", "")
            if grant not in ("client_credentials", "authorization_code", "refresh_token"):
                raise OAuthError("unsupported_grant_type", f"Unsupported grant {grant!r}")
            if grant not in client.grants:
                raise OAuthError(
                    "unauthorized_client", f"Grant {grant} is not enabled for this application"
                )
            if grant == "client_credentials":
                if client.public:
                    raise OAuthError(
                        "unauthorized_client", "Public clients cannot use client_credentials"
                    )
                scopes = self._scopes(form.get("scope"), frozenset({"monitoring"}))
                body = self._issue(client, scopes)
            elif grant == "authorization_code":
                body = self._exchange_code(client, form)
            else:
                body = self._refresh(client, form)
        except OAuthError as exc:
            return exc.response()
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    def _exchange_code(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        code = self.codes.pop(form.get("code", ""), None)  # single use, even when it fails
        if code is None:
            raise OAuthError("invalid_grant", "Authorization code is invalid or already used")
        if code.expires_at < time.time():
            raise OAuthError("invalid_grant", "Authorization code expired")
        if code.client_id != client.client_id:
            raise OAuthError("invalid_grant", "Authorization code was issued to another client")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError(
                "invalid_grant", "redirect_uri does not match the authorization request"
            )
        if code.challenge is not None:
            verifier = form.get("code_verifier") or ""
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not verifier or not secrets.compare_digest(expected, code.challenge):
                raise OAuthError("invalid_grant", "PKCE verification failed")
        elif client.public:
            raise OAuthError("invalid_grant", "Public clients must use PKCE")
        return self._issue(client, code.scopes)

    def _refresh(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        token = form.get("refresh_token", "")
        info = self.refresh_tokens.get(token)
        if info is None or info.client_id != client.client_id:
            raise OAuthError("invalid_grant", "Refresh token is invalid, revoked or rotated")
        del self.refresh_tokens[token]  # rotation: the old token dies with this use
        scopes = info.scopes
        if form.get("scope"):
            asked = self._scopes(form["scope"], scopes)
            if not asked <= scopes:
                raise OAuthError("invalid_scope", "Cannot widen scopes on refresh")
            scopes = asked | {"offline_access"}
        return self._issue(client, scopes)

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        client = self.clients.get(q.get("client_id", ""))
        redirect_uri = q.get("redirect_uri", "")
        if client is None:
            return _html_error("Unknown client_id.", 400)
        if not redirect_uri or not redirect_matches(client.redirect_uris, redirect_uri):
            # Never redirect to an unregistered URI (RFC 6749 §4.1.2.1).
            return _html_error(
                "redirect_uri_mismatch: the redirect URI is not registered for this application.",
                400,
            )
        state = q.get("state")

        def back(params: dict[str, str]) -> web.Response:
            if state is not None:
                params["state"] = state
            sep = "&" if "?" in redirect_uri else "?"
            raise web.HTTPFound(redirect_uri + sep + urlencode(params))

        if q.get("response_type") != "code":
            return back(
                {
                    "error": "unsupported_response_type",
                    "error_description": "Only response_type=code is supported",
                }
            )
        if "authorization_code" not in client.grants:
            return back(
                {
                    "error": "unauthorized_client",
                    "error_description": "Authorization code grant is not enabled",
                }
            )
        try:
            scopes = self._scopes(q.get("scope"), frozenset({"monitoring"}))
        except OAuthError as exc:
            return back({"error": exc.error, "error_description": exc.description})
        challenge = q.get("code_challenge")
        if challenge is not None and q.get("code_challenge_method", "plain") != "S256":
            return back(
                {
                    "error": "invalid_request",
                    "error_description": "Only code_challenge_method=S256 is supported",
                }
            )
        if client.public and challenge is None:
            return back(
                {"error": "invalid_request", "error_description": "PKCE code_challenge is required"}
            )
        decision = q.get("decision")
        auto = q.get("auto_consent", "").lower() in ("1", "true", "yes") or self.auto_consent
        if decision == "deny":
            return back(
                {"error": "access_denied", "error_description": "The user denied the request"}
            )
        if decision == "allow" or auto:
            code = secrets.token_urlsafe(24)
            self.codes[code] = AuthCode(
                client.client_id, redirect_uri, scopes, challenge, time.time() + self.code_lifetime
            )
            return back({"code": code})
        return _consent_page(request, client, scopes)

    async def revoke_endpoint(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        try:
            client = self._authenticate(request, form)
        except OAuthError as exc:
            return exc.response()
        token = form.get("token", "")
        for table in (self.refresh_tokens, self.access_tokens):
            info = table.get(token)
            if info is not None and info.client_id == client.client_id:
                del table[token]
        return web.Response(status=200)  # RFC 7009: 200 even for unknown tokens

    async def metadata(self, request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}"
        return web.json_response(
            {
                "issuer": base + "/",
                "authorization_endpoint": base + "/ws/oauth/authorize",
                "token_endpoint": base + "/ws/oauth/token",
                "revocation_endpoint": base + "/ws/oauth/revoke",
                "response_types_supported": ["code"],
                "grant_types_supported": [
                    "authorization_code",
                    "client_credentials",
                    "refresh_token",
                ],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
                # The real document lists only "monitoring" (reference §2.1); the rest work anyway.
                "scopes_supported": ["monitoring"],
            }
        )

    def register(
        self,
        client_id: str,
        *,
        secret: str | None,
        platform: str,
        grants: list[str],
        redirect_uris: list[str],
        admin: bool = True,
    ) -> OAuthClient:
        client = OAuthClient(
            client_id, secret, platform, frozenset(grants), tuple(redirect_uris), admin
        )
        self.clients[client_id] = client
        return client


def _html_error(message: str, status: int) -> web.Response:
    return web.Response(
        text=f"<html><body><h1>Authorization error</h1><p>{html.escape(message)}</p></body></html>",
        status=status,
        content_type="text/html",
    )


def _consent_page(
    request: web.Request, client: OAuthClient, scopes: frozenset[str]
) -> web.Response:
    items = "".join(
        f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
        for k, v in request.query.items()
        if k != "decision"
    )
    body = (
        "<!doctype html><html><head><title>NinjaOne (simulated) - Authorize</title></head>"
        f"<body><h1>Allow {html.escape(client.client_id)} to access your NinjaOne account?</h1>"
        f"<p>Scopes: {html.escape(' '.join(sorted(scopes)))}</p>"
        f"<form method='get' action='/ws/oauth/authorize'>{items}"
        "<button name='decision' value='allow'>Allow</button> "
        "<button name='decision' value='deny'>Deny</button></form></body></html>"
    )
    return web.Response(text=body, content_type="text/html")
