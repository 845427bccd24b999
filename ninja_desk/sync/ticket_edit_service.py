"""Sends a technician's queued ticket edits to the PSA, in order, once each.

Every edit goes through the cache queue (cache/ticket_outbox.py): `submit` queues it and sends
right away when Alga's database answers; otherwise it stays queued, survives a restart, and
the next `send_pending` (the ticket view, and the desktop's PSA mirror every minute) sends it.

- In order: oldest first; a pass stops at the first edit the PSA could not be reached for, so a
  later edit never overtakes an earlier one.
- Once: each edit carries its id into Alga (the audit row's id, or the comment's), so a send
  whose answer was lost is recognised on retry and writes nothing more (psa/ticket_edits.py).
- Conflicts: an edit whose field someone changed meanwhile is not applied; it is set aside with
  one sentence (the same for a refusal: rights, the board's close rules, a vanished ticket).
- As whom: an edit is sent as the Alga user who made it, and only while this desktop still
  signs in as that user; other users' edits wait.

Blocking work runs on worker threads (`asyncio.to_thread`), cache writes on the cache's writer;
one pass at a time per cache file.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypedDict, Unpack

import sqlalchemy as sa

from ninja_desk.cache import ticket_outbox
from ninja_desk.cache.store import LocalCache
from ninja_desk.cache.ticket_outbox import QueuedEdit
from ninja_desk.psa import ticket_edits
from ninja_desk.psa.ticket_edits import EditOutcome, TicketEdit
from ninja_desk.psa.tickets import TicketDetail, ticket_detail

log = logging.getLogger(__name__)

NO_PSA = (
    "No PSA database is configured, so ticket changes stay on this computer; set up the PSA "
    "under Settings → PSA database to send them to Alga."
)
READ_ONLY = (
    "This desktop is read-only in Alga, so ticket changes stay on this computer until you sign "
    "in with an Alga API key that has the ticket:update right."
)


class EditLabels(TypedDict, total=False):
    """What the queue shows of an edit while it waits (the PSA's own names, read when made)."""

    ticket_number: str | None
    value_label: str | None
    expected_label: str | None


_PASS_LOCKS: dict[str, threading.Lock] = {}
_PASS_LOCKS_GUARD = threading.Lock()


def unreachable_sentence(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    reason = (str(original).strip().splitlines() or [type(original).__name__])[0]
    return (
        f"Alga's database is not reachable ({reason}); your ticket changes are kept on this "
        "computer and sent when it is back."
    )


def is_unreachable(exc: BaseException) -> bool:
    """A failure to reach the database (as opposed to a verdict about the edit)."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError | OSError | TimeoutError)


def to_edit(q: QueuedEdit) -> TicketEdit:
    return TicketEdit(
        ticket_id=uuid.UUID(q.ticket_id),
        kind=q.kind,
        value=q.value,
        expected=q.expected,
        is_internal=q.is_internal,
        is_resolution=q.is_resolution,
        reply_to=uuid.UUID(q.reply_to) if q.reply_to else None,
        close_anyway=q.close_anyway,
        reason=q.reason,
        edit_id=uuid.UUID(q.edit_id),
    )


@dataclass
class SendReport:
    sent: int = 0  # applied now (or found applied by an earlier, unanswered send)
    set_aside: list[QueuedEdit] = field(default_factory=list)  # conflicts and refusals
    waiting: int = 0  # still queued
    offline: str | None = None  # why nothing more could be sent (one sentence)
    outcomes: dict[str, EditOutcome] = field(default_factory=dict)  # by edit id
    tickets: set[str] = field(default_factory=set)  # tickets changed in Alga


class TicketEditService:
    """`psa`: the DesktopPsa (db, tenant, user_id, tenant_session), or a callable giving the
    current one (None when no PSA is configured)."""

    def __init__(self, cache: LocalCache, psa: Any) -> None:
        self.cache = cache
        self._psa = psa

    @property
    def psa(self) -> Any:
        psa = self._psa
        if callable(psa) and not hasattr(psa, "tenant"):
            return psa()
        return psa

    def _lock(self) -> threading.Lock:
        key = str(self.cache.path)
        with _PASS_LOCKS_GUARD:
            return _PASS_LOCKS.setdefault(key, threading.Lock())

    # -- queueing ------------------------------------------------------------------------------

    def queue_blocking(self, edit: TicketEdit, **labels: Unpack[EditLabels]) -> QueuedEdit:
        psa = self.psa
        if psa is None:
            raise RuntimeError(NO_PSA)
        user = getattr(psa, "user_id", None)
        if user is None:
            raise RuntimeError(READ_ONLY)
        self.cache.write_blocking(
            lambda conn: ticket_outbox.enqueue(
                conn, edit, tenant=psa.tenant, user_id=user, **labels
            )
        )
        queued = ticket_outbox.get(self.cache, str(edit.edit_id))
        assert queued is not None
        return queued

    async def submit(self, edit: TicketEdit, **labels: Unpack[EditLabels]) -> SendReport:
        """Queue the edit, then send what is queued (this edit included, after older ones)."""
        await asyncio.to_thread(partial(self.queue_blocking, edit, **labels))
        return await self.send_pending()

    # -- sending -------------------------------------------------------------------------------

    async def send_pending(self) -> SendReport:
        return await asyncio.to_thread(self.send_pending_blocking)

    def send_pending_blocking(self) -> SendReport:
        with self._lock():
            return self._send_pass()

    def _send_pass(self) -> SendReport:
        report = SendReport()
        psa = self.psa
        if psa is None:
            report.waiting = len(ticket_outbox.pending(self.cache))
            report.offline = NO_PSA if report.waiting else None
            return report
        queue = ticket_outbox.pending(self.cache, psa.tenant)
        user = getattr(psa, "user_id", None)
        for position, queued in enumerate(queue):
            if user is None or queued.user_id != str(user):
                report.waiting += 1
                if user is None:
                    report.offline = READ_ONLY
                continue
            try:
                with psa.tenant_session() as s:
                    outcome = ticket_edits.apply_edit(s, to_edit(queued))
            except Exception as exc:
                if is_unreachable(exc):
                    report.offline = unreachable_sentence(exc)
                    self.cache.write_blocking(
                        ticket_outbox.mark_attempt_failed, queued.edit_id, report.offline
                    )
                    report.waiting += len(queue) - position
                    return report
                # A verdict-less database error (say, two senders raced on the same row): the
                # edit stays queued and the next pass finds it applied or applies it.
                log.warning("Sending ticket edit %s failed: %s", queued.edit_id, exc)
                self.cache.write_blocking(
                    ticket_outbox.mark_attempt_failed, queued.edit_id, str(exc)
                )
                report.waiting += 1
                continue
            report.outcomes[queued.edit_id] = outcome
            if outcome.done:
                self.cache.write_blocking(ticket_outbox.mark_sent, queued.edit_id)
                report.sent += 1
                report.tickets.add(queued.ticket_id)
            else:
                state = (
                    ticket_outbox.CONFLICT
                    if outcome.state == ticket_edits.CONFLICT
                    else ticket_outbox.REFUSED
                )
                self.cache.write_blocking(
                    lambda conn, q=queued, o=outcome, st=state: ticket_outbox.set_aside(
                        conn,
                        q.edit_id,
                        st,
                        o.message,
                        current_value=o.current,
                        current_label=o.current_label,
                        can_override=o.can_override,
                    )
                )
                aside = ticket_outbox.get(self.cache, queued.edit_id)
                if aside is not None:
                    report.set_aside.append(aside)
        if report.sent:
            self.cache.write_blocking(ticket_outbox.prune_sent)
            self._refresh(psa, report.tickets)
        return report

    def _refresh(self, psa: Any, ticket_ids: set[str]) -> None:
        """Bring the cache's copy of the changed tickets up to date (list row and detail)."""
        from ninja_desk.sync import alert_mirror

        ids = [uuid.UUID(t) for t in sorted(ticket_ids)]
        try:
            rows = alert_mirror.ticket_rows(psa.db, psa.tenant, ids)
            self.cache.write_blocking(lambda conn: alert_mirror.apply(conn, [], rows))
            for ticket_id in ids:
                self.fetch_detail_blocking(ticket_id)
        except Exception as exc:  # the edits are in Alga; the mirror catches up later
            log.info("Refreshing the cached tickets after sending edits failed: %s", exc)

    # -- the ticket view's data ----------------------------------------------------------------

    def fetch_detail_blocking(self, ticket_id: uuid.UUID) -> TicketDetail:
        """The ticket from the PSA, kept in the cache for offline use."""
        psa = self.psa
        if psa is None:
            raise RuntimeError(NO_PSA)
        with psa.tenant_session(readonly=True) as s:
            detail = ticket_detail(s, ticket_id)
        self.cache.write_blocking(
            ticket_outbox.store_detail, psa.tenant, detail.ticket_id, detail.to_json()
        )
        return detail

    def load_detail_blocking(self, ticket_id: str) -> tuple[TicketDetail | None, str | None]:
        """(detail, offline sentence): live from the PSA, else the cached copy with the reason
        it is not live (None detail when this ticket was never opened here)."""
        try:
            return self.fetch_detail_blocking(uuid.UUID(ticket_id)), None
        except Exception as exc:
            if isinstance(exc, RuntimeError) and str(exc) == NO_PSA:
                reason = NO_PSA
            elif is_unreachable(exc):
                reason = unreachable_sentence(exc)
            else:
                raise
        cached = ticket_outbox.load_detail(self.cache, ticket_id)
        if cached is None:
            return None, reason
        return TicketDetail.from_json(cached[0]), reason

    async def load_detail(self, ticket_id: str) -> tuple[TicketDetail | None, str | None]:
        return await asyncio.to_thread(self.load_detail_blocking, ticket_id)

    def recover_blocking(self) -> int:
        """At start: unsent edits of a cache that was rebuilt come back into the queue."""
        return ticket_outbox.recover_moved_aside(self.cache)
