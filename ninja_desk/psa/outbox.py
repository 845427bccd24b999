"""Events written to `ninjadesk_events_outbox` in the same transaction as the change they
describe: NinjaDesk's own `rmm.*` events, and Alga bus events (`alga_event` true) that the
publisher in alga_events.py sends to Alga's Redis after commit (at least once)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ninja_desk.psa.bulk import insert_many
from ninja_desk.psa.events import Event
from ninja_desk.psa.schema import ninjadesk_events_outbox as events_outbox

if TYPE_CHECKING:
    from ninja_desk.psa.tenancy import TenantSession


def publish(session: TenantSession, event_type: str, payload: dict[str, Any]) -> Event:
    """Queue an event: written to the outbox before commit, dispatched in-process after it."""
    event = Event(session.tenant, event_type, payload, session.user_id)
    session.pending_events.append(event)
    return event


def publish_alga(
    session: TenantSession,
    event_type: str,
    payload: dict[str, Any],
    actor_user_id: uuid.UUID | None = None,
) -> Event:
    """Queue an Alga bus event (TICKET_CREATED, ...): outbox only, Redis after commit."""
    event = Event(session.tenant, event_type, payload, actor_user_id, alga_event=True)
    session.pending_events.append(event)
    return event


def flush(session: TenantSession) -> None:
    """Write queued events in one multi-row insert (called by the tenant session on exit).

    Through insert_many: a first push queues an event per device, and SQLAlchemy's
    executemany spent more time building 10,000 parameter sets than the server spent on them.
    """
    pending = session.pending_events[session.flushed_events :]
    if not pending:
        return
    insert_many(
        session.conn,
        events_outbox,
        [
            {
                "tenant": e.tenant,
                "event_id": e.event_id,
                "event_type": e.type,
                "payload": e.payload,
                "actor_user_id": e.actor_user_id,
                "alga_event": e.alga_event,
                "occurred_at": e.occurred_at,
                "attempts": 0,
            }
            for e in pending
        ],
    )
    session.flushed_events = len(session.pending_events)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    event_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]
    occurred_at: datetime
    published_at: datetime | None


def pending_events(
    session: TenantSession, limit: int = 500, *, alga: bool = False
) -> list[OutboxRow]:
    """Undelivered outbox rows, oldest first (NinjaDesk's own, or Alga bus events)."""
    t = events_outbox
    rows = session.conn.execute(
        sa.select(t.c.event_id, t.c.event_type, t.c.payload, t.c.occurred_at, t.c.published_at)
        .where(
            t.c.tenant == session.tenant,
            t.c.alga_event.is_(alga),
            t.c.published_at.is_(None),
        )
        .order_by(t.c.occurred_at, t.c.event_id)
        .limit(limit)
    )
    return [OutboxRow(*row) for row in rows]


def mark_published(session: TenantSession, event_ids: list[uuid.UUID], when: datetime) -> None:
    t = events_outbox
    session.conn.execute(
        t.update()
        .where(t.c.tenant == session.tenant, t.c.event_id.in_(event_ids))
        .values(published_at=when)
    )
