"""The desktop's NinjaOne link: the shared link (ninjaone/connection.py) bound to the app.

The sign-in, disconnect and webhook steps are the shared `NinjaOneLink`'s (the same the CLI's
`ninja-desk login / logout / webhook` take); this subclass adds what the window needs: a
SyncEngine on the context after sign-in, settings saved after each step, the relay endpoint
secret kept with the integration's secrets, and the app's own session (opened at start-up
from the keyring or the environment) used for disconnect and webhook registration. No Qt here.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

from ninja_desk.ninjaone.connection import ConnectionState, ConnectionStatus
from ninja_desk.ninjaone.connection import NinjaOneLink as SharedLink
from ninja_desk.ninjaone.credentials import (
    WEBHOOK_SECRET,
    CredentialsError,
    open_secrets,
)
from ninja_desk.ninjaone.regions import base_url_for
from ninja_desk.ui.context import AppContext

log = logging.getLogger(__name__)

NO_ENDPOINT_SECRET = (
    "Enter the relay endpoint secret (from 'ninja-desk-relay endpoint add') under Webhook "
    "relay and save, then register the webhook."
)


_CTX_OPENER = object()  # default: the context's opener (it reports whether the browser opened)


class NinjaOneLink(SharedLink):
    def __init__(
        self,
        ctx: AppContext,
        *,
        status: ConnectionStatus | None = None,
        opener: Callable[[str], object] | object | None = _CTX_OPENER,
        secrets_for: Callable[[str, str], Any] = open_secrets,
    ) -> None:
        super().__init__(
            ctx.settings,
            data_dir=ctx.data_dir,
            opener=self._open_authorize,
            status=status,
            secrets_factory=secrets_for,
        )
        self.ctx = ctx
        self._browser = opener
        # The sign-in link of the running sign-in, for "Copy link" when no browser opens.
        self.authorize_url: str | None = None
        self.on_authorize_url: Callable[[str], None] | None = None
        self.on_browser_failed: Callable[[str], None] | None = None
        self._open_tasks: set[asyncio.Task[Any]] = set()
        self.secrets_for = secrets_for
        if ctx.sync is not None and self.status.state is ConnectionState.DISCONNECTED:
            base_url, client_id = self.current()
            self.status.connecting(base_url, client_id)
            self.status.connected()

    def _open_authorize(self, url: str) -> bool:
        """Called by the loopback sign-in with the authorize URL; never raises."""
        self.authorize_url = url
        if self.on_authorize_url is not None:
            self.on_authorize_url(url)
        opener = self.ctx.open_url if self._browser is _CTX_OPENER else self._browser
        if opener is None:
            return True
        try:
            result = opener(url)  # type: ignore[operator]
        except Exception as exc:
            self._browser_failed(str(exc) or type(exc).__name__)
            return True
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._open_tasks.add(task)
            task.add_done_callback(self._browser_answered)
        elif result is False:
            self._browser_failed("")
        return True  # the URL is shown in the window either way: no need to log it

    def _browser_answered(self, task: asyncio.Future[Any]) -> None:
        self._open_tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._browser_failed(str(exc) or type(exc).__name__)
            return
        result = task.result()
        if result is False or getattr(result, "ok", True) is False:
            self._browser_failed(str(getattr(result, "reason", "") or ""))

    def _browser_failed(self, reason: str) -> None:
        why = f" ({reason})" if reason else ""
        sentence = (
            f"Your browser could not be opened{why}. Copy the sign-in link and open it in "
            "your browser; NinjaDesk keeps waiting."
        )
        log.warning("The browser for the NinjaOne sign-in did not open%s.", why)
        if self.on_browser_failed is not None:
            self.on_browser_failed(sentence)

    def current(self) -> tuple[str | None, str | None]:
        s = self.ctx.settings
        try:
            return base_url_for(s.region, s.custom_base_url), s.client_id
        except ValueError:
            return None, s.client_id

    def _app_client(self) -> Any:
        return getattr(getattr(self.ctx.sync, "api", None), "client", None)

    async def connect(
        self, base_url: str, client_id: str, *, client_secret: str | None = None
    ) -> Any:
        """Browser sign-in; on success the context gets a SyncEngine for the new session."""
        from ninja_desk.ninjaone.api import NinjaOneApi
        from ninja_desk.sync.engine import SyncEngine

        try:
            tokens = await super().connect(base_url, client_id, client_secret=client_secret)
        finally:
            self.authorize_url = None
        assert self.client is not None
        self.ctx.sync = SyncEngine(NinjaOneApi(self.client), self.ctx.cache)
        self.ctx.save_settings()
        return tokens

    async def disconnect(self, **kwargs: Any) -> Any:
        """Webhook removed, sign-in revoked, keyring entries deleted; cache and PSA kept."""
        base_url, client_id = self.current()
        if self.provider is None and (base_url is None or client_id is None):
            raise CredentialsError("There is no NinjaOne connection to disconnect.")
        await self._stop_background()
        app_client = self._app_client()
        session = None
        if self.provider is None and base_url is not None and client_id is not None:
            session = (base_url, client_id, app_client)
        report = await super().disconnect(session=session, **kwargs)
        if app_client is not None and hasattr(app_client, "aclose"):
            try:
                await app_client.aclose()
            except Exception:  # closing a client that is already gone is not worth an error
                log.debug("closing the NinjaOne client failed", exc_info=True)
        self.ctx.sync = None
        self.ctx.settings.webhook_registered = False
        self.ctx.save_settings()
        return report

    async def _stop_background(self) -> None:
        """The scheduled jobs and the relay feed use the session being closed: stop them first
        (otherwise each job logs "client has been closed" on its next run)."""
        background = self.ctx.background
        if background is None:
            return
        self.ctx.background = None
        self.ctx.alerts = None
        try:
            background.stop()
        except Exception:
            log.debug("stopping the background services failed", exc_info=True)
        task = getattr(background, "task", None)
        if isinstance(task, asyncio.Future) and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=5)
        notify = getattr(background, "on_relay_state", None)
        if callable(notify):
            notify("off (disconnected)")

    async def register_webhook(self, **_: Any) -> None:  # type: ignore[override]
        """PUT /v2/webhook with the relay URL (replaces the app's previous webhook)."""
        base_url, client_id = self.current()
        client = self.client or self._app_client()
        if client is None or base_url is None or client_id is None:
            raise CredentialsError("Connect to NinjaOne first.")
        if not self.ctx.settings.relay_url:
            raise CredentialsError("Set the relay URL first: NinjaOne sends its webhooks there.")
        secrets = self.secrets_for(base_url, client_id)
        if not secrets.get(WEBHOOK_SECRET):
            raise CredentialsError(NO_ENDPOINT_SECRET)
        await super().register_webhook(client=client, secrets=secrets)
        self.ctx.settings.webhook_registered = True
        self.ctx.save_settings()

    def store_endpoint_secret(self, value: str) -> None:
        """The relay endpoint's shared secret, kept with this integration's NinjaOne secrets."""
        base_url, client_id = self.current()
        if base_url is None or not client_id:
            raise CredentialsError("Set the NinjaOne region and Client ID first.")
        self.secrets_for(base_url, client_id).set(WEBHOOK_SECRET, value)

    def has_endpoint_secret(self) -> bool:
        base_url, client_id = self.current()
        if base_url is None or not client_id:
            return False
        try:
            return bool(self.secrets_for(base_url, client_id).get(WEBHOOK_SECRET))
        except CredentialsError:
            return False


def ensure_link(ctx: AppContext) -> Any:
    """The context's link, installing a NinjaOneLink when the app has not set one."""
    if ctx.ninjaone is None:
        ctx.ninjaone = NinjaOneLink(ctx)
    return ctx.ninjaone
