"""RMM alerts in Alga's `rmm_alerts`: the minimal write path; the alert pipeline owns policy.

`external_alert_id` is NinjaOne's series uid; severities and statuses are Alga's words
(critical/major/moderate/minor/none; active/suppressed/acknowledged/resolved/auto_resolved).
`acknowledged_by` is the acting user; who resolved it is kept in `metadata.resolvedBy` (Alga
has no column for it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa.bulk import dialect_insert
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound, PermissionDenied
from ninja_desk.psa.integration_settings import SEVERITIES
from ninja_desk.psa.permissions import ACT_ALERTS, VIEW_ALERTS, require
from ninja_desk.psa.schema import ninjadesk_alert_series, rmm_alerts
from ninja_desk.psa.tenancy import TenantSession


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert_id: uuid.UUID
    integration_id: uuid.UUID
    series_uid: str
    external_device_id: str | None
    asset_id: uuid.UUID | None
    severity: str
    priority: str | None
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
    severity: str = "none",
    priority: str | None = None,
    activity_type: str | None = None,
    status_code: str | None = None,
    message: str | None = None,
    external_device_id: str | None = None,
    asset_id: uuid.UUID | None = None,
    triggered_at: datetime | None = None,
    source_payload: dict[str, Any] | None = None,
) -> tuple[uuid.UUID, bool]:
    """Insert the alert once per (tenant, integration, external_alert_id). Returns (id, created).

    Idempotent under concurrency: Alga's unique constraint decides, not a read-then-write.
    """
    require(s, ACT_ALERTS)
    t = rmm_alerts
    now = utcnow()
    alert_id = uuid.uuid4()
    word = severity.lower() if severity.lower() in SEVERITIES else "none"
    values = dict(
        tenant=s.tenant,
        alert_id=alert_id,
        integration_id=integration_id,
        external_alert_id=series_uid,
        external_device_id=external_device_id,
        asset_id=asset_id,
        severity=word,
        priority=(priority or "none").lower(),
        status="active",
        activity_type=activity_type,
        message=message,
        metadata={"statusCode": status_code, "source": "ninjadesk"} if status_code else {},
        dedup_key=f"{external_device_id}|{status_code or activity_type}"
        if external_device_id
        else None,
        triggered_at=triggered_at or now,
        last_occurrence_at=triggered_at or now,
        occurrence_count=1,
        created_at=now,
        updated_at=now,
    )
    insert = (
        dialect_insert(s.conn, t)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant", "integration_id", "external_alert_id"])
    )
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT through SQLAlchemy.
    if s.conn.execute(insert.returning(t.c.alert_id)).first() is not None:
        if source_payload:
            st = ninjadesk_alert_series
            s.conn.execute(
                st.insert().values(
                    tenant=s.tenant,
                    alert_id=alert_id,
                    integration_id=integration_id,
                    series_uid=series_uid,
                    severity_known=True,
                    source_payload=source_payload,
                    updated_at=now,
                )
            )
        return alert_id, True
    # The insert hit the unique key, so the row is there (in this transaction's snapshot).
    existing: uuid.UUID = s.conn.execute(
        sa.select(t.c.alert_id).where(
            t.c.tenant == s.tenant,
            t.c.integration_id == integration_id,
            t.c.external_alert_id == series_uid,
        )
    ).scalar_one()
    return existing, False


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
        ("active", "suppressed"),
        status="acknowledged",
        acknowledged_at=utcnow(),
        acknowledged_by=s.user_id,
    )


def resolve_alert(s: TenantSession, alert_id: uuid.UUID) -> bool:
    t = rmm_alerts
    meta = s.conn.scalar(
        sa.select(t.c.metadata).where(t.c.tenant == s.tenant, t.c.alert_id == alert_id)
    )
    return _set_state(
        s,
        alert_id,
        ("active", "acknowledged", "suppressed"),
        status="resolved",
        resolved_at=utcnow(),
        metadata={**(meta or {}), "resolvedBy": str(s.user_id)},
    )


def get_alert(s: TenantSession, alert_id: uuid.UUID) -> AlertRow:
    require(s, VIEW_ALERTS)
    t, st = rmm_alerts.c, ninjadesk_alert_series.c
    row = s.conn.execute(
        sa.select(
            t.alert_id,
            t.integration_id,
            t.external_alert_id,
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
            t.metadata,
            t.ticket_id,
            t.auto_ticket_created,
            st.rule_decision,
            st.rule_explanation,
        )
        .select_from(
            rmm_alerts.outerjoin(
                ninjadesk_alert_series,
                sa.and_(st.tenant == t.tenant, st.alert_id == t.alert_id),
            )
        )
        .where(t.tenant == s.tenant, t.alert_id == alert_id)
    ).first()
    if row is None:
        raise NotFound("That alert does not exist in this tenant.")
    values = list(row)
    resolved_by = (values[13] or {}).get("resolvedBy")
    values[13] = uuid.UUID(resolved_by) if resolved_by else None
    return AlertRow(*values)


def attach_assets(
    s: TenantSession,
    integration_id: uuid.UUID,
    assets_by_device: dict[str, uuid.UUID],
    *,
    created_by: uuid.UUID,
) -> int:
    """Devices that just got their asset (the asset push calls this): their alerts get the
    asset id, and the tickets of those alerts the asset link ('related', by `created_by`, the
    service user). Idempotent; returns how many links were added."""
    from ninja_desk.psa.tickets import link_assets

    if not assets_by_device:
        return 0
    t = rmm_alerts
    rows = s.conn.execute(
        sa.select(t.c.alert_id, t.c.external_device_id, t.c.ticket_id, t.c.asset_id)
        .where(
            t.c.tenant == s.tenant,
            t.c.integration_id == integration_id,
            t.c.external_device_id.in_(sorted(assets_by_device)),
        )
        .order_by(t.c.alert_id)
    ).all()
    missing = [
        {"b_alert": r.alert_id, "b_asset": assets_by_device[r.external_device_id]}
        for r in rows
        if r.asset_id is None
    ]
    if missing:
        s.conn.execute(
            t.update()
            .where(t.c.tenant == s.tenant, t.c.alert_id == sa.bindparam("b_alert"))
            .values(asset_id=sa.bindparam("b_asset"), updated_at=utcnow()),
            missing,
        )
    per_ticket: dict[uuid.UUID, set[uuid.UUID]] = {}
    for r in rows:
        if r.ticket_id is not None:
            per_ticket.setdefault(r.ticket_id, set()).add(assets_by_device[r.external_device_id])
    return sum(
        link_assets(s, ticket_id, ids, created_by=created_by, relationship_type="related")
        for ticket_id, ids in sorted(per_ticket.items(), key=lambda kv: str(kv[0]))
    )
