"""A remote-session launch lands in the asset's history, with who and which ticket.

On PostgreSQL the technician's own login writes it, and the remote-connect right alone is
enough (the database grants the insert to that right).
"""

from __future__ import annotations

import pytest

from ninja_desk.psa.assets import asset_history_for, find_by_device, record_remote_connect
from ninja_desk.psa.permissions import REMOTE_CONNECT, VIEW_DEVICES
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_user, set_role_permissions
from ninja_desk.sync.psa_push import push_snapshots
from tests.psa.builders import device, snapshot
from tests.psa.helpers import setup_integration


def test_a_launch_is_in_the_asset_history(psa) -> None:
    integration, _clients = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    push_snapshots(psa.psa, psa.tenant, integration, [snapshot(device(101, 1))], full=True)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        tech = create_user(s, "tech.remote", ["technician"])
    with psa.psa.tenant_session(psa.tenant, tech) as s:
        asset = find_by_device(s, integration, 101)
        assert asset is not None
        record_remote_connect(s, asset.asset_id, "101", "https://x/#/deviceDashboard/101",
                              ticket_number="TIC000042")  # fmt: skip
        history = asset_history_for(s, asset.asset_id)
    launch = [h for h in history if h.change_type == "remote_connect"]
    assert len(launch) == 1
    assert launch[0].changed_by == tech
    assert launch[0].changes["remote_session"]["new"] == "TIC000042"


@pytest.mark.postgres
def test_the_remote_right_alone_may_write_the_history(pg) -> None:
    integration, _clients = setup_integration(pg.psa, pg.tenant, pg.admin_id, {1: "Acme"})
    push_snapshots(pg.psa, pg.tenant, integration, [snapshot(device(101, 1))], full=True)
    with pg.psa.tenant_session(pg.tenant, pg.admin_id) as s:
        set_role_permissions(s, "dispatcher", {VIEW_DEVICES, REMOTE_CONNECT})
        remote_only = create_user(s, "remote.only", ["dispatcher"])
    db = PsaDatabase(pg.pg.new_login(pg.tenant, remote_only))  # the user's own login
    try:
        with db.tenant_session(pg.tenant, remote_only) as s:
            asset = find_by_device(s, integration, 101)
            assert asset is not None
            record_remote_connect(s, asset.asset_id, "101", "https://x/#/deviceDashboard/101")
            assert [h.change_type for h in asset_history_for(s, asset.asset_id)][-1] == (
                "remote_connect"
            )
    finally:
        db.dispose()
