"""Accessible names in one call, so no control ships without one."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def named[W: QWidget](
    widget: W, name: str, description: str | None = None, *, tip: bool = True
) -> W:
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
    if tip and not widget.toolTip():
        widget.setToolTip(description or name)
    return widget
