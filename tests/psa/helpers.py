"""Shared set-up steps for PSA tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from ninja_desk.psa import org_mapping
from ninja_desk.psa.clients import create_client
from ninja_desk.psa.integrations import connect_integration
from ninja_desk.psa.tenancy import PsaDatabase
from tests.psa.builders import org


def setup_integration(
    db: PsaDatabase, tenant: uuid.UUID, admin: uuid.UUID, orgs: dict[int, str]
) -> tuple[uuid.UUID, dict[int, uuid.UUID]]:
    """An integration with each org mapped to a new client of the same name."""
    with db.tenant_session(tenant, admin) as s:
        integration = connect_integration(s, "https://eu.ninjarmm.com")
        clients = {}
        for org_id, name in orgs.items():
            clients[org_id] = create_client(s, name)
            org_mapping.map_organization(s, integration, org(org_id, name), clients[org_id])
    return integration, clients


@contextmanager
def raw(url: str, tenant: uuid.UUID | None) -> Iterator[sa.Connection]:
    """A raw connection as some login, with app.current_tenant set like the app would."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            if tenant is not None:
                conn.execute(
                    sa.text("SELECT set_config('app.current_tenant', :t, true)"), {"t": str(tenant)}
                )
            yield conn
    finally:
        engine.dispose()
