"""Column specs and one SELECT on top of the shared SQL-paged model (every list but devices).

The paging, sorting and counting live in `widgets/sql_table_model.py`; this adapter lets a model
declare its columns as `SqlColumn(key, title, sort_sql)` and its rows as one `select_sql()`,
and format cells by row key: `numeric` keys are right-aligned counts, `tooltip_keys` show their
whole text on hover, `colour` names a theme colour per cell, `role_data` adds anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from ninja_desk.cache.queries.row_count import count_sql
from ninja_desk.cache.store import LocalCache
from ninja_desk.ui.formatting import when
from ninja_desk.ui.widgets.sql_table_model import KEY_ROLE, ROW_ROLE, Index, SqlPagedTableModel

# Roles the shared model answers the same for every table: text, the row, its key.
_BASE_ROLES = frozenset(
    {Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, ROW_ROLE, KEY_ROLE}
)
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True, slots=True)
class SqlColumn:
    key: str  # the row dict key shown in this column
    title: str
    sort_sql: str | None = None  # ORDER BY expressions, "|"-separated; None = not sortable


def format_time(epoch: float | None) -> str:
    """`formatting.when`, but blank rather than a dash: a list column of times reads cleaner."""
    return when(epoch) if epoch else ""


class PagedSqlModel(SqlPagedTableModel):
    PAGE = 200
    columns: tuple[SqlColumn, ...] = ()
    # Appended to every ORDER BY so paging with OFFSET is stable between pages.
    tie_breaker = "rowid"
    initial_sort: tuple[int, bool] = (0, False)  # (column, descending) a new table shows
    numeric: frozenset[str] = frozenset()  # counts: right-aligned, thousands separated
    tooltip_keys: frozenset[str] = frozenset()  # long text a narrow column elides

    def __init__(self, cache: LocalCache, parent: Any = None) -> None:
        super().__init__(cache, [c.title for c in self.columns], parent)
        self.page_size = self.PAGE
        self.sort_column, self.sort_descending = self.initial_sort

    # -- for subclasses -------------------------------------------------------------------

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        """`SELECT ... FROM ... WHERE ...` without ORDER BY/LIMIT, and its parameters."""
        raise NotImplementedError

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        value = row.get(key)
        if key in self.numeric:
            return f"{int(value or 0):,}"
        return "" if value is None else str(value)

    def colour(self, row: dict[str, Any], key: str) -> str | None:
        """A theme colour for the cell's text; None = the palette's."""
        return None

    def role_data(self, row: dict[str, Any], key: str, role: int) -> Any:
        """Roles beyond alignment, tooltip and colour for a cell; None = nothing."""
        return None

    # -- the shared model's hooks -----------------------------------------------------------

    def _order_by(self) -> str:
        column = self.columns[self.sort_column] if self.columns else None
        direction = "DESC" if self.sort_descending else "ASC"
        if column is None or column.sort_sql is None:
            return f"ORDER BY {self.tie_breaker}"
        terms = [*column.sort_sql.split("|"), self.tie_breaker]
        return "ORDER BY " + ", ".join(f"{term} {direction}" for term in terms)

    def page_query(self, limit: int, offset: int) -> tuple[str, dict[str, Any]]:
        sql, params = self.select_sql()
        return (
            f"{sql} {self._order_by()} LIMIT :_limit OFFSET :_offset",
            {**params, "_limit": limit, "_offset": offset},
        )

    def count_query(self) -> tuple[str, dict[str, Any]]:
        sql, params = self.select_sql()
        return count_sql(sql), params

    def display(self, row: dict[str, Any], column: int) -> str:
        return self.cell_text(row, self.columns[column].key)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in _BASE_ROLES:
            return super().data(index, role)
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None or not 0 <= index.column() < len(self.columns):
            return None
        if role == Qt.ItemDataRole.UserRole:
            return row
        key = self.columns[index.column()].key
        extra = self.role_data(row, key, role)
        if extra is not None:
            return extra
        if role == Qt.ItemDataRole.TextAlignmentRole and key in self.numeric:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and key in self.tooltip_keys:
            return self.cell_text(row, key)
        if role == Qt.ItemDataRole.ForegroundRole:
            name = self.colour(row, key)
            return None if name is None else _qcolor(name)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self.columns) and self.columns[column].sort_sql is not None:
            super().sort(column, order)

    def fetch_all_until(self, predicate: Any, max_pages: int = 500) -> int:
        """Page in until a row satisfies `predicate`; its row number, or -1."""
        for _ in range(max_pages):
            for i in range(self.loaded):
                if predicate(self.row_at(i)):
                    return i
            if not self.canFetchMore(QModelIndex()):
                return -1
            self.fetchMore()
        return -1


_COLOURS: dict[str, QColor] = {}


def _qcolor(name: str) -> QColor:
    """One QColor per theme colour, not one per painted cell."""
    found = _COLOURS.get(name)
    if found is None:
        found = _COLOURS[name] = QColor(name)
    return found
