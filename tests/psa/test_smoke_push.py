from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.psa import org_mapping
from ninja_desk.psa.clients import create_client
from ninja_desk.psa.integrations import connect_integration
from ninja_desk.psa.schema import assets
from ninja_desk.sync.psa_push import push_snapshots
from tests.psa.builders import device, org, snapshot


def test_first_push_and_repeat(psa):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        integ = connect_integration(s, "https://eu.ninjarmm.com")
        client = create_client(s, "Acme")
        org_mapping.map_organization(s, integ, org(1, "Acme Ltd"), client)
    snaps = [snapshot(device(i), software=3) for i in range(1, 21)]
    r = push_snapshots(psa.psa, psa.tenant, integ, snaps, full=True)
    assert r.created == 20
    r2 = push_snapshots(psa.psa, psa.tenant, integ, snaps, full=True)
    assert r2.unchanged == 20 and r2.created == 0, r2
    with psa.psa.tenant_session(psa.tenant) as s:
        assert s.conn.scalar(sa.select(sa.func.count()).select_from(assets)) == 20
