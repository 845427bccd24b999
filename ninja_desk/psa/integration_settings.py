"""How NinjaDesk runs for one integration (`ninjadesk_integration_settings`), with defaults.

Board, service user and the severity -> priority map are per tenant and never guessed from
English names: the board defaults to the tenant's `is_default` ticket board, the priorities to
the tenant's ticket priorities by ITIL level (else by order), the service user to the one
`psa setup --service-user` named (on NinjaDesk's own databases: the first active admin).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.schema import (
    boards,
    ninjadesk_integration_settings,
    priorities,
    roles,
    user_roles,
    users,
)
from ninja_desk.psa.tenancy import TenantSession

# Alga's rmm_alerts severity words, most urgent first.
SEVERITIES = ("critical", "major", "moderate", "minor", "none")

PRIMARY = "primary"
COMPANION = "companion"


@dataclass(frozen=True, slots=True)
class IntegrationSettings:
    integration_id: uuid.UUID
    mode: str = PRIMARY
    board_id: uuid.UUID | None = None
    service_user_id: uuid.UUID | None = None
    severity_priorities: dict[str, uuid.UUID] = field(default_factory=dict)
    alga_redis_url: str | None = None

    @property
    def is_companion(self) -> bool:
        return self.mode == COMPANION


def load_settings(s: TenantSession, integration_id: uuid.UUID) -> IntegrationSettings:
    t = ninjadesk_integration_settings
    row = s.conn.execute(
        sa.select(t).where(t.c.tenant == s.tenant, t.c.integration_id == integration_id)
    ).first()
    if row is None:
        return IntegrationSettings(integration_id)
    return IntegrationSettings(
        integration_id,
        row.mode,
        row.board_id,
        row.service_user_id,
        {k: uuid.UUID(str(v)) for k, v in (row.severity_priorities or {}).items()},
        row.alga_redis_url,
    )


def save_settings(s: TenantSession, settings: IntegrationSettings) -> None:
    """Insert or replace this integration's row (callers check rights first)."""
    t = ninjadesk_integration_settings
    values: dict[str, Any] = {
        "mode": settings.mode,
        "board_id": settings.board_id,
        "service_user_id": settings.service_user_id,
        "severity_priorities": {k: str(v) for k, v in settings.severity_priorities.items()},
        "alga_redis_url": settings.alga_redis_url,
        "updated_at": utcnow(),
    }
    updated = s.conn.execute(
        t.update()
        .where(t.c.tenant == s.tenant, t.c.integration_id == settings.integration_id)
        .values(**values)
    )
    if updated.rowcount == 0:
        s.insert(t, integration_id=settings.integration_id, **values)


def ticket_board(s: TenantSession, settings: IntegrationSettings) -> uuid.UUID:
    """The board alert tickets go to: the configured one, else the tenant's default board."""
    if settings.board_id is not None:
        return settings.board_id
    b = boards.c
    found = s.conn.scalar(
        sa.select(b.board_id)
        .where(b.tenant == s.tenant, sa.func.coalesce(b.is_inactive, False).is_(False))
        .order_by(sa.func.coalesce(b.is_default, False).desc(), b.display_order, b.board_name)
        .limit(1)
    )
    if found is None:
        raise NotFound("This tenant has no ticket board; create one in Alga first.")
    return found


def default_severity_priorities(s: TenantSession) -> dict[str, uuid.UUID]:
    """critical..none spread over the tenant's ticket priorities, most urgent first.

    ITIL levels when the tenant has them (1 = most urgent); otherwise Alga's order_number,
    lowest first. An admin can change any entry (psa setup, Settings).
    """
    p = priorities.c
    rows = s.conn.execute(
        sa.select(p.priority_id, p.itil_priority_level, p.order_number).where(
            p.tenant == s.tenant, sa.func.coalesce(p.item_type, "ticket") == "ticket"
        )
    ).all()
    if not rows:
        raise NotFound("This tenant has no ticket priorities; create them in Alga first.")
    itil = sorted((r for r in rows if r.itil_priority_level), key=lambda r: r.itil_priority_level)
    ordered = itil or sorted(rows, key=lambda r: r.order_number or 0)
    last = len(ordered) - 1
    return {
        sev: ordered[round(i * last / (len(SEVERITIES) - 1))].priority_id
        for i, sev in enumerate(SEVERITIES)
    }


def priority_for(s: TenantSession, settings: IntegrationSettings, severity: str) -> uuid.UUID:
    chosen = settings.severity_priorities.get(severity)
    if chosen is not None:
        return chosen
    return default_severity_priorities(s)[severity if severity in SEVERITIES else "none"]


def service_user(s: TenantSession, settings: IntegrationSettings) -> uuid.UUID:
    """Who NinjaDesk's automatic writes are recorded as (asset_history.changed_by, ...)."""
    if settings.service_user_id is not None:
        return settings.service_user_id
    u, ur, r = users.c, user_roles.c, roles.c
    found = s.conn.scalar(
        sa.select(u.user_id)
        .select_from(
            users.join(user_roles, sa.and_(ur.tenant == u.tenant, ur.user_id == u.user_id)).join(
                roles, sa.and_(r.tenant == ur.tenant, r.role_id == ur.role_id)
            )
        )
        .where(
            u.tenant == s.tenant,
            u.user_type == "internal",
            sa.func.coalesce(u.is_inactive, False).is_(False),
            sa.func.lower(r.role_name) == "admin",
        )
        .order_by(u.created_at, u.user_id)
        .limit(1)
    )
    if found is None:
        raise NotFound(
            "No service user is configured for NinjaDesk; run `ninja-desk psa setup "
            "--service-user EMAIL` with an active Alga user."
        )
    return found


def ticket_priorities(s: TenantSession) -> list[tuple[uuid.UUID, str]]:
    """The tenant's ticket priorities (id, name), most urgent first as default_severity_priorities
    orders them."""
    p = priorities.c
    rows = list(
        s.conn.execute(
            sa.select(p.priority_id, p.priority_name, p.itil_priority_level, p.order_number).where(
                p.tenant == s.tenant, sa.func.coalesce(p.item_type, "ticket") == "ticket"
            )
        )
    )
    rows.sort(
        key=lambda r: (
            r.itil_priority_level is None,
            r.itil_priority_level or 0,
            r.order_number or 0,
        )
    )
    return [(r.priority_id, r.priority_name) for r in rows]


def severity_map(
    s: TenantSession, settings: IntegrationSettings
) -> dict[str, tuple[uuid.UUID, str, bool]]:
    """severity -> (priority id, priority name, chosen by an admin?) for every Alga severity."""
    names = dict(ticket_priorities(s))
    defaults = default_severity_priorities(s)
    out: dict[str, tuple[uuid.UUID, str, bool]] = {}
    for sev in SEVERITIES:
        chosen = settings.severity_priorities.get(sev)
        pid = chosen if chosen in names else defaults[sev]
        out[sev] = (pid, names[pid], pid == chosen)
    return out


def set_severity_priorities(
    s: TenantSession, integration_id: uuid.UUID, choices: dict[str, str]
) -> IntegrationSettings:
    """Set severity -> priority entries, each given as the priority's name (any case) or id.

    Unknown severities or priorities are refused with a sentence; entries not given are kept.
    Callers check the right (settings:update) first."""
    current = load_settings(s, integration_id)
    known = ticket_priorities(s)
    by_name = {name.lower(): pid for pid, name in known}
    by_id = {str(pid): pid for pid, _ in known}
    updated = dict(current.severity_priorities)
    for severity, wanted in choices.items():
        sev = severity.strip().lower()
        if sev not in SEVERITIES:
            raise ValueError(
                f"'{severity}' is not an alert severity; use one of {', '.join(SEVERITIES)}."
            )
        pid = by_id.get(wanted.strip()) or by_name.get(wanted.strip().lower())
        if pid is None:
            raise ValueError(
                f"This tenant has no ticket priority '{wanted}'; its priorities are "
                + ", ".join(f"'{name}'" for _, name in known)
                + "."
            )
        updated[sev] = pid
    new = IntegrationSettings(
        integration_id,
        current.mode,
        current.board_id,
        current.service_user_id,
        updated,
        current.alga_redis_url,
    )
    save_settings(s, new)
    return new
