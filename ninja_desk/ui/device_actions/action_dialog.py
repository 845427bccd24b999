"""What the confirmation and the progress dialogs of a device action have in common."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from PySide6.QtWidgets import QDialog, QLayout, QVBoxLayout, QWidget

from ninja_desk.sync.device_action_service import ActionRequest, Device, DeviceActionService
from ninja_desk.ui.a11y import named


class DeviceActionDialog(QDialog):
    """One action on some devices: the title names both; `body` is the dialog's column.

    Both dialogs are made from what `start_device_action` has (the service, the request, the
    devices and the ticket to note the outcome on); a subclass names itself and its minimum
    size, and lays out `body` in `_build`.
    """

    dialog_name: ClassVar[str]
    minimum: ClassVar[tuple[int, int]]

    def __init__(
        self,
        service: DeviceActionService,
        request: ActionRequest,
        devices: Sequence[Device],
        *,
        ticket: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.requested = request  # what was asked (the confirmation may refine it)
        self.devices = list(devices)
        self.setWindowTitle(f"{request.label} — {len(self.devices)} device(s)")
        named(self, self.dialog_name)
        self.body = QVBoxLayout(self)
        # A minimum size of our own instead of the layout's: the same on every platform, and
        # no propagateSizeHints() warning from platforms that cannot take size hints.
        self.body.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setMinimumSize(*self.minimum)
        self._build(ticket)

    def _build(self, ticket: str | None) -> None:
        """Lay out the dialog under `body`; `ticket` is the one the caller already knows."""
        raise NotImplementedError
