"""Device actions in the app: the menu, the question, the progress and the result per device,
and the custom fields panel. The work is sync/device_action_service.py's; nothing here blocks
the UI thread (the service runs on the qasync loop, the PSA on its worker threads).

    menu = action_menu(parent, lambda request: start_device_action(parent, ctx, request, devs))
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import QDialog, QMenu, QWidget

from ninja_desk.cache.queries.device_detail import LAST_DEVICE_ACTION_SQL
from ninja_desk.sync.device_action_service import (
    MAINTENANCE_OFF,
    MAINTENANCE_ON,
    ActionRequest,
    Device,
    DeviceActionService,
)
from ninja_desk.ui.device_actions.confirm_dialog import ConfirmActionDialog
from ninja_desk.ui.device_actions.custom_fields_panel import CustomFieldsPanel
from ninja_desk.ui.device_actions.progress_dialog import (
    ActionProgressDialog,
    ResultModel,
    status_words,
)

__all__ = [
    "MENU_ENTRIES",
    "ActionProgressDialog",
    "ConfirmActionDialog",
    "CustomFieldsPanel",
    "ResultModel",
    "action_menu",
    "fill_action_menu",
    "last_action_text",
    "service_for",
    "start_device_action",
]

# (menu text, the request it starts); "…" where the dialog asks for more.
MENU_ENTRIES: tuple[tuple[str, ActionRequest], ...] = (
    ("Reboot", ActionRequest("reboot")),
    ("Force reboot…", ActionRequest("reboot", forced=True)),
    ("Run script…", ActionRequest("script")),
    ("Scan for OS patches", ActionRequest("os_scan")),
    ("Apply OS patches", ActionRequest("os_apply")),
    ("Scan for software patches", ActionRequest("software_scan")),
    ("Apply software patches", ActionRequest("software_apply")),
    ("Restart a Windows service…", ActionRequest("service", service_action="RESTART")),
    ("Start maintenance mode…", ActionRequest(MAINTENANCE_ON)),
    ("End maintenance mode", ActionRequest(MAINTENANCE_OFF)),
)


def service_for(ctx: Any) -> DeviceActionService:
    """The service on the app's current connection, PSA sign-in and rights."""
    api = getattr(ctx.sync, "api", None) if ctx.sync is not None else None
    return DeviceActionService(
        getattr(api, "device_actions", None),
        ctx.psa,
        scopes=ctx.settings.scopes,
        cache=ctx.cache,
        permissions=frozenset(ctx.permissions) if ctx.psa is not None else None,
    )


def action_menu(
    parent: QWidget,
    on_pick: Callable[[ActionRequest], None],
    *,
    service: DeviceActionService | None = None,
) -> QMenu:
    """The device actions as a menu; with `service`, entries it refuses are disabled with
    the reason as their tooltip."""
    menu = QMenu("Device actions", parent)
    fill_action_menu(menu, on_pick, service=service)
    return menu


def fill_action_menu(
    menu: QMenu,
    on_pick: Callable[[ActionRequest], None],
    *,
    service: DeviceActionService | None = None,
) -> None:
    """(Re)fill `menu` with the device actions (a button's menu, on aboutToShow)."""
    menu.clear()
    menu.setToolTipsVisible(True)
    for i, (text, request) in enumerate(MENU_ENTRIES):
        if i in (3, 7):
            menu.addSeparator()
        action = menu.addAction(text)
        action.triggered.connect(lambda _=False, r=request: on_pick(r))
        if service is not None:
            ok, reason = service.availability(request)
            action.setEnabled(ok)
            if not ok:
                action.setToolTip(reason)


def start_device_action(
    parent: QWidget,
    service: DeviceActionService,
    request: ActionRequest,
    devices: Sequence[Device],
    *,
    ticket: str | None = None,
    on_outcome: Callable[[Any], None] | None = None,
    on_device: Callable[[int, str], None] | None = None,
) -> ConfirmActionDialog:
    """Ask first (open(), never exec()); on OK show the progress dialog and run."""
    confirm = ConfirmActionDialog(service, request, devices, ticket=ticket, parent=parent)

    def accepted() -> None:
        progress = ActionProgressDialog(
            service,
            confirm.request(),
            devices,
            ticket=confirm.ticket_number(),
            parent=parent,
        )
        confirm.progress = progress
        if on_outcome is not None:
            progress.finished_outcome.connect(on_outcome)
        if on_device is not None:
            progress.device_updated.connect(on_device)
        progress.open()
        progress.start()

    confirm.finished.connect(
        lambda code: accepted() if code == QDialog.DialogCode.Accepted else None
    )
    confirm.open()
    return confirm


def last_action_text(cache: Any, device_id: int) -> str | None:
    """The device's last action and how it ended, from the local activity log (offline too)."""
    try:
        rows = cache.rows(LAST_DEVICE_ACTION_SQL, d=int(device_id))
    except Exception:  # an older cache without the table: nothing to show
        return None
    if not rows:
        return None
    row = rows[0]
    try:
        detail = json.loads(row["detail"] or "{}")
    except ValueError:
        detail = {}
    result = status_words().get(str(detail.get("result")), str(detail.get("result") or "?"))
    text = f"{detail.get('action') or 'Action'}: {result.lower()}"
    if detail.get("message") and detail.get("result") != "SUCCESS":
        text += f" — {detail['message']}"
    return text + f" (by {row['who']})"
