"""The row table every list in NinjaDesk uses, built in one place.

Whole rows are selected, rows are a fixed 24 px (sizing rows to their contents walks every
cell: design.md §5), no row header, no wrapping, alternating colours, interactive columns at
the given widths. A model that keeps its own order (`sort_column`/`sort_descending`: the paged
SQL models) shows that order; enabling sorting only after the indicator is set makes that one
sort, not two (Qt would first sort by its default indicator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from ninja_desk.ui.a11y import named
from ninja_desk.ui.widgets.key_column import KeyColumn


def data_table(
    model: QAbstractItemModel,
    name: str | None = None,
    widths: tuple[int, ...] = (),
    *,
    sort: tuple[int, Qt.SortOrder] | None = None,
    multi_select: bool = False,
) -> QTableView:
    table = QTableView()
    if name is not None:
        named(table, name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi_select
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    rows = table.verticalHeader()
    rows.hide()
    rows.setDefaultSectionSize(24)
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for section, width in enumerate(widths):
        header.resizeSection(section, width)
    if sort is None and hasattr(model, "sort_column"):
        descending = bool(getattr(model, "sort_descending", False))
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        sort = (int(model.sort_column), order)
    if sort is not None:
        header.setSortIndicator(*sort)
    table.setSortingEnabled(True)
    return table


class RowSource(Protocol):
    """A model that hands out its loaded rows (the paged SQL models)."""

    def row_at(self, row: int) -> dict[str, Any] | None: ...


def open_on_activate(
    table: QTableView, key: str, as_type: Callable[[Any], Any], open_row: Callable[[Any], object]
) -> None:
    """Activating a row of `table` (a double-click or Enter: one signal, so one open per
    gesture) hands the row's `key`, as `as_type`, to `open_row`; the table's model is a
    RowSource. A row not loaded yet opens nothing."""

    def activated(index: QModelIndex) -> None:
        row = cast(RowSource, table.model()).row_at(index.row())
        if row is not None:
            open_row(as_type(row[key]))

    table.activated.connect(activated)


def keyed_table(
    model: QAbstractItemModel,
    name: str | None,
    widths: tuple[int, ...],
    key: int,
    *,
    share: float = 0.38,
    minimum: int = 48,
    multi_select: bool = False,
) -> QTableView:
    """A data table whose `key` column takes the spare width (ui/widgets/key_column.py)."""
    table = data_table(model, name, widths, multi_select=multi_select)
    # Kept on the table: the key column lives as long as the table it sizes.
    table.key_column = KeyColumn(table, key, share=share, minimum=minimum)  # type: ignore[attr-defined]
    return table


def select_row(table: QTableView, row: int) -> None:
    """Make `row` the current, only selected row and scroll it into view."""
    index = table.model().index(row, 0)
    table.selectionModel().setCurrentIndex(
        index,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    table.scrollTo(index)
