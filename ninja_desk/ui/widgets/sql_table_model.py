"""A table model over SQL: SQLite sorts and filters, the model pages rows in on demand.

design.md §5: QSortFilterProxyModel takes seconds at 100k rows; ORDER BY/WHERE on indexed
columns plus `canFetchMore`/`fetchMore` pages of a few hundred rows stays in tens of ms.

Subclass and implement `page_query(limit, offset)` and `count_query()` (both return
`(sql, params)` for `LocalCache.rows`), and `display(row, column)`. `reload()` runs only the
first page (one more row than a page tells whether more exist), so a keystroke costs one
query; `count()` is separate so a view can run it off the GUI thread for its "N rows" label.
Override `foreground` or `tooltip` for more. `sort()` stores the column and order and
reloads; the page query reads them from `self.sort_column` / `self.sort_descending`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ninja_desk.cache.store import LocalCache

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the whole row dict
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's key (id)
_DISPLAY = Qt.ItemDataRole.DisplayRole
_HANDLED_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        ROW_ROLE,
        KEY_ROLE,
    }
)
_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)


class SqlPagedTableModel(QAbstractTableModel):
    page_size = 300
    key_column = "id"

    def __init__(
        self,
        cache: LocalCache,
        headers: Sequence[str],
        parent: Any = None,
        *,
        numeric_columns: Sequence[int] = (),
    ) -> None:
        super().__init__(parent)
        self.cache = cache
        self.headers = list(headers)
        self.numeric_columns = frozenset(numeric_columns)
        self.sort_column = 0
        self.sort_descending = False
        self._rows: list[dict[str, Any]] = []
        self._has_more = False

    # -- what subclasses provide -----------------------------------------------------------

    def count_query(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def page_query(self, limit: int, offset: int) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def display(self, row: dict[str, Any], column: int) -> str:
        value = row.get(self.headers[column])
        return "" if value is None else str(value)

    def foreground(self, row: dict[str, Any], column: int) -> Any:
        return None

    def tooltip(self, row: dict[str, Any], column: int) -> str | None:
        return None

    # -- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-run the query from the first page (filter, sort or data changed)."""
        self.beginResetModel()
        try:
            self._rows, self._has_more = self._page(0)
        finally:
            self.endResetModel()

    def _page(self, offset: int) -> tuple[list[dict[str, Any]], bool]:
        sql, params = self.page_query(self.page_size + 1, offset)
        rows = self.cache.rows(sql, **params)
        more = len(rows) > self.page_size
        return rows[: self.page_size], more

    def count(self) -> int:
        """Rows matching the current query, loaded or not (safe to call from a worker)."""
        sql, params = self.count_query()
        return int(self.cache.scalar(sql, **params) or 0)

    @property
    def loaded(self) -> int:
        return len(self._rows)

    def row_at(self, row: int) -> dict[str, Any] | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def key_at(self, row: int) -> Any:
        found = self.row_at(row)
        return None if found is None else found.get(self.key_column)

    def row_of_key(self, key: Any) -> int:
        """Loaded row index of `key`, or -1 (does not page further in)."""
        for i, row in enumerate(self._rows):
            if row.get(self.key_column) == key:
                return i
        return -1

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._has_more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid() or not self._has_more:
            return
        more, self._has_more = self._page(len(self._rows))
        if not more:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def fetch_all(self, limit: int = 100_000) -> None:
        """Page everything in (bulk actions on "select all"); bounded by `limit` rows."""
        while self._has_more and len(self._rows) < limit:
            self.fetchMore()

    # -- Qt model API ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return self.headers[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in self.numeric_columns:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Views ask for a dozen roles per cell on every paint; leave the unused ones fast.
        if role not in _HANDLED_ROLES or not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None or not 0 <= index.column() < len(self.headers):
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.numeric_columns:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ROW_ROLE:
            return row
        if role == KEY_ROLE:
            return row.get(self.key_column)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.headers):
            return
        self.sort_column = column
        self.sort_descending = order == Qt.SortOrder.DescendingOrder
        self.reload()
