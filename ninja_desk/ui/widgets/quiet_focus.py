"""Enable or disable a control without Qt moving the focus elsewhere.

Disabling the focused widget makes Qt focus the next one in the tab chain with a Tab reason,
and a QLineEdit focused by Tab selects all its text: after a background action (sync, connect,
remote session) the typing cursor jumped into a field with its text selected. Dropping the
focus first keeps it where the user can see nothing happened.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def set_enabled_quietly(widget: QWidget, enabled: bool) -> None:
    if not enabled and widget.hasFocus():
        widget.clearFocus()
    widget.setEnabled(enabled)
