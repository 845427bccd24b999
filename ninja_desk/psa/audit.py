"""Audit log of configuration changes: who, when, what changed.

Mappings, rules, the NinjaOne connection, webhook registration and remote-connect launches are
recorded. On PostgreSQL the actor column is stamped by the database from the login.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.schema import audit_log

if TYPE_CHECKING:
    from ninja_desk.psa.tenancy import TenantSession


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
) -> None:
    session.conn.execute(
        audit_log.insert().values(
            tenant=session.tenant,
            audit_id=uuid.uuid4(),
            occurred_at=utcnow(),
            actor_user_id=session.user_id,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            changes=_jsonable(changes or {}),
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
    t = audit_log
    query = sa.select(
        t.c.audit_id,
        t.c.occurred_at,
        t.c.actor_user_id,
        t.c.action,
        t.c.entity_type,
        t.c.entity_id,
        t.c.changes,
    ).where(t.c.tenant == session.tenant)
    if since is not None:
        query = query.where(t.c.occurred_at >= since)
    if entity_type is not None:
        query = query.where(t.c.entity_type == entity_type)
    rows = session.conn.execute(query.order_by(t.c.occurred_at.desc()).limit(limit))
    return [AuditEntry(*row) for row in rows]


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """{field: {"old": a, "new": b}} for the fields that differ."""
    return {
        key: {"old": old.get(key), "new": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID | datetime):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value
