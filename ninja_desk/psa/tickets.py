"""Tickets: numbered per tenant, linked to assets, with comments."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound, PermissionDenied
from ninja_desk.psa.permissions import (
    ASSIGN_TICKETS,
    CREATE_TICKETS,
    VIEW_TICKETS,
    require,
)
from ninja_desk.psa.schema import (
    asset_ticket_associations,
    channels,
    priorities,
    statuses,
    ticket_comments,
    ticket_number_sequences,
    tickets,
)
from ninja_desk.psa.tenancy import TenantSession


@dataclass(frozen=True, slots=True)
class Ticket:
    ticket_id: uuid.UUID
    ticket_number: str
    title: str
    description: str | None
    client_id: uuid.UUID
    status: str
    is_closed: bool
    priority: str
    channel: str
    assigned_to: uuid.UUID | None
    entered_by: uuid.UUID
    entered_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    source: str


@dataclass(frozen=True, slots=True)
class TicketComment:
    comment_id: uuid.UUID
    ticket_id: uuid.UUID
    author_id: uuid.UUID
    body: str
    is_internal: bool
    created_at: datetime


def _next_number(s: TenantSession) -> str:
    # UPDATE ... RETURNING locks the tenant's counter row until commit (PostgreSQL) or runs
    # under SQLite's write lock: two creators can never draw the same number.
    seq = ticket_number_sequences
    row = s.conn.execute(
        seq.update()
        .where(seq.c.tenant == s.tenant)
        .values(last_number=seq.c.last_number + 1)
        .returning(seq.c.prefix, seq.c.last_number)
    ).first()
    if row is None:
        raise NotFound("This tenant has no ticket numbering; was it created with create_tenant?")
    return f"{row.prefix}{row.last_number:06d}"


def _lookup(
    s: TenantSession,
    table: sa.Table,
    id_col: str,
    name_col: str,
    name: str | None,
    default_col: str | None = None,
) -> uuid.UUID:
    c = table.c
    query = sa.select(c[id_col]).where(c.tenant == s.tenant)
    if name is not None:
        query = query.where(sa.func.lower(c[name_col]) == name.lower())
    elif default_col is not None:
        query = query.order_by(c[default_col].desc())
    found = s.conn.scalar(query.limit(1))
    if found is None:
        raise NotFound(f"There is no {table.name[:-1]} called '{name}' in this tenant.")
    return found


def create_ticket(
    s: TenantSession,
    *,
    client_id: uuid.UUID,
    title: str,
    description: str | None = None,
    priority: str | None = "medium",
    status: str | None = None,
    channel: str | None = None,
    assigned_to: uuid.UUID | None = None,
    asset_ids: Iterable[uuid.UUID] = (),
    source: str = "manual",
) -> Ticket:
    require(s, CREATE_TICKETS)
    if assigned_to is not None and assigned_to != s.user_id:
        require(s, ASSIGN_TICKETS)
    if s.user_id is None:
        raise PermissionDenied("A ticket needs an acting user; open the session with a user.")
    ticket_id = uuid.uuid4()
    now = utcnow()
    s.conn.execute(
        tickets.insert().values(
            tenant=s.tenant,
            ticket_id=ticket_id,
            ticket_number=_next_number(s),
            title=title,
            description=description,
            client_id=client_id,
            status_id=_lookup(s, statuses, "status_id", "name", status, "is_default"),
            priority_id=_lookup(s, priorities, "priority_id", "priority_name", priority),
            channel_id=_lookup(s, channels, "channel_id", "channel_name", channel, "is_default"),
            assigned_to=assigned_to,
            entered_by=s.user_id,
            source=source,
            entered_at=now,
            updated_at=now,
        )
    )
    link_assets(s, ticket_id, asset_ids)
    return get_ticket(s, ticket_id)


def link_assets(s: TenantSession, ticket_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> None:
    require(s, CREATE_TICKETS)
    ata = asset_ticket_associations
    wanted = set(asset_ids)
    if not wanted:
        return
    have = set(
        s.conn.scalars(
            sa.select(ata.c.asset_id).where(
                ata.c.tenant == s.tenant, ata.c.ticket_id == ticket_id, ata.c.asset_id.in_(wanted)
            )
        )
    )
    now = utcnow()
    rows = [
        {
            "tenant": s.tenant,
            "asset_id": a,
            "ticket_id": ticket_id,
            "created_by": s.user_id,
            "created_at": now,
        }
        for a in sorted(wanted - have)
    ]
    if rows:
        s.conn.execute(ata.insert(), rows)


def add_comment(
    s: TenantSession, ticket_id: uuid.UUID, body: str, *, is_internal: bool = False
) -> TicketComment:
    require(s, CREATE_TICKETS)
    if s.user_id is None:
        raise PermissionDenied("A comment needs an author; open the session with a user.")
    comment_id = uuid.uuid4()
    now = utcnow()
    s.conn.execute(
        ticket_comments.insert().values(
            tenant=s.tenant,
            comment_id=comment_id,
            ticket_id=ticket_id,
            author_id=s.user_id,
            body=body,
            is_internal=is_internal,
            created_at=now,
        )
    )
    s.conn.execute(
        tickets.update()
        .where(tickets.c.tenant == s.tenant, tickets.c.ticket_id == ticket_id)
        .values(updated_at=now, updated_by=s.user_id)
    )
    return TicketComment(comment_id, ticket_id, s.user_id, body, is_internal, now)


def _ticket_query(s: TenantSession) -> sa.Select:
    t = tickets
    return (
        sa.select(
            t.c.ticket_id,
            t.c.ticket_number,
            t.c.title,
            t.c.description,
            t.c.client_id,
            statuses.c.name,
            statuses.c.is_closed,
            priorities.c.priority_name,
            channels.c.channel_name,
            t.c.assigned_to,
            t.c.entered_by,
            t.c.entered_at,
            t.c.updated_at,
            t.c.closed_at,
            t.c.source,
        )
        .select_from(
            t.join(
                statuses,
                sa.and_(statuses.c.tenant == t.c.tenant, statuses.c.status_id == t.c.status_id),
            )
            .join(
                priorities,
                sa.and_(
                    priorities.c.tenant == t.c.tenant, priorities.c.priority_id == t.c.priority_id
                ),
            )
            .join(
                channels,
                sa.and_(channels.c.tenant == t.c.tenant, channels.c.channel_id == t.c.channel_id),
            )
        )
        .where(t.c.tenant == s.tenant)
    )


def get_ticket(s: TenantSession, ticket_id: uuid.UUID) -> Ticket:
    row = s.conn.execute(_ticket_query(s).where(tickets.c.ticket_id == ticket_id)).first()
    if row is None:
        raise NotFound("That ticket does not exist in this tenant.")
    return Ticket(*row)


def list_tickets(
    s: TenantSession,
    *,
    client_id: uuid.UUID | None = None,
    open_only: bool = False,
    updated_since: datetime | None = None,
    limit: int | None = None,
) -> list[Ticket]:
    """Newest first. `updated_since` lets the UI refresh its local mirror incrementally."""
    require(s, VIEW_TICKETS)
    query = _ticket_query(s)
    if client_id is not None:
        query = query.where(tickets.c.client_id == client_id)
    if open_only:
        query = query.where(statuses.c.is_closed.is_(False))
    if updated_since is not None:
        query = query.where(tickets.c.updated_at >= updated_since)
    query = query.order_by(tickets.c.entered_at.desc(), tickets.c.ticket_number.desc())
    if limit is not None:
        query = query.limit(limit)
    return [Ticket(*row) for row in s.conn.execute(query)]


def tickets_for_asset(s: TenantSession, asset_id: uuid.UUID) -> list[Ticket]:
    require(s, VIEW_TICKETS)
    ata = asset_ticket_associations
    linked = sa.select(ata.c.ticket_id).where(ata.c.tenant == s.tenant, ata.c.asset_id == asset_id)
    query = _ticket_query(s).where(tickets.c.ticket_id.in_(linked))
    return [Ticket(*row) for row in s.conn.execute(query.order_by(tickets.c.entered_at.desc()))]


def list_comments(
    s: TenantSession, ticket_id: uuid.UUID, *, include_internal: bool = True
) -> list[TicketComment]:
    require(s, VIEW_TICKETS)
    c = ticket_comments.c
    query = sa.select(
        c.comment_id, c.ticket_id, c.author_id, c.body, c.is_internal, c.created_at
    ).where(c.tenant == s.tenant, c.ticket_id == ticket_id)
    if not include_internal:
        query = query.where(c.is_internal.is_(False))
    return [TicketComment(*row) for row in s.conn.execute(query.order_by(c.created_at))]
