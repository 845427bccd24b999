"""Tenant sessions: the only way the repositories reach the PSA database.

    psa = PsaDatabase(url)
    with psa.tenant_session(tenant_id, user_id) as s:
        tickets.create_ticket(s, ...)

A tenant session is one transaction. On PostgreSQL it starts with
`set_config('app.current_tenant', ..., true)` (transaction-local, so a pooled connection never
leaks a tenant to the next borrower) and row-level security filters every statement, raw SQL
included. Every repository function also filters by `session.tenant` itself, so SQLite, which
has no RLS, gets the same isolation from the code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa import outbox
from ninja_desk.psa.database import create_psa_engine
from ninja_desk.psa.events import Event, EventBus


@dataclass(eq=False)
class TenantSession:
    conn: sa.Connection
    tenant: uuid.UUID
    user_id: uuid.UUID | None
    psa: PsaDatabase
    pending_events: list[Event] = field(default_factory=list)
    flushed_events: int = 0
    permission_cache: frozenset[str] | None = None

    @property
    def is_postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def insert(self, table: sa.Table, **values: Any) -> sa.CursorResult[Any]:
        """INSERT one row into `table` for this session's tenant: the tenant column is filled
        here, so no repository can write a row into another tenant by passing the wrong one."""
        return self.conn.execute(table.insert().values(tenant=self.tenant, **values))


class PsaDatabase:
    """One PSA database: an engine plus the in-process event bus."""

    def __init__(self, url: str, *, bus: EventBus | None = None, **engine_kw: object) -> None:
        self.url = url
        self.engine = create_psa_engine(url, **engine_kw)
        self.bus = bus or EventBus()

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def tenant_session(
        self, tenant: uuid.UUID, user_id: uuid.UUID | None = None, *, readonly: bool = False
    ) -> Iterator[TenantSession]:
        """One transaction for `tenant`, acting as `user_id` (None = the system).

        `readonly=True` for UI reads: on SQLite it does not wait for a writer's lock; on
        PostgreSQL the transaction is READ ONLY.
        """
        if not isinstance(tenant, uuid.UUID):
            raise TypeError("tenant_session needs the tenant's UUID")
        with self.engine.connect() as conn:
            conn.info["psa_readonly"] = readonly
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    if readonly:
                        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    conn.execute(
                        sa.text(
                            "SELECT set_config('app.current_tenant', :t, true),"
                            " set_config('app.current_user', :u, true)"
                        ),
                        {"t": str(tenant), "u": str(user_id) if user_id else ""},
                    )
                session = TenantSession(conn, tenant, user_id, self)
                yield session
                outbox.flush(session)
            # Only after commit: subscribers must not act on work that was rolled back.
            self.bus.dispatch(session.pending_events)
