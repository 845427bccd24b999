"""Access tokens: one refresher per integration, shared by every concurrent caller.

NinjaOne may rotate refresh tokens, so the newest one is persisted (through the TokenStore)
before the new access token is handed to anyone: a crash right after a refresh must never
leave us holding only the already-invalidated old refresh token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from ninja_desk.ninjaone.errors import (
    NinjaOneAuthExpired,
    NinjaOneError,
    NinjaOneReconnectRequired,
    NinjaOneTransportError,
    describe_error_body,
)

log = logging.getLogger(__name__)

DEFAULT_SCOPES = ("monitoring", "management", "control")
TOKEN_PATH = "/ws/oauth/token"


@dataclass(slots=True)
class TokenSet:
    access_token: str
    expires_at: float  # wall clock, epoch seconds
    refresh_token: str | None = None
    scope: str = ""
    token_type: str = "Bearer"

    def fresh(self, leeway: float) -> bool:
        return time.time() + leeway < self.expires_at

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def __repr__(self) -> str:  # never let a token reach a log line or traceback
        return f"TokenSet(expires_at={self.expires_at:.0f}, scope={self.scope!r}, refresh=***)"


class TokenStore(Protocol):
    def load(self) -> TokenSet | None: ...
    def save(self, tokens: TokenSet) -> None: ...
    def clear(self) -> None: ...


class MemoryTokenStore:
    def __init__(self, tokens: TokenSet | None = None) -> None:
        self._tokens = tokens

    def load(self) -> TokenSet | None:
        return self._tokens

    def save(self, tokens: TokenSet) -> None:
        self._tokens = tokens

    def clear(self) -> None:
        self._tokens = None


def token_set_from_response(body: dict[str, object], *, previous_refresh: str | None) -> TokenSet:
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise NinjaOneError("NinjaOne's token endpoint answered without an access token.")
    expires_in = body.get("expires_in")
    lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
    refresh = body.get("refresh_token")
    return TokenSet(
        access_token=access,
        expires_at=time.time() + lifetime,
        # No refresh_token in the answer means "keep using the one you have".
        refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh,
        scope=str(body.get("scope") or ""),
        token_type=str(body.get("token_type") or "Bearer"),
    )


class OAuthTokenProvider:
    """Hands out a valid access token; refreshes at most once for all concurrent callers."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        store: TokenStore | None = None,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        leeway: float = 60.0,
        http: httpx.AsyncClient | None = None,
        on_reconnect_required: Callable[[str], None] | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._store = store or MemoryTokenStore()
        self._scopes = scopes
        self._leeway = leeway
        self._http = http
        self._lock = asyncio.Lock()
        self._on_reconnect_required = on_reconnect_required
        self._dead_reason: str | None = None
        self.refresh_count = 0

    @property
    def reconnect_required(self) -> str | None:
        """Why the user must sign in again, or None."""
        return self._dead_reason

    @property
    def tokens(self) -> TokenSet | None:
        return self._store.load()

    async def get_token(self) -> str:
        tokens = self._store.load()
        if tokens is not None and tokens.fresh(self._leeway):
            return tokens.access_token
        return await self._refresh(stale=tokens.access_token if tokens else None)

    async def refresh_after_unauthorized(self, rejected: str) -> str:
        """A request got 401 with `rejected`; refresh unless another caller already did."""
        return await self._refresh(stale=rejected)

    async def _refresh(self, *, stale: str | None) -> str:
        if self._dead_reason:
            raise NinjaOneReconnectRequired(self._dead_reason)
        async with self._lock:
            if self._dead_reason:
                raise NinjaOneReconnectRequired(self._dead_reason)
            current = self._store.load()
            if (
                current is not None
                and current.access_token != stale
                and current.fresh(self._leeway)
            ):
                return current.access_token  # someone refreshed while we waited
            tokens = await self._request_tokens(current)
            self._store.save(tokens)  # persist rotation before anyone uses the new token
            self.refresh_count += 1
            return tokens.access_token

    def _grant_form(self, current: TokenSet | None) -> dict[str, str]:
        if current is not None and current.refresh_token:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": current.refresh_token,
                "client_id": self._client_id,
            }
        elif self._client_secret:
            form = {
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "scope": " ".join(self._scopes),
            }
        else:
            raise self._die("There is no NinjaOne session. Connect to NinjaOne again.")
        if self._client_secret:
            form["client_secret"] = self._client_secret
        return form

    async def _request_tokens(self, current: TokenSet | None) -> TokenSet:
        form = self._grant_form(current)
        http = self._http or httpx.AsyncClient(timeout=30.0)
        try:
            response = await http.post(self._base_url + TOKEN_PATH, data=form)
        except httpx.HTTPError as exc:
            raise NinjaOneTransportError(
                f"Could not reach NinjaOne to renew the session ({type(exc).__name__})."
            ) from None
        finally:
            if self._http is None:
                await http.aclose()
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code == 200 and isinstance(body, dict):
            return token_set_from_response(body, previous_refresh=form.get("refresh_token"))
        error = body.get("error") if isinstance(body, dict) else None
        detail = describe_error_body(body) or f"HTTP {response.status_code}"
        if error in ("invalid_grant", "invalid_token", "expired_token", "invalid_client"):
            raise self._die(
                f"NinjaOne no longer accepts this app's sign-in ({detail}). Reconnect to NinjaOne."
            )
        if response.status_code >= 500:
            raise NinjaOneTransportError(f"NinjaOne's sign-in service failed ({detail}).")
        raise NinjaOneAuthExpired(f"NinjaOne refused to renew the session ({detail}).")

    def _die(self, reason: str) -> NinjaOneReconnectRequired:
        # Remember the verdict: every later call fails fast instead of hammering the endpoint.
        self._dead_reason = reason
        log.warning("NinjaOne session needs reconnecting: %s", reason)
        if self._on_reconnect_required is not None:
            self._on_reconnect_required(reason)
        return NinjaOneReconnectRequired(reason)
