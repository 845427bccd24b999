"""The shell: sidebar, Ctrl+K search, sync with progress and cancel, status bar, notices.

Views are built on first use (start-up paints the dashboard only). Views owned by other
modules (alerts, tickets, software, settings) are imported by name when first shown; until
their module exists the shell shows a placeholder and tries again the next time.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from ninja_desk.ui.a11y import named
from ninja_desk.ui.bridge import ALERTS, SYNC, UiBridge
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.formatting import ago
from ninja_desk.ui.icons import app_icon
from ninja_desk.ui.notifier import CallbackNotifier, CriticalAlertWatcher, Notice, Notifier
from ninja_desk.ui.search_popup import SearchPopup
from ninja_desk.ui.ui_state import ui_state
from ninja_desk.ui.views.placeholder import PlaceholderView
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
    module: str
    class_name: str
    shortcut: str


VIEW_SPECS: tuple[ViewSpec, ...] = (
    ViewSpec(
        "dashboard", "Dashboard", "ninja_desk.ui.views.dashboard_view", "DashboardView", "Ctrl+1"
    ),
    ViewSpec("devices", "Devices", "ninja_desk.ui.views.devices_view", "DevicesView", "Ctrl+2"),
    ViewSpec("alerts", "Alerts", "ninja_desk.ui.views.alerts_view", "AlertsView", "Ctrl+3"),
    ViewSpec("tickets", "Tickets", "ninja_desk.ui.views.tickets_view", "TicketsView", "Ctrl+4"),
    ViewSpec("software", "Software", "ninja_desk.ui.views.software_view", "SoftwareView", "Ctrl+5"),
    ViewSpec("clients", "Clients", "ninja_desk.ui.views.client_page", "ClientsView", "Ctrl+6"),
    ViewSpec("patches", "Patches", "ninja_desk.ui.views.patches_view", "PatchesView", "Ctrl+7"),
    ViewSpec(
        "settings", "Settings", "ninja_desk.ui.settings.settings_view", "SettingsView", "Ctrl+8"
    ),
)
SPEC_BY_KEY = {s.key: s for s in VIEW_SPECS}


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
        self.views: dict[str, QWidget] = {}
        self._stale: set[str] = set()
        self._quitting = False
        self._sync_task: asyncio.Task[Any] | None = None
        self._session_syncs = 0
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
            action(spec.title, spec.shortcut, lambda key=spec.key: self.show_view(key))

    # -- views -----------------------------------------------------------------------------

    def view(self, key: str) -> QWidget:
        """The view for `key`, built on first use; a placeholder until its module lands."""
        current = self.views.get(key)
        if current is not None and not getattr(current, "is_placeholder", False):
            return current
        widget = self._make_view(SPEC_BY_KEY[key])
        if current is not None:
            if getattr(widget, "is_placeholder", False):
                widget.deleteLater()
                return current
            index = self.stack.indexOf(current)
            self.stack.removeWidget(current)
            current.deleteLater()
            self.stack.insertWidget(index, widget)
        else:
            self.stack.addWidget(widget)
        self.views[key] = widget
        self._connect_view(widget)
        return widget

    def _make_view(self, spec: ViewSpec) -> QWidget:
        try:
            module = importlib.import_module(spec.module)
            cls = getattr(module, spec.class_name)
        except (ImportError, AttributeError):
            return PlaceholderView(
                self.ctx, spec.title, f"The {spec.title} view is not installed in this build yet."
            )
        try:
            return cls(self.ctx, None)
        except Exception as exc:
            log.exception("Building the %s view failed", spec.title)
            return PlaceholderView(
                self.ctx,
                spec.title,
                f"The {spec.title} view could not start ({exc}). "
                "The rest of NinjaDesk works; restart to retry.",
            )

    def _connect_view(self, widget: QWidget) -> None:
        restore = getattr(widget, "restore_state", None)
        if callable(restore):
            restore(self.state)
        hooks = {
            "open_device": self.open_device,
            "show_devices_requested": self.show_devices,
            "show_alerts_requested": self.show_alerts,
            "open_alert_requested": self.open_alert,
            "open_ticket_requested": self.open_ticket,
            "open_client_requested": self.open_client,
            "show_patches_requested": self.show_patches,
            "show_tickets_requested": self.show_tickets,
            "sync_requested": self.start_sync,
            "message": self.show_message,
            "saved": self.settings_changed.emit,
        }
        for name, slot in hooks.items():
            signal = getattr(widget, name, None)
            if signal is not None and hasattr(signal, "connect"):
                signal.connect(slot)

    def show_view(self, key: str) -> QWidget:
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
    def _refresh_view(widget: QWidget) -> None:
        refresh = getattr(widget, "refresh", None)
        if callable(refresh):
            try:
                refresh()
            except Exception:
                log.exception("Refreshing %s failed", type(widget).__name__)

    # -- routing ---------------------------------------------------------------------------

    def show_devices(self, device_filter: dict[str, Any] | None = None) -> QWidget:
        widget = self.show_view("devices")
        apply = getattr(widget, "apply_filter", None)
        if callable(apply):
            apply(device_filter or {})
        return widget

    def show_alerts(self, alert_filter: dict[str, Any] | None = None) -> QWidget:
        widget = self.show_view("alerts")
        apply = getattr(widget, "apply_filter", None)
        if callable(apply):
            apply(alert_filter or {})
        return widget

    def show_patches(self, patch_filter: dict[str, Any] | None = None) -> QWidget:
        widget = self.show_view("patches")
        apply = getattr(widget, "apply_filter", None)
        if callable(apply):
            apply(patch_filter or {})
        return widget

    def show_tickets(self, ticket_filter: dict[str, Any] | None = None) -> QWidget:
        """The ticket list, filtered when the view takes filters ({"client": name, ...})."""
        widget = self.show_view("tickets")
        apply = getattr(widget, "apply_filter", None)
        if callable(apply):
            apply(ticket_filter or {})
        return widget

    def open_client(self, org_id: int) -> QWidget:
        widget = self.show_view("clients")
        show = getattr(widget, "show_client", None)
        if callable(show):
            show(int(org_id))
        return widget

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

    def _saved_filter_store(self, view: QWidget) -> SavedFilterStore:
        store = getattr(view, "store", None)
        if isinstance(store, SavedFilterStore):
            return store
        return SavedFilterStore(self.state, self.current_key)

    def _fill_saved_filters(self, menu: QMenu) -> bool:
        view = self.stack.currentWidget()
        if not supports_saved_filters(view):
            menu.clear()
            title = SPEC_BY_KEY[self.current_key].title
            menu.addAction(f"The {title} view has no filters to save").setEnabled(False)
            return False
        fill_menu(
            menu,
            self._saved_filter_store(view),
            lambda: filter_state_of(view),
            view.apply_filter,  # type: ignore[attr-defined]
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

    def open_device(self, device_id: int) -> QWidget:
        widget = self.show_view("devices")
        opener = getattr(widget, "open_device", None)
        if callable(opener) and not hasattr(opener, "connect"):
            opener(int(device_id))
        return widget

    def open_alert(self, uid: str) -> QWidget:
        widget = self.show_view("alerts")
        select = getattr(widget, "select_alert", None)
        if callable(select):
            select(uid)
        return widget

    def open_ticket(self, ticket_id: str) -> QWidget:
        widget = self.show_view("tickets")
        select = getattr(widget, "select_ticket", None)
        if callable(select):
            select(ticket_id)
        return widget

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
        return self._sync_task is not None and not self._sync_task.done()

    def start_sync(self, device_ids: list[int] | None = None) -> asyncio.Task[Any] | None:
        if self.syncing:
            self.show_message("A sync is already running.")
            return self._sync_task
        engine = self.ctx.sync
        if engine is None:
            self.banner.show_message(
                "Not connected to NinjaOne: you are looking at the local cache. "
                "Connect NinjaOne in Settings to sync."
            )
            return None
        try:
            self._sync_task = asyncio.ensure_future(self._run_sync(engine, device_ids))
        except RuntimeError:
            self.show_message("Sync needs the app's event loop; start NinjaDesk with run_app().")
            return None
        return self._sync_task

    async def _run_sync(self, engine: Any, device_ids: list[int] | None) -> Any:
        self._set_syncing(True)
        result = None
        try:
            if device_ids and callable(getattr(engine, "sync_devices", None)):
                result = await engine.sync_devices(
                    list(device_ids), progress=self.bridge.sync_progress
                )
            else:
                mode = "incremental" if device_ids else "auto"
                result = await engine.sync(mode, self.bridge.sync_progress)
            kind = getattr(result, "kind", "sync")
            background = getattr(self.ctx, "background", None)
            if background is not None and not device_ids:
                await self._after_sync(background, kind == "full")
            self.last_sync_message = (
                f"{str(kind).capitalize()} sync finished: {getattr(result, 'devices', 0)} devices"
                f" in {getattr(result, 'seconds', 0):.1f} s."
            )
        except asyncio.CancelledError:
            self.last_sync_message = "Sync cancelled; the cache keeps what the last sync saved."
        except Exception as exc:
            log.exception("Sync failed")
            self.last_sync_message = (
                f"Sync failed: {exc}. The cache still shows the last good sync; press F5 to retry."
            )
            self.banner.show_message(self.last_sync_message)
        finally:
            self._session_syncs += 1
            self._set_syncing(False)
            self.show_message(self.last_sync_message)
            self.bridge.cache_changed()
            if self.alert_watcher.catching_up:
                self.bridge.flush()
                self.alert_watcher.baseline(self.ctx.cache.rows(CRITICAL_ALERTS_SQL))
                self.alert_watcher.catching_up = False
        return result

    async def _after_sync(self, background: Any, full: bool) -> None:
        """Assets to the PSA and new conditions to the alert pipeline, after the cache."""
        try:
            await background.after_sync(full)
        except Exception as exc:  # the cache is synced; the PSA catches up on the next run
            log.exception("PSA update after sync failed")
            self.banner.show_message(
                f"Synced, but the PSA database was not updated: {exc}. It will retry."
            )

    def cancel_sync(self) -> None:
        if self.syncing and self._sync_task is not None:
            self._sync_task.cancel()

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
            self.resize(1280, 800)
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
            saver = getattr(widget, "save_state", None)
            if callable(saver):
                saver(self.state)
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
