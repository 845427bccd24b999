"""The shell: sidebar, Ctrl+K search, sync progress and cancel, status bar, notices.

Views are built on first use (start-up builds the dashboard only). Each is a `View`
(ui/views/base.py): the shell connects the navigation signals every view declares and routes
them; a view that fails to build shows its reason in a placeholder and is tried again the next
time it is shown. Syncs belong to the SyncController (sync/sync_controller.py); the shell only
shows them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QByteArray, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache.queries.alerts import CRITICAL_ALERTS_SQL
from ninja_desk.cache.queries.search import SearchHit
from ninja_desk.sync.sync_controller import SyncController, SyncOutcome, SyncRefused
from ninja_desk.ui.a11y import named
from ninja_desk.ui.bridge import ALERTS, SYNC, UiBridge
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.formatting import ago
from ninja_desk.ui.icons import app_icon
from ninja_desk.ui.notifier import CallbackNotifier, CriticalAlertWatcher, Notice, Notifier
from ninja_desk.ui.search_popup import SearchPopup
from ninja_desk.ui.settings.settings_view import SettingsView
from ninja_desk.ui.ui_state import ui_state
from ninja_desk.ui.views.alerts_view import AlertsView
from ninja_desk.ui.views.base import View
from ninja_desk.ui.views.client_page import ClientsView
from ninja_desk.ui.views.dashboard_view import DashboardView

# Imported with the shell: opening Devices then costs the table, not the imports (297 ms with,
# 1,267 ms without, bench under load); the other views add ~0.3 s to start-up under that load.
from ninja_desk.ui.views.devices_view import DevicesView
from ninja_desk.ui.views.patches_view import PatchesView
from ninja_desk.ui.views.placeholder import PlaceholderView
from ninja_desk.ui.views.software_view import SoftwareView
from ninja_desk.ui.views.tickets_view import TicketsView
from ninja_desk.ui.widgets.csv_export import CsvExportFlow, export_view
from ninja_desk.ui.widgets.elided_label import ElidedLabel
from ninja_desk.ui.widgets.quiet_focus import set_enabled_quietly
from ninja_desk.ui.widgets.saved_filters import (
    MENU_BUTTON_STYLE,
    SavedFilterStore,
    fill_menu,
    filter_state_of,
    supports_saved_filters,
)
from ninja_desk.ui.widgets.search_line import SearchLineEdit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ViewSpec:
    key: str
    title: str
    view_class: type[View]
    shortcut: str


VIEW_SPECS: tuple[ViewSpec, ...] = (
    ViewSpec("dashboard", "Dashboard", DashboardView, "Ctrl+1"),
    ViewSpec("devices", "Devices", DevicesView, "Ctrl+2"),
    ViewSpec("alerts", "Alerts", AlertsView, "Ctrl+3"),
    ViewSpec("tickets", "Tickets", TicketsView, "Ctrl+4"),
    ViewSpec("software", "Software", SoftwareView, "Ctrl+5"),
    ViewSpec("clients", "Clients", ClientsView, "Ctrl+6"),
    ViewSpec("patches", "Patches", PatchesView, "Ctrl+7"),
    ViewSpec("settings", "Settings", SettingsView, "Ctrl+8"),
)
SPEC_BY_KEY = {s.key: s for s in VIEW_SPECS}
V = TypeVar("V", bound=View)


class NoticeBanner(QFrame):
    """In-window notices: the fallback when there is no system tray (and for short messages)."""

    def __init__(self, on_open: Callable[[Notice], None], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("noticeBanner")
        self.setStyleSheet(
            "#noticeBanner { background: #fde68a; border-bottom: 1px solid #d97706; }"
            "#noticeBanner QLabel { color: #451a03; }"
        )
        self.notice: Notice | None = None
        self._on_open = on_open
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Notice")
        self.open_button = named(
            QPushButton("Open", self), "Open notice", "Open what the notice is about"
        )
        self.close_button = named(QPushButton("Dismiss", self), "Dismiss notice")
        self.open_button.clicked.connect(self._open)
        self.close_button.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.close_button)
        self.history: list[Notice] = []
        self.hide()

    placer: Callable[[], None] | None = None

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.placer is not None:
            self.placer()

    def show_notice(self, notice: Notice) -> None:
        self.notice = notice
        self.history.append(notice)
        self.label.setText(f"<b>{notice.title}</b> — {notice.message}")
        self.label.setAccessibleDescription(f"{notice.title}. {notice.message}")
        self.open_button.setVisible(bool(notice.alert_uid) or notice.count > 1)
        self.show()
        if self.placer is not None:
            self.placer()

    def show_message(self, text: str) -> None:
        self.show_notice(Notice(text, "", None, count=0))
        self.label.setText(text)

    def _open(self) -> None:
        if self.notice is not None:
            self.hide()
            self._on_open(self.notice)


class MainWindow(QMainWindow):
    # Settings were saved (PSA, relay, schedule may have changed); the app applies them.
    settings_changed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        *,
        bridge: UiBridge | None = None,
        notifier: Notifier | None = None,
        tray: Any = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.bridge = bridge or UiBridge(self)
        self.state = ui_state(ctx.data_dir)
        self.tray = tray
        self.views: dict[str, View] = {}
        self._stale: set[str] = set()
        self._quitting = False
        self.sync = SyncController(
            lambda: self.ctx.sync,
            lambda: self.ctx.background,
            progress=self.bridge.sync_progress,
            on_started=lambda: self._set_syncing(True),
            on_finished=self._sync_finished,
        )
        self.last_sync_message = ""
        self.setWindowTitle("NinjaDesk")
        self.setWindowIcon(app_icon())
        self.setAccessibleName("NinjaDesk main window")
        self._build()
        self.banner_notifier = CallbackNotifier(self.banner.show_notice)
        self.notifier: Notifier = notifier or self.banner_notifier
        self.alert_watcher = CriticalAlertWatcher()
        self.alert_watcher.paused = ctx.settings.notifications_paused
        self._held_timer = QTimer(self)
        self._held_timer.setSingleShot(True)
        self._held_timer.timeout.connect(self._flush_held_notices)
        self.bridge.refresh.connect(self._on_refresh)
        self.bridge.sync_progress_changed.connect(self._on_sync_progress)
        self.bridge.relay_state_changed.connect(lambda _s: self._update_status())
        self.bridge.connection_state_changed.connect(lambda _s: self._update_status())
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(30_000)  # "5 min ago" keeps moving
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start()
        self._start_alert_watch()
        self._restore_state()
        self._update_status()

    # -- construction ----------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.top_bar = self._build_top_bar()
        outer.addWidget(self.top_bar)
        # The banner floats over the top of the content (not in the layout): showing it never
        # pushes the window's content down under the pointer.
        self.banner = NoticeBanner(self.open_notice, central)
        self.banner.placer = self._place_banner
        self.splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.splitter.setChildrenCollapsible(False)
        self.sidebar = QListWidget(self.splitter)
        named(
            self.sidebar,
            "Navigation",
            "Views: Dashboard, Devices, Alerts, Tickets, Software, Clients, Patches, Settings "
            "(Ctrl+1 to Ctrl+8)",
        )
        self.sidebar.setIconSize(QSize(18, 18))
        self.sidebar.setMinimumWidth(150)
        self.sidebar.setMaximumWidth(240)
        # Never sideways: a long label elides (its tooltip has the full text).
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sidebar.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.sidebar.setStyleSheet(
            "QListWidget { font-size: 11pt; } QListWidget::item { padding: 8px 10px; }"
        )
        for spec in VIEW_SPECS:
            item = QListWidgetItem(spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(f"{spec.title} ({spec.shortcut})")
            self.sidebar.addItem(item)
        self.stack = QStackedWidget(self.splitter)
        self.stack.setAccessibleName("Current view")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([180, 1100])
        outer.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.sidebar.currentRowChanged.connect(self._sidebar_changed)
        self.search_popup = SearchPopup(self.ctx.cache, self.search, central)
        self.search_popup.hit_activated.connect(self.open_search_hit)
        self._build_status_bar()
        self._build_shortcuts()

    def _place_banner(self) -> None:
        central = self.centralWidget()
        if central is None:
            return
        width = central.width()
        height = self.banner.heightForWidth(width)
        if height <= 0:
            height = self.banner.sizeHint().height()
        self.banner.setGeometry(0, self.top_bar.geometry().bottom() + 1, width, height)
        self.banner.raise_()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.banner.isVisible():
            self._place_banner()

    def _build_top_bar(self) -> QWidget:
        bar = QFrame(self)
        bar.setObjectName("topBar")
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(10, 6, 10, 6)
        title = QLabel("<b>NinjaDesk</b>", bar)
        title.setAccessibleName("NinjaDesk")
        layout.addWidget(title)
        layout.addSpacing(16)
        self.search = SearchLineEdit("Search devices, clients, alerts, tickets… (Ctrl+K)", bar)
        named(
            self.search,
            "Search everything",
            "Search devices, clients, alerts and tickets in the local cache; Enter opens",
        )
        self.search.setMinimumWidth(360)
        self.search.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.search, 1)
        layout.addSpacing(16)
        self.sync_progress = QProgressBar(bar)
        named(self.sync_progress, "Sync progress")
        self.sync_progress.setRange(0, 0)
        self.sync_progress.setFixedWidth(160)
        self.sync_progress.setTextVisible(False)
        self.sync_progress.hide()
        # Elides: a long stage ("Fetching devices… (12,345)") must not widen the window.
        self.sync_stage = ElidedLabel("", bar)
        self.sync_stage.setAccessibleName("Sync stage")
        self.sync_stage.hide()
        self.sync_button = named(
            QPushButton("Sync", bar), "Sync now", "Fetch changes from NinjaOne (F5)"
        )
        self.cancel_button = named(
            QPushButton("Cancel", bar),
            "Cancel sync",
            "Stop the running sync; nothing half-written is kept",
        )
        self.cancel_button.hide()
        self.sync_button.clicked.connect(lambda: self.start_sync())
        self.cancel_button.clicked.connect(self.cancel_sync)
        for widget in (self.sync_stage, self.sync_progress, self.sync_button, self.cancel_button):
            layout.addWidget(widget)
        self.table_button = named(
            QToolButton(bar),
            "Table",
            "Export the current table to CSV (Ctrl+Shift+E), saved filters (Ctrl+Shift+F)",
        )
        self.table_button.setText("Table ▾")
        self.table_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.table_button.setStyleSheet(MENU_BUTTON_STYLE)
        layout.addWidget(self.table_button)
        return bar

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.connection_label = QLabel(self)
        self.last_sync_label = QLabel(self)
        self.relay_label = QLabel(self)
        for label, name in (
            (self.connection_label, "Connection state"),
            (self.last_sync_label, "Last sync"),
            (self.relay_label, "Relay state"),
        ):
            label.setAccessibleName(name)
            label.setContentsMargins(8, 0, 8, 0)
            status.addPermanentWidget(label)

    def _build_shortcuts(self) -> None:
        def action(text: str, keys: str | QKeySequence.StandardKey, slot: Callable[[], Any]):
            act = QAction(text, self)
            act.setShortcut(QKeySequence(keys))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(lambda _checked=False: slot())
            self.addAction(act)
            return act

        self.search_action = action("Search", "Ctrl+K", self.focus_search)
        self.export_action = action(
            "Export table to CSV…", "Ctrl+Shift+E", self.export_current_table
        )
        self.saved_filters_action = action(
            "Saved filters…", "Ctrl+Shift+F", self.open_saved_filters
        )
        table_menu = QMenu("Table", self)
        table_menu.setAccessibleName("Table")
        table_menu.setToolTipsVisible(True)
        table_menu.addAction(self.export_action)
        self.saved_filters_menu = table_menu.addMenu("Saved filters")
        self.saved_filters_menu.setAccessibleName("Saved filters")
        self.saved_filters_menu.aboutToShow.connect(
            lambda: self._fill_saved_filters(self.saved_filters_menu)
        )
        self.table_button.setMenu(table_menu)
        self.sync_action = action("Sync now", "F5", lambda: self.start_sync())
        action("Quit", "Ctrl+Q", self.quit_app)
        for spec in VIEW_SPECS:
            action(spec.title, spec.shortcut, functools.partial(self.show_view, spec.key))

    # -- views -----------------------------------------------------------------------------

    def view(self, key: str) -> View:
        """The view for `key`, built on first use; a placeholder while it cannot start."""
        current = self.views.get(key)
        if current is not None and not isinstance(current, PlaceholderView):
            return current
        widget = self._make_view(SPEC_BY_KEY[key])
        if current is not None:  # a placeholder: the view (or a newer reason) takes its place
            index = self.stack.indexOf(current)
            self.stack.removeWidget(current)
            current.deleteLater()
            self.stack.insertWidget(index, widget)
        else:
            self.stack.addWidget(widget)
        self.views[key] = widget
        self._connect_view(key, widget)
        return widget

    def _make_view(self, spec: ViewSpec) -> View:
        try:
            return spec.view_class(self.ctx, None)
        except Exception as exc:
            log.exception("Building the %s view failed", spec.title)
            return PlaceholderView(
                self.ctx,
                spec.title,
                f"The {spec.title} view could not start ({exc}). "
                "The rest of NinjaDesk works; restart to retry.",
            )

    def _connect_view(self, key: str, view: View) -> None:
        view.restore_state(self.state)
        view.open_device_requested.connect(self.open_device)
        view.open_alert_requested.connect(self.open_alert)
        view.open_ticket_requested.connect(self.open_ticket)
        view.open_client_requested.connect(self.open_client)
        view.show_devices_requested.connect(self.show_devices)
        view.show_alerts_requested.connect(self.show_alerts)
        view.show_patches_requested.connect(self.show_patches)
        view.show_tickets_requested.connect(self.show_tickets)
        view.sync_requested.connect(self.start_sync)
        view.message.connect(self.show_message)
        if isinstance(view, SettingsView):
            view.saved.connect(self.settings_changed.emit)

    def show_view(self, key: str) -> View:
        widget = self.view(key)
        row = [s.key for s in VIEW_SPECS].index(key)
        if self.sidebar.currentRow() != row:
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(row)
            self.sidebar.blockSignals(False)
        self.stack.setCurrentWidget(widget)
        if key in self._stale:
            self._stale.discard(key)
            self._refresh_view(widget)
        return widget

    @property
    def current_key(self) -> str:
        row = self.sidebar.currentRow()
        return VIEW_SPECS[row].key if 0 <= row < len(VIEW_SPECS) else VIEW_SPECS[0].key

    def _sidebar_changed(self, row: int) -> None:
        if 0 <= row < len(VIEW_SPECS):
            self.show_view(VIEW_SPECS[row].key)

    @staticmethod
    def _refresh_view(widget: View) -> None:
        try:
            widget.refresh()
        except Exception:
            log.exception("Refreshing %s failed", type(widget).__name__)

    # -- routing ---------------------------------------------------------------------------

    def _route(self, key: str, view_class: type[V], act: Callable[[V], object]) -> View:
        """Show `key` and, when it is the real view (not a placeholder), `act` on it."""
        widget = self.show_view(key)
        if isinstance(widget, view_class):
            act(widget)
        return widget

    def show_devices(self, device_filter: dict[str, Any] | None = None) -> View:
        return self._route("devices", DevicesView, lambda v: v.apply_filter(device_filter or {}))

    def show_alerts(self, alert_filter: dict[str, Any] | None = None) -> View:
        return self._route("alerts", AlertsView, lambda v: v.apply_filter(alert_filter or {}))

    def show_patches(self, patch_filter: dict[str, Any] | None = None) -> View:
        return self._route("patches", PatchesView, lambda v: v.apply_filter(patch_filter or {}))

    def show_tickets(self, ticket_filter: dict[str, Any] | None = None) -> View:
        """The ticket list, filtered ({"client": name, "status": "open"})."""
        return self._route("tickets", TicketsView, lambda v: v.apply_filter(ticket_filter or {}))

    def open_client(self, org_id: int) -> View:
        return self._route("clients", ClientsView, lambda v: v.show_client(int(org_id)))

    def open_device(self, device_id: int) -> View:
        return self._route("devices", DevicesView, lambda v: v.open_device(int(device_id)))

    def open_alert(self, uid: str) -> View:
        return self._route("alerts", AlertsView, lambda v: v.select_alert(uid))

    def open_ticket(self, ticket_id: str) -> View:
        return self._route("tickets", TicketsView, lambda v: v.select_ticket(ticket_id))

    # -- tables: CSV export and saved filters ------------------------------------------------

    def export_current_table(self) -> CsvExportFlow | None:
        """Ask for a file and write every row of the current view's table query to it."""
        title = SPEC_BY_KEY[self.current_key].title
        directory = str(self.state.value("export/dir", "") or "") or None
        flow = export_view(self, self.ctx.cache, self.stack.currentWidget(), title,
                           directory=directory)  # fmt: skip
        if flow is None:
            self.show_message(f"The {title} view has no table to export.")
            return None
        flow.message.connect(self.show_message)
        flow.done.connect(
            lambda path, _rows: self.state.setValue("export/dir", str(Path(path).parent))
        )
        self._export_flow = flow
        return flow

    def _saved_filter_store(self, view: View) -> SavedFilterStore:
        store = getattr(view, "store", None)
        if isinstance(store, SavedFilterStore):
            return store
        return SavedFilterStore(self.state, self.current_key)

    def _fill_saved_filters(self, menu: QMenu) -> bool:
        view = self.view(self.current_key)
        if not supports_saved_filters(view):
            menu.clear()
            title = SPEC_BY_KEY[self.current_key].title
            menu.addAction(f"The {title} view has no filters to save").setEnabled(False)
            return False
        fill_menu(
            menu,
            self._saved_filter_store(view),
            lambda: filter_state_of(view),
            view.apply_filter,  # type: ignore[attr-defined]  # supports_saved_filters checked
            parent=self,
            message=self.show_message,
        )
        return True

    def open_saved_filters(self) -> QMenu:
        """The current view's saved filters as a popup (keyboard: Ctrl+Shift+F, then arrows)."""
        menu = QMenu("Saved filters", self)
        menu.setAccessibleName("Saved filters")
        menu.setToolTipsVisible(True)
        self._fill_saved_filters(menu)
        view = self.stack.currentWidget()
        anchor = getattr(view, "saved_button", None)
        if not isinstance(anchor, QWidget) or not anchor.isVisible():
            anchor = self.table_button
        menu.popup(anchor.mapToGlobal(QPoint(0, anchor.height())))
        self._saved_filters_popup = menu
        return menu

    def open_search_hit(self, hit: SearchHit) -> None:
        if hit.kind == "device":
            self.open_device(int(hit.key))  # type: ignore[call-overload]
        elif hit.kind == "client":
            self.show_devices({"org_id": hit.key})
        elif hit.kind == "alert":
            self.open_alert(str(hit.key))
        elif hit.kind == "ticket":
            self.open_ticket(str(hit.key))

    def open_notice(self, notice: Notice) -> None:
        self.show_normal_and_raise()
        if notice.alert_uid:
            self.open_alert(notice.alert_uid)
        elif notice.count > 1:
            self.show_alerts({"severity": "CRITICAL", "status": "TRIGGERED"})

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    def show_normal_and_raise(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    # -- sync ------------------------------------------------------------------------------

    @property
    def syncing(self) -> bool:
        return self.sync.running

    def start_sync(self, device_ids: list[int] | None = None) -> asyncio.Task[SyncOutcome] | None:
        """Start a sync (F5, the Sync button, the tray, a view's "sync these devices")."""
        try:
            return self.sync.start(device_ids)
        except SyncRefused as refused:
            if self.ctx.sync is None:
                self.banner.show_message(str(refused))
            else:
                self.show_message(str(refused))
            return self.sync.task if self.sync.running else None

    def cancel_sync(self) -> None:
        self.sync.cancel()

    def _sync_finished(self, outcome: SyncOutcome) -> None:
        self.last_sync_message = outcome.message
        if outcome.problem:
            self.banner.show_message(outcome.problem)
        self._set_syncing(False)
        self.show_message(outcome.message)
        self.bridge.cache_changed()
        if self.alert_watcher.catching_up:
            self.bridge.flush()
            self.alert_watcher.baseline(self.ctx.cache.rows(CRITICAL_ALERTS_SQL))
            self.alert_watcher.catching_up = False

    def _set_syncing(self, busy: bool) -> None:
        set_enabled_quietly(self.sync_button, not busy)
        self.sync_progress.setVisible(busy)
        self.sync_stage.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.sync_stage.setText("Starting sync…")
        if self.tray is not None:
            self.tray.sync_action.setEnabled(not busy)

    def _on_sync_progress(self, stage: str, done: int, message: str) -> None:
        text = f"{message} ({done:,})" if done else message
        self.sync_stage.setText(text)
        self.sync_progress.setAccessibleDescription(text)

    # -- refresh, status, alerts -----------------------------------------------------------

    def _on_refresh(self, topics: frozenset[str]) -> None:
        current = self.stack.currentWidget()
        for key, widget in self.views.items():
            if widget is current:
                self._refresh_view(widget)
            else:
                self._stale.add(key)
        self._update_status()
        if ALERTS in topics or SYNC in topics:
            self.check_alerts()

    def _update_status(self) -> None:
        if self.ctx.sync is None:
            self.connection_label.setText("● Offline — local cache")
            self.connection_label.setToolTip("Not connected to NinjaOne; connect in Settings.")
        else:
            state = self.bridge.connection_state
            host = getattr(
                getattr(getattr(self.ctx.sync, "api", None), "client", None), "base_url", None
            )
            label = "Demo (simulator)" if self.ctx.settings.demo else "NinjaOne"
            self.connection_label.setText(
                f"● {label}: {'connected' if state == 'offline' else state}"
            )
            self.connection_label.setToolTip(str(host or ""))
        run = self.ctx.cache.last_sync_run()
        if run is None:
            self.last_sync_label.setText("Never synced")
        else:
            when = run.get("finished_at") or run.get("started_at")
            self.last_sync_label.setText(f"Last sync {ago(when, time.time())} ({run['status']})")
            self.last_sync_label.setToolTip(run.get("error") or "")
        relay = self.bridge.relay_state
        if not self.ctx.settings.relay_url and relay == "not configured":
            self.relay_label.setText("Relay: not configured")
        else:
            self.relay_label.setText(f"Relay: {relay}")

    def _start_alert_watch(self) -> None:
        current = self.ctx.cache.rows(CRITICAL_ALERTS_SQL)
        self.alert_watcher.baseline(current)
        # Silent until this session's first sync has caught up (or right away without one).
        self.alert_watcher.catching_up = self.ctx.sync is not None
        self._set_critical_count(len(current))

    def check_alerts(self) -> None:
        current = self.ctx.cache.rows(CRITICAL_ALERTS_SQL)
        self._set_critical_count(len(current))
        for notice in self.alert_watcher.observe(current):
            self.notifier.show(notice)
        if self.alert_watcher.holding and not self._held_timer.isActive():
            self._held_timer.start(int(self.alert_watcher.window_s * 1000) + 50)

    def _flush_held_notices(self) -> None:
        notices = self.alert_watcher.flush()
        for notice in notices:
            self.notifier.show(notice)
        if self.alert_watcher.holding:
            self._held_timer.start(int(self.alert_watcher.window_s * 1000) + 50)

    def _set_critical_count(self, count: int) -> None:
        self.critical_count = count
        item = self.sidebar.item([s.key for s in VIEW_SPECS].index("alerts"))
        item.setText(f"Alerts ({count})" if count else "Alerts")
        item.setToolTip(
            f"Alerts: {count} critical, not yet reset (Ctrl+3)" if count else "Alerts (Ctrl+3)"
        )
        if self.tray is not None:
            self.tray.set_count(count)

    def set_notifications_paused(self, paused: bool) -> None:
        self.alert_watcher.paused = paused
        self.ctx.settings.notifications_paused = paused
        try:
            self.ctx.save_settings()
        except OSError as exc:
            self.show_message(f"Could not save settings: {exc}")

    # -- state, close ----------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.state.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            # First start: 1280x800, but never larger than the screen (a 1024x700 laptop
            # would otherwise get a window whose right side and status bar are off-screen).
            width, height = 1280, 800
            screen = self.screen()
            if screen is not None:
                room = screen.availableGeometry()
                width, height = min(width, room.width()), min(height, room.height())
            self.resize(width, height)
        splitter = self.state.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        key = str(self.state.value("window/view", "dashboard"))
        self.show_view(key if key in SPEC_BY_KEY else "dashboard")

    def save_state(self) -> None:
        self.state.setValue("window/geometry", self.saveGeometry())
        self.state.setValue("window/splitter", self.splitter.saveState())
        self.state.setValue("window/view", self.current_key)
        for widget in self.views.values():
            widget.save_state(self.state)
        self.state.sync()

    def quit_app(self) -> None:
        self._quitting = True
        self.cancel_sync()
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        tray_ok = self.tray is not None and getattr(self.tray, "available", False)
        if not self._quitting and tray_ok and self.ctx.settings.keep_running_in_tray:
            event.ignore()
            self.hide()
            if not getattr(self, "_told_about_tray", False):
                self._told_about_tray = True
                self.notifier.show(
                    Notice(
                        "NinjaDesk is still running",
                        "It keeps watching alerts from the tray. Quit from the tray menu.",
                        None,
                        count=0,
                    )
                )
            return
        self.search_popup.hide()
        if self.tray is not None:
            self.tray.hide()
        event.accept()
