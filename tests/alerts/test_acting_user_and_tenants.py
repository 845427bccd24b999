"""Who the pipeline acts as, what it may do, and tenant isolation (SQLite and PostgreSQL).

Alga's own migrations leave row-level security off and filter by tenant in the application;
so does NinjaDesk: every statement names the tenant. Rights come from Alga's RBAC.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ninja_desk.psa.errors import PermissionDenied
from ninja_desk.psa.schema import (
    ninjadesk_alert_series,
    ninjadesk_alert_tickets,
    rmm_alerts,
    tickets,
)
from ninja_desk.psa.tenants import create_user, set_role_rights
from ninja_desk.sync.alert_pipeline import AlertPipeline
from tests.alerts.conftest import AlertEnv, make_alert_env
from tests.alerts.payloads import activity
from tests.psa.conftest import PsaEnv


def test_a_person_running_the_pipeline_is_the_author(alerts: AlertEnv) -> None:
    a = alerts
    a.rule("all", 1)
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        tech = create_user(s, f"tech{uuid.uuid4().hex[:4]}", ("Technician",))
    pipe = AlertPipeline(a.psa, a.tenant, a.integration, user_id=tech)
    r = pipe.ingest_payloads([activity(1, "p-1"), activity(2, "p-1", "RESET")])
    assert r.tickets_created == 1 and r.tickets_auto_resolved == 1
    with a.psa.tenant_session(a.tenant, tech) as s:
        row = s.conn.execute(
            sa.select(tickets.c.entered_by, tickets.c.closed_by).where(tickets.c.tenant == a.tenant)
        ).one()
    assert row.entered_by == tech and row.closed_by == tech


def test_a_user_without_the_right_is_refused(alerts: AlertEnv) -> None:
    a = alerts
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        set_role_rights(s, "Technician", [("asset", "read"), ("ticket", "read")])
        viewer = create_user(s, f"viewer{uuid.uuid4().hex[:4]}", ("Technician",))
    with pytest.raises(PermissionDenied, match="acknowledge or resolve"):
        AlertPipeline(a.psa, a.tenant, a.integration, user_id=viewer).ingest_payloads(
            [activity(1, "p-2")]
        )


def test_tenants_never_see_each_others_alerts(alerts: AlertEnv) -> None:
    a = alerts
    a.rule("all", 1)
    a.pipeline().ingest_payloads([activity(1, "shared-uid")])
    other_info = a.env.new_tenant(f"Other {uuid.uuid4().hex[:4]}")
    other = make_alert_env(
        PsaEnv(a.env.backend, a.psa, other_info.tenant, other_info.admin_user_id, a.env.pg)
    )
    other.rule("all", 1)
    r = other.pipeline().ingest_payloads([activity(1, "shared-uid")])
    assert r.opened == 1 and r.tickets_created == 1  # same uid, separate tenant: its own series
    for env in (a, other):
        with env.psa.tenant_session(env.tenant) as s:
            for table in (rmm_alerts, ninjadesk_alert_series, ninjadesk_alert_tickets, tickets):
                count = s.conn.scalar(
                    sa.select(sa.func.count()).where(table.c.tenant == env.tenant)
                )
                assert count == 1, table.name
            number = s.conn.scalar(
                sa.select(tickets.c.ticket_number).where(tickets.c.tenant == env.tenant)
            )
            assert number == "TIC000001"  # each tenant numbers its own
