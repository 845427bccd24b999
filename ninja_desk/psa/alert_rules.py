"""Alert rules (`rmm_alert_rules`): admin-only configuration, every change audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa import audit
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import CONFIGURE_ALERT_RULES, VIEW_ALERTS, require
from ninja_desk.psa.schema import rmm_alert_rules
from ninja_desk.psa.tenancy import TenantSession

_EDITABLE = ("name", "priority_order", "is_enabled", "dry_run", "conditions", "action")


@dataclass(frozen=True, slots=True)
class AlertRule:
    rule_id: uuid.UUID
    integration_id: uuid.UUID
    name: str
    priority_order: int
    is_enabled: bool
    dry_run: bool
    conditions: dict[str, Any]
    action: dict[str, Any]


def create_rule(
    s: TenantSession,
    integration_id: uuid.UUID,
    name: str,
    *,
    priority_order: int,
    conditions: dict[str, Any],
    action: dict[str, Any],
    is_enabled: bool = True,
    dry_run: bool = False,
) -> uuid.UUID:
    require(s, CONFIGURE_ALERT_RULES)
    rule_id = uuid.uuid4()
    now = utcnow()
    values = dict(
        name=name,
        priority_order=priority_order,
        is_enabled=is_enabled,
        dry_run=dry_run,
        conditions=conditions,
        action=action,
    )
    s.conn.execute(
        rmm_alert_rules.insert().values(
            tenant=s.tenant,
            rule_id=rule_id,
            integration_id=integration_id,
            created_by=s.user_id,
            updated_by=s.user_id,
            created_at=now,
            updated_at=now,
            **values,
        )
    )
    audit.record(s, "alert_rule.created", "rmm_alert_rule", rule_id, audit.diff({}, values))
    return rule_id


def update_rule(s: TenantSession, rule_id: uuid.UUID, **changes: Any) -> None:
    require(s, CONFIGURE_ALERT_RULES)
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValueError(f"Rules have no field(s) {', '.join(sorted(unknown))}.")
    before = get_rule(s, rule_id)
    t = rmm_alert_rules
    s.conn.execute(
        t.update()
        .where(t.c.tenant == s.tenant, t.c.rule_id == rule_id)
        .values(updated_at=utcnow(), updated_by=s.user_id, **changes)
    )
    old = {k: getattr(before, k) for k in changes}
    audit.record(s, "alert_rule.updated", "rmm_alert_rule", rule_id, audit.diff(old, changes))


def delete_rule(s: TenantSession, rule_id: uuid.UUID) -> None:
    require(s, CONFIGURE_ALERT_RULES)
    before = get_rule(s, rule_id)
    t = rmm_alert_rules
    s.conn.execute(t.delete().where(t.c.tenant == s.tenant, t.c.rule_id == rule_id))
    audit.record(s, "alert_rule.deleted", "rmm_alert_rule", rule_id, {"name": before.name})


_COLS = (
    rmm_alert_rules.c.rule_id,
    rmm_alert_rules.c.integration_id,
    *(rmm_alert_rules.c[c] for c in _EDITABLE),
)


def get_rule(s: TenantSession, rule_id: uuid.UUID) -> AlertRule:
    t = rmm_alert_rules
    row = s.conn.execute(
        sa.select(*_COLS).where(t.c.tenant == s.tenant, t.c.rule_id == rule_id)
    ).first()
    if row is None:
        raise NotFound("That alert rule does not exist in this tenant.")
    return AlertRule(*row)


def list_rules(s: TenantSession, integration_id: uuid.UUID) -> list[AlertRule]:
    """In evaluation order."""
    require(s, VIEW_ALERTS)
    t = rmm_alert_rules
    rows = s.conn.execute(
        sa.select(*_COLS)
        .where(t.c.tenant == s.tenant, t.c.integration_id == integration_id)
        .order_by(t.c.priority_order, t.c.name)
    )
    return [AlertRule(*row) for row in rows]
