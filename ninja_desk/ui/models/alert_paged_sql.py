"""A table model over one SQL query, sorted and filtered in SQLite and paged in on demand.

design.md §5: QSortFilterProxyModel takes seconds at 100k rows; SQLite with an index takes
milliseconds. So the model never holds more than the pages the view has scrolled to:
`canFetchMore`/`fetchMore` pull the next PAGE rows, `sort` re-runs the query with another
ORDER BY, and filters are WHERE clauses the subclass builds. The tickets and software models
reuse this base.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ninja_desk.cache.store import LocalCache

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class SqlColumn:
    key: str  # the row dict key shown in this column
    title: str
    sort_sql: str | None = None  # ORDER BY expression; None = not sortable


def format_time(epoch: float | None) -> str:
    if not epoch:
        return ""
    return datetime.fromtimestamp(float(epoch)).strftime("%Y-%m-%d %H:%M")


class PagedSqlModel(QAbstractTableModel):
    PAGE = 200
    columns: tuple[SqlColumn, ...] = ()
    # Appended to every ORDER BY so paging with OFFSET is stable between pages.
    tie_breaker = "rowid"

    def __init__(self, cache: LocalCache, parent: Any = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self._rows: list[dict[str, Any]] = []
        self._has_more = False
        self._sort_column = 0
        self._sort_order = Qt.SortOrder.AscendingOrder

    # -- for subclasses -------------------------------------------------------------------

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        """`SELECT ... FROM ... WHERE ...` without ORDER BY/LIMIT, and its parameters."""
        raise NotImplementedError

    def display(self, row: dict[str, Any], key: str) -> str:
        value = row.get(key)
        return "" if value is None else str(value)

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        """Extra roles (colour, tooltip, alignment) for a cell; None = nothing."""
        return None

    # -- loading --------------------------------------------------------------------------

    def _order_by(self) -> str:
        column = self.columns[self._sort_column] if self.columns else None
        direction = "DESC" if self._sort_order == Qt.SortOrder.DescendingOrder else "ASC"
        if column is None or column.sort_sql is None:
            return f"ORDER BY {self.tie_breaker}"
        return f"ORDER BY {column.sort_sql} {direction}, {self.tie_breaker} {direction}"

    def _page(self, offset: int) -> list[dict[str, Any]]:
        sql, params = self.select_sql()
        # One row beyond the page tells us whether there is more, without a COUNT(*).
        return self.cache.rows(
            f"{sql} {self._order_by()} LIMIT :_limit OFFSET :_offset",
            **params,
            _limit=self.PAGE + 1,
            _offset=offset,
        )

    def reload(self) -> None:
        self.beginResetModel()
        rows = self._page(0)
        self._has_more = len(rows) > self.PAGE
        self._rows = rows[: self.PAGE]
        self.endResetModel()

    def count(self) -> int:
        """All rows that match the current filters (for a label; runs one COUNT)."""
        sql, params = self.select_sql()
        return int(self.cache.scalar(f"SELECT COUNT(*) FROM ({sql})", **params) or 0)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._has_more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid() or not self._has_more:
            return
        rows = self._page(len(self._rows))
        self._has_more = len(rows) > self.PAGE
        rows = rows[: self.PAGE]
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def fetch_all_until(self, predicate: Any, max_pages: int = 500) -> int:
        """Page in until a row satisfies `predicate`; its row number, or -1."""
        for _ in range(max_pages):
            for i, row in enumerate(self._rows):
                if predicate(row):
                    return i
            if not self._has_more:
                return -1
            self.fetchMore()
        return -1

    # -- Qt model API ---------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if not (0 <= index.column() < len(self.columns)):
            return None
        row = self._rows[index.row()]
        key = self.columns[index.column()].key
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, key)
        if role == Qt.ItemDataRole.UserRole:
            return row
        return self.role_data(row, key, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < len(self.columns)) or self.columns[column].sort_sql is None:
            return
        self._sort_column, self._sort_order = column, order
        self.reload()

    def row_at(self, row: int) -> dict[str, Any] | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None
