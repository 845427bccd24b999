"""A technician's ticket edits, written the way Alga's ticket screen writes them, on SQLite and
PostgreSQL: comments in threads, status (close/reopen), priority, assignee, each with its audit
row, `updated_at`/`updated_by` and Alga's bus event queued in the outbox; retries, conflicts,
rights and the board's close rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from ninja_desk.psa import ticket_edits as te
from ninja_desk.psa import tickets
from ninja_desk.psa.schema import (
    comment_threads,
    comments,
    ninjadesk_events_outbox,
    ticket_audit_logs,
)
from ninja_desk.psa.schema import tickets as tickets_t
from ninja_desk.psa.tenants import create_user, set_role_rights
from tests.alerts.seed import add_asset, add_client
from tests.psa.conftest import PsaEnv


@dataclass
class Desk:
    env: PsaEnv
    tech: uuid.UUID
    boss: uuid.UUID  # Dispatcher: ticket:close_override
    ticket: tickets.Ticket
    statuses: dict[str, uuid.UUID]
    priorities: dict[str, uuid.UUID]

    def session(self, user: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
        return self.env.psa.tenant_session(self.env.tenant, user or self.tech)

    def apply(self, edit: te.TicketEdit, user: uuid.UUID | None = None) -> te.EditOutcome:
        with self.session(user) as s:
            return te.apply_edit(s, edit)

    def row(self):  # type: ignore[no-untyped-def]
        with self.session() as s:
            return s.conn.execute(
                sa.select(tickets_t).where(
                    tickets_t.c.tenant == self.env.tenant,
                    tickets_t.c.ticket_id == self.ticket.ticket_id,
                )
            ).one()

    def audits(self) -> list:
        a = ticket_audit_logs.c
        with self.session() as s:
            return list(
                s.conn.execute(
                    sa.select(ticket_audit_logs)
                    .where(a.tenant == self.env.tenant, a.ticket_id == self.ticket.ticket_id)
                    .order_by(a.occurred_at, a.created_at)
                )
            )

    def events(self) -> list[tuple[str, dict]]:
        t = ninjadesk_events_outbox.c
        with self.session() as s:
            return [
                (r.event_type, r.payload)
                for r in s.conn.execute(
                    sa.select(t.event_type, t.payload, t.alga_event)
                    .where(t.tenant == self.env.tenant, t.alga_event.is_(True))
                    .order_by(t.occurred_at, t.event_id)
                )
                if r.payload.get("ticketId") == str(self.ticket.ticket_id)
            ]


@pytest.fixture
def desk(psa: PsaEnv) -> Desk:
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        tech = create_user(s, "tech.tina", ["Technician"], first_name="Tina", last_name="Tech")
        boss = create_user(s, "disp.dan", ["Dispatcher"], first_name="Dan", last_name="Boss")
        client = add_client(s, "Acme")
        asset = add_asset(s, client, 101, 1)
        ticket = tickets.create_ticket(
            s, client_id=client, title="Printer offline", description="It is off", asset_ids=[asset]
        )
        statuses = {name: sid for sid, name, _ in te.board_status_choices(s, ticket.board_id)}
        priorities = {name: pid for pid, name in te.priority_choices(s)}
    return Desk(psa, tech, boss, ticket, statuses, priorities)


def _status(desk: Desk, new: str, seen: str, **kw) -> te.TicketEdit:  # type: ignore[no-untyped-def]
    return te.TicketEdit(
        desk.ticket.ticket_id,
        te.STATUS,
        str(desk.statuses[new]),
        str(desk.statuses[seen]),
        **kw,
    )


def test_comments_go_into_threads_with_audit_and_event_once(desk: Desk) -> None:
    note = te.TicketEdit(
        desk.ticket.ticket_id, te.COMMENT, "Rebooted the spooler", is_internal=True
    )
    public = te.TicketEdit(desk.ticket.ticket_id, te.COMMENT, "We are on it", is_internal=False)
    before = desk.row().updated_at
    assert desk.apply(note).state == te.APPLIED
    assert desk.apply(public).state == te.APPLIED
    # A retried send (the answer was lost) writes nothing more.
    assert desk.apply(note).state == te.ALREADY_APPLIED
    reply = te.TicketEdit(
        desk.ticket.ticket_id,
        te.COMMENT,
        "Spooler fine now",
        is_internal=False,
        reply_to=note.edit_id,
    )
    assert desk.apply(reply).state == te.APPLIED

    with desk.session() as s:
        c, th = comments.c, comment_threads.c
        rows = {
            r.comment_id: r
            for r in s.conn.execute(
                sa.select(comments).where(
                    c.tenant == desk.env.tenant, c.ticket_id == desk.ticket.ticket_id
                )
            )
        }
        threads = {
            r.thread_id: r
            for r in s.conn.execute(
                sa.select(comment_threads).where(
                    th.tenant == desk.env.tenant, th.ticket_id == desk.ticket.ticket_id
                )
            )
        }
    assert set(rows) == {note.edit_id, public.edit_id, reply.edit_id}
    first, second, answer = rows[note.edit_id], rows[public.edit_id], rows[reply.edit_id]
    assert (first.user_id, first.author_type, first.is_internal) == (desk.tech, "internal", True)
    assert first.markdown_content == "Rebooted the spooler" and '"text": "Rebooted' in first.note
    assert not second.is_internal and not first.is_system_generated
    # The reply shares the root's thread and takes its visibility; the thread counts it.
    assert answer.thread_id == first.thread_id and answer.is_internal
    assert answer.parent_comment_id == note.edit_id
    assert len(threads) == 2
    root = threads[first.thread_id]
    assert root.root_comment_id == note.edit_id and root.reply_count == 1
    assert root.last_activity_at >= first.created_at and root.created_by == desk.tech
    assert threads[second.thread_id].reply_count == 0

    row = desk.row()
    assert row.updated_by == desk.tech and row.updated_at > before
    audits = [a for a in desk.audits() if a.entity_type == "comment"]
    assert [(a.event_type, a.actor_type, a.source, a.actor_user_id) for a in audits] == [
        ("TICKET_INTERNAL_NOTE_ADDED", "user", "ui", desk.tech),
        ("TICKET_MESSAGE_ADDED", "user", "ui", desk.tech),
        ("TICKET_INTERNAL_NOTE_ADDED", "user", "ui", desk.tech),
    ]
    assert audits[0].entity_id == str(note.edit_id) and audits[0].actor_display_name == "Tina Tech"
    added = [p for e, p in desk.events() if e == "TICKET_COMMENT_ADDED"]
    assert len(added) == 3
    assert added[0]["userId"] == str(desk.tech) and added[0]["comment"]["author"] == "Tina Tech"
    assert added[0]["comment"]["id"] == str(note.edit_id) and added[0]["comment"]["isInternal"]
    assert added[2]["is_reply"] and added[2]["parent_comment_id"] == str(note.edit_id)


def test_status_changes_close_and_reopen_like_alga(desk: Desk) -> None:
    assert desk.apply(_status(desk, "In Progress", "New")).state == te.APPLIED
    row = desk.row()
    assert row.status_id == desk.statuses["In Progress"] and not row.is_closed
    assert row.updated_by == desk.tech

    close = _status(desk, "Closed", "In Progress")
    assert desk.apply(close).state == te.APPLIED
    row = desk.row()
    assert row.is_closed and row.closed_by == desk.tech and row.closed_at is not None
    assert row.response_state is None
    assert desk.apply(close).state == te.ALREADY_APPLIED

    assert desk.apply(_status(desk, "New", "Closed")).state == te.APPLIED
    row = desk.row()
    assert not row.is_closed and row.closed_at is None and row.closed_by is None

    audits = [a for a in desk.audits() if a.event_type != "TICKET_CREATED"]
    assert [a.event_type for a in audits] == [
        "TICKET_STATUS_CHANGED",
        "TICKET_CLOSED",
        "TICKET_REOPENED",
    ]
    assert all((a.actor_type, a.source) == ("user", "ui") for a in audits)
    assert audits[0].changes["status_id"] == {
        "old": str(desk.statuses["New"]),
        "new": str(desk.statuses["In Progress"]),
        "oldLabel": "New",
        "newLabel": "In Progress",
    }
    assert audits[1].audit_id == close.edit_id
    assert audits[1].changes["is_closed"] == {"old": False, "new": True}
    assert audits[1].changes["closed_by"] == {"old": None, "new": str(desk.tech)}
    assert audits[2].changes["is_closed"] == {"old": True, "new": False}

    events = [(e, p) for e, p in desk.events() if e != "TICKET_CREATED"]
    assert [e for e, _ in events] == ["TICKET_UPDATED", "TICKET_CLOSED", "TICKET_UPDATED"]
    closed = events[1][1]
    assert closed["closedByUserId"] == str(desk.tech) and closed["userId"] == str(desk.tech)
    assert closed["changes"]["status_id"]["new"] == str(desk.statuses["Closed"])
    assert closed["tenantId"] == str(desk.env.tenant) and closed["occurredAt"].endswith("Z")


def test_priority_and_assignee_with_audit_and_events(desk: Desk) -> None:
    t = desk.ticket
    high = str(desk.priorities["P2 - High"])
    assert desk.apply(te.TicketEdit(t.ticket_id, te.PRIORITY, high, str(t.priority_id))).done
    assign = te.TicketEdit(t.ticket_id, te.ASSIGNEE, str(desk.boss), None)
    assert desk.apply(assign).done
    unassign = te.TicketEdit(t.ticket_id, te.ASSIGNEE, None, str(desk.boss))
    assert desk.apply(unassign).done
    row = desk.row()
    assert str(row.priority_id) == high and row.assigned_to is None

    audits = [a for a in desk.audits() if a.event_type != "TICKET_CREATED"]
    assert [a.event_type for a in audits] == [
        "TICKET_PRIORITY_CHANGED",
        "TICKET_ASSIGNED",
        "TICKET_UNASSIGNED",
    ]
    assert audits[0].changes["priority_id"]["newLabel"] == "P2 - High"
    assert audits[1].changes["assigned_to"] == {
        "old": None,
        "new": str(desk.boss),
        "oldLabel": "Unassigned",
        "newLabel": "Dan Boss",
    }
    events = [(e, p) for e, p in desk.events() if e != "TICKET_CREATED"]
    assert [e for e, _ in events] == ["TICKET_UPDATED", "TICKET_ASSIGNED", "TICKET_UPDATED"]
    assert events[0][1]["updatedByUserId"] == str(desk.tech)
    assert events[1][1]["userId"] == str(desk.boss)  # Alga: the assignee
    assert events[1][1]["assignedByUserId"] == str(desk.tech)


def test_values_alga_would_not_offer_are_refused_with_a_sentence(desk: Desk) -> None:
    with desk.session(desk.env.admin_id) as s:
        idle = create_user(s, "idle.ian", [])  # no ticket rights: not assignable
        people = dict(te.assignable_users(s))
    assert desk.tech in people and desk.boss in people and idle not in people
    t = desk.ticket
    out = desk.apply(te.TicketEdit(t.ticket_id, te.ASSIGNEE, str(idle), None))
    assert out.state == te.REFUSED and "not an active Alga user with ticket rights" in out.message
    out = desk.apply(te.TicketEdit(t.ticket_id, te.STATUS, str(uuid.uuid4()), str(t.status_id)))
    assert out.state == te.REFUSED and "not one of the ticket board's statuses" in out.message
    out = desk.apply(te.TicketEdit(t.ticket_id, te.PRIORITY, str(uuid.uuid4()), None))
    assert out.state == te.REFUSED and "priorit" in out.message
    out = desk.apply(te.TicketEdit(uuid.uuid4(), te.COMMENT, "lost"))
    assert out.state == te.REFUSED and "no longer exists" in out.message
    assert [a.event_type for a in desk.audits()] == ["TICKET_CREATED"]


def test_rights_ticket_update_for_every_edit_and_none_for_the_system(desk: Desk) -> None:
    with desk.session(desk.env.admin_id) as s:
        reader = create_user(s, "read.rita", ["Technician"])
        set_role_rights(s, "Technician", [("ticket", "read")])
    t = desk.ticket
    for edit in (
        te.TicketEdit(t.ticket_id, te.COMMENT, "Hello"),
        _status(desk, "In Progress", "New"),
    ):
        out = desk.apply(edit, reader)
        assert out.state == te.REFUSED and "ticket:update" in out.message
    # A session without a person never edits a ticket as someone.
    with desk.env.psa.tenant_session(desk.env.tenant) as s:
        out = te.apply_edit(s, te.TicketEdit(t.ticket_id, te.COMMENT, "Hello"))
    assert out.state == te.REFUSED and "needs a person" in out.message
    assert desk.row().status_id == t.status_id


def test_a_change_made_meanwhile_is_a_conflict_not_an_overwrite(desk: Desk) -> None:
    # Dan moves the ticket while Tina still sees "New".
    assert desk.apply(_status(desk, "Waiting on Client", "New"), desk.boss).done
    out = desk.apply(_status(desk, "In Progress", "New"))
    assert out.state == te.CONFLICT
    assert out.message == (
        "Dan Boss changed the status to “Waiting on Client” (it was “New” when you changed it), "
        "so your change to “In Progress” was not sent; set it again if it still applies."
    )
    assert out.current == str(desk.statuses["Waiting on Client"])
    assert desk.row().status_id == desk.statuses["Waiting on Client"]
    # The same change as someone else made meanwhile is no conflict and writes nothing.
    same = desk.apply(_status(desk, "Waiting on Client", "New"))
    assert same.state == te.APPLIED
    assert [a.event_type for a in desk.audits()].count("TICKET_STATUS_CHANGED") == 1


@pytest.fixture
def close_rules(desk: Desk) -> Iterator[None]:
    """Alga's board_close_rules (newer Alga), with a resolution comment required."""
    engine = desk.env.psa.engine
    json_type = "jsonb" if desk.env.backend == "postgres" else "text"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS board_close_rules (tenant uuid NOT NULL, board_id uuid "
            "NOT NULL, require_resolution_comment boolean NOT NULL DEFAULT false, "
            "require_time_entry boolean NOT NULL DEFAULT false, require_checklist_complete "
            "boolean NOT NULL DEFAULT false, require_no_open_children boolean NOT NULL DEFAULT "
            f"false, required_fields {json_type} NOT NULL DEFAULT '[]', is_enabled boolean NOT "
            "NULL DEFAULT true, PRIMARY KEY (tenant, board_id))"
        )
        conn.execute(
            sa.text(
                "INSERT INTO board_close_rules (tenant, board_id, require_resolution_comment, "
                "required_fields) VALUES (:t, :b, :yes, :fields)"
            ).bindparams(
                sa.bindparam("t", type_=sa.Uuid()),
                sa.bindparam("b", type_=sa.Uuid()),
                sa.bindparam("yes", type_=sa.Boolean()),
            ),
            {
                "t": desk.env.tenant,
                "b": desk.ticket.board_id,
                "yes": True,
                "fields": '["assigned_to"]',
            },
        )
    yield
    if desk.env.backend == "postgres":  # the database is shared with the other tests
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE board_close_rules")


def test_board_close_rules_bind_people_unless_they_may_override(desk: Desk, close_rules) -> None:
    out = desk.apply(_status(desk, "Closed", "New"))
    assert out.state == te.REFUSED and not out.can_override
    assert out.message == (
        "The board's close rules keep this ticket open: a resolution comment is required before "
        "closing; required fields are missing: Assigned to. Meet them first, or ask someone "
        "with Alga's ticket:close_override right."
    )
    asked = desk.apply(_status(desk, "Closed", "New", close_anyway=True))
    assert asked.state == te.REFUSED  # Tina holds no close_override
    offered = desk.apply(_status(desk, "Closed", "New"), desk.boss)
    assert offered.state == te.REFUSED and offered.can_override
    assert not desk.row().is_closed

    anyway = _status(desk, "Closed", "New", close_anyway=True, reason="Customer confirmed")
    assert desk.apply(anyway, desk.boss).done
    row = desk.row()
    assert row.is_closed and row.closed_by == desk.boss
    overridden = [a for a in desk.audits() if a.event_type == "TICKET_CLOSE_RULES_OVERRIDDEN"]
    assert overridden[0].details["reason"] == "Customer confirmed"
    assert len(overridden[0].details["failures"]) == 2

    # Meeting the rules lets a technician close without any override.
    assert desk.apply(_status(desk, "New", "Closed")).done
    t = desk.ticket
    assert desk.apply(te.TicketEdit(t.ticket_id, te.ASSIGNEE, str(desk.tech), None)).done
    done = te.TicketEdit(t.ticket_id, te.COMMENT, "Replaced the toner", is_resolution=True)
    assert desk.apply(done).done
    assert desk.apply(_status(desk, "Closed", "New")).done
    # Automation (the alert pipeline) is not bound by them, as in Alga.
    assert desk.apply(_status(desk, "New", "Closed")).done
    with desk.env.psa.tenant_session(desk.env.tenant) as s:
        assert tickets.close_tickets(s, [t.ticket_id]).closed == [t.ticket_id]


def test_ticket_detail_offers_alga_s_choices_and_links(desk: Desk) -> None:
    desk.apply(te.TicketEdit(desk.ticket.ticket_id, te.COMMENT, "First note"))
    with desk.session() as s:
        d = tickets.ticket_detail(s, desk.ticket.ticket_id)
    assert (d.ticket_number, d.title, d.description, d.client_name) == (
        desk.ticket.ticket_number,
        "Printer offline",
        "It is off",
        "Acme",
    )
    assert [(n, closed) for _, n, closed in d.statuses] == [
        ("New", False),
        ("In Progress", False),
        ("Waiting on Client", False),
        ("Closed", True),
    ]
    assert [n for _, n in d.priorities][:2] == ["P1 - Critical", "P2 - High"]
    assert "Tina Tech" in [n for _, n in d.assignees]
    assert d.device_ids == [101]
    assert [(c.author, c.body, c.is_internal) for c in d.comments] == [
        ("Tina Tech", "First note", True)
    ]
    again = tickets.TicketDetail.from_json(d.to_json())
    assert again == d
