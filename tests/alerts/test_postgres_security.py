"""The pipeline under a technician's own PostgreSQL login: grants and row-level security."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ninja_desk.psa.errors import PermissionDenied
from ninja_desk.psa.schema import rmm_alerts, tickets
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_user, set_role_permissions
from ninja_desk.sync.alert_pipeline import AlertPipeline
from ninja_desk.sync.alert_tables import rmm_alert_series, rmm_alert_tickets
from tests.alerts.conftest import AlertEnv, make_alert_env
from tests.alerts.payloads import activity

pytestmark = pytest.mark.postgres


def test_technician_login_makes_tickets_and_is_stamped_as_author(pg_alerts: AlertEnv) -> None:
    a = pg_alerts
    a.rule("all", 1, {}, {"type": "create_ticket", "group_storms": False})
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        tech = create_user(s, "tech1", ("technician",))
    db = PsaDatabase(a.env.pg.new_login(a.tenant, tech))
    try:
        pipe = AlertPipeline(db, a.tenant, a.integration, user_id=tech)
        r = pipe.ingest_payloads([activity(1, "pg-1"), activity(2, "pg-1", "RESET")])
        assert r.tickets_created == 1 and r.tickets_auto_resolved == 1
        with db.tenant_session(a.tenant, tech) as s:
            entered_by = s.conn.scalar(sa.select(tickets.c.entered_by))
            assert entered_by == tech
    finally:
        db.dispose()


def test_a_login_without_the_right_is_refused(pg_alerts: AlertEnv) -> None:
    a = pg_alerts
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        set_role_permissions(s, "technician", ["alerts.view", "tickets.view"])
        viewer = create_user(s, "viewer", ("technician",))
    db = PsaDatabase(a.env.pg.new_login(a.tenant, viewer))
    try:
        with pytest.raises(PermissionDenied, match="acknowledge or resolve"):
            AlertPipeline(db, a.tenant, a.integration, user_id=viewer).ingest_payloads(
                [activity(1, "pg-2")]
            )
    finally:
        db.dispose()


def test_tenants_never_see_each_others_alerts(pg_alerts: AlertEnv) -> None:
    a = pg_alerts
    a.rule("all", 1, {}, {"type": "create_ticket"})
    a.pipeline().ingest_payloads([activity(1, "shared-uid")])
    other_info = a.env.new_tenant(f"Other {uuid.uuid4().hex[:4]}")
    from tests.psa.conftest import PsaEnv

    other = make_alert_env(
        PsaEnv("postgres", a.psa, other_info.tenant, other_info.admin_user_id, a.env.pg)
    )
    other.rule("all", 1, {}, {"type": "create_ticket"})
    r = other.pipeline().ingest_payloads([activity(1, "shared-uid")])
    assert r.opened == 1 and r.tickets_created == 1  # same uid, separate tenant: its own series
    with a.psa.tenant_session(a.tenant) as s:
        assert s.conn.scalar(sa.select(sa.func.count()).select_from(rmm_alerts)) == 1
        for table in (rmm_alert_series, rmm_alert_tickets):  # the pipeline's own tables too
            assert s.conn.scalar(sa.select(sa.func.count()).select_from(table)) == 1
