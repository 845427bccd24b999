"""What the ticket view shows: Alga's ticket with the technician's unsent edits on top.

Pure functions (no Qt, no I/O): the view reads the cached detail and the queue, and this puts
the pending values in place so the technician sees what they did, marked as not yet in Alga.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from ninja_desk.cache.ticket_outbox import PENDING, QueuedEdit
from ninja_desk.psa.tickets import ThreadComment, TicketDetail


def with_pending(detail: TicketDetail, queued: list[QueuedEdit]) -> tuple[TicketDetail, set[str]]:
    """(the detail as it will be once the pending edits are sent, ids of pending comments)."""
    shown = replace(detail, comments=list(detail.comments))
    pending_comments: set[str] = set()
    for q in queued:
        if q.state != PENDING or q.ticket_id != detail.ticket_id:
            continue
        if q.kind == "comment":
            shown.comments.append(
                ThreadComment(
                    q.edit_id,
                    "You",
                    q.value or "",
                    q.is_internal,
                    q.is_resolution,
                    False,
                    datetime.fromtimestamp(q.made_at).astimezone().isoformat(),
                    None,
                    q.reply_to,
                )
            )
            pending_comments.add(q.edit_id)
        elif q.kind == "status":
            closed = next((c for i, _, c in detail.statuses if i == q.value), shown.is_closed)
            name = q.value_label or next((n for i, n, _ in detail.statuses if i == q.value), None)
            shown = replace(shown, status_id=q.value, status=name, is_closed=closed)
        elif q.kind == "priority":
            name = q.value_label or dict(detail.priorities).get(q.value or "")
            shown = replace(shown, priority_id=q.value, priority=name)
        elif q.kind == "assignee":
            name = q.value_label or dict(detail.assignees).get(q.value or "")
            shown = replace(shown, assigned_to=q.value, assignee=name if q.value else None)
    return shown, pending_comments


def plain_description(text: str | None) -> str:
    """A description as text: Alga keeps plain text or rich-text (BlockNote) JSON blocks."""
    if not text:
        return ""
    stripped = text.strip()
    if not stripped.startswith("["):
        return text
    try:
        blocks = json.loads(stripped)
    except ValueError:
        return text
    if not isinstance(blocks, list):
        return text
    return "\n".join(_block_text(b) for b in blocks if isinstance(b, dict)).strip()


def _block_text(block: dict[str, Any]) -> str:
    parts = []
    for item in block.get("content") or []:
        if isinstance(item, dict):
            if "text" in item:
                parts.append(str(item["text"]))
            elif isinstance(item.get("content"), list):  # links
                parts.extend(str(x.get("text", "")) for x in item["content"] if isinstance(x, dict))
    line = "".join(parts)
    children = [_block_text(c) for c in block.get("children") or [] if isinstance(c, dict)]
    return "\n".join([line, *children]) if children else line


def when(iso: str | None) -> str:
    """'2026-12-03 14:02' in local time, from Alga's ISO timestamps."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso
