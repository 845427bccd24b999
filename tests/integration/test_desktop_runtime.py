"""The desktop's background services against the simulator, a relay and a SQLite PSA.

What `ninja-desk demo` and a configured desktop run: the first sync, the webhook pointed at the
relay, the PSA prepared (orgs mapped, starter rules), then the in-process agent pushing assets
and turning a critical alert into exactly one ticket that its reset resolves.

And who the desktop is: on a shared (PostgreSQL) PSA the user of its Alga API key, with that
user's rights; without a key, or with a key whose user has no right NinjaDesk uses, read-only
with a sentence; never the all-rights system (that is only the headless agent).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.session import open_api
from ninja_desk.paths import cache_file
from ninja_desk.psa.errors import PermissionDenied
from ninja_desk.psa.identity import create_api_key
from ninja_desk.psa.integrations import connect_integration
from ninja_desk.psa.migrator import migrate
from ninja_desk.psa.permissions import (
    ALL_PERMISSIONS,
    CREATE_TICKETS,
    READ_ONLY_NO_KEY,
    READ_ONLY_NO_RIGHTS,
    REMOTE_CONNECT,
    VIEW_PERMISSIONS,
    require,
)
from ninja_desk.psa.schema import rmm_integrations
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_tenant, create_user
from ninja_desk.settings import Settings
from ninja_desk.sync.alga_api_key import ENV_API_KEY
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
    from ninja_desk.cli.demo_stack import start_relay

    running = start_relay(tmp_path / "relay.sqlite3")
    yield running
    running.stop()


async def test_desktop_agent_pushes_assets_and_tickets_a_critical_alert_once(
    sim, ctl, relay, tmp_path: Path
) -> None:
    from ninja_desk.cli.demo_stack import (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        first_sync_and_webhook,
        prepare_psa,
    )
    from ninja_desk.psa.clients import list_clients
    from ninja_desk.psa.tickets import create_ticket

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


# -- who the desktop is ---------------------------------------------------------------------------

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture
def shared_psa(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A shared PostgreSQL PSA with a tenant, a technician, a rights-less user and NinjaOne."""
    monkeypatch.delenv(ENV_API_KEY, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    name = f"nd_desktop_identity_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    migrate(url)
    db = PsaDatabase(url)
    info = create_tenant(db, "Shared MSP")
    with db.tenant_session(info.tenant, info.admin_user_id) as s:
        tech = create_user(s, "tech", ("Technician",))
        nobody = create_user(s, "nobody", ())
        connect_integration(s, "https://eu.ninjarmm.com", oauth_client_id="cid")
    try:
        yield db, info.tenant, tech, nobody
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _settings(db: PsaDatabase, tenant: object) -> Settings:
    return Settings(psa_url=db.url, psa_tenant=str(tenant), client_id="cid", region="eu")


@pytest.mark.postgres
def test_a_desktop_without_a_key_only_looks(shared_psa) -> None:  # type: ignore[no-untyped-def]
    db, tenant, _tech, _nobody = shared_psa
    psa = open_desktop_psa(_settings(db, tenant), "https://eu.ninjarmm.com", user_name="x")
    assert psa is not None
    try:
        assert psa.user_id is None
        assert psa.permissions() == VIEW_PERMISSIONS
        assert psa.read_only_reason == READ_ONLY_NO_KEY
        with psa.session() as s, pytest.raises(PermissionDenied, match="ticket:create"):
            require(s, CREATE_TICKETS)
        # the tenant may be given by name too; the row is the tenant's one NinjaOne row
        by_name = Settings(psa_url=db.url, psa_tenant="shared msp", client_id="cid")
        again = open_desktop_psa(by_name, "https://eu.ninjarmm.com", user_name="x")
        assert again is not None and again.integration_id == psa.integration_id
        again.db.dispose()
    finally:
        psa.db.dispose()


@pytest.mark.postgres
def test_a_desktop_acts_as_the_user_of_its_alga_api_key(shared_psa, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db, tenant, tech, nobody = shared_psa
    key = create_api_key(db, tenant, tech)
    monkeypatch.setenv(ENV_API_KEY, key)  # the environment, as a packaged desktop may get it
    psa = open_desktop_psa(_settings(db, tenant), "https://eu.ninjarmm.com", user_name="x")
    assert psa is not None
    try:
        assert psa.user_id == tech and psa.read_only_reason is None
        assert REMOTE_CONNECT in psa.permissions() and psa.permissions() != ALL_PERMISSIONS
        assert psa.identity_summary().startswith("Signed in to Alga as tech")
        with psa.session() as s:
            require(s, CREATE_TICKETS)
        # a key whose user holds none of NinjaDesk's rights: read-only, saying why
        psa.reidentify(create_api_key(db, tenant, nobody))
        assert psa.user_id is None and psa.read_only_reason == READ_ONLY_NO_RIGHTS
        # a refused key: read-only with Alga's reason
        psa.reidentify("0" * 64)
        assert psa.read_only_reason.startswith("Read-only: Alga does not know this API key")
        psa.reidentify(key)
        assert psa.user_id == tech
    finally:
        psa.db.dispose()


@pytest.mark.postgres
def test_companion_when_algas_own_integration_runs(shared_psa) -> None:  # type: ignore[no-untyped-def]
    db, tenant, tech, _nobody = shared_psa
    with db.tenant_session(tenant) as s:
        s.conn.execute(
            rmm_integrations.update()
            .where(rmm_integrations.c.tenant == tenant)
            .values(settings={"deviceSync": {"enabled": True}})
        )
    key = create_api_key(db, tenant, tech)
    psa = open_desktop_psa(
        _settings(db, tenant), "https://eu.ninjarmm.com", user_name="x", api_key=key
    )
    assert psa is not None
    try:
        assert psa.companion and "companion" in psa.mode_reason
        assert psa.user_id == tech  # still the technician: Remote Connect works as a companion
    finally:
        psa.db.dispose()


def test_the_embedded_psa_is_its_local_administrators(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(ENV_API_KEY, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    settings = Settings(psa_url=f"sqlite:///{tmp_path / 'psa.sqlite3'}", client_id="cid")
    psa = open_desktop_psa(settings, "https://eu.ninjarmm.com", user_name="x")
    assert psa is not None
    try:
        assert psa.user_id is not None and psa.permissions() == ALL_PERMISSIONS
        assert psa.read_only_reason is None and not psa.companion
        assert settings.psa_tenant == str(psa.tenant)
    finally:
        psa.db.dispose()


@pytest.mark.postgres
def test_a_remote_session_from_the_desktop_is_in_alga_s_audit_log(shared_psa, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The desktop records a launch as its signed-in technician in audit_logs (and in the
    asset's history once the device has an asset)."""
    from ninja_desk.psa.schema import audit_logs
    from ninja_desk.sync.remote_connect import LaunchRecord

    db, tenant, tech, _nobody = shared_psa
    monkeypatch.setenv(ENV_API_KEY, create_api_key(db, tenant, tech))
    psa = open_desktop_psa(_settings(db, tenant), "https://eu.ninjarmm.com", user_name="tech")
    assert psa is not None
    try:
        psa.record_remote_launch(LaunchRecord("tech", 0.0, 4242, "PC-4242", None))
        with db.tenant_session(tenant) as s:
            rows = s.conn.execute(
                sa.select(audit_logs.c.user_id).where(
                    audit_logs.c.tenant == tenant,
                    audit_logs.c.operation == "remote_connect.launched",
                )
            ).all()
        assert [r.user_id for r in rows] == [str(tech)]
    finally:
        psa.db.dispose()
