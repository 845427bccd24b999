"""Clients (`companies`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import CONFIGURE_ORG_MAPPING, VIEW_TICKETS, require
from ninja_desk.psa.schema import companies
from ninja_desk.psa.tenancy import TenantSession


@dataclass(frozen=True, slots=True)
class Client:
    client_id: uuid.UUID
    name: str
    is_inactive: bool
    notes: str | None
    updated_at: datetime


def create_client(s: TenantSession, name: str, *, notes: str | None = None) -> uuid.UUID:
    """Creating clients belongs to whoever maps organizations (an admin by default)."""
    require(s, CONFIGURE_ORG_MAPPING)
    client_id = uuid.uuid4()
    now = utcnow()
    s.conn.execute(
        companies.insert().values(
            tenant=s.tenant,
            company_id=client_id,
            company_name=name.strip(),
            notes=notes,
            created_at=now,
            updated_at=now,
        )
    )
    return client_id


_COLUMNS = (
    companies.c.company_id,
    companies.c.company_name,
    companies.c.is_inactive,
    companies.c.notes,
    companies.c.updated_at,
)


def list_clients(s: TenantSession, *, include_inactive: bool = False) -> list[Client]:
    require(s, VIEW_TICKETS)
    query = sa.select(*_COLUMNS).where(companies.c.tenant == s.tenant)
    if not include_inactive:
        query = query.where(companies.c.is_inactive.is_(False))
    return [Client(*row) for row in s.conn.execute(query.order_by(companies.c.company_name))]


def get_client(s: TenantSession, client_id: uuid.UUID) -> Client:
    row = s.conn.execute(
        sa.select(*_COLUMNS).where(
            companies.c.tenant == s.tenant, companies.c.company_id == client_id
        )
    ).first()
    if row is None:
        raise NotFound("That client does not exist in this tenant.")
    return Client(*row)
