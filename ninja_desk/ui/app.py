"""Start the desktop app: QApplication + qasync loop + AppContext + MainWindow (+ tray)."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ninja_desk import paths
from ninja_desk.cache.store import LocalCache
from ninja_desk.environment import environment, reveal
from ninja_desk.paths import DataDirUnavailable
from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext

if TYPE_CHECKING:  # the PSA stack loads on the worker that opens it, not at start-up
    from ninja_desk.sync.desktop_runtime import DesktopPsa

log = logging.getLogger(__name__)


@dataclass
class DemoHandles:
    """What `ninja-desk demo` hands the UI: a running simulator and a NinjaOne API for it."""

    api: Any = None  # a NinjaOneApi bound to the simulator; None: connect from settings
    stop: Callable[[], None] | None = None  # stops the simulator thread on exit
    control: Any = None  # ninja_desk.simulator SimControl, to raise alerts live in the demo
    label: str = "Demo (simulator)"


def build_context(data_dir: Path | None = None, demo: DemoHandles | None = None) -> AppContext:
    root = paths.data_dir(data_dir)
    settings = Settings.load(root)
    if demo is not None:
        settings.demo = True
    cache = LocalCache(paths.cache_file(root))
    ctx = AppContext(data_dir=root, cache=cache, settings=settings)
    if demo is not None and demo.api is not None:
        from ninja_desk.sync.engine import SyncEngine

        ctx.sync = SyncEngine(demo.api, cache)
    else:
        ctx.sync = connect_engine(root, settings, cache, on_reconnect_required=_expired(ctx))
    if settings.demo:
        from ninja_desk.psa.permissions import ALL_PERMISSIONS

        ctx.permissions = ALL_PERMISSIONS  # the demo user is the admin of its own sandbox
    # The PSA is opened once the window shows (attach_psa_in_background): migrations and
    # the identity lookup must not hold the first paint, nor freeze against a dead server.
    from ninja_desk.ui.settings.ninjaone_link import ensure_link

    ensure_link(ctx)  # one status object for the badge, the status bar and the token provider
    return ctx


@dataclass
class OpenedPsa:
    """What `open_psa` found, handed from the worker thread to the UI thread."""

    psa: DesktopPsa
    permissions: frozenset[str]
    base_url: str
    relay_token: str | None


def open_psa(settings: Settings) -> OpenedPsa | None:
    """The configured PSA as this desktop's user, or None when none is configured.

    Blocking — Alembic migrations of the embedded file, the identity lookup, the rights query
    and a keyring read — so the app runs it on a worker (`attach_psa_in_background`): against
    an unreachable database each of them waits for a network timeout.
    """
    if not settings.psa_url:
        return None
    from ninja_desk.ninjaone.regions import base_url_for
    from ninja_desk.sync.desktop_runtime import local_user_name, open_desktop_psa

    base_url = base_url_for(settings.region, settings.custom_base_url)
    psa = open_desktop_psa(settings, base_url, user_name=local_user_name())
    if psa is None:
        return None
    # Rights come from the Alga user of the API key; without one the desktop only looks.
    permissions = psa.permissions()
    if psa.read_only_reason:
        log.warning("%s", psa.read_only_reason)
    return OpenedPsa(psa, permissions, base_url, relay_token())


def install_psa(ctx: AppContext, opened: OpenedPsa | None) -> None:
    """On the UI thread: the opened PSA, its rights, alert actions and the in-process agent."""
    if opened is None:
        return
    from ninja_desk.sync.desktop_runtime import DesktopAgent

    ctx.psa = opened.psa
    ctx.permissions = opened.permissions
    if ctx.sync is None:
        return
    background = DesktopAgent(
        cache=ctx.cache,
        engine=ctx.sync,
        psa=opened.psa,
        settings=ctx.settings,
        data_dir=ctx.data_dir,
        ninjaone_url=opened.base_url,
        relay_token=opened.relay_token,
        on_changed=lambda: None,
        on_relay_state=lambda _state: None,
    )
    ctx.background = background
    ctx.alerts = background.alerts


def psa_unavailable_sentence(exc: BaseException) -> str:
    """One sentence: the driver's own first line (SQLAlchemy wraps it with its class name
    and a link to its docs), what the window does meanwhile, and where to fix it."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    detail = lines[0].rstrip(".") if lines else type(cause).__name__
    return (
        f"The PSA database is not available ({detail}); NinjaDesk shows the local cache. "
        "Check it under Settings → Integrations."
    )


def attach_psa(ctx: AppContext) -> None:
    """Blocking attach, for callers without a window (benchmarks, scripts).

    A failure leaves the app on the local cache with the reason logged: a PSA database that
    is down must never keep the technician from the fleet view.
    """
    try:
        install_psa(ctx, open_psa(ctx.settings))
    except Exception as exc:
        log.warning("Starting without the PSA database (%s); fix it under Settings.", exc)


def attach_psa_in_background(
    ctx: AppContext, window: Any, loop: asyncio.AbstractEventLoop | None = None
) -> None:
    """Open the PSA on a worker; the window works on the cache meanwhile and learns of the
    PSA (rights, alert actions, agent) when it answers, or reads one sentence if it fails."""
    from ninja_desk.ui.settings.background import run_job

    if not ctx.settings.psa_url or ctx.psa is not None or getattr(window, "_psa_opening", False):
        return
    window._psa_opening = True
    settings = ctx.settings

    def done(opened: OpenedPsa | None) -> None:
        window._psa_opening = False
        if ctx.psa is None:
            install_psa(ctx, opened)
        if loop is not None:
            start_background(ctx, window, loop)
        window.bridge.cache_changed()

    def failed(exc: BaseException) -> None:
        window._psa_opening = False
        log.warning("Starting without the PSA database (%s); fix it under Settings.", exc)
        post_notice(window, psa_unavailable_sentence(exc))

    run_job(window, lambda: open_psa(settings), done, failed)


def start_background(ctx: AppContext, window: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Run the in-process agent (relay feed, schedules, alert polling) on the app's loop."""
    if ctx.background is None or getattr(ctx.background, "task", None) is not None:
        return
    ctx.background.on_changed = window.bridge.cache_changed
    ctx.background.on_relay_state = window.bridge.set_relay_state
    ctx.background.task = loop.create_task(ctx.background.run())


def apply_new_settings(ctx: AppContext, window: Any, loop: asyncio.AbstractEventLoop) -> None:
    """What Settings or the wizard configured takes effect now, not at the next start."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setQuitOnLastWindowClosed(
            not (window.tray.available and ctx.settings.keep_running_in_tray)
        )
    window.set_notifications_paused(ctx.settings.notifications_paused)
    if ctx.psa is None:
        attach_psa_in_background(ctx, window, loop)
    start_background(ctx, window, loop)
    window.bridge.cache_changed()
    # A new relay URL or endpoint secret: NinjaOne must post to it (a no-op when it already does).
    check_webhook(ctx, window)


def post_notice(window: Any, text: str) -> None:
    """An in-window notice for something the user should know but need not act on at once.

    Notices of this kind that arrive while one is still shown are read together, so a
    start-up notice is not replaced by the next one before anyone saw it.
    """
    banner = getattr(window, "banner", None)
    if banner is None:
        window.show_message(text)
        return
    shown = banner.notice
    if banner.isVisible() and shown is not None and shown.count == 0 and shown.title:
        if text in shown.title:
            return
        text = f"{shown.title} {text}"
    banner.show_message(text)


def check_webhook(ctx: AppContext, window: Any) -> None:
    """Point NinjaOne's webhook at the configured relay, off the UI thread (on the loop).

    It PUTs only when what NinjaOne holds differs from the settings, so it runs after every
    start with a saved session and every Save. A problem is a notice: sync on schedule keeps
    working without live updates. The demo registers its own webhook (cli/demo_stack.py).
    """
    from ninja_desk.ui.settings.background import bind, run_job
    from ninja_desk.ui.settings.services import (
        ensure_relay_webhook,
        session_client,
        webhook_failure,
        webhook_notice,
    )

    if ctx.settings.demo or not ctx.settings.relay_url or session_client(ctx) is None:
        return

    def done(result: Any) -> None:
        notice = webhook_notice(result)
        if notice:
            post_notice(window, notice)
        if result is not None and result.changed:
            _refresh_settings_view(window)

    def failed(exc: BaseException) -> None:
        post_notice(window, webhook_failure(exc))

    run_job(window, bind(ensure_relay_webhook, ctx), done, failed)


def _refresh_settings_view(window: Any) -> None:
    """The Settings card's webhook line follows a registration made in the background."""
    view = getattr(window, "views", {}).get("settings")
    card = getattr(getattr(view, "integrations", None), "ninjaone", None)
    if card is not None:
        card.update_state()


def show_settings_problems(ctx: AppContext, window: Any) -> None:
    """Keys of settings.json that were ignored at start-up (each a sentence), once."""
    problems = list(ctx.settings.load_problems)
    if problems:
        post_notice(window, " ".join(problems))


def after_start(ctx: AppContext, window: Any) -> None:
    """What the shown window says and checks once the loop runs: settings that were not read,
    and the webhook of a session resumed from the keyring or the environment."""
    show_settings_problems(ctx, window)
    check_webhook(ctx, window)
    settle_start_up_objects()


def settle_start_up_objects() -> None:
    """Move everything start-up made (Qt wrappers, models, modules) out of the collector's way.

    A full garbage collection walks the whole heap on the UI thread: measured at 74-145 ms
    during a 200-device bulk reboot (bench/ui_bench.py --bulk-reboot 200), against 18-28 ms
    worst with the start-up objects frozen. Objects made later are collected as usual.
    """
    gc.collect()
    gc.freeze()


def open_first_run_wizard(ctx: AppContext, window: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """Region, connect, PSA database, relay, org mapping; skippable, asked once."""
    from ninja_desk.ui.wizard.first_run import FirstRunWizard

    wizard = FirstRunWizard(ctx, window)
    wizard.setup_done.connect(lambda: apply_new_settings(ctx, window, loop))
    wizard.open()  # not exec(): the qasync loop keeps running underneath
    return wizard


def relay_token() -> str | None:
    """This desktop's relay subscriber token: NINJA_DESK_RELAY_TOKEN, else the keyring.

    Blocking (a locked keyring waits for the user): `open_psa` calls it on its worker, so the
    desktop never asks on the UI thread, at start-up or after Settings or the wizard saved.
    """
    from_env = reveal(environment().relay_token)
    if from_env:
        return from_env
    try:
        from ninja_desk.ui.settings.services import RELAY_TOKEN_KEY, relay_secrets

        return relay_secrets().get(RELAY_TOKEN_KEY)
    except Exception:  # no usable keyring: the relay stays off, Settings says why
        return None


def _expired(ctx: AppContext) -> Callable[[str], None]:
    """NinjaOne refused the session: the status badge and bar say "reconnect required" once."""

    def tell(reason: str) -> None:
        link = ctx.ninjaone
        if link is not None:
            link.status.reconnect_required(reason)

    return tell


def connect_engine(
    root: Path,
    settings: Settings,
    cache: LocalCache,
    on_reconnect_required: Callable[[str], None] | None = None,
) -> Any:
    """A SyncEngine from the saved connection (env secret, keyring secret or keyring session);
    None when nothing usable is stored, and the app starts offline on the cache."""
    if not settings.client_id:
        return None
    try:
        from ninja_desk.ninjaone.regions import base_url_for
        from ninja_desk.ninjaone.session import open_api
        from ninja_desk.sync.engine import SyncEngine

        base_url = base_url_for(settings.region, settings.custom_base_url)
        secret = reveal(environment().client_secret)
        store = None
        if secret is None:
            from ninja_desk.ninjaone import credentials

            secret = credentials.stored_client_secret(base_url, settings.client_id)
            if secret is None:
                store = credentials.keyring_token_store(base_url, settings.client_id)
                if store.load() is None:
                    return None
        api = open_api(
            base_url,
            settings.client_id,
            secret,
            store=store,
            lock_dir=root,
            on_reconnect_required=on_reconnect_required,
        )
        return SyncEngine(api, cache)
    except Exception as exc:  # no keyring, bad region...: start offline and say so in the UI
        log.warning("Starting offline: the saved NinjaOne connection is unusable (%s).", exc)
        return None


def build_main_window(ctx: AppContext) -> Any:
    """The main window with bridge and tray wired (tests and the screenshot script use this)."""
    from ninja_desk.ui.main_window import MainWindow
    from ninja_desk.ui.tray import TrayController, TrayNotifier

    tray = TrayController(paused=ctx.settings.notifications_paused)
    window = MainWindow(ctx, tray=tray)
    tray.setParent(window)
    if tray.available:
        window.notifier = TrayNotifier(tray.icon, window.open_notice)
    tray.open_requested.connect(window.show_normal_and_raise)
    tray.sync_requested.connect(lambda: window.start_sync())
    tray.quit_requested.connect(window.quit_app)
    tray.pause_toggled.connect(window.set_notifications_paused)
    tray.set_count(window.critical_count)
    if ctx.ninjaone is not None:
        ctx.ninjaone.status.add_listener(
            lambda snapshot: window.bridge.set_connection_state(snapshot.label.lower())
        )
    return window


def run_app(
    argv: list[str], *, data_dir: Path | None = None, demo: DemoHandles | None = None
) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from ninja_desk.ui.diagnostics import show_fatal, start_diagnostics
    from ninja_desk.ui.icons import app_icon
    from ninja_desk.ui.theme import follow_system_theme

    # This run's log file, redaction and Qt's messages: before Qt or start-up can say anything.
    diagnostics = start_diagnostics(data_dir)
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("NinjaDesk")
    app.setOrganizationName("NinjaDesk")
    app.setStyle("Fusion")
    app.setWindowIcon(app_icon())
    follow_system_theme(app)
    try:
        ctx = build_context(data_dir, demo)
    except DataDirUnavailable as exc:  # CacheReadOnly, CacheDiskFull, CacheBusy, the folder
        log.error("NinjaDesk cannot start: %s", exc)
        show_fatal(str(exc), diagnostics.log_path)
        if demo is not None and demo.stop is not None:
            demo.stop()
        diagnostics.close()
        return 1
    window = build_main_window(ctx)
    # With a tray the app lives on after the window closes; quit from the tray menu.
    app.setQuitOnLastWindowClosed(not (window.tray.available and ctx.settings.keep_running_in_tray))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    diagnostics.attach(window, loop)  # an error that escapes a slot or task: a dialog, logged
    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    window.show()
    if ctx.sync is not None and ctx.settings.auto_sync:
        loop.call_soon(window.start_sync)
    loop.call_soon(after_start, ctx, window)
    loop.call_soon(attach_psa_in_background, ctx, window, loop)
    start_background(ctx, window, loop)
    window.settings_changed.connect(lambda: apply_new_settings(ctx, window, loop))
    if not ctx.settings.first_run_done and not ctx.settings.demo:
        open_first_run_wizard(ctx, window, loop)
    try:
        with loop:
            loop.run_until_complete(closing.wait())
    finally:
        if ctx.background is not None:
            ctx.background.stop()
        window.save_state()
        ctx.cache.close()
        if demo is not None and demo.stop is not None:
            demo.stop()
        diagnostics.close()
    return 0


if __name__ == "__main__":  # pragma: no cover - manual start
    sys.exit(run_app(sys.argv))
