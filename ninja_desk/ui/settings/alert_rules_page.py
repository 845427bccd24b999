"""Alert rules: an ordered list (drag to reorder; first match wins) and the rule editor."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache.queries.clients import CLIENT_CHOICES_SQL, PSA_CLIENT_CHOICES_SQL
from ninja_desk.core.alert_rules import DEFAULT_STORM_WINDOW_MINUTES, DEFAULT_TITLE_TEMPLATE
from ninja_desk.core.node_class import NODE_CLASSES
from ninja_desk.psa.integration_settings import SEVERITIES
from ninja_desk.psa.permissions import CONFIGURE_ALERT_RULES
from ninja_desk.sync.rule_preview import (
    clean_conditions,
    clean_options,
    creates_ticket,
    preview_last_week,
)
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.formatting import node_class_text
from ninja_desk.ui.settings.alert_rules_service import RuleChoices, alert_rules_service
from ninja_desk.ui.settings.background import BusyPageMixin
from ninja_desk.ui.settings.common import hint, page_column
from ninja_desk.ui.settings.services import permission_reason

RULE_ROLE = Qt.ItemDataRole.UserRole
NEW_KEY = "new"
# The editor's fields, by the keys they write; any other key a rule holds is kept on save.
SHOWN_CONDITIONS = ("severities", "activityTypes", "sourceTypes", "organizationIds",
                    "messagePattern", "keywords")  # fmt: skip
SHOWN_ACTIONS = ("createTicket", "boardId", "priorityOverride", "assignToUserId",
                 "autoResolveTicket", "autoResolveStatusId", "resetAlertOnTicketClose")  # fmt: skip
SHOWN_OPTIONS = ("dry_run", "group_storms", "storm_window_minutes", "client_ids", "node_classes")


def rule_dict(rule: Any) -> dict[str, Any]:
    """psa.alert_rules.AlertRule (or a dict) as the plain dict the editor works on."""
    if isinstance(rule, dict):
        return dict(rule)
    return {
        "rule_id": rule.rule_id,
        "name": rule.name,
        "description": rule.description,
        "priority_order": rule.priority_order,
        "is_active": rule.is_active,
        "conditions": dict(rule.conditions or {}),
        "actions": dict(rule.actions or {}),
        "options": dict(rule.options or {}),
    }


def _csv(text: str, *, upper: bool = True) -> list[str]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return [p.upper() for p in parts] if upper else parts


def _set_combo(combo: QComboBox, value: Any, unknown: str) -> None:
    """Select the entry whose data is `value`; an id the tenant no longer lists stays, named."""
    value = "" if value is None else str(value)
    index = combo.findData(value)
    if index < 0:
        combo.addItem(f"{unknown} ({value[:8]}…)", value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def _fill_combo(combo: QComboBox, first: str, choices: list[tuple[str, str]]) -> None:
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(first, "")
    for value, label in choices:
        combo.addItem(label, value)
    combo.blockSignals(False)
    combo.setCurrentIndex(max(combo.findData(current), 0))


class _CheckList(QListWidget):
    """A short list of checkable choices (organizations, clients, device classes)."""

    def __init__(self, unknown: str = "{} (not in the cache)", parent: QWidget | None = None):
        super().__init__(parent)
        self.setMaximumHeight(110)
        self._unknown = unknown

    def set_choices(self, choices: list[tuple[Any, str]]) -> None:
        checked = set(self.checked())
        self.clear()
        for value, label in choices:
            self._add(value, label, value in checked)

    def _add(self, value: Any, label: str, checked: bool) -> None:
        item = QListWidgetItem(label)
        item.setData(RULE_ROLE, value)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.addItem(item)

    def checked(self) -> list[Any]:
        return [
            self.item(i).data(RULE_ROLE)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, values: list[Any]) -> None:
        """Check exactly `values`; one this list does not offer is added, so saving keeps it."""
        wanted = {str(v) for v in values}
        seen: set[str] = set()
        for i in range(self.count()):
            item = self.item(i)
            key = str(item.data(RULE_ROLE))
            seen.add(key)
            item.setCheckState(Qt.CheckState.Checked if key in wanted else Qt.CheckState.Unchecked)
        for value in values:
            if str(value) not in seen:
                seen.add(str(value))
                self._add(value, self._unknown.format(value), True)


class AlertRulesPage(BusyPageMixin, QWidget):
    clear_status_when_done = True
    title = "Alert rules"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service: Any = None
        self.rules: list[dict[str, Any]] = []
        self.choices = RuleChoices()
        self._editing: dict[str, Any] | None = None
        self._busy = False
        self._build()
        self.refresh()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout, self.note = page_column(
            self,
            "Rules run top to bottom; the first rule that matches an alert decides whether a "
            "ticket is made. Drag rules to change the order.",
        )
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.rules_list = QListWidget()
        self.rules_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.rules_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.rules_list.model().rowsMoved.connect(lambda *_: self._order_changed())
        self.rules_list.currentItemChanged.connect(lambda *_: self._rule_picked())
        left_layout.addWidget(self.rules_list, 1)
        list_buttons = QHBoxLayout()
        self.new_button = QPushButton("New rule")
        self.delete_button = QPushButton("Delete")
        self.new_button.clicked.connect(self.new_rule)
        self.delete_button.clicked.connect(self.delete_rule)
        list_buttons.addWidget(self.new_button)
        list_buttons.addWidget(self.delete_button)
        left_layout.addLayout(list_buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self._build_editor())
        splitter.setSizes([260, 640])
        layout.addWidget(splitter, 1)
        self.status_label = hint("")
        layout.addWidget(self.status_label)

    def _build_editor(self) -> QWidget:
        editor = QWidget()
        outer = QVBoxLayout(editor)
        head = QFormLayout()
        self.name_edit = QLineEdit(placeholderText="e.g. Critical server alerts")
        self.enabled_check = QCheckBox("Enabled")
        self.dry_run_check = QCheckBox("Dry run: record the decision, never create a ticket")
        head.addRow("Name", self.name_edit)
        head.addRow("", self.enabled_check)
        head.addRow("", self.dry_run_check)
        outer.addLayout(head)

        conditions = QGroupBox("When an alert matches all of (empty = any)")
        form = QFormLayout(conditions)
        severity_row = QHBoxLayout()
        self.severity_checks: dict[str, QCheckBox] = {}
        for name in SEVERITIES:  # Alga's words, most urgent first
            check = QCheckBox(name.title())
            self.severity_checks[name] = check
            severity_row.addWidget(check)
        severity_row.addStretch(1)
        form.addRow("Severity", severity_row)
        self.types_edit = QLineEdit(placeholderText="CONDITION, ANTIVIRUS, PATCH_MANAGEMENT …")
        self.sources_edit = QLineEdit(placeholderText="CONDITION_AGENT_CPU, AGENT_OFFLINE …")
        self.sources_edit.setToolTip("NinjaOne source types, comma separated; * is a wildcard.")
        self.orgs_list = _CheckList("Organization {} (not in the cache)")
        self.clients_list = _CheckList("Client {} (not in the cache)")
        self.classes_list = _CheckList()
        self.classes_list.set_choices([(c, node_class_text(c)) for c in NODE_CLASSES])
        self.clients_list.setToolTip(
            "A NinjaDesk condition (Alga's rules have none): Alga shows the rule without it."
        )
        self.classes_list.setToolTip(self.clients_list.toolTip())
        self.message_edit = QLineEdit(placeholderText="Regular expression, e.g. disk|volume")
        self.message_edit.setToolTip(
            "Searched in the alert message and condition name, ignoring case."
        )
        self.keywords_edit = QLineEdit(placeholderText="Any of these words, comma separated")
        form.addRow("Activity types", self.types_edit)
        form.addRow("Source types", self.sources_edit)
        lists = QHBoxLayout()
        for label, widget in (
            ("Organizations", self.orgs_list),
            ("PSA clients", self.clients_list),
            ("Device classes", self.classes_list),
        ):
            column = QVBoxLayout()
            column.addWidget(QLabel(label))
            column.addWidget(widget)
            lists.addLayout(column)
        form.addRow(lists)
        form.addRow("Message pattern", self.message_edit)
        form.addRow("Keywords", self.keywords_edit)
        outer.addWidget(conditions)

        action = QGroupBox("Then")
        action_form = QFormLayout(action)
        self.action_combo = QComboBox()
        self.action_combo.addItem("Create a ticket", "create_ticket")
        self.action_combo.addItem("Suppress (no ticket)", "suppress")
        self.action_combo.currentIndexChanged.connect(self._action_changed)
        # The tenant's own boards, priorities, statuses and users, by their own names.
        self.priority_combo = QComboBox()
        self.board_combo = QComboBox()
        self.board_combo.currentIndexChanged.connect(self._board_changed)
        self.assignee_combo = QComboBox()
        self.resolve_status_combo = QComboBox()
        self._fill_choices()
        self.title_edit = QLineEdit(placeholderText=DEFAULT_TITLE_TEMPLATE)
        self.title_edit.setToolTip(
            "Placeholders: {{condition}} {{device}} {{severity}} {{message}} {{activity}} "
            "{{source_type}} (Alga's spelling; {device} works too)"
        )
        self.auto_resolve_check = QCheckBox("Resolve the ticket when the alert resets, with")
        resolve = QHBoxLayout()
        resolve.addWidget(self.auto_resolve_check)
        resolve.addWidget(self.resolve_status_combo, 1)
        self.auto_resolve_check.toggled.connect(lambda _on: self._action_changed())
        self.reset_on_close_check = QCheckBox("Closing the ticket resets the alert in NinjaOne")
        self.storms_check = QCheckBox("Group alert storms into one ticket, within")
        self.storm_spin = QSpinBox(minimum=1, maximum=1440, suffix=" min")
        self.storm_spin.setMaximumWidth(100)
        self.storms_check.toggled.connect(
            lambda on: self.storm_spin.setEnabled(on and self.storms_check.isEnabled())
        )
        storms = QHBoxLayout()
        storms.addWidget(self.storms_check)
        storms.addWidget(self.storm_spin)
        storms.addStretch(1)
        action_form.addRow("Action", self.action_combo)
        action_form.addRow("Board", self.board_combo)
        action_form.addRow("Priority", self.priority_combo)
        action_form.addRow("Assignee", self.assignee_combo)
        action_form.addRow("Title", self.title_edit)
        action_form.addRow("", resolve)
        action_form.addRow("", self.reset_on_close_check)
        action_form.addRow("", storms)
        self._ticket_fields = (
            self.priority_combo,
            self.board_combo,
            self.assignee_combo,
            self.title_edit,
            self.auto_resolve_check,
            self.resolve_status_combo,
            self.reset_on_close_check,
            self.storms_check,
            self.storm_spin,
        )
        outer.addWidget(action)

        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save rule")
        self.revert_button = QPushButton("Revert")
        self.test_button = QPushButton("Test against last 7 days")
        self.save_button.clicked.connect(self.save_rule)
        self.revert_button.clicked.connect(self._rule_picked)
        self.test_button.clicked.connect(self.test_rule)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.revert_button)
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        outer.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidget(editor)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Save, test and the preview stay in view however long the rule is.
        pane = QWidget()
        pane_layout = QVBoxLayout(pane)
        pane_layout.setContentsMargins(0, 0, 0, 0)
        pane_layout.addWidget(scroll, 1)
        pane_layout.addLayout(buttons)
        pane_layout.addWidget(self.preview_label)
        return pane

    # -- loading --------------------------------------------------------------------------

    def read_only_reason(self) -> str | None:
        if isinstance(self.service, str):
            return self.service
        return permission_reason(self.ctx, CONFIGURE_ALERT_RULES)

    def refresh(self) -> None:
        self.orgs_list.set_choices(
            [(str(r["id"]), r["name"]) for r in self.ctx.cache.rows(CLIENT_CHOICES_SQL)]
        )
        self.clients_list.set_choices(
            [(r["id"], r["name"]) for r in self.ctx.cache.rows(PSA_CLIENT_CHOICES_SQL)]
        )
        self.service = alert_rules_service(self.ctx)
        self.note.set_reason(self.read_only_reason())
        if isinstance(self.service, str):
            self._set_rules([])
            return
        service = self.service

        def load() -> Any:
            choices = service.choices() if hasattr(service, "choices") else RuleChoices()
            return choices, service.list()

        def loaded(result: Any) -> None:
            self.choices, rules = result
            self._fill_choices()
            self._set_rules([rule_dict(r) for r in rules])

        self._run("Loading rules…", load, loaded)

    def _fill_choices(self) -> None:
        c = self.choices
        default = dict(c.boards).get(c.default_board or "")
        _fill_combo(
            self.board_combo,
            f"The integration's board ({default})" if default else "The integration's board",
            c.boards,
        )
        _fill_combo(self.priority_combo, "From the alert's severity", c.priorities)
        _fill_combo(self.assignee_combo, "Unassigned", c.users)
        self._board_changed()

    def _board_changed(self) -> None:
        board = self.board_combo.currentData() or self.choices.default_board or ""
        _fill_combo(
            self.resolve_status_combo,
            "the board's closed status",
            self.choices.closed_statuses.get(board, []),
        )

    def _set_rules(self, rules: list[dict[str, Any]], select: Any = None) -> None:
        keep = select if select is not None else (self._editing or {}).get("rule_id")
        self.rules = sorted(rules, key=lambda r: (r.get("priority_order", 0), r["name"]))
        self.rules_list.blockSignals(True)
        self.rules_list.clear()
        for rule in self.rules:
            self.rules_list.addItem(self._item_for(rule))
        self.rules_list.blockSignals(False)
        row = next((i for i, r in enumerate(self.rules) if r.get("rule_id") == keep), 0)
        if self.rules:
            self.rules_list.setCurrentRow(row)
        self._rule_picked()
        if not self.rules and not isinstance(self.service, str):
            self.status_label.setText("No rules yet: no alert becomes a ticket. Add one.")

    @staticmethod
    def _item_for(rule: dict[str, Any]) -> QListWidgetItem:
        flags = []
        if not rule.get("is_active", True):
            flags.append("off")
        if (rule.get("options") or {}).get("dry_run"):
            flags.append("dry run")
        if not creates_ticket(rule):
            flags.append("suppress")
        text = rule["name"] + (f"  ({', '.join(flags)})" if flags else "")
        item = QListWidgetItem(text)
        item.setData(RULE_ROLE, rule.get("rule_id") or NEW_KEY)
        return item

    # -- editor ---------------------------------------------------------------------------

    def current_rule(self) -> dict[str, Any] | None:
        item = self.rules_list.currentItem()
        if item is None:
            return None
        key = item.data(RULE_ROLE)
        return next((r for r in self.rules if (r.get("rule_id") or NEW_KEY) == key), None)

    def _rule_picked(self) -> None:
        rule = self.current_rule()
        self._editing = rule
        rule = rule or {"name": "", "is_active": True}
        c = rule.get("conditions") or {}
        a = rule.get("actions") or {}
        o = rule.get("options") or {}
        self.name_edit.setText(rule.get("name", ""))
        self.enabled_check.setChecked(bool(rule.get("is_active", True)))
        self.dry_run_check.setChecked(bool(o.get("dry_run", False)))
        wanted = {str(x).lower() for x in c.get("severities") or ()}
        for name, check in self.severity_checks.items():
            check.setChecked(name in wanted)
        self.types_edit.setText(", ".join(c.get("activityTypes") or ()))
        self.sources_edit.setText(", ".join(c.get("sourceTypes") or ()))
        self.orgs_list.set_checked([str(x) for x in c.get("organizationIds") or ()])
        self.clients_list.set_checked(list(o.get("client_ids") or ()))
        self.classes_list.set_checked(list(o.get("node_classes") or ()))
        self.message_edit.setText(str(c.get("messagePattern") or ""))
        self.keywords_edit.setText(", ".join(c.get("keywords") or ()))
        self.action_combo.setCurrentIndex(0 if a.get("createTicket", True) else 1)
        _set_combo(self.board_combo, a.get("boardId"), "Board not in this tenant")
        self._board_changed()
        _set_combo(self.priority_combo, a.get("priorityOverride"), "Priority not in this tenant")
        _set_combo(self.assignee_combo, a.get("assignToUserId"), "User not in this tenant")
        _set_combo(
            self.resolve_status_combo, a.get("autoResolveStatusId"), "Status not on this board"
        )
        self.title_edit.setText(str((a.get("ticketTemplate") or {}).get("titleTemplate") or ""))
        # Alga's defaults for keys a rule leaves out (psa.alert_rules.to_core reads them so).
        self.auto_resolve_check.setChecked(bool(a.get("autoResolveTicket", True)))
        self.reset_on_close_check.setChecked(bool(a.get("resetAlertOnTicketClose", True)))
        self.storms_check.setChecked(bool(o.get("group_storms", False)))
        self.storm_spin.setValue(int(o.get("storm_window_minutes") or DEFAULT_STORM_WINDOW_MINUTES))
        self.preview_label.setText("")
        self._update_actions()

    def _action_changed(self) -> None:
        ticket = self.action_combo.currentData() == "create_ticket"
        editable = ticket and self.read_only_reason() is None and not self._busy
        for widget in self._ticket_fields:
            widget.setEnabled(editable and self._editing is not None)
        if editable:
            self.resolve_status_combo.setEnabled(
                self.auto_resolve_check.isChecked() and self._editing is not None
            )
            self.storm_spin.setEnabled(self.storms_check.isChecked() and self._editing is not None)

    def editor_values(self) -> dict[str, Any]:
        """The rule as the editor shows it: Alga's conditions and actions plus NinjaDesk's
        options. Keys the editor does not show (alertClasses, notifyUserIds, a description
        template, ...) are kept as the rule had them."""
        editing = self._editing or {}
        conditions = {
            k: v for k, v in (editing.get("conditions") or {}).items() if k not in SHOWN_CONDITIONS
        }
        conditions.update(
            severities=[n for n, c in self.severity_checks.items() if c.isChecked()],
            activityTypes=_csv(self.types_edit.text()),
            sourceTypes=_csv(self.sources_edit.text()),
            organizationIds=[str(x) for x in self.orgs_list.checked()],
            messagePattern=self.message_edit.text(),
            keywords=_csv(self.keywords_edit.text(), upper=False),
        )
        actions = dict(editing.get("actions") or {})
        ticket = self.action_combo.currentData() == "create_ticket"
        actions["createTicket"] = ticket
        if ticket:  # a suppressing rule keeps its ticket settings for when it is turned back
            for key, combo in (
                ("boardId", self.board_combo),
                ("priorityOverride", self.priority_combo),
                ("assignToUserId", self.assignee_combo),
                ("autoResolveStatusId", self.resolve_status_combo),
            ):
                if combo.currentData():
                    actions[key] = combo.currentData()
                else:
                    actions.pop(key, None)
            if not self.auto_resolve_check.isChecked():
                actions.pop("autoResolveStatusId", None)
            actions["autoResolveTicket"] = self.auto_resolve_check.isChecked()
            actions["resetAlertOnTicketClose"] = self.reset_on_close_check.isChecked()
            template = dict(actions.get("ticketTemplate") or {})
            title = self.title_edit.text().strip()
            if title:
                template["titleTemplate"] = title
            else:
                template.pop("titleTemplate", None)
            if template:
                actions["ticketTemplate"] = template
            else:
                actions.pop("ticketTemplate", None)
        options = {
            k: v for k, v in (editing.get("options") or {}).items() if k not in SHOWN_OPTIONS
        }
        options.update(
            dry_run=self.dry_run_check.isChecked(),
            group_storms=self.storms_check.isChecked(),
            client_ids=self.clients_list.checked(),
            node_classes=self.classes_list.checked(),
        )
        if self.storms_check.isChecked():
            options["storm_window_minutes"] = self.storm_spin.value()
        return {
            "name": self.name_edit.text().strip(),
            "is_active": self.enabled_check.isChecked(),
            "conditions": clean_conditions(conditions),
            "actions": actions,
            "options": clean_options(options),
        }

    def _update_actions(self) -> None:
        reason = self.read_only_reason()
        if self._busy:
            reason = reason or "Working…"
        editable = reason is None
        has_rule = self._editing is not None
        for widget in (
            self.name_edit,
            self.enabled_check,
            self.dry_run_check,
            self.types_edit,
            self.sources_edit,
            self.orgs_list,
            self.clients_list,
            self.classes_list,
            self.message_edit,
            self.keywords_edit,
            self.action_combo,
            *self.severity_checks.values(),
        ):
            widget.setEnabled(editable and has_rule)
        self._action_changed()
        self.save_button.setEnabled(editable and has_rule)
        self.revert_button.setEnabled(editable and has_rule)
        self.delete_button.setEnabled(editable and has_rule)
        self.new_button.setEnabled(editable)
        self.rules_list.setDragEnabled(editable)
        self.test_button.setEnabled(not self._busy and has_rule)
        for button in (self.save_button, self.delete_button, self.new_button):
            button.setToolTip(reason or "")

    # -- actions --------------------------------------------------------------------------

    def new_rule(self) -> None:
        if self.read_only_reason() or any(r.get("rule_id") is None for r in self.rules):
            return
        draft = {
            "rule_id": None,
            "name": "New rule",
            "priority_order": (max((r["priority_order"] for r in self.rules), default=0) + 10),
            "is_active": True,
            "conditions": {"severities": ["critical"]},
            "actions": {
                "createTicket": True,
                "autoResolveTicket": True,
                "resetAlertOnTicketClose": True,
            },
            # a new rule starts safe: it records decisions, makes no tickets
            "options": {
                "dry_run": True,
                "group_storms": True,
                "storm_window_minutes": DEFAULT_STORM_WINDOW_MINUTES,
            },
        }
        self.rules.append(draft)
        self.rules_list.addItem(self._item_for(draft))
        self.rules_list.setCurrentRow(self.rules_list.count() - 1)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def save_rule(self) -> None:
        rule = self._editing
        if rule is None or self.read_only_reason():
            return
        values = self.editor_values()
        if not values["name"]:
            self.status_label.setText("Give the rule a name.")
            return
        clash = [r for r in self.rules if r is not rule and r["name"] == values["name"]]
        if clash:
            self.status_label.setText(f"Another rule is already called “{values['name']}”.")
            return
        service = self.service
        if rule.get("rule_id") is None:
            order = rule["priority_order"]

            def write() -> Any:
                new_id = service.create(values.pop("name"), priority_order=order, **values)
                return new_id, service.list()

        else:
            rule_id = rule["rule_id"]

            def write() -> Any:
                service.update(rule_id, **values)
                return rule_id, service.list()

        def saved(result: Any) -> None:
            rule_id, rules = result
            self._set_rules([rule_dict(r) for r in rules], select=rule_id)
            self.status_label.setText("Rule saved.")

        self._run("Saving the rule…", write, saved)

    def delete_rule(self) -> None:
        rule = self._editing
        if rule is None or self.read_only_reason():
            return
        if rule.get("rule_id") is None:
            self._set_rules([r for r in self.rules if r is not rule])
            return
        service, rule_id = self.service, rule["rule_id"]

        def write() -> Any:
            service.delete(rule_id)
            return service.list()

        def deleted(rules: Any) -> None:
            self._editing = None
            self._set_rules([rule_dict(r) for r in rules])
            self.status_label.setText(f"Deleted “{rule['name']}”.")

        self._run("Deleting…", write, deleted)

    def move_rule(self, from_row: int, to_row: int) -> None:
        """What a drag and drop does; also for keyboard users and tests."""
        item = self.rules_list.takeItem(from_row)
        self.rules_list.insertItem(to_row, item)
        self.rules_list.setCurrentItem(item)
        self._order_changed()

    def _order_changed(self) -> None:
        keys = [self.rules_list.item(i).data(RULE_ROLE) for i in range(self.rules_list.count())]
        by_key = {(r.get("rule_id") or NEW_KEY): r for r in self.rules}
        self.rules = [by_key[k] for k in keys if k in by_key]
        for position, rule in enumerate(self.rules):
            rule["priority_order"] = (position + 1) * 10
        saved_ids = [r["rule_id"] for r in self.rules if r.get("rule_id") is not None]
        if self.read_only_reason() or not saved_ids:
            return
        service = self.service

        def write() -> Any:
            service.reorder(saved_ids)
            return service.list()

        def done(rules: Any) -> None:
            drafts = [r for r in self.rules if r.get("rule_id") is None]
            self._set_rules([rule_dict(r) for r in rules] + drafts)
            self.status_label.setText("Order saved: rules now run top to bottom as listed.")

        self._run("Saving the order…", write, done)

    def test_rule(self) -> None:
        """Replay the last 7 days of cached alerts through the rules, with this rule edited."""
        if self._editing is None:
            return
        edited = {**self._editing, **self.editor_values()}
        key = str(edited.get("rule_id") or NEW_KEY)
        rules = [
            (str(r.get("rule_id") or NEW_KEY), edited if r is self._editing else r)
            for r in self.rules
        ]
        service, cache = self.service, self.ctx.cache
        wants_clients = any((r.get("options") or {}).get("client_ids") for _k, r in rules)

        def run() -> Any:
            client_of_org = None
            if wants_clients and hasattr(service, "client_of_org"):
                client_of_org = service.client_of_org()
            return preview_last_week(cache, rules, client_of_org)

        def shown(result: Any) -> None:
            self.last_preview = result
            text = result.sentence(key, edited)
            examples = result.examples.get(key) or []
            if examples:
                text += "\nFor example: " + "; ".join(examples[:3])
            self.preview_label.setText(text)

        self._run("Replaying the last 7 days…", run, shown)
