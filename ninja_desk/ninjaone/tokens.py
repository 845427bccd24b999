"""Access tokens: one refresher per integration, shared by every concurrent caller.

NinjaOne may rotate refresh tokens, so the newest one is persisted (through the TokenStore)
before the new access token is handed to anyone: a crash right after a refresh must never
leave us holding only the already-invalidated old refresh token.

Within a process an asyncio.Lock serialises refreshes; across processes on one machine (the
app, the agent, a CLI run) a file lock in the data dir does, and the store is re-read after
taking it because another process may have rotated the refresh token meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import filelock
import httpx

from ninja_desk.ninjaone.errors import (
    NinjaOneAuthExpired,
    NinjaOneError,
    NinjaOneReconnectRequired,
    NinjaOneTransportError,
    describe_error_body,
)
from ninja_desk.ninjaone.redaction import redact

log = logging.getLogger(__name__)

DEFAULT_SCOPES = ("monitoring", "management", "control")
TOKEN_PATH = "/ws/oauth/token"


def lock_file_name(base_url: str, client_id: str) -> str:
    """File name (in the data dir) of the cross-process refresh lock for one integration."""
    raw = f"{base_url.rstrip('/')}|{client_id}".encode()
    return f"ninjaone-token-{hashlib.sha256(raw).hexdigest()[:16]}.lock"


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


@runtime_checkable
class ReloadableTokenStore(TokenStore, Protocol):
    """A store that caches in memory and can re-read its backing storage."""

    def reload(self) -> TokenSet | None: ...


class MemoryTokenStore:
    def __init__(self, tokens: TokenSet | None = None) -> None:
        self._tokens = tokens

    def load(self) -> TokenSet | None:
        return self._tokens

    def save(self, tokens: TokenSet) -> None:
        self._tokens = tokens

    def clear(self) -> None:
        self._tokens = None


class TokenEndpointError(NinjaOneAuthExpired):
    """The token endpoint refused a grant; `error` is the RFC 6749 code, if any."""

    def __init__(self, message: str, *, error: str | None, status: int | None) -> None:
        super().__init__(message, status=status)
        self.error = error


# Refresh-token problems no retry can fix: the user has to sign in again.
FATAL_GRANT_ERRORS = frozenset(
    {"invalid_grant", "invalid_token", "expired_token", "invalid_client", "unauthorized_client"}
)


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


async def request_token(
    base_url: str,
    form: dict[str, str],
    *,
    http: httpx.AsyncClient | None = None,
    previous_refresh: str | None = None,
) -> TokenSet:
    """POST one grant to `/ws/oauth/token`. Errors never quote the form (it holds secrets)."""
    client = http or httpx.AsyncClient(timeout=30.0)
    try:
        response = await client.post(base_url.rstrip("/") + TOKEN_PATH, data=form)
    except httpx.HTTPError as exc:
        raise NinjaOneTransportError(
            f"Could not reach NinjaOne's sign-in service ({type(exc).__name__}). Check the "
            "network connection and try again."
        ) from None
    finally:
        if http is None:
            await client.aclose()
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if response.status_code == 200 and isinstance(body, dict):
        return token_set_from_response(body, previous_refresh=previous_refresh)
    error = body.get("error") if isinstance(body, dict) else None
    detail = redact(describe_error_body(body) or f"HTTP {response.status_code}")
    if response.status_code >= 500:
        raise NinjaOneTransportError(f"NinjaOne's sign-in service failed ({detail}).")
    raise TokenEndpointError(
        f"NinjaOne refused the sign-in ({detail}).",
        error=error if isinstance(error, str) else None,
        status=response.status_code,
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
        lock_path: str | os.PathLike[str] | None = None,
        lock_timeout: float = 60.0,
        on_tokens: Callable[[TokenSet], None] | None = None,
        on_expiry_warning: Callable[[float], None] | None = None,
        warn_ahead: float = 300.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._store = store or MemoryTokenStore()
        self._scopes = scopes
        self._leeway = leeway
        self._http = http
        self._lock = asyncio.Lock()
        self._file_lock = (
            filelock.FileLock(str(lock_path), thread_local=False) if lock_path else None
        )
        self._lock_timeout = lock_timeout
        self._on_reconnect_required = on_reconnect_required
        self._on_tokens = on_tokens
        self._on_expiry_warning = on_expiry_warning
        self._warn_ahead = warn_ahead
        self._warned_for: float | None = None
        self._dead_reason: str | None = None
        self.refresh_count = 0

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def has_client_secret(self) -> bool:
        return bool(self._client_secret)

    def set_client_secret(self, secret: str | None) -> None:
        """A "Web" app's secret entered after the provider was built."""
        self._client_secret = secret or None

    @property
    def reconnect_required(self) -> str | None:
        """Why the user must sign in again, or None."""
        return self._dead_reason

    @property
    def tokens(self) -> TokenSet | None:
        return self._store.load()

    def accept_session(self, tokens: TokenSet) -> None:
        """A fresh sign-in succeeded: persist it and lift any "reconnect required" verdict."""
        self._store.save(tokens)
        self._dead_reason = None
        self._warned_for = None
        if self._on_tokens is not None:
            self._on_tokens(tokens)

    async def get_token(self) -> str:
        tokens = self._store.load()
        if tokens is not None and tokens.fresh(self._leeway):
            self._maybe_warn(tokens)
            return tokens.access_token
        return await self._refresh(stale=tokens.access_token if tokens else None)

    async def refresh_after_unauthorized(self, rejected: str) -> str:
        """A request got 401 with `rejected`; refresh unless another caller already did."""
        return await self._refresh(stale=rejected)

    def _can_renew(self, tokens: TokenSet) -> bool:
        return bool(tokens.refresh_token or self._client_secret)

    def _maybe_warn(self, tokens: TokenSet) -> None:
        # Only a session that cannot renew itself (no refresh token: offline_access was not
        # granted) is worth a warning; everything else renews silently.
        if self._on_expiry_warning is None or self._can_renew(tokens):
            return
        if (
            tokens.expires_at - time.time() <= self._warn_ahead
            and self._warned_for != tokens.expires_at
        ):
            self._warned_for = tokens.expires_at
            self._on_expiry_warning(tokens.expires_at)

    async def _refresh(self, *, stale: str | None) -> str:
        if self._dead_reason:
            raise NinjaOneReconnectRequired(self._dead_reason)
        async with self._lock:
            if self._dead_reason:
                raise NinjaOneReconnectRequired(self._dead_reason)
            current = self._store.load()
            if self._usable(current, stale):
                return current.access_token  # type: ignore[union-attr]  # someone refreshed while we waited
            await self._acquire_file_lock()
            try:
                # Another process may have refreshed (and rotated) while we waited. The store
                # may be the OS keyring (D-Bus, a locked wallet: seconds): a worker thread asks
                # it, so the loop the window shares never waits on it.
                if isinstance(self._store, ReloadableTokenStore):
                    current = await asyncio.to_thread(self._store.reload)
                else:
                    current = self._store.load()
                if self._usable(current, stale):
                    return current.access_token  # type: ignore[union-attr]
                tokens = await self._request_tokens(current)
                # Persist the rotation before anyone uses the new token.
                await asyncio.to_thread(self._store.save, tokens)
            finally:
                if self._file_lock is not None:
                    self._file_lock.release()
            self.refresh_count += 1
            log.debug("NinjaOne session renewed (%s).", "refresh" if current else "new")
            if self._on_tokens is not None:
                self._on_tokens(tokens)
            return tokens.access_token

    def _usable(self, current: TokenSet | None, stale: str | None) -> bool:
        return (
            current is not None
            and bool(current.access_token)
            and current.access_token != stale
            and current.fresh(self._leeway)
        )

    async def _acquire_file_lock(self) -> None:
        if self._file_lock is None:
            return
        deadline = time.monotonic() + self._lock_timeout
        while True:
            try:
                self._file_lock.acquire(timeout=0)
                return
            except filelock.Timeout:
                if time.monotonic() >= deadline:
                    raise NinjaOneTransportError(
                        "Another NinjaDesk process has been renewing the NinjaOne session for "
                        f"over {self._lock_timeout:.0f} s. Close other NinjaDesk windows or "
                        "agents and try again."
                    ) from None
                await asyncio.sleep(0.05)

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
                "scope": " ".join(s for s in self._scopes if s != "offline_access"),
            }
        else:
            raise self._die("There is no NinjaOne session. Connect to NinjaOne again.")
        if self._client_secret:
            form["client_secret"] = self._client_secret
        return form

    async def _request_tokens(self, current: TokenSet | None) -> TokenSet:
        form = self._grant_form(current)
        try:
            return await request_token(
                self._base_url, form, http=self._http, previous_refresh=form.get("refresh_token")
            )
        except TokenEndpointError as exc:
            if exc.error in FATAL_GRANT_ERRORS:
                raise self._die(
                    f"NinjaOne no longer accepts this app's sign-in ({exc.error}). "
                    "Reconnect to NinjaOne."
                ) from None
            raise NinjaOneAuthExpired(
                f"NinjaOne refused to renew the session ({exc}). Reconnect to NinjaOne if "
                "this persists.",
                status=exc.status,
            ) from None

    def _die(self, reason: str) -> NinjaOneReconnectRequired:
        # Remember the verdict: every later call fails fast instead of hammering the endpoint.
        self._dead_reason = reason
        log.warning("NinjaOne session needs reconnecting: %s", reason)
        if self._on_reconnect_required is not None:
            self._on_reconnect_required(reason)
        return NinjaOneReconnectRequired(reason)
