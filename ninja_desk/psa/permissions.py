"""What a technician may do in NinjaDesk, read from Alga's own rights.

Alga grants rights as `permissions(resource, action)` rows, through `role_permissions` to
`roles`, and roles to users through `user_roles` (no admin shortcut: an exact resource + action
match, roles and permissions filtered by the `msp` flag for internal users). NinjaDesk keeps its
own action names (what the UI enables or hides) and maps each to the one Alga right it needs:

| NinjaDesk action        | Alga right                |
|-------------------------|---------------------------|
| devices.view            | asset:read                |
| alerts.view             | asset:read                |
| tickets.view            | ticket:read               |
| tickets.create          | ticket:create             |
| alerts.act, tickets.assign | ticket:update          |
| devices.sync            | asset:update              |
| remote.connect          | rmm:execute_command       |
| integration/org_mapping/alert_rules/maintenance/relay .configure | settings:update |
| rights.administer       | security_settings:update  |

docs/psa-database.md carries the same table for admins.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ninja_desk.psa.errors import PermissionDenied
from ninja_desk.psa.schema import permissions, role_permissions, roles, user_roles, users

if TYPE_CHECKING:
    from ninja_desk.psa.tenancy import TenantSession

# view
VIEW_DEVICES = "devices.view"
VIEW_ALERTS = "alerts.view"
VIEW_TICKETS = "tickets.view"
# act
ACT_ALERTS = "alerts.act"  # acknowledge / resolve
CREATE_TICKETS = "tickets.create"
REMOTE_CONNECT = "remote.connect"
SYNC_DEVICES = "devices.sync"  # push NinjaOne devices into assets
ASSIGN_TICKETS = "tickets.assign"
# configure
CONFIGURE_INTEGRATION = "integration.configure"  # connect/disconnect NinjaOne, webhooks
CONFIGURE_ORG_MAPPING = "org_mapping.configure"
CONFIGURE_ALERT_RULES = "alert_rules.configure"
CONFIGURE_MAINTENANCE = "maintenance.configure"
CONFIGURE_RELAY = "relay.configure"
# administer
ADMINISTER_RIGHTS = "rights.administer"

# NinjaDesk action -> the Alga right (resource, action) it needs.
ALGA_RIGHT_FOR: dict[str, tuple[str, str]] = {
    VIEW_DEVICES: ("asset", "read"),
    VIEW_ALERTS: ("asset", "read"),
    VIEW_TICKETS: ("ticket", "read"),
    CREATE_TICKETS: ("ticket", "create"),
    ACT_ALERTS: ("ticket", "update"),
    ASSIGN_TICKETS: ("ticket", "update"),
    SYNC_DEVICES: ("asset", "update"),
    REMOTE_CONNECT: ("rmm", "execute_command"),
    CONFIGURE_INTEGRATION: ("settings", "update"),
    CONFIGURE_ORG_MAPPING: ("settings", "update"),
    CONFIGURE_ALERT_RULES: ("settings", "update"),
    CONFIGURE_MAINTENANCE: ("settings", "update"),
    CONFIGURE_RELAY: ("settings", "update"),
    ADMINISTER_RIGHTS: ("security_settings", "update"),
}

ALL_PERMISSIONS: frozenset[str] = frozenset(ALGA_RIGHT_FOR)
NO_PERMISSIONS: frozenset[str] = frozenset()

_DENIED: dict[str, str] = {
    VIEW_DEVICES: "You do not have the right to view devices (Alga right asset:read).",
    VIEW_ALERTS: "You do not have the right to view alerts (Alga right asset:read).",
    VIEW_TICKETS: "You do not have the right to view tickets (Alga right ticket:read).",
    ACT_ALERTS: "You do not have the right to acknowledge or resolve alerts "
    "(Alga right ticket:update).",
    CREATE_TICKETS: "You do not have the right to create tickets (Alga right ticket:create).",
    REMOTE_CONNECT: "You do not have the right to open remote sessions "
    "(Alga right rmm:execute_command).",
    SYNC_DEVICES: "You do not have the right to sync devices into Alga (Alga right asset:update).",
    ASSIGN_TICKETS: "You do not have the right to assign tickets (Alga right ticket:update).",
    CONFIGURE_INTEGRATION: "Only someone with Alga's settings:update right can change the "
    "NinjaOne link.",
    CONFIGURE_ORG_MAPPING: "Only someone with Alga's settings:update right can change how "
    "NinjaOne organizations map to clients.",
    CONFIGURE_ALERT_RULES: "Only someone with Alga's settings:update right can change alert rules.",
    CONFIGURE_MAINTENANCE: "Only someone with Alga's settings:update right can change "
    "maintenance windows.",
    CONFIGURE_RELAY: "Only someone with Alga's settings:update right can change the relay.",
    ADMINISTER_RIGHTS: "Only someone with Alga's security_settings:update right can change rights.",
}


def denial_sentence(permission: str) -> str:
    sentence = _DENIED.get(permission, f"You do not have the right '{permission}'.")
    return f"{sentence} Ask an Alga admin to grant it to one of your roles."


def alga_rights_of(session: TenantSession, user_id: uuid.UUID) -> frozenset[tuple[str, str]]:
    """The user's Alga rights as (resource, action), the way Alga's hasPermission reads them.

    An inactive or client-portal user has none (NinjaDesk is an MSP tool).
    """
    u, ur, r, rp, p = users, user_roles, roles, role_permissions, permissions
    query = (
        sa.select(p.c.resource, p.c.action)
        .distinct()
        .select_from(
            u.join(ur, sa.and_(ur.c.tenant == u.c.tenant, ur.c.user_id == u.c.user_id))
            .join(r, sa.and_(r.c.tenant == ur.c.tenant, r.c.role_id == ur.c.role_id))
            .join(rp, sa.and_(rp.c.tenant == r.c.tenant, rp.c.role_id == r.c.role_id))
            .join(p, sa.and_(p.c.tenant == rp.c.tenant, p.c.permission_id == rp.c.permission_id))
        )
        .where(
            u.c.tenant == session.tenant,
            u.c.user_id == user_id,
            u.c.user_type == "internal",
            sa.func.coalesce(u.c.is_inactive, False).is_(False),
            r.c.msp.is_(True),
            p.c.msp.is_(True),
        )
    )
    return frozenset((row.resource, row.action) for row in session.conn.execute(query))


def actions_for_rights(rights: frozenset[tuple[str, str]]) -> frozenset[str]:
    return frozenset(action for action, right in ALGA_RIGHT_FOR.items() if right in rights)


def _permissions_of(session: TenantSession, user_id: uuid.UUID) -> frozenset[str]:
    return actions_for_rights(alga_rights_of(session, user_id))


def current_user_permissions(session: TenantSession) -> frozenset[str]:
    """The acting user's NinjaDesk actions, for the UI to hide or disable actions.

    A session without a user is the system itself (the headless agent acting as the configured
    service user, migrations, tests): it holds every right.
    """
    if session.user_id is None:
        return ALL_PERMISSIONS
    if session.permission_cache is None:
        session.permission_cache = _permissions_of(session, session.user_id)
    return session.permission_cache


def has_permission(session: TenantSession, user_id: uuid.UUID | None, permission: str) -> bool:
    if user_id is None:
        return True
    if user_id == session.user_id:
        return permission in current_user_permissions(session)
    return permission in _permissions_of(session, user_id)


def require(session: TenantSession, permission: str) -> None:
    """Raise PermissionDenied (with a sentence) unless the acting user holds `permission`."""
    if permission not in current_user_permissions(session):
        raise PermissionDenied(denial_sentence(permission), permission)


def role_id_by_name(session: TenantSession, role_name: str) -> uuid.UUID | None:
    return session.conn.scalar(
        sa.select(roles.c.role_id).where(
            roles.c.tenant == session.tenant,
            sa.func.lower(roles.c.role_name) == role_name.lower(),
            roles.c.msp.is_(True),
        )
    )
