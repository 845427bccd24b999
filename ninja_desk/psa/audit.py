"""NinjaDesk's configuration changes in Alga's `audit_logs`: who, when, what changed.

Mappings, rules, windows, the NinjaOne connection, webhook registration and remote-connect
launches are recorded here (`operation` = NinjaDesk's action name, `table_name` = the kind of
thing changed, `record_id` = its id, `changed_data` = a `{field: {old, new}}` diff). Ticket
history does not come here: Alga keeps it in `ticket_audit_logs` (see tickets.py).

On an Alga database `audit_logs` has a trigger that needs `app.current_tenant` set in the
transaction; every tenant session sets it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.schema import audit_logs

if TYPE_CHECKING:
    from ninja_desk.psa.tenancy import TenantSession

SOURCE = "ninjadesk"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    audit_id: uuid.UUID
    occurred_at: datetime
    actor_user_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str | None
    changes: dict[str, Any]


def record(
    session: TenantSession,
    action: str,
    entity_type: str,
    entity_id: object | None,
    changes: dict[str, Any] | None = None,
    *,
    user_id: uuid.UUID | None = None,
) -> None:
    """One audit_logs row; `user_id` overrides the session's user (the service user)."""
    actor = user_id or session.user_id
    session.conn.execute(
        audit_logs.insert().values(
            tenant=session.tenant,
            audit_id=uuid.uuid4(),
            user_id=None if actor is None else str(actor),
            operation=action,
            table_name=entity_type,
            record_id="" if entity_id is None else str(entity_id),
            changed_data=jsonable(changes or {}),
            details={"source": SOURCE},
            timestamp=utcnow(),
        )
    )


def read_audit_log(
    session: TenantSession,
    *,
    limit: int = 200,
    since: datetime | None = None,
    entity_type: str | None = None,
) -> list[AuditEntry]:
    """Newest first."""
    t = audit_logs
    query = sa.select(
        t.c.audit_id,
        t.c.timestamp,
        t.c.user_id,
        t.c.operation,
        t.c.table_name,
        t.c.record_id,
        t.c.changed_data,
    ).where(t.c.tenant == session.tenant)
    if since is not None:
        query = query.where(t.c.timestamp >= since)
    if entity_type is not None:
        query = query.where(t.c.table_name == entity_type)
    rows = session.conn.execute(query.order_by(t.c.timestamp.desc()).limit(limit))
    return [
        AuditEntry(
            r.audit_id,
            r.timestamp,
            _uuid_or_none(r.user_id),
            r.operation,
            r.table_name,
            r.record_id or None,
            dict(r.changed_data or {}),
        )
        for r in rows
    ]


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """{field: {"old": a, "new": b}} for the fields that differ."""
    return {
        key: {"old": jsonable(old.get(key)), "new": jsonable(new.get(key))}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def jsonable(value: Any) -> Any:
    """`value` with UUIDs and datetimes as strings, at any depth: what a JSON diff column holds."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
