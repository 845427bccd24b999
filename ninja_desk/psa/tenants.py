"""Tenants, users and roles: creating a tenant seeds what a PSA needs on day one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ninja_desk.psa import audit
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import (
    ADMINISTER_RIGHTS,
    ALL_PERMISSIONS,
    DEFAULT_ROLES,
    require,
    role_id_by_name,
)
from ninja_desk.psa.schema import (
    channels,
    priorities,
    role_permissions,
    roles,
    statuses,
    tenants,
    ticket_number_sequences,
    user_roles,
    users,
)
from ninja_desk.psa.tenancy import PsaDatabase, TenantSession

DEFAULT_PRIORITIES = (
    ("urgent", 1, "#d32f2f"),
    ("high", 2, "#f57c00"),
    ("medium", 3, "#fbc02d"),
    ("low", 4, "#388e3c"),
)
DEFAULT_STATUSES = (
    ("New", False, True),
    ("In Progress", False, False),
    ("Waiting on Client", False, False),
    ("Closed", True, False),
)
DEFAULT_CHANNELS = (("General", True), ("Monitoring", False))


@dataclass(frozen=True, slots=True)
class TenantInfo:
    tenant: uuid.UUID
    admin_user_id: uuid.UUID


def create_tenant(
    psa: PsaDatabase,
    name: str,
    *,
    tenant: uuid.UUID | None = None,
    admin_username: str = "admin",
    ticket_prefix: str = "TIC",
) -> TenantInfo:
    """Create a tenant with default priorities, statuses, channels, roles and one admin.

    Runs as the system (no acting user). On PostgreSQL that takes an owner or `nd_service` login.
    """
    tenant = tenant or uuid.uuid4()
    now = utcnow()
    admin_id = uuid.uuid4()
    with psa.tenant_session(tenant) as s:
        c = s.conn
        c.execute(tenants.insert().values(tenant=tenant, name=name, created_at=now))
        c.execute(
            priorities.insert(),
            [
                {
                    "tenant": tenant,
                    "priority_id": uuid.uuid4(),
                    "priority_name": n,
                    "order_number": o,
                    "color": col,
                }
                for n, o, col in DEFAULT_PRIORITIES
            ],
        )
        c.execute(
            statuses.insert(),
            [
                {
                    "tenant": tenant,
                    "status_id": uuid.uuid4(),
                    "name": n,
                    "status_type": "ticket",
                    "is_closed": closed,
                    "is_default": default,
                    "order_number": i,
                }
                for i, (n, closed, default) in enumerate(DEFAULT_STATUSES)
            ],
        )
        c.execute(
            channels.insert(),
            [
                {"tenant": tenant, "channel_id": uuid.uuid4(), "channel_name": n, "is_default": d}
                for n, d in DEFAULT_CHANNELS
            ],
        )
        c.execute(
            ticket_number_sequences.insert().values(
                tenant=tenant, prefix=ticket_prefix, last_number=0
            )
        )
        for role_name, perms in DEFAULT_ROLES.items():
            role_id = uuid.uuid4()
            c.execute(
                roles.insert().values(
                    tenant=tenant,
                    role_id=role_id,
                    role_name=role_name,
                    description=f"Default {role_name} role (editable)",
                )
            )
            c.execute(
                role_permissions.insert(),
                [{"tenant": tenant, "role_id": role_id, "permission": p} for p in sorted(perms)],
            )
        _insert_user(s, admin_id, admin_username, ("admin",))
    return TenantInfo(tenant, admin_id)


def _insert_user(
    s: TenantSession,
    user_id: uuid.UUID,
    username: str,
    role_names: Iterable[str],
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> None:
    s.conn.execute(
        users.insert().values(
            tenant=s.tenant,
            user_id=user_id,
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            created_at=utcnow(),
        )
    )
    for role_name in role_names:
        assign_role(s, user_id, role_name, _checked=True)


def create_user(
    s: TenantSession,
    username: str,
    role_names: Iterable[str] = ("technician",),
    *,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> uuid.UUID:
    require(s, ADMINISTER_RIGHTS)
    user_id = uuid.uuid4()
    role_names = tuple(role_names)
    _insert_user(s, user_id, username, role_names, email, first_name, last_name)
    audit.record(s, "user.created", "user", user_id, {"username": username, "roles": role_names})
    return user_id


def assign_role(
    s: TenantSession, user_id: uuid.UUID, role_name: str, *, _checked: bool = False
) -> None:
    if not _checked:
        require(s, ADMINISTER_RIGHTS)
    role_id = role_id_by_name(s, role_name)
    if role_id is None:
        raise NotFound(f"There is no role named '{role_name}' in this tenant.")
    exists = s.conn.scalar(
        sa.select(sa.func.count()).where(
            user_roles.c.tenant == s.tenant,
            user_roles.c.user_id == user_id,
            user_roles.c.role_id == role_id,
        )
    )
    if not exists:
        s.conn.execute(
            user_roles.insert().values(tenant=s.tenant, user_id=user_id, role_id=role_id)
        )
    if not _checked:
        audit.record(s, "user.role_assigned", "user", user_id, {"role": role_name})
        _apply_db_grants(s, user_id)


def remove_role(s: TenantSession, user_id: uuid.UUID, role_name: str) -> None:
    require(s, ADMINISTER_RIGHTS)
    role_id = role_id_by_name(s, role_name)
    s.conn.execute(
        user_roles.delete().where(
            user_roles.c.tenant == s.tenant,
            user_roles.c.user_id == user_id,
            user_roles.c.role_id == role_id,
        )
    )
    audit.record(s, "user.role_removed", "user", user_id, {"role": role_name})
    _apply_db_grants(s, user_id)


def set_role_permissions(s: TenantSession, role_name: str, permissions: Iterable[str]) -> None:
    """Edit a role (the defaults are editable). Users' database grants follow."""
    require(s, ADMINISTER_RIGHTS)
    wanted = frozenset(permissions)
    unknown = wanted - ALL_PERMISSIONS
    if unknown:
        raise ValueError(f"Unknown rights: {', '.join(sorted(unknown))}.")
    role_id = role_id_by_name(s, role_name)
    if role_id is None:
        raise NotFound(f"There is no role named '{role_name}' in this tenant.")
    rp = role_permissions
    before = frozenset(
        s.conn.scalars(
            sa.select(rp.c.permission).where(rp.c.tenant == s.tenant, rp.c.role_id == role_id)
        )
    )
    s.conn.execute(rp.delete().where(rp.c.tenant == s.tenant, rp.c.role_id == role_id))
    if wanted:
        s.conn.execute(
            rp.insert(),
            [{"tenant": s.tenant, "role_id": role_id, "permission": p} for p in sorted(wanted)],
        )
    audit.record(
        s,
        "role.permissions_changed",
        "role",
        role_id,
        {"role": role_name, "added": sorted(wanted - before), "removed": sorted(before - wanted)},
    )
    holders = s.conn.scalars(
        sa.select(user_roles.c.user_id).where(
            user_roles.c.tenant == s.tenant, user_roles.c.role_id == role_id
        )
    ).all()
    for user_id in holders:
        _apply_db_grants(s, user_id)
    s.permission_cache = None


def _apply_db_grants(s: TenantSession, user_id: uuid.UUID) -> None:
    if s.is_postgres:
        s.conn.execute(sa.text("SELECT nd_apply_user_grants(:u)"), {"u": user_id})


@dataclass(frozen=True, slots=True)
class User:
    user_id: uuid.UUID
    username: str
    email: str | None
    first_name: str | None
    last_name: str | None
    is_inactive: bool


def list_users(s: TenantSession) -> list[User]:
    u = users
    rows = s.conn.execute(
        sa.select(
            u.c.user_id, u.c.username, u.c.email, u.c.first_name, u.c.last_name, u.c.is_inactive
        )
        .where(u.c.tenant == s.tenant)
        .order_by(u.c.username)
    )
    return [User(*r) for r in rows]


def ensure_local_admin(psa: PsaDatabase, name: str = "Local MSP") -> TenantInfo:
    """The embedded SQLite PSA has one tenant and one local administrator: create or find them."""
    with psa.engine.connect() as conn:
        row = conn.execute(sa.select(tenants.c.tenant).order_by(tenants.c.created_at)).first()
        if row is not None:
            admin_role = conn.scalar(
                sa.select(user_roles.c.user_id)
                .select_from(
                    user_roles.join(
                        roles,
                        sa.and_(
                            roles.c.tenant == user_roles.c.tenant,
                            roles.c.role_id == user_roles.c.role_id,
                        ),
                    )
                )
                .where(user_roles.c.tenant == row.tenant, roles.c.role_name == "admin")
                .limit(1)
            )
            if admin_role is not None:
                return TenantInfo(row.tenant, admin_role)
    return create_tenant(psa, name)
