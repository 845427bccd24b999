"""`ninja-desk agent`: the headless agent (relay, scheduled sync, alert polling, tickets).

    NINJA_DESK_CLIENT_SECRET=... NINJA_DESK_RELAY_TOKEN=... \
    ninja-desk agent --relay-url https://relay.example.com --psa-url postgresql://svc@db/psa \
        --tenant <uuid> --region eu --client-id <id>

Stops cleanly on SIGTERM or Ctrl-C. Run as many as you like: they share the work safely.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import uuid
from pathlib import Path

import sqlalchemy as sa

from ninja_desk.cli.common import CliError, open_cache, open_engine, resolve_base_url
from ninja_desk.paths import data_dir
from ninja_desk.settings import Settings

log = logging.getLogger("ninja_desk.agent")


def register_agent_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "agent", help="run headless: relay webhooks, scheduled sync, alert tickets (no window)"
    )
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.add_argument(
        "--relay-url", help="relay base URL; the token comes from NINJA_DESK_RELAY_TOKEN"
    )
    p.add_argument("--psa-url", help="PSA database URL (default: settings, else the local file)")
    p.add_argument("--tenant", help="PSA tenant UUID (default: settings, else the local tenant)")
    p.add_argument("--integration", help="NinjaOne integration UUID (default: the only one)")
    p.add_argument("--ninjaone-url", help="NinjaOne base URL (overrides --region)")
    p.add_argument("--region", help="NinjaOne region: app, us2, eu, ca, oc")
    p.add_argument(
        "--client-id", help="API client id; the secret comes from NINJA_DESK_CLIENT_SECRET"
    )
    p.add_argument("--sync-interval", type=float, default=900.0, help="seconds (default 900)")
    p.add_argument(
        "--full-sync-interval", type=float, default=86400.0, help="seconds (default 86400)"
    )
    p.add_argument("--alert-poll-interval", type=float, default=60.0, help="seconds (default 60)")
    p.add_argument("--no-psa-push", action="store_true", help="do not push devices as assets")
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    p.set_defaults(handler=cmd_agent)


def _resolve_psa(args: argparse.Namespace, settings: Settings):  # type: ignore[no-untyped-def]
    from ninja_desk.psa.database import default_psa_url
    from ninja_desk.psa.integrations import list_integrations
    from ninja_desk.psa.migrator import check_schema
    from ninja_desk.psa.tenancy import PsaDatabase
    from ninja_desk.psa.tenants import ensure_local_admin

    url = args.psa_url or settings.psa_url or default_psa_url()
    psa = PsaDatabase(url)
    try:
        with psa.engine.connect() as conn:
            check_schema(conn)
    except sa.exc.ProgrammingError as exc:
        # App logins may not read alembic_version (migration 0002 grants it to nobody).
        log.warning("Could not check the PSA schema version (%s); going on.", exc.orig)
    except Exception as exc:
        psa.dispose()
        raise CliError(str(exc)) from None
    raw_tenant = args.tenant or settings.psa_tenant
    try:
        tenant = uuid.UUID(raw_tenant) if raw_tenant else None
    except ValueError:
        raise CliError(f"'{raw_tenant}' is not a tenant UUID.") from None
    if tenant is None:
        if psa.is_postgres:
            raise CliError("Which PSA tenant? Pass --tenant <uuid>.")
        tenant = ensure_local_admin(psa).tenant
    if args.integration:
        integration = uuid.UUID(args.integration)
    else:
        with psa.tenant_session(tenant) as s:
            found = list_integrations(s)
        if len(found) != 1:
            raise CliError(
                "This tenant has no NinjaOne connection; connect one in the app first."
                if not found
                else "This tenant has several NinjaOne connections; pass --integration <uuid>."
            )
        integration = found[0]
    return psa, tenant, integration


def cmd_agent(args: argparse.Namespace) -> int:
    from ninja_desk.sync.agent import ENV_RELAY_TOKEN, Agent, AgentConfig

    # main() configured the handler (with timestamps for the agent); only the level is ours.
    # Never `basicConfig(force=True)` here: it would tear down handlers the host process set.
    logging.getLogger("ninja_desk").setLevel(getattr(logging, args.log_level.upper(), 20))
    settings = Settings.load(args.data_dir)
    relay_url = args.relay_url or settings.relay_url
    token = os.environ.get(ENV_RELAY_TOKEN)
    if relay_url and not token:
        raise CliError(f"Set {ENV_RELAY_TOKEN} to this agent's relay subscriber token.")
    psa, tenant, integration = _resolve_psa(args, settings)
    cache = open_cache(args)
    engine = open_engine(args, cache)
    config = AgentConfig(
        tenant=tenant,
        integration_id=integration,
        relay_url=relay_url,
        relay_token=token,
        ninjaone_url=resolve_base_url(args, settings),
        sync_interval=args.sync_interval,
        full_sync_interval=args.full_sync_interval,
        alert_poll_interval=args.alert_poll_interval,
        psa_push=not args.no_psa_push,
        cursor_file=Path(data_dir(args.data_dir)) / "agent-relay-cursor.json",
    )

    async def main() -> None:
        agent = Agent(config, cache=cache, psa=psa, engine=engine)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, agent.stop)
        try:
            await agent.run()
        finally:
            await engine.api.client.aclose()

    try:
        asyncio.run(main())
    finally:
        cache.close()
        psa.dispose()
    return 0
