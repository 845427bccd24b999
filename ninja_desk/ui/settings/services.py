"""What the settings pages and the wizard need from the rest of the app, in one place.

The pages never build services themselves: they find them on the AppContext, and when one is
missing they say why instead of pretending. The shapes:

- `ctx.ninjaone` — the NinjaOne link: `status` (ninjaone.connection.ConnectionStatus),
  `async connect(base_url, client_id)`, `async disconnect() -> DisconnectReport`,
  `async register_webhook()` (PUT /v2/webhook again with the relay URL; replaces the old one).
  settings/ninjaone_link.py is the default; the Settings view installs it when the app has not.
- `ctx.psa` — the PSA database handle: a `psa.tenancy.PsaDatabase` (or an object with
  `tenant_session`), plus `tenant`, `user_id` and `integration_id` attributes when the app knows
  them; `PsaScope` below falls back to `settings.psa_tenant` and the tenant's first
  integration.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ninja_desk.ninjaone.connection import ConnectionSnapshot, ConnectionState
from ninja_desk.psa.permissions import CONFIGURE_INTEGRATION, CONFIGURE_RELAY, denial_sentence
from ninja_desk.ui.context import AppContext

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
