"""The desktop's background services against the simulator, a relay and a SQLite PSA.

What `ninja-desk demo` and a configured desktop run: the first sync, the webhook pointed at the
relay, the PSA prepared (orgs mapped, starter rules), then the in-process agent pushing assets
and turning a critical alert into exactly one ticket that its reset resolves.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.cache.store import LocalCache
from ninja_desk.cli.demo_stack import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    first_sync_and_webhook,
    prepare_psa,
    start_relay,
)
from ninja_desk.ninjaone.session import open_api
from ninja_desk.paths import cache_file
from ninja_desk.psa.clients import list_clients
from ninja_desk.psa.permissions import ALL_PERMISSIONS
from ninja_desk.psa.tickets import create_ticket
from ninja_desk.settings import Settings
from ninja_desk.sync.desktop_runtime import DesktopAgent, open_desktop_psa
from ninja_desk.sync.engine import SyncEngine


async def wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def tickets(psa_url: str) -> list[tuple[str, str]]:
    engine = sa.create_engine(psa_url)
    try:
        with engine.connect() as conn:
            return [
                (r.title, r.status)
                for r in conn.execute(
                    sa.text(
                        "SELECT t.title, s.name AS status FROM tickets t JOIN statuses s "
                        "ON s.tenant = t.tenant AND s.status_id = t.status_id"
                    )
                )
            ]
    finally:
        engine.dispose()


@pytest.fixture
def relay(tmp_path: Path):  # type: ignore[no-untyped-def]
    running = start_relay(tmp_path / "relay.sqlite3")
    yield running
    running.stop()


async def test_desktop_agent_pushes_assets_and_tickets_a_critical_alert_once(
    sim, ctl, relay, tmp_path: Path
) -> None:
    demo_dir = tmp_path
    await first_sync_and_webhook(sim.base_url, demo_dir, relay)
    settings = Settings(custom_base_url=sim.base_url, client_id=DEMO_CLIENT_ID,
                        relay_url=relay.url)  # fmt: skip
    prepare_psa(demo_dir, settings, sim.base_url)
    psa = open_desktop_psa(settings, sim.base_url, user_name="tech")
    assert psa is not None
    assert psa.permissions() == ALL_PERMISSIONS  # the embedded PSA's one local administrator

    cache = LocalCache(cache_file(demo_dir))
    engine = SyncEngine(
        open_api(sim.base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, lock_dir=demo_dir), cache
    )
    changes: list[str] = []
    states: list[str] = []
    desktop = DesktopAgent(
        cache=cache, engine=engine, psa=psa, settings=settings, data_dir=demo_dir,
        ninjaone_url=sim.base_url, relay_token=relay.subscriber_token,
        on_changed=lambda: changes.append("x"), on_relay_state=states.append,
    )  # fmt: skip
    task = asyncio.create_task(desktop.run())
    try:
        await desktop.after_sync(full=True)  # what the window does after its F5 sync
        with psa.session() as s:
            pushed = s.conn.execute(sa.text("SELECT count(*) FROM assets")).scalar_one()
        assert pushed == cache.scalar("SELECT count(*) FROM devices WHERE deleted = 0")

        # The full push told the PSA which orgs exist; an org NinjaOne drops is reported.
        assert desktop.agent.record_organizations().vanished == ()
        gone = cache.scalar("SELECT min(id) FROM organizations")
        await cache.write(
            lambda conn: conn.exec_driver_sql(
                "UPDATE organizations SET deleted = 1 WHERE id = ?", (gone,)
            )
        )
        assert [org for org, _name in desktop.agent.record_organizations().vanished] == [str(gone)]

        # A ticket someone opens in the PSA reaches this desktop's offline view.
        with psa.session() as s:
            client = list_clients(s)[0]
            manual = create_ticket(s, client_id=client.client_id, title="Printer jammed again")
        await desktop.mirror.run_once()
        mirrored = cache.rows("SELECT number, title, client_name FROM psa_tickets")
        assert {"number": manual.ticket_number, "title": "Printer jammed again",
                "client_name": client.name} in mirrored  # fmt: skip

        await wait_for(lambda: "live" in states, 10)
        device = cache.scalar("SELECT min(id) FROM devices WHERE os_name IS NOT NULL")
        alert = ctl.trigger_alert(device, "CRITICAL", message="Disk C: is full")
        await wait_for(lambda: len(tickets(settings.psa_url)) == 2, 10)
        title, _status = next(
            t for t in tickets(settings.psa_url) if t[0] != "Printer jammed again"
        )
        assert title.startswith("[NinjaOne Alert]") and "on " in title
        await wait_for(
            lambda: (
                cache.scalar("SELECT ticket_number FROM alerts WHERE uid = :u", u=alert["uid"])
                is not None
            ),
            5,
        )
        assert changes  # the window would have been told to refresh

        ctl.reset_alert(alert["uid"])

        def alert_ticket_status() -> str:
            return next(t for t in tickets(settings.psa_url) if t[0] == title)[1].lower()

        await wait_for(lambda: alert_ticket_status() != "new", 10)
        assert len(tickets(settings.psa_url)) == 2  # the reset closed it, made no second one
    finally:
        desktop.stop()
        await asyncio.wait_for(task, 15)
        await engine.api.client.aclose()
        cache.close()
        psa.db.dispose()
