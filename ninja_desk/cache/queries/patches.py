"""Pending and failed patches across the fleet, by patch (KB) and by client, in SQL.

OS and software patches live in two tables with different column names; `patch_rows_sql`
puts them side by side (family, device, id, title, KB, status, severity) so one filter and
one GROUP BY serve both. Grouping, counting and ordering all happen in SQLite (design.md §5);
the UI pages the grouped rows in.

Statuses are NinjaOne's: MANUAL (waiting for approval in the policy), APPROVED (will be
installed on the next apply), FAILED, REJECTED; the cache also knows PENDING. NinjaOne's public
API has no call to approve one patch: approval is a policy setting, and "apply" installs every
approved patch on a device.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from ninja_desk.cache.queries.fleet_rules import MANAGED_CLASSES_SQL
from ninja_desk.cache.queries.text import id_list, like_pattern
from ninja_desk.core.inventory import FAILED_PATCH_STATUSES, PENDING_PATCH_STATUSES

FAMILIES = ("os", "software")
FAMILY_TEXT = {"os": "OS", "software": "Software"}

# (key, label, statuses); the first is the default.
STATUS_CHOICES: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("open", "Pending or failed", PENDING_PATCH_STATUSES | FAILED_PATCH_STATUSES),
    ("pending", "Pending", PENDING_PATCH_STATUSES),
    ("manual", "Awaiting approval", frozenset({"MANUAL", "PENDING"})),
    ("approved", "Approved, not installed", frozenset({"APPROVED"})),
    ("failed", "Failed", FAILED_PATCH_STATUSES),
    ("rejected", "Rejected", frozenset({"REJECTED"})),
)
STATUSES_BY_KEY = {key: statuses for key, _label, statuses in STATUS_CHOICES}
STATUS_TEXT = {
    "MANUAL": "Awaiting approval",
    "PENDING": "Pending",
    "APPROVED": "Approved",
    "FAILED": "Failed",
    "REJECTED": "Rejected",
}

# OS severities and software impacts on one scale (NinjaOne's enums, §6.3 of the API notes).
SEVERITY_RANK = {"CRITICAL": 4, "IMPORTANT": 3, "MODERATE": 2, "RECOMMENDED": 2, "OPTIONAL": 1}
SEVERITY_CHOICES: tuple[str, ...] = ("CRITICAL", "IMPORTANT", "MODERATE", "RECOMMENDED",
                                     "OPTIONAL")  # fmt: skip
SEVERITY_RANK_SQL = (
    "CASE p.severity "
    + " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in SEVERITY_RANK.items())
    + " ELSE 0 END"
)
RANK_TEXT = {4: "Critical", 3: "Important", 2: "Moderate", 1: "Optional", 0: ""}
MAX_GROUP_KEYS = 500  # a selection of more groups than this acts on the first 500


@dataclass(frozen=True, slots=True)
class PatchFilter:
    status: str = "open"  # a STATUS_CHOICES key
    family: str | None = None  # os | software | None (both)
    severity: str | None = None  # a SEVERITY_CHOICES value
    org_id: int | None = None
    text: str = ""  # title or KB contains

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> PatchFilter:
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in (values or {}).items() if k in known}
        if clean.get("status") not in STATUSES_BY_KEY:
            clean.pop("status", None)
        if clean.get("family") not in FAMILIES:
            clean["family"] = None
        severity = clean.get("severity")
        clean["severity"] = str(severity).upper() if severity else None
        if clean.get("org_id") is not None:
            clean["org_id"] = int(clean["org_id"])
        clean["text"] = str(clean.get("text") or "")
        return cls(**clean)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def patch_rows_sql(f: PatchFilter) -> tuple[str, dict[str, Any]]:
    """Every patch row the filter keeps, with its device and client: columns family,
    device_id, patch_id, title, kb, status, severity, type, timestamp, organization_id,
    device_name, offline, last_contact, org_name. Deleted devices are left out."""
    params: dict[str, Any] = {}
    statuses = sorted(STATUSES_BY_KEY.get(f.status, STATUSES_BY_KEY["open"]))
    marks = []
    for i, status in enumerate(statuses):
        params[f"st{i}"] = status
        marks.append(f":st{i}")
    status_in = ", ".join(marks)
    branches = []
    if f.family in (None, "os"):
        branches.append(
            "SELECT 'os' AS family, device_id, id AS patch_id, name AS title,"
            " nullif(kb_number, '') AS kb, upper(status) AS status,"
            " upper(coalesce(severity, '')) AS severity, type, timestamp FROM os_patches"
            f" WHERE upper(status) IN ({status_in})"
        )
    if f.family in (None, "software"):
        branches.append(
            "SELECT 'software' AS family, device_id, id AS patch_id, title, NULL AS kb,"
            " upper(status) AS status, upper(coalesce(impact, '')) AS severity, type, timestamp"
            " FROM software_patches"
            f" WHERE upper(status) IN ({status_in})"
        )
    where = ["d.deleted = 0"]
    if f.severity:
        where.append("p.severity = :severity")
        params["severity"] = f.severity.upper()
    if f.org_id is not None:
        where.append("d.organization_id = :org_id")
        params["org_id"] = int(f.org_id)
    if f.text.strip():
        where.append("(p.title LIKE :text ESCAPE '\\' OR p.kb LIKE :text ESCAPE '\\')")
        params["text"] = like_pattern(f.text.strip())
    sql = (
        "SELECT p.family, p.device_id, p.patch_id, p.title, p.kb, p.status, p.severity,"
        f" {SEVERITY_RANK_SQL} AS severity_rank, p.type, p.timestamp, d.organization_id,"
        " d.name AS device_name, d.offline, d.last_contact, o.name AS org_name"
        f" FROM ({' UNION ALL '.join(branches)}) p"
        " JOIN devices d ON d.id = p.device_id"
        " LEFT JOIN organizations o ON o.id = d.organization_id"
        " WHERE " + " AND ".join(where)
    )
    return sql, params


def group_key_sql(alias: str = "r") -> str:
    """A patch's group: its family and KB (OS) or title (software, or an OS patch without KB)."""
    return f"{alias}.family || '|' || coalesce({alias}.kb, {alias}.title)"


def by_patch_sql(f: PatchFilter) -> tuple[str, dict[str, Any]]:
    """One row per patch (KB): key, family, kb, title, severity_rank, pending_devices,
    failed_devices, devices, clients. Without ORDER BY (the caller sorts and pages)."""
    rows, params = patch_rows_sql(f)
    sql = (
        f"SELECT {group_key_sql()} AS key, r.family, r.kb, max(r.title) AS title,"
        " max(r.severity_rank) AS severity_rank,"
        " count(DISTINCT CASE WHEN r.status != 'FAILED' THEN r.device_id END) AS pending_devices,"
        " count(DISTINCT CASE WHEN r.status = 'FAILED' THEN r.device_id END) AS failed_devices,"
        " count(DISTINCT r.device_id) AS devices,"
        " count(DISTINCT r.organization_id) AS clients"
        f" FROM ({rows}) r GROUP BY r.family, coalesce(r.kb, r.title)"
    )
    return sql, params


def by_client_sql(f: PatchFilter) -> tuple[str, dict[str, Any]]:
    """One row per client: org_id, org_name, devices (patchable), affected (devices with a
    matching patch), pending_devices, failed_devices, pending_patches, failed_patches and
    compliance (% of patchable devices with no matching patch; NULL without devices)."""
    rows, params = patch_rows_sql(f)
    org_where = "o.deleted = 0"
    if f.org_id is not None:
        org_where += " AND o.id = :org_id"
    sql = (
        "SELECT o.id AS org_id, o.name AS org_name, coalesce(m.devices, 0) AS devices,"
        " coalesce(a.affected, 0) AS affected,"
        " coalesce(a.pending_devices, 0) AS pending_devices,"
        " coalesce(a.failed_devices, 0) AS failed_devices,"
        " coalesce(a.pending_patches, 0) AS pending_patches,"
        " coalesce(a.failed_patches, 0) AS failed_patches,"
        " CASE WHEN coalesce(m.devices, 0) = 0 THEN NULL ELSE"
        "  round(100.0 * max(0, m.devices - coalesce(a.affected, 0)) / m.devices, 1) END"
        "  AS compliance"
        " FROM organizations o"
        " LEFT JOIN (SELECT organization_id, count(*) AS devices FROM devices"
        f"  WHERE deleted = 0 AND node_class IN {MANAGED_CLASSES_SQL} GROUP BY organization_id) m"
        "  ON m.organization_id = o.id"
        " LEFT JOIN (SELECT r.organization_id, count(DISTINCT r.device_id) AS affected,"
        "  count(DISTINCT CASE WHEN r.status != 'FAILED' THEN r.device_id END) AS pending_devices,"
        "  count(DISTINCT CASE WHEN r.status = 'FAILED' THEN r.device_id END) AS failed_devices,"
        "  sum(r.status != 'FAILED') AS pending_patches, sum(r.status = 'FAILED') AS failed_patches"
        f"  FROM ({rows}) r GROUP BY r.organization_id) a ON a.organization_id = o.id"
        f" WHERE {org_where} AND (coalesce(m.devices, 0) > 0 OR a.affected IS NOT NULL)"
    )
    return sql, params


def in_groups_sql(
    f: PatchFilter, *, patch_keys: Sequence[str] = (), org_ids: Sequence[int] = ()
) -> tuple[str, dict[str, Any]]:
    """The patch rows of some groups (patch keys from `by_patch_sql`, or clients)."""
    rows, params = patch_rows_sql(f)
    sql = f"SELECT * FROM ({rows}) r"
    if patch_keys:
        marks = []
        for i, key in enumerate(list(patch_keys)[:MAX_GROUP_KEYS]):
            params[f"g{i}"] = key
            marks.append(f":g{i}")
        sql += f" WHERE {group_key_sql()} IN ({', '.join(marks)})"
    elif org_ids:
        sql += f" WHERE r.organization_id IN {id_list(list(org_ids)[:MAX_GROUP_KEYS])}"
    return sql, params


def keyed_rows_sql(
    f: PatchFilter, *, patch_keys: Sequence[str] = (), org_ids: Sequence[int] = ()
) -> tuple[str, dict[str, Any]]:
    """`in_groups_sql` plus row_key (family|device|patch), one per row, for a selection."""
    sql, params = in_groups_sql(f, patch_keys=patch_keys, org_ids=org_ids)
    return (
        "SELECT r.*, r.family || '|' || r.device_id || '|' || r.patch_id AS row_key"
        f" FROM ({sql}) r",
        params,
    )


@dataclass(frozen=True, slots=True)
class Target:
    device_id: int
    name: str
    offline: bool


def targets(
    cache: Any,
    f: PatchFilter,
    *,
    patch_keys: Sequence[str] = (),
    org_ids: Sequence[int] = (),
    device_ids: Iterable[tuple[str, int]] = (),
) -> dict[str, list[Target]]:
    """The devices an apply/scan acts on, per family (os, software), each device once.

    `device_ids` (family, device id) pairs from a selection of patch rows win over the groups.
    Runs a query: call it off the UI thread."""
    if device_ids:
        pairs = sorted(set(device_ids))
        ids = id_list(d for _fam, d in pairs)
        names = {
            int(r["id"]): r
            for r in cache.rows(f"SELECT id, name, offline FROM devices WHERE id IN {ids}")
        }
        found: dict[str, list[Target]] = {}
        for family, device_id in pairs:
            row = names.get(int(device_id))
            if row is not None:
                found.setdefault(family, []).append(
                    Target(int(device_id), str(row["name"]), row["offline"] == 1)
                )
        return found
    sql, params = in_groups_sql(f, patch_keys=patch_keys, org_ids=org_ids)
    rows = cache.rows(
        f"SELECT r.family, r.device_id, max(r.device_name) AS name, max(r.offline) AS offline"
        f" FROM ({sql}) r GROUP BY r.family, r.device_id ORDER BY r.family, name COLLATE NOCASE",
        **params,
    )
    result: dict[str, list[Target]] = {}
    for row in rows:
        result.setdefault(row["family"], []).append(
            Target(int(row["device_id"]), str(row["name"]), row["offline"] == 1)
        )
    return result


def severity_text(value: str | int | None) -> str:
    if isinstance(value, int):
        return RANK_TEXT.get(value, "")
    return str(value or "").title()
