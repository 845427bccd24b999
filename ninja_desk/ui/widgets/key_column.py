"""Give a table's key column (alert message, ticket title, software name) the spare width.

`QHeaderView.Stretch` alone gives the key column only what the fixed columns leave, which at
1024 px was a few pixels: the one column people read was elided while the others had room.
This keeps at least `share` of the width for the key column by scaling the other columns
down (never below `minimum`) when the table is narrow, and back up when it grows.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QHeaderView, QTableView


class KeyColumn(QObject):
    def __init__(
        self, table: QTableView, column: int, *, share: float = 0.38, minimum: int = 48
    ) -> None:
        super().__init__(table)
        self.table = table
        self.column = column
        self.share = share
        self.minimum = minimum
        header = table.horizontalHeader()
        self.defaults = {c: header.sectionSize(c) for c in range(header.count())}
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        header = self.table.horizontalHeader()
        available = self.table.viewport().width()
        others = [
            c for c in range(header.count()) if c != self.column and not header.isSectionHidden(c)
        ]
        total = sum(self.defaults.get(c, header.defaultSectionSize()) for c in others)
        if not others or total <= 0:
            return
        budget = max(0, available - int(available * self.share))
        scale = min(1.0, budget / total)
        for c in others:
            width = max(
                self.minimum, int(self.defaults.get(c, header.defaultSectionSize()) * scale)
            )
            if header.sectionSize(c) != width:
                header.resizeSection(c, width)
