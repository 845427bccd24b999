"""`ninja-desk devices`: the cached fleet, for people and for scripts (`--json`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ninja_desk.cli.common import CliError, demo_profile_hint, open_cache

# The JSON contract scripts rely on: NinjaOne's own field names plus `deleted`.
_SELECT = (
    "SELECT d.id, d.organization_id AS organizationId, d.system_name AS systemName, "
    "d.display_name AS displayName, d.node_class AS nodeClass, d.offline, "
    "d.last_contact AS lastContact, d.deleted, d.name, o.name AS organizationName, "
    "d.os_name AS osName, d.pending_os_patches AS pendingOsPatches, "
    "d.failed_os_patches AS failedOsPatches, d.active_alerts AS activeAlerts "
    "FROM devices d LEFT JOIN organizations o ON o.id = d.organization_id"
)


def parse_filters(exprs: list[str]) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for n, expr in enumerate(exprs):
        expr = expr.strip()
        if expr == "online":
            clauses.append("d.offline = 0")
        elif expr == "offline":
            clauses.append("d.offline = 1")
        elif expr == "deleted":
            clauses.append("d.deleted = 1")
        elif expr == "active":
            clauses.append("d.deleted = 0")
        elif "~" in expr and expr.split("~", 1)[0] == "name":
            clauses.append(f"d.name LIKE :p{n}")
            params[f"p{n}"] = f"%{expr.split('~', 1)[1]}%"
        elif "=" in expr:
            field, value = (s.strip() for s in expr.split("=", 1))
            column = {"org": "d.organization_id", "class": "d.node_class", "id": "d.id"}.get(field)
            if column is None:
                raise CliError(f"Unknown filter field '{field}'; use org, class, id or name~.")
            clauses.append(f"{column} = :p{n}")
            params[f"p{n}"] = int(value) if field in ("org", "id") and value.isdigit() else value
        else:
            raise CliError(f"Cannot read the filter '{expr}'.")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, params


def cmd_devices(args: argparse.Namespace) -> int:
    where, params = parse_filters(args.filter)
    cache = open_cache(args)
    try:
        rows = cache.rows(_SELECT + where + " ORDER BY d.id", **params)
    finally:
        cache.close()
    for row in rows:
        row["offline"] = None if row["offline"] is None else bool(row["offline"])
        row["deleted"] = bool(row["deleted"])
    hint = demo_profile_hint(args) if not rows and not args.filter else None
    if hint:
        print(hint, file=sys.stderr)
    if args.json:
        print(json.dumps(rows))
        return 0
    for row in rows:
        state = "deleted" if row["deleted"] else ("offline" if row["offline"] else "online")
        print(
            f"{row['id']:>7}  {row['name'][:32]:<32}  {(row['organizationName'] or '')[:24]:<24}"
            f"  {row['nodeClass']:<20}  {state}"
        )
    print(f"{len(rows)} devices")
    return 0
