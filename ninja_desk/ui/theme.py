"""Light and dark palettes that follow the OS colour scheme (Qt 6 `QStyleHints.colorScheme`)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from ninja_desk.environment import environment

# Severity and status colours read on both palettes (white text on them).
SEVERITY_COLORS: dict[str, str] = {
    "CRITICAL": "#dc2626",
    "MAJOR": "#ea580c",
    "MODERATE": "#ca8a04",
    "MINOR": "#2563eb",
    "NONE": "#64748b",
}
STATUS_COLORS: dict[str, str] = {
    "online": "#16a34a",
    "offline": "#64748b",
    "unknown": "#a16207",
    "deleted": "#7f1d1d",
}
ACCENT = "#2563eb"
WARN = "#ea580c"
BAD = "#dc2626"
GOOD = "#16a34a"
MUTED = "#64748b"

_LIGHT = {
    QPalette.ColorRole.Window: "#f5f6f8",
    QPalette.ColorRole.WindowText: "#1f2933",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f1f4f8",
    QPalette.ColorRole.Text: "#1f2933",
    QPalette.ColorRole.Button: "#eef1f5",
    QPalette.ColorRole.ButtonText: "#1f2933",
    QPalette.ColorRole.Highlight: ACCENT,
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#1f2933",
    # Also the colour of hints and subtitles (palette(placeholder-text)): 4.5:1 on Window.
    QPalette.ColorRole.PlaceholderText: "#5f6b7a",
    QPalette.ColorRole.Link: ACCENT,
    QPalette.ColorRole.Mid: "#c9d0d9",
}
_DARK = {
    QPalette.ColorRole.Window: "#1e2227",
    QPalette.ColorRole.WindowText: "#e6e9ee",
    QPalette.ColorRole.Base: "#16191d",
    QPalette.ColorRole.AlternateBase: "#22262c",
    QPalette.ColorRole.Text: "#e6e9ee",
    QPalette.ColorRole.Button: "#2a2f36",
    QPalette.ColorRole.ButtonText: "#e6e9ee",
    QPalette.ColorRole.Highlight: "#3b82f6",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#2a2f36",
    QPalette.ColorRole.ToolTipText: "#e6e9ee",
    QPalette.ColorRole.PlaceholderText: "#9aa3b0",
    QPalette.ColorRole.Link: "#60a5fa",
    QPalette.ColorRole.Mid: "#3a414a",
}


def palette_for(dark: bool) -> QPalette:
    palette = QPalette()
    for role, color in (_DARK if dark else _LIGHT).items():
        palette.setColor(role, QColor(color))
    disabled = QColor("#6b7280" if dark else "#9aa3ae")
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def system_prefers_dark() -> bool:
    # NINJA_DESK_THEME=dark|light overrides the desktop (no colour-scheme portal under Xvfb).
    forced = environment().theme  # any other value was reported at start-up and is None here
    if forced is not None:
        return forced == "dark"
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def is_dark(palette: QPalette | None = None) -> bool:
    window = (palette or QGuiApplication.palette()).color(QPalette.ColorRole.Window)
    return window.lightness() < 128


def apply_theme(app: QGuiApplication, dark: bool | None = None) -> bool:
    """Apply the palette for `dark` (default: what the OS says); returns whether it is dark."""
    dark = system_prefers_dark() if dark is None else dark
    app.setPalette(palette_for(dark))
    return dark


def follow_system_theme(app: QGuiApplication) -> None:
    apply_theme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))
