"""The device list's SQL: filters, free-text search and ORDER BY, built from plain values.

The desktop's device table and `ninja-desk devices` both filter through `DeviceFilter` and
`where_clause`. Every filter maps to a WHERE clause on the denormalised `devices` columns;
sorting and paging happen in SQLite (design.md §5).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from ninja_desk.cache.queries.fleet_rules import av_in_sql, managed_sql
from ninja_desk.cache.queries.text import id_list, like_pattern
from ninja_desk.core.antivirus import ISSUES, AvVerdict

# The antivirus filters name verdicts of `core.antivirus`; "issue" is its ISSUES set.
AV_FILTERS: dict[str, frozenset[AvVerdict]] = {
    "issue": ISSUES,
    "off": frozenset({AvVerdict.OFF}),
    "outdated": frozenset({AvVerdict.OUTDATED}),
    "missing": frozenset({AvVerdict.MISSING}),
}

PATCH_FILTERS: dict[str, str] = {
    "compliant": "(d.pending_os_patches + d.failed_os_patches + d.pending_software_patches"
    " + d.failed_software_patches) = 0",
    "pending": "(d.pending_os_patches + d.pending_software_patches) > 0",
    "failed": "(d.failed_os_patches + d.failed_software_patches) > 0",
    "os_pending": "d.pending_os_patches > 0",
    "os_failed": "d.failed_os_patches > 0",
    "sw_pending": "d.pending_software_patches > 0",
    "sw_failed": "d.failed_software_patches > 0",
}
STATUS_FILTERS: dict[str, str] = {
    "online": "d.offline = 0",
    "offline": "d.offline = 1",
    "unknown": "d.offline IS NULL",
}


@dataclass(frozen=True, slots=True)
class DeviceColumn:
    key: str
    title: str
    order_sql: str  # ORDER BY terms, "|"-separated
    numeric: bool = False
    nullable: bool = True


# What the table shows: what a technician acts on first, then context. `order_sql` is the
# ORDER BY expression for that column.
COLUMNS: tuple[DeviceColumn, ...] = (
    DeviceColumn("name", "Name", "d.name", nullable=False),
    DeviceColumn("status", "Status", "coalesce(d.offline, 2)", nullable=False),
    DeviceColumn(
        "active_alerts",
        "Alerts",
        "d.max_alert_severity|d.active_alerts",
        numeric=True,
        nullable=False,
    ),
    DeviceColumn("org_name", "Client", "org_name"),
    DeviceColumn("last_contact", "Last seen", "d.last_contact"),
    DeviceColumn("pending", "Pending", "pending", numeric=True, nullable=False),
    DeviceColumn("failed", "Failed", "failed", numeric=True, nullable=False),
    DeviceColumn("av", "Antivirus", "d.av_state"),
    DeviceColumn("node_class", "Class", "d.node_class"),
    DeviceColumn("os_name", "OS", "d.os_name"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)

SELECT_SQL = (
    "SELECT d.id, d.name, d.organization_id, o.name AS org_name, d.node_class, d.os_name, "
    "d.offline, d.last_contact, d.pending_os_patches, d.failed_os_patches, "
    "d.pending_software_patches, d.failed_software_patches, "
    "(d.pending_os_patches + d.pending_software_patches) AS pending, "
    "(d.failed_os_patches + d.failed_software_patches) AS failed, "
    "d.av_product, d.av_state, d.av_definition_status, d.active_alerts, d.max_alert_severity, "
    "d.deleted FROM devices d LEFT JOIN organizations o ON o.id = d.organization_id"
)
# Free text matches the name, system name, last user, serial number and IP addresses through the
# cache's trigram index (ninja_desk/cache/schema.py), and the client through the small
# organizations table. Trigrams need three characters; shorter text scans the name and user,
# which is quick because almost every row matches and the ORDER BY walk stops after one page.
_SHORT_SEARCH_COLUMNS = ("d.name", "d.last_logged_in_user")
TRIGRAM = 3


def fts_phrase(text: str) -> str:
    """The text as one FTS5 phrase: a substring match, whatever punctuation it holds."""
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class DeviceFilter:
    status: str | None = None  # online | offline | unknown
    rmm_managed: bool | None = None
    org_id: int | None = None
    node_class: str | None = None
    has_alerts: bool | None = None
    min_severity: int | None = None  # 4 = CRITICAL ... 1 = MINOR
    patch: str | None = None  # a PATCH_FILTERS key
    av: str | None = None  # an AV_FILTERS key
    not_seen_days: int | None = None
    show_deleted: bool = False
    only_deleted: bool = False
    name_contains: str = ""  # the name alone (scripts), unlike `search`
    ids: tuple[int, ...] | None = None
    search: str = ""

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> DeviceFilter:
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in (values or {}).items() if k in known}
        if "ids" in clean and clean["ids"] is not None:
            clean["ids"] = tuple(int(i) for i in clean["ids"])
        return cls(**clean)

    def with_(self, **changes: Any) -> DeviceFilter:
        return replace(self, **changes)

    def is_default(self) -> bool:
        return self == DeviceFilter()


def where_clause(f: DeviceFilter, now: float | None = None) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    params: dict[str, Any] = {}
    if f.only_deleted:
        parts.append("d.deleted = 1")
    elif not f.show_deleted:
        parts.append("d.deleted = 0")
    if f.status in STATUS_FILTERS:
        parts.append(STATUS_FILTERS[f.status])
    if f.rmm_managed is True:
        parts.append(managed_sql())
    elif f.rmm_managed is False:
        parts.append(f"NOT {managed_sql()}")
    if f.org_id is not None:
        parts.append("d.organization_id = :org_id")
        params["org_id"] = int(f.org_id)
    if f.node_class:
        parts.append("d.node_class = :node_class")
        params["node_class"] = f.node_class
    if f.has_alerts is True:
        parts.append("d.active_alerts > 0")
    elif f.has_alerts is False:
        parts.append("d.active_alerts = 0")
    if f.min_severity:
        parts.append("d.max_alert_severity >= :min_severity")
        params["min_severity"] = int(f.min_severity)
    if f.patch in PATCH_FILTERS:
        parts.append(PATCH_FILTERS[f.patch])
    if f.av in AV_FILTERS:
        parts.append(av_in_sql(AV_FILTERS[f.av]))
    if f.not_seen_days:
        parts.append("(d.last_contact IS NULL OR d.last_contact < :seen_before)")
        params["seen_before"] = (now if now is not None else time.time()) - f.not_seen_days * 86400
    if f.name_contains:
        parts.append("d.name LIKE :name ESCAPE '\\'")
        params["name"] = like_pattern(f.name_contains)
    if f.ids is not None:
        parts.append(f"d.id IN {id_list(f.ids)}")
    text = f.search.strip()
    if text:
        params["q"] = like_pattern(text)
        by_client = (
            "SELECT id FROM devices WHERE organization_id IN "
            "(SELECT id FROM organizations WHERE name LIKE :q ESCAPE '\\')"
        )
        if len(text) >= TRIGRAM:
            # One id set (index lookups only), not an OR across columns, which would make
            # SQLite scan every device row.
            params["fts"] = fts_phrase(text)
            parts.append(
                "d.id IN (SELECT rowid FROM devices_fts WHERE devices_fts MATCH :fts "
                f"UNION {by_client})"
            )
        else:
            likes = [f"{c} LIKE :q ESCAPE '\\'" for c in _SHORT_SEARCH_COLUMNS]
            parts.append("(" + " OR ".join([*likes, f"d.id IN ({by_client})"]) + ")")
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def order_clause(column: int, descending: bool) -> str:
    col = COLUMNS[column] if 0 <= column < len(COLUMNS) else COLUMNS[0]
    direction = "DESC" if descending else "ASC"
    terms = col.order_sql.split("|")
    # NULLs last whichever way, then a stable tiebreak so pages never overlap or skip.
    nulls_last = f"({terms[0]}) IS NULL, " if col.nullable else ""
    return (
        f" ORDER BY {nulls_last}"
        + ", ".join(f"{t} {direction}" for t in terms)
        + f", d.id {direction}"
    )


def base_query(f: DeviceFilter, now: float | None = None) -> tuple[str, dict[str, Any]]:
    where, params = where_clause(f, now)
    return SELECT_SQL + where, params


def count_query(f: DeviceFilter, now: float | None = None) -> tuple[str, dict[str, Any]]:
    where, params = where_clause(f, now)
    return (
        "SELECT count(*) FROM devices d LEFT JOIN organizations o ON o.id = d.organization_id"
        + where,
        params,
    )


def page_query(
    f: DeviceFilter,
    column: int,
    descending: bool,
    limit: int,
    offset: int,
    now: float | None = None,
) -> tuple[str, dict[str, Any]]:
    sql, params = base_query(f, now)
    return (
        sql + order_clause(column, descending) + " LIMIT :_limit OFFSET :_offset",
        {**params, "_limit": int(limit), "_offset": int(offset)},
    )


# What the incremental sync compares NinjaOne's answers with: each live device's online state,
# the organizations the cache knows.
LIVE_STATUS_SQL = "SELECT id, offline FROM devices WHERE deleted = 0"
KNOWN_ORGANIZATIONS_SQL = "SELECT id FROM organizations"
# The demo's agents: devices with an operating system, the first 60.
DEMO_AGENTS_SQL = (
    "SELECT id FROM devices WHERE deleted = 0 AND os_name IS NOT NULL ORDER BY id LIMIT 60"
)

# The filter bar's classes, and whether one device is deleted (to show it when filtered out).
NODE_CLASSES_SQL = "SELECT DISTINCT node_class FROM devices ORDER BY node_class"
IS_DELETED_SQL = "SELECT deleted FROM devices WHERE id = :i"


def names(cache: Any, device_ids: Iterable[int]) -> dict[int, str]:
    """Device id -> name as the cache names it (deleted devices too; unnamed ones left out)."""
    ids = sorted({int(d) for d in device_ids})
    if not ids:
        return {}
    rows = cache.rows(f"SELECT id, name FROM devices WHERE id IN {id_list(ids)}")
    return {int(r["id"]): str(r["name"]) for r in rows if r["name"]}


def alert_facts(cache: Any, device_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """What the alert pipeline reads about devices (client, class, name, OS, IPs, last user,
    location), by device id."""
    ids = sorted({int(d) for d in device_ids})
    if not ids:
        return {}
    rows = cache.rows(
        "SELECT d.id, d.organization_id, d.node_class, d.name, d.os_name, d.ip_addresses,"
        " d.last_logged_in_user, d.last_contact, l.name AS location_name"
        " FROM devices d LEFT JOIN locations l ON l.id = d.location_id"
        f" WHERE d.id IN {id_list(ids)}"
    )
    return {int(r["id"]): r for r in rows}


# The JSON contract scripts rely on (`ninja-desk devices --json`): NinjaOne's own field names
# plus `deleted`.
LISTING_SQL = (
    "SELECT d.id, d.organization_id AS organizationId, d.system_name AS systemName, "
    "d.display_name AS displayName, d.node_class AS nodeClass, d.offline, "
    "d.last_contact AS lastContact, d.deleted, d.name, o.name AS organizationName, "
    "d.os_name AS osName, d.pending_os_patches AS pendingOsPatches, "
    "d.failed_os_patches AS failedOsPatches, d.active_alerts AS activeAlerts "
    "FROM devices d LEFT JOIN organizations o ON o.id = d.organization_id"
)


def listing_query(f: DeviceFilter, now: float | None = None) -> tuple[str, dict[str, Any]]:
    """Every device the filter keeps, in id order, with the script-facing column names."""
    where, params = where_clause(f, now)
    return LISTING_SQL + where + " ORDER BY d.id", params
