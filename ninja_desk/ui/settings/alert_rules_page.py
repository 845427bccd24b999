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

from ninja_desk.core.alert_rules import DEFAULT_STORM_WINDOW_MINUTES, DEFAULT_TITLE_TEMPLATE
from ninja_desk.core.node_class import NODE_CLASS_TO_ASSET_TYPE
from ninja_desk.core.severity import SEVERITIES
from ninja_desk.psa.permissions import CONFIGURE_ALERT_RULES
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.formatting import node_class_text
from ninja_desk.ui.settings.alert_rules_service import alert_rules_service
from ninja_desk.ui.settings.background import BusyPageMixin
from ninja_desk.ui.settings.common import ReadOnlyNote, hint
from ninja_desk.ui.settings.rule_preview import clean_conditions, preview_last_week
from ninja_desk.ui.settings.services import permission_reason

RULE_ROLE = Qt.ItemDataRole.UserRole
PRIORITIES = (
    ("from_severity", "From the alert's severity"),
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("urgent", "Urgent"),
)
NEW_KEY = "new"


def rule_dict(rule: Any) -> dict[str, Any]:
    """psa.alert_rules.AlertRule (or a dict) as the plain dict the editor works on."""
    if isinstance(rule, dict):
        return dict(rule)
    return {
        "rule_id": rule.rule_id,
        "name": rule.name,
        "priority_order": rule.priority_order,
        "is_enabled": rule.is_enabled,
        "dry_run": rule.dry_run,
        "conditions": dict(rule.conditions or {}),
        "action": dict(rule.action or {}),
    }


def _csv(text: str) -> list[str]:
    return [part.strip().upper() for part in text.split(",") if part.strip()]


class _CheckList(QListWidget):
    """A short list of checkable choices (organizations, clients, device classes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMaximumHeight(110)

    def set_choices(self, choices: list[tuple[Any, str]]) -> None:
        checked = set(self.checked())
        self.clear()
        for value, label in choices:
            item = QListWidgetItem(label)
            item.setData(RULE_ROLE, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if value in checked else Qt.CheckState.Unchecked
            )
            self.addItem(item)

    def checked(self) -> list[Any]:
        return [
            self.item(i).data(RULE_ROLE)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, values: list[Any]) -> None:
        wanted = {str(v) for v in values}
        for i in range(self.count()):
            item = self.item(i)
            state = str(item.data(RULE_ROLE)) in wanted
            item.setCheckState(Qt.CheckState.Checked if state else Qt.CheckState.Unchecked)


class AlertRulesPage(BusyPageMixin, QWidget):
    clear_status_when_done = True
    title = "Alert rules"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service: Any = None
        self.rules: list[dict[str, Any]] = []
        self._editing: dict[str, Any] | None = None
        self._busy = False
        self._build()
        self.refresh()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.note = ReadOnlyNote()
        layout.addWidget(self.note)
        layout.addWidget(
            hint(
                "Rules run top to bottom; the first rule that matches an alert decides whether "
                "a ticket is made. Drag rules to change the order."
            )
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
        for name in reversed(SEVERITIES):
            check = QCheckBox(name.title())
            self.severity_checks[name] = check
            severity_row.addWidget(check)
        severity_row.addStretch(1)
        form.addRow("Severity", severity_row)
        self.types_edit = QLineEdit(placeholderText="CONDITION, ANTIVIRUS, PATCH_MANAGEMENT …")
        self.codes_edit = QLineEdit(placeholderText="Status codes, comma separated")
        self.orgs_list = _CheckList()
        self.clients_list = _CheckList()
        self.classes_list = _CheckList()
        self.classes_list.set_choices([(c, node_class_text(c)) for c in NODE_CLASS_TO_ASSET_TYPE])
        self.message_edit = QLineEdit(placeholderText="Text the message contains")
        form.addRow("Activity types", self.types_edit)
        form.addRow("Status codes", self.codes_edit)
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
        form.addRow("Message", self.message_edit)
        outer.addWidget(conditions)

        action = QGroupBox("Then")
        action_form = QFormLayout(action)
        self.action_combo = QComboBox()
        self.action_combo.addItem("Create a ticket", "create_ticket")
        self.action_combo.addItem("Suppress (no ticket)", "suppress")
        self.action_combo.currentIndexChanged.connect(self._action_changed)
        self.priority_combo = QComboBox()
        for key, label in PRIORITIES:
            self.priority_combo.addItem(label, key)
        self.board_edit = QLineEdit(placeholderText="Default board")
        self.assignee_edit = QLineEdit(placeholderText="Unassigned")
        self.title_edit = QLineEdit(placeholderText=DEFAULT_TITLE_TEMPLATE)
        self.title_edit.setToolTip(
            "Placeholders: {condition} {device} {severity} {message} {activity} {source_type}"
        )
        self.auto_resolve_check = QCheckBox("Resolve the ticket when the alert resets")
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
        action_form.addRow("Priority", self.priority_combo)
        action_form.addRow("Board", self.board_edit)
        action_form.addRow("Assignee", self.assignee_edit)
        action_form.addRow("Title", self.title_edit)
        action_form.addRow("", self.auto_resolve_check)
        action_form.addRow("", self.reset_on_close_check)
        action_form.addRow("", storms)
        self._ticket_fields = (
            self.priority_combo,
            self.board_edit,
            self.assignee_edit,
            self.title_edit,
            self.auto_resolve_check,
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
            [
                (r["id"], r["name"])
                for r in self.ctx.cache.rows(
                    "SELECT id, name FROM organizations WHERE deleted = 0"
                    " ORDER BY name COLLATE NOCASE"
                )
            ]
        )
        self.clients_list.set_choices(
            [
                (r["id"], r["name"])
                for r in self.ctx.cache.rows(
                    "SELECT id, name FROM psa_clients ORDER BY name COLLATE NOCASE"
                )
            ]
        )
        self.service = alert_rules_service(self.ctx)
        self.note.set_reason(self.read_only_reason())
        if isinstance(self.service, str):
            self._set_rules([])
            return
        self._run(
            "Loading rules…",
            self.service.list,
            lambda rules: self._set_rules([rule_dict(r) for r in rules]),
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
        if not rule.get("is_enabled", True):
            flags.append("off")
        if rule.get("dry_run"):
            flags.append("dry run")
        if (rule.get("action") or {}).get("type") == "suppress":
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
        rule = rule or {"name": "", "is_enabled": True, "conditions": {}, "action": {}}
        c, a = rule.get("conditions") or {}, rule.get("action") or {}
        self.name_edit.setText(rule.get("name", ""))
        self.enabled_check.setChecked(bool(rule.get("is_enabled", True)))
        self.dry_run_check.setChecked(bool(rule.get("dry_run", False)))
        wanted = {s.upper() for s in c.get("severities") or ()}
        for name, check in self.severity_checks.items():
            check.setChecked(name in wanted)
        self.types_edit.setText(", ".join(c.get("activity_types") or ()))
        self.codes_edit.setText(", ".join(c.get("status_codes") or ()))
        self.orgs_list.set_checked(list(c.get("organization_ids") or ()))
        self.clients_list.set_checked(list(c.get("client_ids") or ()))
        self.classes_list.set_checked(list(c.get("node_classes") or ()))
        self.message_edit.setText(c.get("message_contains") or "")
        self.action_combo.setCurrentIndex(
            max(self.action_combo.findData(a.get("type", "create_ticket")), 0)
        )
        self.priority_combo.setCurrentIndex(
            max(self.priority_combo.findData(a.get("priority", "from_severity")), 0)
        )
        self.board_edit.setText(a.get("board") or "")
        self.assignee_edit.setText(a.get("assignee") or "")
        self.title_edit.setText(a.get("title_template") or "")
        self.auto_resolve_check.setChecked(bool(a.get("auto_resolve", True)))
        self.reset_on_close_check.setChecked(bool(a.get("reset_on_close", False)))
        self.storms_check.setChecked(bool(a.get("group_storms", True)))
        self.storm_spin.setValue(int(a.get("storm_window_minutes") or DEFAULT_STORM_WINDOW_MINUTES))
        self.preview_label.setText("")
        self._update_actions()

    def _action_changed(self) -> None:
        ticket = self.action_combo.currentData() == "create_ticket"
        for widget in self._ticket_fields:
            widget.setEnabled(ticket and self.read_only_reason() is None)

    def editor_values(self) -> dict[str, Any]:
        """The rule as the editor shows it (conditions cleaned of empty entries)."""
        # Keys the editor does not show (priority_map, ...) survive an edit.
        kept = dict((self._editing or {}).get("action") or {})
        for key in (
            "type",
            "priority",
            "board",
            "assignee",
            "title_template",
            "auto_resolve",
            "reset_on_close",
            "group_storms",
            "storm_window_minutes",
        ):
            kept.pop(key, None)
        action: dict[str, Any] = {**kept, "type": self.action_combo.currentData()}
        if action["type"] == "create_ticket":
            action["auto_resolve"] = self.auto_resolve_check.isChecked()
            action["reset_on_close"] = self.reset_on_close_check.isChecked()
            action["group_storms"] = self.storms_check.isChecked()
            if self.storms_check.isChecked():
                action["storm_window_minutes"] = self.storm_spin.value()
            action["priority"] = self.priority_combo.currentData()
            for key, edit in (
                ("board", self.board_edit),
                ("assignee", self.assignee_edit),
                ("title_template", self.title_edit),
            ):
                if edit.text().strip():
                    action[key] = edit.text().strip()
        conditions = clean_conditions(
            {
                "severities": [n for n, c in self.severity_checks.items() if c.isChecked()],
                "activity_types": _csv(self.types_edit.text()),
                "status_codes": _csv(self.codes_edit.text()),
                "organization_ids": self.orgs_list.checked(),
                "client_ids": self.clients_list.checked(),
                "node_classes": self.classes_list.checked(),
                "message_contains": self.message_edit.text(),
            }
        )
        return {
            "name": self.name_edit.text().strip(),
            "is_enabled": self.enabled_check.isChecked(),
            "dry_run": self.dry_run_check.isChecked(),
            "conditions": conditions,
            "action": action,
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
            self.codes_edit,
            self.orgs_list,
            self.clients_list,
            self.classes_list,
            self.message_edit,
            self.action_combo,
            *self.severity_checks.values(),
        ):
            widget.setEnabled(editable and has_rule)
        self._action_changed()
        for widget in self._ticket_fields:
            widget.setEnabled(widget.isEnabled() and has_rule)
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
            "is_enabled": True,
            "dry_run": True,  # a new rule starts safe: it records decisions, makes no tickets
            "conditions": {"severities": ["CRITICAL"]},
            "action": {"type": "create_ticket", "priority": "from_severity"},
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

        def run() -> Any:
            client_of_org = None
            if edited["conditions"].get("client_ids") and hasattr(service, "client_of_org"):
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
