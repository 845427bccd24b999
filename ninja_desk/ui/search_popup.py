"""The Ctrl+K results list: a frame under the search box, keyboard first.

Down/Up move through the results while the caret stays in the search box; Enter opens the
current result (the first when none is chosen); Escape closes the list.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ninja_desk.cache.queries.search import SearchHit, search_cache
from ninja_desk.cache.store import LocalCache
from ninja_desk.ui.widgets.search_line import SearchLineEdit

_KIND_TITLES = {"device": "Device", "client": "Client", "alert": "Alert", "ticket": "Ticket"}


class SearchPopup(QFrame):
    hit_activated = Signal(object)  # SearchHit

    def __init__(self, cache: LocalCache, line: SearchLineEdit, host: QWidget) -> None:
        super().__init__(host)
        self.cache = cache
        self.line = line
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setAccessibleName("Search results")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Search results list")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setStyleSheet("QListWidget::item { padding: 4px 6px; }")
        self.list.itemActivated.connect(self._item_activated)
        self.list.itemClicked.connect(self._item_activated)
        self.empty = QLabel("No matches in the local cache.", self)
        self.empty.setAccessibleName("No search results")
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        self.hits: list[SearchHit] = []
        self.hide()
        line.search_changed.connect(self.update_results)
        line.installEventFilter(self)

    def update_results(self, text: str) -> None:
        self.hits = search_cache(self.cache, text)
        self.list.clear()
        for hit in self.hits:
            detail = " · ".join(p for p in hit.detail.split(" · ") if p.strip())
            item = QListWidgetItem(f"{_KIND_TITLES[hit.kind]}:  {hit.title}    —  {detail}")
            item.setData(Qt.ItemDataRole.UserRole, hit)
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                f"{_KIND_TITLES[hit.kind]} {hit.title}, {hit.detail}",
            )
            self.list.addItem(item)
        if self.hits:
            self.list.setCurrentRow(0)
        self.list.setVisible(bool(self.hits))
        self.empty.setVisible(not self.hits)
        if text.strip():
            self._place()
            self.show()
            self.raise_()
        else:
            self.hide()

    def _place(self) -> None:
        host = self.parentWidget()
        if host is None:  # built with the window as its parent; never placed without one
            return
        below = self.line.mapTo(host, QPoint(0, self.line.height() + 2))
        width = max(self.line.width(), 520)
        x = min(below.x(), max(0, host.width() - width - 8))
        rows = max(1, min(len(self.hits), 12))
        height = 12 + (rows * (self.list.sizeHintForRow(0) or 22) + 8 if self.hits else 28)
        self.setGeometry(x, below.y(), width, height)

    def open_current(self) -> bool:
        item = self.list.currentItem() or (self.list.item(0) if self.list.count() else None)
        if item is None:
            return False
        self._item_activated(item)
        return True

    def _item_activated(self, item: QListWidgetItem) -> None:
        hit = item.data(Qt.ItemDataRole.UserRole)
        self.hide()
        self.hit_activated.emit(hit)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.line and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.isVisible() and self.hits:
                step = 1 if key == Qt.Key.Key_Down else -1
                row = (self.list.currentRow() + step) % self.list.count()
                self.list.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.line.flush()  # do not wait for the debounce
                return self.open_current()
            if key == Qt.Key.Key_Escape and self.isVisible():
                self.hide()
                return True
        return super().eventFilter(watched, event)
