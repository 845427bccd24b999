"""The ticket view as a place to work: description and thread, a note (internal or public),
status / priority / assignee from Alga's own choices, all sent off the UI thread; offline
changes shown as waiting, sent when Alga is back, and a conflict shown with its sentence and
the choice to apply one's change anyway. Against a real PSA (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtWidgets import QApplication

from ninja_desk.cache.ticket_outbox import QueuedEdit
from ninja_desk.psa import ticket_edits as te
from ninja_desk.psa import tickets
from ninja_desk.psa.permissions import ALL_PERMISSIONS, VIEW_PERMISSIONS
from ninja_desk.psa.schema import comments, ticket_audit_logs
from ninja_desk.psa.schema import tickets as tickets_t
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_user
from ninja_desk.sync import alert_mirror
from ninja_desk.sync.desktop_runtime import DesktopPsa
from ninja_desk.sync.ticket_edit_service import NO_PSA
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.tickets.overlay import plain_description, with_pending
from ninja_desk.ui.tickets.work_panel import NO_RIGHT
from ninja_desk.ui.views.tickets_view import TicketsView
from tests.alerts.seed import add_asset, add_client
from tests.psa.conftest import (  # noqa: F401
    PsaEnv,
    pg_server,
    pg_server_url,
    psa,
    sqlite_template,
)
from tests.ui.alerts_tickets_sample_data import make_ctx

WAIT = 15_000


@dataclass
class Desk:
    env: PsaEnv
    ctx: AppContext
    tech: uuid.UUID
    boss: uuid.UUID
    ticket: tickets.Ticket
    up: DesktopPsa
    down: DesktopPsa
    views: list[TicketsView]

    def row(self):  # type: ignore[no-untyped-def]
        with self.env.psa.tenant_session(self.env.tenant) as s:
            return s.conn.execute(
                sa.select(tickets_t).where(
                    tickets_t.c.tenant == self.env.tenant,
                    tickets_t.c.ticket_id == self.ticket.ticket_id,
                )
            ).one()


def _status_name(desk: Desk) -> str | None:
    with desk.env.psa.tenant_session(desk.env.tenant) as s:
        return tickets.get_ticket(s, desk.ticket.ticket_id).status


@pytest.fixture
def desk(psa: PsaEnv, tmp_path: Path) -> Iterator[Desk]:  # noqa: F811
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        tech = create_user(s, "tech.tina", ["Technician"], first_name="Tina", last_name="Tech")
        boss = create_user(s, "disp.dan", ["Dispatcher"], first_name="Dan", last_name="Boss")
        client = add_client(s, "Acme Dental")
        asset = add_asset(s, client, 3, 1)
        ticket = tickets.create_ticket(
            s,
            client_id=client,
            title="Backup failed on ACME-PC03",
            description="The nightly backup job failed twice.",
            asset_ids=[asset],
        )
    if psa.backend == "sqlite":
        gone = PsaDatabase(f"sqlite:///{tmp_path / 'gone' / 'psa.sqlite3'}")
    else:
        url = sa.make_url(psa.psa.url).set(port=9).render_as_string(hide_password=False)
        gone = PsaDatabase(url, connect_args={"connect_timeout": 2})
    up = DesktopPsa(psa.psa, psa.tenant, tech, uuid.uuid4(), "Tina Tech")
    down = DesktopPsa(gone, psa.tenant, tech, uuid.uuid4(), "Tina Tech")
    ctx = make_ctx(tmp_path, psa=up, permissions=ALL_PERMISSIONS)
    rows = alert_mirror.ticket_rows(psa.psa, psa.tenant, [ticket.ticket_id])
    ctx.cache.write_blocking(lambda conn: alert_mirror.apply(conn, [], rows))
    desk = Desk(psa, ctx, tech, boss, ticket, up, down, [])
    yield desk
    for view in desk.views:  # no read or send may outlive the databases
        view.work.stop()  # the periodic send would start a new one after the settle
        _settle(view)
    ctx.cache.close()
    gone.dispose()


def _settle(view: TicketsView) -> None:
    deadline = time.monotonic() + WAIT / 1000
    while not view.work.idle() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert view.work.idle(), "a ticket read or send is still running"


def _open(qtbot, desk: Desk) -> TicketsView:  # type: ignore[no-untyped-def]
    view = TicketsView(desk.ctx)
    qtbot.addWidget(view)
    desk.views.append(view)
    view.resize(1280, 780)
    view.show()
    assert view.select_ticket(str(desk.ticket.ticket_id))
    qtbot.waitUntil(lambda: view.work.combos[te.STATUS].count() == 4, timeout=WAIT)
    return view


def _choose(view: TicketsView, kind: str, text: str) -> None:
    combo = view.work.combos[kind]
    index = combo.findText(text)
    assert index >= 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def _pending_texts(view: TicketsView) -> list[str]:
    lst = view.work.pending_list
    return [lst.item(i).text() for i in range(lst.count())]


def _comment_texts(view: TicketsView) -> list[str]:
    lst = view.work.comments_list
    return [lst.item(i).text() for i in range(lst.count())]


def test_work_a_ticket_with_alga_s_choices(qtbot, desk: Desk) -> None:
    view = _open(qtbot, desk)
    work = view.work
    assert "nightly backup job failed" in work.description.toPlainText()
    statuses = [work.combos[te.STATUS].itemText(i) for i in range(4)]
    assert statuses == ["New", "In Progress", "Waiting on Client", "Closed"]
    assert work.combos[te.STATUS].currentText() == "New"
    assert work.combos[te.PRIORITY].currentText() == "P3 - Medium"
    assignees = [
        work.combos[te.ASSIGNEE].itemText(i) for i in range(work.combos[te.ASSIGNEE].count())
    ]
    assert assignees[0] == "Unassigned" and {"Tina Tech", "Dan Boss"} <= set(assignees)
    assert _comment_texts(view) == ["No comments yet."]
    # The linked device comes with its live state from the cache.
    assert view.devices_list.count() == 1 and "online" in view.devices_list.item(0).text()

    _choose(view, te.STATUS, "In Progress")
    qtbot.waitUntil(lambda: _status_name(desk) == "In Progress", timeout=WAIT)
    qtbot.waitUntil(lambda: not work._busy, timeout=WAIT)
    assert desk.row().updated_by == desk.tech
    assert view.fields["status"].text() == "In Progress"  # the list row was refreshed

    work.public_radio.setChecked(True)
    work.composer.setPlainText("We are replacing the backup disk today.")
    assert work.add_comment_button.isEnabled()
    work.add_comment_button.click()
    qtbot.waitUntil(
        lambda: any("replacing the backup disk" in t for t in _comment_texts(view)), timeout=WAIT
    )
    qtbot.waitUntil(lambda: not work._busy, timeout=WAIT)
    with desk.env.psa.tenant_session(desk.env.tenant) as s:
        (row,) = s.conn.execute(
            sa.select(comments.c.is_internal, comments.c.user_id).where(
                comments.c.tenant == desk.env.tenant,
                comments.c.ticket_id == desk.ticket.ticket_id,
            )
        ).all()
    assert (row.is_internal, row.user_id) == (False, desk.tech)
    assert "Tina Tech · Public comment" in _comment_texts(view)[-1]
    assert work.composer.toPlainText() == "" and not work.pending_box.isVisible()

    _choose(view, te.ASSIGNEE, "Tina Tech")
    _choose(view, te.STATUS, "Closed")
    qtbot.waitUntil(lambda: desk.row().is_closed, timeout=WAIT)
    assert desk.row().assigned_to == desk.tech and desk.row().closed_by == desk.tech


def test_offline_changes_wait_then_go_and_a_conflict_is_shown(qtbot, desk: Desk) -> None:
    view = _open(qtbot, desk)
    work = view.work
    desk.ctx.psa = desk.down  # Alga's database goes away
    _choose(view, te.PRIORITY, "P1 - Critical")
    qtbot.waitUntil(lambda: len(_pending_texts(view)) == 1 and not work._busy, timeout=WAIT)
    assert "not reachable" in work.notice_label.text()
    assert "1 change to this ticket is waiting to be sent to Alga." in work.notice_label.text()
    assert _pending_texts(view) == ["Priority of TIC000001 → P1 - Critical — waiting to be sent"]
    assert work.combos[te.PRIORITY].currentText() == "P1 - Critical"  # shown as it will be
    work.composer.setPlainText("Disk ordered.")
    work.add_comment_button.click()
    qtbot.waitUntil(lambda: len(_pending_texts(view)) == 2 and not work._busy, timeout=WAIT)
    assert "waiting to be sent\nDisk ordered." in _comment_texts(view)[-1]
    _choose(view, te.ASSIGNEE, "Tina Tech")
    qtbot.waitUntil(lambda: len(_pending_texts(view)) == 3 and not work._busy, timeout=WAIT)

    # Meanwhile Dan assigns the ticket to himself in Alga.
    with desk.env.psa.tenant_session(desk.env.tenant, desk.boss) as s:
        assert te.apply_edit(
            s, te.TicketEdit(desk.ticket.ticket_id, te.ASSIGNEE, str(desk.boss), None)
        ).done

    desk.ctx.psa = desk.up  # back
    work.send_pending()
    qtbot.waitUntil(lambda: len(_pending_texts(view)) == 1 and not work._sending, timeout=WAIT)
    assert desk.row().priority_id is not None
    assert work.combos[te.PRIORITY].currentText() == "P1 - Critical"
    (conflict,) = _pending_texts(view)
    assert conflict.startswith("Assignee of TIC000001 → Tina Tech — conflict\n")
    assert "Dan Boss changed the assignee to “Dan Boss” (it was “Unassigned”" in conflict
    assert desk.row().assigned_to == desk.boss  # not overwritten
    assert work.combos[te.ASSIGNEE].currentText() == "Dan Boss"
    assert work.redo_button.isEnabled() and work.redo_button.text() == "Apply mine anyway"
    work.redo_button.click()
    qtbot.waitUntil(lambda: desk.row().assigned_to == desk.tech, timeout=WAIT)
    qtbot.waitUntil(lambda: _pending_texts(view) == [] and not work._busy, timeout=WAIT)
    assert not work.pending_box.isVisible()


def test_who_may_not_change_is_told_why(qtbot, desk: Desk) -> None:
    desk.ctx.permissions = VIEW_PERMISSIONS
    view = _open(qtbot, desk)
    work = view.work
    assert work.notice_label.text() == NO_RIGHT
    assert not work.combos[te.STATUS].isVisible()
    assert work.value_labels[te.STATUS].text() == "New"
    work.composer.setPlainText("hello")
    assert not work.add_comment_button.isEnabled() and not work.composer.isEnabled()

    desk.ctx.psa = None
    view.select_ticket(str(desk.ticket.ticket_id))
    assert NO_PSA in work.notice_label.text()


def test_pending_edits_are_shown_on_top_of_alga_s_ticket() -> None:
    detail = tickets.TicketDetail(
        ticket_id="t1", ticket_number="TIC1", title="x", description=None, client_id="c",
        client_name=None, board_id="b", board=None, status_id="s1", status="New",
        is_closed=False, priority_id="p1", priority="Low", assigned_to=None, assignee=None,
        entered_at=None, updated_at=None, updated_by=None, closed_at=None,
        statuses=[("s1", "New", False), ("s2", "Done", True)], priorities=[("p1", "Low")],
        assignees=[("u1", "Tina Tech")],
    )  # fmt: skip

    def queued(kind: str, value: str | None, state: str = "pending", **kw) -> QueuedEdit:  # type: ignore[no-untyped-def]
        row = dict.fromkeys(QueuedEdit.__slots__)
        row.update(seq=1, edit_id=f"e-{kind}", tenant="t", user_id="u1", ticket_id="t1",
                   kind=kind, value=value, is_internal=True, is_resolution=False,
                   close_anyway=False, made_at=0.0, state=state, attempts=0,
                   can_override=False, **kw)  # fmt: skip
        return QueuedEdit(**row)

    shown, pending = with_pending(
        detail,
        [
            queued("status", "s2"),
            queued("assignee", "u1"),
            queued("comment", "On my way"),
            queued("priority", "p9", state="conflict"),  # set aside: not shown as done
        ],
    )
    assert (shown.status, shown.is_closed, shown.assignee) == ("Done", True, "Tina Tech")
    assert shown.priority == "Low" and detail.status == "New"  # the original is untouched
    assert [c.body for c in shown.comments] == ["On my way"] and pending == {"e-comment"}
    blocks = '[{"type": "paragraph", "content": [{"type": "text", "text": "Disk full"}]},'
    blocks += ' {"type": "paragraph", "content": []}]'
    assert plain_description(blocks) == "Disk full"
    assert plain_description("plain [text]") == "plain [text]"


def test_close_rules_are_explained_and_a_dispatcher_may_close_anyway(qtbot, desk: Desk) -> None:
    engine = desk.env.psa.engine
    json_type = "jsonb" if desk.env.backend == "postgres" else "text"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE board_close_rules (tenant uuid NOT NULL, board_id uuid NOT NULL, "
            "require_resolution_comment boolean NOT NULL DEFAULT false, require_time_entry "
            "boolean NOT NULL DEFAULT false, require_checklist_complete boolean NOT NULL DEFAULT "
            "false, require_no_open_children boolean NOT NULL DEFAULT false, required_fields "
            f"{json_type} NOT NULL DEFAULT '[]', is_enabled boolean NOT NULL DEFAULT true, "
            "PRIMARY KEY (tenant, board_id))"
        )
        conn.execute(
            sa.text(
                "INSERT INTO board_close_rules (tenant, board_id, require_resolution_comment) "
                "VALUES (:t, :b, :yes)"
            ).bindparams(
                sa.bindparam("t", type_=sa.Uuid()),
                sa.bindparam("b", type_=sa.Uuid()),
                sa.bindparam("yes", type_=sa.Boolean()),
            ),
            {"t": desk.env.tenant, "b": desk.ticket.board_id, "yes": True},
        )
    view: TicketsView | None = None
    try:
        desk.ctx.psa = DesktopPsa(desk.env.psa, desk.env.tenant, desk.boss, uuid.uuid4(), "Dan")
        view = _open(qtbot, desk)
        work = view.work
        _choose(view, te.STATUS, "Closed")
        qtbot.waitUntil(lambda: len(_pending_texts(view)) == 1 and work.idle(), timeout=WAIT)
        (refused,) = _pending_texts(view)
        assert refused.startswith("Status of TIC000001 → Closed — not accepted by Alga\n")
        assert "a resolution comment is required before closing" in refused
        assert work.combos[te.STATUS].currentText() == "New"  # Alga's value, not the refused one
        assert work.redo_button.text() == "Close anyway" and work.redo_button.isEnabled()
        work.redo_button.click()
        qtbot.waitUntil(lambda: desk.row().is_closed, timeout=WAIT)
        qtbot.waitUntil(lambda: _pending_texts(view) == [] and work.idle(), timeout=WAIT)
        with desk.env.psa.tenant_session(desk.env.tenant) as s:
            kinds = list(
                s.conn.scalars(
                    sa.select(ticket_audit_logs.c.event_type).where(
                        ticket_audit_logs.c.tenant == desk.env.tenant,
                        ticket_audit_logs.c.ticket_id == desk.ticket.ticket_id,
                    )
                )
            )
        assert "TICKET_CLOSE_RULES_OVERRIDDEN" in kinds and "TICKET_CLOSED" in kinds
    finally:
        if view is not None:
            _settle(view)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE board_close_rules")
