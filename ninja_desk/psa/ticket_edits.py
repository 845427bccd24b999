"""A technician's work on a ticket, written the way Alga's own ticket screen writes it.

Four edits: a comment (internal or public, a new thread or a reply in one), the status (one of
the ticket's board's statuses; closing and reopening included), the priority (the tenant's
ticket priorities) and the assignee (an active MSP user of the tenant with ticket rights). Each
is one transaction that writes the change, `updated_at`/`updated_by`, one `ticket_audit_logs`
row (actor 'user', source 'ui' or 'api', a `{field: {old, new}}` diff with labels) and queues
Alga's bus event in the outbox (TICKET_UPDATED, TICKET_CLOSED, TICKET_ASSIGNED as Alga sends on
assignment, TICKET_COMMENT_ADDED), published to Alga's Redis after commit (alga_events.py).

Edits are made for the offline queue too (sync/ticket_edit_service.py), so each carries:
- its own id, which becomes the audit row's `audit_id` (field edits) or the `comment_id`
  (comments): a retried send finds its row and does nothing, and the primary key makes a double
  impossible even for two senders at once;
- the value the technician saw (`expected`): a field is changed only by a conditional UPDATE
  on that value, so a change someone else made meanwhile is never overwritten; the edit comes
  back as a conflict with one sentence instead.

Rights (Alga's, checked as Alga's API checks them): ticket:update for every edit, comments
included; ticket:read to look. Close rules: when a person moves a ticket to a closed status,
the board's gates in Alga's `board_close_rules` (a resolution comment, a time entry, the
required checklist, no open bundled tickets, required fields) must hold, unless the person
holds ticket:close_override and asks to close anyway (then TICKET_CLOSE_RULES_OVERRIDDEN is
recorded with the failures). An Alga without that table has no gates. Automation (the alert
pipeline's close_tickets) is not subject to them, as in Alga.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa import alga_events, outbox
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound, PermissionDenied, PsaError
from ninja_desk.psa.permissions import (
    UPDATE_TICKETS,
    VIEW_TICKETS,
    alga_rights_of,
    current_user_permissions,
    require,
    rights_query,
)
from ninja_desk.psa.schema import (
    comment_threads,
    comments,
    permissions,
    priorities,
    statuses,
    ticket_audit_logs,
    tickets,
    users,
)
from ninja_desk.psa.tenancy import TenantSession
from ninja_desk.psa.tickets import rich_text, ticket_statuses

COMMENT = "comment"
STATUS = "status"
PRIORITY = "priority"
ASSIGNEE = "assignee"
KINDS = (COMMENT, STATUS, PRIORITY, ASSIGNEE)
FIELD_OF = {STATUS: "status_id", PRIORITY: "priority_id", ASSIGNEE: "assigned_to"}
WHAT_OF = {STATUS: "status", PRIORITY: "priority", ASSIGNEE: "assignee", COMMENT: "comment"}

SOURCE_UI = "ui"
SOURCE_API = "api"

# Alga's event for an assignment (its in-app and e-mail notifications to the assignee).
TICKET_ASSIGNED = "TICKET_ASSIGNED"

# Outcomes of apply_edit.
APPLIED = "applied"
ALREADY_APPLIED = "already_applied"  # a retried send: its rows are there already
CONFLICT = "conflict"  # someone changed the same field meanwhile
REFUSED = "refused"  # rights, a vanished ticket, close rules: it cannot be sent as it is

# Alga right ticket:update (comments included, as Alga's own API checks).
UPDATE_RIGHT = UPDATE_TICKETS


class CloseRulesNotMet(PsaError):
    """The board's close rules block a person's close (a sentence listing what is missing)."""

    def __init__(self, message: str, failures: Sequence[str], can_override: bool) -> None:
        super().__init__(message)
        self.failures = list(failures)
        self.can_override = can_override


@dataclass(frozen=True, slots=True)
class TicketEdit:
    """One change a technician made. `value`: the new id as text (None = unassigned) or the
    comment's markdown; `expected`: the id the technician saw (field edits)."""

    ticket_id: uuid.UUID
    kind: str
    value: str | None
    expected: str | None = None
    is_internal: bool = True
    is_resolution: bool = False
    reply_to: uuid.UUID | None = None
    close_anyway: bool = False
    reason: str | None = None
    source: str = SOURCE_UI
    edit_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown ticket edit kind {self.kind!r}.")
        if self.kind == COMMENT and not (self.value or "").strip():
            raise ValueError("A comment needs some text.")


@dataclass(frozen=True, slots=True)
class EditOutcome:
    edit_id: uuid.UUID
    state: str
    message: str | None = None
    current: str | None = None  # the field's value in Alga now (conflicts)
    current_label: str | None = None
    can_override: bool = False  # close rules: the user may close anyway

    @property
    def done(self) -> bool:
        return self.state in (APPLIED, ALREADY_APPLIED)


# -- reading what an edit needs -------------------------------------------------------------


def _ticket_row(s: TenantSession, ticket_id: uuid.UUID) -> Any:
    t = tickets.c
    return s.conn.execute(
        sa.select(
            t.ticket_id,
            t.ticket_number,
            t.board_id,
            t.status_id,
            t.priority_id,
            t.assigned_to,
            t.is_closed,
            t.closed_at,
            t.closed_by,
            t.category_id,
            t.subcategory_id,
            t.updated_by,
            t.updated_at,
        ).where(t.tenant == s.tenant, t.ticket_id == ticket_id)
    ).first()


def _status_row(s: TenantSession, status_id: Any) -> Any:
    if status_id is None:
        return None
    st = statuses.c
    return s.conn.execute(
        sa.select(st.status_id, st.name, st.board_id, st.is_closed, st.item_type, st.status_type)
        .where(st.tenant == s.tenant, st.status_id == status_id)
        .limit(1)
    ).first()


def user_name(s: TenantSession, user_id: Any) -> str | None:
    if user_id is None:
        return None
    u = users.c
    row = s.conn.execute(
        sa.select(u.first_name, u.last_name, u.username, u.email)
        .where(u.tenant == s.tenant, u.user_id == user_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return " ".join(p for p in (row.first_name, row.last_name) if p) or row.username or row.email


def _priority_name(s: TenantSession, priority_id: Any) -> str | None:
    if priority_id is None:
        return None
    p = priorities.c
    return s.conn.scalar(
        sa.select(p.priority_name).where(p.tenant == s.tenant, p.priority_id == priority_id)
    )


def label_of(s: TenantSession, kind: str, value: Any) -> str | None:
    """The name Alga shows for a field value (status / priority name, user's name)."""
    if value is None:
        return "Unassigned" if kind == ASSIGNEE else None
    if kind == STATUS:
        row = _status_row(s, _uuid(value))
        return row.name if row else None
    if kind == PRIORITY:
        return _priority_name(s, _uuid(value))
    if kind == ASSIGNEE:
        return user_name(s, _uuid(value))
    return None


def assignable_users(s: TenantSession) -> list[tuple[uuid.UUID, str]]:
    """Active MSP users of the tenant who hold a ticket right (Alga's RBAC), by name."""
    require(s, VIEW_TICKETS)
    u, p = users.c, permissions.c
    rows = s.conn.execute(
        rights_query(s.tenant, u.user_id, u.first_name, u.last_name, u.username, u.email).where(
            p.resource == "ticket", p.action.in_(("read", "update"))
        )
    ).all()
    named = [
        (
            row.user_id,
            " ".join(x for x in (row.first_name, row.last_name) if x) or row.username or row.email,
        )
        for row in rows
    ]
    return sorted(named, key=lambda x: (x[1].lower(), str(x[0])))


def board_status_choices(s: TenantSession, board_id: Any) -> list[tuple[uuid.UUID, str, bool]]:
    """(status_id, name, is_closed) of the board's ticket statuses, in Alga's order."""
    if board_id is None:
        return []
    return [(r.status_id, r.name, bool(r.is_closed)) for r in ticket_statuses(s, board_id)]


def priority_choices(s: TenantSession) -> list[tuple[uuid.UUID, str]]:
    """The tenant's ticket priorities, in Alga's order."""
    p = priorities.c
    rows = s.conn.execute(
        sa.select(p.priority_id, p.priority_name)
        .where(p.tenant == s.tenant, sa.func.coalesce(p.item_type, "ticket") == "ticket")
        .order_by(p.order_number, p.priority_name)
    ).all()
    return [(r.priority_id, r.priority_name) for r in rows]


# -- close rules ---------------------------------------------------------------------------

_REQUIRED_FIELD_LABELS = {
    "category_id": "Category",
    "subcategory_id": "Subcategory",
    "priority_id": "Priority",
    "assigned_to": "Assigned to",
}


def _has_table(s: TenantSession, name: str) -> bool:
    # Not cached: an admin may add the table to a running Alga; closing is rare.
    if s.is_postgres:
        return bool(s.conn.scalar(sa.text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}))
    return bool(
        s.conn.scalar(
            sa.text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :n"),
            {"n": name},
        )
    )


_TIME_ENTRIES = (
    "SELECT count(*) FROM time_entries WHERE tenant = :t AND work_item_id = :i "
    "AND work_item_type = 'ticket'"
)
_OPEN_CHECKLIST = (
    "SELECT count(*) FROM ticket_checklist_items WHERE tenant = :t "
    "AND ticket_id = :i AND is_required = :yes AND completed = :no"
)


def _count_for_ticket(s: TenantSession, ticket_id: Any, sql: str, **flags: bool) -> int:
    """count(*) from a table of Alga's that NinjaDesk has no schema for (present on some
    installs only): typed binds, so the uuid and boolean parameters work on both backends."""
    query = sa.text(sql).bindparams(
        sa.bindparam("t", type_=tickets.c.tenant.type),
        sa.bindparam("i", type_=tickets.c.ticket_id.type),
        *(sa.bindparam(name, type_=sa.Boolean) for name in flags),
    )
    return int(s.conn.scalar(query, {"t": s.tenant, "i": ticket_id, **flags}) or 0)


def close_rule_failures(s: TenantSession, ticket: Any) -> list[str]:
    """The board's close rules this ticket does not meet, one sentence each (Alga's gates)."""
    if ticket.board_id is None or not _has_table(s, "board_close_rules"):
        return []
    rules = (
        s.conn.execute(
            sa.text(
                "SELECT * FROM board_close_rules WHERE tenant = :t AND board_id = :b"
            ).bindparams(
                sa.bindparam("t", type_=tickets.c.tenant.type),
                sa.bindparam("b", type_=tickets.c.board_id.type),
            ),
            {"t": s.tenant, "b": ticket.board_id},
        )
        .mappings()
        .first()
    )
    if rules is None or not rules.get("is_enabled", True):
        return []
    failures: list[str] = []
    c = comments.c
    if rules.get("require_resolution_comment"):
        found = s.conn.scalar(
            sa.select(sa.func.count()).where(
                c.tenant == s.tenant,
                c.ticket_id == ticket.ticket_id,
                c.is_resolution.is_(True),
                c.deleted_at.is_(None),
            )
        )
        if not found:
            failures.append("a resolution comment is required before closing")
    if (
        rules.get("require_time_entry")
        and _has_table(s, "time_entries")
        and not _count_for_ticket(s, ticket.ticket_id, _TIME_ENTRIES)
    ):
        failures.append("at least one time entry must be logged before closing")
    if rules.get("require_checklist_complete") and _has_table(s, "ticket_checklist_items"):
        open_items = _count_for_ticket(s, ticket.ticket_id, _OPEN_CHECKLIST, yes=True, no=False)
        if open_items:
            failures.append(
                f"{open_items} required checklist item{'s are' if open_items > 1 else ' is'} "
                "incomplete"
            )
    if rules.get("require_no_open_children"):
        t = tickets.c
        children = int(
            s.conn.scalar(
                sa.select(sa.func.count()).where(
                    t.tenant == s.tenant,
                    t.master_ticket_id == ticket.ticket_id,
                    t.closed_at.is_(None),
                )
            )
            or 0
        )
        if children:
            failures.append(
                f"{children} bundled ticket{'s are' if children > 1 else ' is'} still open"
            )
    required = rules.get("required_fields") or []
    if isinstance(required, str):
        try:
            required = json.loads(required)
        except ValueError:
            required = []
    missing = [
        _REQUIRED_FIELD_LABELS.get(f, f)
        for f in required
        if isinstance(f, str) and getattr(ticket, f, None) in (None, "")
    ]
    if missing:
        failures.append(f"required fields are missing: {', '.join(missing)}")
    return failures


# -- applying ------------------------------------------------------------------------------


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _require_person(s: TenantSession, what: str) -> uuid.UUID:
    if s.user_id is None:
        raise PermissionDenied(
            f"Changing a ticket's {what} needs a person; open the session with your Alga user."
        )
    if UPDATE_RIGHT not in current_user_permissions(s):
        raise PermissionDenied(
            f"You do not have the right to change tickets (Alga right ticket:update), so the "
            f"{what} was not changed. Ask an Alga admin to grant it to one of your roles.",
            "tickets.update",
        )
    return s.user_id


def _audit(
    s: TenantSession,
    *,
    audit_id: uuid.UUID,
    ticket_id: uuid.UUID,
    event_type: str,
    changes: dict[str, Any],
    now: datetime,
    actor: uuid.UUID,
    source: str,
    entity_type: str = "ticket",
    entity_id: Any = None,
    details: dict[str, Any] | None = None,
) -> None:
    s.conn.execute(
        ticket_audit_logs.insert().values(
            tenant=s.tenant,
            audit_id=audit_id,
            ticket_id=ticket_id,
            event_type=event_type,
            entity_type=entity_type,
            entity_id=str(entity_id or ticket_id),
            actor_type="user",
            actor_user_id=actor,
            actor_display_name=user_name(s, actor),
            source=source,
            occurred_at=now,
            changes=changes,
            details=details or {},
            created_at=now,
        )
    )


def _already_applied(s: TenantSession, edit: TicketEdit) -> bool:
    if edit.kind == COMMENT:
        c = comments.c
        query = sa.select(sa.func.count()).where(c.tenant == s.tenant, c.comment_id == edit.edit_id)
    else:
        a = ticket_audit_logs.c
        query = sa.select(sa.func.count()).where(a.tenant == s.tenant, a.audit_id == edit.edit_id)
    return bool(s.conn.scalar(query))


def apply_edit(s: TenantSession, edit: TicketEdit) -> EditOutcome:
    """Apply one edit as the session's user. Never overwrites a change made meanwhile: that
    comes back as CONFLICT; an edit that cannot be made as it is comes back as REFUSED; both
    with one sentence and nothing written. Raises only for database errors."""
    what = WHAT_OF[edit.kind]
    try:
        actor = _require_person(s, what)
        if _already_applied(s, edit):
            return EditOutcome(edit.edit_id, ALREADY_APPLIED)
        ticket = _ticket_row(s, edit.ticket_id)
        if ticket is None:
            raise NotFound(
                f"The ticket no longer exists in Alga, so the {what} was not saved there."
            )
        if edit.kind == COMMENT:
            _comment(s, edit, ticket, actor)
            return EditOutcome(edit.edit_id, APPLIED)
        return _field(s, edit, ticket, actor)
    except CloseRulesNotMet as exc:
        return EditOutcome(edit.edit_id, REFUSED, str(exc), can_override=exc.can_override)
    except (PermissionDenied, NotFound) as exc:
        return EditOutcome(edit.edit_id, REFUSED, str(exc))


def _comment(s: TenantSession, edit: TicketEdit, ticket: Any, actor: uuid.UUID) -> None:
    now = utcnow()
    body = (edit.value or "").strip()
    comment_id = edit.edit_id
    is_internal = edit.is_internal
    th, c = comment_threads.c, comments.c
    if edit.reply_to is not None:
        parent = s.conn.execute(
            sa.select(c.thread_id, c.ticket_id, c.deleted_at, th.is_internal)
            .select_from(
                comments.join(
                    comment_threads,
                    sa.and_(th.tenant == c.tenant, th.thread_id == c.thread_id),
                )
            )
            .where(c.tenant == s.tenant, c.comment_id == edit.reply_to)
        ).first()
        if parent is None or parent.ticket_id != ticket.ticket_id or parent.deleted_at:
            raise NotFound(
                "The comment you replied to is gone from the ticket, so the reply was not saved."
            )
        thread_id = parent.thread_id
        is_internal = bool(parent.is_internal)  # a reply has its thread's visibility
    else:
        thread_id = uuid.uuid4()
        s.conn.execute(
            comment_threads.insert().values(
                tenant=s.tenant,
                thread_id=thread_id,
                ticket_id=ticket.ticket_id,
                root_comment_id=comment_id,
                is_internal=is_internal,
                reply_count=0,
                last_activity_at=now,
                email_references=[],
                created_at=now,
                created_by=actor,
            )
        )
    s.conn.execute(
        comments.insert().values(
            tenant=s.tenant,
            comment_id=comment_id,
            ticket_id=ticket.ticket_id,
            user_id=actor,
            note=rich_text(body),
            markdown_content=body,
            is_internal=is_internal,
            is_resolution=edit.is_resolution,
            is_system_generated=False,
            author_type="internal",
            thread_id=thread_id,
            parent_comment_id=edit.reply_to,
            publish_state="published",
            published_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    if edit.reply_to is not None:
        s.conn.execute(
            comment_threads.update()
            .where(th.tenant == s.tenant, th.thread_id == thread_id)
            .values(reply_count=th.reply_count + 1, last_activity_at=now)
        )
    _touch(s, ticket.ticket_id, actor, now)
    _audit(
        s,
        audit_id=uuid.uuid4(),
        ticket_id=ticket.ticket_id,
        event_type="TICKET_INTERNAL_NOTE_ADDED" if is_internal else "TICKET_MESSAGE_ADDED",
        changes={},
        now=now,
        actor=actor,
        source=edit.source,
        entity_type="comment",
        entity_id=comment_id,
        details={
            "is_internal": is_internal,
            "is_resolution": edit.is_resolution,
            "author_type": "internal",
            "response_source": None,
        },
    )
    payload = alga_events.comment_added_payload(
        s.tenant,
        ticket.ticket_id,
        comment_id,
        body,
        user_id=actor,
        author=user_name(s, actor) or str(actor),
        is_internal=is_internal,
        author_type="internal",
        at=now,
    )
    reply = {
        "thread_id": str(thread_id),
        "parent_comment_id": str(edit.reply_to) if edit.reply_to else None,
        "is_reply": edit.reply_to is not None,
    }
    payload["commentId"] = str(comment_id)
    payload.update(reply)
    payload["comment"].update(reply)
    outbox.publish_alga(s, alga_events.TICKET_COMMENT_ADDED, payload, actor)


def _touch(s: TenantSession, ticket_id: uuid.UUID, actor: uuid.UUID, now: datetime) -> None:
    s.conn.execute(
        tickets.update()
        .where(tickets.c.tenant == s.tenant, tickets.c.ticket_id == ticket_id)
        .values(updated_at=now, updated_by=actor)
    )


def _validate_target(s: TenantSession, edit: TicketEdit, ticket: Any) -> Any:
    """The new value as the column holds it; raises NotFound with a sentence if not allowed."""
    new = _uuid(edit.value)
    if edit.kind == STATUS:
        row = _status_row(s, new)
        if (
            row is None
            or row.board_id != ticket.board_id
            or (row.item_type or row.status_type) != "ticket"
        ):
            raise NotFound(
                "That status is not one of the ticket board's statuses in Alga (an admin may "
                "have changed the board), so the status was not changed; pick it again."
            )
        return row
    if edit.kind == PRIORITY:
        p = priorities.c
        ok = new is not None and s.conn.scalar(
            sa.select(sa.func.count()).where(
                p.tenant == s.tenant,
                p.priority_id == new,
                sa.func.coalesce(p.item_type, "ticket") == "ticket",
            )
        )
        if not ok:
            raise NotFound(
                "That priority is not one of the tenant's ticket priorities in Alga, so the "
                "priority was not changed; pick it again."
            )
        return new
    if new is not None and new not in {uid for uid, _ in assignable_users(s)}:
        raise NotFound(
            "That person is not an active Alga user with ticket rights, so the ticket was not "
            "assigned; pick someone else."
        )
    return new


def _who_changed(s: TenantSession, ticket: Any, column: str) -> str:
    """Who last changed `column` by the ticket's history (Alga's audit rows), else who last
    touched the ticket."""
    a = ticket_audit_logs.c
    recent = s.conn.execute(
        sa.select(a.changes, a.actor_user_id, a.actor_display_name, a.actor_type)
        .where(a.tenant == s.tenant, a.ticket_id == ticket.ticket_id)
        .order_by(a.occurred_at.desc(), a.created_at.desc())
        .limit(50)
    ).all()
    for row in recent:
        changes = row.changes if isinstance(row.changes, dict) else {}
        if column in changes:
            if row.actor_user_id is not None:
                return user_name(s, row.actor_user_id) or row.actor_display_name or "someone"
            return row.actor_display_name or "Alga's automation"
    return user_name(s, ticket.updated_by) or "someone"


def _conflict(s: TenantSession, edit: TicketEdit, ticket: Any) -> EditOutcome:
    column = FIELD_OF[edit.kind]
    current = getattr(ticket, column)
    now_label = label_of(s, edit.kind, current) or "empty"
    saw_label = label_of(s, edit.kind, edit.expected) or "empty"
    new_label = label_of(s, edit.kind, edit.value) or "empty"
    who = _who_changed(s, ticket, column)
    what = WHAT_OF[edit.kind]
    return EditOutcome(
        edit.edit_id,
        CONFLICT,
        f"{who} changed the {what} to “{now_label}” (it was “{saw_label}” when you changed "
        f"it), so your change to “{new_label}” was not sent; set it again if it still applies.",
        _text(current),
        now_label,
    )


def _field(s: TenantSession, edit: TicketEdit, ticket: Any, actor: uuid.UUID) -> EditOutcome:
    column = FIELD_OF[edit.kind]
    current = getattr(ticket, column)
    target = _validate_target(s, edit, ticket)
    new_value = target.status_id if edit.kind == STATUS else target
    if current == new_value:
        return EditOutcome(edit.edit_id, APPLIED, None, _text(current))  # already so: nothing to do
    if _text(current) != _text(_uuid(edit.expected)):
        return _conflict(s, edit, ticket)

    now = utcnow()
    values: dict[str, Any] = {column: new_value, "updated_at": now, "updated_by": actor}
    closing = reopening = False
    overridden: list[str] = []
    if edit.kind == STATUS:
        old_status = _status_row(s, current)
        was_closed = bool(ticket.is_closed or (old_status is not None and old_status.is_closed))
        closing = bool(target.is_closed) and not was_closed
        reopening = was_closed and not target.is_closed
        if closing:
            overridden = _check_close_rules(s, edit, ticket, actor)
            values.update(is_closed=True, closed_at=now, closed_by=actor, response_state=None)
        elif reopening:
            values.update(is_closed=False, closed_at=None, closed_by=None)
        else:
            values["is_closed"] = bool(target.is_closed)
    t = tickets.c
    seen = t[column].is_(None) if current is None else t[column] == current
    done = s.conn.execute(
        tickets.update()
        .where(t.tenant == s.tenant, t.ticket_id == ticket.ticket_id, seen)
        .values(**values)
    )
    if done.rowcount != 1:  # changed between our read and our write
        if _already_applied(s, edit):  # by this very edit, sent twice at once
            return EditOutcome(edit.edit_id, ALREADY_APPLIED)
        fresh = _ticket_row(s, ticket.ticket_id)
        return _conflict(s, edit, fresh or ticket)
    if overridden:
        _audit(
            s,
            audit_id=uuid.uuid4(),
            ticket_id=ticket.ticket_id,
            event_type="TICKET_CLOSE_RULES_OVERRIDDEN",
            changes={},
            now=now,
            actor=actor,
            source=edit.source,
            details={"reason": edit.reason, "failures": overridden},
        )

    changes: dict[str, Any] = {
        column: {
            "old": _text(current),
            "new": _text(new_value),
            "oldLabel": label_of(s, edit.kind, current),
            "newLabel": label_of(s, edit.kind, new_value),
        }
    }
    if closing:
        changes["is_closed"] = {"old": False, "new": True}
        changes["closed_at"] = {"old": None, "new": now.isoformat()}
        changes["closed_by"] = {"old": None, "new": str(actor)}
    elif reopening:
        changes["is_closed"] = {"old": True, "new": False}
        changes["closed_at"] = {
            "old": ticket.closed_at.isoformat() if ticket.closed_at else None,
            "new": None,
        }
        changes["closed_by"] = {"old": _text(ticket.closed_by), "new": None}
    if closing:
        event_type = "TICKET_CLOSED"
    elif reopening:
        event_type = "TICKET_REOPENED"
    elif edit.kind == STATUS:
        event_type = "TICKET_STATUS_CHANGED"
    elif edit.kind == PRIORITY:
        event_type = "TICKET_PRIORITY_CHANGED"
    else:
        event_type = "TICKET_ASSIGNED" if new_value is not None else "TICKET_UNASSIGNED"
    _audit(
        s,
        audit_id=edit.edit_id,
        ticket_id=ticket.ticket_id,
        event_type=event_type,
        changes=changes,
        now=now,
        actor=actor,
        source=edit.source,
        details={"ninjadesk_edit_id": str(edit.edit_id)},
    )
    bus_changes = {k: {"old": v["old"], "new": v["new"]} for k, v in changes.items()}
    payload = alga_events.ticket_changed_payload(
        s.tenant, ticket.ticket_id, actor, bus_changes, now
    )
    if closing:
        payload.update(closedByUserId=str(actor), closedAt=_iso(now))
        outbox.publish_alga(s, alga_events.TICKET_CLOSED, payload, actor)
    elif edit.kind == ASSIGNEE and new_value is not None:
        # Alga: userId is the assignee here (its notifications go to them).
        payload.update(
            userId=str(new_value),
            assignedByUserId=str(actor),
            previousAssigneeId=_text(current),
            newAssigneeId=str(new_value),
            newAssigneeType="user",
            assignedAt=_iso(now),
        )
        outbox.publish_alga(s, TICKET_ASSIGNED, payload, actor)
    else:
        payload["updatedByUserId"] = str(actor)
        outbox.publish_alga(s, alga_events.TICKET_UPDATED, payload, actor)
    return EditOutcome(edit.edit_id, APPLIED, None, _text(new_value))


def _check_close_rules(
    s: TenantSession, edit: TicketEdit, ticket: Any, actor: uuid.UUID
) -> list[str]:
    """The failures a person closes over (to record), [] when the rules hold; raises
    CloseRulesNotMet when they block the close."""
    failures = close_rule_failures(s, ticket)
    if not failures:
        return []
    can_override = ("ticket", "close_override") in alga_rights_of(s, actor)
    if edit.close_anyway and can_override:
        return failures
    listed = "; ".join(failures)
    tail = (
        " You may close it anyway (Alga right ticket:close_override)."
        if can_override
        else " Meet them first, or ask someone with Alga's ticket:close_override right."
    )
    raise CloseRulesNotMet(
        f"The board's close rules keep this ticket open: {listed}.{tail}", failures, can_override
    )


def apply_edits(s: TenantSession, edits: Sequence[TicketEdit]) -> list[EditOutcome]:
    """Several edits in one transaction, in order (the online path of the ticket view)."""
    return [apply_edit(s, e) for e in edits]
