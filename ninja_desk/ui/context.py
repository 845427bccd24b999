"""Everything a view needs, handed in once (no globals, easy to fake in tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from ninja_desk.cache.store import LocalCache
from ninja_desk.settings import Settings
from ninja_desk.sync.engine import SyncEngine
from ninja_desk.sync.services import (
    AlertActions,
    BackgroundServices,
    NinjaOneLinkService,
    PsaService,
)

# What an opener may answer: a bool, an OpenResult (its `ok` says), or an awaitable of either;
# None means "did not say" (sync/remote_connect.opener_outcome reads all of them).
UrlOpener = Callable[[str], object | Awaitable[object]]


def open_in_browser(url: str) -> Awaitable[object]:
    """The system opener; an awaitable OpenResult says whether the link really opened."""
    from ninja_desk.ui.opener import open_external

    return open_external(url)


@dataclass
class AppContext:
    data_dir: Path
    cache: LocalCache
    settings: Settings
    # None until NinjaOne is connected; views show the offline cache meanwhile.
    sync: SyncEngine | None = None
    # The PSA database handle once configured (ninja_desk.psa); None otherwise.
    psa: PsaService | None = None
    # The signed-in PSA user's permissions (ninja_desk.psa.permissions); empty = read-only.
    permissions: frozenset[str] = field(default_factory=frozenset)
    # Injected so tests capture Remote Connect / "open in NinjaOne" instead of launching a browser.
    # It may return a bool, an OpenResult or an awaitable of either; None means "did not say".
    open_url: UrlOpener = open_in_browser
    # The alert actions (ninja_desk.sync.alert_service.AlertService) once a PSA is configured.
    alerts: AlertActions | None = None
    # The NinjaOne sign-in/disconnect/webhook controller for the Settings page and wizard.
    ninjaone: NinjaOneLinkService | None = None
    # The in-process agent (ninja_desk.sync.desktop_runtime.DesktopAgent), when it runs.
    background: BackgroundServices | None = None

    def save_settings(self) -> None:
        self.settings.save(self.data_dir)
