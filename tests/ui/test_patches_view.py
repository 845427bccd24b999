"""The Patches view: grouped by KB and by client from the cache's patch tables, rows of the
selected groups, "Apply patches on N devices" through the shared device action dialogs, and
its models under qtmodeltester (paged synchronously and on the worker)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from ninja_desk.cache.queries import patches as pq
from ninja_desk.ui.models.patch_models import PatchesByClientModel, PatchesByKbModel, PatchRowsModel
from ninja_desk.ui.views.patches_view import NO_ACTIONS, PatchesView


def _settle(qtbot, view: PatchesView) -> None:
    models = (view.by_kb, view.by_client, view.rows)
    qtbot.waitUntil(lambda: not any(m.loading for m in models), timeout=5000)
    qtbot.waitUntil(lambda: not view._targets_timer.isActive(), timeout=5000)
    qtbot.wait(50)  # the targets query's answer


@pytest.fixture
def view(qtbot, ctx) -> PatchesView:
    widget = PatchesView(ctx)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    _settle(qtbot, widget)
    return widget


def _select_rows(table, rows: list[int]) -> None:
    selection = table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(
            table.model().index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


@pytest.mark.parametrize("cls", [PatchesByKbModel, PatchesByClientModel, PatchRowsModel])
def test_models_pass_modeltester(qtmodeltester, qtbot, ctx, cls) -> None:
    model = cls(ctx.cache)
    model.background = False
    model.page_size = 3 if cls is PatchesByClientModel else 40  # several pages each
    model.reload()
    assert model.rowCount() > 0
    qtmodeltester.check(model, force_py=True)  # it keeps watching every change below
    model.fetch_all_until(lambda _r: False)
    assert model.rowCount() == model.total
    # Resets from here on go through the worker, as in the view. (The tester runs its checks
    # on modelReset before it marks the reset done, so a page inserted synchronously from
    # inside a reset would trip it; the worker inserts later, outside the reset.)
    model.background = True
    with qtbot.waitSignal(model.reloaded, timeout=5000):
        model.sort(1, Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == model.page_size
    while model.canFetchMore():  # pages arrive from the worker one at a time
        before = model.rowCount()
        model.fetchMore()
        qtbot.waitUntil(lambda m=model, b=before: m.rowCount() > b, timeout=5000)
    assert model.rowCount() == model.total


def test_groups_by_kb_match_the_query(view: PatchesView, ctx) -> None:
    sql, params = pq.by_patch_sql(pq.PatchFilter())
    expected = ctx.cache.scalar(f"SELECT count(*) FROM ({sql})", **params)
    assert view.by_kb.total == expected > 0
    assert f"{expected:,} patches" in view.group_count.text()
    first = view.by_kb.row_at(0)
    assert first["devices"] == max(view.by_kb.row_at(i)["devices"] for i in range(10))
    assert view.rows_heading.text().startswith("All devices matching the filters")


def test_selecting_a_kb_narrows_the_rows_and_counts_devices(qtbot, view: PatchesView) -> None:
    _select_rows(view.kb_table, [0])
    qtbot.waitUntil(lambda: view.rows.patch_keys == (view.by_kb.row_at(0)["key"],), timeout=3000)
    _settle(qtbot, view)
    group = view.by_kb.row_at(0)
    assert view.rows.total == group["devices"]  # one synthetic row per device and KB
    assert {view.rows.row_at(i)["kb"] for i in range(view.rows.rowCount())} == {group["kb"]}
    assert view.device_count() == group["devices"]
    assert view.apply_button.text() == f"Apply patches on {group['devices']} device" + (
        "" if group["devices"] == 1 else "s"
    )
    # Not connected to NinjaOne: disabled, and the reason is on screen and in the tooltip.
    assert not view.apply_button.isEnabled()
    assert view.reason_label.text() == view.apply_button.toolTip() != ""


def test_client_mode_filters_and_state_round_trip(qtbot, view: PatchesView, ctx) -> None:
    view.client_button.click()
    _settle(qtbot, view)
    assert view.groups.currentWidget() is view.client_table
    assert view.by_client.total == ctx.cache.scalar("SELECT count(DISTINCT organization_id) "
                                                    "FROM devices WHERE deleted = 0")  # fmt: skip
    compliance = [view.by_client.row_at(i)["compliance"] for i in range(view.by_client.rowCount())]
    assert compliance == sorted(compliance)  # least compliant first
    view.apply_filter({"mode": "kb", "status": "failed", "family": "os", "org_id": 2})
    _settle(qtbot, view)
    state = view.filter_state()
    assert state == {"mode": "kb", "status": "failed", "family": "os", "severity": None,
                     "org_id": 2, "text": ""}  # fmt: skip
    assert view.groups.currentWidget() is view.kb_table
    for i in range(view.rows.rowCount()):
        row = view.rows.row_at(i)
        assert (row["status"], row["family"], row["organization_id"]) == ("FAILED", "os", 2)
    opened: list[int] = []
    view.open_client_requested.connect(opened.append)
    view.apply_filter({"mode": "client"})
    _settle(qtbot, view)
    view.client_table.activated.emit(view.by_client.index(0, 0))
    assert opened == [view.by_client.row_at(0)["org_id"]]


def test_export_takes_the_focused_table(qtbot, view: PatchesView) -> None:
    assert view.current_table() is view.kb_table
    view.rows_table.setFocus()
    qtbot.waitUntil(view.rows_table.hasFocus, timeout=2000)
    assert view.current_table() is view.rows_table


class _Actions:
    """Stands in for api.device_actions: the confirmation dialog never sends anything."""


def test_apply_opens_the_confirmation_naming_the_devices(
    qtbot, view: PatchesView, monkeypatch
) -> None:
    from ninja_desk.psa.permissions import REMOTE_CONNECT
    from ninja_desk.sync.device_action_service import DeviceActionService
    from ninja_desk.ui import device_actions  # not importorskip: a broken import must fail

    service = DeviceActionService(_Actions(), object(), permissions=frozenset({REMOTE_CONNECT}))
    monkeypatch.setattr(device_actions, "service_for", lambda _ctx: service)
    started: list[Any] = []
    real_start = device_actions.start_device_action

    def spy(parent, svc, request, devices, **kwargs):
        started.append((request.kind, sorted(d.id for d in devices)))
        return real_start(parent, svc, request, devices, **kwargs)

    monkeypatch.setattr(device_actions, "start_device_action", spy)
    view.apply_filter({"family": "os", "status": "pending"})
    _settle(qtbot, view)
    _select_rows(view.kb_table, [0, 1])
    qtbot.waitUntil(lambda: len(view.rows.patch_keys) == 2, timeout=3000)
    _settle(qtbot, view)
    assert view.apply_button.isEnabled(), view.reason_label.text()
    wanted = sorted(t.device_id for t in view.targets["os"])
    assert len(wanted) > 1
    dialog = view.start_action("os", "apply")
    assert started == [("os_apply", wanted)]
    assert dialog.isVisible()
    from ninja_desk.ui.device_actions.confirm_dialog import device_names

    listed = [dialog.device_list.item(i).text() for i in range(dialog.device_list.count())]
    assert sorted(d.id for d in dialog.devices) == wanted
    assert listed == device_names(dialog.devices)  # names; an id only for a shared name
    assert "OS patches" in dialog.sentence.text()
    dialog.reject()


def test_mixed_families_ask_which_patches(qtbot, view: PatchesView, monkeypatch) -> None:
    view.targets = {
        "os": [pq.Target(1, "A", False)],
        "software": [pq.Target(2, "B", False), pq.Target(3, "C", True)],
    }
    monkeypatch.setattr(view, "action_reason", lambda: None)
    view.scan_button.setEnabled(True)
    view._act("scan", view.scan_button)
    menu = view._family_menu
    assert [a.text() for a in menu.actions()] == [
        "Scan for OS patches on 1 device",
        "Scan for software patches on 2 devices",
    ]
    menu.close()


def test_without_device_actions_the_buttons_say_why(view: PatchesView, monkeypatch) -> None:
    monkeypatch.setattr(view, "_service", lambda: None)
    view.targets = {"os": [pq.Target(1, "A", False)]}
    view._update_actions()
    assert not view.apply_button.isEnabled() and not view.scan_button.isEnabled()
    assert view.apply_button.toolTip() == NO_ACTIONS


def test_fetch_all_pages_everything_even_in_background_mode(ctx) -> None:
    model = PatchRowsModel(ctx.cache)
    model.page_size = 25
    model.reload()
    assert model.background and model.canFetchMore()
    model.fetch_all()  # would spin forever if it waited on worker pages
    assert model.rowCount() == model.total > 25
    assert model.background
