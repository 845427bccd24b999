"""Ticket edits made while Alga's database is unreachable: queued in the local cache, kept over a
restart (and over a rebuilt cache), sent in order and once when the PSA is back, and a change
someone made meanwhile set aside as a conflict with a sentence, never overwritten. SQLite and
PostgreSQL PSA."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.cache import ticket_outbox
from ninja_desk.cache.store import LocalCache
from ninja_desk.psa import ticket_edits as te
from ninja_desk.psa import tickets
from ninja_desk.psa.schema import comments, ninjadesk_events_outbox, ticket_audit_logs
from ninja_desk.psa.schema import tickets as tickets_t
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_user
from ninja_desk.sync.desktop_runtime import DesktopPsa
from ninja_desk.sync.psa_mirror import PsaMirror
from ninja_desk.sync.ticket_edit_service import TicketEditService
from tests.alerts.seed import add_asset, add_client
from tests.psa.conftest import (  # noqa: F401
    PsaEnv,
    pg_server,
    pg_server_url,
    psa,
    sqlite_template,
)


@dataclass
class World:
    env: PsaEnv
    tech: uuid.UUID
    boss: uuid.UUID
    ticket: tickets.Ticket
    statuses: dict[str, str]
    priorities: dict[str, str]
    up: DesktopPsa  # the PSA as the technician's desktop reaches it
    down: DesktopPsa  # the same desktop while the database is unreachable

    def ticket_row(self):  # type: ignore[no-untyped-def]
        with self.env.psa.tenant_session(self.env.tenant) as s:
            return s.conn.execute(
                sa.select(tickets_t).where(
                    tickets_t.c.tenant == self.env.tenant,
                    tickets_t.c.ticket_id == self.ticket.ticket_id,
                )
            ).one()

    def count(self, table: sa.Table, *where) -> int:  # type: ignore[no-untyped-def]
        with self.env.psa.tenant_session(self.env.tenant) as s:
            return s.conn.scalar(
                sa.select(sa.func.count()).where(table.c.tenant == self.env.tenant, *where)
            )


def _unreachable_url(env: PsaEnv, tmp_path: Path) -> str:
    if env.backend == "sqlite":
        return f"sqlite:///{tmp_path / 'gone' / 'psa.sqlite3'}"  # no such folder
    url = sa.make_url(env.psa.url)
    return url.set(port=9).render_as_string(hide_password=False)  # nothing listens there


@pytest.fixture
def world(psa: PsaEnv, tmp_path: Path) -> Iterator[World]:  # noqa: F811
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        tech = create_user(s, "tech.tina", ["Technician"], first_name="Tina", last_name="Tech")
        boss = create_user(s, "disp.dan", ["Dispatcher"], first_name="Dan", last_name="Boss")
        client = add_client(s, "Acme")
        asset = add_asset(s, client, 101, 1)
        ticket = tickets.create_ticket(s, client_id=client, title="VPN down", asset_ids=[asset])
        statuses = {n: str(i) for i, n, _ in te.board_status_choices(s, ticket.board_id)}
        priorities = {n: str(i) for i, n in te.priority_choices(s)}
    timeout = {"connect_args": {"connect_timeout": 2}} if psa.backend == "postgres" else {}
    gone = PsaDatabase(_unreachable_url(psa, tmp_path), **timeout)

    def desktop(db: PsaDatabase) -> DesktopPsa:
        return DesktopPsa(db, psa.tenant, tech, uuid.uuid4(), "Tina Tech")

    yield World(psa, tech, boss, ticket, statuses, priorities, desktop(psa.psa), desktop(gone))
    gone.dispose()


def _comment(w: World, text: str, **kw) -> te.TicketEdit:  # type: ignore[no-untyped-def]
    return te.TicketEdit(w.ticket.ticket_id, te.COMMENT, text, **kw)


def _status(w: World, new: str, seen: str) -> te.TicketEdit:
    return te.TicketEdit(w.ticket.ticket_id, te.STATUS, w.statuses[new], w.statuses[seen])


async def test_offline_edits_survive_a_restart_and_are_sent_once_in_order(
    world: World, tmp_path: Path
) -> None:
    w = world
    path = tmp_path / "cache.sqlite3"
    cache = LocalCache(path)
    offline = TicketEditService(cache, w.down)
    note = _comment(w, "Called the customer; VPN client reinstalled")
    first = await offline.submit(note, ticket_number=w.ticket.ticket_number)
    assert first.sent == 0 and first.waiting == 1
    assert first.offline is not None and first.offline.startswith(
        "Alga's database is not reachable"
    )
    assert first.offline.endswith(
        "your ticket changes are kept on this computer and sent when it is back."
    )
    await offline.submit(_status(w, "In Progress", "New"), value_label="In Progress")
    # A second change on top of the first one, made offline: it saw "In Progress".
    report = await offline.submit(_status(w, "Waiting on Client", "In Progress"))
    assert report.waiting == 3 and report.sent == 0
    queued = ticket_outbox.pending(cache)
    assert [q.kind for q in queued] == ["comment", "status", "status"]
    assert queued[0].attempts >= 1 and "not reachable" in (queued[0].last_error or "")
    assert w.count(comments, comments.c.ticket_id == w.ticket.ticket_id) == 0
    cache.close()

    # The desktop restarts, the PSA is back.
    cache = LocalCache(path)
    assert [q.edit_id for q in ticket_outbox.pending(cache)] == [q.edit_id for q in queued]
    online = TicketEditService(cache, lambda: w.up)
    report = await online.send_pending()
    assert (report.sent, report.waiting, report.offline, report.set_aside) == (3, 0, None, [])
    row = w.ticket_row()
    assert str(row.status_id) == w.statuses["Waiting on Client"] and row.updated_by == w.tech
    assert w.count(comments, comments.c.comment_id == note.edit_id) == 1
    audits = w.count(
        ticket_audit_logs,
        ticket_audit_logs.c.ticket_id == w.ticket.ticket_id,
        ticket_audit_logs.c.actor_user_id == w.tech,
    )
    assert audits == 3  # the note and two status changes, by Tina
    ob = ninjadesk_events_outbox.c
    with w.env.psa.tenant_session(w.env.tenant) as s:
        events = [
            (r.event_type, r.payload)
            for r in s.conn.execute(
                sa.select(ob.event_type, ob.payload)
                .where(ob.tenant == w.env.tenant, ob.alga_event.is_(True))
                .order_by(ob.occurred_at, ob.event_id)
            )
            if r.event_type != "TICKET_CREATED"
        ]
    assert [e for e, _ in events] == ["TICKET_COMMENT_ADDED", "TICKET_UPDATED", "TICKET_UPDATED"]
    assert events[0][1]["comment"]["id"] == str(note.edit_id)
    # The cache's copy follows: the list row and the detail show the new status.
    assert cache.scalar(
        "SELECT status FROM psa_tickets WHERE id = :t", t=str(w.ticket.ticket_id)
    ) == ("Waiting on Client")
    detail = ticket_outbox.load_detail(cache, str(w.ticket.ticket_id))
    assert detail is not None and '"Waiting on Client"' in detail[0]
    assert ticket_outbox.counts(cache) == {"sent": 3}

    # The answer to a send got lost (the rows are in Alga, the cache still says pending): the
    # retry is recognised and writes nothing twice.
    cache.write_blocking(
        lambda conn: conn.exec_driver_sql("UPDATE ticket_outbox SET state = 'pending'")
    )
    again = await online.send_pending()
    assert again.sent == 3 and {o.state for o in again.outcomes.values()} == {te.ALREADY_APPLIED}
    assert w.count(comments, comments.c.ticket_id == w.ticket.ticket_id) == 1
    assert w.count(ticket_audit_logs, ticket_audit_logs.c.ticket_id == w.ticket.ticket_id) == 4
    cache.close()


async def test_a_field_changed_meanwhile_is_set_aside_with_a_sentence(
    world: World, tmp_path: Path
) -> None:
    w = world
    cache = LocalCache(tmp_path / "cache.sqlite3")
    offline = TicketEditService(cache, w.down)
    bump = te.TicketEdit(
        w.ticket.ticket_id, te.PRIORITY, w.priorities["P1 - Critical"], w.priorities["P3 - Medium"]
    )
    await offline.submit(bump, value_label="P1 - Critical", expected_label="P3 - Medium")
    note = _comment(w, "Escalating", is_internal=False)
    await offline.submit(note)
    # Meanwhile Dan lowers the priority in Alga.
    with w.env.psa.tenant_session(w.env.tenant, w.boss) as s:
        theirs = te.TicketEdit(
            w.ticket.ticket_id, te.PRIORITY, w.priorities["P4 - Low"], w.priorities["P3 - Medium"]
        )
        assert te.apply_edit(s, theirs).done

    report = await TicketEditService(cache, w.up).send_pending()
    assert report.sent == 1  # the comment: comments never conflict
    (aside,) = report.set_aside
    assert aside.edit_id == str(bump.edit_id) and aside.state == ticket_outbox.CONFLICT
    assert aside.message == (
        "Dan Boss changed the priority to “P4 - Low” (it was “P3 - Medium” when you changed it), "
        "so your change to “P1 - Critical” was not sent; set it again if it still applies."
    )
    assert aside.current_label == "P4 - Low"
    assert str(w.ticket_row().priority_id) == w.priorities["P4 - Low"]  # not overwritten
    assert [q.edit_id for q in ticket_outbox.unsent(cache, str(w.ticket.ticket_id))] == [
        str(bump.edit_id)
    ]
    assert (await TicketEditService(cache, w.up).send_pending()).sent == 0  # stays aside
    assert cache.write_blocking(ticket_outbox.discard, str(bump.edit_id))
    assert ticket_outbox.unsent(cache) == []
    cache.close()


async def test_the_psa_mirror_sends_the_queue_when_the_psa_is_back(
    world: World, tmp_path: Path
) -> None:
    w = world
    cache = LocalCache(tmp_path / "cache.sqlite3")
    await TicketEditService(cache, w.down).submit(_status(w, "In Progress", "New"))
    mirror = PsaMirror(cache, w.up)
    assert await mirror.run_once() >= 1
    assert mirror.last_send is not None and mirror.last_send.sent == 1
    assert cache.scalar("SELECT status FROM psa_tickets") == "In Progress"
    assert ticket_outbox.pending(cache) == []
    # A ticket opened here (its detail cached) follows what others do in Alga.
    with w.env.psa.tenant_session(w.env.tenant, w.boss) as s:
        assert te.apply_edit(s, _comment(w, "Vendor called back")).done
    await mirror.run_once()
    cached = ticket_outbox.load_detail(cache, str(w.ticket.ticket_id))
    assert cached is not None
    assert [c.body for c in tickets.TicketDetail.from_json(cached[0]).comments] == [
        "Vendor called back"
    ]
    cache.close()


def test_unsent_edits_survive_a_rebuilt_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = LocalCache(path)
    edit = te.TicketEdit(uuid.uuid4(), te.COMMENT, "Written on the train")
    cache.write_blocking(
        lambda conn: ticket_outbox.enqueue(conn, edit, tenant=uuid.uuid4(), user_id=uuid.uuid4())
    )
    cache.close()
    # What cache/database.py does with an outdated or corrupt cache: move it aside, start anew.
    shutil.move(path, tmp_path / "cache.sqlite3.old-20261203-140000")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    fresh = LocalCache(path)
    assert ticket_outbox.pending(fresh) == []
    assert ticket_outbox.recover_moved_aside(fresh) == 1
    (back,) = ticket_outbox.pending(fresh)
    assert (back.edit_id, back.value) == (str(edit.edit_id), "Written on the train")
    # Sent and pruned later, it never comes back from the old file: each file is read once.
    fresh.write_blocking(lambda conn: conn.exec_driver_sql("DELETE FROM ticket_outbox"))
    assert ticket_outbox.recover_moved_aside(fresh) == 0
    assert ticket_outbox.pending(fresh) == []
    fresh.close()
