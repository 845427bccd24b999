"""A remote-session launch lands in Alga: the asset's history (who, which ticket) and the
audit log; only a session that really opened is recorded."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ninja_desk.psa import audit
from ninja_desk.psa.permissions import ALL_PERMISSIONS
from ninja_desk.psa.schema import asset_history
from ninja_desk.psa.tenants import create_user
from ninja_desk.sync.remote_connect import (
    LaunchRecord,
    OpenerFailed,
    RemoteConnect,
    psa_launch_recorder,
    record_in_psa,
)
from tests.alerts.seed import add_asset, add_client, add_integration


class FakeApi:
    async def dashboard_url(self, device_id: int) -> dict:
        return {"url": f"https://eu.ninjarmm.com/#/deviceDashboard/{device_id}/overview"}


def _history(psa, asset_id) -> list:
    h = asset_history.c
    with psa.psa.tenant_session(psa.tenant) as s:
        return s.conn.execute(
            sa.select(h.change_type, h.changed_by, h.changes).where(
                h.tenant == psa.tenant, h.asset_id == asset_id
            )
        ).all()


async def test_a_launch_is_in_the_asset_history_and_the_audit_log(psa) -> None:
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        integration = add_integration(s)
        client = add_client(s, "Acme")
        asset = add_asset(s, client, 101, 1)
        tech = create_user(s, f"tech{uuid.uuid4().hex[:4]}", ["Technician"])
    opened: list[str] = []
    rc = RemoteConnect(
        FakeApi(),
        open_url=opened.append,
        scopes=("control",),
        permissions=ALL_PERMISSIONS,
        user="tech",
        record_launch=psa_launch_recorder(psa.psa, psa.tenant, tech, integration),
    )
    device = {"id": 101, "name": "PC-00101", "offline": False}
    await rc.launch(device, ticket_id="TIC000042")
    assert opened and rc.last_record_error is None
    (entry,) = _history(psa, asset)
    assert entry.change_type == "remote_connect" and entry.changed_by == tech
    assert entry.changes["remote_session"]["new"] == "TIC000042"
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        (logged,) = audit.read_audit_log(s, entity_type="assets")
    assert logged.action == "remote_connect.launched" and logged.actor_user_id == tech
    assert logged.entity_id == str(asset)
    # A session that did not open is neither reported nor recorded.
    failing = RemoteConnect(
        FakeApi(),
        open_url=lambda url: False,
        scopes=("control",),
        record_launch=psa_launch_recorder(psa.psa, psa.tenant, tech, integration),
    )
    with pytest.raises(OpenerFailed):
        await failing.launch(device)
    assert len(_history(psa, asset)) == 1


def test_the_agent_records_as_the_service_user_and_a_device_without_asset_is_audited(
    psa,
) -> None:
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        integration = add_integration(s)
        asset = add_asset(s, add_client(s, "Acme"), 7, 1)
    record = LaunchRecord("agent", 0.0, 7, "PC-7", None)
    with psa.psa.tenant_session(psa.tenant) as s:
        assert record_in_psa(s, integration, record) == asset
        assert record_in_psa(s, integration, LaunchRecord("agent", 0.0, 999, "x", None)) is None
    (entry,) = _history(psa, asset)
    assert entry.changed_by == psa.admin_id  # the service user (first active admin)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        ids = [e.entity_id for e in audit.read_audit_log(s, entity_type="assets")]
    assert sorted(ids) == sorted([str(asset), "device:999"])
