"""Give a table's key column (alert message, ticket title, software name) the spare width.

`QHeaderView.Stretch` alone gives the key column only what the fixed columns leave, which at
1024 px was a few pixels: the one column people read was elided while the others had room.

Every other column gets the width its header and visible cells need (so a short value such
as "Critical", "Triggered" or a ticket number is never cut to "Criti…" while the key column
has room) and the key column takes the rest. When the table is too narrow for that, the key
column keeps at least `share` of the width and the other columns give way widest-first (the
narrow ones keep their text; none goes below `minimum`). Widths follow the table's size and
its contents (a reset or new rows), never the scroll position.

A table may also name columns to *fold* and columns that are *elastic*. Elastic columns (a
client, an OS, a time with a shorter form) may be cut to `elastic_floor` (their tooltip and
the detail panel have the whole text); every other column keeps its whole width ("Pending",
"Critical", "Triggered" are never cut to "Pend…"). When even that does not fit (a list beside
a detail panel at 1024 px), the fold columns are hidden, first named first, until it does;
they come back as soon as there is room. They are columns whose values the detail panel
beside the table repeats for the selected row, so a readable "Device" beats seven columns of
"Con…". Folded columns stay in a CSV export (`folded_columns`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, QTimer
from PySide6.QtWidgets import QHeaderView, QTableView

# Room for the padding Qt leaves around a cell's text beyond its size hint.
_PADDING = 8
_PRECISION = 40


def water_fill(needs: dict[int, int], budget: int, minimum: int) -> dict[int, int]:
    """Widths for `needs` within `budget`: the widest columns are capped first, at one common
    ceiling, so every column that needs less than that ceiling keeps its full width."""
    if sum(needs.values()) <= budget:
        return dict(needs)
    ordered = sorted(needs.items(), key=lambda item: item[1])
    widths: dict[int, int] = {}
    remaining = budget
    for index, (column, need) in enumerate(ordered):
        ceiling = remaining // (len(ordered) - index)
        width = max(minimum, min(need, ceiling))
        widths[column] = width
        remaining -= width
    return widths


def folded_columns(table: QTableView) -> list[int]:
    """The columns `table`'s KeyColumn hid for lack of room (still part of the table's data)."""
    key_column = next(iter(table.findChildren(KeyColumn)), None)
    return list(key_column.folded) if key_column is not None else []


class KeyColumn(QObject):
    def __init__(
        self,
        table: QTableView,
        column: int,
        *,
        share: float = 0.38,
        minimum: int = 48,
        fold: Sequence[int] = (),
        elastic: Iterable[int] = (),
        elastic_floor: int = 96,
    ) -> None:
        super().__init__(table)
        self.table = table
        self.column = column
        self.share = share
        self.minimum = minimum
        self.fold = tuple(fold)
        self.elastic = frozenset(elastic)
        self.elastic_floor = elastic_floor
        self.folded: tuple[int, ...] = ()
        header = table.horizontalHeader()
        # A column's width from a screenful of rows, not the first 1,000 (Qt's default): on a
        # paged 50,000-row table each measured cell is a call into the model.
        for h in (header, table.verticalHeader()):
            h.setResizeContentsPrecision(_PRECISION)
        self.defaults = {c: header.sectionSize(c) for c in range(header.count())}
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        table.viewport().installEventFilter(self)
        self._later = QTimer(self, singleShot=True, interval=0)
        self._later.timeout.connect(self._content_changed)
        self._model: QAbstractItemModel | None = None
        # What the columns' contents asked for, measured once the table first had rows:
        # measuring walks every visible cell through the model (about 85 ms on the 50,000-device
        # table), far too slow for every filter keystroke; a resize reuses it.
        self._needs: dict[int, int] | None = None
        self._watch_model()

    def _watch_model(self) -> None:
        model = self.table.model()
        if model is None or model is self._model:
            return
        self._model = model
        for signal in (model.modelReset, model.layoutChanged, model.rowsInserted):
            signal.connect(self._later.start)

    def _content_changed(self) -> None:
        if self._needs is None:
            self.fit()

    def remeasure(self) -> None:
        """Measure the contents again (new columns, a restored layout)."""
        self._needs = None
        # A restored header may carry columns folded at another window width: fold afresh.
        header = self.table.horizontalHeader()
        for c in self.fold:
            header.setSectionHidden(c, False)
        self.folded = ()
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def need(self, column: int) -> int:
        """The width `column`'s header and its visible cells ask for."""
        header = self.table.horizontalHeader()
        cells = self.table.sizeHintForColumn(column)
        title = header.sectionSizeHint(column)
        wanted = max(cells + _PADDING if cells > 0 else 0, title)
        if wanted <= 0:
            wanted = self.defaults.get(column, header.defaultSectionSize())
        return max(self.minimum, wanted)

    def fit(self) -> None:
        self._watch_model()
        header = self.table.horizontalHeader()
        available = self.table.viewport().width()
        others = [
            c
            for c in range(header.count())
            if c != self.column and (c in self.folded or not header.isSectionHidden(c))
        ]
        if not others or available <= 0:
            return
        if self._needs is None or set(self._needs) != set(others):
            # Qt measures no hidden column: show the folded ones while measuring (no paint
            # happens in between), then fold again below.
            for c in self.folded:
                header.setSectionHidden(c, False)
            needs = {c: self.need(c) for c in others}
            for c in self.folded:
                header.setSectionHidden(c, True)
            if self.table.model() is not None and self.table.model().rowCount() > 0:
                self._needs = needs
        else:
            needs = dict(self._needs)
        budget = max(0, available - int(available * self.share))
        if self.fold or self.elastic:
            widths = self._with_floors(needs, budget)
        else:
            widths = water_fill(needs, budget, self.minimum)
        for c, width in widths.items():
            if header.sectionSize(c) != width:
                header.resizeSection(c, width)

    def floor(self, column: int, need: int) -> int:
        """The narrowest `column` may get before a fold column goes: elastic columns down
        to `elastic_floor` (or half their need, if that is more), the others whole."""
        if column not in self.elastic:
            return need
        return min(need, max(self.elastic_floor, need // 2))

    def _with_floors(self, needs: dict[int, int], budget: int) -> dict[int, int]:
        floors = {c: self.floor(c, n) for c, n in needs.items()}
        self._fold_for(floors, budget)
        for c in self.folded:
            needs.pop(c, None)
            floors.pop(c, None)
        spare = budget - sum(floors.values())
        if spare < 0:  # nothing left to fold: the widest give way, as without floors
            return water_fill(needs, budget, self.minimum)
        extra = water_fill({c: needs[c] - floors[c] for c in needs}, spare, 0)
        return {c: floors[c] + extra[c] for c in needs}

    def _fold_for(self, floors: dict[int, int], budget: int) -> None:
        """Hide the fold columns, first named first, until the others' floors fit."""
        folded: list[int] = []
        total = sum(floors.values())
        for c in self.fold:
            if total <= budget:
                break
            if c in floors:
                folded.append(c)
                total -= floors[c]
        if tuple(folded) == self.folded:
            return
        header = self.table.horizontalHeader()
        for c in set(self.folded) | set(folded):
            header.setSectionHidden(c, c in folded)
        self.folded = tuple(folded)
