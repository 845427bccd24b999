"""One pusher per integration, enforced by the database.

PostgreSQL: a session-level advisory lock on a dedicated connection. If the holder crashes its
connection dies and the server releases the lock at once. Elsewhere (SQLite): a lease row with
an expiry, taken with a conditional write; a crashed holder's lease simply runs out. On both,
the lease row records who holds the lock, for display.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import SyncInProgress
from ninja_desk.psa.schema import ninjadesk_sync_leases as sync_leases
from ninja_desk.psa.tenancy import PsaDatabase

DEFAULT_LEASE = timedelta(minutes=10)


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _advisory_key(tenant: uuid.UUID, integration_id: uuid.UUID) -> int:
    digest = hashlib.blake2b(f"psa-push:{tenant}:{integration_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def lock_push_transaction(s: Any, integration_id: uuid.UUID) -> None:
    """Serialise push transactions for one integration inside the database (PostgreSQL).

    push_lock already keeps a second pusher out; this transaction-level advisory lock is the
    belt and braces that makes "never two assets for one device" hold even for code that
    bypasses push_lock, since Alga's schema has no unique key on the device id. (A different
    key from push_lock's session lock, which is held on another connection of the same push.)
    On SQLite every write transaction already begins IMMEDIATE, which serialises them.
    """
    if s.conn.dialect.name == "postgresql":
        digest = hashlib.blake2b(f"psa-push-tx:{s.tenant}:{integration_id}".encode(), digest_size=8)
        key = int.from_bytes(digest.digest(), "big", signed=True)
        s.conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _try_lease(
    psa: PsaDatabase,
    tenant: uuid.UUID,
    integration_id: uuid.UUID,
    holder: str,
    ttl: timedelta,
    force: bool,
) -> str | None:
    """Take or renew the lease. Returns None on success, else the current holder."""
    now = utcnow()
    t = sync_leases
    with psa.tenant_session(tenant) as s:
        where = [t.c.tenant == tenant, t.c.integration_id == integration_id]
        if not force:
            where.append(sa.or_(t.c.expires_at < now, t.c.holder == holder))
        taken = s.conn.execute(
            t.update().where(*where).values(holder=holder, acquired_at=now, expires_at=now + ttl)
        ).rowcount
        if taken:
            return None
        current = s.conn.scalar(
            sa.select(t.c.holder).where(t.c.tenant == tenant, t.c.integration_id == integration_id)
        )
        if current is not None:
            return current
        s.conn.execute(
            t.insert().values(
                tenant=tenant,
                integration_id=integration_id,
                holder=holder,
                acquired_at=now,
                expires_at=now + ttl,
            )
        )
        return None


def _release_lease(
    psa: PsaDatabase, tenant: uuid.UUID, integration_id: uuid.UUID, holder: str
) -> None:
    t = sync_leases
    with psa.tenant_session(tenant) as s:
        s.conn.execute(
            t.delete().where(
                t.c.tenant == tenant, t.c.integration_id == integration_id, t.c.holder == holder
            )
        )


@contextmanager
def push_lock(
    psa: PsaDatabase,
    tenant: uuid.UUID,
    integration_id: uuid.UUID,
    *,
    wait: float = 0.0,
    ttl: timedelta = DEFAULT_LEASE,
    holder: str | None = None,
) -> Iterator[str]:
    """Hold the push lock for the block, waiting up to `wait` seconds. Raises SyncInProgress."""
    holder = holder or default_holder()
    deadline = time.monotonic() + wait
    if psa.is_postgres:
        key = _advisory_key(tenant, integration_id)
        with psa.engine.connect() as lock_conn:
            while True:
                got = lock_conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
                lock_conn.commit()
                if got:
                    break
                if time.monotonic() >= deadline:
                    raise SyncInProgress(
                        "Another machine is pushing devices to the PSA right now; "
                        "this push was skipped and will run next time."
                    )
                time.sleep(0.1)
            try:
                # The advisory lock is the authority; the row only says who holds it.
                _try_lease(psa, tenant, integration_id, holder, ttl, force=True)
                yield holder
            finally:
                try:
                    _release_lease(psa, tenant, integration_id, holder)
                finally:
                    lock_conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    lock_conn.commit()
        return

    while True:
        current = _try_lease(psa, tenant, integration_id, holder, ttl, force=False)
        if current is None:
            break
        if time.monotonic() >= deadline:
            raise SyncInProgress(
                f"{current} is pushing devices to the PSA right now; this push was skipped "
                "and will run next time.",
                holder=current,
            )
        time.sleep(0.1)
    try:
        yield holder
    finally:
        _release_lease(psa, tenant, integration_id, holder)


def renew(
    psa: PsaDatabase,
    tenant: uuid.UUID,
    integration_id: uuid.UUID,
    holder: str,
    ttl: timedelta = DEFAULT_LEASE,
) -> bool:
    """Extend a long push's lease. False if someone else took it (ours had expired)."""
    return _try_lease(psa, tenant, integration_id, holder, ttl, force=False) is None
