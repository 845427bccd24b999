"""One client (NinjaOne organization) at a glance: devices, alerts, open tickets, patches.

Tickets come from the cache's mirror of the PSA (psa_tickets). A ticket belongs to the client
when it is linked to one of the client's devices, or when the PSA client has the same name
(the cache keeps no organization-to-PSA-client map; the names match when org mapping made the
client). Patch compliance is the patch view's (cache/queries/patches.py), so the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ninja_desk.cache.queries.alerts import active_counts_sql
from ninja_desk.cache.queries.patches import PatchFilter, by_client_sql
from ninja_desk.cache.queries.text import like_pattern
from ninja_desk.core.organizations import Organization

# Alga's own flag, as the ticket list reads it (a tenant's closed status may be named anything).
CLOSED_TICKET_SQL = "coalesce(t.is_closed, 0) = 1"

DEVICE_COUNTS_SQL = (
    "SELECT count(*) AS devices, coalesce(sum(offline = 0), 0) AS online,"
    " coalesce(sum(offline = 1), 0) AS offline, coalesce(sum(offline IS NULL), 0) AS unknown,"
    " coalesce(sum(needs_reboot = 1), 0) AS needs_reboot"
    " FROM devices WHERE deleted = 0 AND organization_id = :org"
)


def open_tickets_sql(org_id: int) -> tuple[str, dict[str, Any]]:
    """The client's open PSA tickets (no ORDER BY): id, number, title, status, priority,
    client_name, updated_at, created_at, devices (linked devices of this client)."""
    return (
        "SELECT t.id, t.number, t.title, t.status, t.priority, t.client_name, t.updated_at,"
        " t.created_at, (SELECT count(*) FROM psa_ticket_devices l JOIN devices d"
        "  ON d.id = l.device_id WHERE l.ticket_id = t.id AND d.organization_id = :org) AS devices"
        " FROM psa_tickets t"
        f" WHERE NOT {CLOSED_TICKET_SQL} AND ("
        "  t.id IN (SELECT l.ticket_id FROM psa_ticket_devices l JOIN devices d"
        "   ON d.id = l.device_id WHERE d.organization_id = :org)"
        "  OR lower(t.client_name) = (SELECT lower(name) FROM organizations WHERE id = :org))",
        {"org": int(org_id)},
    )


@dataclass
class ClientSummary:
    org_id: int
    name: str
    devices: int = 0
    online: int = 0
    offline: int = 0
    unknown: int = 0
    needs_reboot: int = 0
    alerts: dict[str, int] = field(default_factory=dict)  # severity -> active alerts
    open_tickets: int = 0
    patchable: int = 0  # devices patch compliance is measured over
    compliant: int = 0
    pending_devices: int = 0
    failed_devices: int = 0
    compliance: float | None = None  # percent, None without patchable devices

    @property
    def active_alerts(self) -> int:
        return sum(self.alerts.values())


def client_summary(cache: Any, org_id: int) -> ClientSummary | None:
    """Everything the client page shows in its header cards; None for an unknown client.
    Several aggregate queries: call it off the UI thread."""
    org = cache.rows("SELECT id, name FROM organizations WHERE id = :org", org=int(org_id))
    if not org:
        return None
    summary = ClientSummary(int(org[0]["id"]), str(org[0]["name"]))
    counts = cache.rows(DEVICE_COUNTS_SQL, org=int(org_id))[0]
    summary.devices = int(counts["devices"])
    summary.online = int(counts["online"])
    summary.offline = int(counts["offline"])
    summary.unknown = int(counts["unknown"])
    summary.needs_reboot = int(counts["needs_reboot"])
    sql, params = active_counts_sql(org_id)
    summary.alerts = {r["severity"]: int(r["n"]) for r in cache.rows(sql, **params)}
    sql, params = open_tickets_sql(org_id)
    summary.open_tickets = int(cache.scalar(f"SELECT count(*) FROM ({sql})", **params) or 0)
    sql, params = by_client_sql(PatchFilter(org_id=int(org_id)))
    patch = cache.rows(sql, **params)
    if patch:
        row = patch[0]
        summary.patchable = int(row["devices"])
        summary.compliant = max(0, int(row["devices"]) - int(row["affected"]))
        summary.pending_devices = int(row["pending_devices"])
        summary.failed_devices = int(row["failed_devices"])
        summary.compliance = None if row["compliance"] is None else float(row["compliance"])
    return summary


def client_devices_sql(org_id: int) -> tuple[str, dict[str, Any]]:
    """The client's devices for its page (no ORDER BY)."""
    return (
        "SELECT d.id, d.name, d.node_class, d.os_name, d.offline, d.last_contact,"
        " d.active_alerts, d.max_alert_severity,"
        " (d.pending_os_patches + d.pending_software_patches) AS pending,"
        " (d.failed_os_patches + d.failed_software_patches) AS failed"
        " FROM devices d WHERE d.deleted = 0 AND d.organization_id = :org",
        {"org": int(org_id)},
    )


# Every filter bar's "Client" choices.
CLIENT_CHOICES_SQL = (
    "SELECT id, name FROM organizations WHERE deleted = 0 ORDER BY name COLLATE NOCASE"
)
# NinjaOne organizations for mapping them to PSA clients, and their device counts.
ORGANIZATIONS_SQL = "SELECT id, name, description FROM organizations WHERE deleted = 0"


def organizations(cache: Any) -> list[Organization]:
    """The organizations NinjaOne has now (not deleted), as core Organizations."""
    return [
        Organization(id=r["id"], name=r["name"], description=r["description"])
        for r in cache.rows(ORGANIZATIONS_SQL)
    ]


DEVICES_PER_ORG_SQL = (
    "SELECT organization_id, COUNT(*) AS n FROM devices WHERE deleted = 0 GROUP BY organization_id"
)
ORGANIZATIONS_WITH_COUNTS_SQL = (
    "SELECT o.id, o.name, (SELECT COUNT(*) FROM devices d WHERE d.organization_id = o.id"
    " AND d.deleted = 0) AS n FROM organizations o WHERE o.deleted = 0"
    " ORDER BY o.name COLLATE NOCASE"
)
# The PSA's clients as the cache mirrors them (psa_clients), for choosing one.
PSA_CLIENT_CHOICES_SQL = "SELECT id, name FROM psa_clients ORDER BY name COLLATE NOCASE"
CLIENT_LIST_SQL = (
    "SELECT o.id, o.name, count(d.id) AS devices, coalesce(sum(d.offline = 1), 0) AS offline,"
    " coalesce(sum(d.active_alerts), 0) AS alerts"
    " FROM organizations o LEFT JOIN devices d ON d.organization_id = o.id AND d.deleted = 0"
    " WHERE o.deleted = 0"
)


def client_list_sql(text: str = "") -> tuple[str, dict[str, Any]]:
    """Clients with device, offline and alert counts (no ORDER BY)."""
    if text.strip():
        return (
            f"{CLIENT_LIST_SQL} AND o.name LIKE :q ESCAPE '\\' GROUP BY o.id",
            {"q": like_pattern(text.strip())},
        )
    return f"{CLIENT_LIST_SQL} GROUP BY o.id", {}
