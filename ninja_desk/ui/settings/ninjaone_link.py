"""The desktop's NinjaOne link: sign in, disconnect and (re-)register the webhook.

The same steps as `ninja-desk login / logout / webhook` (cli/auth_commands.py), for the
Settings card and the wizard: the browser sign-in on a loopback port, tokens to the keyring,
a SyncEngine on the context, the connection status the badge follows. No Qt here; every
method is async and runs on the app's (qasync) loop.

The shell may install its own object with the same four members as `ctx.ninjaone`;
`ensure_link(ctx)` installs this one only when the context has none.
"""

from __future__ import annotations

import logging
import webbrowser
from collections.abc import Callable
from typing import Any

from ninja_desk.ninjaone.connection import ConnectionStatus
from ninja_desk.ninjaone.credentials import (
    CLIENT_SECRET,
    REFRESH_TOKEN,
    WEBHOOK_SECRET,
    CredentialsError,
    KeyringTokenStore,
    open_secrets,
)
from ninja_desk.ninjaone.regions import base_url_for
from ninja_desk.ui.context import AppContext

log = logging.getLogger(__name__)

NO_ENDPOINT_SECRET = (
    "Enter the relay endpoint secret (from 'ninja-desk-relay endpoint add') under Webhook "
    "relay and save, then register the webhook."
)


class NinjaOneLink:
    def __init__(
        self,
        ctx: AppContext,
        *,
        status: ConnectionStatus | None = None,
        opener: Callable[[str], object] | None = webbrowser.open,
        secrets_for: Callable[[str, str], Any] = open_secrets,
    ) -> None:
        self.ctx = ctx
        self.status = status or ConnectionStatus()
        self.opener = opener
        self.secrets_for = secrets_for
        if ctx.sync is not None and self.status.state.value == "disconnected":
            base_url, client_id = self.current()
            self.status.connecting(base_url, client_id)
            self.status.connected()

    def current(self) -> tuple[str | None, str | None]:
        s = self.ctx.settings
        try:
            return base_url_for(s.region, s.custom_base_url), s.client_id
        except ValueError:
            return None, s.client_id

    async def connect(self, base_url: str, client_id: str) -> Any:
        """Browser sign-in; on success the context gets a SyncEngine for the new session."""
        from ninja_desk.ninjaone.oauth_loopback import (
            LoopbackLogin,
            LoopbackSettings,
            login_scopes,
        )
        from ninja_desk.ninjaone.session import open_api
        from ninja_desk.sync.engine import SyncEngine

        self.status.connecting(base_url, client_id)
        try:
            secrets = self.secrets_for(base_url, client_id)
            secrets.get(REFRESH_TOKEN)  # no secure keyring: say so before the browser opens
            client_secret = secrets.get(CLIENT_SECRET)  # "Web" apps; Native apps have none
            scopes = login_scopes()
            login = LoopbackLogin(
                LoopbackSettings(base_url, client_id, client_secret, scopes), opener=self.opener
            )
            tokens = await login.run()
            store = KeyringTokenStore(secrets)
            store.save(tokens)
            api = open_api(
                base_url, client_id, client_secret, store=store, lock_dir=self.ctx.data_dir
            )
        except Exception as exc:
            self.status.error(str(exc) or type(exc).__name__)
            raise
        self.ctx.sync = SyncEngine(api, self.ctx.cache)
        self.ctx.settings.scopes = list(scopes)
        self.ctx.save_settings()
        self.status.connected(tokens)
        return tokens

    async def disconnect(self) -> Any:
        """Webhook removed, sign-in revoked, keyring entries deleted; cache and PSA kept."""
        from ninja_desk.ninjaone.disconnect import disconnect

        base_url, client_id = self.current()
        if base_url is None or client_id is None:
            raise CredentialsError("There is no NinjaOne connection to disconnect.")
        secrets = self.secrets_for(base_url, client_id)
        api = getattr(self.ctx.sync, "api", None)
        client = getattr(api, "client", None)
        report = await disconnect(
            base_url=base_url,
            client_id=client_id,
            secrets=secrets,
            client=client,
            webhook_registered=self.ctx.settings.webhook_registered,
        )
        try:
            secrets.delete(WEBHOOK_SECRET)
        except CredentialsError as exc:
            report.problems.append(str(exc))
        if client is not None and hasattr(client, "aclose"):
            try:
                await client.aclose()
            except Exception:  # closing a client that is already gone is not worth an error
                log.debug("closing the NinjaOne client failed", exc_info=True)
        self.ctx.sync = None
        self.ctx.settings.webhook_registered = False
        self.ctx.save_settings()
        self.status.disconnected()
        return report

    async def register_webhook(self) -> None:
        """PUT /v2/webhook with the relay URL (replaces the app's previous webhook)."""
        from ninja_desk.ninjaone.webhooks import (
            build_webhook_config,
            register_webhook,
            relay_hook_url,
        )

        base_url, client_id = self.current()
        api = getattr(self.ctx.sync, "api", None)
        relay_url = self.ctx.settings.relay_url
        if api is None or base_url is None or client_id is None:
            raise CredentialsError("Connect to NinjaOne first.")
        if not relay_url:
            raise CredentialsError("Set the relay URL first: NinjaOne sends its webhooks there.")
        secret = self.secrets_for(base_url, client_id).get(WEBHOOK_SECRET)
        if not secret:
            raise CredentialsError(NO_ENDPOINT_SECRET)
        hook_url = relay_hook_url(relay_url, self.ctx.settings.relay_endpoint)
        await register_webhook(api.client, build_webhook_config(hook_url, secret))
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
