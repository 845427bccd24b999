"""The NinjaOne connection as the UI and `ninja-desk status` see it.

Plain Python with a listener list: no Qt here (design §1). The UI bridges `add_listener` to a
Qt signal; the CLI prints `describe()`. Listeners are called on the thread that changed the
status (the asyncio loop in the app).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

import httpx

from ninja_desk.ninjaone.tokens import TokenSet

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
