"""`ninja-desk`: the headless command line. Imports no Qt unless the UI is asked for."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence

from ninja_desk import __version__
from ninja_desk.cli import device_listing
from ninja_desk.cli.common import (
    CliError,
    credentials_state,
    open_cache,
    open_engine,
    resolve_base_url,
)
from ninja_desk.ninjaone.redaction import install_redaction
from ninja_desk.sync.progress import SyncProgress

log = logging.getLogger("ninja_desk.cli")


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ninjaone-url", help="NinjaOne base URL (overrides --region)")
    parser.add_argument("--region", help="NinjaOne region: app, us2, eu, ca, oc")
    parser.add_argument(
        "--client-id", help="API client id; the secret comes from NINJA_DESK_CLIENT_SECRET"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ninja-desk", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ninja-desk {__version__}")
    parser.add_argument("--data-dir", help="where the cache and settings live")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    # Also accepted after the command name (`ninja-desk devices --data-dir X`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    sync = sub.add_parser(
        "sync", parents=[common], help="sync the NinjaOne fleet into the local cache"
    )
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_const", dest="mode", const="full")
    mode.add_argument("--incremental", action="store_const", dest="mode", const="incremental")
    sync.add_argument("--json", action="store_true")
    _add_connection_options(sync)
    sync.set_defaults(handler=cmd_sync, mode="auto")

    devices = sub.add_parser("devices", parents=[common], help="list cached devices")
    devices.add_argument("--json", action="store_true")
    devices.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="org=ID, class=NODE_CLASS, name~TEXT, online, offline, deleted, active (repeatable)",
    )
    devices.set_defaults(handler=device_listing.cmd_devices)

    status = sub.add_parser("status", parents=[common], help="cache and connection status")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)

    demo = sub.add_parser(
        "demo", parents=[common], help="start the built-in simulator and show the app against it"
    )
    demo.add_argument("--headless", action="store_true", help="sync only, no window")
    demo.add_argument("--devices", type=int, default=300)
    demo.add_argument("--orgs", type=int, default=12)
    demo.set_defaults(handler=_lazy("ninja_desk.cli.demo", "cmd_demo"))

    for module, registrar in (
        ("ninja_desk.psa.cli", "register_psa_commands"),
        ("ninja_desk.cli.auth_commands", "register_auth_commands"),
        ("ninja_desk.cli.agent", "register_agent_commands"),
    ):
        _register_optional(sub, module, registrar)
    return parser


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)

    return handler


def _register_optional(sub: argparse._SubParsersAction, module: str, registrar: str) -> None:
    import importlib

    try:
        register = getattr(importlib.import_module(module), registrar)
    except (ImportError, AttributeError):
        return  # that feature's package is not installed in this build
    register(sub)


def _print_progress(progress: SyncProgress) -> None:
    print(f"  {progress.message}", file=sys.stderr)


def cmd_sync(args: argparse.Namespace) -> int:
    cache = open_cache(args)
    engine = open_engine(args, cache)

    async def run() -> dict[str, object]:
        try:
            result = await engine.sync(
                args.mode, progress=(lambda _: None) if args.json else _print_progress
            )
            return result.as_dict()
        finally:
            await engine.api.client.aclose()

    try:
        result = asyncio.run(run())
    finally:
        cache.close()
    if args.json:
        print(json.dumps(result))
    else:
        note = f" (full sync because {result['fell_back']})" if result["fell_back"] else ""
        print(
            f"{str(result['kind']).capitalize()} sync done{note}: {result['devices']} devices, "
            f"{result['tombstoned']} removed, {result['api_calls']} API calls "
            f"in {result['seconds']} s."
        )
    return 0


def connection_summary(args: argparse.Namespace) -> dict[str, object]:
    """Where this install connects and with which credentials, without revealing any."""
    from ninja_desk.settings import Settings

    settings = Settings.load(args.data_dir)
    try:
        base_url = resolve_base_url(args, settings)
    except CliError as exc:
        return {"ninjaone": None, "credentials": str(exc)}
    return {
        "ninjaone": base_url,
        "client_id": settings.client_id,
        "credentials": credentials_state(base_url, settings.client_id),
        "webhook_registered": settings.webhook_registered,
        "relay": settings.relay_url,
        "psa_database": "configured" if settings.psa_url else None,
    }


def cmd_status(args: argparse.Namespace) -> int:
    cache = open_cache(args)
    try:
        last = cache.last_sync_run()
        last_ok = cache.last_sync_run("ok")
        status = {
            "data_dir": str(cache.path.parent),
            "devices": cache.scalar("SELECT count(*) FROM devices WHERE deleted = 0"),
            "deleted_devices": cache.scalar("SELECT count(*) FROM devices WHERE deleted = 1"),
            "organizations": cache.scalar("SELECT count(*) FROM organizations WHERE deleted = 0"),
            "active_alerts": cache.scalar("SELECT count(*) FROM alerts WHERE status='TRIGGERED'"),
            "activities_high_water": cache.meta("activities_high_water"),
            "last_sync": last,
            "last_successful_sync_at": last_ok["finished_at"] if last_ok else None,
            **connection_summary(args),
        }
    finally:
        cache.close()
    if args.json:
        print(json.dumps(status, default=str))
    else:
        for key, value in status.items():
            if key == "last_sync" and isinstance(value, dict):
                value = f"{value['kind']} {value['status']} ({value['devices']} devices)"
            print(f"{key.replace('_', ' '):>24}: {value}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    install_redaction()  # before anything can log a token or an authorization code
    parser = build_parser()
    args = parser.parse_args(argv)
    # A long-running agent's log wants timestamps; one-shot commands read better without.
    stamp = "%(asctime)s " if args.command == "agent" else ""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format=stamp + "%(levelname)s %(name)s: %(message)s",
    )
    if args.data_dir:
        os.environ.setdefault("NINJA_DESK_DATA_DIR", args.data_dir)
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"ninja-desk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
