"""`ninja-desk-relay`: set up endpoints and subscribers, and serve the relay."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

from aiohttp import web

from ninja_desk import __version__
from ninja_desk.core.relay_protocol import hook_path
from ninja_desk.core.tasks import stop_on_signals
from ninja_desk.relay import admin, redact
from ninja_desk.relay.app import RelayConfig, create_app, make_runner
from ninja_desk.relay.forwarder import ForwardPolicy
from ninja_desk.relay.retention import RetentionPolicy
from ninja_desk.relay.settings import (
    RelaySettings,
    RelaySettingsError,
    env_name,
    flag_name,
    load_settings,
)
from ninja_desk.relay.store import AdminError, RelayStore, RelayStoreError, open_store

DB_ENV = env_name("db")


_GROUPS = {"endpoint": "webhook endpoints", "subscriber": "stream subscribers"}
_GROUPS["forward"] = "forward targets"
# (group, action): (help, positional arguments); options are added in build_parser.
_ADMIN: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("endpoint", "add"): ("new endpoint; prints path and secret", ("name",)),
    ("endpoint", "rotate"): ("new secret for an endpoint", ("name",)),
    ("endpoint", "remove"): ("delete an endpoint", ("name",)),
    ("endpoint", "list"): ("list endpoints", ()),
    ("subscriber", "add"): ("new subscriber bound to endpoints; prints its token", ("name",)),
    ("subscriber", "revoke"): ("revoke a subscriber's token", ("name",)),
    ("subscriber", "bind"): ("let a subscriber read more endpoints", ("name",)),
    ("subscriber", "unbind"): ("stop a subscriber reading endpoints", ("name",)),
    ("subscriber", "show"): ("a subscriber's status and endpoints", ("name",)),
    ("subscriber", "list"): ("every subscriber with its status and endpoints", ()),
    ("forward", "add"): ("POST every event to URL", ("url",)),
    ("forward", "remove"): ("stop forwarding to URL", ("url",)),
    ("forward", "list"): ("list forward targets", ()),
}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help=f"sqlite:///path/relay.db or postgresql://... (default: ${DB_ENV})",
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON"
    )
    parser = argparse.ArgumentParser(
        prog="ninja-desk-relay",
        parents=[common],
        description="NinjaOne webhook relay: accepts webhooks, streams them to desktops.",
    )
    parser.add_argument("--version", action="version", version=f"ninja-desk-relay {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", parents=[common], help="create the database schema")

    groups = {
        name: sub.add_parser(name, help=text).add_subparsers(dest="action", required=True)
        for name, text in _GROUPS.items()
    }
    actions = {}
    for (group, action), (text, positionals) in _ADMIN.items():
        actions[group, action] = p = groups[group].add_parser(action, parents=[common], help=text)
        for name in positionals:
            p.add_argument(name)
    actions["endpoint", "rotate"].add_argument(
        "--grace",
        type=float,
        default=3600.0,
        help="seconds the old secret keeps working (default 3600)",
    )
    actions["subscriber", "add"].add_argument(
        "--endpoint",
        action="append",
        default=[],
        metavar="ENDPOINT",
        help="an endpoint whose events the token may read (repeatable; "
        "default: the only endpoint, when there is exactly one)",
    )
    for change in ("bind", "unbind"):
        actions["subscriber", change].add_argument("endpoints", nargs="+", metavar="ENDPOINT")

    p = sub.add_parser(
        "serve",
        parents=[common],
        help="run the relay",
        epilog="Every option can also be set by its environment variable, "
        f"{env_name('<option>')} (the flag wins).",
    )
    for name, info in RelaySettings.model_fields.items():
        if name in ("db", "forwarding"):
            continue
        # Strings here: the settings model validates flags and environment alike.
        p.add_argument(
            flag_name(name), dest=name, help=f"{info.description} (default {info.default})"
        )
    p.add_argument(
        "--forward",
        action="append",
        default=[],
        metavar="URL",
        help="also forward to URL (repeatable; stored like `forward add`)",
    )
    p.add_argument(
        "--no-forwarding",
        dest="forwarding",
        action="store_const",
        const=False,
        help="do not run the forwarder on this instance",
    )
    return parser


def _out(args: argparse.Namespace, data: dict[str, object], text: str) -> None:
    print(json.dumps(data) if getattr(args, "json", False) else text, flush=True)


def _endpoint_words(endpoints: list[str]) -> str:
    return ", ".join(endpoints) if endpoints else "no endpoint, so it receives no events"


def _run_admin(args: argparse.Namespace, store: RelayStore) -> int:
    store.init_schema()
    key = (args.command, getattr(args, "action", None))
    if key == ("init", None):
        _out(args, {"status": "ok"}, "Relay database ready.")
    elif key == ("endpoint", "add"):
        secret = admin.add_endpoint(store, args.name)
        path = hook_path(args.name)
        _out(
            args,
            {"name": args.name, "path": path, "secret": secret},
            f"Endpoint {args.name}\n  path:   {path}\n  secret: {secret}\n"
            "Set this secret as the X-NinjaDesk-Secret header in NinjaOne's webhook "
            "configuration; it is shown only once.",
        )
    elif key == ("endpoint", "rotate"):
        secret = admin.rotate_endpoint(store, args.name, args.grace)
        path = hook_path(args.name)
        _out(
            args,
            {"name": args.name, "path": path, "secret": secret, "grace": args.grace},
            f"New secret for {args.name}: {secret}\n"
            f"The old secret keeps working for {args.grace:g} s; update NinjaOne before then.",
        )
    elif key == ("endpoint", "remove"):
        if not store.remove_endpoint(args.name):
            raise AdminError(f"No endpoint named {args.name!r}.")
        _out(args, {"name": args.name, "removed": True}, f"Endpoint {args.name} removed.")
    elif key == ("endpoint", "list"):
        names = store.list_endpoints()
        _out(args, {"endpoints": names}, "\n".join(names) or "(no endpoints)")
    elif key == ("subscriber", "add"):
        token = admin.add_subscriber(store, args.name, args.endpoint or None)
        endpoints = store.subscriber_endpoints(args.name)
        _out(
            args,
            {"name": args.name, "token": token, "endpoints": endpoints},
            f"Subscriber {args.name}\n  token:     {token}\n"
            f"  endpoints: {', '.join(endpoints)}\n"
            "Give this bearer token to the desktop; it is shown only once.",
        )
    elif key in (("subscriber", "bind"), ("subscriber", "unbind")):
        change = admin.bind_subscriber if args.action == "bind" else admin.unbind_subscriber
        endpoints = change(store, args.name, args.endpoints)
        _out(
            args,
            {"name": args.name, "endpoints": endpoints},
            f"Subscriber {args.name} reads: {_endpoint_words(endpoints)}.",
        )
    elif key == ("subscriber", "show"):
        found = [s for s in store.list_subscribers() if s.name == args.name]
        if not found:
            raise AdminError(f"No subscriber named {args.name!r}.")
        info = found[0]
        _out(
            args,
            {"name": info.name, "active": info.active, "endpoints": info.endpoints},
            f"Subscriber {info.name} ({'active' if info.active else 'revoked'}) reads: "
            f"{_endpoint_words(info.endpoints)}.",
        )
    elif key == ("subscriber", "list"):
        subscribers = store.list_subscribers()
        _out(
            args,
            {
                "subscribers": [
                    {"name": i.name, "active": i.active, "endpoints": i.endpoints}
                    for i in subscribers
                ]
            },
            "\n".join(
                f"{i.name}\t{'active' if i.active else 'revoked'}\t{', '.join(i.endpoints) or '-'}"
                for i in subscribers
            )
            or "(no subscribers)",
        )
    elif key == ("subscriber", "revoke"):
        admin.revoke_subscriber(store, args.name)
        _out(args, {"name": args.name, "revoked": True}, f"Subscriber {args.name} revoked.")
    elif key == ("forward", "add"):
        added = admin.add_forward(store, args.url)
        _out(
            args,
            {"url": args.url, "added": added},
            "Forward target added." if added else "Forward target already configured.",
        )
    elif key == ("forward", "remove"):
        if not store.remove_forward_target(args.url):
            raise AdminError("No such forward target.")
        _out(args, {"url": args.url, "removed": True}, "Forward target removed.")
    elif key == ("forward", "list"):
        urls = store.forward_targets()
        _out(args, {"targets": urls}, "\n".join(urls) or "(no forward targets)")
    return 0


async def _serve(settings: RelaySettings, forward: list[str], store: RelayStore) -> None:
    await asyncio.to_thread(store.init_schema)
    for url in forward:
        await asyncio.to_thread(admin.add_forward, store, url)
    config = RelayConfig(
        heartbeat=settings.heartbeat,
        retention=RetentionPolicy(
            max_age=settings.retention_age or None,
            max_count=settings.retention_count or None,
            interval=settings.prune_interval,
        ),
        forward=ForwardPolicy(),
        forwarding=settings.forwarding,
        max_streams_per_token=settings.max_streams_per_token,
        memory_budget=settings.memory_budget_mb * 1024 * 1024,
        header_timeout=settings.request_timeout,
        body_timeout=settings.request_timeout,
    )
    # Access logs are off: they would cost throughput and add nothing /metrics lacks.
    runner = make_runner(create_app(store, config))
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, backlog=1024)
    await site.start()
    port = runner.addresses[0][1] if runner.addresses else settings.port
    print(f"ninja-desk-relay listening on http://{settings.host}:{port}", flush=True)
    stop = asyncio.Event()
    stop_on_signals(stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(
            {name: getattr(args, name, None) for name in RelaySettings.model_fields}
        )
    except RelaySettingsError as exc:
        print(f"ninja-desk-relay: {exc}", file=sys.stderr)
        return 2
    url = settings.db
    if not url:
        print(f"ninja-desk-relay: give --db URL or set {DB_ENV}.", file=sys.stderr)
        return 2
    try:
        store = open_store(url)
        if args.command == "serve":
            logging.basicConfig(
                level=settings.log_level,
                format="%(asctime)s %(levelname)s %(name)s %(message)s",
            )
            redact.install(handlers=True)
            asyncio.run(_serve(settings, args.forward, store))
            return 0
        try:
            return _run_admin(args, store)
        finally:
            store.close()
    except AdminError as exc:
        print(f"ninja-desk-relay: {exc}", file=sys.stderr)
        return 1
    except RelayStoreError as exc:
        print(
            f"ninja-desk-relay: {exc}. Check --db and that the database is reachable.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
