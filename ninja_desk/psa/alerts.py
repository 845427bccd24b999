"""RMM alerts in the PSA (`rmm_alerts`): the minimal write path; the alert pipeline owns policy.

`acknowledged_by` / `resolved_by` are the acting user; on PostgreSQL the database stamps them
from the login, so they cannot be forged by a client.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound, PermissionDenied
from ninja_desk.psa.permissions import ACT_ALERTS, VIEW_ALERTS, require
from ninja_desk.psa.schema import rmm_alerts
from ninja_desk.psa.tenancy import TenantSession


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert_id: uuid.UUID
    integration_id: uuid.UUID
    series_uid: str
    external_device_id: str | None
    asset_id: uuid.UUID | None
    severity: str
    priority: str
    status: str
    message: str | None
    triggered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None
    ticket_id: uuid.UUID | None
    auto_ticket_created: bool
    rule_decision: str | None
    rule_explanation: str | None


def record_alert(
    s: TenantSession,
    integration_id: uuid.UUID,
    series_uid: str,
    *,
    severity: str = "NONE",
    priority: str = "NONE",
    activity_type: str | None = None,
    status_code: str | None = None,
    message: str | None = None,
    external_device_id: str | None = None,
    asset_id: uuid.UUID | None = None,
    triggered_at: datetime | None = None,
    source_payload: dict[str, Any] | None = None,
) -> tuple[uuid.UUID, bool]:
    """Insert the alert once per (tenant, integration, series uid). Returns (id, created).

    Idempotent under concurrency: the unique constraint decides, not a read-then-write.
    """
    require(s, ACT_ALERTS)
    t = rmm_alerts
    now = utcnow()
    alert_id = uuid.uuid4()
    values = dict(
        tenant=s.tenant,
        alert_id=alert_id,
        integration_id=integration_id,
        series_uid=series_uid,
        external_device_id=external_device_id,
        asset_id=asset_id,
        severity=severity,
        priority=priority,
        activity_type=activity_type,
        status_code=status_code,
        message=message,
        source_payload=source_payload or {},
        triggered_at=triggered_at or now,
        created_at=now,
        updated_at=now,
    )
    insert = _insert_ignore(s, t, values, ["tenant", "integration_id", "series_uid"])
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT through SQLAlchemy.
    if s.conn.execute(insert.returning(t.c.alert_id)).first() is not None:
        return alert_id, True
    existing = s.conn.scalar(
        sa.select(t.c.alert_id).where(
            t.c.tenant == s.tenant,
            t.c.integration_id == integration_id,
            t.c.series_uid == series_uid,
        )
    )
    return existing, False


def _insert_ignore(s: TenantSession, table: sa.Table, values: dict[str, Any], keys: list[str]):
    if s.is_postgres:
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)


def _set_state(
    s: TenantSession, alert_id: uuid.UUID, allowed_from: tuple[str, ...], **values: Any
) -> bool:
    require(s, ACT_ALERTS)
    if s.user_id is None:
        raise PermissionDenied("Acknowledging or resolving needs an acting user.")
    t = rmm_alerts
    # Conditional update: two technicians acknowledging at once -> exactly one wins.
    result = s.conn.execute(
        t.update()
        .where(t.c.tenant == s.tenant, t.c.alert_id == alert_id, t.c.status.in_(allowed_from))
        .values(updated_at=utcnow(), **values)
    )
    return result.rowcount == 1


def acknowledge_alert(s: TenantSession, alert_id: uuid.UUID) -> bool:
    """True if this call acknowledged it; False if it was already acknowledged or resolved."""
    return _set_state(
        s,
        alert_id,
        ("active",),
        status="acknowledged",
        acknowledged_at=utcnow(),
        acknowledged_by=s.user_id,
    )


def resolve_alert(s: TenantSession, alert_id: uuid.UUID) -> bool:
    return _set_state(
        s,
        alert_id,
        ("active", "acknowledged"),
        status="resolved",
        resolved_at=utcnow(),
        resolved_by=s.user_id,
    )


def get_alert(s: TenantSession, alert_id: uuid.UUID) -> AlertRow:
    require(s, VIEW_ALERTS)
    t = rmm_alerts.c
    row = s.conn.execute(
        sa.select(
            t.alert_id,
            t.integration_id,
            t.series_uid,
            t.external_device_id,
            t.asset_id,
            t.severity,
            t.priority,
            t.status,
            t.message,
            t.triggered_at,
            t.acknowledged_at,
            t.acknowledged_by,
            t.resolved_at,
            t.resolved_by,
            t.ticket_id,
            t.auto_ticket_created,
            t.rule_decision,
            t.rule_explanation,
        ).where(t.tenant == s.tenant, t.alert_id == alert_id)
    ).first()
    if row is None:
        raise NotFound("That alert does not exist in this tenant.")
    return AlertRow(*row)
