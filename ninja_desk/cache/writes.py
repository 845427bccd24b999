"""Bulk write statements for the cache. Each function takes an open Connection in a transaction.

Plain SQL through `exec_driver_sql` with tuples: for hundreds of thousands of software rows this
is several times faster than building ORM objects or dict parameters.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, event, text

from ninja_desk.cache.bulk_insert import insert_rows
from ninja_desk.cache.queries.fleet_rules import severity_rank_sql
from ninja_desk.cache.schema import (
    DEVICE_FIELD_COLUMNS,
    DEVICE_SEARCH_DDL,
    antivirus,
    device_software,
    os_patches,
    software_patches,
)
from ninja_desk.core.activities import Activity, Alert
from ninja_desk.core.inventory import FAILED_PATCH_STATUSES, PENDING_PATCH_STATUSES
from ninja_desk.core.organizations import Location, Organization

_DEVICE_COLS = ", ".join(DEVICE_FIELD_COLUMNS)
_DEVICE_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in DEVICE_FIELD_COLUMNS if c != "id")
_UPSERT_DEVICE_HEAD = (
    f"INSERT INTO devices ({_DEVICE_COLS}, deleted, deleted_at, seen_run, synced_at)"
)
# Every column from the incoming row; a device that comes back is no longer a tombstone.
_UPSERT_DEVICE_TAIL = (
    f" ON CONFLICT(id) DO UPDATE SET {_DEVICE_UPDATES}, deleted = 0, deleted_at = NULL, "
    "seen_run = excluded.seen_run, synced_at = excluded.synced_at"
)

# Positional inserts in the tables' column order (device_rows builds the tuples to match);
# "software" is written through insert_software.
CHILD_TABLES = tuple(table.name for table in (os_patches, software_patches, antivirus))


def _in_list(ids: Sequence[int]) -> str:
    # Ids are ints we produced ourselves; inline them to avoid SQLite's parameter limit.
    return ",".join(str(int(i)) for i in ids) or "NULL"


def upsert_devices(conn: Connection, rows: Sequence[tuple[Any, ...]], run_id: int) -> None:
    if not rows:
        return
    now = time.time()
    insert_rows(
        conn,
        _UPSERT_DEVICE_HEAD,
        [(*row, 0, None, run_id, now) for row in rows],
        _UPSERT_DEVICE_TAIL,
    )


def insert_children(conn: Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
    """Store inventory rows (`device_rows`' tuples); returns how many were stored."""
    if table == "software":
        return insert_software(conn, rows)
    if table not in CHILD_TABLES:
        raise ValueError(f"not an inventory table: {table}")
    return insert_rows(conn, f"INSERT INTO {table}", rows)


SoftwareTitle = tuple[Any, ...]  # name, publisher, version, location, size, product_code


class _TitleIds:
    """software_titles as a dict, kept with a writer connection so a sync page does not look
    its titles up in SQLite. Valid while `top`, the largest id it knows, is the table's: another
    connection's commit, or a full sync clearing the catalog, changes that and the dict is read
    again; a rollback on this connection drops it (`forget_titles_on_rollback`)."""

    def __init__(self, conn: Connection) -> None:
        self.ids: dict[SoftwareTitle, int] = {
            tuple(key): title_id
            for title_id, *key in conn.exec_driver_sql(
                "SELECT id, name, publisher, version, location, size, product_code"
                " FROM software_titles"
            )
        }
        self.top = _top_title_id(conn)


def _top_title_id(conn: Connection) -> int:
    return int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM software_titles").one()[0])


def _title_ids(conn: Connection) -> _TitleIds:
    known: _TitleIds | None = conn.info.get(_TitleIds)
    if known is None or known.top != _top_title_id(conn):
        known = conn.info[_TitleIds] = _TitleIds(conn)
    return known


def forget_titles_on_rollback(engine: Engine) -> None:
    """A rolled-back transaction takes its new titles with it: its connection's dict goes."""

    def forget(conn: Connection) -> None:
        conn.info.pop(_TitleIds, None)

    event.listen(engine, "rollback", forget)


def insert_software(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Store software rows in `device_rows.software_row` order (device_id, name, publisher,
    version, install_date, location, size, product_code): new titles join the catalog, each
    row becomes (device, title, date). Returns the number of device rows stored."""
    if not rows:
        return 0
    catalog = _title_ids(conn)
    ids = catalog.ids
    lookup = ids.get
    new_titles: list[tuple[Any, ...]] = []
    stored: list[tuple[int, int, Any]] = []
    append = stored.append
    for device_id, name, publisher, version, install_date, location, size, code in rows:
        key = (name, publisher, version, location, size, code)
        title_id = lookup(key)
        if title_id is None:
            title_id = ids[key] = catalog.top = catalog.top + 1
            new_titles.append((title_id, *key))
        append((device_id, title_id, install_date))
    try:
        insert_rows(conn, "INSERT INTO software_titles", new_titles)
        # OR IGNORE: the same title twice on one device (every detail equal) is one install.
        return insert_rows(conn, "INSERT OR IGNORE INTO device_software", stored)
    except BaseException:
        conn.info.pop(_TitleIds, None)  # it may name titles that were not stored
        raise


def clear_children(conn: Connection, device_ids: Sequence[int] | None = None) -> None:
    """Remove inventory rows for some devices (incremental) or all of them (full sync). A
    title no device has any more stays in the catalog until the next full sync clears it."""
    tables = ("device_software", *CHILD_TABLES)
    for table in tables:
        if device_ids is None:
            conn.exec_driver_sql(f"DELETE FROM {table}")
        else:
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE device_id IN ({_in_list(device_ids)})")
    if device_ids is None:
        conn.exec_driver_sql("DELETE FROM software_titles")


# Indexes a full sync builds once at the end instead of keeping up row by row. Report rows
# arrive in device order, so the device-keyed tables only ever append; the title index on
# device_software would take two million inserts at random places.
_BUILT_AFTER_BULK_LOAD = tuple(
    i for i in device_software.indexes if i.name == "ix_device_software_title"
)
# The device search index likewise: its triggers tokenise each new device one by one (80% of
# the device insert time into a fresh cache); one FTS5 'rebuild' at the end is 6x cheaper.
_SEARCH_TRIGGERS = tuple(
    m.group(1)
    for ddl in DEVICE_SEARCH_DDL
    if (m := re.search(r"CREATE TRIGGER IF NOT EXISTS (\w+)", ddl))
)


def begin_bulk_load(conn: Connection) -> None:
    """Start of a full sync (inside its transaction): empty the inventory tables and set the
    indexes aside that `end_bulk_load` rebuilds. A rolled-back sync brings all back untouched."""
    clear_children(conn)
    for index in _BUILT_AFTER_BULK_LOAD:
        index.drop(conn, checkfirst=True)
    for trigger in _SEARCH_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")


def end_bulk_load(conn: Connection) -> None:
    # A small page cache while the index sorts (what does not fit spills to a temporary file,
    # database.py): with the cache's usual 64 MB the sort of two million keys added to the
    # sync's peak RSS what it saved in time.
    (cache_size,) = conn.exec_driver_sql("PRAGMA cache_size").one()
    conn.exec_driver_sql("PRAGMA cache_size=-16384")
    try:
        for index in _BUILT_AFTER_BULK_LOAD:
            index.create(conn, checkfirst=True)
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")
    conn.exec_driver_sql("INSERT INTO devices_fts(devices_fts) VALUES ('rebuild')")
    for ddl in DEVICE_SEARCH_DDL:
        conn.exec_driver_sql(ddl)


def replace_organizations(
    conn: Connection, orgs: Iterable[Organization], *, full: bool = True
) -> None:
    rows = [(o.id, o.name, o.description, o.node_approval_mode) for o in orgs]
    if full:
        conn.exec_driver_sql("UPDATE organizations SET deleted = 1")
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, description, node_approval_mode, deleted) "
            "VALUES (?, ?, ?, ?, 0) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "description = excluded.description, "
            "node_approval_mode = excluded.node_approval_mode, deleted = 0",
            rows,
        )


def replace_locations(conn: Connection, locs: Iterable[Location], *, full: bool = True) -> None:
    rows = [(loc.id, loc.organization_id, loc.name, loc.address, loc.description) for loc in locs]
    if full:
        conn.exec_driver_sql("UPDATE locations SET deleted = 1")
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO locations (id, organization_id, name, address, description, deleted) "
            "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO UPDATE SET "
            "organization_id = excluded.organization_id, name = excluded.name, "
            "address = excluded.address, description = excluded.description, deleted = 0",
            rows,
        )


def tombstone_devices(conn: Connection, device_ids: Sequence[int]) -> int:
    if not device_ids:
        return 0
    result = conn.exec_driver_sql(
        f"UPDATE devices SET deleted = 1, deleted_at = ? "
        f"WHERE id IN ({_in_list(device_ids)}) AND deleted = 0",
        (time.time(),),
    )
    return result.rowcount or 0


def tombstone_unseen(conn: Connection, run_id: int) -> int:
    """After a full sync: every device this run did not see is gone from NinjaOne."""
    result = conn.exec_driver_sql(
        "UPDATE devices SET deleted = 1, deleted_at = ? "
        "WHERE deleted = 0 AND (seen_run IS NULL OR seen_run != ?)",
        (time.time(), run_id),
    )
    return result.rowcount or 0


def _status_list(statuses: frozenset[str]) -> str:
    return ",".join(f"'{s}'" for s in sorted(statuses))


def refresh_derived(conn: Connection, device_ids: Sequence[int] | None = None) -> None:
    """Recompute the per-device compliance columns from the inventory tables."""
    scope = "" if device_ids is None else f" WHERE id IN ({_in_list(device_ids)})"
    pending, failed = _status_list(PENDING_PATCH_STATUSES), _status_list(FAILED_PATCH_STATUSES)
    conn.exec_driver_sql(
        "UPDATE devices SET "
        "pending_os_patches = (SELECT count(*) FROM os_patches p WHERE p.device_id = devices.id "
        f"  AND p.status IN ({pending})), "
        "failed_os_patches = (SELECT count(*) FROM os_patches p WHERE p.device_id = devices.id "
        f"  AND p.status IN ({failed})), "
        "pending_software_patches = (SELECT count(*) FROM software_patches p "
        f"  WHERE p.device_id = devices.id AND p.status IN ({pending})), "
        "failed_software_patches = (SELECT count(*) FROM software_patches p "
        f"  WHERE p.device_id = devices.id AND p.status IN ({failed})), "
        "software_count = (SELECT count(*) FROM device_software s WHERE s.device_id = devices.id), "
        "av_product = (SELECT product_name FROM antivirus a WHERE a.device_id = devices.id "
        "  ORDER BY timestamp DESC LIMIT 1), "
        "av_state = (SELECT product_state FROM antivirus a WHERE a.device_id = devices.id "
        "  ORDER BY timestamp DESC LIMIT 1), "
        "av_definition_status = (SELECT definition_status FROM antivirus a "
        "  WHERE a.device_id = devices.id ORDER BY timestamp DESC LIMIT 1)" + scope
    )


def refresh_alert_counts(conn: Connection) -> None:
    """Per-device active alert count and worst severity, in two set-based statements."""
    conn.exec_driver_sql(
        "UPDATE devices SET active_alerts = 0, max_alert_severity = 0 "
        "WHERE active_alerts != 0 OR max_alert_severity != 0"
    )
    conn.exec_driver_sql(
        "UPDATE devices SET active_alerts = a.n, max_alert_severity = a.worst FROM ("
        f"  SELECT device_id, count(*) AS n, max({severity_rank_sql('severity')}) AS worst"
        "  FROM alerts WHERE status = 'TRIGGERED' AND device_id IS NOT NULL GROUP BY device_id"
        ") AS a WHERE devices.id = a.device_id"
    )


def replace_active_alerts(conn: Connection, alerts: Sequence[Alert]) -> None:
    """`/v2/alerts` lists what is active now; anything else that was active has reset."""
    now = time.time()
    uids = [a.uid for a in alerts]
    conn.execute(
        text(
            "UPDATE alerts SET status = 'RESET', resolved_at = :now WHERE status = 'TRIGGERED'"
            + (
                " AND uid NOT IN (" + ",".join(f":u{i}" for i in range(len(uids))) + ")"
                if uids
                else ""
            )
        ),
        {"now": now, **{f"u{i}": u for i, u in enumerate(uids)}},
    )
    upsert_alerts(conn, alerts)


def upsert_alerts(conn: Connection, alerts: Sequence[Alert]) -> None:
    if not alerts:
        return
    conn.exec_driver_sql(
        "INSERT INTO alerts (uid, device_id, message, severity, priority, source_type, "
        "condition_name, create_time, update_time, status, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'TRIGGERED', ?) ON CONFLICT(uid) DO UPDATE SET "
        "device_id = excluded.device_id, message = excluded.message, "
        "severity = coalesce(excluded.severity, alerts.severity), "
        "priority = coalesce(excluded.priority, alerts.priority), "
        "source_type = excluded.source_type, condition_name = excluded.condition_name, "
        "update_time = excluded.update_time, status = 'TRIGGERED', resolved_at = NULL",
        [
            (a.uid, a.device_id, a.message, a.severity, a.priority, a.source_type,
             a.condition_name, a.create_time, a.update_time, json.dumps(a.data))
            for a in alerts
        ],
    )  # fmt: skip


def apply_condition_activity(conn: Connection, activity: Activity) -> None:
    """A CONDITION activity (webhook or REST) updates the alert of its series."""
    uid = activity.series_uid
    if not uid:
        return
    if activity.status_code == "TRIGGERED":
        conn.exec_driver_sql(
            "INSERT INTO alerts (uid, device_id, message, severity, priority, source_type, "
            "condition_name, create_time, update_time, status, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'TRIGGERED', ?) ON CONFLICT(uid) DO UPDATE SET "
            "status = 'TRIGGERED', resolved_at = NULL, update_time = excluded.update_time, "
            "message = excluded.message, "
            "severity = coalesce(excluded.severity, alerts.severity)",
            (uid, activity.device_id, activity.message, activity.severity, activity.priority,
             activity.type, activity.source_name, activity.activity_time, activity.activity_time,
             json.dumps(activity.data)),
        )  # fmt: skip
    elif activity.status_code == "RESET":
        conn.exec_driver_sql(
            "UPDATE alerts SET status = 'RESET', resolved_at = ? WHERE uid = ?",
            (activity.activity_time or time.time(), uid),
        )
    elif activity.status_code == "ACKNOWLEDGED":
        conn.exec_driver_sql(
            "UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, ?) WHERE uid = ?",
            (activity.activity_time or time.time(), uid),
        )


def record_activities(conn: Connection, items: Sequence[Activity], keep: int = 20000) -> None:
    if not items:
        return
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO activities VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (a.id, a.activity_time, a.activity_type, a.status_code, a.device_id, a.series_uid,
             a.severity, a.message)
            for a in items
        ],
    )  # fmt: skip
    conn.exec_driver_sql(
        "DELETE FROM activities WHERE id < (SELECT min(id) FROM "
        "(SELECT id FROM activities ORDER BY id DESC LIMIT ?))",
        (keep,),
    )


def set_meta(conn: Connection, key: str, value: object) -> None:
    conn.exec_driver_sql(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, None if value is None else str(value)),
    )
