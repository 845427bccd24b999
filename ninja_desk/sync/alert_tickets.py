"""Tickets from alerts: create (or join a storm ticket), comment, resolve when the alert resets.

Runs inside the pipeline's batch transaction, with every series of the batch locked. Lock order
(so concurrent batches cannot deadlock): series rows (uid order) -> storm keys (advisory locks,
sorted) -> the tenant's ticket counter -> existing ticket rows (id order).
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
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import CREATE_TICKETS, require
from ninja_desk.psa.schema import (
    asset_ticket_associations,
    assets,
    channels,
    companies,
    priorities,
    rmm_alerts,
    server_assets,
    statuses,
    ticket_comments,
    ticket_number_sequences,
    tickets,
    users,
    workstation_assets,
)
from ninja_desk.sync.alert_tables import rmm_alert_tickets

if TYPE_CHECKING:
    from ninja_desk.psa.tenancy import TenantSession
    from ninja_desk.sync.alert_pipeline import AlertPipeline, IngestResult, _BatchContext, _Series

MAX_STORM_WINDOW_MINUTES = 24 * 60


class TicketClaimConflict(RuntimeError):
    """A series already had a ticket when this batch tried to claim it: the batch rolls back."""


@dataclass
class _NewTicket:
    ticket_id: uuid.UUID
    lead: _Series
    members: list[_Series]
    rule: rules_mod.Rule | None
    priority: str
    key: tuple[uuid.UUID, str]


def device_link(base_url: str, device_id: int | None) -> str | None:
    if not base_url or device_id is None:
        return None
    return f"{base_url.rstrip('/')}/#/deviceDashboard/{int(device_id)}/overview"


def _fmt_time(epoch: float | None) -> str:
    if not epoch:
        return "unknown"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe(item: _Series, context: _BatchContext, details: dict[str, Any]) -> str:
    """The ticket body: the alert, the device in context, and a link back to NinjaOne."""
    st = item.state
    device = context.devices.get(st.device_id or -1) or {}
    ips = details.get("ip_addresses") or device.get("ip_addresses") or []
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
        f"- Severity: {st.severity or 'NONE'}   Priority (NinjaOne): {st.priority or 'NONE'}",
        f"- Type: {st.activity_type or '-'} / {st.source_type or '-'}",
        f"- Status: {st.status_code or '-'}",
        f"- Message: {st.message or '-'}",
        f"- Triggered: {_fmt_time(st.triggered_at)}",
        f"- Series: {st.series_uid}",
        "",
        "Device",
        f"- Name: {st.device_name or details.get('name') or device.get('name') or st.device_id}",
        f"- Client: {details.get('company_name') or '-'}"
        f" (NinjaOne organization {st.organization_id if st.organization_id is not None else '-'})",
        f"- Location: {details.get('location') or device.get('location_name') or '-'}",
        f"- OS: {os_name or '-'}",
        f"- IP addresses: {', '.join(str(i) for i in ips) if ips else '-'}",
        f"- Last user: {details.get('last_login') or device.get('last_logged_in_user') or '-'}",
        f"- Last contact: {_fmt_time(last_contact_s)}",
    ]
    link = device_link(context.pipeline.ninjaone_url, st.device_id)
    if link:
        lines.append(f"- Open in NinjaOne: {link}")
    return "\n".join(lines)


def condition_text(item: _Series) -> str:
    st = item.state
    return st.condition_name or st.message or st.source_type or st.activity_type or "Alert"


def _title(item: _Series, rule: rules_mod.Rule | None, members: int = 1) -> str:
    st = item.state
    device = st.device_name or (f"device {st.device_id}" if st.device_id is not None else "?")
    if members > 1:
        device = f"{members} devices"
    template = (rule.action.get("title_template") if rule else None) or None
    return rules_mod.render_title(
        template,
        {
            "condition": condition_text(item),
            "activity": st.activity_type or "",
            "device": device,
            "severity": st.severity or "NONE",
            "message": st.message or "",
            "source_type": st.source_type or "",
            "series": st.series_uid,
        },
    )


def _storm_settings(rule: rules_mod.Rule | None) -> tuple[bool, int]:
    action = rule.action if rule else {}
    enabled = bool(action.get("group_storms", True))
    minutes = int(action.get("storm_window_minutes") or rules_mod.DEFAULT_STORM_WINDOW_MINUTES)
    return enabled, max(1, min(minutes, MAX_STORM_WINDOW_MINUTES))


class _Lookups:
    """Priority, status, channel and user ids by name, loaded lazily once per batch."""

    def __init__(self, s: TenantSession) -> None:
        self.s = s
        self._cache: dict[tuple[str, str], uuid.UUID | None] = {}

    def _one(self, kind: str, name: str | None) -> uuid.UUID | None:
        key = (kind, (name or "").lower())
        if key in self._cache:
            return self._cache[key]
        s = self.s
        if kind == "priority":
            t, col, q = priorities, priorities.c.priority_name, priorities.c.priority_id
        elif kind == "channel":
            t, col, q = channels, channels.c.channel_name, channels.c.channel_id
        elif kind == "user":
            t, col, q = users, users.c.username, users.c.user_id
        else:
            raise ValueError(kind)
        query = sa.select(q).where(t.c.tenant == s.tenant)
        if name:
            query = query.where(sa.func.lower(col) == name.lower())
        elif kind == "channel":
            query = query.order_by(channels.c.is_default.desc())
        found = s.conn.scalar(query.limit(1))
        self._cache[key] = found
        return found

    def priority(self, name: str) -> uuid.UUID:
        found = self._one("priority", name) or self._one("priority", "medium")
        if found is None:
            raise NotFound(f"There is no ticket priority '{name}' in this tenant.")
        return found

    def channel(self, name: str | None) -> uuid.UUID:
        found = (self._one("channel", name) if name else None) or self._one("channel", None)
        if found is None:
            raise NotFound("This tenant has no ticket channel (board).")
        return found

    def assignee(self, value: Any) -> uuid.UUID | None:
        if not value:
            return None
        try:
            return uuid.UUID(str(value))
        except ValueError:
            return self._one("user", str(value))

    def status_ids(self) -> tuple[uuid.UUID, uuid.UUID]:
        """(default open status, closed status)."""
        if ("status", "") not in self._cache:
            rows = self.s.conn.execute(
                sa.select(statuses.c.status_id, statuses.c.is_default, statuses.c.is_closed)
                .where(statuses.c.tenant == self.s.tenant, statuses.c.status_type == "ticket")
                .order_by(statuses.c.order_number)
            ).all()
            default = next((r[0] for r in rows if r[1]), None) or next(
                (r[0] for r in rows if not r[2]), None
            )
            closed = next((r[0] for r in rows if r[2]), None)
            if default is None or closed is None:
                raise NotFound("This tenant needs an open and a closed ticket status.")
            self._cache[("status", "")] = default
            self._cache[("status", "closed")] = closed
        return self._cache[("status", "")], self._cache[("status", "closed")]  # type: ignore[return-value]


def _asset_details(s: TenantSession, asset_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict]:
    ids = sorted(set(asset_ids), key=str)
    if not ids:
        return {}
    a, w, sv, c = assets, workstation_assets, server_assets, companies
    query = (
        sa.select(
            a.c.asset_id,
            a.c.name,
            a.c.location,
            a.c.last_seen_at,
            c.c.company_name,
            sa.func.coalesce(w.c.os_type, sv.c.os_type).label("os_type"),
            sa.func.coalesce(w.c.os_version, sv.c.os_version).label("os_version"),
            sa.func.coalesce(w.c.ip_addresses, sv.c.ip_addresses).label("ip_addresses"),
            sa.func.coalesce(w.c.last_login, sv.c.last_login).label("last_login"),
        )
        .select_from(
            a.outerjoin(w, sa.and_(w.c.tenant == a.c.tenant, w.c.asset_id == a.c.asset_id))
            .outerjoin(sv, sa.and_(sv.c.tenant == a.c.tenant, sv.c.asset_id == a.c.asset_id))
            .outerjoin(c, sa.and_(c.c.tenant == a.c.tenant, c.c.company_id == a.c.client_id))
        )
        .where(a.c.tenant == s.tenant, a.c.asset_id.in_(ids))
    )
    return {r.asset_id: dict(r._mapping) for r in s.conn.execute(query)}


def _client_names(s: TenantSession, client_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = sorted(set(client_ids), key=str)
    if not ids:
        return {}
    rows = s.conn.execute(
        sa.select(companies.c.company_id, companies.c.company_name).where(
            companies.c.tenant == s.tenant, companies.c.company_id.in_(ids)
        )
    )
    return dict(rows.all())


def _draw_numbers(s: TenantSession, count: int) -> list[str]:
    seq = ticket_number_sequences
    row = s.conn.execute(
        seq.update()
        .where(seq.c.tenant == s.tenant)
        .values(last_number=seq.c.last_number + count)
        .returning(seq.c.prefix, seq.c.last_number)
    ).first()
    if row is None:
        raise NotFound("This tenant has no ticket numbering; was it created with create_tenant?")
    first = row.last_number - count + 1
    return [f"{row.prefix}{n:06d}" for n in range(first, row.last_number + 1)]


def _claim(s: TenantSession, claims: list[tuple[_Series, uuid.UUID]]) -> None:
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
                .values(ticket_id=ticket_id, auto_ticket_created=True)
            ).rowcount
            if done != 1:
                raise TicketClaimConflict(f"Series {item.state.series_uid} already has a ticket.")
            item.ticket_id = ticket_id
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
            .values(ticket_id=v.c.v_ticket, auto_ticket_created=True)
            .returning(t.c.alert_id)
        )
    )
    for item, ticket_id in claims:
        if item.alert_id not in won:
            raise TicketClaimConflict(f"Series {item.state.series_uid} already has a ticket.")
        item.ticket_id = ticket_id


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
    at = rmm_alert_tickets
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
            ).join(
                statuses,
                sa.and_(
                    statuses.c.tenant == tickets.c.tenant,
                    statuses.c.status_id == tickets.c.status_id,
                ),
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
            statuses.c.is_closed.is_(False),
        )
        .order_by(at.c.last_alert_at)
    )
    found: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    for r in rows:
        key = (r.client_id, r.condition_key)
        if key in keys and r.last_alert_at >= now - timedelta(minutes=r.storm_window_minutes):
            found[key] = r.ticket_id  # newest wins (ordered ascending)
    return found


def apply_ticket_effects(
    pipeline: AlertPipeline,
    s: TenantSession,
    context: _BatchContext,
    locked: dict[str, _Series],
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
    grouped: dict[tuple[uuid.UUID, str], list[_Series]] = {}
    singles: list[_Series] = []
    for item in wanting:
        rule = item.new_decision.rule if item.new_decision else None
        enabled, _ = _storm_settings(rule)
        if enabled:
            key = (item.client_id, series_mod.condition_key(item.state))
            grouped.setdefault(key, []).append(item)  # type: ignore[arg-type]
        else:
            singles.append(item)
    _storm_locks(s, grouped)
    existing = _open_storm_tickets(s, pipeline.integration_id, set(grouped), now)
    lookups = _Lookups(s)
    plans: list[_NewTicket] = []
    joins: list[tuple[uuid.UUID, list[_Series]]] = []
    for key, items in grouped.items():
        if key in existing:
            joins.append((existing[key], items))
        else:
            lead = items[0]
            decision = lead.new_decision
            assert decision is not None
            plans.append(
                _NewTicket(
                    uuid.uuid4(), lead, items, decision.rule, decision.priority or "medium", key
                )
            )
    for item in singles:
        decision = item.new_decision
        assert decision is not None and item.client_id is not None
        key = (item.client_id, series_mod.condition_key(item.state))
        plans.append(
            _NewTicket(
                uuid.uuid4(), item, [item], decision.rule, decision.priority or "medium", key
            )
        )
    if plans:
        _create(pipeline, s, context, plans, lookups, now)
        result.tickets_created += len(plans)
        result.tickets_joined += sum(len(p.members) - 1 for p in plans)
    for ticket_id, items in joins:
        _join(pipeline, s, ticket_id, items, now)
        result.tickets_joined += len(items)
        result.comments += len(items)


def _create(
    pipeline: AlertPipeline,
    s: TenantSession,
    context: _BatchContext,
    plans: list[_NewTicket],
    lookups: _Lookups,
    now: datetime,
) -> None:
    default_status, _closed = lookups.status_ids()
    numbers = _draw_numbers(s, len(plans))
    details = _asset_details(s, [m.asset_id for p in plans for m in p.members if m.asset_id])
    ticket_rows, meta_rows, links = [], [], []
    for plan, number in zip(plans, numbers, strict=True):
        action = plan.rule.action if plan.rule else {}
        lead = plan.lead
        body = describe(lead, context, details.get(lead.asset_id, {}) if lead.asset_id else {})
        if len(plan.members) > 1:
            body += "\n\nAlso affected (same condition, same client):\n" + "\n".join(
                f"- {m.state.device_name or m.state.device_id} (series {m.state.series_uid})"
                for m in plan.members[1:]
            )
        ticket_rows.append(
            {
                "tenant": s.tenant,
                "ticket_id": plan.ticket_id,
                "ticket_number": number,
                "title": _title(lead, plan.rule, len(plan.members)),
                "description": body,
                "client_id": plan.key[0],
                "status_id": default_status,
                "priority_id": lookups.priority(plan.priority),
                "channel_id": lookups.channel(action.get("board") or action.get("channel")),
                "assigned_to": lookups.assignee(action.get("assignee")),
                "entered_by": pipeline.user_id,
                "source": "ninjaone_alert",
                "entered_at": now,
                "updated_at": now,
            }
        )
        context.ticket_numbers[plan.ticket_id] = number
        enabled, minutes = _storm_settings(plan.rule)
        meta_rows.append(
            {
                "tenant": s.tenant,
                "ticket_id": plan.ticket_id,
                "integration_id": pipeline.integration_id,
                "client_id": plan.key[0],
                "condition_key": plan.key[1][:255],
                "rule_id": uuid.UUID(plan.rule.rule_id) if plan.rule else None,
                "created_status_id": default_status,
                "pipeline_comments": 0,
                "series_count": len(plan.members),
                "auto_resolve": bool(action.get("auto_resolve", True)),
                "reset_on_close": bool(action.get("reset_on_close", False)),
                "group_storms": enabled,
                "storm_window_minutes": minutes,
                "opened_at": now,
                "last_alert_at": now,
            }
        )
        for asset_id in sorted({m.asset_id for m in plan.members if m.asset_id}, key=str):
            links.append(
                {
                    "tenant": s.tenant,
                    "asset_id": asset_id,
                    "ticket_id": plan.ticket_id,
                    "created_by": pipeline.user_id,
                    "created_at": now,
                }
            )
    s.conn.execute(tickets.insert(), ticket_rows)
    s.conn.execute(rmm_alert_tickets.insert(), meta_rows)
    numbers_by_id = {r["ticket_id"]: r["ticket_number"] for r in ticket_rows}
    if links:
        s.conn.execute(asset_ticket_associations.insert(), links)
    _claim(s, [(m, plan.ticket_id) for plan in plans for m in plan.members])
    for plan in plans:
        for member in plan.members[1:]:
            mark_duplicate(member, plan.lead.state.series_uid, numbers_by_id[plan.ticket_id])
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


def mark_duplicate(item: _Series, lead_series: str, ticket_number: str) -> None:
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
    pipeline: AlertPipeline,
    s: TenantSession,
    ticket_id: uuid.UUID,
    items: list[_Series],
    now: datetime,
) -> None:
    _claim(s, [(item, ticket_id) for item in items])
    lead = s.conn.execute(
        sa.select(rmm_alerts.c.series_uid, tickets.c.ticket_number)
        .select_from(
            rmm_alerts.join(
                tickets,
                sa.and_(
                    tickets.c.tenant == rmm_alerts.c.tenant,
                    tickets.c.ticket_id == rmm_alerts.c.ticket_id,
                ),
            )
        )
        .where(
            rmm_alerts.c.tenant == s.tenant,
            rmm_alerts.c.ticket_id == ticket_id,
            rmm_alerts.c.rule_decision == rules_mod.TICKET,
        )
        .order_by(rmm_alerts.c.created_at)
        .limit(1)
    ).first()
    for item in items:
        mark_duplicate(item, lead.series_uid if lead else "?", lead.ticket_number if lead else "")
    assets_to_link = sorted({i.asset_id for i in items if i.asset_id}, key=str)
    if assets_to_link:
        ata = asset_ticket_associations
        have = set(
            s.conn.scalars(
                sa.select(ata.c.asset_id).where(
                    ata.c.tenant == s.tenant,
                    ata.c.ticket_id == ticket_id,
                    ata.c.asset_id.in_(assets_to_link),
                )
            )
        )
        rows = [
            {
                "tenant": s.tenant,
                "asset_id": a,
                "ticket_id": ticket_id,
                "created_by": pipeline.user_id,
                "created_at": now,
            }
            for a in assets_to_link
            if a not in have
        ]
        if rows:
            s.conn.execute(ata.insert(), rows)
    add_pipeline_comments(
        pipeline,
        s,
        [
            (
                ticket_id,
                f"Same condition on another device: {i.state.device_name or i.state.device_id}"
                f" ({i.state.severity or 'NONE'}, series {i.state.series_uid}).",
            )
            for i in items
        ],
        now,
    )
    at = rmm_alert_tickets
    s.conn.execute(
        at.update()
        .where(at.c.tenant == s.tenant, at.c.ticket_id == ticket_id)
        .values(series_count=at.c.series_count + len(items), last_alert_at=now)
    )


def add_pipeline_comments(
    pipeline: AlertPipeline,
    s: TenantSession,
    comments: list[tuple[uuid.UUID, str]],
    now: datetime | None = None,
) -> None:
    """Comments written by the pipeline: counted, so a person's comment can be told apart."""
    if not comments:
        return
    now = now or utcnow()
    s.conn.execute(
        ticket_comments.insert(),
        [
            {
                "tenant": s.tenant,
                "comment_id": uuid.uuid4(),
                "ticket_id": ticket_id,
                "author_id": pipeline.user_id,
                "body": body,
                "is_internal": True,
                "created_at": now,
            }
            for ticket_id, body in comments
        ],
    )
    counts: dict[uuid.UUID, int] = {}
    for ticket_id, _ in comments:
        counts[ticket_id] = counts.get(ticket_id, 0) + 1
    at = rmm_alert_tickets
    ordered = sorted(counts, key=str)  # ticket rows in id order: the batch lock order
    s.conn.execute(
        tickets.update()
        .where(tickets.c.tenant == s.tenant, tickets.c.ticket_id == sa.bindparam("b_ticket"))
        .values(updated_at=now),
        [{"b_ticket": t} for t in ordered],
    )
    s.conn.execute(
        at.update()
        .where(at.c.tenant == s.tenant, at.c.ticket_id == sa.bindparam("b_ticket"))
        .values(pipeline_comments=at.c.pipeline_comments + sa.bindparam("b_count")),
        [{"b_ticket": t, "b_count": counts[t]} for t in ordered],
    )


def follow_up(
    pipeline: AlertPipeline,
    s: TenantSession,
    locked: dict[str, _Series],
    result: IngestResult,
    resolved_by: str | None = None,
) -> None:
    """After write-back: comments for repeats / resets / re-triggers; auto-resolve tickets."""
    comments: list[tuple[uuid.UUID, str]] = []
    resolved_tickets: set[uuid.UUID] = set()
    reopened: set[uuid.UUID] = set()
    for item in locked.values():
        if item.ticket_id is None:
            continue
        fresh = item.new_decision is not None  # ticket made in this batch: its body says it all
        ordered = sorted(item.events, key=series_mod.fold_order)
        for t, ev in zip(item.transitions, ordered, strict=False):
            if t.acknowledged:
                where = "NinjaDesk" if ev.source == "user" else "NinjaOne"
                comments.append((item.ticket_id, f"Alert acknowledged in {where}."))
            if t.repeated and not fresh:
                comments.append(
                    (
                        item.ticket_id,
                        f"Triggered again in NinjaOne "
                        f"({t.after.repeat_count} repeat(s)): {t.after.message or ''}",
                    )
                )
            elif t.opened and t.before.exists and not fresh:
                comments.append(
                    (item.ticket_id, "The condition triggered again after it had reset.")
                )
                if item.state.is_open:
                    reopened.add(item.ticket_id)
            if t.resolved:
                who = f" by {resolved_by}" if resolved_by else ""
                comments.append(
                    (
                        item.ticket_id,
                        f"Alert resolved{who} "
                        f"({t.after.resolved_reason or 'reset'}) at "
                        f"{_fmt_time(t.after.resolved_at)}.",
                    )
                )
                resolved_tickets.add(item.ticket_id)
        if (
            fresh
            and item.state.status == series_mod.RESOLVED
            and not any(t.resolved for t in item.transitions)
        ):
            # Created for a series whose RESET was already known (out-of-order delivery).
            comments.append(
                (
                    item.ticket_id,
                    f"The alert had already reset "
                    f"({item.state.resolved_reason or 'reset'}) when this ticket was "
                    "made.",
                )
            )
            resolved_tickets.add(item.ticket_id)
    add_pipeline_comments(pipeline, s, comments)
    result.comments += len(comments)
    if resolved_tickets:
        result.tickets_auto_resolved += auto_resolve(pipeline, s, resolved_tickets)
    if reopened:
        reopen_auto_resolved(s, reopened)


def reopen_auto_resolved(s: TenantSession, ticket_ids: set[uuid.UUID]) -> None:
    """A ticket the pipeline closed comes back when its alert triggers again; one a person
    closed stays closed (the comment tells them)."""
    at, t = rmm_alert_tickets, tickets
    ids = sorted(ticket_ids, key=str)
    rows = s.conn.execute(
        sa.select(at.c.ticket_id, at.c.created_status_id).where(
            at.c.tenant == s.tenant,
            at.c.ticket_id.in_(ids),
            at.c.auto_resolved_at.is_not(None),
        )
    ).all()
    if not rows:
        return
    now = utcnow()
    params = [{"b_ticket": r.ticket_id, "b_status": r.created_status_id} for r in rows]
    s.conn.execute(
        t.update()
        .where(t.c.tenant == s.tenant, t.c.ticket_id == sa.bindparam("b_ticket"))
        .values(status_id=sa.bindparam("b_status"), closed_at=None, updated_at=now),
        params,
    )
    s.conn.execute(
        at.update()
        .where(at.c.tenant == s.tenant, at.c.ticket_id == sa.bindparam("b_ticket"))
        .values(auto_resolved_at=None),
        [{"b_ticket": r.ticket_id} for r in rows],
    )


def auto_resolve(pipeline: AlertPipeline, s: TenantSession, ticket_ids: set[uuid.UUID]) -> int:
    """Close each ticket whose alerts have all resolved, if no person has touched it."""
    at, t = rmm_alert_tickets, tickets
    ids = sorted(ticket_ids, key=str)
    rows = s.conn.execute(
        sa.select(
            at.c.ticket_id,
            at.c.created_status_id,
            at.c.pipeline_comments,
            at.c.auto_resolve,
            t.c.status_id,
            t.c.closed_at,
        )
        .select_from(
            at.join(t, sa.and_(t.c.tenant == at.c.tenant, t.c.ticket_id == at.c.ticket_id))
        )
        .where(at.c.tenant == s.tenant, at.c.ticket_id.in_(ids))
    ).all()
    if not rows:
        return 0
    comment_counts = dict(
        s.conn.execute(
            sa.select(ticket_comments.c.ticket_id, sa.func.count())
            .where(ticket_comments.c.tenant == s.tenant, ticket_comments.c.ticket_id.in_(ids))
            .group_by(ticket_comments.c.ticket_id)
        ).all()
    )
    still_open = set(
        s.conn.scalars(
            sa.select(rmm_alerts.c.ticket_id)
            .where(
                rmm_alerts.c.tenant == s.tenant,
                rmm_alerts.c.ticket_id.in_(ids),
                rmm_alerts.c.status != series_mod.RESOLVED,
            )
            .distinct()
        )
    )
    _default, closed = _Lookups(s).status_ids()
    now = utcnow()
    to_close: list[dict[str, Any]] = []
    notes: list[tuple[uuid.UUID, str]] = []
    for r in sorted(rows, key=lambda r: str(r.ticket_id)):
        if r.ticket_id in still_open or r.closed_at is not None or not r.auto_resolve:
            continue
        touched = (
            r.status_id != r.created_status_id
            or comment_counts.get(r.ticket_id, 0) != r.pipeline_comments
        )
        if touched:
            notes.append(
                (
                    r.ticket_id,
                    "The alert reset, but this ticket was changed by a "
                    "person, so it stays open for them to close.",
                )
            )
            continue
        to_close.append({"b_ticket": r.ticket_id})
    if to_close:
        s.conn.execute(
            t.update()
            .where(
                t.c.tenant == s.tenant,
                t.c.ticket_id == sa.bindparam("b_ticket"),
                t.c.closed_at.is_(None),
            )
            .values(status_id=closed, closed_at=now, updated_at=now),
            to_close,
        )
        s.conn.execute(
            at.update()
            .where(at.c.tenant == s.tenant, at.c.ticket_id == sa.bindparam("b_ticket"))
            .values(auto_resolved_at=now),
            to_close,
        )
    closed_count = len(to_close)
    if notes:
        add_pipeline_comments(pipeline, s, notes, now)
    return closed_count
