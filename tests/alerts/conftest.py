"""Alert pipeline fixtures: the PSA fixtures (SQLite + a fresh PostgreSQL database per run),
an integration with mapped organizations, Alga-shaped assets for a few devices (written as
Alga's own sync writes them), and helpers for rules in Alga's JSON shape."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from ninja_desk.psa import alert_rules
from ninja_desk.psa.schema import (
    ninjadesk_alert_series,
    rmm_alerts,
)
from ninja_desk.sync.alert_pipeline import AlertPipeline
from tests.alerts.payloads import DEVICES, ORGS
from tests.alerts.seed import add_assets, add_client, add_integration, map_org
from tests.psa.conftest import (  # noqa: F401
    PsaEnv,
    pg,
    pg_server,
    pg_server_url,
    psa,
    sqlite_template,
)

BASE_URL = "https://eu.ninjarmm.com"
# A rule that makes a ticket for every alert, one per series.
TICKET_ALL: dict[str, Any] = {"createTicket": True}
NO_STORMS: dict[str, Any] = {"group_storms": False}


@dataclass
class AlertEnv:
    env: PsaEnv
    integration: uuid.UUID
    clients: dict[int, uuid.UUID]
    assets: dict[int, uuid.UUID] = field(default_factory=dict)

    @property
    def psa(self):  # type: ignore[no-untyped-def]
        return self.env.psa

    @property
    def tenant(self) -> uuid.UUID:
        return self.env.tenant

    def pipeline(self, **kw: object) -> AlertPipeline:
        return AlertPipeline(
            self.env.psa, self.env.tenant, self.integration, ninjaone_url=BASE_URL, **kw
        )

    def rule(
        self,
        name: str,
        order: int,
        conditions: dict | None = None,
        actions: dict | None = None,
        options: dict | None = None,
        **kw: object,
    ) -> uuid.UUID:
        with self.psa.tenant_session(self.tenant, self.env.admin_id) as s:
            return alert_rules.create_rule(
                s,
                self.integration,
                name,
                priority_order=order,
                conditions=conditions or {},
                actions=TICKET_ALL if actions is None else actions,
                options=NO_STORMS if options is None else options,
                **kw,
            )

    def alert(self, series: str) -> dict:
        """The rmm_alerts row with its ninjadesk_alert_series columns."""
        a, st = rmm_alerts, ninjadesk_alert_series
        with self.psa.tenant_session(self.tenant) as s:
            row = s.conn.execute(
                sa.select(
                    a,
                    st.c.repeat_count,
                    st.c.last_activity_id,
                    st.c.rule_decision,
                    st.c.rule_explanation,
                    st.c.resolved_reason,
                )
                .select_from(
                    a.outerjoin(
                        st, sa.and_(st.c.tenant == a.c.tenant, st.c.alert_id == a.c.alert_id)
                    )
                )
                .where(
                    a.c.tenant == self.tenant,
                    a.c.integration_id == self.integration,
                    a.c.external_alert_id == series,
                )
            ).first()
            return dict(row._mapping) if row else {}


def make_alert_env(env: PsaEnv, *, devices: bool = True) -> AlertEnv:
    with env.psa.tenant_session(env.tenant, env.admin_id) as s:
        integration = add_integration(s, BASE_URL)
        clients = {}
        for org_id, name in ORGS.items():
            clients[org_id] = add_client(s, name)
            map_org(s, integration, org_id, name, clients[org_id])
        made = add_assets(s, DEVICES.items(), clients) if devices else {}
    return AlertEnv(env, integration, clients, made)


@pytest.fixture
def alerts(psa: PsaEnv) -> AlertEnv:  # noqa: F811
    return make_alert_env(psa)


@pytest.fixture
def pg_alerts(pg: PsaEnv) -> AlertEnv:  # noqa: F811
    return make_alert_env(pg)
