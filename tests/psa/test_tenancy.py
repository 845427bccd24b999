"""Tenant A's context can neither read nor write tenant B's rows."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ninja_desk.psa import tickets
from ninja_desk.psa.clients import create_client, list_clients
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.schema import companies
from tests.psa.helpers import raw


@pytest.fixture
def two_tenants(psa):
    other = psa.new_tenant("Other MSP")
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        a_client = create_client(s, "Alpha Client")
        a_ticket = tickets.create_ticket(s, client_id=a_client, title="A's printer")
    with psa.psa.tenant_session(other.tenant, other.admin_user_id) as s:
        b_client = create_client(s, "Bravo Client")
        b_ticket = tickets.create_ticket(s, client_id=b_client, title="B's server")
    return other, a_client, a_ticket, b_client, b_ticket


def test_repositories_only_see_their_tenant(psa, two_tenants):
    other, _a_client, _a_ticket, _b_client, b_ticket = two_tenants
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        assert [c.name for c in list_clients(s)] == ["Alpha Client"]
        assert [t.title for t in tickets.list_tickets(s)] == ["A's printer"]
        with pytest.raises(NotFound):
            tickets.get_ticket(s, b_ticket.ticket_id)
        # Writing against B's ticket id from A's context touches nothing of B's.
        tickets.link_assets(s, b_ticket.ticket_id, [])
    with psa.psa.tenant_session(other.tenant, other.admin_user_id) as s:
        assert [t.ticket_number for t in tickets.list_tickets(s)] == ["TIC000001"]
        assert tickets.list_comments(s, b_ticket.ticket_id) == []


def test_foreign_keys_carry_the_tenant(psa, two_tenants):
    """A's ticket cannot point at B's client: the composite FK includes the tenant."""
    _other, _a_client, _a_ticket, b_client, _b_ticket = two_tenants
    with (
        pytest.raises(sa.exc.IntegrityError),
        psa.psa.tenant_session(psa.tenant, psa.admin_id) as s,
    ):
        tickets.create_ticket(s, client_id=b_client, title="cross-tenant")


@pytest.mark.postgres
def test_rls_filters_raw_sql_by_the_session_tenant(pg):
    other = pg.new_tenant("Other MSP")
    with pg.psa.tenant_session(pg.tenant, pg.admin_id) as s:
        create_client(s, "Alpha Client")
    with pg.psa.tenant_session(other.tenant, other.admin_user_id) as s:
        b_client = create_client(s, "Bravo Client")

    url = pg.pg.service_url
    with raw(url, pg.tenant) as conn:
        names = conn.scalars(sa.text("SELECT company_name FROM companies")).all()
        assert names == ["Alpha Client"]
        # Updating and deleting B's row by its id silently matches nothing.
        assert (
            conn.execute(
                sa.text("UPDATE companies SET company_name = 'pwned' WHERE company_id = :id"),
                {"id": b_client},
            ).rowcount
            == 0
        )
        assert (
            conn.execute(
                sa.text("DELETE FROM companies WHERE company_id = :id"), {"id": b_client}
            ).rowcount
            == 0
        )
    # Inserting a row for B while acting for A is refused by the policy's WITH CHECK.
    with (
        pytest.raises(sa.exc.ProgrammingError, match="row-level security"),
        raw(url, pg.tenant) as conn,
    ):
        conn.execute(
            companies.insert().values(
                tenant=other.tenant,
                company_id=uuid.uuid4(),
                company_name="planted",
                created_at=sa.func.now(),
                updated_at=sa.func.now(),
            )
        )
    with raw(url, None) as conn:  # no tenant selected: nothing at all
        assert conn.scalar(sa.text("SELECT count(*) FROM companies")) == 0
    with raw(url, other.tenant) as conn:
        assert conn.scalars(sa.text("SELECT company_name FROM companies")).all() == ["Bravo Client"]


@pytest.mark.postgres
def test_a_technician_login_is_pinned_to_its_tenant(pg):
    """Even with raw SQL, a technician cannot select another tenant by setting the GUC."""
    other = pg.new_tenant("Other MSP")
    with pg.psa.tenant_session(other.tenant, other.admin_user_id) as s:
        create_client(s, "Bravo Client")
    from ninja_desk.psa.tenants import create_user

    with pg.psa.tenant_session(pg.tenant, pg.admin_id) as s:
        create_client(s, "Alpha Client")
        tech = create_user(s, "tech.alice")
    url = pg.pg.new_login(pg.tenant, tech)
    with raw(url, other.tenant) as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM companies")) == 0
        assert conn.scalar(sa.text("SELECT count(*) FROM tenants")) == 0
    with raw(url, pg.tenant) as conn:
        assert conn.scalars(sa.text("SELECT company_name FROM companies")).all() == ["Alpha Client"]
        # The login map itself is not readable.
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            conn.execute(sa.text("SELECT * FROM db_logins"))


def test_tenant_session_requires_a_uuid(psa):
    with pytest.raises(TypeError), psa.psa.tenant_session(str(psa.tenant)):  # type: ignore[arg-type]
        pass


def test_a_read_only_session_reads_while_a_writer_holds_its_transaction(psa):
    from ninja_desk.psa.clients import create_client as make

    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        make(s, "Existing")
    reader = psa.another()
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as writer:
        make(writer, "Uncommitted")
        with reader.tenant_session(psa.tenant, psa.admin_id, readonly=True) as r:
            assert [c.name for c in list_clients(r)] == ["Existing"]
    if psa.backend == "postgres":
        with (
            pytest.raises(sa.exc.DBAPIError, match="read-only"),
            reader.tenant_session(psa.tenant, psa.admin_id, readonly=True) as r,
        ):
            make(r, "Not allowed")
