"""Device actions attached to the views with one line each (the views stay small).

    # devices table: context menu, an "Actions" button in its top bar, Ctrl+Shift+A / +R
    self.device_actions = TableActions(self, self.table, top_row)
    # device page: an "Actions" button and the last action's outcome on a line under its
    # action row, a Fields tab (NinjaOne custom fields)
    self.device_actions = DetailActions(self, actions_row, self.tabs)
    self.device_actions.set_device(device)     # whenever the page shows another device

Outcomes reach every page showing the device through `action_events` (one QObject), so a bulk
action started on the table updates the open device page as each job ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTabWidget,
    QWidget,
)

from ninja_desk.cache.queries.devices import names as device_names_in_cache
from ninja_desk.sync.device_action_service import ActionRequest, Device
from ninja_desk.ui.a11y import named
from ninja_desk.ui.device_actions import (
    CustomFieldsPanel,
    action_menu,
    fill_action_menu,
    last_action_text,
    service_for,
    start_device_action,
)

MENU_SHORTCUT = "Ctrl+Shift+A"
REBOOT_SHORTCUT = "Ctrl+Shift+R"


class _ActionEvents(QObject):
    device_updated = Signal(int, str)  # device id, its state in words
    finished = Signal(object)  # the BulkOutcome (None when the action failed as a whole)


action_events = _ActionEvents()


def run_action(parent: QWidget, ctx: Any, request: ActionRequest, devices: Sequence[Device]) -> Any:
    """Ask, then run; every page hears the progress through `action_events`."""
    return start_device_action(
        parent,
        service_for(ctx),
        request,
        devices,
        on_outcome=action_events.finished.emit,
        on_device=action_events.device_updated.emit,
    )


def device_names(ctx: Any, device_ids: Sequence[int]) -> list[Device]:
    """The devices in the order given, named as the cache names them."""
    ids = [int(d) for d in device_ids]
    names = device_names_in_cache(ctx.cache, ids)
    return [Device(d, names.get(d) or f"device {d}") for d in ids]


def _shortcut(owner: QWidget, text: str, keys: str, slot: Callable[[], Any]) -> QAction:
    """A shortcut of the window `owner` is in, acting only while `owner` is on screen (the
    shell shows one view at a time)."""
    action = QAction(text, owner)
    action.setShortcut(QKeySequence(keys))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda _checked=False: slot() if owner.isVisible() else None)
    owner.addAction(action)
    return action


class TableActions(QObject):
    """Bulk actions on a devices table's selection."""

    def __init__(self, view: Any, table: QAbstractItemView, bar: QBoxLayout | None = None) -> None:
        super().__init__(view)
        self.view = view
        self.table = table
        self.button = named(
            QPushButton("Actions", view),
            "Device actions",
            f"Reboot, run a script, patch… on the selected devices ({MENU_SHORTCUT})",
        )
        self.button.setMenu(QMenu(self.button))
        self.button.menu().aboutToShow.connect(self._fill_button_menu)
        if bar is not None:
            bar.addWidget(self.button)
        else:
            self.button.hide()
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        self.menu_action = _shortcut(view, "Device actions…", MENU_SHORTCUT, self.show_menu)
        self.reboot_action = _shortcut(
            view, "Reboot selected devices…", REBOOT_SHORTCUT, self.reboot_selection
        )
        table.selectionModel().selectionChanged.connect(self.update_enabled)
        self.last_menu: QMenu | None = None
        self.last_dialog: Any = None  # the last question asked (tests, the bench)
        self.update_enabled()

    def selected(self) -> list[Device]:
        return device_names(self.view.ctx, self.view.selected_ids())

    def update_enabled(self, *_args: Any) -> None:
        self.button.setEnabled(bool(self.view.selected_ids()))

    def menu(self, parent: QWidget) -> QMenu:
        service = service_for(self.view.ctx)
        menu = action_menu(parent, self.pick, service=service)
        count = len(self.view.selected_ids())
        menu.setTitle(f"Device actions ({count} selected)")
        return menu

    def _fill_button_menu(self) -> None:
        fill_action_menu(self.button.menu(), self.pick, service=service_for(self.view.ctx))

    def _context_menu(self, pos: QPoint) -> None:
        if not self.view.selected_ids():
            return
        if self.last_menu is not None:
            self.last_menu.deleteLater()
        self.last_menu = self.menu(self.table)
        self.last_menu.popup(self.table.viewport().mapToGlobal(pos))

    def show_menu(self) -> None:
        """The keyboard way in: the menu at the current row."""
        if not self.view.selected_ids():
            return
        rect = self.table.visualRect(self.table.currentIndex())
        self._context_menu(rect.center() if rect.isValid() else QPoint(8, 8))

    def reboot_selection(self) -> None:
        self.pick(ActionRequest("reboot"))  # nothing when nothing is selected

    def pick(self, request: ActionRequest) -> Any:
        devices = self.selected()
        if not devices:
            return None
        self.last_dialog = run_action(self.view.window(), self.view.ctx, request, devices)
        return self.last_dialog


def _place_below(row: QBoxLayout, button: QWidget, label: QWidget) -> None:
    """`button` and `label` on a line of their own under `row` (in the layout holding it), so
    the page gets no wider than it was."""
    line = QHBoxLayout()
    line.addWidget(button)
    line.addWidget(label, 1)
    outer = row.parent()
    if isinstance(outer, QBoxLayout):
        outer.insertLayout(outer.indexOf(row) + 1, line)
    else:
        row.addLayout(line)


class DetailActions(QObject):
    """One device's page: its actions, its last action's outcome and its custom fields (a
    tab named "Fields": a longer name makes the tab bar scroll at 1024 px)."""

    def __init__(
        self, page: Any, row: QBoxLayout | None = None, tabs: QTabWidget | None = None
    ) -> None:
        super().__init__(page)
        self.page = page
        self.device: Device | None = None
        self.button = named(
            QPushButton("Actions", page),
            "Device actions",
            "Reboot, run a script, patch this device",
        )
        self.button.setMenu(QMenu(self.button))
        self.button.menu().aboutToShow.connect(self._fill_menu)
        self.last_action = QLabel(page)
        self.last_action.setWordWrap(True)
        named(self.last_action, "Last device action", tip=False)
        self.fields = CustomFieldsPanel(lambda: service_for(page.ctx), page)
        if row is not None:
            _place_below(row, self.button, self.last_action)
        else:
            self.button.hide()
            self.last_action.hide()
        if tabs is not None:
            tabs.addTab(self.fields, "Fields")
            tabs.setTabToolTip(tabs.count() - 1, "NinjaOne custom fields")
        action_events.device_updated.connect(self._device_updated)
        action_events.finished.connect(self._finished)
        self.set_device(None)

    def set_device(self, device: Any) -> None:
        """`device` is the page's device row (a mapping with id and name) or None."""
        if device is None:
            self.device = None
        else:
            self.device = Device(int(device["id"]), str(device.get("name") or device["id"]))
        self.button.setEnabled(self.device is not None)
        self._show_last()
        self.fields.set_device(self.device)

    def _show_last(self) -> None:
        text = last_action_text(self.page.ctx.cache, self.device.id) if self.device else None
        self.last_action.setText(f"Last action: {text}" if text else "")

    def _fill_menu(self) -> None:
        fill_action_menu(self.button.menu(), self.pick, service=service_for(self.page.ctx))

    def pick(self, request: ActionRequest) -> Any:
        if self.device is None:
            return None
        return run_action(self.page.window(), self.page.ctx, request, [self.device])

    def _device_updated(self, device_id: int, status: str) -> None:
        if self.device is not None and device_id == self.device.id:
            self.last_action.setText(f"Action under way: {status}")

    def _finished(self, _outcome: Any) -> None:
        self._show_last()
