"""Shared fixtures for the UI tests: a temp data dir, a filled cache, an AppContext, a window.

Every test gets its own data dir (settings, cache, ui-state.ini), so nothing touches the real
user profile, the registry or ~/.config.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths

from ninja_desk.cache.store import LocalCache
from ninja_desk.cache.synthetic import fill_cache
from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext


@pytest.fixture(autouse=True)
def _qt_garbage_collected_on_the_ui_thread() -> Iterator[None]:
    """A test's widgets caught in reference cycles are destroyed here, on the UI thread, at
    its end. Left to Python's automatic collection, they were sometimes collected later by
    whichever thread happened to allocate (a cache writer, a job's worker), and Qt then warned
    "Timers cannot be stopped from another thread" during another test, failing it.
    What survives is frozen (still referenced: imports, session fixtures), so the next test's
    collection scans only what that test made; a full one costs ~100 ms with Qt loaded."""
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    QStandardPaths.setTestModeEnabled(True)
    monkeypatch.setenv("NINJA_DESK_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def opened_urls() -> list[str]:
    return []


@pytest.fixture
def empty_ctx(data_dir: Path, opened_urls: list[str]) -> Iterator[AppContext]:
    cache = LocalCache(data_dir / "cache.sqlite3")
    ctx = AppContext(data_dir=data_dir, cache=cache, settings=Settings(),
                     open_url=opened_urls.append)  # fmt: skip
    yield ctx
    cache.close()


@pytest.fixture
def ctx(empty_ctx: AppContext) -> AppContext:
    """A context over a cache with 200 synthetic devices in 8 clients (seed 7)."""
    fill_cache(empty_ctx.cache, devices=200, orgs=8)
    return empty_ctx


@pytest.fixture
def window(qtbot, ctx: AppContext):
    from ninja_desk.ui.app import build_main_window

    win = build_main_window(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win._quitting = True
