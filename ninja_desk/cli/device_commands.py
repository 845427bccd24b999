"""`ninja-desk device ...`: act on devices through NinjaOne, recorded in Alga.

    ninja-desk device reboot 12 [13 ...] [--forced] [--reason TEXT] [--ticket TIC000042]
    ninja-desk device script 12 (--script-id N | --action-uid UID) [--param TEXT] [--run-as R]
    ninja-desk device patch 12 --kind os|software (--scan | --apply)
    ninja-desk device service 12 --service NAME (--start | --stop | --restart | --pause)
    ninja-desk device maintenance 12 (--until ISO | --off) [--reason TEXT]
    ninja-desk device jobs 12              ninja-desk device scripts 12
    ninja-desk device fields 12 [--set name=value ...]

Every action asks first, naming the devices and what happens (`--yes` skips the question),
then follows each device's job to its end and prints one result per device. Exit codes: 0
every device succeeded, 1 at least one did not (or the question was declined), 2 nothing was
sent (no right, no scope, unknown ticket: one sentence on stderr).

Who acts: the user of the Alga API key (NINJA_DESK_ALGA_API_KEY or the keyring), with that
user's Alga rights, in the PSA database of the settings or `--psa-url`/`--tenant` (the
embedded SQLite PSA without a key: its local administrator), exactly as the app does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from ninja_desk.cache.queries.devices import names as device_names_in_cache
from ninja_desk.cli.common import (
    CliError,
    add_connection_options,
    add_one_of,
    open_cache,
    open_engine,
    resolve_base_url,
)
from ninja_desk.core.device_jobs import SERVICE_ACTIONS
from ninja_desk.sync.device_action_service import (
    MAINTENANCE_OFF,
    MAINTENANCE_ON,
    REFUSED,
    ActionRequest,
    BulkOutcome,
    Device,
    DeviceActionRefused,
    DeviceActionService,
    DeviceResult,
)

_TICKET_HELP = "the ticket this is for (TIC000042): its outcome becomes an internal note there"


def register_device_commands(sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--profile", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback"
    )
    common.add_argument("--json", action="store_true", help="print the result as JSON")
    common.add_argument("--psa-url", help="PSA database URL (default: the settings)")
    common.add_argument("--tenant", help="the PSA tenant's uuid or name (default: the settings)")
    add_connection_options(common)

    acting = argparse.ArgumentParser(add_help=False)
    acting.add_argument(
        "device_ids", nargs="+", type=int, metavar="DEVICE_ID", help="NinjaOne device id(s)"
    )
    acting.add_argument("--ticket", metavar="NUMBER", help=_TICKET_HELP)
    acting.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    acting.add_argument("--reason", help="why (kept with the action in NinjaOne and Alga)")
    acting.add_argument(
        "--poll-interval", type=float, default=2.0, metavar="S", help="seconds between polls"
    )
    acting.add_argument(
        "--timeout", type=float, default=900.0, metavar="S", help="give up following after S s"
    )

    device = sub.add_parser("device", help="act on devices: reboot, scripts, patches, services")
    verbs = device.add_subparsers(dest="verb", required=True, metavar="ACTION")

    p = verbs.add_parser("reboot", parents=[common, acting], help="reboot devices")
    p.add_argument(
        "--forced", action="store_true", help="close programs without saving; users not asked"
    )
    p.set_defaults(handler=cmd_action, build=_reboot)

    p = verbs.add_parser("script", parents=[common, acting], help="run a script or an action")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--script-id", type=int, help="a script of the NinjaOne library")
    which.add_argument("--action-uid", help="a NinjaOne built-in action")
    p.add_argument("--param", help="the script's parameters, as one string")
    p.add_argument("--run-as", help="run as: SYSTEM, LOGGED_ON_USER or a credential")
    p.set_defaults(handler=cmd_action, build=_script)

    p = verbs.add_parser("patch", parents=[common, acting], help="scan for or apply patches")
    p.add_argument(
        "--kind", choices=("os", "software"), required=True, help="OS or third-party patches"
    )
    add_one_of(
        p,
        "op",
        {
            "scan": "look for missing patches",
            "apply": "install the pending patches now (the device may need a reboot)",
        },
        required=True,
    )
    p.set_defaults(handler=cmd_action, build=_patch)

    p = verbs.add_parser("service", parents=[common, acting], help="control a Windows service")
    p.add_argument("--service", required=True, metavar="NAME", help="the service's name")
    add_one_of(
        p,
        "service_action",
        {name: f"{name.lower()} the service" for name in SERVICE_ACTIONS},
        required=True,
    )
    p.set_defaults(handler=cmd_action, build=_service)

    p = verbs.add_parser("maintenance", parents=[common, acting], help="maintenance mode")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--until", metavar="ISO", help="end, e.g. 2026-12-03T18:00 (local time)")
    mode.add_argument("--off", action="store_true", help="end maintenance mode now")
    p.set_defaults(handler=cmd_action, build=_maintenance)

    p = verbs.add_parser("jobs", parents=[common], help="the jobs running on a device")
    p.add_argument("device_id", type=int, help="NinjaOne device id")
    p.set_defaults(handler=cmd_jobs)

    p = verbs.add_parser("scripts", parents=[common], help="scripts and actions a device can run")
    p.add_argument("device_id", type=int, help="NinjaOne device id")
    p.set_defaults(handler=cmd_scripts)

    p = verbs.add_parser("fields", parents=[common], help="a device's custom fields")
    p.add_argument("device_id", type=int, help="NinjaOne device id")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a field (repeatable; NAME= clears it)",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=cmd_fields)


# -- what to do ---------------------------------------------------------------------------


def _reboot(args: argparse.Namespace) -> ActionRequest:
    return ActionRequest("reboot", forced=args.forced, reason=args.reason)


def _script(args: argparse.Namespace) -> ActionRequest:
    kind = "script" if args.script_id is not None else "action"
    return ActionRequest(
        kind,
        script_id=args.script_id,
        action_uid=args.action_uid,
        parameters=args.param,
        run_as=args.run_as,
        reason=args.reason,
    )


def _patch(args: argparse.Namespace) -> ActionRequest:
    return ActionRequest(f"{args.kind}_{args.op}", reason=args.reason)


def _service(args: argparse.Namespace) -> ActionRequest:
    return ActionRequest(
        "service", service_id=args.service, service_action=args.service_action, reason=args.reason
    )


def _maintenance(args: argparse.Namespace) -> ActionRequest:
    if args.off:
        return ActionRequest(MAINTENANCE_OFF, reason=args.reason)
    try:
        until = datetime.fromisoformat(args.until)
    except ValueError:
        raise CliError(
            f"'{args.until}' is not a date and time; write it like 2026-12-03T18:00."
        ) from None
    if until.tzinfo is None:
        until = until.astimezone()  # local time, as people type it
    if until.astimezone(UTC) <= datetime.now(UTC):
        raise CliError("The maintenance end is in the past; pick a time from now on.")
    return ActionRequest(MAINTENANCE_ON, until=until.timestamp(), reason=args.reason)


# -- plumbing -----------------------------------------------------------------------------


def _open_psa(args: argparse.Namespace, base_url: str) -> Any:
    """The PSA as this user (the app's own rules: sync/desktop_runtime.open_desktop_psa)."""
    from ninja_desk.settings import Settings
    from ninja_desk.sync.desktop_runtime import local_user_name, open_desktop_psa

    settings = Settings.load(args.data_dir)
    settings.psa_url = args.psa_url or settings.psa_url
    settings.psa_tenant = args.tenant or settings.psa_tenant
    if not settings.psa_url:
        raise CliError(
            "Device actions need the PSA database to check your Alga right "
            "rmm:execute_command and to record them: pass --psa-url (and --tenant), or set up "
            "the PSA database in the app."
        )
    try:
        psa = open_desktop_psa(settings, base_url, user_name=local_user_name())
    except (ValueError, LookupError) as exc:
        raise CliError(str(exc)) from None
    assert psa is not None
    if psa.user_id is None:
        psa.db.dispose()
        raise CliError(
            f"{psa.read_only_reason or 'Read-only.'} Device actions need your Alga identity."
        )
    return psa


def _names(cache: Any, device_ids: list[int]) -> list[Device]:
    names = device_names_in_cache(cache, device_ids)
    seen: set[int] = set()
    devices = []
    for device_id in device_ids:
        if device_id not in seen:
            seen.add(device_id)
            devices.append(Device(device_id, names.get(device_id) or f"device {device_id}"))
    return devices


def _confirm(question: str, args: argparse.Namespace) -> bool:
    if args.yes:
        return True
    print(question, file=sys.stderr)
    print("Go ahead? [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        raise CliError(
            "Nothing was done: there is no terminal to ask on; add --yes to confirm."
        ) from None
    return answer.strip().lower() in ("y", "yes")


def _run(args: argparse.Namespace, work: Any) -> Any:
    """`await work(service, cache)` with the NinjaOne connection and the PSA open."""
    from ninja_desk.settings import Settings

    settings = Settings.load(args.data_dir)
    base_url = resolve_base_url(args, settings)
    cache = open_cache(args)
    try:
        psa = _open_psa(args, base_url) if getattr(args, "needs_psa", True) else None
        try:
            engine = open_engine(args, cache)
            service = DeviceActionService(
                engine.api.device_actions,
                psa,
                scopes=settings.scopes,
                cache=cache,
                poll_interval=getattr(args, "poll_interval", 2.0),
                timeout=getattr(args, "timeout", 900.0),
            )

            async def main() -> Any:
                try:
                    return await work(service, cache)
                finally:
                    await engine.api.client.aclose()

            try:
                return asyncio.run(main())
            except DeviceActionRefused as exc:
                raise CliError(str(exc)) from None
        finally:
            if psa is not None:
                psa.db.dispose()
    finally:
        cache.close()


# -- commands -----------------------------------------------------------------------------


def cmd_action(args: argparse.Namespace) -> int:
    request: ActionRequest = args.build(args)

    async def work(service: DeviceActionService, cache: Any) -> BulkOutcome | None:
        devices = _names(cache, args.device_ids)
        if not service.availability(request)[0]:
            # Refused before asking: say why now (and record the refusal).
            return await service.run(request, devices, ticket=args.ticket)
        question = service.confirmation(request, devices)
        if request.drastic:
            question = "Warning: " + question
        if len(devices) > 1:
            question += "\n" + "\n".join(f"  {d.id:>8}  {d.name}" for d in devices)
        if not await asyncio.to_thread(_confirm, question, args):
            return None
        width = max(len(d.name) for d in devices)

        def show(row: DeviceResult) -> None:
            text = f"  {row.name:<{width}}  {row.status}"
            if row.ended and row.message:
                text += f": {row.message}"
            print(text, file=sys.stderr, flush=True)

        return await service.run(request, devices, ticket=args.ticket, on_update=show)

    outcome = _run(args, work)
    if outcome is None:
        print("Cancelled: nothing was sent.", file=sys.stderr)
        return 1
    if all(r.result == REFUSED for r in outcome.results):
        # NinjaOne refused them all (a 403: no Control scope): one sentence, nothing happened.
        raise CliError(outcome.results[0].message)
    _print_outcome(args, outcome)
    return 0 if outcome.ok else 1


def _print_outcome(args: argparse.Namespace, outcome: BulkOutcome) -> None:
    if args.json:
        print(
            json.dumps(
                {
                    "action": outcome.request.kind,
                    "what": outcome.request.label,
                    "ticket": outcome.ticket,
                    "ok": outcome.ok,
                    "seconds": round(outcome.seconds, 2),
                    "results": [r.as_dict() for r in outcome.results],
                    "record_errors": outcome.record_errors,
                }
            )
        )
        return
    width = max(len(r.name) for r in outcome.results)
    for row in outcome.results:
        result = (row.result or "?").replace("_", " ").lower()
        print(f"{row.name:<{width}}  {result:<10}  {row.message}".rstrip())
    print(outcome.summary())
    if outcome.ticket:
        print(f"The outcome is on {outcome.ticket} as an internal note.")
    for error in outcome.record_errors:
        print(f"ninja-desk: not recorded in the PSA: {error}", file=sys.stderr)


def cmd_jobs(args: argparse.Namespace) -> int:
    args.needs_psa = False

    async def work(service: DeviceActionService, cache: Any) -> list[Any]:
        return await service.device_jobs(args.device_id)

    jobs = _run(args, work)
    if args.json:
        rows = [
            {"uid": j.uid, "status": j.status, "type": j.job_type, "name": j.name,
             "message": j.message, "created": j.created}
            for j in jobs
        ]  # fmt: skip
        print(json.dumps(rows))
    elif not jobs:
        print(f"No jobs are running on device {args.device_id}.")
    else:
        for j in jobs:
            print(
                f"{j.uid}  {j.status or '?':<12}  {j.name or j.job_type or ''}  {j.message or ''}"
            )
    return 0


def cmd_scripts(args: argparse.Namespace) -> int:
    args.needs_psa = False

    async def work(service: DeviceActionService, cache: Any) -> dict[str, Any]:
        return await service.scripting_options(args.device_id)

    options = _run(args, work)
    if args.json:
        print(json.dumps(options))
        return 0
    for script in options.get("scripts", []):
        ref = script.get("id") if script.get("type") == "SCRIPT" else script.get("uid")
        flag = "--script-id" if script.get("type") == "SCRIPT" else "--action-uid"
        print(f"{flag} {ref}  {script.get('name')}  ({script.get('language') or 'built-in'})")
    roles = (options.get("credentials") or {}).get("roles") or []
    if roles:
        print("--run-as: " + ", ".join(str(r) for r in roles))
    return 0


def _parse_value(text: str, current: Any) -> Any:
    if text == "":
        return None
    if isinstance(current, bool):
        return text.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(current, int | float):
        try:
            return int(text) if isinstance(current, int) else float(text)
        except ValueError:
            raise CliError(f"'{text}' is not a number.") from None
    return text


def cmd_fields(args: argparse.Namespace) -> int:
    args.needs_psa = bool(args.set)
    changes: list[tuple[str, str]] = []
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CliError(f"'{item}' is not NAME=VALUE.")
        changes.append((name.strip(), value))

    async def work(service: DeviceActionService, cache: Any) -> dict[str, Any] | None:
        fields = await service.custom_fields(args.device_id)
        if not changes:
            return fields
        ok, reason = service.can_edit_fields()
        if not ok:
            raise DeviceActionRefused(reason)
        (device,) = _names(cache, [args.device_id])
        values = {name: _parse_value(text, fields.get(name)) for name, text in changes}
        listed = ", ".join(f"{k} = {v!r}" for k, v in values.items())
        if not await asyncio.to_thread(
            _confirm, f"Change custom fields of {device.name}: {listed}.", args
        ):
            return None
        return await service.set_custom_fields(device, values, fields)

    fields = _run(args, work)
    if fields is None:
        print("Cancelled: nothing was changed.", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(fields, default=str))
    elif not fields:
        print(f"Device {args.device_id} has no custom fields.")
    else:
        width = max(len(k) for k in fields)
        for name, value in sorted(fields.items()):
            print(f"{name:<{width}}  {'' if value is None else value}")
    return 0
