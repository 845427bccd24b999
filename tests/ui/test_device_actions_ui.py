"""Device actions in the app (pytest-qt, offscreen): the question names the devices and the
consequence, a bulk action shows a result per device while the loop keeps turning, the custom
fields panel is editable only with the right. The bulk test runs against the real simulator
and a real (SQLite) PSA on a qasync loop, without qtbot.wait* (design.md §5)."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from ninja_desk.psa.migrator import migrate
from ninja_desk.psa.permissions import REMOTE_CONNECT
from ninja_desk.psa.schema import asset_history
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_tenant
from ninja_desk.simulator import SimulatorConfig, run_simulator_in_thread
from ninja_desk.sync.desktop_runtime import DesktopPsa
from ninja_desk.sync.device_action_service import (
    DENIED,
    ActionRequest,
    Device,
    DeviceActionService,
)
from ninja_desk.ui.device_actions import (
    ActionProgressDialog,
    ConfirmActionDialog,
    CustomFieldsPanel,
    ResultModel,
    action_menu,
    last_action_text,
    start_device_action,
)
from tests.alerts.seed import add_asset, add_client, add_integration
from tests.ui.qasync_runs import run_on_qasync, until

RIGHT = frozenset({REMOTE_CONNECT})
DEVICES = [Device(11, "FRONT-DESK"), Device(12, "ACCOUNTS-PC"), Device(13, "LAB-01")]


class FakeActions:
    """The slice of DeviceActions the dialogs read (no NinjaOne needed)."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {"assetTag": "A-1", "patchRing": "Ring 1", "seats": 3}
        self.patched: list[dict[str, Any]] = []

    async def scripting_options(self, device_id: int) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {
            "scripts": [
                {"type": "SCRIPT", "id": 7, "name": "Clear temp files", "language": "powershell"},
                {"type": "ACTION", "uid": "uid-9", "name": "Flush DNS"},
            ],
            "credentials": {"roles": ["SYSTEM", "LOGGED_ON_USER"]},
        }

    async def custom_fields(self, device_id: int) -> dict[str, Any]:
        await asyncio.sleep(0)
        return dict(self.fields)

    async def patch_custom_fields(self, device_id: int, values: dict[str, Any]) -> None:
        self.patched.append(values)
        self.fields.update(values)


class NoPsaRecording:
    """A PSA handle whose sessions fail: the UI must still show the result."""

    user_id = uuid.uuid4()
    integration_id = uuid.uuid4()
    user_name = "tech"

    def permissions(self) -> frozenset[str]:
        return RIGHT

    def tenant_session(self) -> Any:
        raise RuntimeError("no PSA in this test")


def fake_service(permissions: frozenset[str] = RIGHT, **kw: Any) -> DeviceActionService:
    return DeviceActionService(
        kw.pop("actions", FakeActions()), NoPsaRecording(), permissions=permissions, **kw
    )


def test_the_question_names_the_devices_and_says_a_forced_reboot_plainly(qtbot) -> None:
    dialog = ConfirmActionDialog(fake_service(), ActionRequest("reboot", forced=True), DEVICES)
    qtbot.addWidget(dialog)
    text = dialog.sentence.text()
    assert text.startswith("Force a reboot of 3 devices (FRONT-DESK, ACCOUNTS-PC, LAB-01)")
    assert "without saving" in text
    assert not dialog.warning.isHidden() and "unsaved work" in dialog.warning.text()
    assert dialog.device_list.item(0).text() == "FRONT-DESK"  # names, no internal ids
    assert dialog.device_list.count() == 3
    assert dialog.ok_button.text() == "Force reboot 3 devices" and dialog.ok_button.isEnabled()
    # Enter cancels a drastic action
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).isDefault()

    plain = ConfirmActionDialog(fake_service(), ActionRequest("reboot"), DEVICES[:1])
    qtbot.addWidget(plain)
    assert plain.sentence.text().startswith("Reboot FRONT-DESK: signed-in users are asked")
    assert plain.warning.isHidden() and plain.device_list.isHidden()
    assert plain.ok_button.isDefault() and plain.ok_button.text() == "Reboot 1 device"


def test_without_the_right_the_dialog_says_why_and_cannot_be_accepted(qtbot) -> None:
    dialog = ConfirmActionDialog(fake_service(frozenset()), ActionRequest("os_apply"), DEVICES[:2])
    qtbot.addWidget(dialog)
    assert dialog.status.text() == DENIED
    assert not dialog.ok_button.isEnabled()
    menu = action_menu(dialog, lambda r: None, service=fake_service(frozenset()))
    assert all(not a.isEnabled() for a in menu.actions() if a.text())
    assert "rmm:execute_command" in menu.actions()[0].toolTip()
    scopes = fake_service(scopes=("monitoring", "management"))
    menu = action_menu(dialog, lambda r: None, service=scopes)
    enabled = {a.text() for a in menu.actions() if a.isEnabled() and a.text()}
    assert enabled == {"Start maintenance mode…", "End maintenance mode"}


def test_a_script_is_chosen_from_the_device_s_list_off_the_ui_thread(qtbot) -> None:
    async def loaded() -> ConfirmActionDialog:
        # made on the running loop, as a click in the app makes it
        dialog = ConfirmActionDialog(fake_service(), ActionRequest("script"), DEVICES[:1])
        assert not dialog.ok_button.isEnabled()  # still loading
        assert "Loading" in dialog.status.text()
        await until(lambda: dialog.script_box.count() == 2, timeout=20.0)
        return dialog

    dialog = run_on_qasync(loaded)
    qtbot.addWidget(dialog)
    assert dialog.ok_button.isEnabled()
    assert "Run the script Clear temp files on FRONT-DESK as SYSTEM." in dialog.sentence.text()
    assert not dialog.warning.isHidden()
    dialog.script_box.setCurrentIndex(1)
    request = dialog.request()
    assert request.kind == "action" and request.action_uid == "uid-9"
    assert "built-in action Flush DNS" in dialog.sentence.text()


def test_result_model_passes_the_model_tester(qtmodeltester) -> None:
    model = ResultModel(DEVICES)
    qtmodeltester.check(model)
    row = model.rows[1]
    row.result = row.status = "FAILURE"
    qtmodeltester.check(model)


def test_custom_fields_are_shown_and_editable_only_with_the_right(qtbot) -> None:
    actions = FakeActions()
    panel = CustomFieldsPanel(lambda: fake_service(frozenset(), actions=actions))
    qtbot.addWidget(panel)

    async def shown() -> None:
        panel.set_device(DEVICES[0])
        assert panel.table.rowCount() == 0  # off screen: nothing asked of NinjaOne yet
        panel.reload()  # what showing the tab does
        await until(lambda: panel.table.rowCount() == 3, timeout=20.0)

    run_on_qasync(shown)
    assert panel.table.item(0, 0).text() == "assetTag" and panel.table.item(0, 1).text() == "A-1"
    assert "rmm:execute_command" in panel.status.text() and not panel.save_button.isEnabled()

    editable = CustomFieldsPanel(lambda: fake_service(actions=actions))
    qtbot.addWidget(editable)

    async def edit_and_save() -> None:
        editable.set_device(DEVICES[0])
        editable.reload()
        await until(lambda: editable.table.rowCount() == 3, timeout=20.0)
        editable.table.item(2, 1).setText("5")  # seats, a number
        assert editable.save_button.isEnabled()
        editable.save_button.click()
        await until(lambda: editable.status.text().startswith("Saved"), timeout=20.0)

    run_on_qasync(edit_and_save)
    assert actions.patched == [{"seats": 5}]
    assert editable.status.text() == "Saved seats."


# -- against the simulator and a real PSA -----------------------------------------------------


@pytest.fixture(scope="module")
def psa_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("psa") / "psa.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sim() -> Iterator[Any]:
    with run_simulator_in_thread(
        SimulatorConfig(orgs=2, devices=40, seed=11, job_duration=0.2)
    ) as running:
        yield running


def test_bulk_reboot_shows_a_result_per_device_without_blocking(
    qtbot, sim: Any, psa_template: Path, tmp_path: Path, ctx
) -> None:
    from ninja_desk.ninjaone.retry import RetryPolicy
    from ninja_desk.ninjaone.session import open_api

    path = tmp_path / "psa.sqlite3"
    shutil.copy(psa_template, path)
    db = PsaDatabase(f"sqlite:///{path}")
    info = create_tenant(db, "MSP")
    fleet = sorted(sim.tenant.fleet.devices.values(), key=lambda d: d.id)
    online = [d for d in fleet if d.node_class.startswith("WINDOWS") and not d.offline][:20]
    offline = next(d for d in fleet if d.offline)
    assert len(online) == 20
    with db.tenant_session(info.tenant, info.admin_user_id) as s:
        integration = add_integration(s)
        client = add_client(s, "Acme")
        first_asset = add_asset(s, client, online[0].id, 1)
    selection = [Device(d.id, f"PC-{d.id}") for d in [*online, offline]]
    outcomes: list[Any] = []
    stalls: list[float] = []
    confirms: list[ConfirmActionDialog] = []

    async def run() -> ActionProgressDialog:
        api = open_api(
            sim.base_url,
            "demo-client",
            "demo-secret",
            rate_per_second=500,
            retry=RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.1),
            lock_dir=tmp_path,
        )
        service = DeviceActionService(
            api.device_actions,
            DesktopPsa(db, info.tenant, info.admin_user_id, integration, "tech"),
            cache=ctx.cache,
            permissions=RIGHT,
            poll_interval=0.1,
        )
        confirm = start_device_action(
            None, service, ActionRequest("reboot"), selection, on_outcome=outcomes.append
        )
        assert confirm.isVisible() and "21 devices (" in confirm.sentence.text()
        confirm.ok_button.click()
        confirms.append(confirm)
        progress = confirm.progress
        assert progress is not None and progress.isVisible()
        last = time.perf_counter()
        while not outcomes:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now
        await api.client.aclose()
        return progress

    try:
        progress = run_on_qasync(run)
        qtbot.addWidget(progress)
        qtbot.addWidget(confirms[0])
        (outcome,) = outcomes
        assert outcome is not None and len(outcome.results) == 21
        rows = progress.model.rows
        assert [r.device_id for r in rows] == [d.id for d in selection]
        assert all(r.result == "SUCCESS" for r in rows[:20]), [(r.result, r.message) for r in rows]
        assert rows[20].result == "NOT_SENT" and "offline" in rows[20].message
        model = progress.model
        assert model.data(model.index(20, 1)) == "Not sent"
        assert model.data(model.index(0, 1)) == "Succeeded"
        assert progress.counts.text() == "20 succeeded · 1 failed or not sent · 0 to go"
        assert progress.summary.text() == "Reboot: 20 of 21 succeeded."
        # the loop kept turning: no step of the UI loop waited long
        assert max(stalls) < 0.25, max(stalls)
        # the outcome is on the device: Alga's history and the local log
        with db.tenant_session(info.tenant) as s:
            results = list(
                s.conn.scalars(
                    sa.select(asset_history.c.changes).where(
                        asset_history.c.tenant == info.tenant,
                        asset_history.c.asset_id == first_asset,
                    )
                )
            )
        assert sorted(r["result"]["new"] for r in results) == ["SUCCESS", "sent"]
        assert last_action_text(ctx.cache, online[0].id) == "Reboot: succeeded (by tech)"
        assert last_action_text(ctx.cache, offline.id).startswith("Reboot: not sent — ")
    finally:
        db.dispose()


# -- on the devices table and the device page -------------------------------------------------


def _acting_ctx(ctx: Any, actions: FakeActions | None = None) -> Any:
    ctx.sync = SimpleNamespace(api=SimpleNamespace(device_actions=actions or FakeActions()))
    ctx.psa = NoPsaRecording()
    ctx.permissions = RIGHT
    return ctx


def _open_dialogs() -> list[ConfirmActionDialog]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, ConfirmActionDialog) and w.isVisible()
    ]


# Shown top-level for the shortcut, the devices view's own layout asks the offscreen platform
# for size hints it cannot take (Qt's offscreen plugin; not a NinjaDesk warning).
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_the_table_selection_gets_a_menu_a_button_and_shortcuts(qtbot, ctx) -> None:
    from ninja_desk.ui.views.devices_view import DevicesView

    view = DevicesView(_acting_ctx(ctx))
    qtbot.addWidget(view)
    actions = view.device_actions
    assert not actions.button.isEnabled()  # nothing selected
    view.show()
    qtbot.waitExposed(view)
    view.table.selectRow(0)
    view.table.selectionModel().select(
        view.model.index(2, 0),
        view.table.selectionModel().SelectionFlag.Select
        | view.table.selectionModel().SelectionFlag.Rows,
    )
    names = [d.name for d in actions.selected()]
    assert len(names) == 2 and actions.button.isEnabled()
    menu = actions.menu(view)
    assert menu.title() == "Device actions (2 selected)"
    assert all(a.isEnabled() for a in menu.actions() if a.text())
    # Ctrl+Shift+R asks to reboot the selection (the keys themselves: the window test below)
    assert actions.reboot_action.shortcut().toString() == "Ctrl+Shift+R"
    assert actions.menu_action.shortcut().toString() == "Ctrl+Shift+A"
    actions.reboot_action.trigger()
    (dialog,) = _open_dialogs()
    qtbot.addWidget(dialog)
    assert dialog.sentence.text().startswith(f"Reboot 2 devices ({names[0]}, {names[1]})")
    dialog.reject()
    # without the right every entry is disabled, with the reason
    ctx.permissions = frozenset()
    assert not any(a.isEnabled() for a in actions.menu(view).actions() if a.text())


def test_the_device_page_shows_actions_last_outcome_and_custom_fields(qtbot, ctx) -> None:
    from ninja_desk.ui.device_actions.wiring import action_events
    from ninja_desk.ui.views.device_detail import DeviceDetail

    detail = DeviceDetail(_acting_ctx(ctx))
    qtbot.addWidget(detail)
    extra = detail.device_actions
    device_id = int(ctx.cache.scalar("SELECT min(id) FROM devices"))
    ctx.cache.write_blocking(
        lambda c: c.exec_driver_sql(
            "INSERT INTO local_activity_log (at, kind, who, device_id, detail) VALUES "
            '(1, \'device_action\', \'jane\', ?, \'{"action": "Reboot", "result": "FAILURE",'
            ' "message": "Agent hung"}\')',
            (device_id,),
        )
    )

    async def shown() -> None:
        detail.show_device(device_id)
        extra.fields.reload()  # the tab shown
        await until(lambda: extra.fields.table.rowCount() == 3, timeout=20.0)

    run_on_qasync(shown)
    assert extra.button.isEnabled()
    assert extra.last_action.text() == "Last action: Reboot: failed — Agent hung (by jane)"
    tabs = [detail.tabs.tabText(i) for i in range(detail.tabs.count())]
    assert "Fields" in tabs
    action_events.device_updated.emit(device_id, "Started")
    assert extra.last_action.text() == "Action under way: Started"
    action_events.device_updated.emit(device_id + 100000, "Succeeded")  # another device
    assert extra.last_action.text() == "Action under way: Started"
    action_events.finished.emit(None)
    assert extra.last_action.text().startswith("Last action: Reboot: failed")


# The offscreen platform cannot size, raise or grab for a shown window and a popup menu
# (Qt's offscreen plugin; not NinjaDesk warnings).
@pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
)
def test_in_the_window_the_keys_reach_the_selection_and_the_page_has_the_fields(
    qtbot, window
) -> None:
    ctx = _acting_ctx(window.ctx)
    devices = window.show_view("devices")
    assert devices.device_actions.button.text() == "Actions"
    assert not devices.device_actions.button.isEnabled()
    devices.table.selectRow(1)
    (selected,) = devices.device_actions.selected()
    assert devices.device_actions.button.isEnabled()
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_R, ctrl_shift)
    (dialog,) = _open_dialogs()
    qtbot.addWidget(dialog)
    assert dialog.sentence.text().startswith(f"Reboot {selected.name}:")
    dialog.reject()
    # The key release reached the dialog, so Qt still believes Ctrl+Shift are held; release
    # them, or the next test's selectRow() extends a selection instead of making one.
    qtbot.keyRelease(window, Qt.Key.Key_Shift)
    qtbot.keyRelease(window, Qt.Key.Key_Control)
    assert QApplication.keyboardModifiers() == Qt.KeyboardModifier.NoModifier
    # the context menu on the selection
    rect = devices.table.visualRect(devices.model.index(1, 0))
    devices.table.customContextMenuRequested.emit(rect.center())
    menu = devices.device_actions.last_menu
    assert menu is not None and menu.isVisible()
    assert [a.text() for a in menu.actions() if a.text()][:2] == ["Reboot", "Force reboot…"]
    menu.close()
    # the device page: Actions, and the custom fields tab
    page = devices.detail
    assert page.device_actions.device == selected
    tabs = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert tabs[-1] == "Fields"
    assert ctx.permissions == RIGHT
