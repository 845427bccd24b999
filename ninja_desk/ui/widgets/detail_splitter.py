"""A list beside its detail panel: the list gets what the window gains, the panel a share.

Mail clients and file managers size a reading pane this way: until the user drags the handle
the panel gets a share of the width (within a lower and an upper bound) and the list the
rest; once the user has chosen a split, the list takes every pixel the window gains or loses
and the user's split is saved and restored. A split saved on a
wide screen never squeezes the list on a narrow one: the panel gives way down to `cap` of
the width (its own minimum still holds). Neither side collapses to nothing by a drag, so no
panel can vanish without a way back.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSplitter, QWidget


class DetailSplitter(QSplitter):
    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        share: float = 0.36,
        widest: int = 520,
        cap: float = 0.5,
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.share = share
        self.widest = widest
        self.cap = cap
        self.user_split = False
        self.setChildrenCollapsible(False)
        self.splitterMoved.connect(self._moved)

    def _moved(self, _pos: int, _index: int) -> None:
        self.user_split = True

    def add_panes(self, table_side: QWidget, detail: QWidget) -> None:
        self.addWidget(table_side)
        self.addWidget(detail)
        self.setStretchFactor(0, 1)
        self.setStretchFactor(1, 0)

    def _detail_minimum(self) -> int:
        detail = self.widget(1)
        if detail is None:
            return 0
        return max(detail.minimumWidth(), detail.minimumSizeHint().width())

    def auto_detail_width(self, total: int) -> int:
        wanted = min(self.widest, int(total * self.share))
        return max(self._detail_minimum(), wanted)

    def restore(self, state: object) -> bool:
        """Take back a saved split (a QByteArray from saveState); False when there was none."""
        if isinstance(state, QByteArray) and not state.isEmpty() and self.restoreState(state):
            self.user_split = True
            return True
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.count() != 2:
            return
        total = sum(self.sizes())
        if total <= 0:
            return
        if not self.user_split:
            detail = self.auto_detail_width(total)
            self.setSizes([total - detail, detail])
            return
        detail = self.sizes()[1]
        most = max(self._detail_minimum(), int(total * self.cap))
        if detail > most:
            self.setSizes([total - most, most])
