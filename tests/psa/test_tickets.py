"""Tickets written the way Alga writes them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from ninja_desk.psa import tickets
from ninja_desk.psa.errors import PermissionDenied
from ninja_desk.psa.integration_settings import IntegrationSettings, service_user, ticket_board
from ninja_desk.psa.schema import (
    asset_associations,
    boards,
    comment_threads,
    comments,
    next_number,
    ninjadesk_events_outbox,
    priorities,
    statuses,
    ticket_audit_logs,
)
from ninja_desk.psa.schema import tickets as tickets_t
from tests.alerts.seed import add_asset, add_client


def _outbox(s) -> list[tuple[str, dict]]:
    t = ninjadesk_events_outbox.c
    return [
        (r.event_type, r.payload)
        for r in s.conn.execute(
            sa.select(t.event_type, t.payload)
            .where(t.tenant == s.tenant, t.alga_event.is_(True))
            .order_by(t.occurred_at, t.event_type)
        )
    ]


def test_a_persons_ticket_comment_and_asset_link(psa) -> None:
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        client = add_client(s, "Acme")
        asset = add_asset(s, client, 1, 1)
        first = tickets.create_ticket(
            s, client_id=client, title="Disk full", description="C: is full", asset_ids=[asset]
        )
        second = tickets.create_ticket(s, client_id=client, title="Slow")
        comment = tickets.add_comment(s, first.ticket_id, "Customer called")
        tickets.add_comment(s, first.ticket_id, "Cleaned temp files", is_internal=True)
        assert tickets.link_assets(s, first.ticket_id, [asset]) == 0  # idempotent

        assert (first.ticket_number, second.ticket_number) == ("TIC000001", "TIC000002")
        assert (first.status, first.board, first.priority) == (
            "New",
            "General Support",
            "P3 - Medium",
        )
        assert first.description == "C: is full" and first.entered_by == psa.admin_id
        assert not first.is_closed and first.closed_at is None
        row = s.conn.execute(
            sa.select(tickets_t).where(tickets_t.c.ticket_id == first.ticket_id)
        ).one()
        assert row.attributes == {"description": "C: is full"}
        assert row.ticket_origin == "internal" and row.updated_at >= row.entered_at
        assert [t.ticket_number for t in tickets.tickets_for_asset(s, asset)] == ["TIC000001"]
        link = s.conn.execute(
            sa.select(asset_associations).where(asset_associations.c.tenant == psa.tenant)
        ).one()
        assert (link.entity_type, link.relationship_type, link.created_by) == (
            "ticket",
            "affected",
            psa.admin_id,
        )
        listed = tickets.list_comments(s, first.ticket_id)
        assert [c.body for c in listed] == ["Customer called", "Cleaned temp files"]
        assert listed[0].author_id == psa.admin_id and listed[0].author_type == "internal"
        assert not listed[0].is_system_generated
        assert [
            c.body for c in tickets.list_comments(s, first.ticket_id, include_internal=False)
        ] == ["Customer called"]
        thread = s.conn.execute(
            sa.select(comment_threads).where(
                comment_threads.c.root_comment_id == comment.comment_id
            )
        ).one()
        assert thread.ticket_id == first.ticket_id and listed[0].thread_id == thread.thread_id
        note = s.conn.execute(
            sa.select(comments.c.note, comments.c.markdown_content).where(
                comments.c.comment_id == comment.comment_id
            )
        ).one()
        assert note.markdown_content == "Customer called"
        assert json.loads(note.note)[0]["content"][0]["text"] == "Customer called"
        audit = s.conn.execute(
            sa.select(ticket_audit_logs).where(ticket_audit_logs.c.ticket_id == first.ticket_id)
        ).one()
        assert (audit.event_type, audit.actor_type, audit.actor_user_id) == (
            "TICKET_CREATED",
            "user",
            psa.admin_id,
        )
        assert audit.changes["title"] == {"old": None, "new": "Disk full"}
        assert len(tickets.list_tickets(s, client_id=client, open_only=True)) == 2
    with psa.psa.tenant_session(psa.tenant) as s:
        events = _outbox(s)
    assert [e for e, _ in events].count("TICKET_CREATED") == 2
    created = next(
        p for e, p in events if e == "TICKET_CREATED" and p["ticketId"] == str(first.ticket_id)
    )
    assert created["tenantId"] == str(psa.tenant) and created["actorUserId"] == str(psa.admin_id)
    added = [p for e, p in events if e == "TICKET_COMMENT_ADDED"]
    assert added[0]["userId"] == str(psa.admin_id)
    assert added[0]["comment"]["content"] == "Customer called"
    assert added[0]["comment"]["authorType"] == "internal" and not added[0]["comment"]["isInternal"]


def test_a_ticket_needs_an_acting_user(psa) -> None:
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        client = add_client(s, "Acme")
    with psa.psa.tenant_session(psa.tenant) as s, pytest.raises(PermissionDenied):
        tickets.create_ticket(s, client_id=client, title="who?")


def test_numbering_follows_alga_next_number(psa) -> None:
    nn = next_number.c
    with psa.psa.tenant_session(psa.tenant) as s:
        assert tickets.next_ticket_numbers(s, 2) == ["TIC000001", "TIC000002"]
        s.conn.execute(
            next_number.update()
            .where(nn.tenant == psa.tenant)
            .values(initial_value=1000, prefix="T-", padding_length=3)
        )
        # GREATEST(last + 1, initial_value); padded only when shorter.
        assert tickets.next_ticket_numbers(s, 3) == ["T-1000", "T-1001", "T-1002"]
        s.conn.execute(next_number.update().where(nn.tenant == psa.tenant).values(padding_length=6))
        assert tickets.next_ticket_numbers(s, 1) == ["T-001003"]
        s.conn.execute(next_number.delete().where(nn.tenant == psa.tenant))
        # A missing counter is created with Alga's defaults (TIC, from 1000, 6 digits).
        assert tickets.next_ticket_numbers(s, 1) == ["TIC001000"]


def test_pg_uses_alga_generate_next_number_where_it_exists(pg_server) -> None:
    """A database with Alga's function: numbers come from it (it owns the counter)."""
    admin = sa.create_engine(
        f"{pg_server.url.rsplit('/', 1)[0]}/postgres", isolation_level="AUTOCOMMIT"
    )
    name = f"nd_numfn_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = f"{pg_server.url.rsplit('/', 1)[0]}/{name}"
    from ninja_desk.psa.migrator import migrate

    migrate(url)
    from ninja_desk.psa.tenancy import PsaDatabase
    from ninja_desk.psa.tenants import create_tenant

    db = PsaDatabase(url)
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE FUNCTION generate_next_number(p_tenant_id uuid, p_entity_type text)"
                " RETURNS text LANGUAGE sql AS $$ SELECT 'ALGA-' || p_entity_type $$"
            )
        info = create_tenant(db, "Fn MSP")
        with db.tenant_session(info.tenant) as s:
            assert tickets.next_ticket_numbers(s, 2) == ["ALGA-TICKET", "ALGA-TICKET"]
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _system_ticket(s, client, asset=None) -> tickets.NewTicket:
    settings = IntegrationSettings(uuid.uuid4())
    spec = tickets.NewTicket(
        client_id=client,
        title="[NinjaOne Alert] CPU on PC-00001",
        description="NinjaOne alert ...",
        priority_id=s.conn.scalar(
            sa.select(priorities.c.priority_id).where(priorities.c.tenant == s.tenant).limit(1)
        ),
        board_id=ticket_board(s, settings),
        note="Created by NinjaDesk from NinjaOne alert series s-1.",
        source_reference="ninjaone:alert:s-1",
        asset_ids=[asset] if asset else [],
    )
    (made,) = tickets.create_tickets(s, [spec], service_user_id=service_user(s, settings))
    return made


def test_automation_tickets_close_and_reopen_like_alga(psa) -> None:
    with psa.psa.tenant_session(psa.tenant) as s:
        client = add_client(s, "Acme")
        asset = add_asset(s, client, 1, 1)
        made = _system_ticket(s, client, asset)
    with psa.psa.tenant_session(psa.tenant) as s:
        t = tickets.get_ticket(s, made.ticket_id)
        assert t.entered_by is None and t.source == "ninjaone" and t.status == "New"
        row = s.conn.execute(
            sa.select(tickets_t).where(tickets_t.c.ticket_id == made.ticket_id)
        ).one()
        assert row.attributes == {
            "description": "NinjaOne alert ...",
            "source_reference": "ninjaone:alert:s-1",
        }
        assert row.ticket_origin == "internal" and row.entered_at == row.updated_at
        (note,) = tickets.list_comments(s, made.ticket_id)
        assert note.author_id is None and note.is_system_generated and note.is_internal
        assert note.author_type == "unknown"
        link = s.conn.execute(
            sa.select(asset_associations).where(asset_associations.c.tenant == psa.tenant)
        ).one()
        assert (link.relationship_type, link.created_by) == ("related", psa.admin_id)
        audit = s.conn.execute(
            sa.select(ticket_audit_logs).where(ticket_audit_logs.c.tenant == psa.tenant)
        ).one()
        assert (audit.actor_type, audit.source, audit.actor_user_id) == ("system", "system", None)
        outcome = tickets.close_tickets(s, [made.ticket_id], note="The alert reset in NinjaOne.")
        assert outcome.closed == [made.ticket_id] and outcome.message is None
    with psa.psa.tenant_session(psa.tenant) as s:
        t = tickets.get_ticket(s, made.ticket_id)
        assert t.is_closed and t.closed_at is not None and t.closed_by is None
        assert t.status == "Closed"
        notes = tickets.list_comments(s, made.ticket_id)
        assert notes[-1].body == "The alert reset in NinjaOne."
        assert [
            r.event_type
            for r in s.conn.execute(
                sa.select(ticket_audit_logs.c.event_type)
                .where(ticket_audit_logs.c.tenant == psa.tenant)
                .order_by(ticket_audit_logs.c.occurred_at)
            )
        ] == ["TICKET_CREATED", "TICKET_CLOSED"]
        closed = [p for e, p in _outbox(s) if e == "TICKET_CLOSED"]
        assert closed[0]["ticketId"] == str(made.ticket_id) and closed[0]["changes"]["is_closed"]
        # Closing again changes nothing.
        assert tickets.close_tickets(s, [made.ticket_id]).closed == []
        assert tickets.reopen_tickets(s, {made.ticket_id: None}) == [made.ticket_id]
        t = tickets.get_ticket(s, made.ticket_id)
        assert not t.is_closed and t.closed_at is None and t.status == "New"
    with psa.psa.tenant_session(psa.tenant) as s:
        assert [e for e, _ in _outbox(s)].count("TICKET_UPDATED") == 1


def test_a_board_without_a_closed_status_leaves_the_ticket_open_and_says_so(psa) -> None:
    with psa.psa.tenant_session(psa.tenant) as s:
        client = add_client(s, "Acme")
        board = uuid.uuid4()
        s.conn.execute(
            boards.insert().values(
                tenant=psa.tenant,
                board_id=board,
                board_name="Urgent Matters",
                is_default=False,
                display_order=2,
            )
        )
        s.conn.execute(
            statuses.insert(),
            [
                {
                    "tenant": psa.tenant,
                    "status_id": uuid.uuid4(),
                    "board_id": board,
                    "name": n,
                    "status_type": "ticket",
                    "item_type": "ticket",
                    "is_closed": False,
                    "is_default": i == 1,
                    "order_number": i,
                }
                for i, n in enumerate(["Curious Beginning", "Wandering Path"])
            ],
        )
        made = _system_ticket(s, client)
        s.conn.execute(
            tickets_t.update().where(tickets_t.c.ticket_id == made.ticket_id).values(board_id=board)
        )
        outcome = tickets.close_tickets(s, [made.ticket_id], note="The alert reset.")
        assert outcome.closed == [] and outcome.left_open == [made.ticket_id]
        assert outcome.message == tickets.NO_CLOSED_STATUS
        assert not tickets.get_ticket(s, made.ticket_id).is_closed
        last = tickets.list_comments(s, made.ticket_id)[-1]
        assert last.body.startswith("The alert reset. The ticket board has no closed status")
        # Its default status is the board's is_default one, not the first by order.
        assert tickets.board_statuses(s, board).closed_status_id is None
