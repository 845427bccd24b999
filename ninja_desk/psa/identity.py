"""Who the desktop's user is: an Alga API key, checked the way Alga checks it.

A technician copies a key from their Alga profile page; Alga stores only its SHA-256 (lowercase
hex) in `api_keys`. A key identifies its user when the row is active and not expired, the user
exists, is active and internal, and the tenant is not suspended; each check stamps
`last_used_at`, as Alga's own check does. The key itself comes from the environment
(NINJA_DESK_ALGA_API_KEY) or the OS keyring, never from settings.json, and is never logged.

No key, a refused key, or a user without any right NinjaDesk uses: the desktop is read-only,
and `Identity.read_only_reason` says why in one sentence.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import PsaError
from ninja_desk.psa.permissions import (
    NO_PERMISSIONS,
    READ_ONLY_NO_KEY,
    READ_ONLY_NO_RIGHTS,
    VIEW_PERMISSIONS,
    actions_for_rights,
    alga_rights_of,
)
from ninja_desk.psa.schema import api_keys, tenants, users
from ninja_desk.psa.tenancy import PsaDatabase

_KEY_SHAPE = re.compile(r"^[0-9a-fA-F]{64}$")


class ApiKeyRefused(PsaError):
    """The key does not identify an active internal user of an active tenant (a sentence)."""


def hash_api_key(api_key: str) -> str:
    """What Alga stores in `api_keys.api_key`: the lowercase hex SHA-256 of the key."""
    return hashlib.sha256(api_key.strip().encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Identity:
    """The desktop's user and rights, or read-only with the reason."""

    tenant: uuid.UUID | None
    user_id: uuid.UUID | None = None
    email: str | None = None
    display_name: str | None = None
    alga_rights: frozenset[tuple[str, str]] = frozenset()
    permissions: frozenset[str] = NO_PERMISSIONS
    read_only_reason: str | None = READ_ONLY_NO_KEY
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def read_only(self) -> bool:
        """True unless the user may change something (viewing alone is read-only)."""
        return not (self.permissions - VIEW_PERMISSIONS)

    def summary(self) -> str:
        """One line for the status bar and `ninja-desk status`."""
        if self.user_id is None or self.read_only:
            return self.read_only_reason or READ_ONLY_NO_KEY
        return f"Signed in to Alga as {self.display_name or self.email}."


def read_only(reason: str, tenant: uuid.UUID | None = None) -> Identity:
    return Identity(tenant, read_only_reason=reason)


def identify(psa: PsaDatabase, api_key: str, tenant: uuid.UUID | None = None) -> Identity:
    """Check `api_key` against Alga's `api_keys`; raise ApiKeyRefused with a sentence if it
    does not identify anyone. `tenant`, when given, must be the key's tenant."""
    key = api_key.strip()
    if not _KEY_SHAPE.match(key):
        raise ApiKeyRefused(
            "That is not an Alga API key (64 hexadecimal characters, from your Alga profile "
            "page → API keys)."
        )
    digest = hash_api_key(key)
    k, u, t = api_keys.c, users.c, tenants.c
    with psa.engine.connect() as conn:
        conn.info["psa_readonly"] = True
        row = conn.execute(
            sa.select(k.api_key_id, k.tenant, k.user_id, k.active, k.expires_at).where(
                k.api_key == digest
            )
        ).first()
    if row is None:
        raise ApiKeyRefused(
            "Alga does not know this API key; create a new one on your Alga profile page."
        )
    if not row.active:
        raise ApiKeyRefused("This Alga API key was deactivated; create a new one in Alga.")
    if row.expires_at is not None and row.expires_at <= utcnow():
        raise ApiKeyRefused("This Alga API key has expired; create a new one in Alga.")
    if tenant is not None and row.tenant != tenant:
        raise ApiKeyRefused(
            "This Alga API key belongs to another tenant than the one NinjaDesk is set up for; "
            "check the tenant under Settings → PSA database."
        )
    with psa.tenant_session(row.tenant, row.user_id) as s:
        suspended = s.conn.execute(sa.select(t.suspended_at).where(t.tenant == row.tenant)).first()
        if suspended is None or suspended.suspended_at is not None:
            raise ApiKeyRefused("The Alga tenant of this API key is suspended.")
        user = s.conn.execute(
            sa.select(u.email, u.first_name, u.last_name, u.username, u.is_inactive, u.user_type)
            .where(u.tenant == row.tenant, u.user_id == row.user_id)
            .limit(1)
        ).first()
        if user is None:
            raise ApiKeyRefused("The Alga user of this API key no longer exists.")
        if user.is_inactive:
            raise ApiKeyRefused("The Alga user of this API key is deactivated.")
        if user.user_type != "internal":
            raise ApiKeyRefused(
                "This API key belongs to a client-portal user; NinjaDesk needs an MSP user's key."
            )
        s.conn.execute(
            api_keys.update()
            .where(k.api_key_id == row.api_key_id, k.tenant == row.tenant)
            .values(last_used_at=utcnow())
        )
        rights = alga_rights_of(s, row.user_id)
    actions = actions_for_rights(rights)
    name = " ".join(p for p in (user.first_name, user.last_name) if p) or user.username
    return Identity(
        row.tenant,
        row.user_id,
        user.email,
        f"{name} <{user.email}>",
        rights,
        actions,
        None if actions - VIEW_PERMISSIONS else READ_ONLY_NO_RIGHTS,
    )


def identify_or_read_only(
    psa: PsaDatabase, api_key: str | None, tenant: uuid.UUID | None = None
) -> Identity:
    """identify(), but a missing or refused key gives a read-only identity with the reason."""
    if not api_key:
        return read_only(READ_ONLY_NO_KEY, tenant)
    try:
        return identify(psa, api_key, tenant)
    except ApiKeyRefused as exc:
        return read_only(f"Read-only: {exc}", tenant)


def create_api_key(
    psa: PsaDatabase,
    tenant: uuid.UUID,
    user_id: uuid.UUID,
    *,
    description: str = "NinjaDesk",
    expires_at: Any = None,
    active: bool = True,
) -> str:
    """A new key for a user of NinjaDesk's own PSA database (demo, tests), stored as Alga
    stores it. On a real Alga database users make their keys in Alga."""
    import secrets as _secrets

    key = _secrets.token_hex(32)
    now = utcnow()
    with psa.tenant_session(tenant) as s:
        s.insert(
            api_keys,
            api_key_id=uuid.uuid4(),
            api_key=hash_api_key(key),
            user_id=user_id,
            description=description,
            active=active,
            expires_at=expires_at,
            purpose="general",
            usage_count=0,
            created_at=now,
            updated_at=now,
        )
    return key


def identity_status(psa_url: str | None, tenant: str | None, key: str | None) -> str | None:
    """One sentence for `ninja-desk status`: who this desktop acts as in the PSA with `key`
    (an Alga API key), or why it is read-only. None without a PSA database; never raises
    (status must always answer)."""
    if not psa_url:
        return None
    from ninja_desk.psa.setup import resolve_tenant

    db = PsaDatabase(psa_url)
    try:
        if not key:
            if not db.is_postgres:
                return "Acting as the local administrator of the embedded PSA database."
            return READ_ONLY_NO_KEY
        tenant_id = resolve_tenant(db, tenant)[0] if tenant else None
        return identify_or_read_only(db, key, tenant_id).summary()
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"Unknown: the PSA database could not be asked ({reason[0] if reason else exc!r})."
    finally:
        db.dispose()
