"""Device actions (reboot, script, patches, services, maintenance, custom fields) in Alga.

Each action on a device leaves, in the device's asset history, an `rmm_action` row when it is
sent (or refused by NinjaOne) and another when its job ends, each with who, what and the
result; the same goes to `audit_logs` (operation `device_action.sent` / `.not_sent` /
`.finished` / `.refused`). An action started from a ticket ends with one internal note on
that ticket listing each device's outcome.

Ids are derived from the action's id (`action_id`), so recording the same thing twice (a
retry after a lost commit) leaves one row: exactly-once is the primary key's job.
A device without an asset yet (not pushed to Alga) gets the audit row only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa import audit, tickets
from ninja_desk.psa.bulk import dialect_insert
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound, PermissionDenied
from ninja_desk.psa.integration_settings import load_settings, service_user
from ninja_desk.psa.schema import asset_history, assets, audit_logs
from ninja_desk.psa.schema import tenant_external_entity_mappings as teem
from ninja_desk.psa.schema import tickets as ticket_rows
from ninja_desk.psa.tenancy import TenantSession

CHANGE_TYPE = "rmm_action"
SOURCE = "ninjadesk_device_action"
ENTITY = "assets"
_OPERATIONS = {
    "sent": "device_action.sent",
    "NOT_SENT": "device_action.not_sent",
    "REFUSED": "device_action.refused",
}
_OUTCOME = uuid.UUID("6f1d2a52-5d4e-4c1b-9a51-3c0de7ac7105")  # namespace for outcome row ids


@dataclass(frozen=True, slots=True)
class ActionEntry:
    """One action on one device, as the log records it."""

    action_id: uuid.UUID
    device_id: int
    device_name: str
    action: str  # ActionKind value, or "maintenance" / "custom_fields"
    what: str  # the confirmation sentence, or a short description
    by: str  # the person, as people read it
    ticket: str | None = None  # ticket number the action was started from
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """How it went: `result` is sent / not_sent / SUCCESS / FAILURE / TIMED_OUT / ..."""

    result: str
    message: str = ""
    job_uid: str | None = None


@dataclass(frozen=True, slots=True)
class TicketRef:
    ticket_id: uuid.UUID
    ticket_number: str


def find_ticket(s: TenantSession, number_or_id: str) -> TicketRef:
    """A ticket by its number (TIC000042, case-insensitive) or id, in this tenant."""
    t = ticket_rows.c
    text = number_or_id.strip()
    query = sa.select(t.ticket_id, t.ticket_number).where(t.tenant == s.tenant)
    try:
        query = query.where(t.ticket_id == uuid.UUID(text))
    except ValueError:
        query = query.where(sa.func.upper(t.ticket_number) == text.upper())
    row = s.conn.execute(query.limit(1)).first()
    if row is None:
        raise NotFound(
            f"There is no ticket {text} in this Alga tenant; check the ticket number "
            "(for example TIC000042)."
        )
    return TicketRef(row.ticket_id, row.ticket_number)


def assets_for_devices(s: TenantSession, device_ids: Iterable[int]) -> dict[int, uuid.UUID]:
    """Device id -> asset id: Alga's external mapping first, else assets.rmm_device_id."""
    wanted = sorted({str(int(d)) for d in device_ids})
    found: dict[int, uuid.UUID] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = s.conn.execute(
            sa.select(teem.c.external_entity_id, teem.c.alga_entity_id)
            .where(
                teem.c.tenant == s.tenant,
                teem.c.integration_type == "ninjaone",
                teem.c.alga_entity_type == "asset",
                teem.c.external_entity_id.in_(chunk),
            )
            .order_by(teem.c.updated_at)
        )
        for row in rows:  # the newest mapping wins
            found[int(row.external_entity_id)] = uuid.UUID(str(row.alga_entity_id))
        missing = [d for d in chunk if int(d) not in found]
        if missing:
            a = assets.c
            rows = s.conn.execute(
                sa.select(a.rmm_device_id, a.asset_id)
                .where(
                    a.tenant == s.tenant,
                    a.rmm_provider == "ninjaone",
                    a.rmm_device_id.in_(missing),
                )
                .order_by(a.updated_at)
            )
            for row in rows:
                found[int(row.rmm_device_id)] = row.asset_id
    return found


def actor(s: TenantSession, integration_id: uuid.UUID) -> uuid.UUID:
    """Who `asset_history.changed_by` names (NOT NULL): the acting user, else (the headless
    agent acting as the system) the integration's service user."""
    if s.user_id is not None:
        return s.user_id
    return service_user(s, load_settings(s, integration_id))


def _changes(entry: ActionEntry, result: ActionResult, before: str | None) -> dict[str, Any]:
    # The result first: readers that show the first few keys (History) show it.
    changes: dict[str, Any] = {
        "result": {"old": before, "new": result.result},
        "what": entry.what,
        "by": entry.by,
        "action": entry.action,
        "device": entry.device_name,
        "device_id": str(entry.device_id),
        "source": SOURCE,
    }
    optional = {
        "message": result.message,
        "job_uid": result.job_uid,
        "ticket": entry.ticket,
        "details": entry.details,
    }
    changes.update((key, value) for key, value in optional.items() if value)
    return changes


def record(
    s: TenantSession,
    integration_id: uuid.UUID,
    rows: Sequence[tuple[ActionEntry, ActionResult]],
    *,
    final: bool,
    asset_ids: dict[int, uuid.UUID] | None = None,
) -> None:
    """Not `final`: the actions NinjaOne accepted (result `sent`) or refused (`not_sent` + the
    sentence); an action without a job (maintenance, custom fields) is recorded so with its
    result. `final`: the jobs' outcomes, once they ended (SUCCESS, FAILURE, TIMED_OUT, ...),
    as a second row (its own id) whose old result is `sent`."""
    if not rows:
        return
    now = utcnow()
    who = actor(s, integration_id)
    found = asset_ids if asset_ids is not None else {}
    unknown = [e.device_id for e, _ in rows if e.device_id not in found]
    if unknown:
        found = {**found, **assets_for_devices(s, unknown)}
    history, audits = [], []
    for entry, result in rows:
        key = uuid.uuid5(_OUTCOME, str(entry.action_id)) if final else entry.action_id
        before = "sent" if final else None
        changes = audit.jsonable(_changes(entry, result, before))
        asset_id = found.get(entry.device_id)
        if asset_id is not None:
            history.append(
                {
                    "tenant": s.tenant,
                    "history_id": key,
                    "asset_id": asset_id,
                    "changed_by": who,
                    "change_type": CHANGE_TYPE,
                    "changes": changes,
                    "changed_at": now,
                }
            )
        operation = _OPERATIONS.get(result.result, "device_action.finished")
        if final:
            operation = "device_action.finished"
        audits.append(
            {
                "tenant": s.tenant,
                "audit_id": key,
                "user_id": str(s.user_id or who),
                "operation": operation,
                "table_name": ENTITY,
                "record_id": str(asset_id) if asset_id else f"device:{entry.device_id}",
                "changed_data": changes,
                "details": {"source": audit.SOURCE},
                "timestamp": now,
            }
        )
    if history:
        stmt = dialect_insert(s.conn, asset_history).on_conflict_do_nothing(
            index_elements=["tenant", "history_id"]
        )
        s.conn.execute(stmt, history)
    stmt = dialect_insert(s.conn, audit_logs).on_conflict_do_nothing(index_elements=["audit_id"])
    s.conn.execute(stmt, audits)


def record_refused(
    s: TenantSession, device_ids: Sequence[int], action: str, reason: str, *, by: str
) -> None:
    """An action NinjaDesk refused before sending (no right, no Control scope): audit only."""
    audit.record(
        s,
        "device_action.refused",
        ENTITY,
        "devices:" + ",".join(str(d) for d in device_ids[:50]),
        {
            "source": SOURCE,
            "action": action,
            "by": by,
            "reason": reason,
            "devices": len(device_ids),
        },
    )


def outcome_note(what: str, lines: Sequence[tuple[str, str, str]], by: str) -> str:
    """Markdown for the ticket: `lines` are (device name, result, message)."""
    ok = sum(1 for _, result, _ in lines if result == "SUCCESS")
    head = f"**{what}** (by {by} from NinjaDesk): {ok} of {len(lines)} succeeded."
    body = [f"- {name}: {result.replace('_', ' ').lower()}" + (f" — {msg}" if msg else "")
            for name, result, msg in lines]  # fmt: skip
    return "\n".join([head, "", *body])


def comment_on_ticket(s: TenantSession, ticket: TicketRef, note: str) -> uuid.UUID:
    """The outcome as an internal comment: the person's own comment when they may comment
    (tickets.add_comment checks the right); otherwise a system note naming them, as Alga's
    RMM notes are."""
    if s.user_id is not None:
        try:
            return tickets.add_comment(s, ticket.ticket_id, note, is_internal=True).comment_id
        except PermissionDenied:
            pass  # refused before writing anything: the note is the system's, naming them
    (comment_id,) = tickets.add_notes(
        s, [(ticket.ticket_id, note)], author_id=None, event_user_id=s.user_id
    )
    return comment_id


def history_of(s: TenantSession, asset_id: uuid.UUID) -> list[dict[str, Any]]:
    """This asset's device-action rows, newest first (for the device page)."""
    h = asset_history.c
    rows = s.conn.execute(
        sa.select(h.changes, h.changed_at, h.changed_by)
        .where(h.tenant == s.tenant, h.asset_id == asset_id, h.change_type == CHANGE_TYPE)
        .order_by(h.changed_at.desc(), h.history_id)
    )
    return [{"changes": dict(r.changes or {}), "changed_at": r.changed_at} for r in rows]
