"""Clients: the organizations list, and one client's page — devices (online/offline), active
alerts by severity, open PSA tickets, patch compliance — each a link into the filtered view.

The numbers come from cache/queries/clients.py on a worker thread; the device and ticket
tables page like every big table. The shell opens a client with `show_client(org_id)`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache.queries import clients as cq
from ninja_desk.ui.a11y import named
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.models.client_models import (
    ClientDevicesModel,
    ClientListModel,
    ClientTicketsModel,
)
from ninja_desk.ui.settings.background import error_sentence, run_job
from ninja_desk.ui.theme import BAD, GOOD, WARN
from ninja_desk.ui.views.base import View
from ninja_desk.ui.widgets.data_table import keyed_table, open_on_activate, select_row
from ninja_desk.ui.widgets.flow_layout import flow_row
from ninja_desk.ui.widgets.search_line import SearchLineEdit

ALERT_SEVERITIES = ("CRITICAL", "MAJOR", "MODERATE", "MINOR")


def _link(text: str, name: str, tip: str) -> QPushButton:
    button = named(QPushButton(text), name, tip)
    button.setFlat(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setStyleSheet(
        "QPushButton { text-align: left; padding: 2px 6px; color: palette(link); }"
        "QPushButton:hover { text-decoration: underline; }"
    )
    return button


class _Card(QFrame):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(2)
        heading = QLabel(f"<b>{title}</b>")
        heading.setAccessibleName(title)
        self.value = QLabel()
        self.value.setAccessibleName(f"{title} summary")
        self.value.setTextFormat(Qt.TextFormat.RichText)
        self.value.setWordWrap(True)  # long numbers wrap instead of widening the window
        layout.addWidget(heading)
        layout.addWidget(self.value)
        self.links: list[QPushButton] = []
        self.body = layout

    def set_links(self, links: list[QPushButton]) -> None:
        self.links = links
        self.body.addWidget(flow_row(*links, parent=self))
        self.body.addStretch(1)  # cards in a row start at the same height


class ClientPage(View):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.org_id: int | None = None
        self.summary: cq.ClientSummary | None = None
        self._generation = 0
        self.devices = ClientDevicesModel(ctx.cache, self)
        self.tickets = ClientTicketsModel(ctx.cache, self)
        self._build()
        self.show_client(None)

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setAccessibleName("Client name")
        self.title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.title.setWordWrap(True)  # a long client name wraps; the window keeps its width
        self.status = QLabel()
        self.status.setAccessibleName("Client page status")
        self.status.setWordWrap(True)

        self.devices_card = _Card("Devices")
        self.device_links = {
            key: _link(label, f"{label} devices", f"Open the client's {label.lower()} devices")
            for key, label in (("all", "All"), ("online", "Online"), ("offline", "Offline"))
        }
        self.device_links["all"].clicked.connect(lambda: self._devices({}))
        self.device_links["online"].clicked.connect(lambda: self._devices({"status": "online"}))
        self.device_links["offline"].clicked.connect(lambda: self._devices({"status": "offline"}))
        self.devices_card.set_links(list(self.device_links.values()))

        self.alerts_card = _Card("Active alerts")
        self.alert_links = {}
        for severity in ALERT_SEVERITIES:
            link = _link(severity.title(), f"{severity.title()} alerts",
                         f"Open the client's active {severity.lower()} alerts")  # fmt: skip
            link.clicked.connect(lambda _=False, s=severity: self._alerts([s]))
            self.alert_links[severity] = link
        self.all_alerts_link = _link("All", "All active alerts", "Open the client's active alerts")
        self.all_alerts_link.clicked.connect(lambda: self._alerts([]))
        self.alerts_card.set_links([self.all_alerts_link, *self.alert_links.values()])

        self.tickets_card = _Card("Open tickets")
        self.tickets_link = _link("Show in Tickets", "Show open tickets",
                                  "Open the ticket list for this client")  # fmt: skip
        self.tickets_link.clicked.connect(self._tickets)
        self.tickets_card.set_links([self.tickets_link])

        self.patch_card = _Card("Patch compliance")
        self.patch_links = {
            "pending": _link("Pending", "Devices with pending patches",
                             "Open the client's pending patches in the Patches view"),
            "failed": _link("Failed", "Devices with failed patches",
                            "Open the client's failed patches in the Patches view"),
        }  # fmt: skip
        self.patch_links["pending"].clicked.connect(lambda: self._patches("pending"))
        self.patch_links["failed"].clicked.connect(lambda: self._patches("failed"))
        self.patch_card.set_links(list(self.patch_links.values()))

        cards = QGridLayout()
        cards.setSpacing(8)
        cards.addWidget(self.devices_card, 0, 0)
        cards.addWidget(self.alerts_card, 0, 1)
        cards.addWidget(self.tickets_card, 1, 0)
        cards.addWidget(self.patch_card, 1, 1)
        cards.setColumnStretch(0, 1)
        cards.setColumnStretch(1, 1)

        self.devices_table = keyed_table(
            self.devices, "Client devices", (170, 70, 90, 64, 58, 90, 160), 0,
            share=0.25, minimum=58,
        )  # fmt: skip
        open_on_activate(self.devices_table, "id", int, self.open_device_requested.emit)
        self.tickets_table = keyed_table(
            self.tickets, "Client open tickets", (90, 260, 90, 90, 64, 120), 1
        )
        open_on_activate(self.tickets_table, "id", str, self.open_ticket_requested.emit)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Client details")
        self.tabs.addTab(self.devices_table, "Devices")
        self.tabs.addTab(self.tickets_table, "Open tickets")
        self.devices.reloaded.connect(self._update_tab_titles)
        self.tickets.reloaded.connect(self._update_tab_titles)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addLayout(cards)
        layout.addWidget(self.tabs, 1)

    # -- public API -----------------------------------------------------------------------

    def show_client(self, org_id: int | None) -> None:
        self.org_id = None if org_id is None else int(org_id)
        self.summary = None
        self._generation += 1
        for card in (self.devices_card, self.alerts_card, self.tickets_card, self.patch_card):
            card.setEnabled(self.org_id is not None)
        if self.org_id is None:
            self.title.setText("Pick a client")
            self.status.setText("Choose a client on the left to see its devices, alerts, "
                                "open tickets and patch compliance.")  # fmt: skip
            self._fill(None)
            return
        self.status.setText("Loading…")
        self.devices.org_id = self.tickets.org_id = self.org_id
        self.devices.reload_async()
        self.tickets.reload_async()
        generation, cache, org = self._generation, self.ctx.cache, self.org_id

        def done(summary: cq.ClientSummary | None) -> None:
            if generation != self._generation:
                return
            if summary is None:
                self.title.setText(f"Client #{org}")
                self.status.setText("This client is not in the local cache.")
            else:
                self.status.setText("")
            self._fill(summary)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.status.setText(error_sentence(exc))

        run_job(self, lambda: cq.client_summary(cache, org), done, failed)

    def refresh(self) -> None:
        self.show_client(self.org_id)

    def current_table(self) -> QTableView:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, QTableView) else self.devices_table

    # -- internals ------------------------------------------------------------------------

    def _fill(self, s: cq.ClientSummary | None) -> None:
        self.summary = s
        if s is None:
            for card in (self.devices_card, self.alerts_card, self.tickets_card, self.patch_card):
                card.value.setText("—")
            return
        self.title.setText(s.name)
        self.devices_card.value.setText(
            f"<span style='font-size:14pt'><b>{s.devices:,}</b></span> devices: "
            f"{s.online:,} online, {s.offline:,} offline"
            + (f", {s.unknown:,} unknown" if s.unknown else "")
        )
        self.device_links["online"].setText(f"Online ({s.online:,})")
        self.device_links["offline"].setText(f"Offline ({s.offline:,})")
        self.alerts_card.value.setText(
            f"<span style='font-size:14pt'><b>{s.active_alerts:,}</b></span> active"
        )
        for severity, link in self.alert_links.items():
            link.setText(f"{severity.title()} ({s.alerts.get(severity, 0):,})")
        self.tickets_card.value.setText(
            f"<span style='font-size:14pt'><b>{s.open_tickets:,}</b></span> open in the PSA"
        )
        if s.compliance is None:
            self.patch_card.value.setText("No patchable devices")
        else:
            colour = GOOD if s.compliance >= 95 else WARN if s.compliance >= 80 else BAD
            self.patch_card.value.setText(
                f"<span style='font-size:14pt; color:{colour}'><b>{s.compliance:.0f}%</b></span>"
                f" — {s.compliant:,} of {s.patchable:,} devices"
            )
        self.patch_links["pending"].setText(f"Pending ({s.pending_devices:,} devices)")
        self.patch_links["failed"].setText(f"Failed ({s.failed_devices:,} devices)")

    def _update_tab_titles(self) -> None:
        self.tabs.setTabText(0, f"Devices ({self.devices.total or 0:,})")
        self.tabs.setTabText(1, f"Open tickets ({self.tickets.total or 0:,})")

    def _devices(self, extra: dict[str, Any]) -> None:
        if self.org_id is not None:
            self.show_devices_requested.emit({"org_id": self.org_id, **extra})

    def _alerts(self, severities: list[str]) -> None:
        if self.org_id is not None:
            self.show_alerts_requested.emit(
                {"organization_id": self.org_id, "severity": severities, "status": "open"}
            )

    def _patches(self, status: str) -> None:
        if self.org_id is not None:
            self.show_patches_requested.emit({"org_id": self.org_id, "status": status,
                                              "mode": "kb"})  # fmt: skip

    def _tickets(self) -> None:
        if self.summary is not None:
            self.show_tickets_requested.emit(
                {"org_id": self.summary.org_id, "client": self.summary.name, "status": "open"}
            )


LIST_MIN_WIDTH = 320  # names and the three counts at 1024 px
LIST_MAX_SHARE = 0.46  # a 22-letter name and the counts whole at 1024 px


class ClientsView(View):
    """The sidebar's Clients: the list on the left, the chosen client's page beside it."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = ClientListModel(ctx.cache, self)
        self._wanted: int | None = None
        self.search = SearchLineEdit("Find a client…", self, delay_ms=200)
        self.search.search_changed.connect(self._search_changed)
        # The counts keep room for their headers; the names take what is left.
        self.table = keyed_table(self.model, "Clients", (150, 62, 58, 50), 0, share=0.4, minimum=56)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Clients shown")
        self.model.reloaded.connect(self._list_loaded)
        left = QWidget()
        left.setMinimumWidth(LIST_MIN_WIDTH)
        self._left = left
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)
        self.page = ClientPage(ctx)
        self.forward_navigation(self.page)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.page)
        # The list grows a little with the window (names first), the page takes the most.
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([LIST_MIN_WIDTH + 20, 800])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.splitter)
        self.refresh()

    def refresh(self) -> None:
        self._wanted = self._wanted if self._wanted is not None else self.page.org_id
        self.model.search = self.search.text()
        self.model.reload_async()
        if self.page.org_id is not None:
            self.page.refresh()

    def show_client(self, org_id: int) -> None:
        """Open one client's page (and select it in the list once the list is there)."""
        self._wanted = int(org_id)
        if self.page.org_id != int(org_id):
            self.page.show_client(int(org_id))
        self._select_wanted()

    def current_table(self) -> QTableView:
        return self.table if self.table.hasFocus() else self.page.current_table()

    def save_state(self, state: QSettings) -> None:
        state.setValue("clients/splitter", self.splitter.saveState())
        if self.page.org_id is not None:
            state.setValue("clients/org", self.page.org_id)

    def restore_state(self, state: QSettings) -> None:
        splitter = state.value("clients/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        org = state.value("clients/org")
        if org is not None and self.page.org_id is None and str(org).isdigit():
            self.show_client(int(str(org)))

    def _search_changed(self, text: str) -> None:
        self.model.search = text
        self.model.reload_async()

    def _list_loaded(self) -> None:
        total = self.model.total or 0
        self.count_label.setText(f"{total:,} client{'' if total == 1 else 's'}")
        if not self._select_wanted() and self.page.org_id is None and self.model.rowCount():
            self._set_current(0)
        self._fit_list()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_list()

    def _fit_list(self) -> None:
        """Widen the list so the loaded names show whole, up to LIST_MAX_SHARE of the width
        (a longer name is elided, its tooltip whole). Never narrows what the user chose."""
        table = self.table
        fitter = table.key_column  # type: ignore[attr-defined]
        header = table.horizontalHeader()
        names = table.sizeHintForColumn(0) + 8
        counts = sum(fitter.need(c) for c in range(1, header.count()))
        frame = table.width() - table.viewport().width()
        wanted = max(names, header.sectionSizeHint(0)) + counts + frame
        sizes = self.splitter.sizes()
        total = sum(sizes)
        target = min(wanted, int(total * LIST_MAX_SHARE))
        if total > 0 and sizes[0] < target:
            self.splitter.setSizes([target, total - target])

    def _select_wanted(self) -> bool:
        if self._wanted is None or self.model.loading:
            return False
        wanted = self._wanted
        # Only the rows already loaded: paging further would query on the UI thread.
        row = next(
            (
                i
                for i in range(self.model.rowCount())
                if (r := self.model.row_at(i)) is not None and int(r["id"]) == wanted
            ),
            -1,
        )
        if row < 0:
            return False
        self._set_current(row)
        return True

    def _set_current(self, row: int) -> None:
        select_row(self.table, row)

    def _row_changed(self, current: Any, _previous: Any) -> None:
        row = self.model.row_at(current.row()) if current.isValid() else None
        if row is not None:
            self._wanted = int(row["id"])
            if self.page.org_id != int(row["id"]):
                self.page.show_client(int(row["id"]))
