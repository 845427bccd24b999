"""`ninja-desk-sim`: run the simulator, or change a running one through `/_sim/`.

ninja-desk-sim serve --port 0 --devices 500      # prints {"base_url": ...} when ready
ninja-desk-sim --url http://127.0.0.1:PORT device rename 12 "Front desk PC"
ninja-desk-sim --url URL alert trigger 12 --severity CRITICAL
ninja-desk-sim --url URL faults --rate-429 0.1 --retry-after 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from typing import Any

import httpx

from ninja_desk.simulator.client import SimControl, SimControlError
from ninja_desk.simulator.config import SimulatorConfig
from ninja_desk.simulator.server import start_simulator


def _serve(args: argparse.Namespace) -> int:
    cfg = SimulatorConfig(
        orgs=args.orgs,
        devices=args.devices,
        seed=args.seed,
        token_lifetime=args.token_lifetime,
        latency_ms=args.latency_ms,
        rate_429=args.rate_429,
        rate_5xx=args.rate_5xx,
        retry_after=args.retry_after,
        host=args.host,
        port=args.port,
        auto_consent=args.auto_consent,
        prewarm=not args.no_prewarm,
    )

    async def run() -> None:
        async with start_simulator(cfg) as sim:
            print(json.dumps({"base_url": sim.base_url}), flush=True)
            await asyncio.Event().wait()  # until Ctrl+C / SIGTERM

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


def _control(args: argparse.Namespace) -> Any:
    ctl = SimControl(args.url)
    cmd, action = args.command, getattr(args, "action", None)
    if cmd == "device":
        if action == "add":
            return ctl.add_device(
                args.org_id, args.node_class, location_id=args.location_id, name=args.name
            )
        if action == "rename":
            return ctl.rename_device(args.id, args.name, field=args.field)
        if action == "move":
            return ctl.move_device(args.id, args.org_id, args.location_id)
        if action in ("offline", "online"):
            return ctl.set_offline(args.id, action == "offline")
        if action == "delete":
            return ctl.delete_device(args.id)
    if cmd == "software":
        if action == "add":
            return ctl.add_software(args.id, args.name, args.version, args.publisher)
        return ctl.remove_software(args.id, args.name)
    if cmd == "patch":
        if action == "installed":
            return ctl.patch_installed(args.id, args.patch_id, args.kind)
        return ctl.patch_failed(args.id, args.patch_id, args.kind)
    if cmd == "alert":
        if action == "trigger":
            return ctl.trigger_alert(args.id, args.severity, message=args.message)
        return ctl.reset_alert(args.uid)
    if cmd == "stats":
        if args.reset:
            ctl.reset_stats()
        return ctl.stats()
    if cmd == "faults":
        return ctl.set_faults(
            rate_429=args.rate_429,
            rate_5xx=args.rate_5xx,
            latency_ms=args.latency_ms,
            retry_after=args.retry_after,
            rate_429_without_retry_after=args.no_header_share,
            token_lifetime=args.token_lifetime,
        )
    if cmd == "tokens":
        if action == "expire":
            return {"expired": ctl.expire_tokens()}
        return {"revoked": ctl.revoke_tokens(args.token, args.client_id)}
    if cmd == "client":
        return ctl.register_client(
            args.client_id,
            secret=args.secret,
            platform=args.platform,
            grants=args.grant or None,
            redirect_uris=args.redirect or None,
            admin=not args.non_admin,
        )
    if cmd == "webhook":
        admin = None if args.admin is None else args.admin == "yes"
        psa = None if args.psa_conflict is None else args.psa_conflict == "yes"
        return ctl.configure_webhook(admin=admin, psa_conflict=psa, client_id=args.client_id)
    if cmd == "churn":
        return ctl.churn(args.count, args.seed)
    if cmd == "storm":
        return ctl.alert_storm(args.count, args.severity)
    raise SystemExit(f"unknown command {cmd} {action or ''}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ninja-desk-sim",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--url",
        default=os.environ.get("NINJA_SIM_URL", "http://127.0.0.1:8765"),
        help="base URL of a running simulator (env NINJA_SIM_URL)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run a simulator until interrupted")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 picks a free port")
    s.add_argument("--orgs", type=int, default=5)
    s.add_argument("--devices", type=int, default=50)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--token-lifetime", type=int, default=3600)
    s.add_argument("--latency-ms", type=float, default=0.0)
    s.add_argument("--rate-429", type=float, default=0.0)
    s.add_argument("--rate-5xx", type=float, default=0.0)
    s.add_argument("--retry-after", type=float, default=1.0)
    s.add_argument(
        "--auto-consent",
        action="store_true",
        help="skip the Allow/Deny page of /ws/oauth/authorize",
    )
    s.add_argument(
        "--no-prewarm",
        action="store_true",
        help="do not pre-serialise report rows in the background after startup",
    )

    d = sub.add_parser("device").add_subparsers(dest="action", required=True)
    a = d.add_parser("add")
    a.add_argument("org_id", type=int)
    a.add_argument("--node-class", default="WINDOWS_WORKSTATION")
    a.add_argument("--location-id", type=int)
    a.add_argument("--name")
    a = d.add_parser("rename")
    a.add_argument("id", type=int)
    a.add_argument("name")
    a.add_argument("--field", default="displayName", choices=("displayName", "systemName"))
    a = d.add_parser("move")
    a.add_argument("id", type=int)
    a.add_argument("org_id", type=int)
    a.add_argument("--location-id", type=int)
    for name in ("offline", "online", "delete"):
        d.add_parser(name).add_argument("id", type=int)

    sw = sub.add_parser("software").add_subparsers(dest="action", required=True)
    a = sw.add_parser("add")
    a.add_argument("id", type=int)
    a.add_argument("name")
    a.add_argument("version", nargs="?")
    a.add_argument("--publisher")
    a = sw.add_parser("remove")
    a.add_argument("id", type=int)
    a.add_argument("name")

    pt = sub.add_parser("patch").add_subparsers(dest="action", required=True)
    for name in ("installed", "failed"):
        a = pt.add_parser(name)
        a.add_argument("id", type=int)
        a.add_argument("--patch-id")
        a.add_argument("--kind", default="os", choices=("os", "software"))

    al = sub.add_parser("alert").add_subparsers(dest="action", required=True)
    a = al.add_parser("trigger")
    a.add_argument("id", type=int)
    a.add_argument("--severity", help="leave out for an alert without severity/priority")
    a.add_argument("--message")
    al.add_parser("reset").add_argument("uid")

    st = sub.add_parser("stats")
    st.add_argument("--reset", action="store_true")

    f = sub.add_parser("faults")
    f.add_argument("--rate-429", type=float)
    f.add_argument("--rate-5xx", type=float)
    f.add_argument("--latency-ms", type=float)
    f.add_argument("--retry-after", type=float)
    f.add_argument("--no-header-share", type=float, help="share of 429s sent without Retry-After")
    f.add_argument(
        "--token-lifetime", type=int, help="seconds an access token issued from now on lives"
    )

    tk = sub.add_parser("tokens").add_subparsers(dest="action", required=True)
    tk.add_parser("expire")
    a = tk.add_parser("revoke")
    a.add_argument("--token")
    a.add_argument("--client-id")

    c = sub.add_parser("client", help="register an OAuth client")
    c.add_argument("client_id")
    c.add_argument("--secret")
    c.add_argument("--platform")
    c.add_argument("--grant", action="append")
    c.add_argument("--redirect", action="append")
    c.add_argument("--non-admin", action="store_true")

    w = sub.add_parser("webhook", help="webhook admin flag and PSA conflict")
    w.add_argument("--admin", choices=("yes", "no"))
    w.add_argument("--psa-conflict", choices=("yes", "no"))
    w.add_argument("--client-id")

    ch = sub.add_parser("churn")
    ch.add_argument("count", type=int, nargs="?", default=20)
    ch.add_argument("--seed")
    sm = sub.add_parser("storm", help="alert storm")
    sm.add_argument("count", type=int, nargs="?", default=50)
    sm.add_argument("--severity", default="CRITICAL")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    try:
        result = _control(args)
    except SimControlError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (OSError, httpx.TransportError) as exc:
        print(
            f"Cannot reach the simulator at {args.url}: {exc}. Start one with "
            "`ninja-desk-sim serve` and pass its base_url with --url.",
            file=sys.stderr,
        )
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
