"""Enable or disable a control without Qt moving the focus elsewhere.

Disabling the focused widget makes Qt focus the next one in the tab chain with a Tab reason,
and a QLineEdit focused by Tab selects all its text: after a background action (sync, connect,
remote session) the typing cursor jumped into a field with its text selected. Dropping the
focus first keeps it where the user can see nothing happened.

`enable_by_reason` is the action-button pass of the views and cards built on it: a button is
enabled unless its action has a reason against it, which the button's tooltip then shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtWidgets import QWidget


def set_enabled_quietly(widget: QWidget, enabled: bool) -> None:
    if not enabled and widget.hasFocus():
        widget.clearFocus()
    widget.setEnabled(enabled)


def enable_by_reason(
    actions: Iterable[tuple[str, QWidget]], reason_against: Callable[[str], str | None]
) -> list[str]:
    """Enable each action's control unless `reason_against(action)` says why not; the reason is
    the control's tooltip. Returns the distinct reasons in order, for a reason line."""
    reasons: list[str] = []
    for action, widget in actions:
        reason = reason_against(action)
        set_enabled_quietly(widget, reason is None)
        widget.setToolTip(reason or "")
        if reason and reason not in reasons:
            reasons.append(reason)
    return reasons
