"""Tenant A's context can neither read nor write tenant B's rows (Alga's tables have no row-level
security: every query NinjaDesk sends names the tenant, and composite keys carry it)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ninja_desk.psa import org_mapping
from ninja_desk.psa.assets import find_by_device, get_asset, list_assets, update_asset
from ninja_desk.psa.clients import create_client, get_client, list_clients
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.schema import asset_history, assets
from ninja_desk.psa.schema import tenant_external_entity_mappings as teem
from ninja_desk.sync.psa_push import push_snapshots
from tests.psa.builders import device, snapshot
from tests.psa.helpers import setup_integration


@pytest.fixture
def two_tenants(psa):
    """Two MSPs in one database, each with NinjaOne org 1 mapped and device 1 pushed."""
    other = psa.new_tenant("Other MSP")
    a_int, a_clients = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Alpha Client"})
    b_int, b_clients = setup_integration(
        psa.psa, other.tenant, other.admin_user_id, {1: "Bravo Client"}
    )
    push_snapshots(psa.psa, psa.tenant, a_int, [snapshot(device(1))], full=True)
    push_snapshots(psa.psa, other.tenant, b_int, [snapshot(device(1))], full=True)
    return other, a_int, a_clients[1], b_int, b_clients[1]


def test_repositories_only_see_their_tenant(psa, two_tenants):
    other, a_int, a_client, b_int, b_client = two_tenants
    with psa.psa.tenant_session(other.tenant, other.admin_user_id) as s:
        b_asset = find_by_device(s, b_int, 1)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        assert [c.name for c in list_clients(s)] == ["Alpha Client"]
        with pytest.raises(NotFound):
            get_client(s, b_client)
        a_asset = find_by_device(s, a_int, 1)
        assert a_asset.client_id == a_client and a_asset.asset_id != b_asset.asset_id
        assert [a.asset_id for a in list_assets(s)] == [a_asset.asset_id]
        with pytest.raises(NotFound):
            get_asset(s, b_asset.asset_id)
        with pytest.raises(NotFound):
            update_asset(s, b_asset.asset_id, name="pwned")
        assert set(org_mapping.load_mappings(s, a_int)) == {"1"}
        assert org_mapping.load_mappings(s, b_int) == {}
        # One Alga mapping row per tenant for the same NinjaOne device id.
        realms = s.conn.execute(
            sa.select(teem.c.tenant, teem.c.alga_entity_id).where(
                teem.c.external_entity_id == "1", teem.c.tenant.in_([psa.tenant, other.tenant])
            )
        ).all()
    assert sorted((t, uuid.UUID(a)) for t, a in realms) == sorted(
        [(psa.tenant, a_asset.asset_id), (other.tenant, b_asset.asset_id)], key=lambda r: str(r)
    )
    with psa.psa.tenant_session(other.tenant, other.admin_user_id) as s:
        assert find_by_device(s, b_int, 1).name == "PC-00001"  # untouched by A's attempt


def test_a_push_in_one_tenant_never_touches_the_other(psa, two_tenants):
    other, a_int, _a_client, b_int, _b_client = two_tenants
    # A full push of nothing retires A's asset only.
    assert push_snapshots(psa.psa, psa.tenant, a_int, [], full=True).retired == 1
    with psa.psa.tenant_session(other.tenant, other.admin_user_id) as s:
        assert find_by_device(s, b_int, 1).status == "active"
    with psa.psa.tenant_session(psa.tenant) as s:
        statuses = dict(s.conn.execute(sa.select(assets.c.tenant, assets.c.status)).all())
    assert statuses[other.tenant] == "active" and statuses[psa.tenant] == "inactive"


def test_foreign_keys_carry_the_tenant(psa, two_tenants):
    """A's history row cannot point at B's asset: the composite key includes the tenant."""
    other, _a_int, _a_client, b_int, _b_client = two_tenants
    with psa.psa.tenant_session(other.tenant, other.admin_user_id) as s:
        b_asset = find_by_device(s, b_int, 1).asset_id
    with (
        pytest.raises(sa.exc.IntegrityError),
        psa.psa.tenant_session(psa.tenant, psa.admin_id) as s,
    ):
        s.conn.execute(
            asset_history.insert().values(
                tenant=psa.tenant,
                history_id=uuid.uuid4(),
                asset_id=b_asset,
                changed_by=psa.admin_id,
                change_type="updated",
                changes={},
                changed_at=utcnow(),
            )
        )


def test_tenant_session_requires_a_uuid(psa):
    with pytest.raises(TypeError), psa.psa.tenant_session(str(psa.tenant)):  # type: ignore[arg-type]
        pass


def test_a_read_only_session_reads_while_a_writer_holds_its_transaction(psa):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        create_client(s, "Existing")
    reader = psa.another()
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as writer:
        create_client(writer, "Uncommitted")
        with reader.tenant_session(psa.tenant, psa.admin_id, readonly=True) as r:
            assert [c.name for c in list_clients(r)] == ["Existing"]
    if psa.backend == "postgres":
        with (
            pytest.raises(sa.exc.DBAPIError, match="read-only"),
            reader.tenant_session(psa.tenant, psa.admin_id, readonly=True) as r,
        ):
            create_client(r, "Not allowed")
