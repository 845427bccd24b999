"""`ninja-desk agent`: the headless agent (relay, scheduled sync, alert polling, tickets).

    NINJA_DESK_CLIENT_SECRET=... NINJA_DESK_RELAY_TOKEN=... \
    ninja-desk agent --relay-url https://relay.example.com --psa-url postgresql://svc@db/psa \
        --tenant <uuid> --region eu --client-id <id>

Stops cleanly on SIGTERM or Ctrl-C. Run as many as you like: they share the work safely.
`--once` runs one sync, asset push and alert round and exits 0 (for cron and set-up checks).
`--tenant` takes the tenant's uuid or its name. The agent is the system: it holds every right
(technicians' desktops act as their Alga user instead). Where Alga's own NinjaOne integration
runs for the tenant (`ninja-desk psa check` says so), the agent is a companion: it keeps its
cache current but never pushes assets or makes alert tickets.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ninja_desk.cli.common import (
    CliError,
    add_connection_options,
    open_cache,
    open_engine,
    resolve_base_url,
)
from ninja_desk.core.tasks import stop_on_signals
from ninja_desk.environment import environment, reveal
from ninja_desk.paths import data_dir
from ninja_desk.settings import Settings

if TYPE_CHECKING:  # the CLI imports the heavy layers only when a command runs
    from ninja_desk.cache.store import LocalCache
    from ninja_desk.psa.tenancy import PsaDatabase
    from ninja_desk.sync.agent import AgentConfig
    from ninja_desk.sync.engine import SyncEngine

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
    p.add_argument(
        "--tenant",
        help="PSA tenant: uuid or name (default: settings, else the local SQLite tenant)",
    )
    p.add_argument("--integration", help="NinjaOne integration UUID (default: the tenant's one)")
    p.add_argument(
        "--once",
        action="store_true",
        help="one sync, asset push and alert round, then exit (0 when it worked)",
    )
    # The agent signs in through open_engine, as `sync` does: the same options.
    add_connection_options(p)
    p.add_argument("--sync-interval", type=float, default=900.0, help="seconds (default 900)")
    p.add_argument(
        "--full-sync-interval", type=float, default=86400.0, help="seconds (default 86400)"
    )
    p.add_argument("--alert-poll-interval", type=float, default=60.0, help="seconds (default 60)")
    p.add_argument("--no-psa-push", action="store_true", help="do not push devices as assets")
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    p.set_defaults(handler=cmd_agent)


def _resolve_psa(
    args: argparse.Namespace, settings: Settings
) -> tuple[PsaDatabase, uuid.UUID, uuid.UUID, bool, str]:
    """(psa, tenant, integration, companion, mode sentence), or CliError with what to do."""
    from ninja_desk.psa.database import default_psa_url
    from ninja_desk.psa.errors import PsaError
    from ninja_desk.psa.integration_settings import COMPANION
    from ninja_desk.psa.integrations import find_integration, get_integration
    from ninja_desk.psa.setup import require_migrated, resolve_tenant, run_mode
    from ninja_desk.psa.tenancy import PsaDatabase
    from ninja_desk.psa.tenants import ensure_local_admin

    url = args.psa_url or settings.psa_url or default_psa_url(args.data_dir)
    psa = PsaDatabase(url)
    try:
        require_migrated(psa)
        raw_tenant = args.tenant or settings.psa_tenant
        if raw_tenant:
            tenant, _name = resolve_tenant(psa, raw_tenant)
        elif psa.is_postgres:
            raise CliError("Which PSA tenant? Pass --tenant <uuid or name>.")
        else:
            tenant = ensure_local_admin(psa).tenant
        with psa.tenant_session(tenant) as s:
            if args.integration:
                integration = get_integration(s, uuid.UUID(args.integration)).integration_id
            else:
                found = find_integration(s)
                if found is None:
                    raise CliError(
                        "This tenant has no NinjaOne integration yet; run `ninja-desk psa setup "
                        "--psa-url URL --tenant T --region R --client-id ID` first."
                    )
                integration = found.integration_id
            mode, reason = run_mode(s, integration)
    except CliError:
        psa.dispose()
        raise
    except (PsaError, ValueError, sa.exc.SQLAlchemyError) as exc:
        psa.dispose()
        raise CliError(str(exc)) from exc
    return psa, tenant, integration, mode == COMPANION, reason


def _console_level(level: int) -> None:
    """A headless agent's terminal (journald, docker logs) is its log: `--log-level` applies
    to it, not only to the run file. main() configured the handlers (with timestamps for the
    agent); never `basicConfig(force=True)` here: it would tear down handlers the host set."""
    logging.getLogger("ninja_desk").setLevel(level)
    for handler in logging.getLogger().handlers:
        if getattr(handler, "stream", None) in (sys.stderr, sys.stdout):
            handler.setLevel(level)


def cmd_agent(args: argparse.Namespace) -> int:
    from ninja_desk.sync.agent import ENV_RELAY_TOKEN, Agent, AgentConfig

    _console_level(getattr(logging, args.log_level.upper(), logging.INFO))
    settings = Settings.load(args.data_dir)
    relay_url = args.relay_url or settings.relay_url
    token = reveal(environment().relay_token)
    if relay_url and not token:
        raise CliError(f"Set {ENV_RELAY_TOKEN} to this agent's relay subscriber token.")
    psa, tenant, integration, companion, mode_reason = _resolve_psa(args, settings)
    if not args.once:  # --once prints it with its summary
        log.info("%s", mode_reason)
    cache = open_cache(args)
    try:
        engine = open_engine(args, cache)
    except CliError:
        cache.close()
        psa.dispose()
        raise
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
        companion=companion,
        cursor_file=Path(data_dir(args.data_dir)) / "agent-relay-cursor.json",
    )

    if args.once:
        return _run_once(config, cache, psa, engine, mode_reason, relay_url)

    async def main() -> None:
        await _repair_webhook(engine, settings, relay_url, args.data_dir)
        agent = Agent(config, cache=cache, psa=psa, engine=engine)
        stop_on_signals(agent.stop)
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


async def _repair_webhook(
    engine: SyncEngine, settings: Settings, relay_url: str | None, data: str | None
) -> None:
    """Point NinjaOne's webhook at this agent's relay (only when it differs): a changed relay URL
    repairs itself on the next start. A failure is a warning; polling still finds alerts."""
    from ninja_desk.ninjaone.errors import NinjaOneError
    from ninja_desk.ninjaone.webhooks import ensure_webhook

    if not relay_url:
        return
    settings.relay_url = relay_url
    try:
        done = await ensure_webhook(engine.api.client, settings, None, data_dir=data_dir(data))
    except NinjaOneError as exc:
        log.warning("Could not check NinjaOne's webhook: %s", exc)
        return
    log.info("%s", done.message)
    if done.changed:
        settings.save(data)


def _run_once(
    config: AgentConfig,
    cache: LocalCache,
    psa: PsaDatabase,
    engine: SyncEngine,
    mode_reason: str,
    relay_url: str | None,
) -> int:
    from ninja_desk.sync.agent import Agent

    async def once() -> dict[str, object]:
        agent = Agent(config, cache=cache, psa=psa, engine=engine)
        try:
            stats = await agent.run_once()
        finally:
            await engine.api.client.aclose()
        return {
            "mode": "companion" if config.companion else "primary",
            "syncs": stats.syncs,
            "pushes": stats.pushes,
            "alert_polls": stats.polls,
            "alerts_ingested": stats.alerts_ingested,
            "tickets_created": stats.tickets_created,
            "resets_sent": stats.resets_sent,
        }

    try:
        summary = asyncio.run(once())
    finally:
        cache.close()
        psa.dispose()
    if relay_url:
        log.info("--once does not subscribe to the relay; webhooks wait for the next run.")
    print(mode_reason)
    print(
        f"One round done ({summary['mode']}): {summary['syncs']} sync, {summary['pushes']} "
        f"asset push, {summary['alert_polls']} alert poll, "
        f"{_n(summary['alerts_ingested'], 'alert event')}, "
        f"{_n(summary['tickets_created'], 'ticket')} created."
    )
    return 0


def _n(count: object, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
