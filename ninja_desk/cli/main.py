"""`ninja-desk`: the headless command line. Imports no Qt unless the UI is asked for."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime

from ninja_desk import __version__
from ninja_desk.cache.queries.fleet import cache_counts
from ninja_desk.cli import device_listing
from ninja_desk.cli.common import (
    DEMO_PROFILE,
    CliError,
    add_connection_options,
    add_one_of,
    credentials_state,
    demo_profile_hint,
    open_cache,
    open_engine,
    profile_dir,
    resolve_base_url,
)
from ninja_desk.cli.error_messages import describe, explain
from ninja_desk.ninjaone.redaction import install_redaction
from ninja_desk.paths import ENV_DATA_DIR
from ninja_desk.run_log import RunLog, start_run_log
from ninja_desk.sync.progress import SyncProgress

log = logging.getLogger("ninja_desk.cli")


_PROFILE_HELP = (
    f"use the named profile under the data dir ('{DEMO_PROFILE}' is what 'ninja-desk demo' fills)"
)
_DEBUG_HELP = "show the full traceback when something fails"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ninja-desk", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ninja-desk {__version__}")
    parser.add_argument("--data-dir", help="where the cache and settings live")
    parser.add_argument("--profile", metavar="NAME", help=_PROFILE_HELP)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (DEBUG)")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Also accepted after the command name (`ninja-desk devices --data-dir X`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--profile", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)

    sync = sub.add_parser(
        "sync", parents=[common], help="sync the NinjaOne fleet into the local cache"
    )
    add_one_of(
        sync,
        "mode",
        {
            "full": "fetch everything again",
            "incremental": "only what changed since the last sync "
            "(falls back to full when it must)",
        },
    )
    sync.add_argument("--json", action="store_true", help="print the result as one JSON object")
    add_connection_options(sync)
    sync.set_defaults(handler=cmd_sync, mode="auto")

    devices = sub.add_parser("devices", parents=[common], help="list cached devices")
    devices.add_argument(
        "--json", action="store_true", help="print a JSON list (NinjaOne's field names)"
    )
    devices.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="org=ID, class=NODE_CLASS, name~TEXT, online, offline, deleted, active (repeatable)",
    )
    devices.set_defaults(handler=device_listing.cmd_devices)

    status = sub.add_parser("status", parents=[common], help="cache and connection status")
    status.add_argument(
        "--json", action="store_true", help="print one JSON object (epoch seconds, nulls)"
    )
    status.set_defaults(handler=cmd_status)

    demo = sub.add_parser(
        "demo", parents=[common], help="start the built-in simulator and show the app against it"
    )
    demo.add_argument("--headless", action="store_true", help="sync only, no window")
    demo.add_argument(
        "--devices", type=int, default=300, help="devices in the demo fleet (default 300)"
    )
    demo.add_argument(
        "--orgs", type=int, default=12, help="organizations in the demo fleet (default 12)"
    )
    demo.set_defaults(handler=_lazy("ninja_desk.cli.demo", "cmd_demo"))

    for module, registrar in (
        ("ninja_desk.cli.psa_commands", "register_psa_commands"),
        ("ninja_desk.cli.auth_commands", "register_auth_commands"),
        ("ninja_desk.cli.agent", "register_agent_commands"),
        ("ninja_desk.cli.device_commands", "register_device_commands"),
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
        "psa_identity": _psa_identity(settings),
    }


def _psa_identity(settings: object) -> str | None:
    """Who this desktop acts as in the PSA (Alga API key), or why it is read-only."""
    from ninja_desk.psa.identity import identity_status
    from ninja_desk.sync.alga_api_key import stored_api_key

    psa_url = getattr(settings, "psa_url", None)
    key = stored_api_key() if psa_url else None
    return identity_status(psa_url, getattr(settings, "psa_tenant", None), key)


def cmd_status(args: argparse.Namespace) -> int:
    cache = open_cache(args)
    try:
        last = cache.last_sync_run()
        last_ok = cache.last_sync_run("ok")
        status = {
            "data_dir": str(cache.path.parent),
            **cache_counts(cache),
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
        now = time.time()
        for key, value in status.items():
            print(f"{key.replace('_', ' '):>24}: {_human(key, value, now)}")
    hint = demo_profile_hint(args) if not status["devices"] else None
    if hint:
        print(hint, file=sys.stderr)
    return 0


def ago(epoch: float, now: float | None = None) -> str:
    """`2025-06-01 14:03 (3 h ago)` in local time."""
    when = datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")
    elapsed = (now or time.time()) - epoch
    return f"{when} (just now)" if elapsed < 5 else f"{when} ({duration(elapsed)} ago)"


def duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 1:
        return f"{seconds:.1f} s" if seconds else "0 s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _human(key: str, value: object, now: float) -> str:
    if value is None:
        return "never" if "sync" in key else "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "last_sync" and isinstance(value, dict):
        text = f"{value['kind']}, {value['status']}"
        finished, started = value.get("finished_at"), value.get("started_at")
        if finished:
            text += f", {ago(float(finished), now)}"
            if started:
                text += f", took {duration(float(finished) - float(started))}"
        elif started:
            text += f", started {ago(float(started), now)}"
        if value.get("devices") is not None:
            text += f", {value['devices']} devices"
        if value.get("error"):
            text += f": {value['error']}"
        return text
    if key.endswith("_at") and isinstance(value, int | float):
        return ago(float(value), now)
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Failures are one sentence on stderr and a non-zero exit code."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe fails here, not at interpreter exit
        return code
    except SystemExit:  # argparse: --help, --version, usage errors
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            return _stdout_gone()
        raise
    except BrokenPipeError:
        return _stdout_gone()
    except KeyboardInterrupt:
        return 130


def _main(argv: Sequence[str] | None) -> int:
    install_redaction()  # before anything can log a token or an authorization code
    parser = build_parser()
    args = parser.parse_args(argv)
    # A long-running agent's log wants timestamps; one-shot commands read better without.
    stamp = "%(asctime)s " if args.command == "agent" else ""
    level = logging.DEBUG if args.verbose else logging.WARNING
    # The terminal keeps its level even when the log file below asks the root logger for INFO.
    console = logging.StreamHandler()
    console.setLevel(level)
    logging.basicConfig(
        level=level, format=stamp + "%(levelname)s %(name)s: %(message)s", handlers=[console]
    )
    debug = bool(getattr(args, "debug", False))
    run_log: RunLog | None = None
    try:
        _apply_profile(args)
        if args.data_dir:
            # For code that finds the data dir without args (paths.data_dir() through the
            # environment table, which sees a variable set now) and for child processes.
            os.environ.setdefault(ENV_DATA_DIR, str(args.data_dir))
        # What ran and what failed, with tracebacks, for the bug report (redacted, 0600).
        run_log = start_run_log(
            "agent" if args.command == "agent" else "cli",
            data_dir=args.data_dir,
            level=logging.DEBUG if args.verbose else logging.INFO,
        )
        return int(args.handler(args) or 0)
    except (BrokenPipeError, KeyboardInterrupt):
        raise
    except CliError as exc:
        log.info("The command failed", exc_info=True)
        if debug:
            traceback.print_exc()
        # A command that wrapped a database or network failure: say what that failure means.
        known = describe(exc.__context__) if exc.__context__ is not None else None
        sentence = known[0] if known else _one_line(str(exc))
        print(f"ninja-desk: {sentence}", file=sys.stderr)
        return 2
    except Exception as exc:
        log.info("The command failed", exc_info=True)
        if debug:
            traceback.print_exc()
        sentence, code = explain(exc, debug=debug)
        print(f"ninja-desk: {sentence}", file=sys.stderr)
        return code
    finally:
        if run_log is not None:
            run_log.close()


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "The command failed."


def _apply_profile(args: argparse.Namespace) -> None:
    """`--profile NAME` is `--data-dir <data dir>/NAME`; the demo names its own profile."""
    profile = getattr(args, "profile", None)
    if profile and args.command != "demo":
        args.data_dir = str(profile_dir(args.data_dir, profile))


def _stdout_gone() -> int:
    """The reader of our output went away (`| head`): stop quietly, as the Python docs advise.

    Point stdout at devnull so the interpreter's final flush does not raise again.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout is not a real file (tests capture it): nothing to flush at exit
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
