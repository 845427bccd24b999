"""The alert pipeline: NinjaOne alert news in, `rmm_alerts` state, decisions and tickets out.

    pipeline = AlertPipeline(psa, tenant, integration_id, ninjaone_url="https://eu.ninjarmm.com")
    pipeline.ingest_activities([activity, ...])    # parsed webhooks (relay -> agent -> here)
    pipeline.reconcile([alert, ...], observed_at)   # parsed /v2/alerts (polling)

One entry point for every source. Events are folded per series (core/alert_series.py) inside
one transaction per batch:

1. insert the series rows that are new (ON CONFLICT DO NOTHING), then lock every series of the
   batch (`SELECT ... FOR UPDATE`, in uid order so two batches never deadlock);
2. fold the events into each series' state; stale and replayed events change nothing;
3. decide once per series, when its trigger is first known (core/alert_rules.py);
4. create tickets (psa/tickets.py: Alga's numbering, board, thread note, asset link, history
   and TICKET_CREATED) and claim each series with `UPDATE rmm_alerts SET ticket_id = :t WHERE
   ... AND ticket_id IS NULL`; a claim that finds a ticket already set aborts the batch. With
   the row lock held this never fires, but the database (rmm_alerts' UNIQUE (tenant,
   integration_id, external_alert_id) and that conditional update), not this process, is what
   guarantees one ticket per series, whoever else writes rmm_alerts;
5. comment on repeats and resets, close untouched tickets when their alert resets
   (TICKET_CLOSED);
6. publish `rmm.alert.*` events (outbox + in-process bus after commit); Alga's bus events go
   out after commit through alga_events.py when an Alga Redis is configured.

State lives in Alga's `rmm_alerts` (external_alert_id = the series uid, Alga's severity and
status words, dedup_key, occurrence_count, matched_rule_id, ...) plus NinjaDesk's
`ninjadesk_alert_series` beside it (newest activity applied, decision and why).

In companion mode (Alga's own NinjaOne integration makes the alert tickets) the pipeline
records nothing: `ingest` is the one entry point and returns at once.

Any number of desktops and agents may run this at once against the same PSA database.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa

from ninja_desk.core import alert_rules as rules_mod
from ninja_desk.core import alert_series as series_mod
from ninja_desk.core.activities import Activity, Alert
from ninja_desk.core.alert_rules import AlertFacts, Decision, Rule
from ninja_desk.core.alert_series import AlertEvent, SeriesState
from ninja_desk.core.maintenance_windows import MaintenanceWindow, open_window
from ninja_desk.ninjaone.parsers import MalformedRecord, parse_activity
from ninja_desk.psa import alert_rules as psa_rules
from ninja_desk.psa import alga_events, outbox
from ninja_desk.psa import maintenance_windows as psa_windows
from ninja_desk.psa.bulk import dialect_insert
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.integration_settings import (
    SEVERITIES,
    IntegrationSettings,
    load_settings,
    priority_for,
)
from ninja_desk.psa.permissions import ACT_ALERTS, current_user_permissions, require
from ninja_desk.psa.schema import (
    assets,
    ninjadesk_alert_series,
    priorities,
    rmm_alerts,
    rmm_organization_mappings,
)
from ninja_desk.psa.tenancy import PsaDatabase, TenantSession
from ninja_desk.sync import alert_tickets
from ninja_desk.sync.alert_batch import (
    BatchContext,
    IngestResult,
    SeriesOutcome,
    SeriesWork,
    as_int,
    as_uuid,
)

log = logging.getLogger(__name__)

ALERT_RECEIVED = "rmm.alert.received"
ALERT_ACKNOWLEDGED = "rmm.alert.acknowledged"
ALERT_RESOLVED = "rmm.alert.resolved"
ALERT_TICKET_CREATED = "rmm.alert.ticket_created"

COMPANION_MODE = (
    "NinjaDesk runs as a companion here: Alga's own NinjaOne integration records alerts and "
    "makes their tickets, so this pipeline records nothing."
)
_RETRYABLE_PG = ("40P01", "40001")  # deadlock_detected, serialization_failure

DeviceLookup = Callable[[Sequence[int]], dict[int, dict[str, Any]]]


class _LostInsertRace(Exception):
    """Another batch inserted one of our new series first; redo the batch."""


class AlertPipeline:
    def __init__(
        self,
        psa: PsaDatabase,
        tenant: uuid.UUID,
        integration_id: uuid.UUID,
        *,
        user_id: uuid.UUID | None = None,
        ninjaone_url: str = "",
        device_lookup: DeviceLookup | None = None,
        batch_size: int = 250,
        config_ttl: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.psa = psa
        self.tenant = tenant
        self.integration_id = integration_id
        self._user_id = user_id
        self.ninjaone_url = ninjaone_url.rstrip("/")
        self.device_lookup = device_lookup
        self.batch_size = batch_size
        self.clock = clock
        # Rules, windows, org mapping and the acting user's rights change rarely; re-reading
        # them for every webhook would double its cost. Changes apply within `config_ttl` s.
        self.config_ttl = config_ttl
        self._cached: dict[str, tuple[float, Any]] = {}

    # -- the acting user -------------------------------------------------------------------

    @property
    def user_id(self) -> uuid.UUID | None:
        """Who the pipeline acts as: the given person, else None (the system: tickets with
        entered_by NULL, notes by nobody, as Alga's own RMM tickets)."""
        return self._user_id

    def settings(self, s: TenantSession) -> IntegrationSettings:
        return self.cached("settings", lambda: load_settings(s, self.integration_id))

    # -- entry points ----------------------------------------------------------------------

    def ingest_activities(
        self, activities: Iterable[Activity], source: str = "webhook"
    ) -> IngestResult:
        """Parsed activities (webhooks, `/v2/activities`); those of no alert series are
        skipped."""
        events = [e for a in activities if (e := series_mod.event_from_activity(a, source))]
        return self.ingest(events)

    def ingest_payloads(
        self, payloads: Iterable[dict[str, Any]], source: str = "webhook"
    ) -> IngestResult:
        """Webhook bodies as NinjaOne sends them (tests, benches, tools): parsed by the one
        NinjaOne parser, then `ingest_activities`. Unreadable ones are skipped."""
        activities = []
        for payload in payloads:
            try:
                activities.append(parse_activity(payload))
            except MalformedRecord as exc:
                log.warning("Ignored an alert event NinjaDesk cannot read: %s", exc)
        return self.ingest_activities(activities, source)

    def reconcile(self, alerts: Sequence[Alert], observed_at: float | None = None) -> IngestResult:
        """Apply a parsed `/v2/alerts` answer fetched at `observed_at`: listed series are
        active, open series it no longer lists are resolved (unless something newer happened
        since)."""
        observed_at = observed_at if observed_at is not None else self.clock()
        events = [series_mod.event_from_alert(a, observed_at) for a in alerts]
        return self.ingest(events, vanish_unlisted_at=observed_at)

    def _vanished(self, listed: set[str], observed_at: float) -> list[AlertEvent]:
        with self.psa.tenant_session(self.tenant, self.user_id) as s:
            open_uids = s.conn.scalars(
                sa.select(rmm_alerts.c.external_alert_id).where(
                    rmm_alerts.c.tenant == self.tenant,
                    rmm_alerts.c.integration_id == self.integration_id,
                    rmm_alerts.c.status.in_(_OPEN_ALGA),
                )
            ).all()
        return [
            AlertEvent(uid, series_mod.VANISHED, None, observed_at, source="poll")
            for uid in sorted(set(open_uids) - listed)
        ]

    def is_companion(self) -> bool:
        """Companion mode, read once per `config_ttl`; also attaches Alga's event publisher
        when an Alga Redis is configured (events then go out after every commit)."""
        hit = self._cached.get("settings")
        if hit is not None and time.monotonic() - hit[0] < self.config_ttl:
            return hit[1].is_companion  # fresh: no extra transaction per webhook
        with self.psa.tenant_session(self.tenant, self.user_id, readonly=True) as s:
            settings = self.settings(s)
        if settings.alga_redis_url:
            try:
                alga_events.ensure_publisher(self.psa, settings)
            except Exception as exc:  # the outbox keeps the events until Redis is reachable
                log.warning("Alga's Redis publisher could not start (%s).", exc)
        return settings.is_companion

    def ingest(
        self,
        events: Sequence[AlertEvent],
        *,
        manual_ticket: str | None = None,
        vanish_unlisted_at: float | None = None,
    ) -> IngestResult:
        """Fold `events` into their series. `manual_ticket`: a series a person asked a ticket
        for (AlertService.create_ticket), whatever the rules decided. `vanish_unlisted_at`: a
        poll's time; open series it did not list are resolved."""
        if self.is_companion():
            return IngestResult(skipped=COMPANION_MODE)
        if vanish_unlisted_at is not None:
            listed = {e.series_uid for e in events}
            events = [*events, *self._vanished(listed, vanish_unlisted_at)]
        total = IngestResult()
        by_series: dict[str, list[AlertEvent]] = {}
        for ev in events:
            by_series.setdefault(ev.series_uid, []).append(ev)
        uids = sorted(by_series)
        for start in range(0, len(uids), self.batch_size):
            part = {u: by_series[u] for u in uids[start : start + self.batch_size]}
            total.add(self._with_retry(part, manual_ticket))
        return total

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self._cached.get(key)
        if hit is not None and now - hit[0] < self.config_ttl:
            return hit[1]
        value = load()
        self._cached[key] = (now, value)
        return value

    def _with_retry(self, part: dict[str, list[AlertEvent]], manual: str | None) -> IngestResult:
        for attempt in range(8):
            try:
                with self.psa.tenant_session(self.tenant, self.user_id) as s:
                    s.permission_cache = self.cached("rights", partial(current_user_permissions, s))
                    return self._batch(s, part, manual)
            except (_LostInsertRace, alert_tickets.TicketClaimConflict) as exc:
                # Someone else got there first: roll back, read what they wrote, redo.
                if attempt == 7:
                    raise
                log.info("Alert batch lost a race (%s); redoing it.", exc or "insert")
                continue
            except sa.exc.OperationalError as exc:
                code = getattr(getattr(exc, "orig", None), "sqlstate", None)
                if code not in _RETRYABLE_PG or attempt == 7:
                    raise
                log.info("Alert batch hit %s; retrying (%d).", code, attempt + 1)
                time.sleep(0.02 * (attempt + 1))
        raise AssertionError("unreachable")

    # -- one batch -------------------------------------------------------------------------

    def _batch(
        self, s: TenantSession, part: dict[str, list[AlertEvent]], manual: str | None
    ) -> IngestResult:
        require(s, ACT_ALERTS)
        result = IngestResult(events=sum(len(v) for v in part.values()))
        locked = self._lock_series(s, part)
        for uid, item in locked.items():
            # In the order they are folded: transitions[i] is what events[i] did.
            item.events = sorted(part[uid], key=series_mod.fold_order)
            item.transitions = series_mod.fold(item.state, item.events)
            if item.transitions:
                item.state = item.transitions[-1].after
            for t in item.transitions:
                result.stale += t.stale
                result.opened += t.opened
                result.repeats += t.repeated
                result.resolved += t.resolved
                result.acknowledged += t.acknowledged
        context = self._context(s, locked)
        for item in locked.values():
            context.attach_device(item)
            # An alert of an unmapped (or not yet synced) organization is decided again on
            # its next event while open: map the org, and the next poll makes the ticket.
            redecide = item.decision == rules_mod.UNMAPPED and item.state.is_open
            if (item.decision is None or redecide) and item.state.seen_trigger:
                item.new_decision = context.decide(item)
                result.decided += 1
            elif item.decision is None:
                item.explanation = json.dumps(
                    {
                        "outcome": "pending",
                        "reason": "Only the reset of this alert has arrived; "
                        "the decision waits for its trigger.",
                    }
                )
        for uid, item in locked.items():
            self._user_acts(uid, item, manual, context)
        self._insert_new(s, locked)
        alert_tickets.apply_ticket_effects(s, context, locked, result)
        self._write_back(s, locked, context)
        alert_tickets.follow_up(s, context, locked, result)
        self._publish(s, locked)
        context.load_ticket_numbers(s, [i.ticket_id for i in locked.values() if i.ticket_id])
        for uid, item in locked.items():
            result.outcomes[uid] = SeriesOutcome(
                uid,
                item.alert_id,
                item.state.status,
                item.state.severity,
                item.state.device_id,
                json.loads(item.explanation) if item.explanation else None,
                item.ticket_id,
                context.ticket_numbers.get(item.ticket_id) if item.ticket_id else None,
            )
        return result

    def _user_acts(
        self, uid: str, item: SeriesWork, manual: str | None, context: BatchContext
    ) -> None:
        for t, ev in zip(item.transitions, item.events, strict=True):
            if ev.kind == series_mod.USER_ACK and t.acknowledged:
                item.acknowledged_by = self.user_id
            if ev.kind == series_mod.USER_RESOLVE and t.resolved:
                item.resolved_by = self.user_id
        if uid != manual or item.ticket_id is not None:
            return
        if item.client_id is None:
            raise NotFound(
                f"NinjaOne organization {item.state.organization_id} is not mapped to a PSA "
                "client, so the ticket has no client; map it in Settings → Organization mapping."
            )
        before = json.loads(item.explanation) if item.explanation else {}
        priority = rules_mod.ticket_priority_for(item.state.severity, context.severity_names)
        item.new_decision = Decision(
            rules_mod.MANUAL,
            "A technician created the ticket by hand"
            + (f" (the rules had decided: {before.get('reason')})" if before.get("reason") else "")
            + ".",
            None,
            priority,
        )
        item.decision = rules_mod.MANUAL
        item.explanation = json.dumps(item.new_decision.as_json())
        item.rule_id = None

    def _lock_series(
        self, s: TenantSession, part: dict[str, list[AlertEvent]]
    ) -> dict[str, SeriesWork]:
        """Lock and read the series that exist; new ones start blank and are inserted, fully
        formed, by `_insert_new` (one write per new series instead of insert + update)."""
        uids = sorted(part)
        t = rmm_alerts
        st = ninjadesk_alert_series
        query = (
            sa.select(
                t.c.alert_id,
                t.c.external_alert_id,
                t.c.status,
                t.c.severity,
                t.c.priority,
                t.c.external_device_id,
                t.c.asset_id,
                t.c.activity_type,
                t.c.source_type,
                t.c.alert_class,
                t.c.message,
                t.c.device_name,
                t.c.triggered_at,
                t.c.acknowledged_at,
                t.c.resolved_at,
                t.c.ticket_id,
                t.c.matched_rule_id,
                t.c.acknowledged_by,
                t.c.metadata,
                t.c.dedup_key,
                t.c.occurrence_count,
                t.c.last_occurrence_at,
                t.c.auto_ticket_created,
                t.c.suppressed_by_window_id,
                st.c.alert_id.label("series_row"),
                st.c.last_activity_id,
                st.c.last_event_time,
                st.c.repeat_count,
                st.c.severity_known,
                st.c.status_from_activity,
                st.c.resolved_reason,
                st.c.condition_name,
                st.c.external_organization_id,
                st.c.node_class,
                st.c.client_id,
                st.c.rmm_user_id,
                st.c.rule_decision,
                st.c.rule_explanation,
                st.c.source_payload,
            )
            .select_from(
                t.outerjoin(st, sa.and_(st.c.tenant == t.c.tenant, st.c.alert_id == t.c.alert_id))
            )
            .where(
                t.c.tenant == s.tenant,
                t.c.integration_id == self.integration_id,
                t.c.external_alert_id.in_(uids),
            )
            .order_by(t.c.external_alert_id)
        )
        if s.is_postgres:
            # Lock first, read after, in two statements. A locking SELECT that waits for another
            # batch returns the new version of the locked row but joins it with the *old*
            # snapshot of ninjadesk_alert_series (READ COMMITTED re-checks only the locked row),
            # so the stale-event check would run against a stale activity id.
            s.conn.execute(
                sa.select(t.c.alert_id)
                .where(
                    t.c.tenant == s.tenant,
                    t.c.integration_id == self.integration_id,
                    t.c.external_alert_id.in_(uids),
                )
                .order_by(t.c.external_alert_id)
                .with_for_update()
            ).all()
        out: dict[str, SeriesWork] = {}
        for r in s.conn.execute(query):
            meta = dict(r.metadata or {})
            known = r.series_row is not None
            state = SeriesState(
                series_uid=r.external_alert_id,
                status=from_alga_status(r.status),
                exists=True,
                last_activity_id=r.last_activity_id or 0,
                last_event_time=r.last_event_time or 0.0,
                # A row Alga's own integration wrote (no series row) has a real severity.
                severity=r.severity.upper() if (r.severity_known or not known) else None,
                severity_known=bool(r.severity_known) or not known,
                priority=r.priority.upper() if r.priority and r.priority != "none" else None,
                device_id=as_int(r.external_device_id),
                message=r.message,
                activity_type=r.activity_type,
                status_code=meta.get("statusCode"),
                source_type=r.source_type,
                condition_name=r.condition_name,
                organization_id=as_int(r.external_organization_id),
                node_class=r.node_class,
                device_name=r.device_name,
                triggered_at=_ts(r.triggered_at),
                acknowledged_at=_ts(r.acknowledged_at),
                resolved_at=_ts(r.resolved_at),
                resolved_reason=r.resolved_reason,
                repeat_count=r.repeat_count if known else max(0, (r.occurrence_count or 1) - 1),
                status_from_activity=bool(r.status_from_activity),
            )
            out[r.external_alert_id] = SeriesWork(
                alert_id=r.alert_id,
                state=state,
                has_series_row=known,
                ticket_id=r.ticket_id,
                decision=r.rule_decision,
                explanation=r.rule_explanation,
                rule_id=r.matched_rule_id,
                asset_id=r.asset_id,
                client_id=r.client_id,
                acknowledged_by=r.acknowledged_by,
                resolved_by=as_uuid(meta.get("resolvedBy")),
                source_payload=dict(r.source_payload or {}),
                metadata=meta,
                window_id=r.suppressed_by_window_id,
                auto_ticket=bool(r.auto_ticket_created),
                last_occurrence_at=_ts(r.last_occurrence_at),
                original={**dict(r._mapping), "b_alert_id": r.alert_id},
            )
            if not known and r.ticket_id is not None and r.rule_decision is None:
                # Ticketed by someone else (Alga's own integration, or by hand in Alga).
                out[r.external_alert_id].decision = rules_mod.MANUAL
        for uid in uids:
            if uid not in out and any(e.kind != series_mod.VANISHED for e in part[uid]):
                out[uid] = SeriesWork(uuid.uuid4(), SeriesState(uid), is_new=True)
        return out

    def _insert_new(self, s: TenantSession, locked: dict[str, SeriesWork]) -> None:
        """Insert the batch's new series; if another writer inserted one of them meanwhile
        (the insert waited for it), start the batch over: it will read theirs."""
        new = [i for i in locked.values() if i.is_new]
        if not new:
            return
        now = utcnow()
        rows = []
        for item in new:
            row = self._alert_row(item, now)
            row.pop("b_alert_id")
            rows.append(
                {
                    "tenant": s.tenant,
                    "alert_id": item.alert_id,
                    "integration_id": self.integration_id,
                    "external_alert_id": item.state.series_uid,
                    "created_at": now,
                    **row,
                }
            )
        t = rmm_alerts
        stmt = (
            dialect_insert(s.conn, t)
            .values(rows)
            .on_conflict_do_nothing(
                index_elements=["tenant", "integration_id", "external_alert_id"]
            )
            .returning(t.c.external_alert_id)
        )
        inserted = set(s.conn.scalars(stmt))
        if len(inserted) != len(rows):
            raise _LostInsertRace()
        for item, row in zip(new, rows, strict=True):
            # From here on it is an existing row: later changes in this batch (a storm member
            # marked duplicate) are written back like any other.
            item.original = {**row, "b_alert_id": item.alert_id}
            item.is_new = False

    def _alert_row(self, item: SeriesWork, now: datetime) -> dict[str, Any]:
        """The rmm_alerts columns, in Alga's words."""
        st = item.state
        meta = dict(item.metadata)
        meta["source"] = "ninjadesk"
        if st.status_code:
            meta["statusCode"] = st.status_code
        if item.resolved_by is not None:
            meta["resolvedBy"] = str(item.resolved_by)
        status = to_alga_status(st.status)
        if status == "active" and item.decision == rules_mod.MAINTENANCE and item.window_id:
            status = "suppressed"
        return {
            "b_alert_id": item.alert_id,
            # Alga's column is NOT NULL: an unknown severity is stored as its lowest word,
            # and ninjadesk_alert_series.severity_known says it was not reported.
            "severity": _alga_word(st.severity, SEVERITIES, "none"),
            "priority": _alga_word(st.priority, None, "none")[:20],
            "status": status,
            "activity_type": st.activity_type,
            "source_type": (st.source_type or "")[:50] or None,
            "alert_class": rules_mod.alert_class_of(st.condition_name),
            "message": st.message,
            "device_name": st.device_name,
            "external_device_id": str(st.device_id) if st.device_id is not None else None,
            "asset_id": item.asset_id,
            "triggered_at": _dt(st.triggered_at),
            "acknowledged_at": _dt(st.acknowledged_at),
            "acknowledged_by": item.acknowledged_by,
            "resolved_at": _dt(st.resolved_at),
            "metadata": meta,
            "dedup_key": dedup_key(st),
            "occurrence_count": 1 + st.repeat_count,
            "last_occurrence_at": _dt(item.last_occurrence_at or st.triggered_at),
            "matched_rule_id": item.rule_id,
            "auto_ticket_created": item.auto_ticket,
            "suppressed_by_window_id": item.window_id,
            "updated_at": now,
        }

    def _write_back(
        self, s: TenantSession, locked: dict[str, SeriesWork], context: BatchContext
    ) -> None:
        now = utcnow()
        alert_rows: list[dict[str, Any]] = []
        new_series: list[dict[str, Any]] = []
        old_series: list[dict[str, Any]] = []
        for item in locked.values():
            st = item.state
            for t, ev in zip(item.transitions, item.events, strict=True):
                if (t.opened or t.repeated) and ev.event_time:
                    item.last_occurrence_at = max(item.last_occurrence_at or 0.0, ev.event_time)
            alert_row = self._alert_row(item, now)
            if _changed(item.original, alert_row, ("updated_at", "b_alert_id")):
                alert_rows.append(alert_row)
            rmm_user = next((e.rmm_user_id for e in item.events if e.rmm_user_id), None)
            values = {
                "last_activity_id": st.last_activity_id,
                "last_event_time": st.last_event_time,
                "repeat_count": st.repeat_count,
                "severity_known": st.severity_known,
                "status_from_activity": st.status_from_activity,
                "resolved_reason": st.resolved_reason,
                "condition_name": (st.condition_name or "")[:255] or None,
                "external_organization_id": str(st.organization_id)
                if st.organization_id is not None
                else None,
                "node_class": st.node_class,
                "client_id": item.client_id,
                "rmm_user_id": rmm_user
                if rmm_user is not None
                else (item.original or {}).get("rmm_user_id"),
                "rule_decision": item.decision,
                "rule_explanation": item.explanation,
                "source_payload": self._payload(item),
                "updated_at": now,
            }
            if item.has_series_row:
                if _changed(item.original, values, ("updated_at",)):
                    old_series.append({"b_alert_id": item.alert_id, **values})
            else:
                item.has_series_row = True
                new_series.append(
                    {
                        "tenant": s.tenant,
                        "alert_id": item.alert_id,
                        "integration_id": self.integration_id,
                        "series_uid": st.series_uid,
                        **values,
                    }
                )
        _update_by_alert_id(s, rmm_alerts, alert_rows)
        if new_series:
            s.conn.execute(ninjadesk_alert_series.insert(), new_series)
        _update_by_alert_id(s, ninjadesk_alert_series, old_series)

    @staticmethod
    def _payload(item: SeriesWork) -> dict[str, Any]:
        """The newest applied activity as parsed (for explain and support): what NinjaOne
        said, without the fields it left out."""
        st = item.state
        ordered = sorted(item.events, key=lambda e: e.order_key, reverse=True)
        newest = next(
            (e.origin for e in ordered if e.origin and e.activity_id == st.last_activity_id),
            None,
        ) or next((e.origin for e in ordered if e.origin), None)
        if newest is None:
            return item.source_payload
        return {k: v for k, v in asdict(newest).items() if v not in (None, "", {}, [])}

    def _publish(self, s: TenantSession, locked: dict[str, SeriesWork]) -> None:
        for uid, item in locked.items():
            base = {
                "integration_id": str(self.integration_id),
                "series_uid": uid,
                "alert_id": str(item.alert_id),
                "severity": item.state.severity,
                "device_id": item.state.device_id,
                "ticket_id": str(item.ticket_id) if item.ticket_id else None,
            }
            for t, ev in zip(item.transitions, item.events, strict=True):
                by = "ninjadesk" if ev.source == "user" else "ninjaone"
                if t.opened or t.repeated:
                    outbox.publish(
                        s, ALERT_RECEIVED, {**base, "repeat": t.repeated, "status": "active"}
                    )
                if t.acknowledged:
                    outbox.publish(s, ALERT_ACKNOWLEDGED, {**base, "by": by})
                if t.resolved:
                    outbox.publish(
                        s, ALERT_RESOLVED, {**base, "by": by, "reason": t.after.resolved_reason}
                    )

    def _context(self, s: TenantSession, locked: dict[str, SeriesWork]) -> BatchContext:
        """What the batch loads once (rules, windows, mapping, assets, device facts)."""
        pipeline = self
        device_ids = sorted(
            {i.state.device_id for i in locked.values() if i.state.device_id is not None}
        )
        asset_rows: dict[str, dict[str, Any]] = {}
        if device_ids:
            a = assets
            for r in s.conn.execute(
                sa.select(
                    a.c.asset_id,
                    a.c.client_id,
                    a.c.name,
                    a.c.rmm_device_id,
                    a.c.rmm_organization_id,
                    a.c.asset_type,
                )
                .where(
                    a.c.tenant == s.tenant,
                    a.c.rmm_provider == "ninjaone",
                    a.c.rmm_device_id.in_([str(d) for d in device_ids]),
                )
                .order_by(a.c.status != "active", a.c.updated_at.desc())
            ):
                asset_rows.setdefault(r.rmm_device_id, dict(r._mapping))
        devices: dict[int, dict[str, Any]] = {}
        if pipeline.device_lookup is not None and device_ids:
            try:
                devices = pipeline.device_lookup(device_ids)
            except Exception:  # the cache is a convenience; never fail the batch on it
                log.exception("Device lookup for alerts failed")
        needs_rules = any(
            i.decision is None or i.decision == rules_mod.UNMAPPED for i in locked.values()
        )
        ids = pipeline.cached("severity_priorities", lambda: pipeline.severity_priorities(s))
        names = pipeline.cached("priority_names", lambda: pipeline._priority_names(s))
        return BatchContext(
            integration_id=pipeline.integration_id,
            user_id=pipeline.user_id,
            ninjaone_url=pipeline.ninjaone_url,
            rules=pipeline.cached("rules", lambda: pipeline.load_rules(s)) if needs_rules else [],
            windows=pipeline.cached("windows", lambda: pipeline.load_windows(s))
            if needs_rules
            else [],
            client_of_org=pipeline.cached(
                "mappings", lambda: _client_of_org(s, pipeline.integration_id)
            ),
            assets_by_device=asset_rows,
            devices=devices,
            now=pipeline.clock(),
            settings=pipeline.settings(s),
            severity_priority_ids=ids,
            severity_names={k: names.get(str(v), str(v)) for k, v in ids.items()},
        )

    # -- decisions after the fact ----------------------------------------------------------

    def load_rules(self, s: TenantSession) -> list[Rule]:
        names = self._priority_names(s)
        return [psa_rules.to_core(r, names) for r in psa_rules.list_rules(s, self.integration_id)]

    def load_windows(self, s: TenantSession) -> list[MaintenanceWindow]:
        return psa_windows.load_windows(s, self.integration_id)

    def _priority_names(self, s: TenantSession) -> dict[str, str]:
        p = priorities.c
        return {
            str(pid): name
            for pid, name in s.conn.execute(
                sa.select(p.priority_id, p.priority_name).where(p.tenant == s.tenant)
            )
        }

    def severity_priorities(self, s: TenantSession) -> dict[str, uuid.UUID]:
        """NinjaOne severity (upper case) -> the tenant's priority id (integration settings)."""
        settings = self.settings(s)
        return {sev.upper(): priority_for(s, settings, sev) for sev in SEVERITIES}

    def test_rule(self, rule: Rule, days: float = 7.0, limit: int = 5000) -> list[dict[str, Any]]:
        """What `rule` would have done to the alerts stored in the last `days` days, in the
        order they triggered; only alerts it matches are returned (a rule editor preview)."""
        since = datetime.fromtimestamp(self.clock(), UTC) - timedelta(days=days)
        t, st = rmm_alerts, ninjadesk_alert_series
        with self.psa.tenant_session(self.tenant, self.user_id) as s:
            client_of_org = _client_of_org(s, self.integration_id)
            windows = self.load_windows(s)
            names = self._priority_names(s)
            default_map = {
                k: names.get(str(v), str(v)) for k, v in self.severity_priorities(s).items()
            }
            rows = s.conn.execute(
                sa.select(
                    t.c.external_alert_id,
                    t.c.severity,
                    t.c.activity_type,
                    t.c.metadata,
                    t.c.message,
                    t.c.external_device_id,
                    t.c.triggered_at,
                    t.c.source_type,
                    t.c.alert_class,
                    t.c.device_name,
                    st.c.condition_name,
                    st.c.external_organization_id,
                    st.c.node_class,
                )
                .select_from(
                    t.outerjoin(
                        st, sa.and_(st.c.tenant == t.c.tenant, st.c.alert_id == t.c.alert_id)
                    )
                )
                .where(
                    t.c.tenant == s.tenant,
                    t.c.integration_id == self.integration_id,
                    t.c.triggered_at >= since,
                )
                .order_by(t.c.triggered_at)
                .limit(limit)
            ).all()
        out = []
        probe = replace(rule, enabled=True)
        for r in rows:
            client = client_of_org.get(r.external_organization_id or "")
            facts = AlertFacts(
                series_uid=r.external_alert_id,
                severity=(r.severity or "none").upper(),
                activity_type=r.activity_type,
                source_type=r.source_type,
                status_code=(r.metadata or {}).get("statusCode"),
                organization_id=as_int(r.external_organization_id),
                client_id=str(client) if client else None,
                node_class=r.node_class,
                message=r.message,
                condition_name=r.condition_name,
                device_id=as_int(r.external_device_id),
                device_name=r.device_name,
                alert_class=r.alert_class,
            )
            if rules_mod.mismatch(probe, facts) is not None:
                continue
            at = r.triggered_at.timestamp() if r.triggered_at else self.clock()
            window = open_window(windows, at, facts.client_id, facts.device_id)
            decision = rules_mod.decide(
                [probe],
                facts,
                mapped=client is not None,
                window_name=window.name if window else None,
                default_map=default_map,
            )
            out.append(
                {
                    "series_uid": r.external_alert_id,
                    "triggered_at": at,
                    "severity": facts.severity,
                    "message": r.message,
                    "device_id": facts.device_id,
                    "would": decision.outcome,
                    "reason": decision.reason,
                    "priority": decision.priority,
                }
            )
        return out


def _alga_word(value: str | None, allowed: Sequence[str] | None, default: str) -> str:
    word = (value or default).lower()
    return word if allowed is None or word in allowed else default


def _update_by_alert_id(s: TenantSession, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE of `table` for rows keyed by "b_alert_id"."""
    if not rows:
        return
    s.conn.execute(
        table.update()
        .where(table.c.tenant == s.tenant, table.c.alert_id == sa.bindparam("b_alert_id"))
        .values({k: sa.bindparam(k) for k in rows[0] if k != "b_alert_id"}),
        rows,
    )


def _client_of_org(s: TenantSession, integration_id: uuid.UUID) -> dict[str, uuid.UUID]:
    m = rmm_organization_mappings.c
    return {
        org: client
        for org, client in s.conn.execute(
            sa.select(m.external_organization_id, m.client_id).where(
                m.tenant == s.tenant, m.integration_id == integration_id, m.client_id.is_not(None)
            )
        )
    }


# Alga's rmm_alerts status words <-> the series states of core/alert_series.py.
_OPEN_ALGA = ("active", "acknowledged", "suppressed")


def from_alga_status(status: str | None) -> str:
    if status in ("resolved", "auto_resolved"):
        return series_mod.RESOLVED
    if status == "acknowledged":
        return series_mod.ACKED
    return series_mod.ACTIVE  # active, suppressed (a window held its ticket back)


def to_alga_status(status: str) -> str:
    return {series_mod.ACKED: "acknowledged", series_mod.RESOLVED: "resolved"}.get(status, "active")


def dedup_key(state: SeriesState) -> str | None:
    """Alga's "<deviceId>|<statusCode or type>"."""
    if state.device_id is None:
        return None
    kind = state.status_code or state.source_type or state.activity_type or "?"
    return f"{state.device_id}|{kind}"[:255]


def _changed(original: dict[str, Any] | None, new: dict[str, Any], skip: tuple[str, ...]) -> bool:
    if original is None:
        return True
    for key, value in new.items():
        if key in skip:
            continue
        old = original.get(key)
        if isinstance(old, datetime) and isinstance(value, datetime):
            if abs((old - value).total_seconds()) > 1e-3:
                return True
        elif old != value:
            return True
    return False


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None
