from __future__ import annotations

import threading
import time

import pytest

from ninja_desk.cache.synthetic import add_ticket
from ninja_desk.psa.permissions import ACT_ALERTS, CREATE_TICKETS
from ninja_desk.sync.remote_connect import launches_in_cache
from ninja_desk.ui.models.device_detail_models import (
    DeviceAlertModel,
    DevicePatchModel,
    DeviceSoftwareModel,
    DeviceTicketModel,
)
from ninja_desk.ui.views.device_detail import NO_ALERT_SERVICE, NO_PSA, DeviceDetail


def _device_with_everything(ctx) -> int:
    """A managed device with software, patches and an active critical alert."""
    device_id = ctx.cache.scalar(
        "SELECT d.id FROM devices d WHERE d.deleted = 0 AND d.software_count > 0 "
        "AND d.pending_os_patches > 0 ORDER BY d.id LIMIT 1"
    )

    def write(conn):
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO alerts (uid, device_id, message, severity, create_time, "
            "status) VALUES ('crit-1', ?, 'Backup job failed', 'CRITICAL', 1.0, 'TRIGGERED')",
            (device_id,),
        )
        conn.exec_driver_sql("UPDATE devices SET active_alerts = 1, offline = 0 WHERE id = ?",
                             (device_id,))  # fmt: skip

    ctx.cache.write_blocking(write)
    add_ticket(ctx.cache, "T9", device_id, number="T-9", title="Backups failing")
    add_ticket(ctx.cache, "T8", device_id, number="T-8", title="Old issue", status="Closed")
    return device_id


@pytest.fixture
def detail(qtbot, ctx) -> DeviceDetail:
    widget = DeviceDetail(ctx)
    qtbot.addWidget(widget)
    widget.resize(700, 600)
    widget.show()
    return widget


def show_section(detail: DeviceDetail, name: str) -> None:
    """Click the device panel's tab `name` (its table is read when shown)."""
    titles = [detail.tabs.tabText(i) for i in range(detail.tabs.count())]
    detail.tabs.setCurrentIndex(next(i for i, t in enumerate(titles) if t.startswith(name)))


@pytest.mark.parametrize(
    "model_cls", [DeviceAlertModel, DevicePatchModel, DeviceSoftwareModel, DeviceTicketModel]
)
def test_detail_models_pass_qtmodeltester(qtmodeltester, ctx, model_cls) -> None:
    model = model_cls(ctx.cache)
    model.set_device(_device_with_everything(ctx))
    assert model.rowCount() > 0
    qtmodeltester.check(model, force_py=True)


def test_shows_status_hardware_network_and_sections(detail: DeviceDetail, ctx) -> None:
    device_id = _device_with_everything(ctx)
    detail.show_device(device_id)
    row = ctx.cache.rows("SELECT * FROM devices WHERE id = :i", i=device_id)[0]
    assert detail.title.text() == row["name"]
    assert detail.status_badge.text() == "Online"
    assert detail.fields["agent"].text() == "Online"
    assert row["serial_number"] in detail.fields["serial"].text()
    assert "10." in detail.fields["ips"].text()
    assert detail.fields["os"].text().startswith(row["os_name"])
    assert detail.tabs.tabText(1) == "Alerts (1)"
    assert detail.tabs.tabText(4) == "Tickets (2)"
    show_section(detail, "Alerts")
    assert detail.alert_model.rowCount() == 1
    show_section(detail, "Patches")
    assert detail.patch_model.rowCount() == row["pending_os_patches"] + row["failed_os_patches"]
    assert "last scan" in detail.patch_summary.text()
    show_section(detail, "Tickets")
    assert detail.ticket_model.rowCount() == 2
    # Only the open ticket is offered for recording a remote session.
    assert [detail.ticket_combo.itemData(i) for i in range(detail.ticket_combo.count())] == [
        None,
        "T9",
    ]


def test_software_search_filters_inventory(detail: DeviceDetail, ctx) -> None:
    detail.show_device(_device_with_everything(ctx))
    show_section(detail, "Software")
    everything = detail.software_model.rowCount()
    detail.software_search.set_text_now("chrome")
    assert detail.software_model.rowCount() == 1
    assert detail.software_model.row_at(0)["name"] == "Google Chrome"
    detail.software_search.set_text_now("")
    assert detail.software_model.rowCount() == everything > 1


def test_alert_actions_disabled_with_reason_without_services(detail: DeviceDetail, ctx) -> None:
    detail.show_device(_device_with_everything(ctx))
    show_section(detail, "Alerts")
    detail.alert_table.selectRow(0)
    assert not detail.ack_button.isEnabled()
    assert not detail.ticket_button.isEnabled()
    assert "Connect to NinjaOne first" in detail.alert_reason.text()
    assert NO_PSA in detail.alert_reason.text()


class FakeAlertService:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.calls: list[tuple[str, str]] = []

    def acknowledge(self, uid: str) -> None:
        self.calls.append(("acknowledge", uid))
        self.ctx.cache.write_blocking(
            lambda conn: conn.exec_driver_sql(
                "UPDATE alerts SET acknowledged_at = 2.0 WHERE uid = ?", (uid,)
            )
        )

    def create_ticket(self, uid: str) -> None:
        self.calls.append(("create_ticket", uid))


def test_alert_actions_call_the_service_and_the_view_updates(detail, ctx, qtbot) -> None:
    service = FakeAlertService(ctx)
    ctx.alerts = service
    ctx.sync = object()
    ctx.psa = object()
    ctx.permissions = frozenset({ACT_ALERTS, CREATE_TICKETS})
    detail.show_device(_device_with_everything(ctx))
    show_section(detail, "Alerts")
    detail.alert_table.selectRow(0)
    assert detail.ack_button.isEnabled() and detail.ticket_button.isEnabled()
    detail.ack_button.click()
    qtbot.waitUntil(lambda: detail.alert_reason.text() == "Alert acknowledged.")
    assert service.calls == [("acknowledge", "crit-1")]
    assert detail.alert_model.row_at(0)["acknowledged_at"] == 2.0
    detail.alert_table.selectRow(0)
    assert not detail.ack_button.isEnabled()
    assert "already acknowledged" in detail.ack_button.toolTip()


def test_missing_service_is_the_reason_when_connected(detail, ctx) -> None:
    ctx.sync = object()
    ctx.psa = object()
    ctx.permissions = frozenset({ACT_ALERTS, CREATE_TICKETS})
    detail.show_device(_device_with_everything(ctx))
    show_section(detail, "Alerts")
    detail.alert_table.selectRow(0)
    assert detail.alert_reason.text() == NO_ALERT_SERVICE


def test_linked_ticket_opens_on_double_click(detail: DeviceDetail, ctx, qtbot) -> None:
    detail.show_device(_device_with_everything(ctx))
    show_section(detail, "Tickets")
    index = detail.ticket_model.index(0, 0)
    with qtbot.waitSignal(detail.open_ticket_requested) as signal:
        detail.ticket_table.doubleClicked.emit(index)
    assert signal.args == [detail.ticket_model.row_at(0)["id"]]


def test_history_says_psa_not_configured(detail: DeviceDetail, ctx) -> None:
    detail.show_device(_device_with_everything(ctx))
    assert "PSA not configured" in detail.history_label.text()


def test_history_reads_asset_history_from_the_psa(qtbot, detail: DeviceDetail, ctx) -> None:
    class Psa:
        def asset_history(self, device_id: int):
            return [{"changed_at": 1_700_000_000, "summary": f"RAM upgraded on {device_id}"}]

    ctx.psa = Psa()
    device_id = _device_with_everything(ctx)
    detail.show_device(device_id)
    qtbot.waitUntil(lambda: f"RAM upgraded on {device_id}" in detail.history_label.text())
    assert launches_in_cache(ctx.cache, device_id) == []


class SlowPsa:
    """A PSA that takes `delay` seconds per read and records which device and thread asked."""

    user_name = "tech"

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.reads: list[int] = []
        self.threads: set[str] = set()
        self.release = threading.Event()

    def asset_history(self, device_id: int) -> list[dict]:
        self.reads.append(device_id)
        self.threads.add(threading.current_thread().name)
        self.release.wait(self.delay)
        return [{"changed_at": 1.7e9, "summary": f"history of {device_id}"}]


def test_clicking_through_devices_with_a_slow_psa_never_blocks(qtbot, detail, ctx) -> None:
    """Each click paints at once ("Reading…"); the PSA is read on a worker, one read at a time,
    and a read for a device the technician already left is not shown: the last one is."""
    psa = SlowPsa(delay=5.0)
    ctx.psa = psa
    ids = [r["id"] for r in ctx.cache.rows("SELECT id FROM devices ORDER BY id LIMIT 5")]
    started = time.perf_counter()
    for device_id in ids:
        detail.show_device(device_id)
        assert "Reading the asset history" in detail.history_label.text()
    assert time.perf_counter() - started < 2.0  # five clicks, none waited for the 5 s PSA
    assert psa.reads == [ids[0]]  # one read in flight, the others wait for it
    psa.release.set()  # the PSA answers
    qtbot.waitUntil(lambda: f"History of {ids[-1]}" in detail.history_label.text())
    assert psa.reads == [ids[0], ids[-1]]  # the devices clicked past were never read
    assert psa.threads and threading.main_thread().name not in psa.threads


def test_a_device_without_asset_history_says_so(qtbot, detail, ctx) -> None:
    class EmptyPsa:
        def asset_history(self, device_id: int) -> list[dict]:
            return []

    ctx.psa = EmptyPsa()
    detail.show_device(_device_with_everything(ctx))
    qtbot.waitUntil(lambda: "Reading" not in detail.history_label.text())
    assert detail.history_label.text() == (
        "<p>No asset history in the PSA for this device yet.</p>"
    )


def test_an_unreachable_psa_reads_as_one_sentence_in_history(qtbot, detail, ctx) -> None:
    class DeadPsa:
        def asset_history(self, device_id: int) -> list[dict]:
            raise ConnectionRefusedError("The PSA database at psa.example.com did not answer.")

    ctx.psa = DeadPsa()
    detail.show_device(_device_with_everything(ctx))
    qtbot.waitUntil(lambda: "could not be read" in detail.history_label.text())
    assert detail.history_label.text() == (
        "<p>Asset history could not be read: "
        "The PSA database at psa.example.com did not answer.</p>"
    )


def test_open_in_ninjaone_uses_the_configured_host(detail, ctx, opened_urls) -> None:
    ctx.settings.custom_base_url = "https://ninja.example.com/"
    detail.show_device(5)
    detail.open_button.click()
    assert opened_urls == ["https://ninja.example.com/#/deviceDashboard/5/overview"]


def test_empty_selection_disables_everything(detail: DeviceDetail) -> None:
    detail.show_device(None)
    assert detail.title.text() == "Select a device"
    assert not detail.connect_button.isEnabled()
    assert not detail.open_button.isEnabled()
    assert not detail.tabs.isEnabled()


def test_history_is_readable_with_ticket_numbers(qtbot, ctx) -> None:
    from ninja_desk.ui.views.device_detail import DeviceDetail

    ticket = "9f16aa2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    ctx.cache.write_blocking(
        lambda c: c.exec_driver_sql(
            "INSERT INTO psa_tickets (id, number, title) VALUES (?, 'TIC000007', 'Disk full')",
            (ticket,),
        )
    )

    class Psa:
        user_name = "tech"

        def asset_history(self, device_id: int) -> list[dict]:
            return [
                {"changed_at": 1.7e9, "summary": f"ticket_linked (ticket_id: None → '{ticket}')"},
                {
                    "changed_at": 1.7e9,
                    "change_type": "updated",
                    "changes": {"serial_number": {"old": None, "new": "SN-1"}},
                    "source": "ninjadesk",
                },
            ]

    ctx.psa = Psa()
    device_id = ctx.cache.scalar("SELECT min(id) FROM devices")
    detail = DeviceDetail(ctx)
    qtbot.addWidget(detail)
    detail.show_device(device_id)
    qtbot.waitUntil(lambda: "TIC000007" in detail.history_label.text())
    text = detail.history_label.text()
    assert "TIC000007" in text
    assert ticket not in text and "None" not in text and "'" not in text
    assert "serial number: none → SN-1" in text


def test_device_actions_and_remote_sessions_read_as_sentences() -> None:
    """What a technician did on the device, and how it ended, in words: no keys, no reprs."""
    from ninja_desk.ui.views.device_detail import history_text

    numbers = {"9f16aa2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b": "TIC000007"}
    reboot = {
        "change_type": "rmm_action",
        "changes": {
            "result": {"old": "sent", "new": "FAILURE"},
            "what": "Force reboot",
            "by": "Jane",
            "message": "The device did not come back",
            "ticket": "TIC000001",
            "source": "ninjadesk_device_action",
        },
    }
    session = {
        "change_type": "remote_connect",
        "changes": {"by": "tina@msp.example", "ticket": "9f16aa2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
    }
    assert history_text(reboot, numbers) == (
        "Force reboot failed: The device did not come back (by Jane, TIC000001)"
    )
    assert history_text(session, numbers) == (
        "Remote session opened by tina@msp.example, TIC000007"
    )


def test_a_section_is_read_when_shown_and_again_for_the_next_device(
    detail: DeviceDetail, ctx
) -> None:
    first = _device_with_everything(ctx)
    detail.show_device(first)
    assert detail.software_model.device_id is None  # not read behind the Overview
    show_section(detail, "Software")
    assert detail.software_model.device_id == first
    assert detail.software_model.rowCount() > 1
    other = ctx.cache.scalar("SELECT min(id) FROM devices WHERE id != :i", i=first)
    detail.show_device(other)  # the Software tab stays shown: read for the new device at once
    assert detail.software_model.device_id == other
    assert detail.alert_model.device_id != other  # the hidden Alerts tab waits until shown
    show_section(detail, "Alerts")
    assert detail.alert_model.device_id == other
