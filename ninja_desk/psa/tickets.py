"""Tickets in Alga's layout, written the way Alga writes them (alga/README.md).

One place for every ticket write NinjaDesk makes, by people (the desktop) and by automation
(the alert pipeline):
- numbers from `generate_next_number(tenant, 'TICKET')` where Alga's function exists, else the
  same semantics on `next_number` under its row lock;
- the board's `is_default` ticket status (else its first by `order_number`); priorities and
  statuses are ids, never English names;
- `attributes {description, source_reference}`; `entered_at` = `updated_at` = now;
- notes in `comments` with a `comment_threads` row first (root_comment_id = the comment);
- assets linked through `asset_associations` (entity_type 'ticket');
- history in `ticket_audit_logs` with a `{field: {old, new}}` diff;
- Alga bus events (TICKET_CREATED / TICKET_UPDATED / TICKET_CLOSED / TICKET_COMMENT_ADDED) queued
  in the outbox in the same transaction (alga_events.py publishes them after commit).

Closing moves `status_id` to a closed status of the same board and sets `is_closed`,
`closed_at`, `closed_by` (NULL for the system) and clears `response_state`; reopening clears
them. A board without a closed status (Alga's dev seed has one) cannot be closed by automation:
the ticket stays open with a note that says so.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa import alga_events, outbox
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound, PermissionDenied
from ninja_desk.psa.integration_settings import (
    IntegrationSettings,
    default_severity_priorities,
    ticket_board,
)
from ninja_desk.psa.permissions import (
    ASSIGN_TICKETS,
    CREATE_TICKETS,
    UPDATE_TICKETS,
    VIEW_TICKETS,
    require,
)
from ninja_desk.psa.schema import (
    asset_associations,
    boards,
    comment_threads,
    comments,
    next_number,
    priorities,
    statuses,
    ticket_audit_logs,
    tickets,
)
from ninja_desk.psa.tenancy import TenantSession

SOURCE_NINJAONE = "ninjaone"
ORIGIN_INTERNAL = "internal"
NO_CLOSED_STATUS = (
    "The ticket board has no closed status, so NinjaDesk left the ticket open; add a closed "
    "status to the board in Alga (or choose another board) to let resolved alerts close tickets."
)


@dataclass(frozen=True, slots=True)
class Ticket:
    ticket_id: uuid.UUID
    ticket_number: str
    title: str
    description: str | None
    client_id: uuid.UUID
    status: str | None
    is_closed: bool
    priority: str | None
    board: str | None
    assigned_to: uuid.UUID | None
    entered_by: uuid.UUID | None
    entered_at: datetime | None
    updated_at: datetime | None
    closed_at: datetime | None
    source: str | None
    status_id: uuid.UUID | None = None
    priority_id: uuid.UUID | None = None
    board_id: uuid.UUID | None = None
    closed_by: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class TicketComment:
    comment_id: uuid.UUID
    ticket_id: uuid.UUID
    author_id: uuid.UUID | None
    body: str
    is_internal: bool
    created_at: datetime | None
    is_system_generated: bool = False
    author_type: str | None = None
    thread_id: uuid.UUID | None = None


@dataclass
class NewTicket:
    """One ticket for `create_tickets` (automation: entered_by NULL)."""

    client_id: uuid.UUID
    title: str
    description: str
    priority_id: uuid.UUID
    board_id: uuid.UUID
    note: str | None = None  # the system internal note
    source_reference: str | None = None
    assigned_to: uuid.UUID | None = None
    asset_ids: Sequence[uuid.UUID] = ()
    ticket_id: uuid.UUID = field(default_factory=uuid.uuid4)
    source: str | None = SOURCE_NINJAONE
    ticket_origin: str = ORIGIN_INTERNAL
    # Filled in by create_tickets:
    ticket_number: str | None = None
    status_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class CloseOutcome:
    closed: list[uuid.UUID]
    left_open: list[uuid.UUID]  # their board has no closed status
    message: str | None  # one sentence when something was left open


# -- numbering -------------------------------------------------------------------------------

_HAS_ALGA_FUNCTION: dict[str, bool] = {}


def _alga_numbering(s: TenantSession) -> bool:
    if not s.is_postgres:
        return False
    key = str(s.conn.engine.url)
    if key not in _HAS_ALGA_FUNCTION:
        _HAS_ALGA_FUNCTION[key] = bool(
            s.conn.scalar(
                sa.text("SELECT to_regprocedure('generate_next_number(uuid,text)') IS NOT NULL")
            )
        )
    return _HAS_ALGA_FUNCTION[key]


def format_number(prefix: str | None, number: int, padding: int | None) -> str:
    digits = str(number)
    if padding and len(digits) < padding:
        digits = digits.zfill(padding)
    return f"{prefix or ''}{digits}"


def next_ticket_numbers(s: TenantSession, count: int = 1) -> list[str]:
    """`count` ticket numbers, exactly as Alga draws them (no gaps, no collisions with Alga)."""
    if count <= 0:
        return []
    if _alga_numbering(s):
        return list(
            s.conn.scalars(
                sa.text(
                    "SELECT generate_next_number(CAST(:t AS uuid), 'TICKET')"
                    " FROM generate_series(1, :n)"
                ),
                {"t": str(s.tenant), "n": count},
            )
        )
    nn = next_number.c
    # last_number = GREATEST(last_number + 1, initial_value), applied `count` times.
    advanced = sa.case(
        (nn.last_number + count > nn.initial_value + count - 1, nn.last_number + count),
        else_=nn.initial_value + count - 1,
    )
    update = (
        next_number.update()
        .where(nn.tenant == s.tenant, nn.entity_type == "TICKET")
        .values(last_number=advanced)
        .returning(nn.last_number, nn.prefix, nn.padding_length)
    )
    row = s.conn.execute(update).first()
    if row is None:
        # Alga's function creates the counter with the column defaults when it is missing.
        from ninja_desk.psa.bulk import dialect_insert

        s.conn.execute(
            dialect_insert(s.conn, next_number)
            .values(tenant=s.tenant, entity_type="TICKET")
            .on_conflict_do_nothing(index_elements=["tenant", "entity_type"])
        )
        row = s.conn.execute(update).first()
        assert row is not None
    last = int(row.last_number)
    return [
        format_number(row.prefix, n, row.padding_length) for n in range(last - count + 1, last + 1)
    ]


# -- board facts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardStatuses:
    default_status_id: uuid.UUID
    closed_status_id: uuid.UUID | None


def ticket_statuses(s: TenantSession, board_id: uuid.UUID) -> Sequence[Any]:
    """The board's ticket statuses (status_id, name, is_default, is_closed), in Alga's order."""
    st = statuses.c
    return s.conn.execute(
        sa.select(st.status_id, st.name, st.is_default, st.is_closed)
        .where(
            st.tenant == s.tenant,
            st.board_id == board_id,
            sa.func.coalesce(st.item_type, st.status_type) == "ticket",
        )
        .order_by(st.order_number, st.name)
    ).all()


def board_statuses(s: TenantSession, board_id: uuid.UUID) -> BoardStatuses:
    """The board's default ticket status (is_default, else first by order) and a closed one."""
    rows = ticket_statuses(s, board_id)
    if not rows:
        raise NotFound("The ticket board has no ticket statuses; add them in Alga first.")
    default = next((r.status_id for r in rows if r.is_default and not r.is_closed), None)
    default = default or next((r.status_id for r in rows if not r.is_closed), rows[0].status_id)
    closed = next((r.status_id for r in rows if r.is_closed), None)
    return BoardStatuses(default, closed)


# -- rich text -------------------------------------------------------------------------------


def rich_text(markdown: str) -> str:
    """Alga's rich-text note JSON (BlockNote blocks): one paragraph per line."""
    blocks = [
        {
            "type": "paragraph",
            "props": {},
            "content": [{"type": "text", "text": line, "styles": {}}] if line else [],
            "children": [],
        }
        for line in markdown.split("\n")
    ]
    return json.dumps(blocks)


# -- creating --------------------------------------------------------------------------------


def create_tickets(
    s: TenantSession,
    specs: Sequence[NewTicket],
    *,
    service_user_id: uuid.UUID,
    actor_user_id: uuid.UUID | None = None,
) -> list[NewTicket]:
    """Automation's tickets, in a few statements per batch. `actor_user_id` None = the system
    (entered_by NULL, note by nobody); asset links are recorded as `service_user_id`."""
    if not specs:
        return []
    now = utcnow()
    defaults: dict[uuid.UUID, BoardStatuses] = {}
    for spec in specs:
        if spec.board_id not in defaults:
            defaults[spec.board_id] = board_statuses(s, spec.board_id)
    numbers = next_ticket_numbers(s, len(specs))
    rows, links, audits = [], [], []
    notes: list[tuple[uuid.UUID, str]] = []
    for spec, number in zip(specs, numbers, strict=True):
        spec.ticket_number = number
        spec.status_id = defaults[spec.board_id].default_status_id
        attributes: dict[str, Any] = {"description": spec.description}
        if spec.source_reference:
            attributes["source_reference"] = spec.source_reference
        values = {
            "ticket_number": number,
            "title": spec.title[:500],
            "client_id": spec.client_id,
            "board_id": spec.board_id,
            "status_id": spec.status_id,
            "priority_id": spec.priority_id,
            "assigned_to": spec.assigned_to,
            "source": spec.source,
            "ticket_origin": spec.ticket_origin,
        }
        rows.append(
            {
                "tenant": s.tenant,
                "ticket_id": spec.ticket_id,
                **values,
                "entered_by": actor_user_id,
                "updated_by": actor_user_id,
                "is_closed": False,
                "attributes": attributes,
                "entered_at": now,
                "updated_at": now,
            }
        )
        audits.append(
            _audit_row(
                s, spec.ticket_id, "TICKET_CREATED", _created_diff(values), now, actor_user_id
            )
        )
        for asset_id in dict.fromkeys(spec.asset_ids):
            links.append(_link_row(s, asset_id, spec.ticket_id, service_user_id, now))
        if spec.note:
            notes.append((spec.ticket_id, spec.note))
    s.conn.execute(tickets.insert(), rows)
    s.conn.execute(ticket_audit_logs.insert(), audits)
    if links:
        s.conn.execute(asset_associations.insert(), links)
    for spec in specs:
        outbox.publish_alga(
            s,
            alga_events.TICKET_CREATED,
            alga_events.ticket_created_payload(s.tenant, spec.ticket_id, actor_user_id, now),
            actor_user_id,
        )
    add_notes(
        s,
        notes,
        author_id=actor_user_id,
        event_user_id=actor_user_id or service_user_id,
        now=now,
        touch=False,
    )
    return list(specs)


def create_ticket(
    s: TenantSession,
    *,
    client_id: uuid.UUID,
    title: str,
    description: str | None = None,
    priority_id: uuid.UUID | None = None,
    board_id: uuid.UUID | None = None,
    assigned_to: uuid.UUID | None = None,
    asset_ids: Iterable[uuid.UUID] = (),
    source: str | None = None,
    ticket_origin: str = ORIGIN_INTERNAL,
) -> Ticket:
    """A ticket a person makes: entered_by = that person; the tenant's default board and its
    default status, a middle priority unless one is chosen."""
    require(s, CREATE_TICKETS)
    if assigned_to is not None and assigned_to != s.user_id:
        require(s, ASSIGN_TICKETS)
    if s.user_id is None:
        raise PermissionDenied("A ticket needs an acting user; open the session with a user.")
    board = board_id or ticket_board(s, IntegrationSettings(uuid.UUID(int=0)))
    if priority_id is None:
        priority_id = default_severity_priorities(s)["moderate"]
    elif not s.conn.scalar(
        sa.select(sa.func.count()).where(
            priorities.c.tenant == s.tenant, priorities.c.priority_id == priority_id
        )
    ):
        raise NotFound("That ticket priority does not exist in this tenant.")
    spec = NewTicket(
        client_id,
        title,
        description or "",
        priority_id,
        board,
        assigned_to=assigned_to,
        source=source,
        ticket_origin=ticket_origin,
    )
    create_tickets(s, [spec], service_user_id=s.user_id, actor_user_id=s.user_id)
    link_assets(s, spec.ticket_id, asset_ids)  # as the person: 'affected', as in Alga's UI
    return get_ticket(s, spec.ticket_id)


def _created_diff(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: {"old": None, "new": str(v) if isinstance(v, uuid.UUID) else v}
        for k, v in values.items()
        if v is not None
    }


def _audit_row(
    s: TenantSession,
    ticket_id: uuid.UUID,
    event_type: str,
    changes: dict[str, Any],
    now: datetime,
    actor_user_id: uuid.UUID | None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "tenant": s.tenant,
        "audit_id": uuid.uuid4(),
        "ticket_id": ticket_id,
        "event_type": event_type,
        "entity_type": "ticket",
        "entity_id": str(ticket_id),
        "actor_type": "user" if actor_user_id else "system",
        "actor_user_id": actor_user_id,
        "actor_display_name": None if actor_user_id else "NinjaDesk",
        "source": "api" if actor_user_id else "system",
        "occurred_at": now,
        "changes": changes,
        "details": details or {},
        "created_at": now,
    }


def _link_row(
    s: TenantSession, asset_id: uuid.UUID, ticket_id: uuid.UUID, by: uuid.UUID, now: datetime
) -> dict[str, Any]:
    return {
        "tenant": s.tenant,
        "asset_id": asset_id,
        "entity_id": ticket_id,
        "entity_type": "ticket",
        "relationship_type": "related",
        "created_by": by,
        "created_at": now,
    }


def link_assets(
    s: TenantSession,
    ticket_id: uuid.UUID,
    asset_ids: Iterable[uuid.UUID],
    *,
    created_by: uuid.UUID | None = None,
    relationship_type: str | None = None,
) -> int:
    """Link assets to a ticket (idempotent). People link as 'affected' (Alga's UI), automation
    as 'related' with the service user as `created_by`. Returns how many links were added."""
    wanted = set(asset_ids)
    if not wanted:
        return 0
    if created_by is None:
        require(s, CREATE_TICKETS)
    by = created_by or s.user_id
    if by is None:
        raise PermissionDenied("An asset link needs a user (created_by); configure a service user.")
    aa = asset_associations.c
    have = set(
        s.conn.scalars(
            sa.select(aa.asset_id).where(
                aa.tenant == s.tenant,
                aa.entity_type == "ticket",
                aa.entity_id == ticket_id,
                aa.asset_id.in_(wanted),
            )
        )
    )
    now = utcnow()
    rows = []
    for a in sorted(wanted - have, key=str):
        row = _link_row(s, a, ticket_id, by, now)
        row["relationship_type"] = relationship_type or ("related" if created_by else "affected")
        rows.append(row)
    if rows:
        s.conn.execute(asset_associations.insert(), rows)
    return len(rows)


# -- comments --------------------------------------------------------------------------------


def add_notes(
    s: TenantSession,
    notes: Sequence[tuple[uuid.UUID, str]],
    *,
    author_id: uuid.UUID | None,
    event_user_id: uuid.UUID | None,
    is_internal: bool = True,
    is_resolution: bool = False,
    now: datetime | None = None,
    touch: bool = True,
) -> list[uuid.UUID]:
    """Top-level comments, each in its own new thread. `author_id` None = a system note
    (user_id NULL, is_system_generated, author_type 'unknown'); a person's is 'internal'.
    `touch`: set the tickets' updated_at (search indexes by it)."""
    if not notes:
        return []
    now = now or utcnow()
    system = author_id is None
    threads, rows, ids = [], [], []
    for i, (ticket_id, text) in enumerate(notes):
        # One microsecond apart: a batch's notes keep their order on every reader.
        at = now + timedelta(microseconds=i)
        comment_id, thread_id = uuid.uuid4(), uuid.uuid4()
        ids.append(comment_id)
        threads.append(
            {
                "tenant": s.tenant,
                "thread_id": thread_id,
                "ticket_id": ticket_id,
                "root_comment_id": comment_id,
                "is_internal": is_internal,
                "reply_count": 0,
                "last_activity_at": at,
                "email_references": [],
                "created_at": at,
                "created_by": author_id,
            }
        )
        rows.append(
            {
                "tenant": s.tenant,
                "comment_id": comment_id,
                "ticket_id": ticket_id,
                "user_id": author_id,
                "note": rich_text(text),
                "markdown_content": text,
                "is_internal": is_internal,
                "is_resolution": is_resolution,
                "is_system_generated": system,
                "author_type": "unknown" if system else "internal",
                "thread_id": thread_id,
                "publish_state": "published",
                "published_at": at,
                "created_at": at,
                "updated_at": at,
            }
        )
    s.conn.execute(comment_threads.insert(), threads)
    s.conn.execute(comments.insert(), rows)
    if touch:
        ordered = sorted({t for t, _ in notes}, key=str)
        s.conn.execute(
            tickets.update()
            .where(tickets.c.tenant == s.tenant, tickets.c.ticket_id == sa.bindparam("b_ticket"))
            .values(updated_at=now),
            [{"b_ticket": t} for t in ordered],
        )
    for (ticket_id, text), comment_id in zip(notes, ids, strict=True):
        outbox.publish_alga(
            s,
            alga_events.TICKET_COMMENT_ADDED,
            alga_events.comment_added_payload(
                s.tenant,
                ticket_id,
                comment_id,
                text,
                user_id=event_user_id,
                author="NinjaDesk" if system else str(author_id),
                is_internal=is_internal,
                author_type="unknown" if system else "internal",
                at=now,
            ),
            author_id,
        )
    return ids


def add_comment(
    s: TenantSession, ticket_id: uuid.UUID, body: str, *, is_internal: bool = False
) -> TicketComment:
    """A person's comment (user_id = that person, author_type 'internal'). Alga's own API asks
    for ticket:update to comment, so NinjaDesk does too."""
    require(s, UPDATE_TICKETS)
    if s.user_id is None:
        raise PermissionDenied("A comment needs an author; open the session with a user.")
    exists = s.conn.scalar(
        sa.select(sa.func.count()).where(
            tickets.c.tenant == s.tenant, tickets.c.ticket_id == ticket_id
        )
    )
    if not exists:
        raise NotFound("That ticket does not exist in this tenant.")
    now = utcnow()
    (comment_id,) = add_notes(
        s,
        [(ticket_id, body)],
        author_id=s.user_id,
        event_user_id=s.user_id,
        is_internal=is_internal,
        now=now,
    )
    s.conn.execute(
        tickets.update()
        .where(tickets.c.tenant == s.tenant, tickets.c.ticket_id == ticket_id)
        .values(updated_by=s.user_id)
    )
    return TicketComment(
        comment_id, ticket_id, s.user_id, body, is_internal, now, False, "internal"
    )


# -- closing and reopening -------------------------------------------------------------------


def close_tickets(
    s: TenantSession,
    ticket_ids: Iterable[uuid.UUID],
    *,
    actor_user_id: uuid.UUID | None = None,
    service_user_id: uuid.UUID | None = None,
    note: str | None = None,
    reason: str | None = None,
) -> CloseOutcome:
    """Close open tickets as Alga does (closed status of the same board, is_closed, closed_at,
    closed_by, response_state cleared; TICKET_CLOSED). `note`: a resolution note on each.
    Tickets whose board has no closed status stay open, with a note saying so."""
    ids = sorted(set(ticket_ids), key=str)
    if not ids:
        return CloseOutcome([], [], None)
    closed_status: dict[uuid.UUID | None, uuid.UUID | None] = {}
    moves: list[tuple[Any, uuid.UUID]] = []
    left_open: list[uuid.UUID] = []
    for r in _status_rows(s, ids, closed=False):
        if r.board_id not in closed_status:
            closed_status[r.board_id] = (
                board_statuses(s, r.board_id).closed_status_id if r.board_id else None
            )
        target = closed_status[r.board_id]
        if target is None:
            left_open.append(r.ticket_id)
        else:
            moves.append((r, target))
    now = utcnow()
    closed = [r.ticket_id for r, _target in moves]
    notes = [(tid, note) for tid in closed] if note else []
    notes += [(tid, f"{note + ' ' if note else ''}{NO_CLOSED_STATUS}") for tid in left_open]
    add_notes(
        s,
        notes,
        author_id=actor_user_id,
        event_user_id=actor_user_id or service_user_id,
        is_resolution=True,
        now=now,
    )
    _move_status(
        s,
        moves,
        close=True,
        now=now,
        actor_user_id=actor_user_id,
        event_user_id=actor_user_id or service_user_id,
        reason=reason,
    )
    return CloseOutcome(closed, left_open, NO_CLOSED_STATUS if left_open else None)


def reopen_tickets(
    s: TenantSession,
    status_for: dict[uuid.UUID, uuid.UUID | None],
    *,
    actor_user_id: uuid.UUID | None = None,
    service_user_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Reopen closed tickets: to the given status (else the board's default), clearing
    is_closed / closed_at / closed_by (TICKET_UPDATED)."""
    moves = [
        (r, status_for.get(r.ticket_id) or board_statuses(s, r.board_id).default_status_id)
        for r in _status_rows(s, sorted(status_for, key=str), closed=True)
    ]
    return _move_status(
        s,
        moves,
        close=False,
        now=utcnow(),
        actor_user_id=actor_user_id,
        event_user_id=actor_user_id or service_user_id,
    )


def _status_rows(s: TenantSession, ids: list[uuid.UUID], *, closed: bool) -> Sequence[Any]:
    if not ids:
        return []
    t = tickets.c
    return s.conn.execute(
        sa.select(t.ticket_id, t.board_id, t.status_id)
        .where(t.tenant == s.tenant, t.ticket_id.in_(ids), t.is_closed.is_(closed))
        .order_by(t.ticket_id)
    ).all()


def _move_status(
    s: TenantSession,
    moves: list[tuple[Any, uuid.UUID]],
    *,
    close: bool,
    now: datetime,
    actor_user_id: uuid.UUID | None,
    event_user_id: uuid.UUID | None,
    reason: str | None = None,
) -> list[uuid.UUID]:
    """Close or reopen tickets (row, target status) as Alga does: one UPDATE, an audit row
    each, then TICKET_CLOSED / TICKET_UPDATED. Returns the ticket ids moved."""
    if not moves:
        return []
    closed_at = now.isoformat() if close else None
    audits = [
        _audit_row(
            s,
            r.ticket_id,
            "TICKET_CLOSED" if close else "TICKET_STATUS_CHANGED",
            {
                "status_id": {"old": str(r.status_id), "new": str(target)},
                "is_closed": {"old": not close, "new": close},
                **({"closed_at": {"old": None, "new": closed_at}} if close else {}),
            },
            now,
            actor_user_id,
            {"reason": reason} if reason else None,
        )
        for r, target in moves
    ]
    closing: dict[str, Any] = (
        {"closed_at": now, "closed_by": actor_user_id, "response_state": None}
        if close
        else {"closed_at": None, "closed_by": None}
    )
    s.conn.execute(
        tickets.update()
        .where(
            tickets.c.tenant == s.tenant,
            tickets.c.ticket_id == sa.bindparam("b_ticket"),
            tickets.c.is_closed.is_(not close),
        )
        .values(
            status_id=sa.bindparam("b_status"),
            is_closed=close,
            updated_at=now,
            updated_by=actor_user_id,
            **closing,
        ),
        [{"b_ticket": r.ticket_id, "b_status": target} for r, target in moves],
    )
    s.conn.execute(ticket_audit_logs.insert(), audits)
    for r, target in moves:
        change: dict[str, Any] = {"status_id": str(target), "is_closed": close}
        if close:
            change["closed_at"] = closed_at
        outbox.publish_alga(
            s,
            alga_events.TICKET_CLOSED if close else alga_events.TICKET_UPDATED,
            alga_events.ticket_changed_payload(s.tenant, r.ticket_id, event_user_id, change, now),
            actor_user_id,
        )
    return [r.ticket_id for r, _target in moves]


# -- reading ---------------------------------------------------------------------------------


def _ticket_query(s: TenantSession) -> sa.Select:
    t = tickets
    return (
        sa.select(
            t.c.ticket_id,
            t.c.ticket_number,
            t.c.title,
            t.c.attributes,
            t.c.client_id,
            statuses.c.name,
            t.c.is_closed,
            priorities.c.priority_name,
            boards.c.board_name,
            t.c.assigned_to,
            t.c.entered_by,
            t.c.entered_at,
            t.c.updated_at,
            t.c.closed_at,
            t.c.source,
            t.c.status_id,
            t.c.priority_id,
            t.c.board_id,
            t.c.closed_by,
        )
        .select_from(
            t.outerjoin(
                statuses,
                sa.and_(statuses.c.tenant == t.c.tenant, statuses.c.status_id == t.c.status_id),
            )
            .outerjoin(
                priorities,
                sa.and_(
                    priorities.c.tenant == t.c.tenant, priorities.c.priority_id == t.c.priority_id
                ),
            )
            .outerjoin(
                boards, sa.and_(boards.c.tenant == t.c.tenant, boards.c.board_id == t.c.board_id)
            )
        )
        .where(t.c.tenant == s.tenant)
    )


def description_of(attributes: Any) -> str | None:
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError:
            return attributes
    if not isinstance(attributes, dict):
        return None
    value = attributes.get("description")
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _ticket(row: Any) -> Ticket:
    values = list(row)
    values[3] = description_of(values[3])
    values[6] = bool(values[6])
    return Ticket(*values)


def get_ticket(s: TenantSession, ticket_id: uuid.UUID) -> Ticket:
    row = s.conn.execute(_ticket_query(s).where(tickets.c.ticket_id == ticket_id)).first()
    if row is None:
        raise NotFound("That ticket does not exist in this tenant.")
    return _ticket(row)


def list_tickets(
    s: TenantSession,
    *,
    client_id: uuid.UUID | None = None,
    open_only: bool = False,
    updated_since: datetime | None = None,
    limit: int | None = None,
    ticket_ids: Sequence[uuid.UUID] | None = None,
) -> list[Ticket]:
    """Newest first. `updated_since` lets the UI refresh its local mirror incrementally."""
    require(s, VIEW_TICKETS)
    query = _ticket_query(s)
    if ticket_ids is not None:
        query = query.where(tickets.c.ticket_id.in_(ticket_ids))
    if client_id is not None:
        query = query.where(tickets.c.client_id == client_id)
    if open_only:
        query = query.where(tickets.c.is_closed.is_(False))
    if updated_since is not None:
        query = query.where(tickets.c.updated_at >= updated_since)
    query = query.order_by(tickets.c.entered_at.desc(), tickets.c.ticket_number.desc())
    if limit is not None:
        query = query.limit(limit)
    return [_ticket(row) for row in s.conn.execute(query)]


def tickets_for_asset(s: TenantSession, asset_id: uuid.UUID) -> list[Ticket]:
    require(s, VIEW_TICKETS)
    aa = asset_associations.c
    linked = sa.select(aa.entity_id).where(
        aa.tenant == s.tenant, aa.asset_id == asset_id, aa.entity_type == "ticket"
    )
    query = _ticket_query(s).where(tickets.c.ticket_id.in_(linked))
    return [
        _ticket(row)
        for row in s.conn.execute(
            query.order_by(tickets.c.entered_at.desc(), tickets.c.ticket_number.desc())
        )
    ]


def linked_asset_ids(s: TenantSession, ticket_id: uuid.UUID) -> list[uuid.UUID]:
    aa = asset_associations.c
    return list(
        s.conn.scalars(
            sa.select(aa.asset_id)
            .where(aa.tenant == s.tenant, aa.entity_type == "ticket", aa.entity_id == ticket_id)
            .order_by(aa.asset_id)
        )
    )


def list_comments(
    s: TenantSession, ticket_id: uuid.UUID, *, include_internal: bool = True
) -> list[TicketComment]:
    require(s, VIEW_TICKETS)
    c = comments.c
    query = sa.select(
        c.comment_id,
        c.ticket_id,
        c.user_id,
        sa.func.coalesce(c.markdown_content, c.note),
        c.is_internal,
        c.created_at,
        c.is_system_generated,
        c.author_type,
        c.thread_id,
    ).where(c.tenant == s.tenant, c.ticket_id == ticket_id, c.deleted_at.is_(None))
    if not include_internal:
        query = query.where(c.is_internal.is_(False))
    return [
        TicketComment(*row) for row in s.conn.execute(query.order_by(c.created_at, c.comment_id))
    ]


# -- the ticket view -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadComment:
    comment_id: str
    author: str
    body: str
    is_internal: bool
    is_resolution: bool
    is_system: bool
    created_at: str | None  # ISO
    thread_id: str | None
    parent_comment_id: str | None


@dataclass(frozen=True, slots=True)
class LinkedAlert:
    alert_uid: str
    severity: str | None
    status: str | None
    message: str | None
    device_id: int | None
    triggered_at: str | None  # ISO


@dataclass
class TicketDetail:
    """Everything the ticket view shows and offers, as plain values (JSON for the cache)."""

    ticket_id: str
    ticket_number: str
    title: str
    description: str | None
    client_id: str
    client_name: str | None
    board_id: str | None
    board: str | None
    status_id: str | None
    status: str | None
    is_closed: bool
    priority_id: str | None
    priority: str | None
    assigned_to: str | None
    assignee: str | None
    entered_at: str | None
    updated_at: str | None
    updated_by: str | None
    closed_at: str | None
    statuses: list[tuple[str, str, bool]] = field(default_factory=list)  # id, name, is_closed
    priorities: list[tuple[str, str]] = field(default_factory=list)
    assignees: list[tuple[str, str]] = field(default_factory=list)
    comments: list[ThreadComment] = field(default_factory=list)
    device_ids: list[int] = field(default_factory=list)
    alerts: list[LinkedAlert] = field(default_factory=list)

    def to_json(self) -> str:
        from dataclasses import asdict

        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TicketDetail:
        data = json.loads(text)
        data["statuses"] = [tuple(x) for x in data.get("statuses", [])]
        data["priorities"] = [tuple(x) for x in data.get("priorities", [])]
        data["assignees"] = [tuple(x) for x in data.get("assignees", [])]
        data["comments"] = [ThreadComment(**c) for c in data.get("comments", [])]
        data["alerts"] = [LinkedAlert(**a) for a in data.get("alerts", [])]
        return cls(**data)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_detail(s: TenantSession, ticket_id: uuid.UUID) -> TicketDetail:
    """The ticket, its thread, the choices Alga offers for it and what it is linked to."""
    from ninja_desk.psa import ticket_edits
    from ninja_desk.psa.schema import assets, clients, rmm_alerts, users

    require(s, VIEW_TICKETS)
    t = get_ticket(s, ticket_id)
    extra = s.conn.execute(
        sa.select(tickets.c.updated_by, clients.c.client_name)
        .select_from(
            tickets.outerjoin(
                clients,
                sa.and_(
                    clients.c.tenant == tickets.c.tenant, clients.c.client_id == tickets.c.client_id
                ),
            )
        )
        .where(tickets.c.tenant == s.tenant, tickets.c.ticket_id == ticket_id)
    ).one()
    c, u = comments.c, users.c
    rows = s.conn.execute(
        sa.select(
            c.comment_id,
            u.first_name,
            u.last_name,
            u.username,
            c.user_id,
            c.author_type,
            sa.func.coalesce(c.markdown_content, c.note).label("body"),
            c.is_internal,
            c.is_resolution,
            c.is_system_generated,
            c.created_at,
            c.thread_id,
            c.parent_comment_id,
        )
        .select_from(
            comments.outerjoin(users, sa.and_(u.tenant == c.tenant, u.user_id == c.user_id))
        )
        .where(c.tenant == s.tenant, c.ticket_id == ticket_id, c.deleted_at.is_(None))
        .order_by(c.created_at, c.comment_id)
    ).all()
    thread = [
        ThreadComment(
            str(r.comment_id),
            " ".join(x for x in (r.first_name, r.last_name) if x)
            or r.username
            or ("NinjaDesk" if r.is_system_generated else (r.author_type or "unknown").title()),
            r.body or "",
            bool(r.is_internal),
            bool(r.is_resolution),
            bool(r.is_system_generated),
            _iso(r.created_at),
            _text(r.thread_id),
            _text(r.parent_comment_id),
        )
        for r in rows
    ]
    aa = asset_associations.c
    device_ids = sorted(
        {
            int(d)
            for d in s.conn.scalars(
                sa.select(assets.c.rmm_device_id)
                .select_from(
                    asset_associations.join(
                        assets,
                        sa.and_(assets.c.tenant == aa.tenant, assets.c.asset_id == aa.asset_id),
                    )
                )
                .where(aa.tenant == s.tenant, aa.entity_type == "ticket", aa.entity_id == ticket_id)
            )
            if d and str(d).isdigit()
        }
    )
    ra = rmm_alerts.c
    alerts = [
        LinkedAlert(
            r.external_alert_id,
            r.severity,
            r.status,
            r.message,
            int(r.external_device_id) if str(r.external_device_id or "").isdigit() else None,
            _iso(r.triggered_at),
        )
        for r in s.conn.execute(
            sa.select(
                ra.external_alert_id,
                ra.severity,
                ra.status,
                ra.message,
                ra.external_device_id,
                ra.triggered_at,
            )
            .where(ra.tenant == s.tenant, ra.ticket_id == ticket_id)
            .order_by(ra.triggered_at, ra.external_alert_id)
        )
    ]
    return TicketDetail(
        ticket_id=str(t.ticket_id),
        ticket_number=t.ticket_number,
        title=t.title,
        description=t.description,
        client_id=str(t.client_id),
        client_name=extra.client_name,
        board_id=_text(t.board_id),
        board=t.board,
        status_id=_text(t.status_id),
        status=t.status,
        is_closed=t.is_closed,
        priority_id=_text(t.priority_id),
        priority=t.priority,
        assigned_to=_text(t.assigned_to),
        assignee=ticket_edits.user_name(s, t.assigned_to),
        entered_at=_iso(t.entered_at),
        updated_at=_iso(t.updated_at),
        updated_by=ticket_edits.user_name(s, extra.updated_by),
        closed_at=_iso(t.closed_at),
        statuses=[(str(i), n, c) for i, n, c in ticket_edits.board_status_choices(s, t.board_id)],
        priorities=[(str(i), n) for i, n in ticket_edits.priority_choices(s)],
        assignees=[(str(i), n) for i, n in ticket_edits.assignable_users(s)],
        comments=thread,
        device_ids=device_ids,
        alerts=alerts,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
