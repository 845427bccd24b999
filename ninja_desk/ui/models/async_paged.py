"""A SQL-paged model whose queries run on a worker thread (grouped queries over the fleet).

Grouping 60k patch rows by KB or client takes 0.1-0.25 s in SQLite at 50k devices: too long
for the UI thread (design.md §4). `reload_async()` runs the first page and the count on a
worker and swaps the rows in when they arrive; `fetchMore()` asks for the next page the same
way (the view asks again once rows are inserted). A generation number drops the answers of
queries a newer filter replaced. `reload()` (inherited) stays synchronous for tests.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal

from ninja_desk.ui.models.paged_sql import PagedSqlModel
from ninja_desk.ui.settings.background import run_job
from ninja_desk.ui.widgets.sql_table_model import Index


class AsyncPagedSqlModel(PagedSqlModel):
    reloaded = Signal()  # a reload's first page (and count) arrived
    failed = Signal(str)  # a sentence

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.background = True  # False: fetchMore pages in synchronously (tests, small data)
        self.total: int | None = None
        self.loading = False
        self._generation = 0
        self._paging = False

    def reload(self) -> None:
        self._generation += 1
        self._paging = False
        super().reload()
        self.total = self.count()

    def reload_async(self) -> None:
        self._generation += 1
        generation = self._generation
        self.loading = True
        # The SQL is built here, on the UI thread; only running it happens on the worker.
        page_sql, page_params = self.page_query(self.page_size + 1, 0)
        count_sql, count_params = self.count_query()
        cache, size = self.cache, self.page_size

        def work() -> tuple[list[dict[str, Any]], bool, int]:
            rows = cache.rows(page_sql, **page_params)
            total = int(cache.scalar(count_sql, **count_params) or 0)
            return rows[:size], len(rows) > size, total

        def done(value: tuple[list[dict[str, Any]], bool, int]) -> None:
            if generation != self._generation:
                return
            rows, more, total = value
            self.loading = False
            self._paging = False
            self.beginResetModel()
            self._rows, self._has_more = rows, more
            self.endResetModel()
            self.total = total
            self.reloaded.emit()

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.loading = False
                self.failed.emit(f"The local cache could not be read: {exc}")

        run_job(self, work, done, failed)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if not self.background:
            if self._paging:  # asked again from inside this insert's signals
                return
            self._paging = True
            try:
                super().fetchMore(parent)
            finally:
                self._paging = False
            return
        if parent.isValid() or not self._has_more or self._paging:
            return
        self._paging = True
        generation, size, cache, offset = (self._generation, self.page_size, self.cache,
                                           len(self._rows))  # fmt: skip
        sql, params = self.page_query(size + 1, offset)

        def work() -> tuple[list[dict[str, Any]], bool]:
            rows = cache.rows(sql, **params)
            return rows[:size], len(rows) > size

        def done(value: tuple[list[dict[str, Any]], bool]) -> None:
            if generation != self._generation or offset != len(self._rows):
                return
            more, self._has_more = value
            if more:
                # Still "paging" while the rows go in: a view (or the model tester) asking
                # for more from inside the insert signals must not fetch this page again.
                self.beginInsertRows(QModelIndex(), offset, offset + len(more) - 1)
                self._rows.extend(more)
                self.endInsertRows()
            self._paging = False

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._paging = False
                self._has_more = False
                self.failed.emit(f"The local cache could not be read: {exc}")

        run_job(self, work, done, failed)

    def fetch_all_until(self, predicate: Any, max_pages: int = 500) -> int:
        kept, self.background = self.background, False
        try:
            return super().fetch_all_until(predicate, max_pages)
        finally:
            self.background = kept

    def fetch_all(self, limit: int = 100_000) -> None:
        kept, self.background = self.background, False  # a loop must see each page arrive
        try:
            super().fetch_all(limit)
        finally:
            self.background = kept

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column].sort_sql is None:
            return
        self.sort_column = column
        self.sort_descending = order == Qt.SortOrder.DescendingOrder
        if self.background:
            self.reload_async()
        else:
            self.reload()
