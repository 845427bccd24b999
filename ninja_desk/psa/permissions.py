"""Rights in the PSA, modelled on the seed plan's `rmm_settings` resource.

Four kinds: view, act, configure, administer. Roles (`roles`, `role_permissions`, `user_roles`)
hold them per tenant; `technician`, `dispatcher` and `admin` are seeded as editable defaults.
The repositories check rights here and raise PermissionDenied with a sentence; on PostgreSQL the
database enforces the write side again with grants (see migration 0002), so a desktop talking
to the database directly cannot skip the check.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ninja_desk.psa.errors import PermissionDenied
from ninja_desk.psa.schema import role_permissions, roles, user_roles

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

ALL_PERMISSIONS: frozenset[str] = frozenset(
    {
        VIEW_DEVICES,
        VIEW_ALERTS,
        VIEW_TICKETS,
        ACT_ALERTS,
        CREATE_TICKETS,
        REMOTE_CONNECT,
        SYNC_DEVICES,
        ASSIGN_TICKETS,
        CONFIGURE_INTEGRATION,
        CONFIGURE_ORG_MAPPING,
        CONFIGURE_ALERT_RULES,
        CONFIGURE_MAINTENANCE,
        CONFIGURE_RELAY,
        ADMINISTER_RIGHTS,
    }
)

_TECHNICIAN = frozenset(
    {
        VIEW_DEVICES,
        VIEW_ALERTS,
        VIEW_TICKETS,
        ACT_ALERTS,
        CREATE_TICKETS,
        REMOTE_CONNECT,
        SYNC_DEVICES,
    }
)
DEFAULT_ROLES: dict[str, frozenset[str]] = {
    "technician": _TECHNICIAN,
    "dispatcher": _TECHNICIAN | {ASSIGN_TICKETS, CONFIGURE_MAINTENANCE},
    "admin": ALL_PERMISSIONS,
}

_DENIED: dict[str, str] = {
    VIEW_DEVICES: "You do not have the right to view devices; ask an admin to grant it.",
    VIEW_ALERTS: "You do not have the right to view alerts; ask an admin to grant it.",
    VIEW_TICKETS: "You do not have the right to view tickets; ask an admin to grant it.",
    ACT_ALERTS: "You do not have the right to acknowledge or resolve alerts; ask an admin.",
    CREATE_TICKETS: "You do not have the right to create or edit tickets; ask an admin.",
    REMOTE_CONNECT: "You do not have the right to open remote sessions; ask an admin.",
    SYNC_DEVICES: "You do not have the right to sync devices into the PSA; ask an admin.",
    ASSIGN_TICKETS: "Only a dispatcher or an admin can assign tickets.",
    CONFIGURE_INTEGRATION: "Only an admin can connect, disconnect or change the NinjaOne link.",
    CONFIGURE_ORG_MAPPING: "Only an admin can change how NinjaOne organizations map to clients.",
    CONFIGURE_ALERT_RULES: "Only an admin can change alert rules.",
    CONFIGURE_MAINTENANCE: "Only a dispatcher or an admin can change maintenance windows.",
    CONFIGURE_RELAY: "Only an admin can change the relay settings.",
    ADMINISTER_RIGHTS: "Only an admin can grant or remove rights.",
}


def denial_sentence(permission: str) -> str:
    return _DENIED.get(permission, f"You do not have the right '{permission}'; ask an admin.")


def _permissions_of(session: TenantSession, user_id: uuid.UUID) -> frozenset[str]:
    query = (
        sa.select(role_permissions.c.permission)
        .distinct()
        .select_from(
            user_roles.join(
                role_permissions,
                sa.and_(
                    role_permissions.c.tenant == user_roles.c.tenant,
                    role_permissions.c.role_id == user_roles.c.role_id,
                ),
            )
        )
        .where(user_roles.c.tenant == session.tenant, user_roles.c.user_id == user_id)
    )
    return frozenset(session.conn.scalars(query))


def current_user_permissions(session: TenantSession) -> frozenset[str]:
    """The acting user's rights, for the UI to hide or disable actions.

    A session without a user is the system itself (the headless agent, migrations, tests):
    it holds every right. On PostgreSQL the database still limits it to its login's grants.
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
            roles.c.tenant == session.tenant, roles.c.role_name == role_name
        )
    )
