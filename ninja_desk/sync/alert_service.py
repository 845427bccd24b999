"""The alert actions the UI calls (`ctx.alerts`): acknowledge, resolve, create ticket, explain.

    service = AlertService(pipeline, cache=cache, api=api, username="jdoe")
    await service.acknowledge(uid)
    await service.resolve(uid, reset_in_ninjaone=True)
    await service.create_ticket(uid)
    await service.explain(uid)

Every method is async and runs its database work with `asyncio.to_thread`, so the Qt loop never
waits on the PSA. Actions go through the pipeline's own batch (same locks, comments, events and
exactly-once ticket claim as the webhooks) acting as the technician's PSA user, and the result is
mirrored into the local cache for the offline UI.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ninja_desk.cache.store import LocalCache
from ninja_desk.core import alert_series as series_mod
from ninja_desk.core.alert_series import AlertEvent
from ninja_desk.ninjaone.api import NinjaOneApi
from ninja_desk.psa.errors import NotFound, PsaError
from ninja_desk.psa.permissions import ACT_ALERTS, VIEW_ALERTS, require
from ninja_desk.psa.schema import ninjadesk_alert_series, rmm_alerts, tickets
from ninja_desk.sync import alert_mirror
from ninja_desk.sync.alert_batch import IngestResult, SeriesOutcome
from ninja_desk.sync.alert_pipeline import AlertPipeline


class AlertActionError(PsaError):
    """An alert action that could not be done; the message says what to do next."""


@dataclass(frozen=True, slots=True)
class ActionResult:
    series_uid: str
    done: bool  # False: nothing to do (already acknowledged / resolved / ticketed)
    status: str
    ticket_id: uuid.UUID | None
    ticket_number: str | None
    message: str


class AlertService:
    def __init__(
        self,
        pipeline: AlertPipeline,
        *,
        cache: LocalCache | None = None,
        api: NinjaOneApi | None = None,
        username: str | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.cache = cache
        self.api = api
        self.username = username

    # -- actions ---------------------------------------------------------------------------

    async def acknowledge(self, uid: str) -> ActionResult:
        result = await self._act(uid, series_mod.USER_ACK, None)
        outcome = result.outcomes.get(uid)
        done = result.acknowledged > 0
        await self._mirror(result)
        return self._result(
            uid,
            outcome,
            done,
            "Alert acknowledged."
            if done
            else "This alert was already acknowledged or is resolved.",
        )

    async def resolve(self, uid: str, reset_in_ninjaone: bool = False) -> ActionResult:
        """Resolve in the PSA (commenting and, if untouched, closing its ticket). With
        `reset_in_ninjaone`, reset the condition in NinjaOne first (needs `management`)."""
        if reset_in_ninjaone:
            if self.api is None:
                raise AlertActionError(
                    "Resetting in NinjaOne needs a NinjaOne connection; connect first."
                )
            await self._ensure_known(uid)
            try:
                note = {"resolvedBy": self.username or "NinjaDesk", "source": "NinjaDesk"}
                await self.api.reset_alert(uid, note)
            except Exception as exc:
                raise AlertActionError(
                    f"NinjaOne did not reset the alert ({exc}). Check that the API client has "
                    "the 'management' scope, then try again; nothing was changed."
                ) from exc
        who = self.username or "a technician"
        reason = f"resolved in NinjaDesk by {who}" + (
            " and reset in NinjaOne" if reset_in_ninjaone else ""
        )
        result = await self._act(uid, series_mod.USER_RESOLVE, reason)
        outcome = result.outcomes.get(uid)
        done = result.resolved > 0
        await self._mirror(result)
        message = "Alert resolved." if done else "This alert was already resolved."
        # e.g. the ticket board has no closed status, so the ticket stayed open.
        message = " ".join([message, *result.notes])
        return self._result(uid, outcome, done, result.skipped or message)

    async def create_ticket(self, uid: str) -> ActionResult:
        """A ticket for this alert now, whatever the rules said; one per series, ever."""
        await self._ensure_known(uid)
        event = AlertEvent(uid, series_mod.OTHER, None, time.time(), source="user")
        result = await asyncio.to_thread(self.pipeline.ingest, [event], manual_ticket=uid)
        if result.skipped:
            raise AlertActionError(result.skipped)
        outcome = result.outcomes.get(uid)
        await self._mirror(result)
        done = result.tickets_created + result.tickets_joined > 0
        if outcome is None or outcome.ticket_id is None:
            raise AlertActionError("No ticket could be made for this alert.")
        return self._result(
            uid,
            outcome,
            done,
            f"Ticket {outcome.ticket_number} created."
            if done
            else f"This alert already has ticket {outcome.ticket_number}.",
        )

    async def explain(self, uid: str) -> dict[str, Any]:
        """Why this alert has (or has no) ticket, and where its series stands."""
        return await asyncio.to_thread(self._explain, uid)

    # -- helpers ---------------------------------------------------------------------------

    async def _act(self, uid: str, kind: str, reason: str | None) -> IngestResult:
        await self._ensure_known(uid)
        event = AlertEvent(uid, kind, None, time.time(), message=reason, source="user")
        return await asyncio.to_thread(self.pipeline.ingest, [event])

    async def _ensure_known(self, uid: str) -> None:
        def check() -> None:
            p = self.pipeline
            with p.psa.tenant_session(p.tenant, p.user_id) as s:
                require(s, ACT_ALERTS)
                found = s.conn.scalar(
                    sa.select(rmm_alerts.c.alert_id).where(
                        rmm_alerts.c.tenant == p.tenant,
                        rmm_alerts.c.integration_id == p.integration_id,
                        rmm_alerts.c.external_alert_id == uid,
                    )
                )
            if found is None:
                raise NotFound(
                    "The PSA has no record of this alert yet; wait for the next alert poll "
                    "or sync, then try again."
                )

        await asyncio.to_thread(check)

    async def _mirror(self, result: IngestResult) -> None:
        if self.cache is None or not result.outcomes:
            return
        await alert_mirror.mirror(
            self.cache,
            self.pipeline.psa,
            self.pipeline.tenant,
            result.outcomes.values(),
            acknowledged_by=self.username,
        )

    @staticmethod
    def _result(uid: str, outcome: SeriesOutcome | None, done: bool, message: str) -> ActionResult:
        return ActionResult(
            uid,
            done,
            outcome.status if outcome else "unknown",
            outcome.ticket_id if outcome else None,
            outcome.ticket_number if outcome else None,
            message,
        )

    def _explain(self, uid: str) -> dict[str, Any]:
        p = self.pipeline
        a, st = rmm_alerts, ninjadesk_alert_series
        with p.psa.tenant_session(p.tenant, p.user_id) as s:
            require(s, VIEW_ALERTS)
            row = s.conn.execute(
                sa.select(
                    a.c.external_alert_id,
                    a.c.status,
                    a.c.severity,
                    a.c.message,
                    st.c.rule_decision,
                    st.c.rule_explanation,
                    a.c.ticket_id,
                    a.c.auto_ticket_created,
                    a.c.triggered_at,
                    a.c.acknowledged_at,
                    a.c.acknowledged_by,
                    a.c.resolved_at,
                    a.c.metadata,
                    a.c.external_device_id,
                    st.c.repeat_count,
                    st.c.last_activity_id,
                    st.c.resolved_reason,
                    tickets.c.ticket_number,
                )
                .select_from(
                    a.outerjoin(
                        st, sa.and_(st.c.tenant == a.c.tenant, st.c.alert_id == a.c.alert_id)
                    ).outerjoin(
                        tickets,
                        sa.and_(
                            tickets.c.tenant == a.c.tenant, tickets.c.ticket_id == a.c.ticket_id
                        ),
                    )
                )
                .where(
                    a.c.tenant == p.tenant,
                    a.c.integration_id == p.integration_id,
                    a.c.external_alert_id == uid,
                )
            ).first()
            duplicates = []
            if row is not None and row.ticket_id is not None:
                duplicates = list(
                    s.conn.scalars(
                        sa.select(a.c.external_alert_id)
                        .where(
                            a.c.tenant == p.tenant,
                            a.c.ticket_id == row.ticket_id,
                            a.c.external_alert_id != uid,
                        )
                        .order_by(a.c.external_alert_id)
                    )
                )
        if row is None:
            raise NotFound("The PSA has no record of this alert.")
        decision = json.loads(row.rule_explanation) if row.rule_explanation else {}
        reason = decision.get("reason") or "No rule has looked at this alert yet."
        if duplicates and decision.get("outcome") != "duplicate":
            reason += " Shares its ticket with series " + ", ".join(duplicates[:5]) + "."
        return {
            "series_uid": row.external_alert_id,
            "status": row.status,
            "severity": row.severity,
            "message": row.message,
            "outcome": decision.get("outcome") or row.rule_decision,
            "rule": decision.get("rule"),
            "reason": reason,
            "dry_run": bool(decision.get("dry_run")),
            "window": decision.get("window"),
            "ticket_id": str(row.ticket_id) if row.ticket_id else None,
            "ticket_number": row.ticket_number,
            "grouped_with": duplicates,
            "duplicate_of": decision.get("duplicate_of"),
            "repeat_count": row.repeat_count or 0,
            "last_activity_id": row.last_activity_id,
            "resolved_reason": row.resolved_reason,
            "triggered_at": row.triggered_at.timestamp() if row.triggered_at else None,
            "acknowledged_at": row.acknowledged_at.timestamp() if row.acknowledged_at else None,
            "acknowledged_by": str(row.acknowledged_by) if row.acknowledged_by else None,
            "resolved_at": row.resolved_at.timestamp() if row.resolved_at else None,
            "resolved_by": (row.metadata or {}).get("resolvedBy"),
            "device_id": int(row.external_device_id) if row.external_device_id else None,
        }
