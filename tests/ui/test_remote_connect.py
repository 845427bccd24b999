from __future__ import annotations

import asyncio
import itertools

import pytest

from ninja_desk.psa.permissions import REMOTE_CONNECT
from ninja_desk.sync.remote_connect import (
    LaunchRecord,
    RemoteConnect,
    RemoteConnectError,
    launches_in_cache,
)
from ninja_desk.ui.views.device_detail import DeviceDetail

ONLINE = {"id": 7, "name": "SRV-7", "offline": 0, "deleted": 0}


class FakeApi:
    def __init__(self, url: str = "https://app.ninjarmm.com/#/deviceDashboard/{id}/overview"):
        self.url = url
        self.calls: list[int] = []

    async def dashboard_url(self, device_id: int) -> dict:
        self.calls.append(device_id)
        return {"url": self.url.format(id=device_id)}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def service(**kw) -> RemoteConnect:
    defaults = dict(open_url=lambda url: None, scopes=["monitoring", "control"],
                    permissions=frozenset({REMOTE_CONNECT}))  # fmt: skip
    defaults.update(kw)
    api = defaults.pop("api", FakeApi())
    return RemoteConnect(api, **defaults)


@pytest.mark.parametrize(
    ("kwargs", "device", "reason"),
    [
        ({"api": None}, ONLINE, "Connect NinjaOne in Settings"),
        ({"scopes": ["monitoring", "management"]}, ONLINE, "'control' scope"),
        ({"permissions": frozenset()}, ONLINE, "right to open remote sessions"),
        ({}, {**ONLINE, "offline": 1}, "offline"),
        ({}, {**ONLINE, "deleted": 1}, "removed from NinjaOne"),
        ({}, {**ONLINE, "offline": None}, "unknown"),
        ({}, None, "Select a device"),
    ],
)
def test_unavailable_with_a_reason(kwargs, device, reason) -> None:
    verdict = service(**kwargs).availability(device)
    assert not verdict.ok
    assert reason in verdict.reason


async def test_launch_opens_url_caches_it_and_records(empty_ctx) -> None:
    api, clock, opened, records = FakeApi(), Clock(), [], []
    remote = service(api=api, open_url=opened.append, cache=empty_ctx.cache, clock=clock,
                     user="ann", record_launch=records.append)  # fmt: skip
    assert remote.availability(ONLINE).ok
    url = await remote.launch(ONLINE, ticket_id="T-1")
    assert opened == [url] == ["https://app.ninjarmm.com/#/deviceDashboard/7/overview"]
    assert records == [LaunchRecord("ann", 1000.0, 7, "SRV-7", "T-1")]
    clock.now += 60
    await remote.launch(ONLINE)
    assert api.calls == [7], "the URL is cached for a few minutes"
    clock.now += 600
    await remote.launch(ONLINE)
    assert api.calls == [7, 7]
    logged = launches_in_cache(empty_ctx.cache, 7)
    assert [(r["who"], r["ticket_id"]) for r in logged] == [("ann", None), ("ann", None),
                                                             ("ann", "T-1")]  # fmt: skip


async def test_async_psa_recorder_failure_does_not_undo_the_launch(empty_ctx) -> None:
    opened = []

    async def broken(record: LaunchRecord) -> None:
        raise RuntimeError("PSA database unreachable")

    remote = service(open_url=opened.append, cache=empty_ctx.cache, record_launch=broken)
    await remote.launch(ONLINE)
    assert len(opened) == 1
    assert remote.last_record_error == "PSA database unreachable"
    assert len(launches_in_cache(empty_ctx.cache)) == 1


async def test_a_slow_psa_recorder_does_not_stall_the_loop(empty_ctx) -> None:
    """Recording in the PSA is a blocking database write: it runs on a worker while the loop
    (the one the window shares) keeps turning."""
    import threading
    import time

    threads: list[threading.Thread] = []

    def slow_record(record: LaunchRecord) -> None:
        threads.append(threading.current_thread())
        time.sleep(1.0)  # a PSA far away

    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    remote = service(cache=empty_ctx.cache, record_launch=slow_record)
    beat = asyncio.ensure_future(ticker())
    try:
        await remote.launch(ONLINE)
    finally:
        beat.cancel()
    assert threads and threads[0] is not threading.main_thread()
    # Blocked, the loop would show the whole second; the margin is for a loaded machine.
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.6
    assert len(launches_in_cache(empty_ctx.cache)) == 1


async def test_refuses_bad_url_and_unavailable_device() -> None:
    remote = service(api=FakeApi(url="javascript:alert({id})"))
    with pytest.raises(RemoteConnectError, match="did not return a link"):
        await remote.launch(ONLINE)
    with pytest.raises(RemoteConnectError, match="offline"):
        await service().launch({**ONLINE, "offline": 1})


class FakeEngine:
    def __init__(self) -> None:
        self.api = FakeApi()


def _connected(ctx) -> None:
    ctx.sync = FakeEngine()
    ctx.permissions = frozenset({REMOTE_CONNECT})


def _online_device(ctx) -> int:
    device_id = ctx.cache.scalar("SELECT id FROM devices WHERE deleted = 0 ORDER BY id LIMIT 1")
    ctx.cache.write_blocking(
        lambda c: c.exec_driver_sql("UPDATE devices SET offline = 0 WHERE id = ?", (device_id,))
    )
    return device_id


async def test_button_opens_the_url_through_ctx_open_url(qtbot, ctx, opened_urls) -> None:
    _connected(ctx)
    device_id = _online_device(ctx)
    detail = DeviceDetail(ctx)
    qtbot.addWidget(detail)
    detail.show_device(device_id)
    assert detail.connect_button.isEnabled()
    assert not detail.connect_reason.isVisibleTo(detail)
    detail.connect_button.click()
    for _ in range(50):
        if opened_urls:
            break
        await asyncio.sleep(0.01)
    assert opened_urls == [f"https://app.ninjarmm.com/#/deviceDashboard/{device_id}/overview"]
    for _ in range(50):
        if "opened" in detail.connect_reason.text():
            break
        await asyncio.sleep(0.01)
    assert "Remote session opened" in detail.connect_reason.text()
    assert "local user" in detail.history_label.text()


def test_button_disabled_with_reason_when_offline(qtbot, ctx) -> None:
    _connected(ctx)
    device_id = ctx.cache.scalar("SELECT id FROM devices WHERE offline = 1 AND deleted = 0")
    detail = DeviceDetail(ctx)
    qtbot.addWidget(detail)
    detail.show()
    detail.show_device(device_id)
    assert not detail.connect_button.isEnabled()
    assert "offline" in detail.connect_reason.text()
    assert detail.connect_reason.isVisible()
    assert detail.connect_button.toolTip() == detail.connect_reason.text()


def test_button_disabled_without_permission_or_scope(qtbot, ctx) -> None:
    _connected(ctx)
    device_id = _online_device(ctx)
    ctx.permissions = frozenset()
    detail = DeviceDetail(ctx)
    qtbot.addWidget(detail)
    detail.show_device(device_id)
    assert not detail.connect_button.isEnabled()
    assert "remote sessions" in detail.connect_reason.text()
    ctx.permissions = frozenset({REMOTE_CONNECT})
    ctx.settings.scopes = ["monitoring"]
    detail2 = DeviceDetail(ctx)
    qtbot.addWidget(detail2)
    detail2.show_device(device_id)
    assert "'control' scope" in detail2.connect_reason.text()


# -- the system opener decides whether a session happened (issue 13) -------------------------


async def test_failed_opener_is_an_error_with_the_link_and_records_nothing(empty_ctx) -> None:
    from ninja_desk.sync.remote_connect import OpenerFailed
    from ninja_desk.ui.opener import OpenResult

    recorded: list[LaunchRecord] = []

    async def opener(url: str) -> OpenResult:
        return OpenResult(False, "gio: Operation not supported")

    remote = service(open_url=opener, cache=empty_ctx.cache, record_launch=recorded.append)
    with pytest.raises(OpenerFailed) as err:
        await remote.launch(ONLINE)
    assert "gio: Operation not supported" in str(err.value)
    assert "Copy the link" in str(err.value)
    assert err.value.link == "https://app.ninjarmm.com/#/deviceDashboard/7/overview"
    assert recorded == []
    assert launches_in_cache(empty_ctx.cache) == []


async def test_opener_returning_false_or_raising_is_a_failure(empty_ctx) -> None:
    from ninja_desk.sync.remote_connect import OpenerFailed

    def broken(url: str) -> None:
        raise OSError("No such file or directory: 'xdg-open'")

    for opener in (lambda url: False, broken):
        with pytest.raises(OpenerFailed):
            await service(open_url=opener, cache=empty_ctx.cache).launch(ONLINE)
    assert launches_in_cache(empty_ctx.cache) == []


async def test_open_external_reads_the_openers_exit_status() -> None:
    from ninja_desk.ui.opener import open_external

    failing = ["sh", "-c", "echo 'gio: Operation not supported' >&2; exit 4", "opener"]
    result = await open_external("https://example.invalid/x", command=failing)
    assert not result.ok
    assert result.reason == "gio: Operation not supported"
    assert (await open_external("https://example.invalid/x", command=["true"])).ok
    # An opener still running once settled has handed the link to a browser.
    slow = await open_external("u", command=["sh", "-c", "sleep 0.3", "x"], settle_s=0.05)
    assert slow.ok
    missing = await open_external("u", command=["/nonexistent/xdg-open"])
    assert not missing.ok and "could not be started" in missing.reason
    await asyncio.sleep(0.4)


async def test_button_reports_failure_with_copy_link_when_the_opener_fails(qtbot, ctx) -> None:
    from ninja_desk.ui.opener import OpenResult

    _connected(ctx)
    device_id = _online_device(ctx)

    async def opener(url: str) -> OpenResult:
        return OpenResult(False, "gio: Operation not supported")

    ctx.open_url = opener
    detail = DeviceDetail(ctx)
    qtbot.addWidget(detail)
    detail.show()
    detail.show_device(device_id)
    detail.connect_button.click()
    for _ in range(100):
        if "failed" in detail.connect_reason.text():
            break
        await asyncio.sleep(0.01)
    text = detail.connect_reason.text()
    assert "Remote session opened" not in text
    assert "could not open" in text and "gio: Operation not supported" in text
    assert detail.copy_link_button.isVisible()
    detail.copy_link_button.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text().endswith(f"/deviceDashboard/{device_id}/overview")
    assert launches_in_cache(ctx.cache, device_id) == []
    assert "local user" not in detail.history_label.text()
