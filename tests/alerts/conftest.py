"""Alert pipeline fixtures: the PSA fixtures (SQLite + a fresh PostgreSQL database per run),
an integration with mapped organizations, assets for a few devices, and default rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from ninja_desk.psa import alert_rules
from ninja_desk.sync.alert_pipeline import AlertPipeline
from tests.alerts.payloads import ORGS, push_assets
from tests.psa.conftest import PsaEnv, pg, pg_server, psa, sqlite_template  # noqa: F401
from tests.psa.helpers import setup_integration

BASE_URL = "https://eu.ninjarmm.com"


@dataclass
class AlertEnv:
    env: PsaEnv
    integration: uuid.UUID
    clients: dict[int, uuid.UUID]

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
        self, name: str, order: int, conditions: dict, action: dict, **kw: object
    ) -> uuid.UUID:
        with self.psa.tenant_session(self.tenant, self.env.admin_id) as s:
            return alert_rules.create_rule(
                s,
                self.integration,
                name,
                priority_order=order,
                conditions=conditions,
                action=action,
                **kw,
            )


def make_alert_env(env: PsaEnv, *, devices: bool = True) -> AlertEnv:
    integration, clients = setup_integration(env.psa, env.tenant, env.admin_id, ORGS)
    if devices:
        push_assets(env.psa, env.tenant, integration)
    return AlertEnv(env, integration, clients)


@pytest.fixture
def alerts(psa: PsaEnv) -> AlertEnv:  # noqa: F811
    return make_alert_env(psa)


@pytest.fixture
def pg_alerts(pg: PsaEnv) -> AlertEnv:  # noqa: F811
    return make_alert_env(pg)
