"""Tickets from alerts: create (or join a storm ticket), note, close when the alert resets.

Runs inside the pipeline's batch transaction, with every series of the batch locked. Every
ticket write goes through psa/tickets.py (Alga's numbering, board and default status, the
integration's severity -> priority map, a system note in a thread, the asset link, history and
Alga's bus events). Lock order (so concurrent batches cannot deadlock): series rows (uid order)
-> storm keys (advisory locks, sorted) -> the tenant's ticket counter -> ticket rows (id order).

One ticket per series, across any number of agents and Alga's own integration: the ticket is
claimed with `UPDATE rmm_alerts SET ticket_id = :t WHERE ... AND ticket_id IS NULL`; a claim
that finds a ticket set rolls the batch back and it is redone (it then reads that ticket).
Storms (the same condition on many devices of one client) share one ticket, recorded in
`ninjadesk_alert_tickets` with what the pipeline wrote, so a person's touch can be told apart.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ninja_desk.core import alert_rules as rules_mod
from ninja_desk.core import alert_series as series_mod
from ninja_desk.psa import outbox
from ninja_desk.psa import tickets as psa_tickets
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.integration_settings import ticket_board
from ninja_desk.psa.permissions import CREATE_TICKETS, require
from ninja_desk.psa.schema import (
    assets,
    clients,
    comments,
    ninjadesk_alert_tickets,
    rmm_alerts,
    server_assets,
    tickets,
    workstation_assets,
)
from ninja_desk.sync.alert_batch import BatchContext, IngestResult, SeriesWork, as_uuid

if TYPE_CHECKING:
    from ninja_desk.psa.tenancy import TenantSession

MAX_STORM_WINDOW_MINUTES = 24 * 60


class TicketClaimConflict(RuntimeError):
    """A series already had a ticket when this batch tried to claim it: the batch rolls back."""


@dataclass
class _NewTicket:
    ticket_id: uuid.UUID
    lead: SeriesWork
    members: list[SeriesWork]
    rule: rules_mod.Rule | None
    priority_id: uuid.UUID
    key: tuple[uuid.UUID, str]


def device_link(base_url: str, device_id: int | None) -> str | None:
    if not base_url or device_id is None:
        return None
    return f"{base_url.rstrip('/')}/#/deviceDashboard/{int(device_id)}/overview"


def _fmt_time(epoch: float | None) -> str:
    if not epoch:
        return "unknown"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe(item: SeriesWork, context: BatchContext, details: dict[str, Any]) -> str:
    """The ticket body: the alert, the device in context, and a link back to NinjaOne."""
    st = item.state
    device = context.devices.get(st.device_id or -1) or {}
    ips = [x for x in (details.get("lan_ip"), details.get("wan_ip")) if x] or (
        device.get("ip_addresses") or []
    )
    if isinstance(ips, str):
        try:
            ips = json.loads(ips)
        except ValueError:
            ips = [ips]
    os_name = " ".join(x for x in (details.get("os_type"), details.get("os_version")) if x) or (
        device.get("os_name")
    )
    last_contact = details.get("last_seen_at")
    last_contact_s = (
        last_contact.timestamp()
        if isinstance(last_contact, datetime)
        else device.get("last_contact")
    )
    lines = [
        "NinjaOne alert",
        f"- Condition: {condition_text(item)}",
        f"- Severity: {st.severity or 'not reported'}   "
        f"Priority (NinjaOne): {st.priority or 'not reported'}",
        f"- Type: {st.activity_type or '-'} / {st.source_type or '-'}",
        f"- Status: {st.status_code or '-'}",
        f"- Message: {st.message or '-'}",
        f"- Triggered: {_fmt_time(st.triggered_at)}",
        f"- Series: {st.series_uid}",
        "",
        "Device",
        f"- Name: {st.device_name or details.get('name') or device.get('name') or st.device_id}",
        f"- Client: {details.get('client_name') or '-'}"
        f" (NinjaOne organization {st.organization_id if st.organization_id is not None else '-'})",
        f"- Location: {details.get('location') or device.get('location_name') or '-'}",
        f"- OS: {os_name or '-'}",
        f"- IP addresses: {', '.join(str(i) for i in ips) if ips else '-'}",
        f"- Last user: {details.get('last_login') or device.get('last_logged_in_user') or '-'}",
        f"- Last contact: {_fmt_time(last_contact_s)}",
    ]
    link = device_link(context.ninjaone_url, st.device_id)
    if link:
        lines.append(f"- Open in NinjaOne: {link}")
    return "\n".join(lines)


def condition_text(item: SeriesWork) -> str:
    st = item.state
    return st.condition_name or st.message or st.source_type or st.activity_type or "Alert"


def _values(item: SeriesWork, device: str) -> dict[str, Any]:
    st = item.state
    return {
        "condition": condition_text(item),
        "activity": st.activity_type or "",
        "device": device,
        "severity": st.severity or "NONE",
        "message": st.message or "",
        "source_type": st.source_type or "",
        "series": st.series_uid,
    }


def _title(item: SeriesWork, rule: rules_mod.Rule | None, members: int = 1) -> str:
    st = item.state
    device = st.device_name or (f"device {st.device_id}" if st.device_id is not None else "?")
    if members > 1:
        device = f"{members} devices"
    template = (rule.action.get("title_template") if rule else None) or None
    return rules_mod.render_title(template, _values(item, device))


def _storm_settings(rule: rules_mod.Rule | None) -> tuple[bool, int]:
    action = rule.action if rule else {}
    enabled = bool(action.get("group_storms", True))
    minutes = int(action.get("storm_window_minutes") or rules_mod.DEFAULT_STORM_WINDOW_MINUTES)
    return enabled, max(1, min(minutes, MAX_STORM_WINDOW_MINUTES))


def _asset_details(s: TenantSession, asset_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict]:
    ids = sorted(set(asset_ids), key=str)
    if not ids:
        return {}
    a, w, sv, c = assets, workstation_assets, server_assets, clients
    query = (
        sa.select(
            a.c.asset_id,
            a.c.name,
            a.c.location,
            a.c.last_seen_at,
            c.c.client_name,
            sa.func.coalesce(w.c.os_type, sv.c.os_type).label("os_type"),
            sa.func.coalesce(w.c.os_version, sv.c.os_version).label("os_version"),
            sa.func.coalesce(w.c.lan_ip, sv.c.lan_ip).label("lan_ip"),
            sa.func.coalesce(w.c.wan_ip, sv.c.wan_ip).label("wan_ip"),
            sa.func.coalesce(w.c.current_user, sv.c.current_user).label("last_login"),
        )
        .select_from(
            a.outerjoin(w, sa.and_(w.c.tenant == a.c.tenant, w.c.asset_id == a.c.asset_id))
            .outerjoin(sv, sa.and_(sv.c.tenant == a.c.tenant, sv.c.asset_id == a.c.asset_id))
            .outerjoin(c, sa.and_(c.c.tenant == a.c.tenant, c.c.client_id == a.c.client_id))
        )
        .where(a.c.tenant == s.tenant, a.c.asset_id.in_(ids))
    )
    return {r.asset_id: dict(r._mapping) for r in s.conn.execute(query)}


def _claim(s: TenantSession, claims: list[tuple[SeriesWork, uuid.UUID]], auto: bool = True) -> None:
    """One statement for the batch: set each series' ticket where it has none yet, and check
    that every series was claimed (RETURNING); any miss means another writer got there first."""
    if not claims:
        return
    t = rmm_alerts
    if not s.is_postgres:
        # SQLite has no column aliases on VALUES; statements there are in-process and cheap.
        for item, ticket_id in claims:
            done = s.conn.execute(
                t.update()
                .where(
                    t.c.tenant == s.tenant, t.c.alert_id == item.alert_id, t.c.ticket_id.is_(None)
                )
                .values(ticket_id=ticket_id, auto_ticket_created=auto)
            ).rowcount
            if done != 1:
                raise TicketClaimConflict(f"Series {item.state.series_uid} already has a ticket.")
            item.ticket_id = ticket_id
            item.auto_ticket = auto
        return
    v = sa.values(
        sa.column("v_alert", sa.Uuid(as_uuid=True)),
        sa.column("v_ticket", sa.Uuid(as_uuid=True)),
        name="claims",
    ).data([(item.alert_id, ticket_id) for item, ticket_id in claims])
    won = set(
        s.conn.scalars(
            t.update()
            .where(
                t.c.tenant == s.tenant,
                t.c.alert_id == v.c.v_alert,
                t.c.ticket_id.is_(None),
            )
            .values(ticket_id=v.c.v_ticket, auto_ticket_created=auto)
            .returning(t.c.alert_id)
        )
    )
    for item, ticket_id in claims:
        if item.alert_id not in won:
            raise TicketClaimConflict(f"Series {item.state.series_uid} already has a ticket.")
        item.ticket_id = ticket_id
        item.auto_ticket = auto


def _storm_locks(s: TenantSession, keys: Iterable[tuple[uuid.UUID, str]]) -> None:
    if not s.is_postgres:
        return  # SQLite: BEGIN IMMEDIATE already serialises every writer
    for client_id, cond in sorted(set(keys), key=lambda k: (str(k[0]), k[1])):
        s.conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 7))"),
            {"k": f"{s.tenant}|{client_id}|{cond}"},
        )


def _open_storm_tickets(
    s: TenantSession, integration_id: uuid.UUID, keys: set[tuple[uuid.UUID, str]], now: datetime
) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    if not keys:
        return {}
    at = ninjadesk_alert_tickets
    oldest = now - timedelta(minutes=MAX_STORM_WINDOW_MINUTES)
    rows = s.conn.execute(
        sa.select(
            at.c.ticket_id,
            at.c.client_id,
            at.c.condition_key,
            at.c.last_alert_at,
            at.c.storm_window_minutes,
        )
        .select_from(
            at.join(
                tickets,
                sa.and_(tickets.c.tenant == at.c.tenant, tickets.c.ticket_id == at.c.ticket_id),
            )
        )
        .where(
            at.c.tenant == s.tenant,
            at.c.integration_id == integration_id,
            at.c.group_storms.is_(True),
            at.c.auto_resolved_at.is_(None),
            at.c.client_id.in_(sorted({k[0] for k in keys}, key=str)),
            at.c.condition_key.in_(sorted({k[1] for k in keys})),
            at.c.last_alert_at >= oldest,
            tickets.c.is_closed.is_(False),
        )
        .order_by(at.c.last_alert_at)
    )
    found: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    for r in rows:
        key = (r.client_id, r.condition_key)
        if key in keys and r.last_alert_at >= now - timedelta(minutes=r.storm_window_minutes):
            found[key] = r.ticket_id  # newest wins (ordered ascending)
    return found


def _priority_id(context: BatchContext, item: SeriesWork, rule: rules_mod.Rule | None) -> uuid.UUID:
    override = as_uuid(rule.action.get("priority_id")) if rule else None
    if override is not None:
        return override
    sev = (item.state.severity or "NONE").upper()
    ids = context.severity_priority_ids
    return ids.get(sev) or ids["NONE"]


def apply_ticket_effects(
    s: TenantSession,
    context: BatchContext,
    locked: dict[str, SeriesWork],
    result: IngestResult,
) -> None:
    """Create or join tickets for series decided 'ticket' in this batch (before write-back)."""
    wanting = [
        i
        for i in locked.values()
        if i.new_decision is not None
        and i.new_decision.wants_ticket
        and i.ticket_id is None
        and i.client_id is not None
    ]
    if not wanting:
        return
    require(s, CREATE_TICKETS)
    now = utcnow()
    grouped: dict[tuple[uuid.UUID, str], list[SeriesWork]] = {}
    singles: list[SeriesWork] = []
    for item in wanting:
        rule = item.new_decision.rule if item.new_decision else None
        enabled, _ = _storm_settings(rule)
        manual = item.new_decision is not None and item.new_decision.outcome == rules_mod.MANUAL
        if enabled and not manual:
            key = (item.client_id, series_mod.condition_key(item.state))
            grouped.setdefault(key, []).append(item)  # type: ignore[arg-type]
        else:
            singles.append(item)
    _storm_locks(s, grouped)
    existing = _open_storm_tickets(s, context.integration_id, set(grouped), now)
    plans: list[_NewTicket] = []
    joins: list[tuple[uuid.UUID, list[SeriesWork]]] = []
    for key, items in grouped.items():
        if key in existing:
            joins.append((existing[key], items))
        else:
            lead = items[0]
            rule = lead.new_decision.rule if lead.new_decision else None
            plans.append(
                _NewTicket(uuid.uuid4(), lead, items, rule, _priority_id(context, lead, rule), key)
            )
    for item in singles:
        assert item.new_decision is not None and item.client_id is not None
        rule = item.new_decision.rule
        key = (item.client_id, series_mod.condition_key(item.state))
        plans.append(
            _NewTicket(uuid.uuid4(), item, [item], rule, _priority_id(context, item, rule), key)
        )
    if plans:
        _create(s, context, plans, now)
        result.tickets_created += len(plans)
        result.tickets_joined += sum(len(p.members) - 1 for p in plans)
    for ticket_id, items in joins:
        _join(s, context, ticket_id, items, now)
        result.tickets_joined += len(items)
        result.comments += len(items)


def _create(
    s: TenantSession,
    context: BatchContext,
    plans: list[_NewTicket],
    now: datetime,
) -> None:
    details = _asset_details(s, [m.asset_id for p in plans for m in p.members if m.asset_id])
    default_board = ticket_board(s, context.settings)
    specs: list[psa_tickets.NewTicket] = []
    for plan in plans:
        action = plan.rule.action if plan.rule else {}
        lead = plan.lead
        body = describe(lead, context, details.get(lead.asset_id, {}) if lead.asset_id else {})
        template = action.get("description_template")
        if template:
            body = rules_mod.render_title(template, _values(lead, lead.state.device_name or "?"))
            body = f"{body}\n\n" + describe(
                lead, context, details.get(lead.asset_id, {}) if lead.asset_id else {}
            )
        if len(plan.members) > 1:
            body += "\n\nAlso affected (same condition, same client):\n" + "\n".join(
                f"- {m.state.device_name or m.state.device_id} (series {m.state.series_uid})"
                for m in plan.members[1:]
            )
        manual = lead.new_decision is not None and lead.new_decision.outcome == rules_mod.MANUAL
        note = f"Created by NinjaDesk from NinjaOne alert series {lead.state.series_uid}" + (
            f" (rule '{plan.rule.name}')."
            if plan.rule
            else (" at a technician's request." if manual else ".")
        )
        specs.append(
            psa_tickets.NewTicket(
                client_id=plan.key[0],
                title=_title(lead, plan.rule, len(plan.members)),
                description=body,
                priority_id=plan.priority_id,
                board_id=as_uuid(action.get("board_id")) or default_board,
                note=note,
                source_reference=f"ninjaone:alert:{lead.state.series_uid}",
                assigned_to=as_uuid(action.get("assignee_id")),
                asset_ids=sorted({m.asset_id for m in plan.members if m.asset_id}, key=str),
                ticket_id=plan.ticket_id,
            )
        )
    made = psa_tickets.create_tickets(
        s, specs, service_user_id=context.service_user(s), actor_user_id=context.user_id
    )
    meta_rows = []
    for plan, spec in zip(plans, made, strict=True):
        assert spec.ticket_number is not None and spec.status_id is not None
        context.ticket_numbers[plan.ticket_id] = spec.ticket_number
        action = plan.rule.action if plan.rule else {}
        enabled, minutes = _storm_settings(plan.rule)
        meta_rows.append(
            {
                "tenant": s.tenant,
                "ticket_id": plan.ticket_id,
                "integration_id": context.integration_id,
                "client_id": plan.key[0],
                "condition_key": plan.key[1][:255],
                "rule_id": uuid.UUID(plan.rule.rule_id) if plan.rule else None,
                "created_status_id": spec.status_id,
                # The system note is the pipeline's own comment.
                "pipeline_comments": 1,
                "series_count": len(plan.members),
                "auto_resolve": bool(action.get("auto_resolve", True)),
                "reset_on_close": bool(action.get("reset_on_close", True)),
                "group_storms": enabled,
                "storm_window_minutes": minutes,
                "opened_at": now,
                "last_alert_at": now,
            }
        )
    s.conn.execute(ninjadesk_alert_tickets.insert(), meta_rows)
    for plan in plans:
        manual = (
            plan.lead.new_decision is not None
            and plan.lead.new_decision.outcome == rules_mod.MANUAL
        )
        _claim(s, [(m, plan.ticket_id) for m in plan.members], auto=not manual)
    for plan in plans:
        for member in plan.members[1:]:
            mark_duplicate(
                member, plan.lead.state.series_uid, context.ticket_numbers[plan.ticket_id]
            )
    for plan in plans:
        for member in plan.members:
            outbox.publish(
                s,
                "rmm.alert.ticket_created",
                {
                    "series_uid": member.state.series_uid,
                    "alert_id": str(member.alert_id),
                    "ticket_id": str(plan.ticket_id),
                    "ticket_number": context.ticket_numbers[plan.ticket_id],
                    "grouped": len(plan.members) > 1,
                },
            )


def mark_duplicate(item: SeriesWork, lead_series: str, ticket_number: str) -> None:
    """A storm member: its decision says whose ticket it joined, for explain()."""
    before = json.loads(item.explanation) if item.explanation else {}
    item.decision = rules_mod.DUPLICATE
    item.explanation = json.dumps(
        {
            **before,
            "outcome": rules_mod.DUPLICATE,
            "duplicate_of": lead_series,
            "ticket_number": ticket_number,
            "reason": f"Rule '{before.get('rule', '?')}' matched, but the same condition on "
            f"another device of this client already has ticket {ticket_number} (series "
            f"{lead_series}): this alert joined it.",
        }
    )


def _join(
    s: TenantSession,
    context: BatchContext,
    ticket_id: uuid.UUID,
    items: list[SeriesWork],
    now: datetime,
) -> None:
    _claim(s, [(item, ticket_id) for item in items])
    a = rmm_alerts.c
    lead = s.conn.execute(
        sa.select(a.external_alert_id, tickets.c.ticket_number)
        .select_from(
            rmm_alerts.join(
                tickets,
                sa.and_(tickets.c.tenant == a.tenant, tickets.c.ticket_id == a.ticket_id),
            )
        )
        .where(a.tenant == s.tenant, a.ticket_id == ticket_id)
        .order_by(a.created_at, a.external_alert_id)
        .limit(1)
    ).first()
    for item in items:
        mark_duplicate(
            item, lead.external_alert_id if lead else "?", lead.ticket_number if lead else ""
        )
    psa_tickets.link_assets(
        s,
        ticket_id,
        [i.asset_id for i in items if i.asset_id],
        created_by=context.service_user(s),
    )
    add_pipeline_comments(
        s,
        context,
        [
            (
                ticket_id,
                f"Same condition on another device: {i.state.device_name or i.state.device_id}"
                f" ({i.state.severity or 'severity not reported'}, series {i.state.series_uid}).",
            )
            for i in items
        ],
        now,
    )
    at = ninjadesk_alert_tickets
    s.conn.execute(
        at.update()
        .where(at.c.tenant == s.tenant, at.c.ticket_id == ticket_id)
        .values(series_count=at.c.series_count + len(items), last_alert_at=now)
    )


def add_pipeline_comments(
    s: TenantSession,
    context: BatchContext,
    notes: list[tuple[uuid.UUID, str]],
    now: datetime | None = None,
    *,
    is_resolution: bool = False,
) -> None:
    """System notes written by the pipeline: counted, so a person's comment can be told apart."""
    if not notes:
        return
    psa_tickets.add_notes(
        s,
        notes,
        author_id=context.user_id,
        event_user_id=context.user_id or context.service_user(s),
        is_resolution=is_resolution,
        now=now,
    )
    _count_pipeline_comments(s, notes)


def _count_pipeline_comments(s: TenantSession, notes: list[tuple[uuid.UUID, str]]) -> None:
    counts: dict[uuid.UUID, int] = {}
    for ticket_id, _ in notes:
        counts[ticket_id] = counts.get(ticket_id, 0) + 1
    at = ninjadesk_alert_tickets
    s.conn.execute(
        at.update()
        .where(at.c.tenant == s.tenant, at.c.ticket_id == sa.bindparam("b_ticket"))
        .values(pipeline_comments=at.c.pipeline_comments + sa.bindparam("b_count")),
        [{"b_ticket": t, "b_count": counts[t]} for t in sorted(counts, key=str)],
    )


def follow_up(
    s: TenantSession,
    context: BatchContext,
    locked: dict[str, SeriesWork],
    result: IngestResult,
    resolved_by: str | None = None,
) -> None:
    """After write-back: notes for repeats / resets / re-triggers; close tickets that reset."""
    notes: list[tuple[uuid.UUID, str]] = []
    resolved_tickets: set[uuid.UUID] = set()
    reopened: set[uuid.UUID] = set()
    ours = _pipeline_tickets(s, {i.ticket_id for i in locked.values() if i.ticket_id})
    for item in locked.values():
        if item.ticket_id is None or item.ticket_id not in ours:
            continue  # no ticket, or one NinjaDesk did not make (Alga's own, a person's)
        fresh = item.new_decision is not None  # ticket made in this batch: its body says it all
        for t, ev in zip(item.transitions, item.events, strict=True):
            if t.acknowledged:
                where = "NinjaDesk" if ev.source == "user" else "NinjaOne"
                notes.append((item.ticket_id, f"Alert acknowledged in {where}."))
            if t.repeated and not fresh:
                notes.append(
                    (
                        item.ticket_id,
                        f"Triggered again in NinjaOne "
                        f"({t.after.repeat_count} repeat(s)): {t.after.message or ''}",
                    )
                )
            elif t.opened and t.before.exists and not fresh:
                notes.append((item.ticket_id, "The condition triggered again after it had reset."))
                if item.state.is_open:
                    reopened.add(item.ticket_id)
            if t.resolved:
                resolved_tickets.add(item.ticket_id)
        if (
            fresh
            and item.state.status == series_mod.RESOLVED
            and not any(t.resolved for t in item.transitions)
        ):
            # Created for a series whose RESET was already known (out-of-order delivery).
            notes.append(
                (
                    item.ticket_id,
                    f"The alert had already reset "
                    f"({item.state.resolved_reason or 'reset'}) when this ticket was made.",
                )
            )
            resolved_tickets.add(item.ticket_id)
    add_pipeline_comments(s, context, notes)
    result.comments += len(notes)
    if resolved_tickets:
        closed, sentences = auto_resolve(s, context, resolved_tickets, locked, resolved_by)
        result.tickets_auto_resolved += closed
        result.comments += len(resolved_tickets)
        result.notes.extend(x for x in sentences if x not in result.notes)
    if reopened:
        reopen_auto_resolved(s, context, reopened)


def _pipeline_tickets(s: TenantSession, ids: set[uuid.UUID | None]) -> set[uuid.UUID]:
    wanted = sorted((i for i in ids if i is not None), key=str)
    if not wanted:
        return set()
    at = ninjadesk_alert_tickets.c
    return set(
        s.conn.scalars(
            sa.select(at.ticket_id).where(at.tenant == s.tenant, at.ticket_id.in_(wanted))
        )
    )


def reopen_auto_resolved(s: TenantSession, context: BatchContext, ids: set[uuid.UUID]) -> None:
    """A ticket the pipeline closed comes back when its alert triggers again; one a person
    closed stays closed (the note tells them)."""
    at = ninjadesk_alert_tickets
    rows = s.conn.execute(
        sa.select(at.c.ticket_id, at.c.created_status_id).where(
            at.c.tenant == s.tenant,
            at.c.ticket_id.in_(sorted(ids, key=str)),
            at.c.auto_resolved_at.is_not(None),
        )
    ).all()
    if not rows:
        return
    psa_tickets.reopen_tickets(
        s,
        {r.ticket_id: r.created_status_id for r in rows},
        actor_user_id=context.user_id,
        service_user_id=context.service_user(s),
    )
    s.conn.execute(
        at.update()
        .where(at.c.tenant == s.tenant, at.c.ticket_id == sa.bindparam("b_ticket"))
        .values(auto_resolved_at=None),
        [{"b_ticket": r.ticket_id} for r in rows],
    )


def auto_resolve(
    s: TenantSession,
    context: BatchContext,
    ticket_ids: set[uuid.UUID],
    locked: dict[str, SeriesWork] | None = None,
    resolved_by: str | None = None,
) -> tuple[int, list[str]]:
    """Close each ticket whose alerts have all resolved, if no person has touched it; every
    one gets a resolution note. Returns (closed, sentences about tickets left open)."""
    at, t = ninjadesk_alert_tickets, tickets
    ids = sorted(ticket_ids, key=str)
    rows = s.conn.execute(
        sa.select(
            at.c.ticket_id,
            at.c.created_status_id,
            at.c.pipeline_comments,
            at.c.auto_resolve,
            t.c.status_id,
            t.c.is_closed,
        )
        .select_from(
            at.join(t, sa.and_(t.c.tenant == at.c.tenant, t.c.ticket_id == at.c.ticket_id))
        )
        .where(at.c.tenant == s.tenant, at.c.ticket_id.in_(ids))
        .order_by(at.c.ticket_id)
    ).all()
    if not rows:
        return 0, []
    comment_counts: dict[uuid.UUID, int] = dict(
        s.conn.execute(
            sa.select(comments.c.ticket_id, sa.func.count())
            .where(
                comments.c.tenant == s.tenant,
                comments.c.ticket_id.in_(ids),
                comments.c.deleted_at.is_(None),
            )
            .group_by(comments.c.ticket_id)
        ).all()
    )
    still_open = set(
        s.conn.scalars(
            sa.select(rmm_alerts.c.ticket_id)
            .where(
                rmm_alerts.c.tenant == s.tenant,
                rmm_alerts.c.ticket_id.in_(ids),
                rmm_alerts.c.status.not_in(("resolved", "auto_resolved")),
            )
            .distinct()
        )
    )
    reasons = {i.ticket_id: i.state.resolved_reason for i in (locked or {}).values() if i.ticket_id}
    to_close: list[uuid.UUID] = []
    notes: list[tuple[uuid.UUID, str]] = []
    who = f" by {resolved_by}" if resolved_by else ""
    for r in rows:
        if r.ticket_id in still_open or r.is_closed:
            continue
        reason = reasons.get(r.ticket_id) or "reset"
        said = f"Alert resolved{who} ({reason}) at {_fmt_time(datetime.now(UTC).timestamp())}."
        touched = (
            r.status_id != r.created_status_id
            or comment_counts.get(r.ticket_id, 0) != r.pipeline_comments
        )
        if not r.auto_resolve:
            notes.append((r.ticket_id, said))
        elif touched:
            notes.append(
                (
                    r.ticket_id,
                    f"{said} This ticket was changed by a person, so it stays open for them "
                    "to close.",
                )
            )
        else:
            to_close.append(r.ticket_id)
    sentences: list[str] = []
    closed = 0
    if to_close:
        outcome = psa_tickets.close_tickets(
            s,
            to_close,
            actor_user_id=context.user_id,
            service_user_id=context.service_user(s),
            note=f"Alert resolved{who} in NinjaOne.",
            reason="alert_resolved",
        )
        _count_pipeline_comments(s, [(tid, "") for tid in to_close])
        now = utcnow()
        if outcome.closed:
            s.conn.execute(
                at.update()
                .where(at.c.tenant == s.tenant, at.c.ticket_id == sa.bindparam("b_ticket"))
                .values(auto_resolved_at=now),
                [{"b_ticket": tid} for tid in outcome.closed],
            )
        closed = len(outcome.closed)
        if outcome.message:
            sentences.append(outcome.message)
    add_pipeline_comments(s, context, notes, is_resolution=True)
    return closed, sentences
