"""What the settings pages and the wizard need from the rest of the app, in one place.

The pages never build services themselves: they find them on the AppContext, and when one is
missing they say why instead of pretending. The shapes:

- `ctx.ninjaone` — the NinjaOne link: `status` (ninjaone.connection.ConnectionStatus),
  `async connect(base_url, client_id)`, `async disconnect() -> DisconnectReport`,
  `async register_webhook()` (PUT /v2/webhook again with the relay URL; replaces the old one).
  settings/ninjaone_link.py is the default; the Settings view installs it when the app has not.
- `ensure_relay_webhook(ctx)` — the automatic webhook check (after Connect, at start-up, after
  the relay settings were saved): `ninjaone.webhooks.ensure_webhook` on the app's session, with
  the keyring read off the UI thread; `webhook_notice` / `webhook_failure` word its outcome.
- `ctx.psa` — the PSA database handle: a `psa.tenancy.PsaDatabase` (or an object with
  `tenant_session`), plus `tenant`, `user_id` and `integration_id` attributes when the app knows
  them; `PsaScope` below falls back to `settings.psa_tenant` and the tenant's first
  integration.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from ninja_desk.environment import environment
from ninja_desk.ninjaone.connection import ConnectionSnapshot, ConnectionState
from ninja_desk.ninjaone.credentials import WEBHOOK_SECRET, CredentialsError
from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.ninjaone.webhooks import WebhookError, WebhookSync, ensure_webhook
from ninja_desk.psa.permissions import CONFIGURE_INTEGRATION, CONFIGURE_RELAY, denial_sentence
from ninja_desk.ui.context import AppContext

log = logging.getLogger(__name__)

NO_PSA = "PSA database not configured; enter its URL under Integrations → PSA database."
NO_NINJA = "Connect to NinjaOne first."
NO_LINK = "NinjaOne sign-in is not available in this session; restart NinjaDesk and try again."
NO_TENANT = "The PSA tenant is not set; finish the PSA database setup first."

RELAY_SECRET_SERVICE = "NinjaDesk/relay"
RELAY_TOKEN_KEY = "relay_token"


def ninjaone_link(ctx: AppContext) -> Any:
    return getattr(ctx, "ninjaone", None)


def connection_snapshot(ctx: AppContext) -> ConnectionSnapshot:
    """The link's status, or the best guess from the sync engine when there is no link."""
    link = ninjaone_link(ctx)
    status = getattr(link, "status", None)
    if status is not None:
        return status.snapshot
    if ctx.sync is None:
        return ConnectionSnapshot(ConnectionState.DISCONNECTED)
    state = ConnectionState.SYNCING if ctx.sync.running else ConnectionState.CONNECTED
    return ConnectionSnapshot(state)


# Settings that live in this desktop's settings file and keyring, not in the PSA.
LOCAL_PERMISSIONS = frozenset({CONFIGURE_INTEGRATION, CONFIGURE_RELAY})


def permission_reason(ctx: AppContext, permission: str) -> str | None:
    """None if the user may change this; else the sentence that says why not.

    Without a PSA database there are no PSA rights to check, and a desktop's own connection
    settings are its user's: otherwise nobody could connect a fresh install. The same holds on
    a read-only desktop (no Alga API key, so nobody to check rights for): its local settings
    stay editable, or a wrong URL could never be fixed; everything it writes to the PSA is still
    refused. Once the desktop acts as an Alga user, that user's rights decide (and the PSA
    repositories enforce them again).
    """
    if permission in LOCAL_PERMISSIONS and (
        ctx.psa is None or getattr(ctx.psa, "user_id", "") is None
    ):
        return None
    return None if permission in ctx.permissions else denial_sentence(permission)


def session_client(ctx: AppContext) -> Any:
    """The NinjaOne client of the live session: the link's sign-in, else the app's own (resumed
    at start-up from the keyring or the environment); None when there is no session."""
    client = getattr(ninjaone_link(ctx), "client", None)
    return client or getattr(getattr(ctx.sync, "api", None), "client", None)


class _KnownSecret:
    """The endpoint secret, read from the keyring beforehand (a keyring call can block)."""

    def __init__(self, value: str | None) -> None:
        self._value = value

    def get(self, key: str) -> str | None:
        return self._value if key == WEBHOOK_SECRET else None


def _stored_webhook_secret(ctx: AppContext) -> str | None:
    """The relay endpoint secret kept with this integration's NinjaOne secrets (blocking)."""
    from ninja_desk.ninjaone.credentials import open_secrets
    from ninja_desk.ninjaone.regions import base_url_for

    link = ninjaone_link(ctx)
    current = getattr(link, "current", None)
    if callable(current):
        base_url, client_id = current()
    else:
        settings = ctx.settings
        base_url, client_id = (
            base_url_for(settings.region, settings.custom_base_url),
            (settings.client_id),
        )
    if not base_url or not client_id:
        return None
    secrets_for = getattr(link, "secrets_for", None) or open_secrets
    return secrets_for(base_url, client_id).get(WEBHOOK_SECRET)


async def ensure_relay_webhook(ctx: AppContext) -> WebhookSync | None:
    """Point NinjaOne's webhook at the configured relay if it does not already (one PUT at
    most; nothing when it matches). Saves the settings when it registered. None without a
    NinjaOne session. Raises WebhookError, NinjaOneError and CredentialsError (sentences).

    Runs on the app's loop; the keyring read and the settings write go to a worker thread.
    """
    client = session_client(ctx)
    if client is None:
        return None
    secret = None
    # ensure_webhook takes NINJA_DESK_WEBHOOK_SECRET itself; the keyring only without it.
    if ctx.settings.relay_url and environment().webhook_secret is None:
        secret = await asyncio.to_thread(_stored_webhook_secret, ctx)
    done = await ensure_webhook(client, ctx.settings, _KnownSecret(secret), data_dir=ctx.data_dir)
    if done.changed:
        await asyncio.to_thread(ctx.save_settings)
    log.info("NinjaOne webhook check: %s", done.outcome)
    return done


def webhook_notice(done: WebhookSync | None) -> str | None:
    """What the user should hear about an automatic check: a new registration or what is
    missing for one. Nothing when it already matched or no relay is configured (the normal
    state of a desktop without live updates)."""
    if done is None or done.outcome in ("unchanged", "no_relay"):
        return None
    return done.message


def webhook_failure(exc: BaseException) -> str:
    """A failed automatic check as a notice (the CLI's `login` words it the same way)."""
    if isinstance(exc, WebhookError):
        return str(exc)  # not an administrator, another PSA owns the webhook: already sentences
    if not isinstance(exc, NinjaOneError | CredentialsError):
        log.warning("The webhook check failed unexpectedly.", exc_info=exc)
    return f"The webhook was not registered: {str(exc).strip() or type(exc).__name__}"


def relay_secrets() -> Any:
    """The keyring entry that holds the relay token (through the credentials module)."""
    from ninja_desk.ninjaone.credentials import KeyringSecrets

    return KeyringSecrets(RELAY_SECRET_SERVICE)


@dataclass(frozen=True, slots=True)
class PsaScope:
    """What every PSA repository call needs: a database, a tenant, a user, an integration."""

    db: Any
    tenant: uuid.UUID
    user_id: uuid.UUID | None
    integration_id: uuid.UUID | None

    def session(self) -> Any:
        return self.db.tenant_session(self.tenant, self.user_id)

    def require_integration(self) -> uuid.UUID:
        if self.integration_id is not None:
            return self.integration_id
        from ninja_desk.psa.integrations import list_integrations

        with self.session() as s:
            found = list_integrations(s)
        if not found:
            raise LookupError(
                "The PSA database has no NinjaOne integration yet; connect to NinjaOne first."
            )
        object.__setattr__(self, "integration_id", found[0])
        return found[0]


def psa_scope(ctx: AppContext) -> PsaScope | str:
    """The scope, or the sentence that says what is missing."""
    db = ctx.psa
    if db is None or not hasattr(db, "tenant_session"):
        return NO_PSA
    tenant = getattr(db, "tenant", None) or ctx.settings.psa_tenant
    if not tenant:
        return NO_TENANT
    try:
        tenant_id = tenant if isinstance(tenant, uuid.UUID) else uuid.UUID(str(tenant))
    except ValueError:
        return f"The PSA tenant '{tenant}' is not a valid id; check the PSA database setup."
    return PsaScope(
        db=db,
        tenant=tenant_id,
        user_id=getattr(db, "user_id", None),
        integration_id=getattr(db, "integration_id", None),
    )
