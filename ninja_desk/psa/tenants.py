"""A tenant the way Alga seeds one, for NinjaDesk's own PSA databases (demo, SQLite, tests).

On a real Alga database the tenant, its users, roles, boards, statuses and priorities are Alga's:
NinjaDesk never creates them there (see setup.py). Here, on an empty database, creating a tenant
lays down what Alga's onboarding would: an MSP admin, Alga-style roles with `permissions` rows,
one default board with its ticket statuses, ticket priorities and the TICKET counter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import (
    ADMINISTER_RIGHTS,
    ALGA_RIGHT_FOR,
    require,
    role_id_by_name,
)
from ninja_desk.psa.schema import (
    boards,
    next_number,
    permissions,
    priorities,
    role_permissions,
    roles,
    statuses,
    tenants,
    user_roles,
    users,
)
from ninja_desk.psa.tenancy import PsaDatabase, TenantSession

# (name, order_number, itil level, colour): ITIL-style, as Alga's standard priorities.
DEFAULT_PRIORITIES = (
    ("P1 - Critical", 100, 1, "#DC2626"),
    ("P2 - High", 101, 2, "#EA580C"),
    ("P3 - Medium", 102, 3, "#F59E0B"),
    ("P4 - Low", 103, 4, "#3B82F6"),
    ("P5 - Planning", 104, 5, "#6B7280"),
)
# (name, is_closed, is_default) on the default board, in order.
DEFAULT_STATUSES = (
    ("New", False, True),
    ("In Progress", False, False),
    ("Waiting on Client", False, False),
    ("Closed", True, False),
)
DEFAULT_BOARD = "General Support"

_TECHNICIAN_RIGHTS = frozenset(
    {
        ("asset", "read"),
        ("asset", "create"),
        ("asset", "update"),
        ("ticket", "read"),
        ("ticket", "create"),
        ("ticket", "update"),
        ("rmm", "execute_command"),
    }
)
DEFAULT_ROLES: dict[str, frozenset[tuple[str, str]]] = {
    "Technician": _TECHNICIAN_RIGHTS,
    "Dispatcher": _TECHNICIAN_RIGHTS | {("ticket", "close_override")},
    "Admin": _TECHNICIAN_RIGHTS
    | frozenset(ALGA_RIGHT_FOR.values())
    | {("settings", "read"), ("security_settings", "read"), ("client", "read")},
}
# Every right a seeded tenant knows about (Alga seeds its whole catalogue; we seed what we use).
_ALL_RIGHTS = frozenset().union(*DEFAULT_ROLES.values())

# Users NinjaDesk creates in its own databases cannot log in to Alga: '!' is no valid hash.
_NO_PASSWORD = "!"


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
    """Create a tenant with an admin, roles, a default board, statuses, priorities, numbering."""
    tenant = tenant or uuid.uuid4()
    now = utcnow()
    admin_id = uuid.uuid4()
    with psa.tenant_session(tenant) as s:
        c = s.conn
        s.insert(
            tenants,
            client_name=name,
            email=f"admin@{tenant.hex[:8]}.invalid",
            created_at=now,
            updated_at=now,
        )
        permission_ids = {right: uuid.uuid4() for right in sorted(_ALL_RIGHTS)}
        c.execute(
            permissions.insert(),
            [
                {
                    "tenant": tenant,
                    "permission_id": pid,
                    "resource": res,
                    "action": act,
                    "msp": True,
                    "client": False,
                    "created_at": now,
                }
                for (res, act), pid in permission_ids.items()
            ],
        )
        for role_name, rights in DEFAULT_ROLES.items():
            role_id = uuid.uuid4()
            s.insert(
                roles,
                role_id=role_id,
                role_name=role_name,
                description=f"Default {role_name} role (editable)",
                msp=True,
                client=False,
                created_at=now,
                updated_at=now,
            )
            c.execute(
                role_permissions.insert(),
                [
                    {"tenant": tenant, "role_id": role_id, "permission_id": permission_ids[r]}
                    for r in sorted(rights)
                ],
            )
        _insert_user(s, admin_id, admin_username, ("Admin",))
        board_id = uuid.uuid4()
        s.insert(
            boards,
            board_id=board_id,
            board_name=DEFAULT_BOARD,
            is_default=True,
            is_inactive=False,
            display_order=1,
        )
        c.execute(
            statuses.insert(),
            [
                {
                    "tenant": tenant,
                    "status_id": uuid.uuid4(),
                    "board_id": board_id,
                    "name": n,
                    "status_type": "ticket",
                    "item_type": "ticket",
                    "is_closed": closed,
                    "is_default": default,
                    "order_number": i + 1,
                    "created_by": admin_id,
                    "created_at": now,
                }
                for i, (n, closed, default) in enumerate(DEFAULT_STATUSES)
            ],
        )
        c.execute(
            priorities.insert(),
            [
                {
                    "tenant": tenant,
                    "priority_id": uuid.uuid4(),
                    "priority_name": n,
                    "order_number": o,
                    "itil_priority_level": level,
                    "color": col,
                    "item_type": "ticket",
                    "created_by": admin_id,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, o, level, col in DEFAULT_PRIORITIES
            ],
        )
        s.insert(
            next_number,
            entity_type="TICKET",
            last_number=0,
            initial_value=1,
            prefix=ticket_prefix,
            padding_length=6,
        )
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
    now = utcnow()
    s.insert(
        users,
        user_id=user_id,
        username=username,
        hashed_password=_NO_PASSWORD,
        email=email or f"{username}@{s.tenant.hex[:8]}.invalid",
        first_name=first_name,
        last_name=last_name,
        user_type="internal",
        is_inactive=False,
        created_at=now,
        updated_at=now,
    )
    for role_name in role_names:
        _link_role(s, user_id, role_name)


def _link_role(s: TenantSession, user_id: uuid.UUID, role_name: str) -> None:
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
        s.insert(user_roles, user_id=user_id, role_id=role_id, created_at=utcnow())


def create_user(
    s: TenantSession,
    username: str,
    role_names: Iterable[str] = ("Technician",),
    *,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> uuid.UUID:
    """A user in NinjaDesk's own PSA database (tests, demo). Never used on an Alga database."""
    require(s, ADMINISTER_RIGHTS)
    user_id = uuid.uuid4()
    _insert_user(s, user_id, username, tuple(role_names), email, first_name, last_name)
    return user_id


def assign_role(s: TenantSession, user_id: uuid.UUID, role_name: str) -> None:
    require(s, ADMINISTER_RIGHTS)
    _link_role(s, user_id, role_name)
    s.permission_cache = None


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
    s.permission_cache = None


def set_role_rights(s: TenantSession, role_name: str, rights: Iterable[tuple[str, str]]) -> None:
    """Replace a role's Alga rights (resource, action); unknown rights get permission rows."""
    require(s, ADMINISTER_RIGHTS)
    role_id = role_id_by_name(s, role_name)
    if role_id is None:
        raise NotFound(f"There is no role named '{role_name}' in this tenant.")
    wanted = frozenset(rights)
    p, rp = permissions, role_permissions
    have = {
        (row.resource, row.action): row.permission_id
        for row in s.conn.execute(
            sa.select(p.c.resource, p.c.action, p.c.permission_id).where(
                p.c.tenant == s.tenant, p.c.msp.is_(True)
            )
        )
    }
    for right in sorted(wanted - have.keys()):
        have[right] = uuid.uuid4()
        s.insert(
            p,
            permission_id=have[right],
            resource=right[0],
            action=right[1],
            msp=True,
            client=False,
        )
    s.conn.execute(rp.delete().where(rp.c.tenant == s.tenant, rp.c.role_id == role_id))
    if wanted:
        s.conn.execute(
            rp.insert(),
            [{"tenant": s.tenant, "role_id": role_id, "permission_id": have[r]} for r in wanted],
        )
    s.permission_cache = None


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
            u.c.user_id,
            u.c.username,
            u.c.email,
            u.c.first_name,
            u.c.last_name,
            sa.func.coalesce(u.c.is_inactive, False),
        )
        .where(u.c.tenant == s.tenant, u.c.user_type == "internal")
        .order_by(u.c.username)
    )
    return [User(*r) for r in rows]


def ensure_local_admin(psa: PsaDatabase, name: str = "Local MSP") -> TenantInfo:
    """The embedded SQLite PSA has one tenant and one local administrator: create or find them."""
    with psa.engine.connect() as conn:
        row = conn.execute(sa.select(tenants.c.tenant).order_by(tenants.c.created_at)).first()
        if row is not None:
            admin = conn.scalar(
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
                .where(
                    user_roles.c.tenant == row.tenant, sa.func.lower(roles.c.role_name) == "admin"
                )
                .limit(1)
            )
            if admin is not None:
                return TenantInfo(row.tenant, admin)
    return create_tenant(psa, name)
