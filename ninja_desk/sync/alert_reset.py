"""Closing a PSA ticket resets its alert in NinjaOne (rules with `resetAlertOnTicketClose`).

The agent asks `closed_ticket_resets(pipeline)` on every alert poll. Each open alert whose ticket
a person closed is resolved here with a conditional update, so exactly one process wins it and
sends the one `POST /v2/alert/{uid}/reset` to NinjaOne.
"""

from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.core import alert_series as series_mod
from ninja_desk.psa import outbox
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.schema import (
    ninjadesk_alert_series,
    ninjadesk_alert_tickets,
    rmm_alerts,
    tickets,
)
from ninja_desk.sync.alert_pipeline import ALERT_RESOLVED, AlertPipeline

REASON = "its PSA ticket was closed; reset in NinjaOne"


def closed_ticket_resets(pipeline: AlertPipeline) -> list[str]:
    if pipeline.is_companion():
        return []  # Alga's own integration resets its alerts
    a, at, t = rmm_alerts, ninjadesk_alert_tickets, tickets
    open_words = (*series_mod.OPEN_STATUSES, "suppressed")
    with pipeline.psa.tenant_session(pipeline.tenant, pipeline.user_id) as s:
        candidates = s.conn.execute(
            sa.select(a.c.alert_id, a.c.external_alert_id, a.c.ticket_id)
            .select_from(
                a.join(
                    at, sa.and_(at.c.tenant == a.c.tenant, at.c.ticket_id == a.c.ticket_id)
                ).join(t, sa.and_(t.c.tenant == a.c.tenant, t.c.ticket_id == a.c.ticket_id))
            )
            .where(
                a.c.tenant == s.tenant,
                a.c.integration_id == pipeline.integration_id,
                a.c.status.in_(open_words),
                at.c.reset_on_close.is_(True),
                at.c.auto_resolved_at.is_(None),
                t.c.is_closed.is_(True),
            )
            .order_by(a.c.external_alert_id)
        ).all()
        won: list[str] = []
        now = utcnow()
        for alert_id, uid, ticket_id in candidates:
            claimed = s.conn.execute(
                a.update()
                .where(
                    a.c.tenant == s.tenant,
                    a.c.alert_id == alert_id,
                    a.c.status.in_(open_words),
                )
                .values(status="resolved", resolved_at=now, updated_at=now)
            ).rowcount
            if claimed != 1:
                continue
            st = ninjadesk_alert_series
            s.conn.execute(
                st.update()
                .where(st.c.tenant == s.tenant, st.c.alert_id == alert_id)
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
