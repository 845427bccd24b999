"""Working a ticket: its description and thread, a note (internal or public), its status, priority
and assignee, and the technician's changes that are not in Alga yet.

Every change goes through the offline queue (sync/ticket_edit_service.py) on a worker thread:
sent at once when Alga's database answers, kept on this computer otherwise and shown here as
waiting; a change someone else made meanwhile comes back as a conflict with one sentence and
the choice to discard it or apply it anyway. Nothing here blocks the UI thread on the PSA.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache import ticket_outbox
from ninja_desk.cache.ticket_outbox import QueuedEdit
from ninja_desk.psa import ticket_edits as te
from ninja_desk.psa.permissions import ASSIGN_TICKETS
from ninja_desk.psa.tickets import TicketDetail
from ninja_desk.sync.ticket_edit_service import (
    NO_PSA,
    READ_ONLY,
    SendReport,
    TicketEditService,
)
from ninja_desk.ui.settings.background import error_sentence, run_job
from ninja_desk.ui.tickets.overlay import plain_description, when, with_pending
from ninja_desk.ui.widgets.flow_layout import flow_row
from ninja_desk.ui.widgets.quiet_focus import set_enabled_quietly

EDIT_ROLE = Qt.ItemDataRole.UserRole
NO_RIGHT = (
    "You do not have the right to change tickets (Alga right ticket:update); ask an Alga admin "
    "to grant it to one of your roles."
)
NOT_OPENED = (
    "This ticket was never opened here while Alga's database was reachable, so its statuses "
    "and thread are not on this computer yet; it can be changed once Alga answers."
)
SEND_INTERVAL_MS = 30_000


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class TicketWork(QWidget):
    """The editable part of the ticket view. `show_ticket(row)` with a cache row (or None)."""

    message = Signal(str)
    changed = Signal()  # edits reached Alga: the ticket list may show new values
    detail_loaded = Signal(object)  # the TicketDetail now shown (links for the view)

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = TicketEditService(ctx.cache, lambda: ctx.psa)
        self._row: dict[str, Any] | None = None
        self._detail: TicketDetail | None = None  # Alga's, as last read (live or cached)
        self._shown: TicketDetail | None = None  # with the pending edits on top
        self._pending_comments: set[str] = set()
        self._offline: str | None = None
        self._loading = 0  # a token: a load answered for another ticket is dropped
        self._reading = False
        self._queued_by_id: dict[str, QueuedEdit] = {}
        self._busy = False
        self._sending = False
        self._build()
        self._timer = QTimer(self, interval=SEND_INTERVAL_MS)
        self._timer.timeout.connect(self.send_pending)
        self._timer.start()
        self.show_ticket(None)

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.notice_label = QLabel()
        self.notice_label.setWordWrap(True)
        self.notice_label.setObjectName("ticketNotice")
        layout.addWidget(self.notice_label)

        self.pending_box = QGroupBox("Not in Alga yet")
        pending_layout = QVBoxLayout(self.pending_box)
        self.pending_list = QListWidget()
        self.pending_list.setWordWrap(True)
        # Rows wrap to the narrow pane instead of scrolling sideways.
        self.pending_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.pending_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pending_list.setAccessibleName("Changes not in Alga yet")
        self.pending_list.setMaximumHeight(110)
        self.pending_list.currentItemChanged.connect(lambda *_: self._update_actions())
        pending_layout.addWidget(self.pending_list)
        self.send_button = QPushButton("Send now")
        self.send_button.clicked.connect(self.send_pending)
        self.redo_button = QPushButton("Apply mine anyway")
        self.redo_button.clicked.connect(self._redo_selected)
        self.discard_button = QPushButton("Discard")
        self.discard_button.clicked.connect(self._discard_selected)
        # Wraps in a narrow pane (the ticket table comes first) instead of widening it.
        pending_layout.addWidget(
            flow_row(self.send_button, self.redo_button, self.discard_button, parent=self)
        )
        layout.addWidget(self.pending_box)

        form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        self.value_labels: dict[str, QLabel] = {}
        self._stacks: dict[str, QStackedWidget] = {}
        for kind, label in ((te.STATUS, "Status"), (te.PRIORITY, "Priority"),
                            (te.ASSIGNEE, "Assignee")):  # fmt: skip
            stack = QStackedWidget()
            value = QLabel("—")
            value.setWordWrap(True)
            combo = QComboBox()
            combo.setAccessibleName(label)
            combo.activated.connect(lambda _i, k=kind: self._field_chosen(k))
            stack.addWidget(value)
            stack.addWidget(combo)
            stack.setSizePolicy(combo.sizePolicy())
            self.combos[kind], self.value_labels[kind], self._stacks[kind] = combo, value, stack
            form.addRow(label, stack)
        layout.addLayout(form)

        self.description = QTextBrowser()
        self.description.setAccessibleName("Description")
        self.description.setMaximumHeight(90)
        self.description.setPlaceholderText("No description.")
        layout.addWidget(QLabel("Description"))
        layout.addWidget(self.description)

        thread = QGroupBox("Comments")
        thread_layout = QVBoxLayout(thread)
        self.comments_list = QListWidget()
        self.comments_list.setWordWrap(True)
        # Rows wrap to the narrow pane instead of scrolling sideways.
        self.comments_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.comments_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.comments_list.setSpacing(3)
        self.comments_list.setMinimumHeight(160)
        self.comments_list.setMaximumHeight(260)
        self.comments_list.setAccessibleName("Comments")
        self.comments_list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        thread_layout.addWidget(self.comments_list, 1)
        self.composer = QPlainTextEdit()
        self.composer.setPlaceholderText("Write a note…")
        self.composer.setAccessibleName("New comment")
        self.composer.setMaximumHeight(70)
        self.composer.textChanged.connect(self._update_actions)
        thread_layout.addWidget(self.composer)
        self.internal_radio = QRadioButton("Internal note")
        self.public_radio = QRadioButton("Public comment")
        self.internal_radio.setChecked(True)
        self.internal_radio.setToolTip("Only MSP staff see it.")
        self.public_radio.setToolTip("The client sees it in Alga's portal and e-mails.")
        group = QButtonGroup(self)
        group.addButton(self.internal_radio)
        group.addButton(self.public_radio)
        self.resolution_box = QCheckBox("Resolution")
        self.resolution_box.setToolTip("Marks the note as the ticket's resolution.")
        self.add_comment_button = QPushButton("Add")
        self.add_comment_button.clicked.connect(self._add_comment)
        thread_layout.addWidget(
            flow_row(
                self.internal_radio,
                self.public_radio,
                self.resolution_box,
                self.add_comment_button,
                parent=self,
            )
        )
        layout.addWidget(thread)

    # -- what the view calls ----------------------------------------------------------------------

    def show_ticket(self, row: dict[str, Any] | None) -> None:
        same = row is not None and self._row is not None and row.get("id") == self._row.get("id")
        self._row = row
        if not same:
            self._detail = self._shown = None
            self._offline = None
            self.composer.clear()  # a draft never lands on another ticket
        if row is None:
            self._render()
            return
        cached = ticket_outbox.load_detail(self.ctx.cache, str(row["id"]))
        if cached is not None and self._detail is None:
            self._detail = TicketDetail.from_json(cached[0])
        self._render()
        self._load()

    def stop(self) -> None:
        """Send no more queued edits (the PSA this panel talks to is going away); what is in
        flight finishes, `idle()` says when."""
        self._timer.stop()

    def idle(self) -> bool:
        """No read or send of this panel is in flight."""
        return not (self._reading or self._busy or self._sending)

    def ticket_id(self) -> str | None:
        return None if self._row is None else str(self._row["id"])

    def shown(self) -> TicketDetail | None:
        return self._shown

    def edit_reason(self) -> str | None:
        """Why this ticket cannot be changed here now (one sentence), or None."""
        if self._row is None:
            return "Select a ticket."
        psa = self.ctx.psa
        if psa is None:
            return NO_PSA
        if getattr(psa, "user_id", None) is None:
            return READ_ONLY
        if ASSIGN_TICKETS not in self.ctx.permissions:  # Alga's ticket:update
            return NO_RIGHT
        if self._detail is None:
            return NOT_OPENED
        return None

    # -- loading ----------------------------------------------------------------------------------

    def _load(self) -> None:
        ticket_id = self.ticket_id()
        if ticket_id is None or self.ctx.psa is None or not _is_uuid(ticket_id):
            return
        self._loading += 1
        token = self._loading
        service = self.service
        self._reading = True

        def done(answer: tuple[TicketDetail | None, str | None]) -> None:
            if token != self._loading:
                return  # a newer read is on its way
            self._reading = False
            if ticket_id != self.ticket_id():
                return
            detail, offline = answer
            if detail is not None:
                self._detail = detail
            self._offline = offline
            self._render()

        def failed(exc: BaseException) -> None:
            if token != self._loading:
                return
            self._reading = False
            if ticket_id == self.ticket_id():
                self._offline = f"The ticket could not be read from Alga: {error_sentence(exc)}"
                self._render()

        run_job(self, lambda: service.load_detail_blocking(ticket_id), done, failed)

    # -- showing ----------------------------------------------------------------------------------

    def _queued(self) -> list[QueuedEdit]:
        ticket_id = self.ticket_id()
        return [] if ticket_id is None else ticket_outbox.unsent(self.ctx.cache, ticket_id)

    def _render(self) -> None:
        queued = self._queued()
        self._queued_by_id = {q.edit_id: q for q in queued}
        if self._detail is not None:
            self._shown, self._pending_comments = with_pending(self._detail, queued)
        else:
            self._shown, self._pending_comments = None, set()
        shown, row = self._shown, self._row or {}
        editable = self.edit_reason() is None
        for kind, column, label_of in (
            (te.STATUS, "status_id", "status"),
            (te.PRIORITY, "priority_id", "priority"),
            (te.ASSIGNEE, "assigned_to", "assignee"),
        ):
            combo, value = self.combos[kind], self.value_labels[kind]
            combo.blockSignals(True)
            combo.clear()
            if shown is not None:
                choices: list[tuple[str | None, str]]
                if kind == te.STATUS:
                    choices = [(i, n) for i, n, _ in shown.statuses]
                elif kind == te.PRIORITY:
                    choices = list(shown.priorities)
                else:
                    choices = [(None, "Unassigned"), *shown.assignees]
                current = getattr(shown, column)
                if current is not None and current not in {i for i, _ in choices}:
                    choices.append((current, getattr(shown, label_of) or "(not offered)"))
                for key, name in choices:
                    combo.addItem(name, key)
                combo.setCurrentIndex(max(0, combo.findData(current)))
                text = getattr(shown, label_of) or ("Unassigned" if kind == te.ASSIGNEE else "—")
            elif kind == te.ASSIGNEE:
                text = "—"
            else:
                text = str(row.get(label_of) or "—")
            combo.blockSignals(False)
            value.setText(text)
            self._stacks[kind].setCurrentIndex(1 if editable and shown is not None else 0)
            set_enabled_quietly(combo, editable and not self._busy)
        self.description.setPlainText(plain_description(shown.description if shown else None))
        self._render_comments()
        self._render_pending(queued)
        self._render_notice(queued)
        self._update_actions()
        if shown is not None:
            self.detail_loaded.emit(shown)

    def _render_comments(self) -> None:
        self.comments_list.clear()
        shown = self._shown
        if shown is None:
            item = QListWidgetItem(
                "Comments appear once the ticket has been read from Alga."
                if self._row is not None
                else ""
            )
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            if self._row is not None:
                self.comments_list.addItem(item)
            return
        light = self.comments_list.palette().base().color().lightness() > 128
        if not shown.comments:
            empty = QListWidgetItem("No comments yet.")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.comments_list.addItem(empty)
        for c in shown.comments:
            kind = "Internal note" if c.is_internal else "Public comment"
            if c.is_system:
                kind = "System note"
            if c.is_resolution:
                kind += " · resolution"
            pending = c.comment_id in self._pending_comments
            stamp = "waiting to be sent" if pending else when(c.created_at)
            indent = "    ↳ " if c.parent_comment_id else ""
            item = QListWidgetItem(f"{indent}{c.author} · {kind} · {stamp}\n{indent}{c.body}")
            item.setData(EDIT_ROLE, c.comment_id)
            if pending:
                font = QFont(item.font())
                font.setItalic(True)
                item.setFont(font)
            if c.is_internal:  # tinted, as Alga shows internal notes
                item.setBackground(QColor(255, 246, 220) if light else QColor(66, 58, 36))
            item.setToolTip(c.body)
            self.comments_list.addItem(item)
        self.comments_list.scrollToBottom()

    def _render_pending(self, queued: list[QueuedEdit]) -> None:
        keep = self._selected_edit()
        self.pending_list.clear()
        for q in queued:
            state = {
                ticket_outbox.PENDING: "waiting to be sent",
                ticket_outbox.CONFLICT: "conflict",
                ticket_outbox.REFUSED: "not accepted by Alga",
            }[q.state]
            text = f"{q.describe()} — {state}"
            if q.message:
                text += f"\n{q.message}"
            item = QListWidgetItem(text)
            item.setData(EDIT_ROLE, q.edit_id)
            item.setToolTip(q.message or q.last_error or "")
            self.pending_list.addItem(item)
            if q.edit_id == keep:
                self.pending_list.setCurrentItem(item)
        if self.pending_list.currentItem() is None and self.pending_list.count():
            self.pending_list.setCurrentRow(0)
        self.pending_box.setVisible(bool(queued))

    def _render_notice(self, queued: list[QueuedEdit]) -> None:
        if self._row is None:
            self.notice_label.setText("")
            self.notice_label.setVisible(False)
            return
        waiting = sum(1 for q in queued if q.state == ticket_outbox.PENDING)
        aside = len(queued) - waiting
        parts = []
        if self._busy:
            parts.append("Saving…")
        if self._offline:
            parts.append(self._offline)
        if waiting:
            many = waiting > 1
            parts.append(
                f"{waiting} change{'s' if many else ''} to this ticket "
                f"{'are' if many else 'is'} waiting to be sent to Alga."
            )
        if aside:
            parts.append(
                f"{aside} change{'s' if aside > 1 else ''} could not be applied; see below."
            )
        reason = self.edit_reason()
        if reason == NOT_OPENED:
            parts.append("Reading the ticket from Alga…" if self._reading else reason)
        elif reason is not None and reason not in parts:
            parts.append(reason)
        self.notice_label.setText(" ".join(parts))
        self.notice_label.setVisible(bool(parts))

    def _selected_edit(self) -> str | None:
        item = self.pending_list.currentItem()
        return None if item is None else str(item.data(EDIT_ROLE))

    def _update_actions(self) -> None:
        editable = self.edit_reason() is None and not self._busy
        has_text = bool(self.composer.toPlainText().strip())
        for widget in (self.composer, self.internal_radio, self.public_radio, self.resolution_box):
            set_enabled_quietly(widget, self.edit_reason() is None)
        set_enabled_quietly(self.add_comment_button, editable and has_text)
        self.add_comment_button.setToolTip(self.edit_reason() or "Add the note to the ticket")
        selected = self._selected_edit()
        queued = self._queued_by_id.get(selected) if selected else None
        set_enabled_quietly(self.discard_button, queued is not None and not self._busy)
        redo = queued is not None and (
            queued.state == ticket_outbox.CONFLICT
            or (queued.state == ticket_outbox.REFUSED and queued.can_override)
        )
        self.redo_button.setText(
            "Close anyway"
            if queued is not None and queued.state == ticket_outbox.REFUSED
            else "Apply mine anyway"
        )
        set_enabled_quietly(self.redo_button, redo and editable)
        set_enabled_quietly(self.send_button, not self._sending and self.ctx.psa is not None)

    # -- changing ---------------------------------------------------------------------------------

    def _field_chosen(self, kind: str) -> None:
        shown = self._shown
        if shown is None or self.edit_reason() is not None:
            return
        combo = self.combos[kind]
        value = combo.currentData()
        column = te.FIELD_OF[kind]
        seen = getattr(shown, column)
        if value == seen:
            return
        label_attr = {te.STATUS: "status", te.PRIORITY: "priority", te.ASSIGNEE: "assignee"}[kind]
        edit = te.TicketEdit(
            uuid.UUID(shown.ticket_id),
            kind,
            None if value is None else str(value),
            None if seen is None else str(seen),
        )
        self._submit(
            edit,
            value_label=combo.currentText(),
            expected_label=getattr(shown, label_attr) or ("Unassigned" if seen is None else None),
        )

    def _add_comment(self) -> None:
        shown = self._shown
        text = self.composer.toPlainText().strip()
        if shown is None or not text or self.edit_reason() is not None:
            return
        edit = te.TicketEdit(
            uuid.UUID(shown.ticket_id),
            te.COMMENT,
            text,
            is_internal=self.internal_radio.isChecked(),
            is_resolution=self.resolution_box.isChecked(),
        )
        self._submit(edit, clear_composer=True)

    def _submit(
        self,
        edit: te.TicketEdit,
        *,
        value_label: str | None = None,
        expected_label: str | None = None,
        discard: str | None = None,
        clear_composer: bool = False,
    ) -> None:
        service = self.service
        number = self._shown.ticket_number if self._shown else None

        def work() -> SendReport:
            service.queue_blocking(
                edit,
                ticket_number=number,
                value_label=value_label,
                expected_label=expected_label,
            )
            if discard is not None:
                service.cache.write_blocking(ticket_outbox.discard, discard)
            return service.send_pending_blocking()

        if clear_composer:
            self.composer.clear()
            self.resolution_box.setChecked(False)
        self._busy = True
        self._render()
        run_job(self, work, lambda report: self._sent(report, str(edit.edit_id)), self._failed)

    def send_pending(self) -> None:
        """Send what is queued (the timer, "Send now"); quiet when nothing waits."""
        if self._sending or self._busy or self.ctx.psa is None:
            return
        if not ticket_outbox.counts(self.ctx.cache).get(ticket_outbox.PENDING):
            return
        self._sending = True
        self._update_actions()
        service = self.service
        run_job(self, service.send_pending_blocking, self._sent, self._failed)

    def _sent(self, report: SendReport, edit_id: str | None = None) -> None:
        self._busy = self._sending = False
        self._offline = report.offline
        mine = report.outcomes.get(edit_id) if edit_id else None
        if report.sent:
            cached = self.ticket_id() and ticket_outbox.load_detail(
                self.ctx.cache, self.ticket_id() or ""
            )
            if cached:
                self._detail = TicketDetail.from_json(cached[0])
            self.changed.emit()
        if mine is not None and not mine.done and mine.message:
            self.message.emit(mine.message)
        elif edit_id is not None and report.offline:
            self.message.emit("Saved on this computer; it goes to Alga when it is reachable.")
        self._render()

    def _failed(self, exc: BaseException) -> None:
        self._busy = self._sending = False
        self._offline = error_sentence(exc)
        self._render()

    def _discard_selected(self) -> None:
        edit_id = self._selected_edit()
        if edit_id is None:
            return
        cache = self.ctx.cache
        run_job(
            self,
            lambda: cache.write_blocking(ticket_outbox.discard, edit_id),
            lambda _done: self._render(),
            self._failed,
        )

    def _redo_selected(self) -> None:
        edit_id = self._selected_edit()
        queued = self._queued_by_id.get(edit_id) if edit_id else None
        if queued is None or queued.state == ticket_outbox.PENDING:
            return
        if queued.state == ticket_outbox.CONFLICT:
            # Mine over theirs, knowingly: compared against what Alga holds now.
            edit = te.TicketEdit(
                uuid.UUID(queued.ticket_id), queued.kind, queued.value, queued.current_value
            )
            expected_label = queued.current_label
        elif queued.can_override:
            edit = te.TicketEdit(
                uuid.UUID(queued.ticket_id),
                queued.kind,
                queued.value,
                queued.expected,
                close_anyway=True,
                reason="Closed anyway from NinjaDesk",
            )
            expected_label = queued.expected_label
        else:
            return
        self._submit(
            edit, value_label=queued.value_label, expected_label=expected_label, discard=edit_id
        )
