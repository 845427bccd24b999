"""Saved filters: a name and a view's filter state, kept in the app's ui-state.ini.

A view takes part by offering `filter_state() -> dict` (or `current_filter()` returning a
dataclass) and `apply_filter(dict)`. The menu saves the current filter under a name, applies
a saved one and deletes one; the views put a "Saved filters" button in their filter bar and
the main window opens the same menu with Ctrl+Shift+F, so both mouse and keyboard reach it.
States are stored as JSON text (QSettings would turn nested values into platform types).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QToolButton, QWidget

log = logging.getLogger(__name__)

KEY_PREFIX = "saved_filters"
MENU_BUTTON_STYLE = "QToolButton::menu-indicator { image: none; width: 0px; }"
MAX_NAME = 60


def _plain(value: Any) -> Any:
    """JSON-safe: tuples and frozensets as sorted lists, dataclasses as dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class SavedFilterStore:
    def __init__(self, settings: QSettings, view_key: str) -> None:
        self.settings = settings
        self.view_key = view_key

    @property
    def _key(self) -> str:
        return f"{KEY_PREFIX}/{self.view_key}"

    def items(self) -> list[tuple[str, dict[str, Any]]]:
        raw = self.settings.value(self._key, "")
        if not raw:
            return []
        try:
            entries = json.loads(str(raw))
        except ValueError:
            log.warning("Saved filters for %s are unreadable; ignoring them", self.view_key)
            return []
        found = []
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("filter"), dict):
                found.append((str(entry.get("name") or "?"), entry["filter"]))
        return found

    def names(self) -> list[str]:
        return [name for name, _state in self.items()]

    def get(self, name: str) -> dict[str, Any] | None:
        return next((state for n, state in self.items() if n == name), None)

    def _write(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        self.settings.setValue(
            self._key, json.dumps([{"name": n, "filter": s} for n, s in items], sort_keys=True)
        )
        self.settings.sync()

    def save(self, name: str, state: dict[str, Any]) -> str:
        """Keep `state` under `name` (replacing one of that name); the name as stored."""
        name = " ".join(name.split())[:MAX_NAME]
        if not name:
            raise ValueError("A saved filter needs a name.")
        items = [(n, s) for n, s in self.items() if n != name]
        items.append((name, _plain(state)))
        items.sort(key=lambda item: item[0].casefold())
        self._write(items)
        return name

    def delete(self, name: str) -> bool:
        items = self.items()
        kept = [(n, s) for n, s in items if n != name]
        if len(kept) == len(items):
            return False
        self._write(kept)
        return True


def filter_state_of(view: Any) -> dict[str, Any] | None:
    """The view's filter as a plain dict, or None when the view has no filter to save."""
    state = getattr(view, "filter_state", None)
    if callable(state):
        return _plain(state())
    current = getattr(view, "current_filter", None)
    if callable(current):
        value = current()
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return _plain(value)
    return None


def supports_saved_filters(view: Any) -> bool:
    has_state = callable(getattr(view, "filter_state", None)) or callable(
        getattr(view, "current_filter", None)
    )
    return has_state and callable(getattr(view, "apply_filter", None))


def fill_menu(
    menu: QMenu,
    store: SavedFilterStore,
    get_state: Callable[[], dict[str, Any] | None],
    apply_state: Callable[[dict[str, Any]], Any],
    *,
    parent: QWidget,
    message: Callable[[str], Any] = lambda _text: None,
) -> None:
    """(Re)build `menu`: save the current filter, apply one, delete one."""
    menu.clear()
    save = menu.addAction("Save current filter…")
    save.triggered.connect(lambda _=False: ask_and_save(parent, store, get_state, message))
    menu.addSeparator()
    items = store.items()
    if not items:
        empty = menu.addAction("No saved filters yet")
        empty.setEnabled(False)
        return
    for name, state in items:
        action = menu.addAction(name)
        action.setToolTip(f"Apply the saved filter “{name}”")

        def apply(_checked: bool = False, n: str = name, s: dict[str, Any] = state) -> None:
            apply_state(dict(s))
            message(f"Filter “{n}” applied.")

        action.triggered.connect(apply)
    menu.addSeparator()
    delete = menu.addMenu("Delete saved filter")
    delete.setAccessibleName("Delete saved filter")
    for name, _state in items:
        action = delete.addAction(name)

        def remove(_checked: bool = False, n: str = name) -> None:
            store.delete(n)
            message(f"Saved filter “{n}” deleted.")

        action.triggered.connect(remove)


def ask_and_save(
    parent: QWidget,
    store: SavedFilterStore,
    get_state: Callable[[], dict[str, Any] | None],
    message: Callable[[str], Any] = lambda _text: None,
) -> QInputDialog:
    """Ask for a name (open(), never exec()) and save the filter as it is when OK is pressed."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle("Save filter")
    dialog.setLabelText("Name for the current filter:")
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setAccessibleName("Save filter")
    dialog.setOkButtonText("Save")

    def chosen(name: str) -> None:
        state = get_state()
        if state is None:
            message("This view has no filter to save.")
            return
        try:
            stored = store.save(name, state)
        except ValueError as exc:
            message(str(exc))
            return
        message(f"Filter saved as “{stored}”.")

    dialog.textValueSelected.connect(chosen)
    dialog.open()
    return dialog


class SavedFiltersButton(QToolButton):
    """ "Saved filters ▾" for a view's filter bar; its menu is rebuilt each time it opens."""

    def __init__(
        self,
        store: SavedFilterStore,
        get_state: Callable[[], dict[str, Any] | None],
        apply_state: Callable[[dict[str, Any]], Any],
        parent: QWidget | None = None,
        *,
        message: Callable[[str], Any] = lambda _text: None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.get_state = get_state
        self.apply_state = apply_state
        self.message = message
        self.setText("Saved filters ▾")
        self.setAccessibleName("Saved filters")
        self.setToolTip("Save the current filters under a name, apply or delete one (Ctrl+Shift+F)")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # The style's own arrow was drawn over the text; the ▾ in the text says it instead.
        self.setStyleSheet(MENU_BUTTON_STYLE)
        menu = QMenu(self)
        menu.setAccessibleName("Saved filters")
        menu.setToolTipsVisible(True)
        menu.aboutToShow.connect(self.rebuild)
        self.setMenu(menu)

    def rebuild(self) -> None:
        menu = self.menu()
        if menu is not None:
            fill_menu(menu, self.store, self.get_state, self.apply_state, parent=self.window(),
                      message=self.message)  # fmt: skip
