"""RMM alerts in Alga's `rmm_alerts`: the minimal write path; the alert pipeline owns policy.

`external_alert_id` is NinjaOne's series uid; severities and statuses are Alga's words
(critical/major/moderate/minor/none; active/suppressed/acknowledged/resolved/auto_resolved).
`acknowledged_by` is the acting user; who resolved it is kept in `metadata.resolvedBy` (Alga
has no column for it).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from ninja_desk.psa.bulk import dialect_insert
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import PermissionDenied
from ninja_desk.psa.integration_settings import SEVERITIES
from ninja_desk.psa.permissions import ACT_ALERTS, require
from ninja_desk.psa.schema import rmm_alerts
from ninja_desk.psa.tenancy import TenantSession


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


def acknowledge_alert(s: TenantSession, alert_id: uuid.UUID) -> bool:
    """True if this call acknowledged it; False if it was already acknowledged or resolved."""
    require(s, ACT_ALERTS)
    if s.user_id is None:
        raise PermissionDenied("Acknowledging needs an acting user.")
    t = rmm_alerts
    now = utcnow()
    # Conditional update: two technicians acknowledging at once -> exactly one wins.
    result = s.conn.execute(
        t.update()
        .where(
            t.c.tenant == s.tenant,
            t.c.alert_id == alert_id,
            t.c.status.in_(("active", "suppressed")),
        )
        .values(
            status="acknowledged", acknowledged_at=now, acknowledged_by=s.user_id, updated_at=now
        )
    )
    return result.rowcount == 1
