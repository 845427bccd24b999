"""`ninja-desk psa ...`: set NinjaDesk up on a PSA database without a desktop.

    ninja-desk psa check   --psa-url URL [--json]
    ninja-desk psa migrate --psa-url URL [--dry-run] [--json]
    ninja-desk psa setup   --psa-url URL --tenant T (--ninjaone-url URL | --region R)
                           --client-id ID [--board NAME] [--service-user EMAIL]
                           [--alga-redis-url URL] [--take-over] [--json]
    ninja-desk psa map     --psa-url URL --tenant T --auto [--create-clients] [--json]
    ninja-desk psa priorities --psa-url URL --tenant T [--set SEVERITY=PRIORITY ...] [--json]

Exit codes: 0 done (check: usable), 1 check found the database unusable, 2 a problem to fix
(one sentence on stderr). The main CLI calls register_psa_commands(subparsers).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import sqlalchemy as sa

from ninja_desk.cli.common import CliError
from ninja_desk.psa.database import default_psa_url
from ninja_desk.psa.errors import PsaError
from ninja_desk.psa.migrator import migrate

__all__ = ["migrate", "register_psa_commands"]

_URL_HELP = "SQLAlchemy URL, e.g. postgresql://owner@host/alga (default: the embedded SQLite file)"
_TENANT_HELP = "the tenant's uuid or its name (tenants.client_name)"


def _url(args: argparse.Namespace) -> str:
    return args.psa_url or default_psa_url(getattr(args, "data_dir", None))


def _where(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def _unreachable(url: str, exc: sa.exc.SQLAlchemyError) -> CliError:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return CliError(
        f"Could not use the PSA database at {_where(url)}: {reason}. Check the URL, that the "
        "server runs and that the account may connect."
    )


def _emit(args: argparse.Namespace, data: dict[str, Any], lines: list[str]) -> None:
    if args.json:
        print(json.dumps(data, default=str, indent=2))
    else:
        print("\n".join(lines))


# -- check ----------------------------------------------------------------------------------------


def _cmd_check(args: argparse.Namespace) -> int:
    from ninja_desk.psa.check import check_database, human_lines

    url = _url(args)
    try:
        report = check_database(url)
    except sa.exc.SQLAlchemyError as exc:
        raise _unreachable(url, exc) from exc
    _emit(args, report.as_dict(), human_lines(report))
    return 0 if report.usable else 1


# -- migrate --------------------------------------------------------------------------------------


def _cmd_migrate(args: argparse.Namespace) -> int:
    from ninja_desk.psa.migrator import head_revision

    url = _url(args)
    try:
        report = migrate(url, dry_run=args.dry_run)
    except sa.exc.SQLAlchemyError as exc:
        raise _unreachable(url, exc) from exc
    except PsaError as exc:
        raise CliError(str(exc)) from None
    data = {
        "database": _where(url),
        "kind": str(report.kind),
        "dry_run": report.dry_run,
        "revision_before": report.revision_before,
        "revision_after": report.revision_after,
        "created_tables": report.created_tables,
        "moved_rows": report.moved_rows,
    }
    verb = "would create" if report.dry_run else "created"
    lines = [f"Database kind: {report.kind}"]
    if report.created_tables:
        lines.append(
            f"{verb.capitalize()} {len(report.created_tables)} table(s): "
            + ", ".join(report.created_tables)
        )
    else:
        lines.append("Nothing to create: every table NinjaDesk needs is there.")
    for table, count in sorted(report.moved_rows.items()):
        lines.append(f"Moved {count} row(s) into {table}")
    after = report.revision_after or head_revision()
    lines.append(
        f"NinjaDesk schema {'would be' if report.dry_run else 'is'} at {after}"
        + (" (dry run: nothing was changed)." if report.dry_run else ".")
    )
    _emit(args, data, lines)
    return 0


# -- setup ----------------------------------------------------------------------------------------


# `psa setup` options that go to setup() unchanged, under the same names.
_SETUP_OPTIONS = (
    "tenant",
    "client_id",
    "region",
    "board",
    "service_user",
    "alga_redis_url",
    "take_over",
)


def _cmd_setup(args: argparse.Namespace) -> int:
    from ninja_desk.ninjaone.regions import UnknownRegion, base_url_for
    from ninja_desk.psa.setup import setup

    if not args.ninjaone_url and not args.region:
        raise CliError("Which NinjaOne? Pass --region (app, us2, eu, ca, oc) or --ninjaone-url.")
    try:
        instance_url = base_url_for(args.region, args.ninjaone_url)
    except UnknownRegion as exc:
        raise CliError(str(exc)) from None
    url = _url(args)
    try:
        result = setup(
            url,
            instance_url=instance_url,
            **{option: getattr(args, option) for option in _SETUP_OPTIONS},
        )
    except sa.exc.SQLAlchemyError as exc:
        raise _unreachable(url, exc) from exc
    except PsaError as exc:
        raise CliError(str(exc)) from None
    lines = [
        f"Tenant: {result.client_name} ({result.tenant})",
        f"NinjaOne integration: {result.integration_id} "
        f"({'created' if result.created_integration else 'existing row updated'}), "
        f"{result.instance_url}",
        f"Mode: {result.mode}. {result.mode_reason}",
        f"Board: {result.board['name'] if result.board else 'the default board'}",
        f"Service user: {result.service_user['email'] if result.service_user else 'not set'}",
        f"Alga Redis: {'configured' if result.alga_redis_url_configured else 'not configured'}",
    ]
    lines += [f"- {note}" for note in result.notes]
    _emit(args, result.as_dict(), lines)
    return 0


# -- map ------------------------------------------------------------------------------------------


def _cached_organizations(args: argparse.Namespace) -> list[Any]:
    """Organizations of the last sync in this machine's local cache (none if never synced)."""
    from ninja_desk.cache.queries.clients import organizations
    from ninja_desk.paths import cache_file

    path = cache_file(getattr(args, "data_dir", None))
    if not path.exists():
        return []
    from ninja_desk.cache.store import LocalCache

    cache = LocalCache(path)
    try:
        return organizations(cache)
    finally:
        cache.close()


def _cmd_map(args: argparse.Namespace) -> int:
    from ninja_desk.psa.setup import auto_map, require_migrated, resolve_tenant
    from ninja_desk.psa.tenancy import PsaDatabase

    if not args.auto:
        raise CliError(
            "Only automatic mapping runs headless: pass --auto (map by name), or map by hand "
            "in the app under Settings → Organizations."
        )
    url = _url(args)
    psa = PsaDatabase(url)
    try:
        require_migrated(psa)
        tenant, _name = resolve_tenant(psa, args.tenant)
        result = auto_map(
            psa, tenant, _cached_organizations(args), create_clients=args.create_clients
        )
    except sa.exc.SQLAlchemyError as exc:
        raise _unreachable(url, exc) from exc
    except PsaError as exc:
        raise CliError(str(exc)) from None
    finally:
        psa.dispose()
    lines = [
        f"Organizations: {result.organizations} (from {result.source}); "
        f"{result.already_mapped} were mapped already."
    ]
    lines += [f"Mapped {m['organization']} -> {m['client']}" for m in result.mapped]
    lines += [f"Created client {c['organization']}" for c in result.created_clients]
    lines += [f"Unmapped: {u['organization']}: {u['reason']}" for u in result.unmapped]
    if not result.organizations:
        lines.append(
            "No organizations known yet: run `ninja-desk sync` (or `ninja-desk agent --once`) "
            "on this machine first."
        )
    _emit(args, result.as_dict(), lines)
    return 0


# -- priorities -----------------------------------------------------------------------------------


def _cmd_priorities(args: argparse.Namespace) -> int:
    from ninja_desk.psa import integration_settings as isettings
    from ninja_desk.psa.integrations import require_integration
    from ninja_desk.psa.permissions import CONFIGURE_INTEGRATION, require
    from ninja_desk.psa.setup import require_migrated, resolve_tenant
    from ninja_desk.psa.tenancy import PsaDatabase

    choices: dict[str, str] = {}
    for item in args.set or []:
        severity, sep, priority = item.partition("=")
        if not sep or not priority.strip():
            raise CliError(f"'{item}' is not SEVERITY=PRIORITY (e.g. critical='P1 - Critical').")
        choices[severity] = priority
    url = _url(args)
    psa = PsaDatabase(url)
    try:
        require_migrated(psa)
        tenant, name = resolve_tenant(psa, args.tenant)
        with psa.tenant_session(tenant) as s:
            iid = require_integration(s).integration_id
            if choices:
                require(s, CONFIGURE_INTEGRATION)
                settings = isettings.set_severity_priorities(s, iid, choices)
            else:
                settings = isettings.load_settings(s, iid)
            mapping = isettings.severity_map(s, settings)
    except sa.exc.SQLAlchemyError as exc:
        raise _unreachable(url, exc) from exc
    except (PsaError, ValueError) as exc:
        raise CliError(str(exc)) from None
    finally:
        psa.dispose()
    data = {
        "tenant": str(tenant),
        "client_name": name,
        "severity_priorities": {
            sev: {"priority_id": str(pid), "priority": pname, "chosen": chosen}
            for sev, (pid, pname, chosen) in mapping.items()
        },
    }
    lines = [f"Alert severity -> ticket priority for {name}:"]
    lines += [
        f"  {sev:<9} -> {pname}{'' if chosen else '  (default)'}"
        for sev, (_pid, pname, chosen) in mapping.items()
    ]
    _emit(args, data, lines)
    return 0


# -- registration ---------------------------------------------------------------------------------


def register_psa_commands(subparsers: argparse._SubParsersAction) -> None:
    """Adds `psa check|migrate|setup|priorities|map`. Each leaf sets `handler(args) -> int`."""
    psa = subparsers.add_parser("psa", help="PSA (Alga) database: check, migrate, set up, map")
    psa.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = psa.add_subparsers(dest="psa_command", required=True, metavar="TASK")

    def leaf(name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        p.add_argument("--psa-url", default=None, help=_URL_HELP)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(handler=handler, func=handler)
        return p

    leaf(
        "check",
        "what the database is and whether NinjaDesk can run on it (read-only; exit 1 if not)",
        _cmd_check,
    )
    mig = leaf(
        "migrate",
        "create what NinjaDesk needs (never alters Alga's tables; run with an owner account)",
        _cmd_migrate,
    )
    mig.add_argument("--dry-run", action="store_true", help="only say what would be created")

    st = leaf("setup", "link NinjaOne for a tenant and choose how NinjaDesk runs there", _cmd_setup)
    st.add_argument("--tenant", required=True, help=_TENANT_HELP)
    st.add_argument("--ninjaone-url", help="NinjaOne base URL (overrides --region)")
    st.add_argument("--region", help="NinjaOne region: app, us2, eu, ca, oc")
    st.add_argument("--client-id", required=True, help="NinjaOne API client id")
    st.add_argument("--board", help="Alga board for alert tickets (default: the default board)")
    st.add_argument(
        "--service-user",
        metavar="EMAIL",
        help="active internal Alga user that NinjaDesk's automatic changes are recorded as",
    )
    st.add_argument(
        "--alga-redis-url",
        metavar="URL",
        help="Alga's Redis (redis://host:6379, no password) for Alga's ticket events",
    )
    st.add_argument(
        "--take-over",
        action="store_true",
        help="switch Alga's own NinjaOne device sync and alert polling off; NinjaDesk does both",
    )

    pr = leaf(
        "priorities",
        "show or change which ticket priority each alert severity gets (per tenant)",
        _cmd_priorities,
    )
    pr.add_argument("--tenant", required=True, help=_TENANT_HELP)
    pr.add_argument(
        "--set",
        action="append",
        metavar="SEVERITY=PRIORITY",
        help="e.g. critical='P1 - Critical' (a priority name of the tenant, or its id); repeat",
    )

    mp = leaf("map", "map NinjaOne organizations to Alga clients", _cmd_map)
    mp.add_argument("--tenant", required=True, help=_TENANT_HELP)
    mp.add_argument(
        "--auto", action="store_true", help="map each org to the one client with its name"
    )
    mp.add_argument(
        "--create-clients",
        action="store_true",
        help="with --auto: create a client for each org no client name matches",
    )
