"""What this desktop did, kept in the local cache's `local_activity_log`.

Remote sessions launched (sync/remote_connect.py) and device actions with their outcome
(sync/device_action_service.py) are recorded here as well as in the PSA, so the device panel
shows them offline and without a PSA database. The reads are in cache/queries/device_detail.py
(`LAST_DEVICE_ACTION_SQL`, `remote_launches_sql`), which select by the `kind` values below.

The cache is disposable: this log goes with it when the cache is rebuilt; the PSA's history is
the record that lasts. Writes take an open Connection inside the cache's one writer transaction
(run them through `LocalCache.write` / `write_blocking`); none commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection

# `local_activity_log.kind`; cache/queries/device_detail.py reads rows by these words.
DEVICE_ACTION = "device_action"
REMOTE_CONNECT = "remote_connect"


class ActivityEntry(NamedTuple):
    at: float  # epoch seconds
    who: str | None  # the technician's display name
    device_id: int | None
    ticket_id: str | None  # the PSA ticket the work was done for, if any
    detail: Mapping[str, Any]  # kind-specific facts, stored as JSON text


def append(conn: Connection, kind: str, entries: Sequence[ActivityEntry]) -> None:
    """Add `entries` of one `kind` (one statement for all: a bulk action on hundreds of devices
    is one round trip). The log is append-only; `id` keeps the order, newest last."""
    if not entries:
        return
    conn.exec_driver_sql(
        "INSERT INTO local_activity_log (at, kind, who, device_id, ticket_id, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(e.at, kind, e.who, e.device_id, e.ticket_id, json.dumps(e.detail)) for e in entries],
    )
