"""Closing a PSA ticket resets its alert in NinjaOne (rules with `reset_on_close`).

The agent asks `closed_ticket_resets(pipeline)` on every alert poll. Each open alert whose ticket
a person closed is resolved here with a conditional update, so exactly one process wins it and
sends the one `POST /v2/alert/{uid}/reset` to NinjaOne.
"""

from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.core import alert_series as series_mod
from ninja_desk.psa import outbox
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.schema import rmm_alerts, statuses, tickets
from ninja_desk.sync.alert_pipeline import ALERT_RESOLVED, AlertPipeline
from ninja_desk.sync.alert_tables import rmm_alert_series, rmm_alert_tickets

REASON = "its PSA ticket was closed; reset in NinjaOne"


def closed_ticket_resets(pipeline: AlertPipeline) -> list[str]:
    a, at, t = rmm_alerts, rmm_alert_tickets, tickets
    with pipeline.psa.tenant_session(pipeline.tenant, pipeline.user_id) as s:
        candidates = s.conn.execute(
            sa.select(a.c.alert_id, a.c.series_uid, a.c.ticket_id)
            .select_from(
                a.join(at, sa.and_(at.c.tenant == a.c.tenant, at.c.ticket_id == a.c.ticket_id))
                .join(t, sa.and_(t.c.tenant == a.c.tenant, t.c.ticket_id == a.c.ticket_id))
                .join(
                    statuses,
                    sa.and_(statuses.c.tenant == t.c.tenant, statuses.c.status_id == t.c.status_id),
                )
            )
            .where(
                a.c.tenant == s.tenant,
                a.c.integration_id == pipeline.integration_id,
                a.c.status.in_(series_mod.OPEN_STATUSES),
                at.c.reset_on_close.is_(True),
                at.c.auto_resolved_at.is_(None),
                statuses.c.is_closed.is_(True),
            )
            .order_by(a.c.series_uid)
        ).all()
        won: list[str] = []
        now = utcnow()
        for alert_id, uid, ticket_id in candidates:
            claimed = s.conn.execute(
                a.update()
                .where(
                    a.c.tenant == s.tenant,
                    a.c.alert_id == alert_id,
                    a.c.status.in_(series_mod.OPEN_STATUSES),
                )
                .values(status=series_mod.RESOLVED, resolved_at=now, updated_at=now)
            ).rowcount
            if claimed != 1:
                continue
            s.conn.execute(
                rmm_alert_series.update()
                .where(
                    rmm_alert_series.c.tenant == s.tenant, rmm_alert_series.c.alert_id == alert_id
                )
                .values(resolved_reason=REASON, status_from_activity=False, updated_at=now)
            )
            outbox.publish(
                s,
                ALERT_RESOLVED,
                {
                    "integration_id": str(pipeline.integration_id),
                    "series_uid": uid,
                    "alert_id": str(alert_id),
                    "ticket_id": str(ticket_id),
                    "reason": REASON,
                },
            )
            won.append(uid)
    return won
