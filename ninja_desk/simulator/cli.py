"""`ninja-desk-sim`: run the simulator, or change a running one through `/_sim/`.

ninja-desk-sim serve --port 0 --devices 500      # prints {"base_url": ...} when ready
ninja-desk-sim --url http://127.0.0.1:PORT device rename 12 "Front desk PC"
ninja-desk-sim --url URL alert trigger 12 --severity CRITICAL
ninja-desk-sim --url URL faults --rate-429 0.1 --retry-after 2
ninja-desk-sim --url URL jobs outcome failure --device 12 --action reboot
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from dataclasses import fields
from typing import Any

import httpx

from ninja_desk.simulator.client import SimControl, SimControlError
from ninja_desk.simulator.config import SimulatorConfig
from ninja_desk.simulator.jobs import ACTIONS
from ninja_desk.simulator.server import start_simulator


def _serve(args: argparse.Namespace) -> int:
    # Every `serve` flag is named after the SimulatorConfig field it sets.
    given = vars(args)
    cfg = SimulatorConfig(
        **{f.name: given[f.name] for f in fields(SimulatorConfig) if f.name in given}
    )
    cfg.prewarm = not args.no_prewarm

    async def run() -> None:
        async with start_simulator(cfg) as sim:
            print(json.dumps({"base_url": sim.base_url}), flush=True)
            await asyncio.Event().wait()  # until Ctrl+C / SIGTERM

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


def _control(args: argparse.Namespace) -> Any:
    with SimControl(args.url) as ctl:
        return _dispatch(ctl, args)


def _dispatch(ctl: SimControl, args: argparse.Namespace) -> Any:
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
            return ctl.set_offline(args.id, action == "offline", args.report)
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
    if cmd == "jobs":
        if action == "duration":
            return ctl.set_job_duration(args.seconds)
        if action == "outcome":
            return ctl.set_job_outcome(
                args.result,
                device_id=args.device,
                action=args.job_action,
                message=args.message,
                times=args.times,
            )
        if action == "clear":
            return ctl.clear_job_outcomes()
        return ctl.jobs()
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
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="run a simulator until interrupted")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=0, help="0 picks a free port")
    s.add_argument("--orgs", type=int, default=5, help="organizations to generate (default 5)")
    s.add_argument("--devices", type=int, default=50, help="devices to generate (default 50)")
    s.add_argument("--seed", type=int, default=1, help="fleet seed: same seed, same fleet")
    s.add_argument(
        "--base-time",
        type=float,
        help="epoch seconds generated timestamps (and ids) derive from; fix it for "
        "byte-identical runs (default: now, so every run has new alert uids and activity ids)",
    )
    s.add_argument("--token-lifetime", type=int, default=3600, help="seconds an access token lives")
    s.add_argument("--latency-ms", type=float, default=0.0, help="added to every API request")
    s.add_argument("--rate-429", type=float, default=0.0, help="share of requests answered 429")
    s.add_argument("--rate-5xx", type=float, default=0.0, help="share of requests answered 5xx")
    s.add_argument("--retry-after", type=float, default=1.0, help="Retry-After seconds of a 429")
    s.add_argument(
        "--job-duration",
        type=float,
        default=0.3,
        help="seconds a device job (reboot, script, patch, service) runs (default %(default)s)",
    )
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

    d = sub.add_parser(
        "device", help="add, rename, move, take offline/online or delete a device"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    a = d.add_parser("add", help="add a device (NODE_CREATED)")
    a.add_argument("org_id", type=int, help="organization id")
    a.add_argument("--node-class", default="WINDOWS_WORKSTATION", help="NinjaOne nodeClass")
    a.add_argument("--location-id", type=int, help="location id (default: one of the org's)")
    a.add_argument("--name", help="system name (default: generated)")
    a = d.add_parser("rename", help="rename a device (NODE_UPDATED)")
    a.add_argument("id", type=int, help="device id")
    a.add_argument("name", help="the new name")
    a.add_argument(
        "--field",
        default="displayName",
        choices=("displayName", "systemName"),
        help="which name changes (default displayName, what a technician renames)",
    )
    a = d.add_parser("move", help="move a device to another organization (NODE_UPDATED)")
    a.add_argument("id", type=int, help="device id")
    a.add_argument("org_id", type=int, help="target organization id")
    a.add_argument("--location-id", type=int, help="target location id")
    for name in ("offline", "online"):
        a = d.add_parser(name, help=f"the device goes {name}")
        a.add_argument("id", type=int, help="device id")
        a.add_argument(
            "--report",
            default="none",
            choices=("none", "condition", "system"),
            help="what NinjaOne records: none (no offline condition configured, the default), "
            "condition (AGENT_OFFLINE TRIGGERED/RESET) or system (NODE_UPDATED)",
        )
    d.add_parser("delete", help="delete a device (NODE_DELETED)").add_argument(
        "id", type=int, help="device id"
    )

    sw = sub.add_parser("software", help="install or remove software on a device").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    a = sw.add_parser("add", help="install software (SOFTWARE_ADDED)")
    a.add_argument("id", type=int, help="device id")
    a.add_argument("name", help="software name")
    a.add_argument("version", nargs="?", help="software version")
    a.add_argument("--publisher", help="software publisher")
    a = sw.add_parser("remove", help="remove software (SOFTWARE_REMOVED)")
    a.add_argument("id", type=int, help="device id")
    a.add_argument("name", help="software name")

    pt = sub.add_parser("patch", help="a patch installs or fails on a device").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    for name in ("installed", "failed"):
        a = pt.add_parser(name, help=f"a pending patch {name}")
        a.add_argument("id", type=int, help="device id")
        a.add_argument("--patch-id", help="which pending patch (default: the first)")
        a.add_argument(
            "--kind", default="os", choices=("os", "software"), help="OS or software patch"
        )

    al = sub.add_parser("alert", help="trigger or reset an alert").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    a = al.add_parser("trigger", help="trigger a condition on a device (CONDITION TRIGGERED)")
    a.add_argument("id", type=int, help="device id")
    a.add_argument("--severity", help="leave out for an alert without severity/priority")
    a.add_argument("--message", help="alert message")
    al.add_parser("reset", help="reset an alert (CONDITION RESET)").add_argument(
        "uid", help="the alert's uid"
    )

    st = sub.add_parser("stats", help="request statistics")
    st.add_argument("--reset", action="store_true", help="zero the statistics first")

    f = sub.add_parser("faults", help="change injected faults (429, 5xx, latency, tokens)")
    f.add_argument("--rate-429", type=float, help="share of requests answered 429")
    f.add_argument("--rate-5xx", type=float, help="share of requests answered 5xx")
    f.add_argument("--latency-ms", type=float, help="added to every API request")
    f.add_argument("--retry-after", type=float, help="Retry-After seconds of a 429")
    f.add_argument("--no-header-share", type=float, help="share of 429s sent without Retry-After")
    f.add_argument(
        "--token-lifetime", type=int, help="seconds an access token issued from now on lives"
    )

    tk = sub.add_parser("tokens", help="expire or revoke access tokens").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    tk.add_parser("expire", help="every access token expires now")
    a = tk.add_parser("revoke", help="revoke one token, a client's tokens, or all")
    a.add_argument("--token", help="this token only")
    a.add_argument("--client-id", help="every token of this client")

    c = sub.add_parser("client", help="register an OAuth client")
    c.add_argument("client_id", help="the client id")
    c.add_argument("--secret", help="client secret (Web and API Services apps)")
    c.add_argument("--platform", help="NinjaOne application platform (Web, Native, API Services)")
    c.add_argument("--grant", action="append", help="allowed grant type (repeatable)")
    c.add_argument("--redirect", action="append", help="allowed redirect URI (repeatable)")
    c.add_argument(
        "--non-admin", action="store_true", help="not a system administrator (no webhooks)"
    )

    w = sub.add_parser("webhook", help="webhook admin flag and PSA conflict")
    w.add_argument("--admin", choices=("yes", "no"), help="may this app configure webhooks")
    w.add_argument("--psa-conflict", choices=("yes", "no"), help="another PSA owns the webhook")
    w.add_argument("--client-id", help="only for this client app (default: every app)")

    jb = sub.add_parser(
        "jobs", help="device jobs: list them, set their duration and how they end"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    jb.add_parser("show", help="settings, running and recently finished jobs")
    jb.add_parser("duration", help="seconds device jobs run from now on").add_argument(
        "seconds", type=float, help="duration in seconds"
    )
    a = jb.add_parser("outcome", help="how jobs end (the most specific rule wins)")
    a.add_argument("result", choices=("success", "failure"), help="how the jobs end")
    a.add_argument("--device", type=int, help="only jobs on this device id")
    a.add_argument(
        "--action",
        dest="job_action",
        choices=ACTIONS,
        help="only this kind of job (default: every kind)",
    )
    a.add_argument("--message", help="message of the final activity (e.g. script output)")
    a.add_argument("--times", type=int, help="only the next N matching jobs")
    jb.add_parser("clear", help="forget every outcome rule (jobs succeed again)")

    ch = sub.add_parser("churn", help="apply N random changes (benchmarks, demo)")
    ch.add_argument("count", type=int, nargs="?", default=20, help="how many (default 20)")
    ch.add_argument("--seed", help="seed for repeatable changes")
    sm = sub.add_parser("storm", help="alert storm: N alerts at once")
    sm.add_argument("count", type=int, nargs="?", default=50, help="how many (default 50)")
    sm.add_argument("--severity", default="CRITICAL", help="severity of every alert")
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
