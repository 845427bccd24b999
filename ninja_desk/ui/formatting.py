"""Plain-text formatting shared by the views (no Qt)."""

from __future__ import annotations

import time
from datetime import datetime

from ninja_desk.core.severity import SEVERITIES


def ago(ts: float | None, now: float | None = None) -> str:
    """'3 min ago', '2 h ago', '5 d ago'; 'never' for a missing timestamp."""
    if not ts:
        return "never"
    delta = max(0.0, (now if now is not None else time.time()) - float(ts))
    if delta < 60:
        return "just now"
    if delta < 3600:
        return f"{int(delta // 60)} min ago"
    if delta < 86400:
        return f"{int(delta // 3600)} h ago"
    return f"{int(delta // 86400)} d ago"


def when(ts: float | None) -> str:
    if not ts:
        return "—"
    return datetime.fromtimestamp(float(ts)).strftime("%Y-%m-%d %H:%M")


def iso_when(value: object) -> str | None:
    """An ISO 8601 date-time ("2026-11-18T08:51:57+00:00") as local date-time text like
    `when`; None when `value` is not one (a plain date or other text stays as it is)."""
    if not isinstance(value, str) or "T" not in value or len(value) < 16:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone()  # local time; a naive value is taken as local already
    return moment.strftime("%Y-%m-%d %H:%M")


def alerts_text(count: int | None, worst_rank: int | None) -> str:
    """A device's active alerts as '3 · Critical' (count and the worst severity, by
    core.severity rank); empty without alerts, just the count when none has a severity."""
    if not count:
        return ""
    rank = int(worst_rank or 0)
    return f"{count} · {SEVERITIES[rank].title()}" if 0 < rank < len(SEVERITIES) else str(count)


def status_text(offline: int | None) -> str:
    if offline is None:
        return "Unknown"
    return "Offline" if offline else "Online"


# Words that title-casing gets wrong in NinjaOne's nodeClass names.
_CLASS_WORDS = {
    "Nms": "NMS",
    "Vm": "VM",
    "Vmm": "VMM",
    "Ios": "iOS",
    "Ipados": "iPadOS",
    "Hyperv": "Hyper-V",
    "Vmware": "VMware",
    "Ipsla": "IP SLA",
    "Wap": "WAP",
}


def node_class_text(node_class: str | None) -> str:
    if not node_class:
        return "—"
    words = node_class.replace("_", " ").title().split()
    return " ".join(_CLASS_WORDS.get(w, w) for w in words)


def size_text(n: int | None) -> str:
    if not n:
        return "—"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def severity_text(severity: str | None) -> str:
    """A severity as a technician reads it; one NinjaOne did not report stays visibly unknown
    ("—") rather than passing for NinjaOne's own NONE."""
    return severity.title() if severity else "—"
