"""Several machines at once: the push lock, ticket numbers, alert acknowledgement."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.psa import alerts, tickets
from ninja_desk.psa.clients import create_client
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import SyncInProgress
from ninja_desk.psa.schema import assets
from ninja_desk.psa.schema import ninjadesk_sync_leases as sync_leases
from ninja_desk.psa.sync_lock import push_lock
from ninja_desk.sync.psa_push import push_snapshots
from tests.psa.builders import device, snapshot
from tests.psa.helpers import setup_integration


def _count(db, tenant):
    with db.tenant_session(tenant) as s:
        return s.conn.scalar(
            sa.select(sa.func.count()).select_from(assets).where(assets.c.tenant == tenant)
        )


def test_two_pushers_at_once_one_skips_and_no_asset_is_duplicated(psa):
    integration, _ = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    snaps = [snapshot(device(i), software=2) for i in range(1, 401)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run(db):
        barrier.wait()
        try:
            outcomes.append(push_snapshots(db, psa.tenant, integration, snaps, full=True))
        except SyncInProgress as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(psa.another(),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    created = sum(getattr(o, "created", 0) for o in outcomes)
    skipped = [o for o in outcomes if isinstance(o, SyncInProgress)]
    # Either the second one was refused while the first held the lock, or it came after and
    # found nothing to create. Never two creators.
    assert created == 400
    assert len(skipped) <= 1
    if skipped:
        assert "skipped" in str(skipped[0])
    assert _count(psa.psa, psa.tenant) == 400


def test_a_waiting_pusher_runs_after_the_holder_and_changes_nothing(psa):
    integration, _ = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    snaps = [snapshot(device(i)) for i in range(1, 201)]
    results = {}
    with push_lock(psa.psa, psa.tenant, integration):
        waiter = threading.Thread(
            target=lambda: results.setdefault(
                "w",
                push_snapshots(
                    psa.another(), psa.tenant, integration, snaps, full=True, lock_wait=30
                ),
            )
        )
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive()  # blocked on the lock we hold
    waiter.join(30)
    assert results["w"].created == 200
    assert _count(psa.psa, psa.tenant) == 200


def test_another_machine_is_refused_while_the_lock_is_held(psa):
    integration, _ = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    with (
        push_lock(psa.psa, psa.tenant, integration, holder="desk-1"),
        pytest.raises(SyncInProgress),
    ):
        push_snapshots(psa.another(), psa.tenant, integration, [snapshot(device(1))], full=True)
    assert _count(psa.psa, psa.tenant) == 0
    push_snapshots(psa.another(), psa.tenant, integration, [snapshot(device(1))], full=True)
    assert _count(psa.psa, psa.tenant) == 1


def test_pushes_for_different_tenants_do_not_block_each_other(psa):
    """Alga allows one NinjaOne integration per tenant: the lock is per tenant and integration."""
    first, _ = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    other = psa.new_tenant("Other MSP")
    second, _ = setup_integration(psa.psa, other.tenant, other.admin_user_id, {1: "Acme"})
    with push_lock(psa.psa, psa.tenant, first):
        result = push_snapshots(
            psa.another(), other.tenant, second, [snapshot(device(1))], full=True
        )
    assert result.created == 1


def test_a_crashed_holders_lease_expires(psa):
    """SQLite: the lease row of a dead holder runs out. PostgreSQL: the advisory lock dies with
    the holder's connection, whatever its lease row says."""
    integration, _ = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    with psa.psa.tenant_session(psa.tenant) as s:
        s.conn.execute(
            sync_leases.insert().values(
                tenant=psa.tenant,
                integration_id=integration,
                holder="crashed-desk:1234",
                acquired_at=utcnow() - timedelta(hours=1),
                expires_at=utcnow() - timedelta(minutes=50),
            )
        )
    result = push_snapshots(psa.psa, psa.tenant, integration, [snapshot(device(1))], full=True)
    assert result.created == 1


def test_a_live_lease_blocks_on_sqlite(tmp_path, sqlite_template):
    import shutil

    from ninja_desk.psa.tenancy import PsaDatabase
    from ninja_desk.psa.tenants import create_tenant

    path = tmp_path / "psa.sqlite3"
    shutil.copy(sqlite_template, path)
    db = PsaDatabase(f"sqlite:///{path}")
    info = create_tenant(db, "MSP")
    integration, _ = setup_integration(db, info.tenant, info.admin_user_id, {1: "Acme"})
    with db.tenant_session(info.tenant) as s:
        s.conn.execute(
            sync_leases.insert().values(
                tenant=info.tenant,
                integration_id=integration,
                holder="other-desk:99",
                acquired_at=utcnow(),
                expires_at=utcnow() + timedelta(minutes=5),
            )
        )
    with pytest.raises(SyncInProgress, match="other-desk:99") as err:
        push_snapshots(db, info.tenant, integration, [snapshot(device(1))], full=True)
    assert err.value.holder == "other-desk:99"
    db.dispose()


@pytest.mark.postgres
def test_a_killed_process_releases_the_postgres_lock(pg):
    """A real second process takes the advisory lock and is killed; we get the lock at once."""
    integration, _ = setup_integration(pg.psa, pg.tenant, pg.admin_id, {1: "Acme"})
    script = textwrap.dedent(f"""
        import sys, time, uuid
        from ninja_desk.psa.tenancy import PsaDatabase
        from ninja_desk.psa.sync_lock import push_lock
        db = PsaDatabase({pg.pg.url!r})
        with push_lock(db, uuid.UUID({str(pg.tenant)!r}), uuid.UUID({str(integration)!r})):
            print("locked", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(SyncInProgress):
            push_snapshots(pg.psa, pg.tenant, integration, [snapshot(device(1))], full=True)
        proc.kill()
        proc.wait(10)
        result = push_snapshots(
            pg.psa, pg.tenant, integration, [snapshot(device(1))], full=True, lock_wait=10
        )
        assert result.created == 1
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdout.close()


def test_concurrent_ticket_creation_never_reuses_a_number(psa):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        client = create_client(s, "Acme")
    numbers: list[str] = []
    lock = threading.Lock()

    def worker(db):
        for _ in range(10):
            with db.tenant_session(psa.tenant, psa.admin_id) as s:
                t = tickets.create_ticket(s, client_id=client, title="load")
            with lock:
                numbers.append(t.ticket_number)

    threads = [threading.Thread(target=worker, args=(psa.another(),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(numbers) == 40
    assert sorted(numbers) == [f"TIC{n:06d}" for n in range(1, 41)]


def test_two_technicians_acknowledging_at_once_one_wins(psa):
    integration, _ = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        alert_id, _ = alerts.record_alert(s, integration, "series-race")
    wins = []
    barrier = threading.Barrier(2)

    def ack(db):
        barrier.wait()
        with db.tenant_session(psa.tenant, psa.admin_id) as s:
            wins.append(alerts.acknowledge_alert(s, alert_id))

    threads = [threading.Thread(target=ack, args=(psa.another(),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(wins) == [False, True]


def test_even_without_the_push_lock_two_push_transactions_never_duplicate_assets(psa):
    """Belt and braces: bypass push_lock and run two pushes' transactions at once. Alga's schema
    has no unique key on the device id, so the database serialises the transactions (an
    advisory transaction lock on PostgreSQL, BEGIN IMMEDIATE on SQLite): one creates, the other
    then finds every asset."""
    from ninja_desk.sync import psa_push

    integration, _ = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    snaps = [snapshot(device(i)) for i in range(1, 301)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run(db):
        barrier.wait()  # before BEGIN: SQLite's BEGIN IMMEDIATE would block the other thread
        try:
            with db.tenant_session(psa.tenant) as s:
                outcomes.append(psa_push._push(s, integration, snaps, True))
        except sa.exc.IntegrityError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(psa.another(),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 2
    assert sum(getattr(o, "created", 0) for o in outcomes) == 300
    assert _count(psa.psa, psa.tenant) == 300


def test_two_real_processes_pushing_at_once_never_duplicate(psa):
    integration, _ = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    script = textwrap.dedent(f"""
        import sys, time, uuid
        from ninja_desk.psa.errors import SyncInProgress
        from ninja_desk.psa.tenancy import PsaDatabase
        from ninja_desk.sync.psa_push import push_snapshots
        from tests.psa.builders import device, snapshot
        db = PsaDatabase({psa.psa.url!r})
        snaps = [snapshot(device(i)) for i in range(1, 1501)]
        start = float(sys.argv[1])
        time.sleep(max(0.0, start - time.time()))
        try:
            r = push_snapshots(db, uuid.UUID({str(psa.tenant)!r}),
                               uuid.UUID({str(integration)!r}), snaps, full=True)
            print("created", r.created, flush=True)
        except SyncInProgress:
            print("skipped 0", flush=True)
    """)
    start = time.time() + 2.0  # both processes begin at the same instant
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(start)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(int(out[1]) for out in outputs) == 1500
    assert _count(psa.psa, psa.tenant) == 1500
