"""Cached NinjaOne alerts: the alert list's filter and rows, one device's open alerts, and
active alerts counted by severity (dashboard, a client's page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ninja_desk.cache.queries.fleet_rules import severity_rank_sql
from ninja_desk.cache.queries.text import like_pattern

STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("open", "Open (triggered)"),
    ("unacknowledged", "Open, not acknowledged"),
    ("reset", "Reset"),
    ("all", "All"),
)
_STATUS_SQL = {
    "open": "a.status = 'TRIGGERED'",
    "unacknowledged": "a.status = 'TRIGGERED' AND a.acknowledged_at IS NULL",
    "reset": "a.status = 'RESET'",
}
ALERT_EXISTS_SQL = "SELECT 1 FROM alerts WHERE uid = :u"
SEVERITY_RANK_SQL = severity_rank_sql("a.severity")
_SEVERITY_SQL = "upper(coalesce(a.severity, 'NONE'))"


@dataclass
class AlertFilter:
    severities: frozenset[str] = field(default_factory=frozenset)  # empty = all
    status: str = "open"  # one of STATUS_CHOICES
    organization_id: int | None = None
    device_id: int | None = None
    device_text: str = ""
    text: str = ""

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AlertFilter:
        severity = values.get("severity", values.get("severities"))
        if isinstance(severity, str):
            severity = [severity]
        org = values.get("organization_id", values.get("client"))
        return cls(
            severities=frozenset(s.upper() for s in (severity or ())),
            status=str(values.get("status", "open")).lower(),
            organization_id=int(org) if org is not None else None,
            device_id=int(values["device_id"]) if values.get("device_id") is not None else None,
            device_text=str(values.get("device", "") or ""),
            text=str(values.get("text", "") or ""),
        )


ALERT_ROWS_SQL = (
    "SELECT a.uid, a.device_id, a.message, a.severity, a.priority, a.source_type,"
    " a.condition_name, a.create_time, a.update_time, a.status, a.resolved_at,"
    " a.acknowledged_at, a.acknowledged_by, a.ticket_id, a.ticket_number, a.decision,"
    " d.name AS device_name, d.organization_id, o.name AS org_name"
    " FROM alerts a"
    " LEFT JOIN devices d ON d.id = a.device_id"
    " LEFT JOIN organizations o ON o.id = d.organization_id"
)


def alert_rows_sql(f: AlertFilter) -> tuple[str, dict[str, Any]]:
    """The alerts the filter keeps, with device and client (no ORDER BY)."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if f.severities:
        names = sorted(f.severities)
        keys = [f"sev{i}" for i in range(len(names))]
        where.append(f"{_SEVERITY_SQL} IN ({', '.join(':' + k for k in keys)})")
        params.update(zip(keys, names, strict=True))
    if f.status in _STATUS_SQL:
        where.append(_STATUS_SQL[f.status])
    if f.organization_id is not None:
        where.append("d.organization_id = :org")
        params["org"] = f.organization_id
    if f.device_id is not None:
        where.append("a.device_id = :device_id")
        params["device_id"] = f.device_id
    if f.device_text.strip():
        where.append("d.name LIKE :device_text ESCAPE '\\'")
        params["device_text"] = like_pattern(f.device_text.strip())
    if f.text.strip():
        where.append("a.message LIKE :text ESCAPE '\\'")
        params["text"] = like_pattern(f.text.strip())
    return ALERT_ROWS_SQL + (" WHERE " + " AND ".join(where) if where else ""), params


def one_alert_sql(uid: str) -> tuple[str, dict[str, Any]]:
    """One alert with the list's columns, whatever the filters say."""
    return f"{ALERT_ROWS_SQL} WHERE a.uid = :uid", {"uid": uid}


# One device's open alerts (the device panel), ranked by severity.
DEVICE_ALERTS_SQL = (
    "SELECT a.rowid, a.uid, a.severity, a.message, a.condition_name, a.create_time,"
    " a.acknowledged_at, a.acknowledged_by, a.ticket_id, a.ticket_number, a.status,"
    f" {SEVERITY_RANK_SQL} AS sev_rank"
    " FROM alerts a WHERE a.device_id = :device_id AND a.status = 'TRIGGERED'"
)


# New critical alerts nobody acknowledged yet, oldest first (tray notifications).
CRITICAL_ALERTS_SQL = (
    "SELECT a.uid, a.device_id, a.message, a.condition_name, a.create_time,"
    " d.name AS device_name FROM alerts a LEFT JOIN devices d ON d.id = a.device_id"
    " WHERE a.status = 'TRIGGERED' AND a.severity = 'CRITICAL' AND a.acknowledged_at IS NULL"
    " ORDER BY a.create_time"
)
# Alerts raised since :since with what an alert rule looks at (its device's class and client,
# the first activity's type and status code): the rule editor's "last 7 days" preview.
ALERTS_SINCE_SQL = (
    "SELECT a.uid, a.device_id, a.severity, a.source_type, a.condition_name, a.message,"
    " a.create_time, d.node_class, d.organization_id, d.name AS device_name,"
    " (SELECT activity_type FROM activities x WHERE x.series_uid = a.uid"
    "  ORDER BY x.id LIMIT 1) AS activity_type,"
    " (SELECT status_code FROM activities x WHERE x.series_uid = a.uid"
    "  ORDER BY x.id LIMIT 1) AS status_code"
    " FROM alerts a LEFT JOIN devices d ON d.id = a.device_id"
    " WHERE a.create_time >= :since"
)


def active_counts_sql(org_id: int | None = None) -> tuple[str, dict[str, Any]]:
    """Active (TRIGGERED) alerts per upper-cased severity, NONE for none; of one client's
    devices when `org_id` is given."""
    if org_id is None:
        return (
            f"SELECT {_SEVERITY_SQL} AS severity, count(*) AS n FROM alerts a"
            " WHERE a.status = 'TRIGGERED' GROUP BY 1",
            {},
        )
    return (
        f"SELECT {_SEVERITY_SQL} AS severity, count(*) AS n FROM alerts a"
        " JOIN devices d ON d.id = a.device_id"
        " WHERE a.status = 'TRIGGERED' AND d.organization_id = :org GROUP BY 1",
        {"org": int(org_id)},
    )
