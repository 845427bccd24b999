"""The `df` device filter (reference §5), parsed into a predicate over device records.

Grammar accepted (clauses joined with ` AND `, upper case, as every known client sends it):

    <field> eq|=|neq|!= <value>          id, org/organization, loc/location, class, status,
    <field> in (<v>,<v>…) | notin (…)     role, created
    created before|after YYYY-MM-DD       (also eq)
    online | offline                      bare keywords

`tagId` and `group` clauses parse but match nothing: the simulator has no tags or groups.
Anything else raises `DeviceFilterError`, which the API turns into a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from ninja_desk.simulator.fleet import DeviceRec

Predicate = Callable[[DeviceRec], bool]


class DeviceFilterError(ValueError):
    pass


_FIELDS: dict[str, Callable[[DeviceRec], object]] = {
    "id": lambda d: d.id,
    "org": lambda d: d.org_id,
    "organization": lambda d: d.org_id,
    "loc": lambda d: d.loc_id,
    "location": lambda d: d.loc_id,
    "class": lambda d: d.node_class,
    "status": lambda d: d.approval_status,
    "role": lambda d: d.role_id,
}
_INT_FIELDS = {"id", "org", "organization", "loc", "location", "role"}
_CLAUSE = re.compile(
    r"^(?P<field>[A-Za-z]+)\s*(?P<op>=|!=|\b(?:eq|neq|in|notin|before|after)\b)\s*(?P<value>.+)$"
)


def _value(field: str, raw: str) -> object:
    raw = raw.strip()
    if not raw:
        raise DeviceFilterError(f"missing value for {field!r}")
    if field in _INT_FIELDS:
        try:
            return int(raw)
        except ValueError as exc:
            raise DeviceFilterError(f"{field} needs an integer, got {raw!r}") from exc
    return raw.upper()


def _date(raw: str) -> float:
    try:
        return datetime.strptime(raw.strip(), "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError as exc:
        raise DeviceFilterError(f"created needs YYYY-MM-DD, got {raw.strip()!r}") from exc


def _clause(text: str) -> Predicate:
    word = text.strip()
    lowered = word.lower()
    if lowered == "online":
        return lambda d: not d.offline
    if lowered == "offline":
        return lambda d: d.offline
    if re.fullmatch(r"group\s+\d+", lowered):
        return lambda d: False
    match = _CLAUSE.match(word)
    if not match:
        raise DeviceFilterError(f"cannot parse filter clause {word!r}")
    field, op, raw = match["field"], match["op"].lower(), match["value"]
    if field == "tagId":
        return lambda d: op == "notin"
    if field == "created":
        if op not in ("before", "after", "eq", "="):
            raise DeviceFilterError(f"created does not support {op!r}")
        day = _date(raw)
        if op == "before":
            return lambda d: d.created < day
        if op == "after":
            return lambda d: d.created >= day + 86400
        return lambda d: day <= d.created < day + 86400
    getter = _FIELDS.get(field)
    if getter is None:
        raise DeviceFilterError(f"unknown filter field {field!r}")
    if op in ("in", "notin"):
        inner = raw.strip()
        if not (inner.startswith("(") and inner.endswith(")")):
            raise DeviceFilterError(f"{op} needs a parenthesised list, got {inner!r}")
        values = {_value(field, v) for v in inner[1:-1].split(",") if v.strip()}
        if not values:
            raise DeviceFilterError(f"{op} needs at least one value")
        if op == "in":
            return lambda d: getter(d) in values
        return lambda d: getter(d) not in values
    if op in ("before", "after"):
        raise DeviceFilterError(f"{field} does not support {op!r}")
    value = _value(field, raw)
    if op in ("eq", "="):
        return lambda d: getter(d) == value
    return lambda d: getter(d) != value


def parse_device_filter(df: str | None) -> Predicate | None:
    """Predicate for `df`, or None when there is no filter (match everything)."""
    if df is None or not df.strip():
        return None
    parts = re.split(r"\s+AND\s+", df.strip())
    if any(not p.strip() for p in parts):
        raise DeviceFilterError("empty clause around AND")
    predicates = [_clause(p) for p in parts]
    if len(predicates) == 1:
        return predicates[0]
    return lambda d: all(p(d) for p in predicates)
