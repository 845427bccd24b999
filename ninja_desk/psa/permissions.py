"""What a technician may do in NinjaDesk, read from Alga's own rights.

Alga grants rights as `permissions(resource, action)` rows, through `role_permissions` to
`roles`, and roles to users through `user_roles` (no admin shortcut: an exact resource + action
match, roles and permissions filtered by the `msp` flag for internal users). NinjaDesk keeps its
own action names (what the UI enables or hides) and maps each to the one Alga right it needs:

| NinjaDesk action       | Alga right               | what it allows                      |
|------------------------|--------------------------|-------------------------------------|
| devices.view           | asset:read               | device list and details             |
| alerts.view            | asset:read               | alerts of those devices             |
| tickets.view           | ticket:read              | tickets and their notes             |
| tickets.create         | ticket:create            | a ticket from an alert              |
| alerts.act             | ticket:update            | acknowledge / resolve alerts        |
| tickets.assign         | ticket:update            | assign a ticket                     |
| tickets.update         | ticket:update            | status, priority, notes on a ticket |
| devices.sync           | asset:update             | push devices into Alga as assets    |
| remote.connect         | rmm:execute_command      | Remote Connect                      |
| integration.configure  | settings:update          | the NinjaOne link, webhooks         |
| org_mapping.configure  | settings:update          | organizations -> clients            |
| alert_rules.configure  | settings:update          | alert rules                         |
| maintenance.configure  | settings:update          | maintenance windows                 |
| relay.configure        | settings:update          | the relay                           |
| rights.administer      | security_settings:update | roles (NinjaDesk's own databases)   |

Who holds them: the desktop's user, identified by an Alga API key (identity.py); a desktop
without a key, or with a key whose user holds none of these rights, is read-only. A session
without a user (`user_id None`) is the system: the headless agent (and migrations, tests) hold
every right; the desktop never opens one (desktop_runtime.py). docs/psa-database.md carries the
same table for admins.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

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
UPDATE_TICKETS = "tickets.update"  # status, priority, comments (Alga checks ticket:update)
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
    UPDATE_TICKETS: ("ticket", "update"),
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
# What a read-only desktop may still do: look. Reading is governed by the database login the
# desktop connects with (it can read the tables anyway); NinjaDesk's rights govern changes.
VIEW_PERMISSIONS: frozenset[str] = frozenset({VIEW_DEVICES, VIEW_ALERTS, VIEW_TICKETS})

# Why a desktop is read-only (shown in the status bar, Settings and `ninja-desk status`).
READ_ONLY_NO_KEY = (
    "Read-only: no Alga API key is set. Create one on your Alga profile page and enter it under "
    "Settings → PSA database (or set NINJA_DESK_ALGA_API_KEY)."
)
READ_ONLY_NO_RIGHTS = (
    "Read-only: your Alga user holds none of the rights NinjaDesk uses (asset, ticket, "
    "rmm:execute_command, settings). Ask an Alga admin to add them to one of your roles."
)


def rights_map() -> list[dict[str, str]]:
    """The action -> Alga right table as rows (for `ninja-desk psa check --json` and docs)."""
    return [
        {"action": action, "alga_right": f"{res}:{act}"}
        for action, (res, act) in ALGA_RIGHT_FOR.items()
    ]


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
    UPDATE_TICKETS: "You do not have the right to change tickets or add notes "
    "(Alga right ticket:update).",
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


def rights_query(tenant: uuid.UUID, *columns: Any) -> sa.Select:
    """`columns` over active internal users joined to their MSP rights, the way Alga's
    hasPermission reads them (user_roles -> roles -> role_permissions -> permissions, the `msp`
    flag on roles and permissions, no admin shortcut). Callers add their own conditions."""
    u, ur, r, rp, p = users, user_roles, roles, role_permissions, permissions
    return (
        sa.select(*columns)
        .distinct()
        .select_from(
            u.join(ur, sa.and_(ur.c.tenant == u.c.tenant, ur.c.user_id == u.c.user_id))
            .join(r, sa.and_(r.c.tenant == ur.c.tenant, r.c.role_id == ur.c.role_id))
            .join(rp, sa.and_(rp.c.tenant == r.c.tenant, rp.c.role_id == r.c.role_id))
            .join(p, sa.and_(p.c.tenant == rp.c.tenant, p.c.permission_id == rp.c.permission_id))
        )
        .where(
            u.c.tenant == tenant,
            u.c.user_type == "internal",
            sa.func.coalesce(u.c.is_inactive, False).is_(False),
            r.c.msp.is_(True),
            p.c.msp.is_(True),
        )
    )


def alga_rights_of(session: TenantSession, user_id: uuid.UUID) -> frozenset[tuple[str, str]]:
    """The user's Alga rights as (resource, action). An inactive or client-portal user has none
    (NinjaDesk is an MSP tool)."""
    query = rights_query(session.tenant, permissions.c.resource, permissions.c.action).where(
        users.c.user_id == user_id
    )
    return frozenset((row.resource, row.action) for row in session.conn.execute(query))


def actions_for_rights(rights: frozenset[tuple[str, str]]) -> frozenset[str]:
    return frozenset(action for action, right in ALGA_RIGHT_FOR.items() if right in rights)


def permissions_of(session: TenantSession, user_id: uuid.UUID) -> frozenset[str]:
    """The NinjaDesk actions `user_id` may take in this tenant (none for an unknown user)."""
    return _permissions_of(session, user_id)


def _permissions_of(session: TenantSession, user_id: uuid.UUID) -> frozenset[str]:
    return actions_for_rights(alga_rights_of(session, user_id))


def current_user_permissions(session: TenantSession) -> frozenset[str]:
    """The acting user's NinjaDesk actions, for the UI to hide or disable actions.

    A session without a user is the system itself (the headless agent, migrations, tests): it
    holds every right. The desktop never opens one: without an identity its sessions carry
    `permission_cache = VIEW_PERMISSIONS` (read-only).
    """
    if session.permission_cache is not None:
        return session.permission_cache
    if session.user_id is None:
        return ALL_PERMISSIONS
    session.permission_cache = _permissions_of(session, session.user_id)
    return session.permission_cache


def has_permission(session: TenantSession, user_id: uuid.UUID | None, permission: str) -> bool:
    if user_id == session.user_id:
        return permission in current_user_permissions(session)
    if user_id is None:
        return True  # the system
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
