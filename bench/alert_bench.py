"""Alert pipeline benchmark: alert events per second into PostgreSQL and into SQLite.

A realistic burst (a relay catching up, an alert storm, a poll after an outage): ~40% of the
series make tickets, minor ones are suppressed, most reset, some repeat, 10% duplicates, all
shuffled. Events go through `AlertPipeline.ingest_payloads` in batches (the exactly-once claim
is the same as for single webhooks). A second figure feeds the same pipeline one webhook at a
time, as the agent does when the relay delivers them one by one; a third queues a storm of
webhooks at a real relay and times the agent catching up (it applies them in batches).

Prints one JSON line. PostgreSQL runs in a fresh Alga-shaped database dropped afterwards,
reached as its owner (the way Alga's application role is). Tickets are written as Alga writes
them (numbering, board status, thread note, asset link, ticket_audit_logs, outbox events).

    .venv/bin/python bench/alert_bench.py [--events 5000] [--batch 500] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _psa_databases import postgres_psa, sqlite_psa

from ninja_desk.psa import alert_rules
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.schema import (
    assets,
    clients,
    rmm_alerts,
    rmm_integrations,
    rmm_organization_mappings,
)
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_tenant
from ninja_desk.sync.alert_pipeline import AlertPipeline

ORGS, DEVICES = 10, 500


def setup(url: str) -> tuple[PsaDatabase, uuid.UUID, uuid.UUID]:
    """A tenant with a NinjaOne integration, 10 mapped clients, 500 assets, two rules."""
    psa = PsaDatabase(url)
    info = create_tenant(psa, "Bench MSP")
    now = utcnow()
    integration = uuid.uuid4()
    with psa.tenant_session(info.tenant, info.admin_user_id) as s:
        t = info.tenant
        s.conn.execute(
            rmm_integrations.insert().values(
                tenant=t,
                integration_id=integration,
                provider="ninjaone",
                instance_url="https://eu.ninjarmm.com",
                is_active=True,
                settings={},
                created_at=now,
                updated_at=now,
            )
        )
        client_of = {org: uuid.uuid4() for org in range(1, ORGS + 1)}
        s.conn.execute(
            clients.insert(),
            [
                {"tenant": t, "client_id": c, "client_name": f"Client {o}", "is_inactive": False}
                for o, c in client_of.items()
            ],
        )
        s.conn.execute(
            rmm_organization_mappings.insert(),
            [
                {
                    "tenant": t,
                    "mapping_id": uuid.uuid4(),
                    "integration_id": integration,
                    "external_organization_id": str(o),
                    "external_organization_name": f"Org {o}",
                    "client_id": c,
                }
                for o, c in client_of.items()
            ],
        )
        s.conn.execute(
            assets.insert(),
            [
                {
                    "tenant": t,
                    "asset_id": uuid.uuid4(),
                    "asset_tag": f"NINJA-{i}",
                    "name": f"SRV-{i:04d}",
                    "status": "active",
                    "asset_type": "server",
                    "client_id": client_of[1 + i % ORGS],
                    "rmm_provider": "ninjaone",
                    "rmm_device_id": str(i),
                    "rmm_organization_id": str(1 + i % ORGS),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(1, DEVICES + 1)
            ],
        )
        alert_rules.create_rule(
            s,
            integration,
            "quiet minor",
            priority_order=1,
            conditions={"severities": ["minor"]},
            actions={"createTicket": False},
        )
        alert_rules.create_rule(
            s,
            integration,
            "tickets",
            priority_order=2,
            conditions={"severities": ["critical", "major"]},
            actions={"createTicket": True},
            options={"group_storms": False},
        )
    return psa, info.tenant, integration


def events(n: int, rng: random.Random, prefix: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    next_id = 1
    base = time.time() - 3600
    while len(out) < n * 0.9:
        series = f"{prefix}-{next_id}"
        device = rng.randint(1, DEVICES)
        severity = rng.choice(["CRITICAL", "MAJOR", "MINOR", "MODERATE", "MINOR"])

        def act(
            aid: int,
            code: str,
            series: str = series,
            device: int = device,
            severity: str = severity,
        ) -> dict[str, Any]:
            return {
                "id": aid,
                "activityTime": base + aid,
                "deviceId": device,
                "seriesUid": series,
                "activityType": "CONDITION",
                "statusCode": code,
                "status": code.title(),
                "severity": severity,
                "priority": "HIGH",
                "type": "Condition",
                "sourceName": "_average_",
                "message": f"Condition {series} on {device}",
                "data": {"message": {"code": "agent_cond", "params": {}}},
                "device": {
                    "id": device,
                    "organizationId": 1 + device % ORGS,
                    "nodeClass": "WINDOWS_SERVER",
                    "displayName": f"SRV-{device:04d}",
                },
            }

        out.append(act(next_id, "TRIGGERED"))
        if rng.random() < 0.3:
            out.append(act(next_id + 1, "TRIGGERED"))
        if rng.random() < 0.6:
            out.append(act(next_id + 2, "RESET"))
        next_id += 3
    while len(out) < n:
        out.append(dict(rng.choice(out)))
    rng.shuffle(out)
    return out[:n]


def run(url: str, n: int, batch: int, singles: int) -> dict[str, Any]:
    psa, tenant, integration = setup(url)
    try:
        pipe = AlertPipeline(psa, tenant, integration, ninjaone_url="https://eu.ninjarmm.com")
        rng = random.Random(42)
        burst = events(n, rng, "b")
        started = time.perf_counter()
        tickets = 0
        for i in range(0, len(burst), batch):
            tickets += pipe.ingest_payloads(burst[i : i + batch]).tickets_created
        batched = time.perf_counter() - started
        one_by_one = events(singles, rng, "w")
        started = time.perf_counter()
        for payload in one_by_one:
            tickets += pipe.ingest_payloads([payload]).tickets_created
        single = time.perf_counter() - started
        with psa.tenant_session(tenant) as s:
            with_ticket = s.conn.scalar(
                sa.select(sa.func.count()).where(
                    rmm_alerts.c.tenant == tenant, rmm_alerts.c.ticket_id.is_not(None)
                )
            )
        assert with_ticket == tickets, "every ticket belongs to exactly one series"
        return {
            "events": n,
            "batch": batch,
            "alerts_per_second": round(n / batched, 1),
            "seconds": round(batched, 3),
            "single_webhook_per_second": round(singles / single, 1),
            "single_webhook_ms": round(1000 * single / singles, 2),
            "tickets": tickets,
        }
    finally:
        psa.dispose()


def relay_storm(url: str, n: int) -> dict[str, Any]:
    """A laptop wakes up to `n` queued condition webhooks: relay -> agent -> pipeline -> PSA."""
    import asyncio

    import httpx

    from ninja_desk.cache.store import LocalCache
    from ninja_desk.cli.demo_stack import RELAY_ENDPOINT, start_relay
    from ninja_desk.ninjaone.webhooks import SECRET_HEADER, relay_hook_url
    from ninja_desk.sync.agent import Agent, AgentConfig

    psa, tenant, integration = setup(url)
    rng = random.Random(7)
    storm = events(n, rng, "r")
    for payload in storm:
        payload["id"] += 10_000_000  # distinct from the other runs' activity ids
    with tempfile.TemporaryDirectory() as tmp:
        relay = start_relay(Path(tmp) / "relay.sqlite3")
        cache = LocalCache(Path(tmp) / "cache.sqlite3")
        try:
            hook = relay_hook_url(relay.url, RELAY_ENDPOINT)
            with httpx.Client() as http:
                answers = [
                    http.post(hook, json=p, headers={SECRET_HEADER: relay.endpoint_secret}).json()
                    for p in storm
                ]
            stored = sum(1 for a in answers if a.get("status") == "stored")
            config = AgentConfig(
                tenant,
                integration,
                relay_url=relay.url,
                relay_token=relay.subscriber_token,
                cursor_file=Path(tmp) / "cursor.json",
                first_poll_delay=3600,
                first_sync_delay=3600,
            )

            async def catch_up() -> float:
                agent = Agent(config, cache=cache, psa=psa)
                task = asyncio.create_task(agent.run())
                started = time.perf_counter()
                while agent.stats.relay_events < stored:  # noqa: ASYNC110 - polling a counter
                    await asyncio.sleep(0.01)
                elapsed = time.perf_counter() - started
                agent.stop()
                await task
                return elapsed

            seconds = asyncio.run(catch_up())
        finally:
            cache.close()
            relay.stop()
            psa.dispose()
    return {
        "webhooks_queued": stored,
        "seconds": round(seconds, 3),
        "alerts_per_second": round(stored / seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument(
        "--storm", type=int, default=1000, help="webhooks queued at the relay (0: skip)"
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {"bench": "alert_pipeline"}
    backends = [("sqlite", sqlite_psa)]
    if not args.skip_postgres:
        backends.append(("postgres", lambda: postgres_psa("alert_bench")))
    for name, database in backends:
        with database() as url:
            out[name] = run(url, args.events, args.batch, args.singles)
        if args.storm:
            with database() as url:
                out[name]["relay_storm"] = relay_storm(url, args.storm)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
