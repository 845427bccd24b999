"""The NinjaOne connection as the UI and `ninja-desk status` see it.

Plain Python with a listener list: no Qt here (design §1). The UI bridges `add_listener` to a
Qt signal; the CLI prints `describe()`. Listeners are called on the thread that changed the
status (the asyncio loop in the app).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.credentials import (
    CLIENT_SECRET,
    REFRESH_TOKEN,
    WEBHOOK_SECRET,
    KeyringTokenStore,
    SecretBackend,
    open_secrets,
)
from ninja_desk.ninjaone.disconnect import DisconnectReport, disconnect
from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.ninjaone.oauth_loopback import (
    DEFAULT_LOGIN_SCOPES,
    LoopbackLogin,
    LoopbackSettings,
)
from ninja_desk.ninjaone.tokens import OAuthTokenProvider, TokenSet, lock_file_name
from ninja_desk.ninjaone.webhooks import WebhookError, WebhookSync, ensure_webhook

log = logging.getLogger(__name__)


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    SYNCING = "syncing"
    RECONNECT_REQUIRED = "reconnect_required"  # token expired for good, revoked, invalid_grant
    ERROR = "error"


_LABELS = {
    ConnectionState.DISCONNECTED: "Not connected",
    ConnectionState.CONNECTING: "Connecting",
    ConnectionState.CONNECTED: "Connected",
    ConnectionState.SYNCING: "Syncing",
    ConnectionState.RECONNECT_REQUIRED: "Reconnect required",
    ConnectionState.ERROR: "Error",
}


@dataclass(frozen=True, slots=True)
class ConnectionSnapshot:
    state: ConnectionState = ConnectionState.DISCONNECTED
    reason: str | None = None  # a sentence for RECONNECT_REQUIRED / ERROR
    base_url: str | None = None
    client_id: str | None = None
    last_success: float | None = None  # epoch seconds of the last 2xx API answer
    token_expires_at: float | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    expiry_warning: str | None = None

    @property
    def label(self) -> str:
        return _LABELS[self.state]

    @property
    def can_sync(self) -> bool:
        return self.state in (ConnectionState.CONNECTED, ConnectionState.SYNCING)


Listener = Callable[[ConnectionSnapshot], None]


class ConnectionStatus:
    """Holds the current snapshot; every change notifies each listener once."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._snapshot = ConnectionSnapshot()
        self._listeners: list[Listener] = []
        self._clock = clock

    @property
    def snapshot(self) -> ConnectionSnapshot:
        return self._snapshot

    @property
    def state(self) -> ConnectionState:
        return self._snapshot.state

    @property
    def can_sync(self) -> bool:
        """False while reconnect is required: sync pauses instead of hammering NinjaOne."""
        return self._snapshot.can_sync

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _set(self, **changes: object) -> None:
        new = replace(self._snapshot, **changes)  # type: ignore[arg-type]
        if new == self._snapshot:
            return
        self._snapshot = new
        for listener in list(self._listeners):
            try:
                listener(new)
            except Exception:  # one broken view must not stop the others
                log.exception("A connection-status listener failed.")

    # -- transitions -------------------------------------------------------------------------

    def connecting(self, base_url: str | None = None, client_id: str | None = None) -> None:
        self._set(
            state=ConnectionState.CONNECTING,
            reason=None,
            base_url=base_url or self._snapshot.base_url,
            client_id=client_id or self._snapshot.client_id,
        )

    def connected(self, tokens: TokenSet | None = None) -> None:
        changes: dict[str, object] = {"state": ConnectionState.CONNECTED, "reason": None}
        if tokens is not None:
            changes |= self._token_fields(tokens)
        self._set(**changes)

    def tokens_updated(self, tokens: TokenSet) -> None:
        """Wire to `OAuthTokenProvider(on_tokens=...)`: expiry and scopes after a refresh."""
        self._set(**self._token_fields(tokens))

    def syncing(self) -> None:
        if self._snapshot.can_sync:
            self._set(state=ConnectionState.SYNCING)

    def sync_finished(self) -> None:
        if self._snapshot.state is ConnectionState.SYNCING:
            self._set(state=ConnectionState.CONNECTED)

    def call_succeeded(self, at: float | None = None) -> None:
        changes: dict[str, object] = {"last_success": at if at is not None else self._clock()}
        if self._snapshot.state in (ConnectionState.ERROR, ConnectionState.CONNECTING):
            changes |= {"state": ConnectionState.CONNECTED, "reason": None}
        self._set(**changes)

    def reconnect_required(self, reason: str) -> None:
        """Wire to `OAuthTokenProvider(on_reconnect_required=...)`."""
        self._set(state=ConnectionState.RECONNECT_REQUIRED, reason=reason)

    def expiry_warning(self, expires_at: float) -> None:
        """Wire to `OAuthTokenProvider(on_expiry_warning=...)`."""
        minutes = max(0, round((expires_at - self._clock()) / 60))
        self._set(
            token_expires_at=expires_at,
            expiry_warning=(
                f"The NinjaOne session ends in about {minutes} minutes and cannot renew itself "
                "(no offline_access). Reconnect to NinjaOne to keep syncing."
            ),
        )

    def error(self, reason: str) -> None:
        if self._snapshot.state is not ConnectionState.RECONNECT_REQUIRED:
            self._set(state=ConnectionState.ERROR, reason=reason)

    def disconnected(self) -> None:
        self._set(
            state=ConnectionState.DISCONNECTED,
            reason=None,
            token_expires_at=None,
            scopes=frozenset(),
            expiry_warning=None,
        )

    @staticmethod
    def _token_fields(tokens: TokenSet) -> dict[str, object]:
        fields: dict[str, object] = {"token_expires_at": tokens.expires_at, "expiry_warning": None}
        if tokens.scope:
            fields["scopes"] = tokens.scopes
        return fields

    # -- wiring ------------------------------------------------------------------------------

    async def httpx_response_hook(self, response: httpx.Response) -> None:
        """`httpx.AsyncClient(event_hooks={"response": [status.httpx_response_hook]})`."""
        if 200 <= response.status_code < 300 and "/ws/oauth/" not in response.request.url.path:
            self.call_succeeded()

    def describe(self, *, now: float | None = None) -> list[str]:
        """Lines for `ninja-desk status`."""
        s = self._snapshot
        now = self._clock() if now is None else now
        lines = [f"NinjaOne: {s.label}" + (f" - {s.reason}" if s.reason else "")]
        if s.base_url:
            lines.append(
                f"  Instance:     {s.base_url}" + (f" ({s.client_id})" if s.client_id else "")
            )
        if s.scopes:
            lines.append(f"  Scopes:       {' '.join(sorted(s.scopes))}")
        if s.token_expires_at is not None:
            left = s.token_expires_at - now
            when = f"in {_span(left)}" if left > 0 else f"{_span(-left)} ago"
            lines.append(f"  Token expiry: {when}")
        lines.append(
            "  Last call:    "
            + (f"{_span(now - s.last_success)} ago" if s.last_success else "never")
        )
        if s.expiry_warning:
            lines.append(f"  Warning:      {s.expiry_warning}")
        return lines


def _span(seconds: float) -> str:
    seconds = int(max(0, seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


class NinjaOneLink:
    """The app's NinjaOne connection: status, the live session, connect / disconnect / webhook.

    `settings` is the app's Settings (read: region/custom URL/client_id via the caller, scopes,
    relay_url, webhook_registered); the caller saves settings after each action. Secrets go
    through `credentials` only.
    """

    def __init__(
        self,
        settings: Any,
        *,
        data_dir: str | os.PathLike[str],
        opener: Callable[[str], object] | None = webbrowser.open,
        status: ConnectionStatus | None = None,
        port: int = 0,
        secrets_factory: Callable[[str, str], SecretBackend] | None = None,
    ) -> None:
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.status = status or ConnectionStatus()
        self._opener = opener
        self._port = port
        self._secrets_factory = secrets_factory or (lambda url, cid: open_secrets(url, cid))
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(60.0, connect=10.0),
            event_hooks={"response": [self.status.httpx_response_hook]},
        )
        self.provider: OAuthTokenProvider | None = None
        self.client: NinjaOneClient | None = None
        self._secrets: SecretBackend | None = None
        self._login: LoopbackLogin | None = None

    def _open_session(self, base_url: str, client_id: str) -> OAuthTokenProvider:
        secrets = self._secrets_factory(base_url, client_id)
        secrets.get(REFRESH_TOKEN)  # fail now (no secure keyring) rather than after the browser
        self._secrets = secrets
        self.provider = OAuthTokenProvider(
            base_url,
            client_id,
            secrets.get(CLIENT_SECRET),
            store=KeyringTokenStore(secrets),
            http=self._http,
            lock_path=self.data_dir / lock_file_name(base_url, client_id),
            on_reconnect_required=self.status.reconnect_required,
            on_tokens=self.status.tokens_updated,
            on_expiry_warning=self.status.expiry_warning,
        )
        self.client = NinjaOneClient(base_url, self.provider, http=self._http)
        return self.provider

    def resume(self, base_url: str, client_id: str) -> bool:
        """At start-up: reuse a stored session without a browser. False if there is none."""
        provider = self._open_session(base_url, client_id)
        self.status.connecting(base_url, client_id)
        tokens = provider.tokens
        if not ((tokens is not None and tokens.refresh_token) or provider.has_client_secret):
            self.status.disconnected()
            return False
        self.status.connected()
        return True

    async def connect(
        self, base_url: str, client_id: str, *, client_secret: str | None = None
    ) -> TokenSet:
        """Browser sign-in (loopback + PKCE). A Web app's secret is stored before it is used."""
        self.status.connecting(base_url, client_id)
        try:
            provider = self._open_session(base_url, client_id)
            assert self._secrets is not None
            if client_secret:
                self._secrets.set(CLIENT_SECRET, client_secret)
            secret = client_secret or self._secrets.get(CLIENT_SECRET)
            provider.set_client_secret(secret)
            scopes = tuple(getattr(self.settings, "scopes", None) or DEFAULT_LOGIN_SCOPES)
            self._login = LoopbackLogin(
                LoopbackSettings(base_url, client_id, secret, scopes, port=self._port),
                opener=self._opener,
                http=self._http,
            )
            tokens = await self._login.run()
            provider.accept_session(tokens)
        except NinjaOneError as exc:
            self.status.error(str(exc))
            raise
        except asyncio.CancelledError:
            self.status.disconnected()
            raise
        finally:
            self._login = None
        self.status.connected(tokens)
        return tokens

    def cancel_connect(self) -> None:
        if self._login is not None:
            self._login.cancel()

    async def register_webhook(
        self, *, client: NinjaOneClient | None = None, secrets: SecretBackend | None = None
    ) -> WebhookSync:
        """PUT the relay webhook again, whatever NinjaOne holds ("Re-register webhook").

        The one implementation is `webhooks.ensure_webhook` (forced here): it also records what
        was registered, so the next automatic check after sign-in or start-up does not PUT the
        same thing again. Sets `settings.webhook_registered`; the caller saves the settings.
        `client`/`secrets` use a session the app opened itself instead of this link's own.
        """
        client = client or self.client
        secrets = secrets or self._secrets
        if client is None or secrets is None:
            raise WebhookError("Connect to NinjaOne first.")
        done = await ensure_webhook(
            client, self.settings, secrets, data_dir=self.data_dir, force=True
        )
        if done.outcome != "registered":  # no relay URL or no endpoint secret: say what to do
            raise WebhookError(done.message)
        return done

    def store_webhook_secret(self, secret: str) -> None:
        if self._secrets is None:
            raise WebhookError("Connect to NinjaOne first.")
        self._secrets.set(WEBHOOK_SECRET, secret)

    async def disconnect(
        self,
        *,
        wipe: bool = False,
        cache_path: Path | None = None,
        session: tuple[str, str, Any] | None = None,
    ) -> DisconnectReport:
        """Webhook removed, sign-in revoked, secrets deleted; cache kept unless `wipe`.

        `session` = (base_url, client_id, client) of a session the app opened itself.
        """
        if self.provider is not None and self._secrets is not None:
            base_url, client_id, client = self.provider.base_url, self.provider.client_id, None
            tokens = self.provider.tokens
        elif session is not None:
            base_url, client_id, client = session
            self._secrets, tokens = self._secrets_factory(base_url, client_id), None
        else:
            self.status.disconnected()
            return DisconnectReport()
        assert self._secrets is not None
        report = await disconnect(
            base_url=base_url,
            client_id=client_id,
            secrets=self._secrets,
            client=client or self.client,
            webhook_registered=bool(getattr(self.settings, "webhook_registered", False)),
            access_token=tokens.access_token if tokens else None,
            wipe=wipe,
            cache_path=cache_path,
            http=self._http,
        )
        with contextlib.suppress(NinjaOneError):
            self._secrets.delete(WEBHOOK_SECRET)
        self.provider = self.client = None
        self._secrets = None
        self.status.disconnected()
        return report

    async def aclose(self) -> None:
        await self._http.aclose()
