"""Everything a view needs, handed in once (no globals, easy to fake in tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ninja_desk.cache.store import LocalCache
from ninja_desk.settings import Settings
from ninja_desk.sync.engine import SyncEngine


def open_in_browser(url: str) -> Any:
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
    psa: Any = None
    # The signed-in PSA user's permissions (ninja_desk.psa.permissions); empty = read-only.
    permissions: frozenset[str] = field(default_factory=frozenset)
    # Injected so tests capture Remote Connect / "open in NinjaOne" instead of launching a browser.
    # It may return a bool, an OpenResult or an awaitable of either; None means "did not say".
    open_url: Callable[[str], Any] = open_in_browser
    # The alert actions (ninja_desk.sync.alert_service.AlertService) once a PSA is configured.
    alerts: Any = None
    # The NinjaOne sign-in/disconnect/webhook controller for the Settings page and wizard.
    ninjaone: Any = None
    # The in-process agent (ninja_desk.sync.desktop_runtime.DesktopAgent), when it runs.
    background: Any = None

    def save_settings(self) -> None:
        self.settings.save(self.data_dir)
