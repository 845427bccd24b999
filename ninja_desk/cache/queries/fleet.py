"""The fleet at a glance (the dashboard): device counts by status, patches and antivirus
verdict, active alerts by severity, and the clients that need attention first."""

from __future__ import annotations

from typing import Any

from ninja_desk.cache.queries.alerts import active_counts_sql
from ninja_desk.cache.queries.fleet_rules import av_in_sql
from ninja_desk.core.antivirus import AvVerdict

STATS_SQL = (
    "SELECT count(*) AS total, "
    "coalesce(sum(d.offline = 0), 0) AS online, coalesce(sum(d.offline = 1), 0) AS offline, "
    "coalesce(sum(d.offline IS NULL), 0) AS unknown, "
    "coalesce(sum(d.pending_os_patches > 0), 0) AS os_pending, "
    "coalesce(sum(d.failed_os_patches > 0), 0) AS os_failed, "
    "coalesce(sum(d.pending_software_patches > 0), 0) AS sw_pending, "
    "coalesce(sum(d.failed_software_patches > 0), 0) AS sw_failed, "
    f"coalesce(sum({av_in_sql({AvVerdict.OFF})}), 0) AS av_off, "
    f"coalesce(sum({av_in_sql({AvVerdict.OUTDATED})}), 0) AS av_outdated, "
    f"coalesce(sum({av_in_sql({AvVerdict.MISSING})}), 0) AS av_missing, "
    "coalesce(sum(d.last_contact IS NULL OR d.last_contact < :stale_before), 0) AS stale "
    "FROM devices d WHERE d.deleted = 0"
)
# Active alerts per severity, upper-cased; NONE for alerts without one.
ALERTS_SQL = active_counts_sql()[0]


def cache_counts(cache: Any) -> dict[str, int]:
    """What `ninja-desk status` reports about the cache's contents."""
    row = cache.rows(
        "SELECT (SELECT count(*) FROM devices WHERE deleted = 0) AS devices,"
        " (SELECT count(*) FROM devices WHERE deleted = 1) AS deleted_devices,"
        " (SELECT count(*) FROM organizations WHERE deleted = 0) AS organizations,"
        " (SELECT count(*) FROM alerts WHERE status = 'TRIGGERED') AS active_alerts"
    )[0]
    return {key: int(value or 0) for key, value in row.items()}


CLIENTS_SQL = (
    "SELECT o.id, o.name, count(*) AS devices, coalesce(sum(d.offline = 1), 0) AS offline, "
    "coalesce(sum(d.active_alerts > 0), 0) AS alerting, "
    "coalesce(sum(d.failed_os_patches + d.failed_software_patches > 0), 0) AS failed, "
    "coalesce(sum(d.offline = 1 OR d.active_alerts > 0 "
    "  OR d.failed_os_patches + d.failed_software_patches > 0), 0) AS attention "
    "FROM devices d JOIN organizations o ON o.id = d.organization_id WHERE d.deleted = 0 "
    "GROUP BY o.id ORDER BY attention DESC, o.name LIMIT :n"
)
