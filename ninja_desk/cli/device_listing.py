"""`ninja-desk devices`: the cached fleet, for people and for scripts (`--json`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ninja_desk.cache.queries.devices import DeviceFilter, listing_query
from ninja_desk.cli.common import CliError, demo_profile_hint, open_cache

# Without a filter a script sees every device the cache knows, deleted ones included.
_EVERYTHING = DeviceFilter(show_deleted=True)
_WORDS: dict[str, dict[str, Any]] = {
    "online": {"status": "online"},
    "offline": {"status": "offline"},
    "deleted": {"only_deleted": True},
    "active": {"show_deleted": False},
}


def parse_filters(exprs: list[str]) -> DeviceFilter:
    """`--filter` expressions (ANDed; a field given twice keeps the last) as the device list's
    own filter, so the command and the desktop table select devices the same way."""
    f = _EVERYTHING
    for expr in (e.strip() for e in exprs):
        if expr in _WORDS:
            f = f.with_(**_WORDS[expr])
        elif expr.startswith("name~"):
            f = f.with_(name_contains=expr.split("~", 1)[1])
        elif "=" in expr:
            field, value = (s.strip() for s in expr.split("=", 1))
            if field == "class":
                f = f.with_(node_class=value)
            elif field in ("org", "id"):
                if not value.isdigit():
                    raise CliError(f"The filter '{expr}' needs a number after '{field}='.")
                number = int(value)
                f = f.with_(org_id=number) if field == "org" else f.with_(ids=(number,))
            else:
                raise CliError(f"Unknown filter field '{field}'; use org, class, id or name~.")
        else:
            raise CliError(f"Cannot read the filter '{expr}'.")
    return f


def cmd_devices(args: argparse.Namespace) -> int:
    sql, params = listing_query(parse_filters(args.filter))
    cache = open_cache(args)
    try:
        rows = cache.rows(sql, **params)
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
