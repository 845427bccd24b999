"""Alga's clients (`clients`: client_name unique per tenant)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import CONFIGURE_ORG_MAPPING, VIEW_TICKETS, require
from ninja_desk.psa.schema import clients
from ninja_desk.psa.tenancy import TenantSession


@dataclass(frozen=True, slots=True)
class Client:
    client_id: uuid.UUID
    name: str
    is_inactive: bool
    notes: str | None
    updated_at: datetime | None


def create_client(s: TenantSession, name: str, *, notes: str | None = None) -> uuid.UUID:
    """Creating clients belongs to whoever maps organizations (an admin by default)."""
    require(s, CONFIGURE_ORG_MAPPING)
    client_id = uuid.uuid4()
    now = utcnow()
    s.insert(
        clients,
        client_id=client_id,
        client_name=name.strip(),
        notes=notes,
        is_inactive=False,
        created_at=now,
        updated_at=now,
    )
    return client_id


def find_client_by_name(s: TenantSession, name: str) -> uuid.UUID | None:
    """The client with exactly this name (Alga's unique key), surrounding spaces ignored."""
    return s.conn.scalar(
        sa.select(clients.c.client_id).where(
            clients.c.tenant == s.tenant, clients.c.client_name == name.strip()
        )
    )


_COLUMNS = (
    clients.c.client_id,
    clients.c.client_name,
    sa.func.coalesce(clients.c.is_inactive, False),
    clients.c.notes,
    clients.c.updated_at,
)


def list_clients(s: TenantSession, *, include_inactive: bool = False) -> list[Client]:
    require(s, VIEW_TICKETS)
    query = sa.select(*_COLUMNS).where(clients.c.tenant == s.tenant)
    if not include_inactive:
        query = query.where(sa.func.coalesce(clients.c.is_inactive, False).is_(False))
    return [Client(*row) for row in s.conn.execute(query.order_by(clients.c.client_name))]


def get_client(s: TenantSession, client_id: uuid.UUID) -> Client:
    row = s.conn.execute(
        sa.select(*_COLUMNS).where(clients.c.tenant == s.tenant, clients.c.client_id == client_id)
    ).first()
    if row is None:
        raise NotFound("That client does not exist in this tenant.")
    return Client(*row)
